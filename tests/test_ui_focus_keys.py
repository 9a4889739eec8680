"""Space and Right train from anywhere in the window, except where Tab put the focus on a control that needs the key
itself: Space presses a tabbed-to button or ticks a box, Right moves along a tabbed-to tab bar or table. A control
focused by a click keeps nothing (Space after a click on a box still plays) but the attention grid, whose arrows choose a
head however it was focused."""

import pytest
from conftest import TINY_SENTIMENT, tab_to
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QDialog, QTabBar, QTableWidget
from shiboken6 import isValid
from test_ui_runs import fake_run

from playground.core.spec import make_spec

pytestmark = pytest.mark.gui


@pytest.fixture
def window(open_active_window):
    return open_active_window(make_spec(TINY_SENTIMENT))


def _untrained(window) -> bool:
    """No step asked for: no run was even made (a step in flight would show later)."""
    return window.worker is None


def test_space_ticks_a_tabbed_to_box_instead_of_playing(window, qtbot):
    box = window.loss.logCheck
    tab_to(qtbot, box, window.playButton)
    ticked = box.isChecked()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked() != ticked
    assert window.playButton.text() == "Play" and _untrained(window)


def test_space_after_a_click_on_a_box_still_plays(window, qtbot):
    """Review: a click focuses a check box too; then Space ticked it instead of playing (a mouse user's habit)."""
    box = window.loss.logCheck
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().center())
    assert QApplication.focusWidget() is box
    ticked = box.isChecked()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked() == ticked and window.playButton.text() == "Pause"
    window.pause()


def test_space_presses_a_tabbed_to_step_button(window, qtbot):
    tab_to(qtbot, window.stepButton, window.playButton)
    steps = []
    window.stepButton.clicked.connect(lambda: steps.append(1))
    qtbot.keyClick(window.stepButton, Qt.Key.Key_Space)  # Step, not Play
    assert steps == [1] and window.playButton.text() == "Play"


def test_right_moves_along_a_tabbed_to_tab_bar(window, qtbot):
    bar = window.tabs.findChild(QTabBar)
    tab_to(qtbot, bar, window.playButton)
    before = window.tabs.currentIndex()
    qtbot.keyClick(bar, Qt.Key.Key_Right)
    assert window.tabs.currentIndex() != before and _untrained(window)


def test_space_still_plays_with_a_slider_focused(window, qtbot):
    slider = window.config.sliders["model.n_embd"].slider
    tab_to(qtbot, slider, window.config.familyCombo)
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
    tab_to(qtbot, table, window.tabs.findChild(QTabBar))
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_Right)
    assert table.currentColumn() == 1 and _untrained(window)
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table


def test_right_moves_a_tabbed_to_slider_as_left_does(window, qtbot):
    """Review: on a slider Left moved it and Right trained a step; tabbed to, both arrows move it (clicked, Right
    still steps: test_right_trains_one_step_even_with_a_slider_focused)."""
    slider = window.config.sliders["model.n_head"].slider
    tab_to(qtbot, slider, window.config.familyCombo)
    before = slider.value()
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert slider.value() > before and _untrained(window)
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    assert slider.value() == before


def test_a_button_disabled_under_the_ring_passes_no_ring_on(window, qtbot):
    """QA: at a lesson's last step Next is disabled; Qt moved the focus to Leave and ringed it, so the next Space
    left the lesson and rebuilt the model."""
    tab_to(qtbot, window.stepButton, window.playButton)
    assert window.focusRing.target is window.stepButton
    window.stepButton.setEnabled(False)  # as a lesson's Next at its last step
    assert QApplication.focusWidget() is not window.stepButton
    assert window.focusRing.target is None
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)  # the window's key again: play, not a press
    assert window.playButton.text() == "Pause"
    window.pause()


def test_the_ring_comes_back_after_a_dialog_or_a_menu(window, qtbot):
    """QA: after F1 then Escape the tabbed-to slider had the focus again but no ring, so Left changed it unseen."""
    slider = window.config.sliders["train.warmup_steps"].slider
    tab_to(qtbot, slider, window.config.sliders["train.max_steps"].slider)
    window.shortcutsAction.trigger()
    box = window.findChild(QDialog, "shortcutsDialog")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not slider)
    assert not window.focusRing.isVisible()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not isValid(box))  # closed and deleted
    window.activateWindow()  # as a window manager does when the dialog goes (the offscreen platform has none)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is slider)
    assert window.focusRing.target is slider and window.focusRing.isVisible()


