"""The keyboard focus at a projector: Tab rings the control it moves to, clearly; a click rings nothing."""

import pyqtgraph as pg
import pytest
from conftest import TINY_SENTIMENT, tab_to
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QToolButton, QWidget

from playground.core.spec import make_spec
from playground.ui.attention_grid import AttentionGrid
from playground.ui.focus_ring import GAP_PX, RING_PX

pytestmark = pytest.mark.gui


@pytest.fixture
def window(open_active_window):
    return open_active_window(make_spec(TINY_SENTIMENT))


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


def test_the_ring_leaves_a_control_that_is_clicked_hidden_or_deleted(window, qtbot):
    """QA: clicking the ringed slider left the ring on; a lesson hiding the focused slider ringed the control Qt
    moved the focus to; a dataset change deleted the ringed box and the app crashed."""
    from PySide6.QtWidgets import QLineEdit
    from shiboken6 import delete

    window.config.sliders["model.n_embd"].slider.setFocus()
    _tab(qtbot)
    ringed = QApplication.focusWidget()
    assert window.focusRing.isVisible()
    qtbot.mouseClick(ringed, Qt.MouseButton.LeftButton, pos=ringed.rect().center())
    assert QApplication.focusWidget() is ringed and not window.focusRing.isVisible()

    _tab(qtbot)
    assert window.focusRing.isVisible()
    window.config.hide()  # as a lesson step hides the settings: Qt moves the focus on
    assert not window.focusRing.isVisible()
    window.config.show()

    box = QLineEdit(window.config)
    box.show()
    box.setFocus()
    window.focusRing.follow(box)
    assert window.focusRing.isVisible()
    delete(box)  # the data options rebuilt
    window.config.sliders["model.n_head"].slider.setFocus()  # the focus moves on: nothing raises
    assert window.focusRing.target is None and not window.focusRing.isVisible()


def test_the_ring_stays_inside_the_windows_centre(window):
    """QA: around the whole settings panel (a Tab stop) the ring crossed the menu bar and the window's left edge."""
    window.focusRing.follow(window.config)
    centre = window.centralWidget().geometry()
    assert window.focusRing.isVisible() and centre.contains(window.focusRing.geometry())


def test_tab_goes_from_the_dataset_through_its_options(open_active_window, qtbot):
    """QA: the dataset's own options were made last, so Tab reached them only after the last training slider."""
    window = open_active_window(make_spec({**TINY_SENTIMENT, "data": {"name": "reverse"}}))
    options = list(window.config.dataOptions.controls.values())
    assert len(options) >= 2
    window.config.datasetCombo.setFocus()
    for option in options:
        _tab(qtbot)
        assert QApplication.focusWidget() is option
    _tab(qtbot)
    assert QApplication.focusWidget() is window.config.sliders["model.block_size"].slider


def test_scroll_areas_are_no_tab_stops(window, qtbot):
    """QA: the attention grid and its scroll area were two stops (one Tab seemed to do nothing), and the settings'
    scroll area one more between the tabs and the first setting."""
    window.tabs.setCurrentWidget(window.attention)
    window.attentionGrid.setFocus()
    _tab(qtbot)
    assert not isinstance(QApplication.focusWidget(), QScrollArea)
    for _ in range(3):
        _tab(qtbot)
        assert not isinstance(QApplication.focusWidget(), QScrollArea)


