"""`GuiThreadCollector`: Python's cyclic garbage collector, run on the GUI thread between events only.

Left automatic, a collection starts wherever the next allocation happens to cross its threshold: on the training
thread, on the thread importing torch, or on the GUI thread in the middle of a paint or of a list of Qt objects
(`QApplication.allWidgets()`). A window or widget that dies in such a collection deletes its C++ children under
Qt's feet, and the process crashes (test runs crashed this way in pyqtgraph's paint and in `allWidgets`).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QThread, QTimer

INTERVAL_MS = 500  # often enough that cyclic garbage from a training run stays small, rare enough to cost nothing


class GuiThreadCollector(QObject):
    """While started, automatic collection is off and a timer on the GUI thread collects, from the event loop,
    each generation whose count passed the threshold Python had (what the automatic collector would have done)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Automatic collection as before (the app never stops its collector; a test may, with its own)."""
        self._timer.stop()
        gc.enable()

    def collect_due(self) -> None:
        """Not inside a dialog's or a close's own event loop: Qt code waits on the stack there."""
        if QThread.currentThread().loopLevel() > 1:
            return
        counts = gc.get_count()
        due = [generation for generation, threshold in enumerate(self._thresholds)
               if 0 < threshold < counts[generation]]  # (a threshold of 0: Python never collects it by count)
        if due:
            gc.collect(max(due))  # an older generation's collection takes the younger ones with it
