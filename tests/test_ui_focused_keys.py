"""Space and Right train from anywhere in the window, except where the focused control needs the key itself:
Space presses a focused button or ticks a focused box, Right moves along a focused tab bar or table."""

import pytest
from conftest import TINY_SENTIMENT
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTabBar
from test_ui_runs import fake_run

from playground.core.spec import make_spec

pytestmark = pytest.mark.gui


@pytest.fixture
def window(open_window, qtbot):
    window = open_window(make_spec(TINY_SENTIMENT))
    with qtbot.waitActive(window):
        window.activateWindow()
    return window


def _not_training(window) -> bool:
    return window.worker is None or (not window.worker.playing and window.worker.step == 0)


def test_space_ticks_a_focused_box_instead_of_playing(window, qtbot):
    box = window.loss.logCheck
    box.setFocus()
    ticked = box.isChecked()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked() != ticked
    assert window.playButton.text() == "Play" and _not_training(window)


def test_space_presses_a_focused_button(window, qtbot):
    window.playButton.setFocus()  # the Play button itself: Space presses it, which plays (once, not twice)
    qtbot.keyClick(window.playButton, Qt.Key.Key_Space)
    assert window.playButton.text() == "Pause"
    window.pause()


def test_right_moves_along_a_focused_tab_bar(window, qtbot):
    bar = window.tabs.findChild(QTabBar)
    bar.setFocus()
    before = window.tabs.currentIndex()
    qtbot.keyClick(bar, Qt.Key.Key_Right)
    assert window.tabs.currentIndex() != before
    qtbot.wait(200)
    assert _not_training(window)


def test_space_still_plays_with_a_slider_focused(window, qtbot):
    slider = window.config.sliders["model.n_embd"].slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Space)
    assert window.playButton.text() == "Pause" and QApplication.focusWidget() is slider
    window.pause()


def test_tab_leaves_the_runs_table_and_right_moves_in_it(window, qtbot, tmp_path):
    """QA: once the Runs table held a run, Tab went from cell to cell and never left it."""
    fake_run(tmp_path / "runs", "a run", [2.0, 1.5])  # conftest points PLAYGROUND_RUNS_DIR here
    panel = window.runTools.runs
    window.tabs.setCurrentWidget(panel)
    panel.refresh()
    table = panel.table
    table.setFocus()
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_Right)
    assert table.currentColumn() == 1 and _not_training(window)
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table