def test_the_ring_comes_back_when_a_combo_boxs_list_closes(window, qtbot):
    """QA: opening a ringed combo box's list and closing it with Escape left it with the focus but no ring."""
    combo = window.config.datasetCombo
    tab_to(qtbot, combo, window.config.sliders["model.n_embd"].slider)
    assert window.focusRing.target is combo and window.focusRing.isVisible()
    qtbot.keyClick(combo, Qt.Key.Key_Space)  # opens the list (the combo box keeps Space from Play)
    qtbot.waitUntil(lambda: combo.view().isVisible())
    assert not window.focusRing.isVisible()  # the list is over it
    qtbot.keyClick(combo.view(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not combo.view().isVisible())
    assert QApplication.focusWidget() is combo
    assert window.focusRing.target is combo and window.focusRing.isVisible()
    qtbot.mouseClick(window.config.sliders["model.n_head"].slider, Qt.MouseButton.LeftButton)
    assert not window.focusRing.isVisible()  # a click after it still rings nothing


def test_plots_are_no_tab_stops_but_the_grid_and_the_enlarged_head(window, qtbot):
    """QA: the loss plot and the heatmaps were Tab stops where no key did anything (one Tab seemed lost); the grid's
    arrows choose a head, the enlarged head's read its weights."""
    window.step_once()
    qtbot.waitUntil(lambda: window.attentionGrid.snapshot is not None, timeout=60_000)
    stops, widget = [], window.nextInFocusChain()
    while widget is not window:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.focusProxy() is None:
            stops.append(widget)
        widget = widget.nextInFocusChain()
    views = [w.objectName() for w in stops
             if isinstance(w, (pg.PlotWidget, pg.GraphicsLayoutWidget)) and not isinstance(w, AttentionGrid)]
    assert views == ["headPlot"]  # the enlarged head, whose arrows read its weights
    assert window.attentionGrid in stops  # the grid takes the arrow keys: it stays one


def test_tab_follows_the_screen_from_the_buttons_to_what_they_stand_above(window, qtbot):
    """QA: the Runs table and the architecture diagram, made before the buttons above them, came first."""
    window.tabs.setCurrentWidget(window.runTools.runs)
    refresh = window.runTools.runs.buttons["refresh"]
    refresh.setFocus()
    _tab(qtbot)  # (Rename… to Resume are disabled while no run is selected)
    assert QApplication.focusWidget() is window.runTools.runs.table
    window.tabs.setCurrentWidget(window.architecture)
    window.architecture.fitCheck.setFocus()
    _tab(qtbot)
    assert QApplication.focusWidget() is window.architecture.exportButton
    _tab(qtbot)
    assert QApplication.focusWidget() is window.architecture.view


def _chain_order(window, widgets: list) -> list:
    """`widgets` in the order Tab reaches them from the window (disabled or hidden ones too)."""
    order, widget = [], window.nextInFocusChain()
    while widget is not window:
        if widget in widgets:
            order.append(widget)
        widget = widget.nextInFocusChain()
    return order


def test_tab_reaches_the_inside_views_bars_before_what_they_stand_above(window):
    """Keyboard QA: Step by step's figure came before the Fit and Export controls above it, and Head roles' Export
    (beside the table's title) after the whole tab."""
    steps, roles = window.inside.steps, window.inside.roles
    figure = [steps.fitCheck, steps.exportButton, steps.scroll]
    assert _chain_order(window, figure) == figure
    assert _chain_order(window, [roles.exportButton, roles.table]) == [roles.exportButton, roles.table]


def test_tab_coming_round_into_the_settings_scrolls_them(window, qtbot):
    """QA: at 720 px the settings scroll; Tab coming round from the tabs to the first setting, or Shift+Tab from Play
    to the last, left it out of sight (and unringed): only a Tab inside the scroll area scrolled it."""
    window.resize(1280, 720)
    window.set_zoom(1.75)
    try:
        bar = window.config.findChild(QScrollArea, "configScroll").verticalScrollBar()
        qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)  # the zoomed layout does scroll at this size
        bar.setValue(bar.maximum())
        tab_to(qtbot, window.config.familyCombo, window.tabs.tabBar(), limit=5)  # (past the tabs' scroll arrows)
        assert bar.value() == 0
        assert window.focusRing.isVisible() and window.focusRing.geometry() == _around(window, window.config.familyCombo)
        window.playButton.setFocus()
        _tab(qtbot, back=True)
        last = QApplication.focusWidget()
        assert last is window.config.sliders["train.warmup_steps"].slider and bar.value() > 0
        assert window.focusRing.isVisible() and window.focusRing.geometry() == _around(window, last)
    finally:
        window.set_zoom(1.0)


def test_the_tab_bars_scroll_arrows_are_no_tab_stops(window, qtbot):
    """QA: at 175 % the centre's tabs overflow, and their scroll arrows were two Tab stops after the bar (Left and
    Right on the ringed bar reach every tab)."""
    bar = window.tabs.tabBar()
    bar.setUsesScrollButtons(True)  # (as in Fusion): the arrows show where the tabs do not fit
    window.tabs.setMinimumWidth(0)
    window.tabs.resize(bar.tabRect(0).width() * 2, window.tabs.height())
    arrows = [b for b in bar.findChildren(QToolButton) if b.isVisible()]
    assert len(arrows) == 2  # the tabs overflow
    bar.setFocus()
    for back in (False, True):
        _tab(qtbot, back=back)
        assert QApplication.focusWidget() not in arrows
        bar.setFocus()


def test_tab_reaches_each_tab_bar_before_the_page_below_it(window, qtbot):
    """QA: Tab went through the shown page (the attention grid, the samples' prompt...) before the tab bar above it,
    and through the Inside page's views before its own bar: a keyboard user walked the page to change it."""
    tabs, bar = window.tabs, window.tabs.tabBar()
    shown = [tabs.widget(i) for i in range(tabs.count()) if tabs.isTabVisible(i)]
    assert len(shown) >= 5
    for page in shown:
        tabs.setCurrentWidget(page)
        window.loss.logCheck.setFocus()  # the last control above the tabs
        _tab(qtbot)
        assert QApplication.focusWidget() is bar, page.objectName()
        _tab(qtbot)
        below = QApplication.focusWidget()
        stops = [w for w in page.findChildren(QWidget) if w.isVisible() and w.isEnabled()
                 and w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.focusProxy() is None]
        assert page.isAncestorOf(below) if stops else below is window.config.familyCombo, page.objectName()
        _tab(qtbot, back=True)
        assert QApplication.focusWidget() is bar, page.objectName()
    tabs.setCurrentWidget(window.inside)
    window.inside.headCombo.setFocus()  # the last of the input row above the Inside views' own tabs
    _tab(qtbot)
    assert QApplication.focusWidget() is window.inside.tabs.tabBar()
    _tab(qtbot)
    assert window.inside.tabs.currentWidget().isAncestorOf(QApplication.focusWidget())
    _tab(qtbot, back=True)
    assert QApplication.focusWidget() is window.inside.tabs.tabBar()
