"""Compare A/B in the window (issue 24): the action opens B as a copy of A, a changed B trains beside A, live."""

import re
import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSlider

from playground.core.spec import make_spec
from playground.training.events import MetricsEvent
from playground.training.session import TrainingSession

TINY = make_spec({
    "name": "tiny-reverse",
    "model": {"family": "encoder", "n_embd": 16, "n_head": 2, "n_layer": 1, "d_ff": 32, "block_size": 8},
    "data": {"name": "reverse"},
    "train": {"batch_size": 4, "warmup_steps": 1, "max_steps": 4, "eval_interval": 2, "eval_batches": 1,
              "device": "cpu", "compile": "off", "snapshot_interval": 2},
})


@pytest.mark.slow
def test_compare_trains_a_changed_copy_beside_a_and_closing_stops_both(open_window, qtbot):
    window = open_window(TINY)
    assert window.compareAction.shortcut().toString() == "Ctrl+B"
    assert "same start" in window.compareAction.toolTip()
    window.compareAction.trigger()
    compare = window.compareWindow
    qtbot.waitExposed(compare)
    assert compare.spec_b.model == TINY.model and compare.spec_b.train == TINY.train  # B starts as A's copy

    compare.findChild(QSlider, "layersSlider").setValue(2)  # B: one layer more
    assert compare.legend_labels() == ("A: number of layers 1", "B: number of layers 2")
    compare.playButton.click()
    qtbot.waitUntil(lambda: compare.workers and all(w.done for w in compare.workers), timeout=60_000)
    qtbot.waitUntil(lambda: all(train.n == 4 for train, _ in compare.series), timeout=5_000)

    legend = compare.lossPlot.getPlotItem().legend
    assert [label.text for _, label in legend.items] == ["A: number of layers 1", "B: number of layers 2"]
    a_steps, a_losses = compare.curves[0].getData()
    b_steps, b_losses = compare.curves[1].getData()
    assert list(a_steps) == list(b_steps) == [1, 2, 3, 4] and list(a_losses) != list(b_losses)
    assert [len(view.grid.views) for view in compare.sides] == [1, 2]  # A's one layer, B's two, side by side
    assert [view.title.full for view in compare.sides] == ["A: number of layers 1", "B: number of layers 2"]
    assert all(view.grid.isVisible() for view in compare.sides)
    assert "number of layers 1 → 2" in compare.differenceLabel.text()
    assert "weight tensors shared" in compare.sharedLabel.text() and "blocks.1.* (16)" in compare.sharedLabel.text()

    compare.findChild(QSlider, "stepsSlider").setValue(compare.findChild(QSlider, "stepsSlider").maximum())
    assert not compare.workers and all(train.n == 0 for train, _ in compare.series)  # a change starts again
    compare.playButton.click()
    qtbot.waitUntil(lambda: all(w.step > 0 for w in compare.workers), timeout=60_000)
    running = list(compare.workers)
    window.close()  # mid-training: the compare window stops both threads, the main window waits for them
    assert all(w.isFinished() for w in running) and not compare.isVisible()


@pytest.mark.slow
def test_identical_settings_with_dropout_draw_identical_curves_on_the_two_threads(open_window, qtbot):
    spec = TINY.updated({"model.dropout": 0.3, "train.max_steps": 8})
    window = open_window(spec)
    window.compareAction.trigger()
    compare = window.compareWindow
    assert compare.spec_b.model.dropout == 0.3  # B is A's copy, dropout included
    compare.playButton.click()
    qtbot.waitUntil(lambda: compare.workers and all(w.done for w in compare.workers), timeout=60_000)
    qtbot.waitUntil(lambda: all(train.n == 8 for train, _ in compare.series), timeout=5_000)
    (a_steps, a_losses), (b_steps, b_losses) = (curve.getData() for curve in compare.curves)
    assert list(a_steps) == list(b_steps) == list(range(1, 9))
    assert list(a_losses) == list(b_losses)  # each thread drew its own dropout masks: the same ones
    alone = TrainingSession(spec).run()
    assert [e.train_loss for e in alone if isinstance(e, MetricsEvent)] == list(a_losses)  # the curve A draws alone