def test_tab_leaves_every_table(window):
    """QA: Try it's "heads changed most" table still trapped Tab after the Runs table's fix."""
    tables = window.findChildren(QTableWidget)
    assert len(tables) >= 3  # Runs, roles, Try it's
    assert [t.objectName() for t in tables if t.tabKeyNavigation()] == []


def test_arrows_choose_a_head_in_a_tabbed_to_attention_grid(open_active_window, qtbot):
    """QA: the grid was a Tab stop that no key did anything in ("click a head to enlarge it")."""
    window = open_active_window(make_spec({**TINY_SENTIMENT, "model": {**TINY_SENTIMENT["model"], "n_layer": 2}}))
    window.step_once()
    grid = window.attentionGrid
    qtbot.waitUntil(lambda: grid.snapshot is not None, timeout=60_000)
    tab_to(qtbot, grid, window.loss.logCheck)
    grid.select(0, 0)
    steps = []
    window.stepAction.triggered.connect(lambda: steps.append(1))
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert grid.selected == (0, 1) and steps == []  # a head, not a training step
    grid.sigHover.emit(grid.describe(0, 0, 1, 2))  # the last cell the pointer read, in another head
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    assert grid.selected == (1, 1)
    assert (window.attention.detail.layer, window.attention.detail.head) == (1, 1)  # the large view follows
    assert window.attention.hover.text() == "layer 2 · head 2: hover it to read a weight"  # not the other's cell
    qtbot.keyClick(grid, Qt.Key.Key_Left)
    qtbot.keyClick(grid, Qt.Key.Key_Left)  # stays at the edge
    assert grid.selected == (1, 0)


def test_the_arrows_read_the_enlarged_heads_weights_cell_by_cell(open_active_window, qtbot):
    """Review (sessions 34-35): the enlarged head's weights could be read only by hovering them. Tabbed to, its arrows
    walk an outlined cell and the read-out line gives its weight; Right reads the next key, it trains no step."""
    window = open_active_window(make_spec(TINY_SENTIMENT))
    window.step_once()
    detail = window.attention.detail
    qtbot.waitUntil(lambda: detail.snapshot is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not window.worker.stepping, timeout=60_000)
    tab_to(qtbot, detail.plot, window.loss.logCheck)
    assert window.focusRing.target is detail.plot and detail.cellMark.isVisible()
    steps = []
    window.stepAction.triggered.connect(lambda: steps.append(1))
    weights, labels = detail.snapshot.weights[detail.layer, detail.head], detail.snapshot.labels
    qtbot.keyClick(detail.plot, Qt.Key.Key_Right)
    qtbot.keyClick(detail.plot, Qt.Key.Key_Down)
    qtbot.keyClick(detail.plot, Qt.Key.Key_Down)
    assert steps == [] and detail.cell == (2, 1)
    assert detail.readout.text() == (f"query '{labels[2]}' (#2) → key '{labels[1]}' (#1): weight {weights[2, 1]:.3f}")
    assert detail.cellMark.rect().getRect() == (1, 2, 1, 1)  # x: the key's column, y: the query's row
    for _ in range(3):
        qtbot.keyClick(detail.plot, Qt.Key.Key_Left)  # stays at the edge
    assert detail.cell == (2, 0)
    tab_to(qtbot, window.playButton, detail.plot)
    assert not detail.cellMark.isVisible()  # outlined only while the arrows read it
    # Clicked, the arrows go on from the cell clicked.
    centre = detail.plot.getPlotItem().vb.mapViewToScene(QPointF(3.5, 1.5))  # key 3, query 1
    qtbot.mouseClick(detail.plot.viewport(), Qt.MouseButton.LeftButton, pos=detail.plot.mapFromScene(centre))
    qtbot.keyClick(detail.plot, Qt.Key.Key_Right)
    assert detail.cell == (1, 4) and steps == [] and detail.readout.text().endswith(f"weight {weights[1, 4]:.3f}")
    # Zoomed in, the view follows the cell the arrows walk to (review: they walked out of sight)
    vb = detail.plot.getPlotItem().vb
    vb.setRange(xRange=(0, 5), yRange=(0, 5), padding=0)
    assert len(labels) >= 7  # (the probe sentence's tokens: the last key is out of this view)
    for _ in range(2):
        qtbot.keyClick(detail.plot, Qt.Key.Key_Right)
    (x0, x1), _ = vb.viewRange()
    assert detail.cell == (1, 6) and x0 <= 6 and 7 <= x1 + 1e-6
    # The pointer's cell stays on the line as the next snapshot comes (review: the arrows' cell took it back)
    detail._on_move(vb.mapViewToScene(QPointF(6.5, 2.5)))
    hovered = detail.readout.text()
    detail.show_head(detail.snapshot, detail.layer, detail.head)
    assert detail.readout.text() == hovered and "(#2)" in hovered
    from dataclasses import replace

    later = replace(detail.snapshot, weights=detail.snapshot.weights * 0 + 0.125)  # ... read again from the new one
    detail.show_head(later, detail.layer, detail.head)
    assert detail.readout.text().endswith("(#6): weight 0.125")
    # Focused by a click, the view stays where it is: the click's cell is the one under the pointer (review)
    tab_to(qtbot, window.playButton, detail.plot)
    vb.setRange(xRange=(0, 4), yRange=(0, 4), padding=0)
    before = vb.viewRange()
    centre = vb.mapViewToScene(QPointF(1.5, 1.5))
    qtbot.mouseClick(detail.plot.viewport(), Qt.MouseButton.LeftButton, pos=detail.plot.mapFromScene(centre))
    assert vb.viewRange() == before and detail.cell == (1, 1)


