"""Screenshots of the lesson bar at 1280x720: resources/screenshots/lesson-*.png.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots_lessons.py [--only lesson-19.6-decoder-block] [--size WxH]

Opens each lesson preset as Presets > Lessons does, goes to the step named below (training the model as that step
says, through the window's worker) and grabs the window once the step's views have caught up.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QEvent
from shots import parse_shot_args, pump, scratch_app, wait_until

SHOTS = {"lesson-19.6-decoder-block": 0, "lesson-19.5-bert-finetune": 3}  # preset: the step shown (0-based)
LIMIT_S = 1800  # for a step's training on a busy machine


def shot(app: object, name: str, index: int, out: Path, size: tuple[int, int]) -> Path:
    from playground.core.presets import DEFAULT_PRESET, PRESETS_DIR, load_preset
    from playground.ui.main_window import MainWindow

    window = MainWindow(load_preset(DEFAULT_PRESET))
    window.resize(*size)
    window.show()
    assert window.open_preset(str(PRESETS_DIR / f"{name}.json"))
    bar = window.lessonBar
    bar.go(index)
    if bar.step.train_until:
        wait_until(app, lambda: "trained to step" in bar.statusLabel.text(), LIMIT_S)
    wait_until(app, lambda: window.attentionGrid.snapshot is not None, LIMIT_S)
    tries = window.runTools.tryIt
    wait_until(app, lambda: not tries.pending, 120)
    pump(app, 4)  # the attention grid and Inside attention follow the last snapshot
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # replaced labels go, as the app's event loop does
    path = out / f"{'-'.join(name.split('-')[:2])}.png"  # lesson-19.6.png
    window.grab().save(str(path))
    window.close()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SHOTS))
    args = parse_shot_args(parser)  # the default size, 1280x720, is a projector's: the bar must be readable there
    app = scratch_app()
    for name, index in SHOTS.items():
        if args.only in (None, name):
            print(shot(app, name, index, args.out, args.size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