@pytest.mark.slow
def test_closing_compare_does_not_wait_for_a_step_under_way_and_the_main_window_keeps_its_threads(
        open_window, qtbot, monkeypatch):
    """A step can take seconds (a big model, or loading a compiled step): closing Compare A/B must not freeze the
    window meanwhile. The main window keeps the stopping threads alive, and waits for them when it closes."""
    entered, release = threading.Event(), threading.Event()
    train_step = TrainingSession.train_step

    def slow_after_the_first(session):
        if session.step >= 1:
            entered.set()
            assert release.wait(60)  # the step under way when Compare closes
        return train_step(session)

    monkeypatch.setattr(TrainingSession, "train_step", slow_after_the_first)
    window = open_window(TINY.updated({"train.max_steps": 50}))
    window.compareAction.trigger()
    compare = window.compareWindow
    compare.playButton.click()
    qtbot.waitUntil(entered.is_set, timeout=60_000)
    running = list(compare.workers)

    try:
        compare.close()  # returns while a step is under way (the old close waited here until the gate opened)
        assert not compare.isVisible() and not release.is_set()
        assert any(w.isRunning() for w in running) and set(compare.running()) == set(running)

        window.compareAction.trigger()  # a new comparison: the main window keeps the old one's threads
        assert window.compareWindow is not compare and set(running) <= set(window.unfinished_threads)
    finally:
        release.set()
    window.close()
    assert all(w.isFinished() for w in running)


@pytest.mark.slow
def test_pause_stops_a_and_b_at_the_same_step(open_window, qtbot, monkeypatch):
    """QA: B, slower, paused 2 steps behind A, where the two curves are to be read side by side."""
    train_step = TrainingSession.train_step

    def slower_b(session):
        if session.spec.model.n_layer == 2:
            time.sleep(0.05)
        return train_step(session)

    monkeypatch.setattr(TrainingSession, "train_step", slower_b)
    window = open_window(TINY.updated({"train.max_steps": 500}))
    window.compareAction.trigger()
    compare = window.compareWindow
    with qtbot.waitActive(compare):
        compare.activateWindow()
    compare.findChild(QSlider, "layersSlider").setValue(2)
    compare.playButton.click()
    qtbot.waitUntil(lambda: compare.workers and compare.workers[0].step - compare.workers[1].step >= 3,
                    timeout=60_000)
    qtbot.keyClick(compare, Qt.Key.Key_Space)  # pause
    a, b = compare.workers

    def shown_steps() -> list[str]:  # "A: step 12 / 500   B: step 12 / 500"
        return re.findall(r"step ([\d,]+)", compare.stepLabel.text())

    qtbot.waitUntil(lambda: a.idle and b.idle and not a.stepping and not b.stepping and a.step == b.step,
                    timeout=30_000)
    qtbot.waitUntil(lambda: len(set(shown_steps())) == 1, timeout=5_000)
    # the label comes from the workers' steps; the curves from their buffers, pulled at the next refresh
    qtbot.waitUntil(lambda: compare.curves[0].getData()[0][-1] == compare.curves[1].getData()[0][-1] == a.step,
                    timeout=5_000)
    qtbot.wait(500)  # nothing more comes
    assert len(set(shown_steps())) == 1 and a.step == b.step and not a.playing and not b.playing
    assert compare.curves[0].getData()[0][-1] == compare.curves[1].getData()[0][-1] == a.step  # the curves end together
    compare.close()


