"""The keyboard focus at a projector: Tab rings the control it moves to, clearly; a click rings nothing."""

import pytest
from conftest import TINY_SENTIMENT
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QScrollArea

from playground.core.spec import make_spec
from playground.ui.focus_ring import GAP_PX, RING_PX

pytestmark = pytest.mark.gui


@pytest.fixture
def window(open_window, qtbot):
    window = open_window(make_spec(TINY_SENTIMENT))
    with qtbot.waitActive(window):  # Tab goes to the active window
        window.activateWindow()
    return window


def _tab(qtbot, times=1, back=False):
    for _ in range(times):
        key = Qt.Key.Key_Backtab if back else Qt.Key.Key_Tab
        qtbot.keyClick(QApplication.focusWidget(), key)


def _around(window, widget):
    """Where a ring around all of `widget` stands, in the window's coordinates."""
    margin = RING_PX + GAP_PX
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size()).adjusted(-margin, -margin, margin, margin)


def test_tab_rings_the_focused_control_and_a_click_does_not(window, qtbot):
    """QA: Fusion marks the keyboard focus with a thin line in the control's frame, lost on a projector."""
    first = window.config.sliders["model.n_embd"]
    first.slider.setFocus()  # the program, not the keyboard: no ring
    assert not window.focusRing.isVisible()
    _tab(qtbot)
    focused = QApplication.focusWidget()
    assert focused is not first.slider and window.focusRing.target is focused
    assert window.focusRing.isVisible() and window.focusRing.geometry() == _around(window, focused)
    _tab(qtbot, back=True)  # Shift+Tab: back to the first slider, ringed
    assert window.focusRing.target is first.slider and window.focusRing.geometry() == _around(window, first.slider)
    other = window.config.sliders["model.n_head"].slider
    qtbot.mouseClick(other, Qt.MouseButton.LeftButton, pos=other.rect().center())
    assert QApplication.focusWidget() is other and not window.focusRing.isVisible()


def test_the_ring_follows_its_control_when_the_settings_scroll(window, qtbot):
    """At 175 % the settings scroll: tabbing to a slider below the fold scrolls it into view, ring and all."""
    window.resize(1280, 720)
    window.set_zoom(1.75)
    try:
        qtbot.wait(20)  # the zoomed layout
        target = window.config.sliders["train.warmup_steps"].slider
        target.setFocus()
        _tab(qtbot, back=True)
        _tab(qtbot)  # back to the target by the keyboard: the scroll area brought it into view
        assert QApplication.focusWidget() is target
        qtbot.waitUntil(lambda: window.focusRing.geometry() == _around(window, target), timeout=3000)
        scroll = window.config.findChild(QScrollArea, "configScroll").verticalScrollBar()
        assert scroll.value() > 0  # it did scroll
        scroll.setValue(scroll.value() - 10)  # the user scrolls a little: the ring moves with the slider
        assert window.focusRing.isVisible() and window.focusRing.geometry() == _around(window, target)
        scroll.setValue(0)  # and out of view: no ring over the controls above
        assert not window.focusRing.isVisible()
    finally:
        window.set_zoom(1.0)
