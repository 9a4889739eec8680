"""Screenshot of settings changed mid-run: resources/screenshots/midrun.png (1280x720).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots_midrun.py

Trains encoder-reverse at a learning rate ten times too small, raises it with its slider at step 150 (the loss
starts falling), turns dropout up at step 300 (the training loss rises, the validation loss, measured without
dropout, does not) and grabs the window at step 450: two markers on the loss curve, no reset.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shots import parse_shot_args, pump, scratch_app, wait_until

CHANGES = ((150, "train.lr", 3e-3), (300, "model.dropout", 0.3))  # (after step, setting, new value)
END = 450


def move_slider(window, key: str, value: float) -> None:
    """As the user does: the slider lands on `value`'s position."""
    control = window.config.sliders[key]
    control.slider.setValue(control.choices().index(value))


def shot_midrun(app, out: Path, size: tuple[int, int]) -> Path:
    from playground.core.presets import load_preset
    from playground.ui import main_window
    from playground.ui.main_window import MainWindow

    main_window.ask_unsaved = lambda *args: main_window.QMessageBox.StandardButton.Discard  # the sliders moved

    spec = load_preset("encoder-reverse").updated({
        "train.lr": 3e-4, "train.max_steps": 600, "train.warmup_steps": 20,
        "train.eval_interval": 25, "train.snapshot_interval": 50})
    window = MainWindow(spec)
    window.resize(*size)
    window.show()
    window.play()
    for step, key, value in CHANGES:
        wait_until(app, lambda step=step: window.worker is not None and window.worker.step >= step, 900)
        move_slider(window, key, value)
    wait_until(app, lambda: window.worker.step >= END, 900)
    window.pause()
    pump(app, 1.5)
    path = out / "midrun.png"
    window.grab().save(str(path))
    window.close()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args = parse_shot_args(parser)
    app = scratch_app()
    print(f"wrote {shot_midrun(app, args.out, args.size)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
