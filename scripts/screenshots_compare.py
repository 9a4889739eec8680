"""Screenshot of Compare A/B: resources/screenshots/compare.png (1280x720).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots_compare.py [--steps 400]

Opens the window on encoder-reverse (A), Train > Compare A/B, sets B's positional encoding to none, trains both
for --steps steps and grabs the compare window: A's loss falls while B's (order-blind) stays high, and A's grid
draws the anti-diagonal B's cannot. The figure of `playground compare` is made by the command itself (README).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtWidgets import QComboBox
from shots import parse_shot_args, pump, scratch_app, wait_until


def shot_compare(app, out: Path, size: tuple[int, int], steps: int) -> Path:
    from playground.core.presets import load_preset
    from playground.ui import compare_window
    from playground.ui.main_window import MainWindow

    compare_window.ask_close_comparison = lambda *args: True  # the shot is taken: closing asks no one

    window = MainWindow(load_preset("encoder-reverse").updated({"train.snapshot_interval": 50}))
    window.show()
    window.compareAction.trigger()
    compare = window.compareWindow
    compare.resize(*size)
    positions = compare.findChild(QComboBox, "positionsCombo")
    positions.setCurrentIndex(positions.findData("none"))
    positions.activated.emit(positions.currentIndex())
    compare.play()
    wait_until(app, lambda: compare.workers and min(w.step for w in compare.workers) >= steps, 1800)
    compare.pause()
    pump(app, 1.0)
    path = out / "compare.png"
    compare.grab().save(str(path))
    window.close()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="steps A and B train before the shot")
    args = parse_shot_args(parser)
    app = scratch_app()
    print(f"wrote {shot_compare(app, args.out, args.size, args.steps)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
