"""What the scripts that close the window mid-run share: answering the question a close asks while training."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QPushButton


def answer_quit() -> None:
    """Click Quit in "Quit while training?" once it shows (call before the close: the question's own event loop
    runs it)."""
    box = QApplication.activeModalWidget()
    if box is None:
        QTimer.singleShot(50, answer_quit)
        return
    box.findChild(QPushButton, "quitButton").click()
