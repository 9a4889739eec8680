"""Render the window once per family, and once for an ablation, after some real training; writes {name}.png.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--steps-scale 1.0] [--size 1280x720] [--out DIR]

Each shot trains a built-in preset for a few dozen steps (snapshots and evaluations made more frequent so the
curves and heatmaps have something to show), pauses, and grabs the window (1280x720 into resources/screenshots,
another size into resources/screenshots/WxH). Settings and run folders go to a temporary folder, never the user's.
"""

from __future__ import annotations

import argparse
import sys
import time

from shots import parse_shot_args, pump, scratch_app, wait_until

# name -> (preset, steps to train, overrides that make a short run show more)
SHOTS = {
    "decoder": ("decoder-pydoc", 150, {"train.eval_interval": 25, "train.snapshot_interval": 10,
                                       "train.sample_interval": 50}),
    "encoder": ("encoder-reverse", 300, {"train.eval_interval": 25, "train.snapshot_interval": 10}),
    "vit": ("vit-digits", 150, {"train.eval_interval": 15, "train.snapshot_interval": 10}),
    # the loss collapses by step ~400 and the grid's upper triangle fills (the README's Ablations section)
    "ablation-no-mask": ("decoder-no-mask", 400, {"train.eval_interval": 50, "train.snapshot_interval": 25}),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps-scale", type=float, default=1.0, help="multiply the training steps (0.1 = quick look)")
    parser.add_argument("--only", choices=sorted(SHOTS), action="append", help="render only these shots")
    args = parse_shot_args(parser)
    app = scratch_app()

    from playground.core.presets import load_preset
    from playground.ui.main_window import MainWindow

    for name in args.only or SHOTS:
        preset, steps, overrides = SHOTS[name]
        steps = max(2, int(steps * args.steps_scale))
        spec = load_preset(preset).updated(overrides)
        window = MainWindow(spec)
        window.resize(*args.size)
        window.show()
        window.start_warmup()
        window.play()
        started = time.perf_counter()
        wait_until(app, lambda window=window, steps=steps: window.progressBar.value() >= steps)
        window.pause()
        pump(app, 1.5)  # the paused worker takes a snapshot of exactly this step; let the window pull it in
        window.loss.show_readout(window.progressBar.value() * 0.75)
        app.processEvents()
        target = args.out / f"{name}.png"
        window.grab().save(str(target))
        print(f"{target}: step {window.progressBar.value()}, {window.speedLabel.text()}, "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
