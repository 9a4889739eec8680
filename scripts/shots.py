"""What the screenshot scripts share: a headless app whose settings and run folders live in a scratch folder."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "resources" / "screenshots"
SIZE = (1280, 800)


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