def test_a_clicked_attention_grid_keeps_right_for_its_heads(open_active_window, qtbot):
    """QA (lesson 19.3, "click a head to enlarge it"): after the click Left, Up and Down chose a head, Right trained."""
    window = open_active_window(make_spec({**TINY_SENTIMENT, "model": {**TINY_SENTIMENT["model"], "n_layer": 2}}))
    window.step_once()
    grid = window.attentionGrid
    qtbot.waitUntil(lambda: grid.snapshot is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not window.worker.stepping, timeout=60_000)
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.tile_rect(0, 0).center())
    assert grid.selected == (0, 0) and QApplication.focusWidget() is grid and window.focusRing.target is None
    steps = []
    window.stepAction.triggered.connect(lambda: steps.append(1))
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert grid.selected == (0, 1) and steps == []
    qtbot.keyClick(grid, Qt.Key.Key_Space)  # Space still plays
    assert window.playButton.text() == "Pause"
    window.pause()


def test_tab_reaches_the_lesson_bar_before_the_settings_below_it(open_active_window, qtbot):
    """QA: the lesson's buttons came last in the Tab order, after the tabs' pages. They stand above the settings:
    Tab reaches them just before the settings (review: after the settings, focus jumped back up the column)."""
    from playground.core.presets import load_preset

    window = open_active_window(load_preset("lesson-19.4-encoder-block"))
    window.lessonBar.play()
    bar = window.lessonBar
    tab_to(qtbot, bar.nextButton, window.playButton)
    qtbot.keyClick(bar.nextButton, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is bar.leaveButton
    qtbot.keyClick(bar.leaveButton, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.config.familyCombo


def test_a_click_on_a_ringed_table_takes_its_keys_back(window, qtbot, tmp_path):
    """QA: a click lands on the table's viewport, which the ring did not watch: the ring stayed, and the table kept
    Space and Right."""
    fake_run(tmp_path / "runs", "a run", [2.0, 1.5])
    panel = window.runTools.runs
    window.tabs.setCurrentWidget(panel)
    panel.refresh()
    tab_to(qtbot, panel.table, window.tabs.findChild(QTabBar))
    assert window.focusRing.target is panel.table
    cell = panel.table.visualItemRect(panel.table.item(0, 0)).center()
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    assert window.focusRing.target is None and not window.focusRing.isVisible()
    qtbot.keyClick(panel.table, Qt.Key.Key_Space)
    assert window.playButton.text() == "Pause"
    window.pause()
    tab_to(qtbot, panel.table, window.tabs.findChild(QTabBar))
    header = panel.table.horizontalHeader()  # review: a click on the header too
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.rect().center())
    assert window.focusRing.target is None


def test_an_empty_ringed_grid_leaves_right_to_the_step(window, qtbot):
    """QA: before the first step the ringed grid took Right and did nothing, though its placeholder says Step (→)."""
    tab_to(qtbot, window.attentionGrid, window.loss.logCheck)
    steps = []
    window.stepAction.triggered.connect(lambda: steps.append(1))
    qtbot.keyClick(window.attentionGrid, Qt.Key.Key_Right)
    assert steps == [1]


def test_the_keypads_arrows_count(window, qtbot):
    """Review: a keypad arrow carries KeypadModifier (every arrow does on macOS): a ringed slider let it train."""
    slider = window.config.sliders["model.n_head"].slider
    tab_to(qtbot, slider, window.config.familyCombo)
    before = slider.value()
    qtbot.keyClick(slider, Qt.Key.Key_Right, Qt.KeyboardModifier.KeypadModifier)
    assert slider.value() > before and _untrained(window)


def test_space_in_a_number_box_plays(open_active_window, qtbot):
    """QA: Space on a dataset's number box blanked it ("auto (12)" gone) instead of playing."""
    window = open_active_window(make_spec({**TINY_SENTIMENT, "data": {"name": "reverse"}}))
    box = next(iter(window.config.dataOptions.controls.values()))
    shown = box.text()
    tab_to(qtbot, box, window.config.datasetCombo)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.text() == shown and window.playButton.text() == "Pause"
    window.pause()


def test_no_ring_in_another_window_and_a_first_tab_rings(window, qtbot):
    """Review: disabling the focused button while a dialog was open ringed a widget of the dialog, drawn in the main
    window; and with no focus at all, the first Tab rang nothing."""
    tab_to(qtbot, window.stepButton, window.playButton)
    window.shortcutsAction.trigger()
    box = window.findChild(QDialog, "shortcutsDialog")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not window.stepButton)
    window.stepButton.setEnabled(False)
    assert window.focusRing.target is None and not window.focusRing.isVisible()
    box.close()
    window.stepButton.setEnabled(True)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    if QApplication.focusWidget() is not None:
        QApplication.focusWidget().clearFocus()
    qtbot.keyClick(window, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not None and window.focusRing.target is QApplication.focusWidget()


def test_the_ring_comes_back_after_a_menu(window, qtbot):
    """Review: the menu bar's case was untested."""
    slider = window.config.sliders["train.warmup_steps"].slider
    tab_to(qtbot, slider, window.config.sliders["train.max_steps"].slider)
    bar = window.menuBar()
    bar.setFocus(Qt.FocusReason.ShortcutFocusReason)  # as Alt does
    assert not window.focusRing.isVisible()
    slider.setFocus(Qt.FocusReason.OtherFocusReason)  # as Escape gives it back
    assert window.focusRing.target is slider and window.focusRing.isVisible()


def test_a_lesson_step_that_switches_tabs_leaves_no_text_box_taking_space(open_active_window, qtbot, monkeypatch):
    """QA: lesson 19.6's step 2 (Samples) put the focus in the prompt box, and Space typed a space instead of
    playing."""
    from test_ui_lessons import TINY as TINY_DECODER

    monkeypatch.setenv("PLAYGROUND_COMPILE", "off")
    lesson = {"title": "Samples", "steps": [{"text": "the grid", "tab": "attention"},
                                            {"text": "the samples", "tab": "samples"}]}
    window = open_active_window(make_spec({**TINY_DECODER, "lesson": lesson}))
    window.lessonBar.train_cap = 0
    window.tabs.findChild(QTabBar).setFocus()  # on the Attention page's side: the switch hands the focus on
    window.attention.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # Next
    assert window.lessonBar.index == 1 and window.tabs.currentWidget() is window.samples
    assert QApplication.focusWidget() is not window.samples.promptEdit
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Space)
    assert window.samples.promptEdit.text() == "" and window.playButton.text() == "Pause"
    window.pause()


