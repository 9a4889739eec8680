"""Cyclic garbage is collected on the GUI thread, between events, never on the thread that happens to allocate."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest
from PySide6.QtCore import QEventLoop, QTimer

from playground.ui.garbage import GuiThreadCollector


class _Cycle:
    """Garbage only the cyclic collector frees; records the thread that freed it."""

    def __init__(self, freed_on: list[str]) -> None:
        self.me = self
        self.freed_on = freed_on

    def __del__(self) -> None:
        self.freed_on.append(threading.current_thread().name)


def _allocate_on_a_thread(first: Callable[[], object] = lambda: None) -> list[list]:
    """What the training thread or the torch import does: `first()`, then allocate far past the collector's
    threshold, and keep it."""
    kept: list[list] = []

    def build() -> None:
        first()
        kept.extend([] for _ in range(50 * gc.get_threshold()[0]))

    thread = threading.Thread(target=build, name="allocating")
    thread.start()
    thread.join()
    return kept


@pytest.fixture
def collector(qapp):
    """A collector of the test's own, the app's child (deleted from Python, a QObject's destructor may allocate, and
    an automatic collection inside it deadlocked); collection as the test found it afterwards."""
    enabled = gc.isenabled()
    collector = GuiThreadCollector(qapp)
    yield collector
    collector.stop()
    if not enabled:
        gc.disable()


def test_a_cycle_dropped_while_another_thread_allocates_is_freed_on_the_gui_thread(collector, qtbot):
    collector.start()
    freed_on: list[str] = []
    _Cycle(freed_on)  # garbage at once, reachable only from itself
    kept = _allocate_on_a_thread()
    assert freed_on == []  # the allocating thread did not collect it
    qtbot.waitUntil(lambda: freed_on != [], timeout=5000)
    assert freed_on == [threading.main_thread().name]
    del kept


def test_stop_hands_collection_back_to_python(collector):
    collector.start()
    assert not gc.isenabled()
    collector.stop()
    assert gc.isenabled()
    freed_on: list[str] = []
    _allocate_on_a_thread(lambda: _Cycle(freed_on))  # garbage made there: only a collection there can free it so soon
    assert freed_on == ["allocating"]


def test_no_collection_inside_a_dialogs_own_event_loop(collector):
    """A modal dialog or a close runs an event loop of its own, with Qt's code waiting on the stack below it."""
    collector.start()
    freed_on: list[str] = []
    inner, outer = QEventLoop(), QEventLoop()

    def in_dialog() -> None:  # the dialog's loop, inside the app's
        _Cycle(freed_on)
        kept = [[] for _ in range(2 * gc.get_threshold()[0])]  # a collection is due
        collector.collect_due()
        freed_on.append("(after the dialog's tick)")
        del kept
        inner.quit()

    def in_app() -> None:
        QTimer.singleShot(0, in_dialog)
        inner.exec()
        outer.quit()

    QTimer.singleShot(0, in_app)
    outer.exec()
    assert freed_on[0] == "(after the dialog's tick)"


# A window's menu, garbage in a reference cycle, and a Python QObject deleted meanwhile. Collected automatically, the
# first allocation inside that QObject's destructor collects the menu there, and its QActions' destructors wait for a
# lock the first destructor holds (a deadlock seen in the test suite, within 100 rounds here). The threshold of 1
# just before each delete makes that collection certain where collection is automatic.
DELETE_WHILE_GARBAGE_WAITS = """
import gc
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu
from playground.ui.garbage import GuiThreadCollector

class Helper(QObject):
    def __init__(self):
        super().__init__()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)

    def tick(self):
        pass

app = QApplication([])
GuiThreadCollector(app).start()  # as run_app does
for _ in range(300):
    gc.set_threshold(0)
    menu = QMenu()
    for k in range(5):
        action = QAction(str(k), menu)
        action.triggered.connect(lambda: menu)
        menu.addAction(action)
    menu.me = menu
    del menu, action
    helper = Helper()
    gc.set_threshold(1, 1, 1)
    del helper
print("done")
"""


def test_a_qobject_deleted_while_qt_garbage_waits_does_not_deadlock():
    done = subprocess.run([sys.executable, "-c", DELETE_WHILE_GARBAGE_WAITS], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.stdout.strip() == "done", done.stderr