@pytest.mark.slow
def test_compare_answers_the_main_windows_keys_and_closes_with_escape(open_window, qtbot):
    """The grids' hint says "Press Play (Space) or Step (→)", but no key did anything here, and neither Escape
    nor Ctrl+W closed the window. Its empty plot showed made-up steps 0.1 to 0.9."""
    window = open_window(TINY.updated({"train.max_steps": 50}))
    window.compareAction.trigger()
    compare = window.compareWindow
    with qtbot.waitActive(compare):
        compare.activateWindow()
    axis = compare.lossPlot.getPlotItem().getAxis("bottom")
    assert not axis.style["showValues"]
    qtbot.keyClick(compare, Qt.Key.Key_Right)  # one step each
    qtbot.waitUntil(lambda: all(train.n == 1 for train, _ in compare.series), timeout=60_000)
    assert axis.style["showValues"] and not compare._playing
    # QA: one point each drew nothing, on steps 0.5 to 1.5; the main plot's dots and its frame from step 0 to 10
    assert all(curve.opts["symbol"] == "o" for curve in compare.curves)
    a_dot, b_dot = (curve.opts["symbolSize"] for curve in compare.curves)
    assert a_dot > b_dot  # A's shows around B's: from the same start, the first losses are the same point
    steps = compare.lossPlot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: steps.viewRange()[0][0] <= 0.0 and steps.viewRange()[0][1] >= 10.0, timeout=5000)
    qtbot.keyClick(compare, Qt.Key.Key_Space)
    assert compare._playing and compare.playButton.text() == "Pause"
    qtbot.keyClick(compare, Qt.Key.Key_Space)
    assert not compare._playing
    qtbot.keyClick(compare, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert not compare.workers and not axis.style["showValues"]  # restarted: empty again
    qtbot.keyClick(compare, Qt.Key.Key_Escape)
    assert not compare.isVisible()
    window.compareAction.trigger()
    again = window.compareWindow
    with qtbot.waitActive(again):
        again.activateWindow()
    qtbot.keyClick(again, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert not again.isVisible()


def test_bs_settings_are_as_wide_as_the_main_windows_in_presentation_mode(open_window, qtbot):
    """QA: at 130 % B's panel kept 310 px, and its values and the Family box were cut off."""
    window = open_window(TINY)
    window.set_zoom(1.3)
    try:
        window.compareAction.trigger()
        compare = window.compareWindow
        assert compare.config.minimumWidth() == window.config.minimumWidth() > 310
        from playground.ui.plotting import point_size

        names = [label for _sample, label in compare.lossPlot.getPlotItem().legend.items]
        assert [label.opts["size"] for label in names] == [f"{point_size():.1f}pt"] * 2  # the legend zooms too
        compare.close()
    finally:
        window.set_zoom(1.0)


@pytest.mark.slow
def test_space_on_the_tabbed_to_step_button_steps_once(open_window, qtbot):
    """QA: Space was window-wide, so on the focused Step button it played instead of pressing Step."""
    window = open_window(TINY.updated({"train.max_steps": 50}))
    window.compareAction.trigger()
    compare = window.compareWindow
    with qtbot.waitActive(compare):
        compare.activateWindow()
    compare.playButton.setFocus()
    qtbot.keyClick(compare.playButton, Qt.Key.Key_Tab)  # a keyboard user's way to the Step button
    assert QApplication.focusWidget() is compare.stepButton
    qtbot.keyClick(compare.stepButton, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: all(train.n == 1 for train, _ in compare.series), timeout=60_000)
    qtbot.wait(300)
    assert not compare._playing and all(train.n == 1 for train, _ in compare.series)
    compare.close()


@pytest.mark.slow
def test_closing_a_comparison_that_has_trained_asks_first_and_keeping_it_loses_nothing(open_window, qtbot,
                                                                                          monkeypatch):
    """A stray Escape at the projector closed a comparison minutes into training, and nothing of it is saved. Now
    Escape, Compare A/B on changed settings and closing the main window each ask; "keep" leaves both curves."""
    from playground.ui import compare_window

    answers, asked = [], []
    monkeypatch.setattr(compare_window, "ask_close_comparison",
                        lambda parent, step: asked.append((parent, step)) or (answers.pop(0) if answers else True))
    window = open_window(TINY.updated({"train.max_steps": 50}))
    window.compareAction.trigger()
    compare = window.compareWindow
    with qtbot.waitActive(compare):
        compare.activateWindow()
    qtbot.keyClick(compare, Qt.Key.Key_Escape)  # nothing trained yet: closes without a question
    assert not compare.isVisible() and asked == []

    window.compareAction.trigger()
    compare = window.compareWindow
    with qtbot.waitActive(compare):
        compare.activateWindow()
    qtbot.keyClick(compare, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: all(train.n == 1 for train, _ in compare.series), timeout=60_000)
    answers.append(False)
    qtbot.keyClick(compare, Qt.Key.Key_Escape)
    assert asked == [(compare, 1)] and compare.isVisible() and all(train.n == 1 for train, _ in compare.series)

    window.config.findChild(QSlider, "layersSlider").setValue(2)  # A changed: Compare A/B would start afresh
    answers.append(False)
    window.compareAction.trigger()
    assert window.compareWindow is compare and compare.isVisible() and len(asked) == 2

    answers.append(False)
    window.close()
    assert window.isVisible() and compare.isVisible() and len(asked) == 3 and compare.workers
    answers.append(True)
    window.close()
    assert not window.isVisible() and not compare.isVisible() and not compare.workers and len(asked) == 4
