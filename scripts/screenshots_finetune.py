"""Screenshots of fine-tuning and of the Runs tab: resources/screenshots/finetune.png and runs.png.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots_finetune.py [--steps 100] [--only finetune|runs] [--size WxH]

finetune: fine-tunes the bert-pronoun preset (pretrained MiniLM) for --steps steps in the window, asks
"Try it" about the lecture's sentence and grabs the window (1280x720 unless --size) on that tab (prediction, the head view
of "it" before and now, the heads that changed most). runs: trains three tiny encoder runs with different
learning rates in a temporary runs folder and grabs the Runs tab with all three curves overlaid.
Settings and run folders go to a temporary folder, never the user's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from shots import parse_shot_args, pump, scratch_app, wait_until


def shot_finetune(app, out: Path, size: tuple[int, int], steps: int) -> Path:
    from playground.core.presets import load_preset
    from playground.ui.main_window import MainWindow

    spec = load_preset("bert-pronoun").updated({"train.eval_interval": 10, "train.snapshot_interval": 10})
    window = MainWindow(spec)
    window.resize(*size)
    window.show()
    window.centreSplitter.setSizes([230, 530])
    window.play()
    wait_until(app, lambda: window.progressBar.value() >= steps)
    window.pause()
    panel = window.runTools.tryIt
    window.tabs.setCurrentWidget(panel)
    panel.input.setText("The animal didn't cross the street because it was too wide.")
    panel.predict()
    wait_until(app, lambda: panel.result is not None and not panel.pending, 120)
    pump(app, 0.5)
    path = out / "finetune.png"
    window.grab().save(str(path))
    window.close()
    return path


def _tiny_run(root: Path, lr: float, steps: int) -> Path:
    from playground.core.presets import load_preset
    from playground.training.runs import MetricsLog, new_run_dir, write_run_info
    from playground.training.session import TrainingSession

    spec = load_preset("encoder-sentiment").updated({
        "name": f"sentiment, lr {lr:g}", "train.lr": lr, "train.max_steps": steps, "train.warmup_steps": 10,
        "train.eval_interval": 20, "train.compile": "off"})
    folder = new_run_dir(root, spec)
    session = TrainingSession(spec, run_dir=folder)
    log = MetricsLog(folder)
    session.subscribe(log)
    for _event in session.run():
        pass
    log.close()
    session.save()
    write_run_info(folder, {"step": session.step, "status": "saved"})
    time.sleep(1.1)  # run folders are named by the second
    return folder


def shot_runs(app, out: Path, size: tuple[int, int], steps: int) -> Path:
    from playground.core.presets import load_preset
    from playground.ui.main_window import MainWindow
    from playground.ui.settings import runs_root

    folders = [_tiny_run(runs_root(), lr, steps) for lr in (3e-4, 2e-3, 1e-2)]
    window = MainWindow(load_preset("encoder-sentiment"))
    window.resize(*size)
    window.show()
    window.start_warmup()  # the status bar names the device, not "loading PyTorch…"
    wait_until(app, lambda: "loading" not in window.deviceLabel.text(), 120)
    window.centreSplitter.setSizes([380, 380])
    panel = window.runTools.runs
    window.tabs.setCurrentWidget(panel)
    pump(app, 0.3)
    panel.select_folders(folders)
    pump(app, 0.5)
    path = out / "runs.png"
    window.grab().save(str(path))
    window.close()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="fine-tuning steps before the finetune shot")
    parser.add_argument("--only", choices=("finetune", "runs"), action="append")
    args = parse_shot_args(parser)
    app = scratch_app()
    for name in args.only or ("finetune", "runs"):
        if name == "finetune":
            path = shot_finetune(app, args.out, args.size, args.steps)
        else:
            path = shot_runs(app, args.out, args.size, 200)
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