def test_a_clickers_page_down_without_a_lesson_changes_no_setting_and_says_why(window, qtbot, tmp_path):
    """Lecturer QA: with no lesson playing, a clicker's Page Down paged the slider in focus (embedding dimension 64 ->
    8) and rebuilt the trained model."""
    from playground.ui.lesson_bar import NO_LESSON

    assert not window.lessonBar.playing
    worker = window.ensure_worker()
    for widget in (window.config.sliders["model.n_embd"].slider, window.config.familyCombo):
        before = window.spec
        widget.setFocus()
        for key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
            qtbot.keyClick(widget, key)
            assert window.spec == before and window.worker is worker
            assert window.statusBar().currentMessage() == NO_LESSON
    # Outside the settings the keys page as usual (review: the Runs table no longer paged)
    root = tmp_path / "runs"  # conftest points PLAYGROUND_RUNS_DIR here
    for i in range(40):
        fake_run(root, f"run {i:02}", [2.0, 1.5])
    panel = window.runTools.runs
    window.tabs.setCurrentWidget(panel)
    panel.refresh()
    panel.table.setFocus()
    panel.table.setCurrentCell(0, 0)
    window.statusBar().clearMessage()
    qtbot.keyClick(panel.table, Qt.Key.Key_PageDown)
    assert panel.table.currentRow() > 1 and window.statusBar().currentMessage() != NO_LESSON


