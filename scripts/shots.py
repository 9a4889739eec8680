"""What the screenshot scripts share: a headless app whose settings and run folders live in a scratch folder."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "resources" / "screenshots"
SIZE = (1280, 720)  # a projector's: the README's images, in SCREENSHOTS itself; other sizes get a folder of their own


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: write it as WIDTHxHEIGHT, e.g. 1920x1080") from None
    return width, height


def parse_shot_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The script's options plus --size WxH and --out; args.out is the folder to write to, created."""
    parser.add_argument("--size", type=_size, default=SIZE, metavar="WxH", help="the window's size (default 1280x720)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the folder to write to (default resources/screenshots, or resources/screenshots/WxH "
                             "for another size)")
    args = parser.parse_args()
    width, height = args.size
    args.out = args.out or (SCREENSHOTS if args.size == SIZE else SCREENSHOTS / f"{width}x{height}")
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def scratch_app() -> Any:
    """The QApplication, offscreen unless told otherwise, never touching the user's settings or runs."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = Path(tempfile.mkdtemp(prefix="playground-shots-"))
    os.environ["PLAYGROUND_SETTINGS"] = str(scratch / "settings.ini")
    os.environ["PLAYGROUND_RUNS_DIR"] = str(scratch / "runs")
    from playground.ui.app import make_app

    return make_app()


def pump(app: Any, seconds: float) -> None:
    """Let Qt run for `seconds` (the worker's events reach the window through its timer)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.02)


def wait_until(app: Any, done: Callable[[], bool], limit: float = 600) -> None:
    start = time.perf_counter()
    while not done() and time.perf_counter() - start < limit:
        pump(app, 0.1)
