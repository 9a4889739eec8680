"""Launch the real app on a preset, press Play, wait for a few steps, close the window mid-run (answering Quit to
the question that asks).

Prints `RESULT <steps> <run folder> <torch imported at first show>` as it closes (the app's process ends with its
window) and exits with the app's code.
Used by tests/test_ui_app.py and, 100 times over, by scripts/soak_launches.py.
Usage: QT_QPA_PLATFORM=offscreen python scripts/launch_train_close.py PRESET
"""

import sys
import time

from answer import answer_quit
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from playground.ui.app import make_app, run_app

app = make_app()
state = {"t0": time.perf_counter()}


def window():
    return next(w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow")


def press_play() -> None:
    w = window()
    state["torch_at_show"] = "torch" in sys.modules
    w.playButton.click()
    QTimer.singleShot(100, wait_for_steps)


def wait_for_steps() -> None:
    w = window()
    if w.progressBar.value() >= 3 or time.perf_counter() - state["t0"] > 60:
        state["steps"] = w.progressBar.value()
        state["run_dir"] = str(w.worker.run_dir)
        print("RESULT", state["steps"], state["run_dir"], state["torch_at_show"], flush=True)
        QTimer.singleShot(0, answer_quit)
        w.close()
    else:
        QTimer.singleShot(100, wait_for_steps)


QTimer.singleShot(0, press_play)
run_app(sys.argv[1])