def test_ctrl_tab_switches_the_views_tabs_from_the_settings(window, qtbot):
    """QA: no key switched the tabs while the focus was in the settings (Ctrl+Tab works only inside a tab widget)."""
    tabs = window.tabs
    shown = [i for i in range(tabs.count()) if tabs.isTabVisible(i)]
    window.config.familyCombo.setFocus()
    tabs.setCurrentIndex(shown[0])
    qtbot.keyClick(window.config.familyCombo, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == shown[1]
    qtbot.keyClick(window.config.familyCombo, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == shown[0]
    tabs.setCurrentIndex(shown[-1])
    qtbot.keyClick(window.config.familyCombo, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == shown[0] and _untrained(window)  # round the end; no step trained


def test_the_unsaved_changes_question_answers_to_alt_d(qtbot):
    from PySide6.QtWidgets import QMessageBox

    from playground.ui.main_window import unsaved_question

    box = unsaved_question(None, "The preset “mine.json” has unsaved changes. Save them?")
    qtbot.addWidget(box)
    assert [b.text() for b in box.buttons() if box.buttonRole(b) != QMessageBox.ButtonRole.RejectRole] \
        in (["&Save", "&Discard"], ["&Discard", "&Save"])
    box.show()
    with qtbot.waitActive(box):
        box.activateWindow()
    qtbot.keyClick(QApplication.focusWidget() or box, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: box.clickedButton() is not None)  # (a mnemonic clicks as an animation)
    assert box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Discard


def test_a_preset_that_switches_tabs_leaves_no_text_box_taking_space(open_active_window, qtbot):
    """QA: Presets > vit-digits after a click on the attention grid put the focus in Inside attention's Input box
    (the ViT's views open there): Space typed a space into it and nothing trained."""
    from playground.core.presets import PRESETS_DIR, load_preset

    window = open_active_window(load_preset("decoder-pydoc"))
    window.attentionGrid.setFocus(Qt.FocusReason.MouseFocusReason)  # as a click on it does
    assert window.open_preset(str(PRESETS_DIR / "vit-digits.json"))
    assert window.tabs.currentWidget() is window.inside
    box = window.inside.inputEdit
    shown = box.text()
    assert QApplication.focusWidget() is window.tabs.tabBar()  # Tab walks on into the page from there (review)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert box.text() == shown and window.playButton.text() == "Pause"
    window.pause()


def test_a_tab_hidden_under_a_text_box_leaves_no_text_box_taking_space(open_active_window, qtbot):
    """Review: with the focus in Samples' prompt, Presets > vit-digits hid the Samples tab, and Qt put the focus in
    Inside attention's Input box without a call the window makes."""
    from playground.core.presets import PRESETS_DIR, load_preset

    window = open_active_window(load_preset("decoder-pydoc"))
    window.tabs.setCurrentWidget(window.samples)
    window.samples.promptEdit.setFocus(Qt.FocusReason.MouseFocusReason)
    assert window.open_preset(str(PRESETS_DIR / "vit-digits.json"))
    box = window.inside.inputEdit
    shown = box.text()
    assert QApplication.focusWidget() is not box
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Space)
    assert box.text() == shown and window.playButton.text() == "Pause"
    window.pause()


def test_enter_in_inside_attentions_input_box_gives_the_keys_back_to_the_window(open_active_window, qtbot):
    """Lecturer QA: lesson 19.2 says "type your own sentence in the Input box and press Enter"; after it, Space typed a
    space (not Play), Right moved the cursor and Ctrl+Z took the sentence back beside the figure drawn from it."""
    from playground.core.presets import load_preset

    window = open_active_window(load_preset("decoder-pydoc"))
    window.tabs.setCurrentWidget(window.inside)
    box = window.inside.inputEdit
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(box, "def f(x):")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is window.inside.tabs.tabBar()
    assert window.focusRing.target is None  # focused for the window's keys, not tabbed to: no ring, no keys of its own
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert box.text() == "def f(x):" and window.playButton.text() == "Pause"
    window.pause()
    box.setFocus()
    box.setText("snow ☃")  # a character the model has never seen: refused, the box gets the focus back to mend it
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Could not show" in window.inside.status.text(), timeout=30_000)
    assert QApplication.focusWidget() is box and box.selectedText() == "snow ☃"


def test_undo_in_a_box_with_no_typing_to_take_back_is_the_windows(open_active_window, qtbot):
    """Keyboard QA: Ctrl+Z in the Sequence length box did nothing (its line edit took the key, with no typing to undo)
    while the status bar said "Undo (Ctrl+Z) brings back the trained model"."""
    from playground.core.presets import load_preset

    window = open_active_window(load_preset("decoder-reverse"))
    box = window.findChild(QAbstractSpinBox, "dataOption:length")
    box.setFocus()
    assert QApplication.focusWidget() is not None and box.isAncestorOf(QApplication.focusWidget())
    window.undoAction.setEnabled(True)  # as a replaced trained model makes it (what it brings back is not this test's)
    undone = []
    window.undoAction.triggered.connect(lambda: undone.append(True))
    qtbot.keyClick(box, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert undone == [True] and window.statusBar().currentMessage() == "Nothing to undo."  # the window's Undo
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "5")  # typing not yet taken: Ctrl+Z takes it back, in the box
    qtbot.keyClick(box, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert box.lineEdit().text() != "5" and undone == [True]
    window.tabs.setCurrentWidget(window.samples)  # a text box: the same (review)
    window.undoAction.setEnabled(True)  # (the Undo above found nothing to bring back, and greyed it)
    prompt = window.samples.promptEdit
    prompt.setFocus()
    qtbot.keyClick(prompt, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert undone == [True, True]
    qtbot.keyClicks(prompt, "to be")
    qtbot.keyClick(prompt, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert prompt.text() == "" and undone == [True, True]


def test_at_launch_no_setting_has_the_focus_and_the_first_tab_rings_the_first(window, qtbot):
    """Keyboard QA: at launch the Family box had the focus, unringed, and Down changed the model to a ViT."""
    family = window.findChild(QComboBox, "familyCombo")
    assert QApplication.focusWidget() is window
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert window.spec.model.family == make_spec(TINY_SENTIMENT).model.family
    qtbot.keyClick(window, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is family and window.focusRing.target is family
    assert window.focusRing.isVisible()


def test_a_questions_focused_button_is_ringed_so_a_projector_shows_it(qtbot):
    """Keyboard QA: in Save / Discard / Cancel the focused button had a faint 1-px line, lost on a projector."""
    from PySide6.QtWidgets import QMessageBox

    from playground.ui.main_window import unsaved_question

    box = unsaved_question(None, "The preset “my.json” has unsaved changes. Save them?")
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    buttons = QMessageBox.StandardButton
    sizes = {name: box.button(name).size() for name in (buttons.Save, buttons.Discard)}

    def ring(button) -> list:  # the colours 0-2 px in from the button's left edge, half-way down
        image = button.grab().toImage()
        return [image.pixelColor(x, image.height() // 2).name() for x in range(3)]

    highlight = box.palette().highlight().color().name()
    box.button(buttons.Discard).setFocus()
    qtbot.waitUntil(lambda: box.button(buttons.Discard).hasFocus())
    assert ring(box.button(buttons.Discard)) == [highlight] * 3 and highlight not in ring(box.button(buttons.Save))
    assert {name: box.button(name).size() for name in sizes} == sizes  # nothing moves as the focus does
