"""The panels on their own, fed canned events: no training, no torch."""

import re

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QLocale, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter

from playground.training.events import AttentionSnapshot, MetricsEvent, SampleEvent
from playground.ui.attention_grid import CMAP, AttentionPanel, show_token, weight_colours
from playground.ui.loss_panel import LossPanel
from playground.ui.samples_panel import SamplesPanel


def metrics(step, loss, val=None, acc=None):
    return MetricsEvent(step=step, max_steps=100, train_loss=loss, lr=1e-3, throughput=1000.0, unit="tokens",
                        elapsed_s=step * 0.1, eta_s=(100 - step) * 0.1, val_loss=val, val_accuracy=acc)


def snapshot(layers=2, heads=3, T=5, step=10, image=None, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.random((layers, heads, T, T)).astype(np.float32)
    w = np.tril(w)
    w /= w.sum(-1, keepdims=True)
    return AttentionSnapshot(step=step, weights=w, labels=list("ab c\n")[:T] + [str(i) for i in range(T - 5)],
                             image=image, prediction="abcde"[:T])


def shown(qtbot, panel, width: int, height: int):
    """`panel` shown at width x height, closed by qtbot after the test."""
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.show()
    return panel


def test_loss_panel_plots_train_validation_and_accuracy(qtbot):
    panel = shown(qtbot, LossPanel(), 600, 300)
    panel.add_metrics([metrics(s, 3.0 - 0.01 * s) for s in range(1, 10)] + [metrics(10, 2.9, val=3.1, acc=0.2)])
    x, y = panel.trainCurve.getData()
    assert list(x) == list(range(1, 11)) and y[-1] == pytest.approx(2.9)
    assert list(panel.valCurve.getData()[0]) == [10]
    assert panel.accuracyPlot.isVisible()  # classifiers (the default) show accuracy
    panel.set_show_accuracy(False)
    assert not panel.accuracyPlot.isVisible()
    # Many batches: the buffer grows past its first size without losing points.
    panel.add_metrics([metrics(s, 1.0) for s in range(11, 700)])
    assert len(panel.trainCurve.getData()[0]) > 0 and panel.train.n == 699
    panel.logCheck.setChecked(True)
    assert panel.lossPlot.getPlotItem().ctrl.logYCheck.isChecked()
    panel.show_readout(10)
    assert "step 10" in panel.readout.text() and "val 3.1" in panel.readout.text()
    panel.clear()
    assert panel.train.n == 0 and len(panel.trainCurve.getData()[0] or []) == 0



def test_loss_frame_rounds_out_to_tick_steps_and_round_step_counts():
    from playground.ui.loss_panel import loss_frame, nice_ceiling

    assert [nice_ceiling(v) for v in (0.3, 1.0, 1.2, 2.2, 3.0, 70)] == [0.5, 1.0, 2.0, 2.5, 5.0, 100]
    x0, x1, y0, y1 = loss_frame(730, 1.43, 4.62, log_y=False)
    assert (x0, x1) == (0, 800) and (y0, y1) == pytest.approx((1.0, 5.0))
    assert loss_frame(760, 1.41, 4.62, log_y=False) == (x0, x1, y0, y1)  # more steps inside the frame: unchanged
    _, _, low, high = loss_frame(730, 1.43, 4.62, log_y=True)
    assert low <= 1.43 < 1.43 * 10**0.25 and high >= 4.62 > high / 10**0.25  # quarter decades around the data


def test_one_step_shows_a_dot_in_a_frame_a_tenth_of_its_loss_high(qtbot):
    """After a single Step the plot showed 8-digit ticks (4.59737225, 4.5973722, ...) and no point at all."""
    panel = shown(qtbot, LossPanel(), 600, 300)
    assert panel.trainCurve.opts["symbol"] is None  # no dot in the legend before any point (QA)
    panel.add_metrics([metrics(1, 4.5973722)])
    assert panel.trainCurve.opts["symbol"] == "o"  # a line through one point draws nothing
    _, _, y0, y1 = panel._frame.framed
    assert y0 < 4.5973722 < y1 and y1 - y0 >= 0.1 * 4.5973722
    axis = panel.lossPlot.getPlotItem().getAxis("left")
    qtbot.waitUntil(lambda: axis.range[1] - axis.range[0] >= 0.4)
    labels = [text for level in axis.tickValues(*axis.range, axis.height()) for text in axis.tickStrings(
        level[1], axis.autoSIPrefixScale, level[0])]
    assert labels and all(len(text) <= 4 for text in labels)  # round numbers like 4.4, 4.6
    scene, changed = panel.lossPlot.scene(), []
    qtbot.wait(50)  # (the first step's paints done)
    scene.changed.connect(changed.extend)
    panel.add_metrics([metrics(2, 4.5)])
    assert panel.trainCurve.opts["symbol"] is None
    # The legend's sample, which draws the curve's symbol, is repainted without it (QA: the dot stayed there)
    sample = next(sample for sample, label in panel.lossPlot.getPlotItem().legend.items if label.text == "train")
    qtbot.waitUntil(lambda: any(rect.intersects(sample.sceneBoundingRect()) for rect in changed))
    panel.trainCurve.show_on(QColor("#1e1e1e"))  # the dark look: recoloured, and still no dot on every point
    assert panel.trainCurve.opts["symbol"] is None


@pytest.mark.parametrize("height", [130, 300])
def test_log_axis_labels_never_overlap(qtbot, height):
    """pyqtgraph ticks a log axis at every integer multiple: at 1280x720 "0.4 0.5 ... 0.9" piled up."""
    panel = shown(qtbot, LossPanel(), 600, height)
    panel.add_metrics([metrics(s, 3.0 * 0.985 ** s, val=3.0 * 0.985 ** s if s % 50 == 0 else None)
                       for s in range(1, 251)])  # 3.0 down to 0.07
    panel.logCheck.setChecked(True)
    axis = panel.lossPlot.getPlotItem().getAxis("left")
    qtbot.waitUntil(lambda: axis.range[0] < np.log10(0.1))
    low, high = axis.range
    ticks = sorted(t for _, level in axis.tickValues(low, high, axis.height()) for t in level)
    pixels = np.diff(ticks) * axis.height() / (high - low)
    line = QFontMetrics(axis.style["tickFont"] or axis.font()).height()
    assert ticks and (pixels >= line).all()
    labels = axis.tickStrings(ticks, 1.0, None)
    if height >= 300:
        assert {"0.1", "0.2", "0.5", "1", "2"} <= set(labels)


def test_a_log_axis_zoomed_in_below_its_ticks_still_reads_round_values(qtbot):
    """Between 2.04 and 2.88 no 1-2-5 tick (nor integer multiple) falls: the axis was blank."""
    from playground.ui.loss_panel import LossAxis, log_ticks

    ticks = log_ticks(np.log10(2.04), np.log10(2.88), 200, 15)
    axis = LossAxis("left")
    assert axis.logTickStrings(ticks, 1.0, None) == ["2.25", "2.5", "2.75"]
    assert log_ticks(0.0, 1.0, 0, 15) == [] and log_ticks(1.0, 1.0, 100, 15) == []  # no axis, no range


def test_the_read_out_ends_when_the_pointer_leaves_the_plot(qtbot):
    """It stayed on screen (and in an exported PNG) after the pointer left the plot."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    panel = shown(qtbot, LossPanel(), 600, 300)
    panel.add_metrics([metrics(s, 3.0 - 0.01 * s) for s in range(1, 20)])
    panel.show_readout(10)
    assert "step 10" in panel.readout.text() and panel._cursor.isVisible()
    QApplication.sendEvent(panel.lossPlot, QEvent(QEvent.Type.Leave))
    assert "step" not in panel.readout.text() and not panel._cursor.isVisible()


def test_loss_plot_range_holds_still_until_the_curve_leaves_its_frame(qtbot):
    """Each change of the view range redraws both axes (tick text, grid) on the GUI thread: while training,
    the range follows a rounded frame, not every new point."""
    panel = shown(qtbot, LossPanel(), 600, 300)
    view = panel.lossPlot.getPlotItem().vb
    changes = []
    view.sigRangeChanged.connect(lambda *args: changes.append(view.viewRange()))

    def shown_range():
        panel.lossPlot.grab()  # auto-range is applied when the plot paints
        return view.viewRange()

    panel.add_metrics([metrics(s, 3.0 - 0.001 * s) for s in range(1, 120)])
    (left, right), (bottom, top) = shown_range()
    assert left <= 0 and 119 <= right and bottom <= 2.881 and 3.0 <= top
    before = len(changes)
    for s in range(120, 150):
        panel.add_metrics([metrics(s, 3.0 - 0.001 * s)])
        shown_range()
    assert len(changes) == before  # 30 redraws inside the frame: no range change
    panel.add_metrics([metrics(s, 1.0) for s in range(150, 400)])
    (left, right), (bottom, top) = shown_range()
    assert len(changes) > before and right >= 399 and bottom <= 1.0
    for step, diverged in ((400, float("inf")), (401, float("nan"))):  # a diverging run's last evaluations
        panel.add_metrics([metrics(step, 1.0, val=diverged)])
        (_, right), losses = shown_range()
        assert losses == [bottom, top] and right >= step  # the losses still framed by the finite values


def test_long_curves_are_drawn_with_qts_fast_one_pixel_pen(qtbot):
    """Qt's raster engine strokes a pen wider than 1 px as polygons: a 3,000-step curve at 1.5 px took 30 ms per
    paint (twice a second while training) against 1.25 ms at 1 px. Curves that grow with the run stay at 1 px."""
    panel = LossPanel()
    qtbot.addWidget(panel)
    overlay = panel.add_overlay("past run", np.arange(3000.0), np.ones(3000))
    for curve in (panel.trainCurve, overlay):
        assert pg.mkPen(curve.opts["pen"]).widthF() <= 1


def test_loss_panel_redraws_at_most_every_min_redraw_s_and_catches_up(qtbot):
    """While training the window limits redraws (each one runs Python paint code that holds the GIL);
    the points are kept and drawn at the next due redraw."""
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.min_redraw_s = 3600.0
    panel.add_metrics([metrics(1, 3.0)])  # the first batch draws at once
    panel.add_metrics([metrics(2, 2.9), metrics(3, 2.8)])
    assert list(panel.trainCurve.getData()[0]) == [1] and panel.train.n == 3
    panel.redraw_if_due()
    assert list(panel.trainCurve.getData()[0]) == [1]  # not due yet
    panel.min_redraw_s = 0.0  # what the window sets on pause or finish
    panel.redraw_if_due()
    assert list(panel.trainCurve.getData()[0]) == [1, 2, 3]
    panel.min_redraw_s = 3600.0
    panel.add_metrics([metrics(4, 2.7)])
    panel.add_metrics([metrics(5, 2.6, val=3.0, acc=0.4)])  # an evaluation is drawn at once
    assert list(panel.trainCurve.getData()[0]) == [1, 2, 3, 4, 5] and list(panel.valCurve.getData()[0]) == [5]
    assert panel.accuracyPlot.isVisibleTo(panel)

def test_attention_grid_has_one_heatmap_per_layer_and_head_and_hover_reads_weights(qtbot):
    panel = shown(qtbot, AttentionPanel(), 900, 500)
    before = panel.grid.grab().toImage()
    snap = snapshot()
    panel.set_snapshot(snap)
    qtbot.wait(20)
    assert len(panel.grid.views) == 2 and all(len(row) == 3 for row in panel.grid.views)
    np.testing.assert_array_equal(panel.grid.images[1][2].image, weight_colours(snap.weights[1, 2]))
    assert isinstance(panel.grid.colorBar, pg.ColorBarItem)
    assert panel.grid.grab().toImage() != before
    text = panel.grid.describe(1, 2, 3, 1)
    assert "layer 2" in text and "head 3" in text and "query 'c'" in text and "key 'b'" in text
    assert f"{snap.weights[1, 2, 3, 1]:.3f}" in text
    # Hover over the middle of a tile: the read-out under the grid names layer, head, tokens and weight.
    vb = panel.grid.views[0][1]
    panel.grid._on_move(vb.mapViewToScene(QPointF(1.5, 4.5)))
    assert panel.hover.text().startswith("layer 1 · head 2 · query '⏎' (#4) → key 'b' (#1)")


@pytest.mark.parametrize(("step", "prediction", "causal", "explained"), [
    (0, "ab de", True, True), (10, "ab de", True, True), (10, "ab de", False, False), (0, "bcdea", True, False),
    (3, "a[SEP]e", True, True)])
def test_an_untrained_models_output_equal_to_its_input_says_why(qtbot, step, prediction, causal, explained):
    """QA: at step 0 the decoder's "prediction" was the input itself, which reads like knowledge; it is the output
    layer being the embedding matrix (tied), where each token's embedding matches itself best. A decoder's output is
    the next token, never its input: said at any step (QA: at step 1 "01234567[SEP]76543210" read as solved); an
    encoder's may be right (a sorted input, sorted), and is explained only untrained."""
    panel = shown(qtbot, AttentionPanel(), 900, 500)
    base = snapshot()
    weights = base.weights if causal else np.full_like(base.weights, 1 / base.weights.shape[-1])
    labels = ["a", "[SEP]", "e"] + ["[PAD]"] * 2 if "[SEP]" in prediction else list("ab␣de")  # (tokens of 5 letters)
    panel.set_snapshot(AttentionSnapshot(step, weights, labels, prediction=prediction, tokens=3 if "[SEP]" in prediction
                                         else None))
    full = panel.detail.prediction.toolTip() or panel.detail.prediction.text()
    assert prediction.replace(" ", "␣") in full and ("tied weights" in full) == explained
    # On the line itself, short (at 130 % the whole reason was cut to "The model p…", QA); the reason on hover
    assert ("(= its input: tied embeddings; hover)" in panel.detail.prediction.text().replace("\n", " ")) == explained


def test_the_output_line_wraps_to_two_lines_before_it_ends_in_an_ellipsis(qtbot):
    """QA at 175 %: one line read "Model's output at each …", the demo's payoff cut off. Two lines, broken anywhere
    (an output is one word), then "…"; the plot keeps the rest of the height."""
    from playground.ui.attention_grid import ElidedLabel

    label = ElidedLabel()
    qtbot.addWidget(label)
    label.resize(300, 100)
    label.show()
    qtbot.waitExposed(label)
    short, whole = "Output at each position: 0333", "Output at each position: " + "0123456789" * 3
    label.set_full_text(short)
    assert label.text() == short
    label.set_full_text(whole)
    lines = label.text().split("\n")
    assert len(lines) == 2 and "".join(lines).replace(" ", "") == whole.replace(" ", "")  # whole, on two lines
    assert all(label.fontMetrics().horizontalAdvance(line) <= 300 for line in lines)
    label.set_full_text(whole * 3)
    lines = label.text().split("\n")
    assert len(lines) == 2 and lines[1].endswith("…") and label.toolTip() == whole * 3


def test_a_classifiers_prediction_as_long_as_its_input_is_not_read_as_one_token_a_position(qtbot):
    """QA: bert-pronoun's "first noun (50%)", 16 characters over its 16 tokens, was shown as the model's output at
    each position: "first␣noun␣(50%)"."""
    panel = shown(qtbot, AttentionPanel(), 900, 500)
    base = snapshot(T=16)
    panel.set_snapshot(AttentionSnapshot(base.step, base.weights, base.labels, prediction="first noun (50%)"))
    label = panel.detail.prediction
    assert (label.toolTip() or label.text()) == "Prediction: first noun (50%)"


def test_the_accuracy_plot_shows_the_loss_plots_steps_with_room_for_the_last_label(qtbot):
    """QA: the narrow accuracy plot's step ticks ended at 8 with its point at 10 (setXLink lined the side-by-side
    views up by screen position; and with a grid, pyqtgraph drops a label reaching past the axis' end)."""
    from PySide6.QtGui import QFontMetrics

    from playground.ui.plotting import sized_font

    panel = shown(qtbot, LossPanel(), 900, 300)
    panel.add_metrics([metrics(i, 4 / (1 + 0.05 * i), *((4.0, min(1.0, i / 8)) if i % 2 == 0 else ())) for i in
                       range(1, 11)])
    panel.redraw()
    steps, view = panel.lossPlot.getPlotItem().vb, panel.accuracyPlot.getPlotItem().vb
    qtbot.waitUntil(lambda: steps.viewRange()[0][1] >= 10, timeout=2000)
    qtbot.waitUntil(lambda: view.viewRange()[0][0] == steps.viewRange()[0][0], timeout=2000)
    first, last = view.viewRange()[0]
    room_px = (last - 10) * view.width() / (last - first)  # right of the tick at 10, the frame's end
    assert room_px >= QFontMetrics(sized_font()).horizontalAdvance("10") / 2


def test_the_accuracy_plots_step_labels_never_run_together(qtbot):
    """QA: in presentation mode the narrow accuracy plot's steps read "0 200400600800"."""
    from PySide6.QtGui import QFontMetrics

    from playground.ui.plotting import sized_font

    panel = shown(qtbot, LossPanel(), 700, 300)
    panel.add_metrics([metrics(i, 4 / (1 + 0.005 * i), *((4.0, min(1.0, i / 800)) if i % 50 == 0 else ()))
                       for i in range(1, 801)])
    panel.redraw()
    steps, view = panel.lossPlot.getPlotItem().vb, panel.accuracyPlot.getPlotItem().vb
    qtbot.waitUntil(lambda: steps.viewRange()[0][1] >= 800, timeout=2000)
    qtbot.waitUntil(lambda: view.viewRange()[0][0] == steps.viewRange()[0][0], timeout=2000)
    first, last = view.viewRange()[0]
    axis = panel.accuracyPlot.getPlotItem().getAxis("bottom")
    (spacing, _offset), = axis.tickSpacing(first, last, view.width())
    assert spacing * view.width() / (last - first) > QFontMetrics(sized_font()).horizontalAdvance("800")
    short = shown(qtbot, LossPanel(), 700, 300)  # two steps: whole steps only (seen: "1.11.21.31.41.5…")
    short.add_metrics([metrics(1, 4.0, 4.0, 0.5), metrics(2, 3.0, 3.0, 0.6)])
    short.redraw()
    qtbot.waitUntil(lambda: short.accuracyPlot.isVisible(), timeout=2000)
    first, last = short.accuracyPlot.getPlotItem().vb.viewRange()[0]
    (spacing, _offset), = short.accuracyPlot.getPlotItem().getAxis("bottom").tickSpacing(first, last, 100)
    assert spacing >= 1


def test_the_plots_teaching_tooltip_waits_while_the_pointer_reads_values(qtbot):
    """QA: hovering the curve to read a step's values brought up the loss tooltip over the curve being read."""
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    panel = shown(qtbot, LossPanel(), 900, 300)
    panel.add_metrics([metrics(i, 4 / (1 + 0.05 * i)) for i in range(1, 30)])
    panel.redraw()
    viewport, curves, axis = panel.lossPlot.viewport(), QPoint(300, 100), QPoint(8, 100)

    def hover_long(at: QPoint) -> None:
        QToolTip.hideText()
        qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=2000)
        QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, at, viewport.mapToGlobal(at)))

    hover_long(curves)
    assert QToolTip.isVisible() and "cross-entropy" in QToolTip.text()  # on the plot, not reading: it teaches
    qtbot.mouseMove(viewport, curves)  # the pointer reads the step under it
    qtbot.waitUntil(lambda: panel.readout.text().startswith("<b>step"), timeout=2000)
    hover_long(curves)
    assert not QToolTip.isVisible()
    hover_long(axis)  # on the loss axis, while reading: the axis explains itself
    assert QToolTip.isVisible() and "cross-entropy" in QToolTip.text()
    QToolTip.hideText()


def test_inside_attention_says_it_draws_a_model_it_asked_about_not_to_press_play(qtbot):
    """Lecturer QA: Back to lesson 19.2's step 7 showed "Press Play (Space) or Step …" for up to 2 s beside its finished
    model at "step 200 / 200", as the model was read back and drawn."""
    from types import SimpleNamespace

    from playground.ui.attention_jobs import JobFailed
    from playground.ui.attention_tips import INSIDE
    from playground.ui.inside_attention import NOT_DRAWN, InsideAttentionPanel

    asked = []
    model = SimpleNamespace(submit=lambda key, job: asked.append(job))
    worker = {"now": None}
    panel = shown(qtbot, InsideAttentionPanel(lambda: worker["now"]), 1000, 600)
    panel._poll()  # no model: press Play
    assert panel.steps.label.text() == INSIDE["waiting"] and not asked
    worker["now"] = model
    panel._poll()
    assert asked and panel.steps.label.text() == INSIDE["drawing"]
    assert panel.vit.label.text() == INSIDE["waiting"]  # no ViT figure for this family (review: "Drawing…" stayed)
    panel.family = "vit"
    panel.clear()
    panel._poll()
    assert panel.steps.label.text() == INSIDE["drawing"] == panel.vit.label.text()
    panel._on_answer(JobFailed(token=asked[-1].token, message="no such word"))
    assert "Could not show" in panel.status.text()
    assert panel.steps.label.text() == NOT_DRAWN == panel.vit.label.text()  # not drawing any more
    panel.clear()  # the model reset
    assert panel.steps.label.text() == INSIDE["waiting"]


def test_a_prediction_of_only_spaces_is_shown_with_the_space_symbol(qtbot):
    """QA: after a learning-rate spike Inside attention read "prediction:" and nothing: the model predicted spaces."""
    from playground.ui.attention_jobs import InsideResult
    from playground.ui.inside_attention import InsideAttentionPanel

    panel = shown(qtbot, InsideAttentionPanel(lambda: None), 1200, 600)
    blank = AttentionSnapshot(40, snapshot().weights, list("ab␣de"), prediction="   ")
    panel.show_result(InsideResult(token=1, step=40, text="ab de", layer=0, head=0, snapshot=blank))
    assert "prediction: <b>␣␣␣</b>" in panel.status.text()
    words = AttentionSnapshot(41, snapshot().weights, list("ab␣de"), prediction="ba ed")
    panel.show_result(InsideResult(token=2, step=41, text="ab de", layer=0, head=0, snapshot=words))
    assert "prediction: <b>ba ed</b>" in panel.status.text()  # spaces between words stay spaces


def test_inside_attention_says_why_an_untrained_model_copies_its_input_and_forgets_it_after(qtbot):
    from playground.ui.attention_jobs import InsideResult, JobFailed
    from playground.ui.inside_attention import InsideAttentionPanel

    panel = shown(qtbot, InsideAttentionPanel(lambda: None), 1200, 600)  # (room for the note on the status line)
    base = snapshot()
    copying = AttentionSnapshot(0, base.weights, list("ab␣de"), prediction="ab de")
    panel.show_result(InsideResult(token=1, step=0, text="ab de", layer=0, head=0, snapshot=copying))
    assert "(= its input: tied embeddings; hover)" in panel.status.text()
    assert "tied weights" in panel.status.toolTip()
    panel._on_answer(JobFailed(token=2, message="no such word"))  # another status: not its reason
    assert "Could not show" in panel.status.text() and "tied weights" not in panel.status.toolTip()
    # A decoder copying its input after step 0 still says so (QA: decoder-reverse at step 1 read "01234567[SEP]
    # 76543210", as if solved); an encoder, whose task may be its input (sorted already), only untrained.
    T = 5
    causal = np.tril(np.ones((1, 1, T, T), dtype=np.float32))
    causal /= causal.sum(-1, keepdims=True)
    for weights, said in ((causal, True), (np.full((1, 1, T, T), 1 / T, dtype=np.float32), False)):
        copied = AttentionSnapshot(1, weights, list("ab␣de"), prediction="ab de")
        panel.show_result(InsideResult(token=3, step=1, text="ab de", layer=0, head=0, snapshot=copied))
        assert ("(= its input: tied embeddings" in panel.status.text()) == said


def test_the_large_heads_tooltip_waits_while_a_weight_is_read(qtbot):
    """QA: "The selected head, large. Row = the query…" came up over the heatmap whose weight was being read."""
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    panel = shown(qtbot, AttentionPanel(), 900, 500)
    panel.set_snapshot(snapshot())
    plot = panel.detail.plot
    viewport = plot.viewport()
    qtbot.waitUntil(lambda: plot.getPlotItem().vb.sceneBoundingRect().width() > 100, timeout=2000)
    cell = plot.mapFromScene(plot.getPlotItem().vb.sceneBoundingRect().center())

    def hover_long(at: QPoint) -> bool:
        QToolTip.hideText()
        qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=2000)
        QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, at, viewport.mapToGlobal(at)))
        return QToolTip.isVisible() and "selected head" in QToolTip.text()

    assert not hover_long(cell)  # over a weight: the read-out line says it
    assert hover_long(QPoint(2, 2))  # off the heatmap the tooltip teaches, as before
    QToolTip.hideText()


def test_the_colour_bars_title_clears_its_numbers_in_presentation_mode(qtbot):
    """QA: at 175 % the "attention weight" title sat on the colour bar's 0.8, 0.6, … (pyqtgraph fixes its axis at
    45 px)."""
    from PySide6.QtGui import QFontMetricsF
    from PySide6.QtWidgets import QApplication

    from playground.ui.plotting import sized_font

    normal = QApplication.font()
    large = QApplication.font()
    large.setPointSizeF(normal.pointSizeF() * 1.75)
    QApplication.setFont(large)
    try:
        panel = shown(qtbot, AttentionPanel(), 1000, 450)
        panel.set_snapshot(snapshot())
        axis = panel.grid.colorBar.axis
        needed = QFontMetricsF(sized_font()).horizontalAdvance("0.8") + 20  # the widest number, ticks and gaps
        qtbot.waitUntil(lambda: axis.width() >= needed, timeout=3000)  # the title is drawn beyond them
    finally:
        QApplication.setFont(normal)


def test_a_long_prediction_elides_to_two_lines_instead_of_widening_or_growing_the_pane(qtbot):
    panel = shown(qtbot, AttentionPanel(), 900, 500)
    base = snapshot(T=64)
    panel.set_snapshot(AttentionSnapshot(base.step, base.weights, base.labels, prediction="ab \n" * 16))
    qtbot.wait(20)
    label = panel.detail.prediction
    assert "a" in label.text() and "␣" in label.text() and "⏎" in label.text()
    assert label.text().endswith("…") and label.toolTip().endswith("⏎")  # the whole output is in the tooltip
    assert all(label.fontMetrics().horizontalAdvance(line) <= label.width() for line in label.text().split("\n"))
    assert label.minimumSizeHint().width() < 100  # unbroken, the 64 tokens needed ~460 px
    assert label.height() < 3 * label.fontMetrics().height()  # two lines, not three


def test_weight_colours_are_the_colour_bars_scale():
    weights = np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32)
    rgba = weight_colours(weights)
    assert rgba.shape == (2, 2, 4) and rgba.dtype == np.uint8
    expected = CMAP.map(weights.ravel(), mode="byte")  # what the colour bar beside the tiles shows
    assert np.abs(rgba.reshape(-1, 4).astype(int) - expected.astype(int)).max() <= 2
    assert (weight_colours(np.array([np.nan, -0.1, 1.5])) == weight_colours(np.array([0.0, 0.0, 1.0]))).all()


def test_clicking_a_head_shows_it_large_with_token_labels(qtbot):
    panel = shown(qtbot, AttentionPanel(), 900, 500)
    snap = snapshot()
    panel.set_snapshot(snap)
    qtbot.waitUntil(lambda: not panel.grid.tile_rect(1, 1).isEmpty())  # laid out: the tiles have their places
    tile = panel.grid.tile_rect(1, 1)
    qtbot.mouseClick(panel.grid.viewport(), Qt.MouseButton.LeftButton, pos=tile.center())  # review: a click raised
    assert panel.grid.selected == (1, 1)
    np.testing.assert_array_equal(panel.detail.image.image, weight_colours(snap.weights[1, 1]))
    assert "Layer 2, head 2" in panel.detail.title.text()
    ticks = panel.detail.plot.getPlotItem().getAxis("bottom")._tickLevels[0]
    assert [t for _, t in ticks] == [show_token(t) for t in snap.labels]


def test_heatmaps_are_not_transposed(qtbot):
    """weights[query, key]: query 0 is the top row, the last key the right column."""
    panel = shown(qtbot, AttentionPanel(), 600, 400)
    T = 4
    w = np.zeros((1, 1, T, T), dtype=np.float32)
    w[0, 0, 0, T - 1] = 1.0  # top-right bright, everything else dark
    panel.set_snapshot(AttentionSnapshot(step=1, weights=w, labels=list("abcd")))
    qtbot.wait(50)
    grid = panel.grid
    image = grid.grab().toImage()
    vb = grid.views[0][0]

    def pixel(x, y):
        scene = vb.mapViewToScene(QPointF(x, y))
        pos = grid.mapFromScene(scene)
        return image.pixelColor(pos.x(), pos.y())

    top_right, bottom_left = pixel(T - 0.5, 0.5), pixel(0.5, T - 0.5)
    assert top_right.green() > 200 and top_right.red() > 200  # viridis 1.0 is yellow
    assert bottom_left.green() < 60  # viridis 0.0 is dark purple


def test_vit_probe_image_is_shown_beside_the_heatmaps(qtbot):
    panel = shown(qtbot, AttentionPanel(), 900, 500)
    image = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    T = 17  # CLS + 16 patches
    w = np.full((1, 2, T, T), 1 / T, dtype=np.float32)
    labels = ["CLS"] + [f"r{r}c{c}" for r in range(4) for c in range(4)]
    panel.set_snapshot(AttentionSnapshot(step=3, weights=w, labels=labels, image=image, prediction="7 (40%)"))
    assert panel.detail.probe.isVisible()
    np.testing.assert_allclose(panel.detail.probe_img.image, image)
    xs, _ = panel.detail.probe_grid.getData()
    assert len(xs) == 3 * 4  # three inner borders each way, two points per segment
    # the probe's, said (QA: beside Inside attention showing the user's own image, nothing said which image this was)
    assert "Probe image's prediction: 7 (40%)" in panel.detail.prediction.text()
    assert "Inside attention" in panel.detail.probe.toolTip()
    panel.clear()
    assert not panel.detail.probe.isVisible() and panel.grid.snapshot is None


def test_samples_panel_shows_newest_first(qtbot):
    panel = SamplesPanel()
    qtbot.addWidget(panel)
    panel.add_samples([SampleEvent(10, "", "aaaa"), SampleEvent(20, "", "beautiful is better")])
    text = panel.text.toPlainText()
    assert text.index("step 20") < text.index("step 10")
    assert "beautiful is better" in text


def test_a_runs_samples_brought_back_set_the_boxes_unless_the_user_typed_in_them(qtbot):
    """Review: the boxes a first Resume filled were taken for the user's at the next one, whose header then named
    another prompt than the box."""
    panel = SamplesPanel()
    qtbot.addWidget(panel)
    panel.restore([SampleEvent(5, "def ", " f(x)", 1.2)])
    assert (panel.prompt, panel.temperature) == ("def ", 1.2)
    panel.restore([SampleEvent(9, "class ", " A:", 0.5)])  # another run brought back: its own
    assert (panel.prompt, panel.temperature) == ("class ", 0.5)
    panel.promptEdit.setText("import ")
    panel.promptEdit.textEdited.emit("import ")  # typed by the user
    panel.temperatureBox.setValue(1.5)
    panel.restore([SampleEvent(3, "def ", " g()", 0.8)])
    assert (panel.prompt, panel.temperature) == ("import ", 1.5)


def test_the_prompt_box_stays_where_it_was_when_the_first_sample_comes(qtbot):
    """QA: before the first sample the Samples intro took two lines, after it one: the Prompt box moved up 14 px under
    a click aimed at it, the typing went nowhere and its space started training."""
    panel = SamplesPanel()
    qtbot.addWidget(panel)
    panel.resize(850, 400)
    panel.show()
    qtbot.waitExposed(panel)
    before = panel.promptEdit.mapTo(panel, panel.promptEdit.rect().topLeft()).y()
    panel.add_samples([SampleEvent(1, "", "aaaa")])  # a one-line header at this width
    qtbot.wait(20)  # the layout's posted request
    assert panel.promptEdit.mapTo(panel, QPoint(0, 0)).y() == before


def test_a_resumed_runs_samples_are_said_with_its_own_context(qtbot):
    """Data QA: a decoder's samples, shown again at a Resume, were said to read "only the last 5 characters", the
    context of the encoder on screen before."""
    from types import SimpleNamespace

    panel = SamplesPanel()
    qtbot.addWidget(panel)
    panel.attach(SimpleNamespace(spec=SimpleNamespace(model=SimpleNamespace(block_size=5)), submit=lambda *a: None))
    panel.clear()  # the encoder goes
    panel.add_samples([SampleEvent(10, "the lecturer", " said")])  # the resumed decoder's, before it is attached
    assert "its context" not in panel.header.text()
    panel.attach(SimpleNamespace(spec=SimpleNamespace(model=SimpleNamespace(block_size=64)), submit=lambda *a: None))
    assert "its context" not in panel.header.text() and "continues “the lecturer”" in panel.header.text()
    panel.attach(SimpleNamespace(spec=SimpleNamespace(model=SimpleNamespace(block_size=8)), submit=lambda *a: None))
    assert "reads only the last 8 characters" in panel.header.text()


def test_a_refused_prompts_message_goes_once_the_prompt_is_edited(qtbot):
    """Data QA: "Prompt not used: …" stood on over a field cleared since, and nothing said the field counts from
    Enter on."""
    from types import SimpleNamespace

    from playground.ui.samples_panel import EDITED, JOB_KEY

    panel = SamplesPanel()
    qtbot.addWidget(panel)
    panel.take(SimpleNamespace(samples=[], results={JOB_KEY: "'ü' is not in this model's vocabulary"}))
    assert panel.status.text().startswith("Prompt not used: ") and not panel.status.isHidden()
    qtbot.keyClicks(panel.promptEdit, "the")
    assert panel.status.text() == EDITED
    panel.take(SimpleNamespace(samples=[], results={JOB_KEY: SampleEvent(3, "the", " end")}))
    assert panel.status.isHidden()
    qtbot.keyClicks(panel.promptEdit, "n")  # no refusal to take back: nothing said
    assert panel.status.isHidden()


def test_a_sample_the_window_asks_for_is_kept_with_the_run(tmp_path):
    """Data QA: the samples Sample now (or Enter) drew were gone when the run came back: only the loop's were kept."""
    from playground.training.runs import SamplesLog, read_samples
    from playground.ui.samples_panel import PromptJob

    session = _tiny_decoder()
    session.subscribe(SamplesLog(tmp_path))
    answer = PromptJob("the ")(session)
    assert isinstance(answer, SampleEvent) and answer.prompt == "the "
    assert read_samples(tmp_path) == [answer]


def _tiny_decoder(run_dir=None):
    from playground.core.spec import make_spec
    from playground.training.session import TrainingSession

    return TrainingSession(make_spec({"model": {"family": "decoder", "n_embd": 32, "n_head": 2, "n_layer": 1,
                                                "d_ff": 64, "block_size": 16},
                                      "data": {"name": "zen"},
                                      "train": {"batch_size": 4, "device": "cpu", "compile": "off"}}), run_dir=run_dir)


def _samples_panel_of(qtbot, session) -> SamplesPanel:
    """A SamplesPanel, shown, whose jobs `session` runs at once (the training thread's part)."""
    from types import SimpleNamespace

    panel = SamplesPanel()

    def submit(key, job):
        panel.take(SimpleNamespace(samples=[], results={key: job(session)}))

    panel.get_worker = lambda: SimpleNamespace(submit=submit)
    return shown(qtbot, panel, 700, 300)


def test_sample_now_twice_draws_two_samples_of_the_same_weights(qtbot):
    """Lecturer QA: paused, Sample now twice gave the same text, as if the button did nothing."""
    session = _tiny_decoder()
    panel = _samples_panel_of(qtbot, session)
    panel.promptEdit.setText("the ")
    qtbot.mouseClick(panel.sampleButton, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.sampleButton, Qt.MouseButton.LeftButton)
    first, second = panel.samples
    assert first.step == second.step and first.text != second.text
    assert first.text == session.sample("the ")  # the first of a step's samples is always the same one


def _typing_a_temperature(qtbot):
    """A samples panel of a tiny decoder, active, its temperature box focused with its text selected to type over."""
    panel = _samples_panel_of(qtbot, _tiny_decoder())
    with qtbot.waitActive(panel):
        panel.activateWindow()
    panel.temperatureBox.setFocus()
    panel.temperatureBox.lineEdit().selectAll()
    return panel


def test_a_temperature_typed_then_sample_now_clicked_draws_one_sample_at_it(qtbot):
    """Lecturer QA: a temperature typed and then Sample now clicked added two samples, both at the new temperature
    (the click's press committed the box, which samples, and then the click sampled again)."""
    panel = _typing_a_temperature(qtbot)
    qtbot.keyClicks(panel.temperatureBox, "1.5")  # typed, no Enter
    qtbot.mouseClick(panel.sampleButton, Qt.MouseButton.LeftButton)
    assert [e.temperature for e in panel.samples] == [1.5]
    qtbot.mouseClick(panel.sampleButton, Qt.MouseButton.LeftButton)  # nothing typed since: a sample of its own
    assert [e.temperature for e in panel.samples] == [1.5, 1.5]


def test_a_temperature_typed_out_of_range_is_said_and_the_old_one_kept(qtbot):
    """QA: a temperature of 5 typed into the box vanished without a word (the box drops the keystroke) and the old
    one stayed; the box now says what it refused and what to type."""
    panel = _typing_a_temperature(qtbot)
    qtbot.keyClicks(panel.temperatureBox, "5")
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert panel.samples == [] and panel.temperature == 0.8 and panel.status.isVisible()
    assert panel.status.text().startswith("Temperature 5 and up are out of range: type 0 to 2 (") \
        and panel.status.text().endswith("It stays 0.8.")
    panel.temperatureBox.lineEdit().selectAll()
    qtbot.keyClicks(panel.temperatureBox, "-1.5")  # said as typed (review: "-1." held, then "-15" said)
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert panel.status.text().startswith("Temperature -1.5 is out of range") and panel.temperature == 0.8
    panel.temperatureBox.lineEdit().selectAll()
    qtbot.keyClicks(panel.temperatureBox, "3")  # then Sample now clicked: the refusal is said, nothing sampled
    qtbot.mouseClick(panel.sampleButton, Qt.MouseButton.LeftButton)
    assert panel.status.text().startswith("Temperature 3 and up are out of range") and panel.samples == []
    panel.temperatureBox.lineEdit().selectAll()
    qtbot.keyClicks(panel.temperatureBox, "0.8")  # the one it has: taken, no sample, and the refusal is past (QA)
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert panel.samples == [] and not panel.status.isVisible()
    panel.temperatureBox.lineEdit().selectAll()
    qtbot.keyClicks(panel.temperatureBox, "99")  # the box takes no digit past a refused 9: said so (QA: "9 is …")
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert panel.status.text().startswith("Temperature 9 and up are out of range")
    panel.temperatureBox.lineEdit().selectAll()
    qtbot.keyClicks(panel.temperatureBox, "1.2")  # then a good one samples, and the refusal's message goes
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert [e.temperature for e in panel.samples] == [1.2] and "out of range" not in panel.status.text()


def test_text_typed_into_the_temperature_box_is_said_as_no_number(qtbot):
    """QA: text pasted into a number box was refused silently; the temperature box says it and keeps its value."""
    panel = _typing_a_temperature(qtbot)
    panel.temperatureBox.lineEdit().insert("warm")  # as Ctrl+V inserts the clipboard's text
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert panel.samples == [] and panel.temperature == 0.8 and panel.temperatureBox.value() == 0.8
    assert panel.status.text().startswith("Temperature “warm” is not a number: type 0 to 2 (")
    assert panel.status.text().endswith("It stays 0.8.") and panel.status.isVisible()
    panel.temperatureBox.lineEdit().selectAll()
    qtbot.keyClicks(panel.temperatureBox, "hot")  # typed: said as typed, not its last letter (QA: "warm" said "m")
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert panel.status.text().startswith("Temperature “hot” is not a number") and panel.temperature == 0.8
    panel.temperatureBox.lineEdit().end(False)  # typed after what the box shows (review: "0.8w0.8a0.8r0.8m")
    qtbot.keyClicks(panel.temperatureBox, "warm")
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert panel.status.text().startswith("Temperature “0.8warm” is not a number") and panel.temperature == 0.8
    panel.temperatureBox.lineEdit().selectAll()
    qtbot.keyClicks(panel.temperatureBox, "1.2")
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert [e.temperature for e in panel.samples] == [1.2] and "not a number" not in panel.status.text()


@pytest.mark.parametrize(("language", "typed", "shown"), [("English", "0,5", "0.5"), ("German", "0.5", "0,5")])
def test_either_decimal_mark_is_a_decimal_point_in_the_temperature_box(qtbot, language, typed, shown):
    """QA: "0,5" typed in an English locale was read as 5 (its comma a thousands separator) and refused; either mark
    is a decimal point, shown as the locale's at once."""
    panel = _typing_a_temperature(qtbot)
    panel.temperatureBox.setLocale(QLocale(getattr(QLocale.Language, language)))
    panel.temperatureBox.lineEdit().selectAll()
    qtbot.keyClicks(panel.temperatureBox, typed)
    assert panel.temperatureBox.lineEdit().text() == shown
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert [e.temperature for e in panel.samples] == [0.5] and "out of range" not in panel.status.text()
    for typed in ("2,5", "-0,5"):  # out of range as typed: said with its decimal point (they read as 25 and -5)
        panel.temperatureBox.lineEdit().selectAll()
        qtbot.keyClicks(panel.temperatureBox, typed if language == "English" else typed.replace(",", "."))
        qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
        number = float(typed.replace(",", "."))
        assert panel.status.text().startswith(f"Temperature {number:g} {'and up are' if number > 0 else 'is'} out of "
                                              "range")
    assert panel.temperature == 0.5


def test_sample_now_after_a_resume_draws_anew(tmp_path):
    """Review: a resumed run's step had its sample drawn (draw 0) before the checkpoint; Sample now drew it again."""
    from playground.training.session import TrainingSession

    session = _tiny_decoder(tmp_path)
    drawn = [e for e in session.run(1) if isinstance(e, SampleEvent)]
    folder = session.save()
    session.close()  # (its lock on the run folder goes with it)
    resumed = TrainingSession.resume(folder, run_dir=tmp_path)
    assert [e.step for e in drawn] == [resumed.step] and resumed.sample_event("").text != drawn[0].text


def test_the_temperature_box_draws_a_sample_at_once_and_the_runs_next_ones_at_its_temperature(qtbot, tmp_path):
    """The lecture's sampling, to see and change: the temperature divides the logits before the softmax. A new value
    samples at once; the run's own samples and its records keep it (older records, without one, read as 0.8)."""
    from playground.training.runs import SAMPLES_FILE, SamplesLog, read_samples

    session = _tiny_decoder()
    session.subscribe(SamplesLog(tmp_path))
    panel = _samples_panel_of(qtbot, session)
    assert panel.temperature == 0.8 and "temperature" in panel.temperatureBox.toolTip()
    panel.promptEdit.setText("the ")
    panel.temperatureBox.lineEdit().selectAll()
    qtbot.keyClicks(panel.temperatureBox, "0")  # typed, as a lecturer would: nothing drawn before Enter
    assert panel.samples == []
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    coldest = panel.samples[-1]
    assert coldest.temperature == 0 and coldest.text == session.sample("the ", temperature=0)
    assert "(temperature 0.0)." in panel.header.text() and "step 0, temperature 0.0 ───" in panel.text.toPlainText()
    qtbot.mouseClick(panel.sampleButton, Qt.MouseButton.LeftButton)  # another draw: at 0, the likeliest text again
    assert panel.samples[-1].text == coldest.text
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Up)  # 0.1, then 1.5: each a sample of its own
    panel.temperatureBox.lineEdit().selectAll()
    qtbot.keyClicks(panel.temperatureBox, "1.5")
    qtbot.keyClick(panel.temperatureBox, Qt.Key.Key_Return)
    assert [e.temperature for e in panel.samples] == [0.0, 0.0, 0.1, 1.5]
    assert session.sample_event("").temperature == 1.5  # the run's next ones
    with (tmp_path / SAMPLES_FILE).open("a") as records:
        records.write('{"step": 9, "prompt": "", "text": "old"}\n')
    assert [e.temperature for e in read_samples(tmp_path)] == [0.0, 0.0, 0.1, 1.5, 1.5, 0.8]


def test_accuracy_axis_label_fits_a_short_loss_panel(qtbot):
    """The centre splitter squeezed (1280x720, Inside attention open): the label is not cut mid-word, and the
    ticks' "0" and "1.0" are drawn (pyqtgraph drops a label that reaches past the axis' ends)."""
    panel = shown(qtbot, LossPanel(), 600, 170)
    panel.add_metrics([metrics(1, 3.0), metrics(2, 2.9, val=3.1, acc=0.2)])
    qtbot.waitUntil(lambda: panel.accuracyPlot.isVisible())
    axis = panel.accuracyPlot.getPlotItem().getAxis("left")
    assert axis.label.boundingRect().width() <= axis.geometry().height()
    image = QImage(panel.accuracyPlot.size(), QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    drawn = [text for *_, text in axis.generateDrawSpecs(painter)[2]]
    painter.end()
    assert {"0", "1.0"} <= set(drawn)


def test_vit_probe_image_leaves_the_heatmap_most_of_a_short_panel(qtbot):
    """At 1280x720 the attention tab is ~330 px high: the enlarged head, not the 8x8 probe image, gets the room."""
    panel = shown(qtbot, AttentionPanel(), 900, 330)
    T = 17
    labels = ["CLS"] + [f"r{r}c{c}" for r in range(4) for c in range(4)]
    panel.set_snapshot(AttentionSnapshot(step=3, weights=np.full((4, 4, T, T), 1 / T, dtype=np.float32),
                                         labels=labels, image=np.zeros((8, 8), np.float32), prediction="7"))
    detail = panel.detail
    qtbot.waitUntil(lambda: detail.probe.isVisible() and detail.plot.height() > 0)
    assert detail.plot.height() >= 2 * detail.probe.height()


def test_a_compact_plots_key_names_its_curves_whole(qtbot):
    """QA, lesson 19.2 step 7: the compact loss plot's key read "— train · — v…n": it took the legend's labels, elided
    to a narrower plot, though its own line had room for "validation"."""
    panel = shown(qtbot, LossPanel(), 900, 300)
    for _sample, label in panel.lossPlot.getPlotItem().legend.items:
        label.setText(label.text[0] + "…" + label.text[-1])  # as fit_legend elides them for a narrow plot
    panel.resize(900, 60)  # a lesson step's squeeze: compact, the key on the read-out line
    qtbot.waitUntil(lambda: panel.compact, timeout=5000)
    assert "— train" in panel.key() and "— validation" in panel.key()


def inside_panel_asking(qtbot):
    """An Inside attention panel on screen, and the list of the jobs it sends its worker."""
    from playground.ui.inside_attention import InsideAttentionPanel

    sent = []

    class Worker:
        run_dir = None  # a run not yet in a folder of its own

        def submit(self, key, job):
            sent.append(job)

    worker = Worker()
    panel = InsideAttentionPanel(lambda: worker)
    qtbot.addWidget(panel)
    panel.show()
    return panel, sent


def test_a_layer_picked_in_the_head_view_is_the_bars_layer_too(qtbot):
    """Lecturer QA: the bar read "Layer: layer 1, Head: head 1" over a head view of layer 2."""
    panel, _sent = inside_panel_asking(qtbot)
    panel.set_shape(2, 2)
    panel.headView.set_attention(np.full((2, 2, 3, 3), 1 / 3, dtype=np.float32), ["a", "b", "c"], step=4)
    panel.headView.headsCombo.setCurrentIndex(0)  # all heads
    chosen = []
    panel.sigHeadChosen.connect(lambda layer, head: chosen.append((layer, head)))
    combo = panel.headView.layerCombo
    combo.setCurrentIndex(1)
    combo.activated.emit(1)  # as a click on its item does
    assert panel.layerCombo.currentText() == "2" and chosen == [(1, 0)]  # layer 2
    assert panel.headView.headsCombo.currentText() == "all heads"  # its own heads choice stays


def test_a_layer_picked_in_the_bar_keeps_the_head_views_all_heads_and_a_head_picked_shows_it(qtbot):
    """Lecturer QA: picking layer 3 in the bar set the head view from "all heads" to head 1."""
    panel, _sent = inside_panel_asking(qtbot)
    panel.set_shape(2, 2)
    panel.headView.set_attention(np.full((2, 2, 3, 3), 1 / 3, dtype=np.float32), ["a", "b", "c"], step=4)
    panel.headView.headsCombo.setCurrentIndex(0)  # all heads
    panel.layerCombo.setCurrentIndex(1)
    panel.layerCombo.activated.emit(1)  # as a click on its item does
    assert (panel.headView.layerCombo.currentText(), panel.headView.headsCombo.currentText()) == ("layer 2",
                                                                                                 "all heads")
    panel.headCombo.setCurrentIndex(1)
    panel.headCombo.activated.emit(1)  # a head picked: the head view shows that one
    assert (panel.headView.layerCombo.currentText(), panel.headView.headsCombo.currentText()) == ("layer 2", "head 2")
    panel.layerCombo.setCurrentIndex(0)
    panel.layerCombo.activated.emit(0)  # a layer picked now: the same head, in that layer
    assert (panel.headView.layerCombo.currentText(), panel.headView.headsCombo.currentText()) == ("layer 1", "head 2")


def test_an_answer_about_an_input_changed_meanwhile_is_dropped_and_the_new_input_asked(qtbot):
    from playground.ui.attention_jobs import InsideResult

    panel, sent = inside_panel_asking(qtbot)
    panel.set_input("ab de")
    asked = sent[-1]
    panel.set_input("ab ed")  # typed while the first is worked out: it waits
    assert sent[-1] is asked
    panel._on_answer(InsideResult(asked.token, 7, asked.text, 0, 0, snapshot()))
    assert panel.result is None and "ab de" not in panel.status.text()  # not the last input's views
    assert sent[-1].text == "ab ed"  # asked at once
    panel._on_answer(InsideResult(sent[-1].token, 7, "ab ed", 0, 0, snapshot()))
    assert panel.result.text == "ab ed" and "ab ed" in panel.status.text()


def test_inside_attention_asks_about_the_last_step_as_soon_as_training_stops(qtbot):
    """QA: "Model at step 198" stayed for seconds beside "step 200 / 200 paused"."""
    from playground.ui.attention_jobs import InsideResult

    panel, sent = inside_panel_asking(qtbot)
    panel.set_input("ab")
    panel._on_answer(InsideResult(sent[-1].token, 198, "ab", 0, 0, snapshot()))
    asked = len(sent)
    panel.follow(199, training=True)  # still training: the live refresh's pace
    assert len(sent) == asked
    panel.follow(200, training=False)
    assert len(sent) == asked + 1  # at once
    panel.follow(200, training=False)
    assert len(sent) == asked + 1  # once


def test_the_enlarged_heads_row_labels_thin_out_when_the_panel_grows_shorter(qtbot):
    """QA: 32 rows' labels ran together beside lesson 19.3's step 4, once the loss plot took room above."""
    from PySide6.QtWidgets import QSplitter, QWidget

    from playground.ui.attention_grid import HeadDetail

    splitter = QSplitter(Qt.Orientation.Vertical)
    qtbot.addWidget(splitter)
    above, detail = QWidget(), HeadDetail()
    splitter.addWidget(above)
    splitter.addWidget(detail)
    splitter.resize(380, 720)
    splitter.setSizes([0, 720])
    splitter.show()
    snap = AttentionSnapshot(0, np.full((1, 1, 32, 32), 1 / 32), [chr(65 + i % 26) for i in range(32)])
    detail.show_head(snap, 0, 0)
    qtbot.wait(100)
    splitter.hide()  # another tab in front while the model trains on
    splitter.setSizes([420, 300])  # the loss plot back above it
    detail.show_head(AttentionSnapshot(400, snap.weights, snap.labels), 0, 0)
    splitter.show()
    item = detail.plot.getPlotItem()
    qtbot.waitUntil(lambda: item.vb.height() < 250)
    qtbot.wait(100)
    ticks = item.getAxis("left")._tickLevels[0]
    line = QFontMetrics(item.getAxis("left").style["tickFont"] or detail.font()).height()
    assert len(ticks) * line <= item.vb.height() + 1  # every label on a line of its own


@pytest.mark.parametrize("height", [110, 130, 150, 170, 200, 260])
def test_a_short_loss_panel_goes_compact_before_its_curves_lose_their_room(qtbot, height):
    """QA: a lesson step at 1280x720 gave the panel 130 px; with its legend and "step" kept, the curves had 25 px and
    the loss axis's "4" and "3" ran together."""
    panel = shown(qtbot, LossPanel(), 900, 400)
    panel.add_metrics([metrics(s, 4.0 - s / 100, val=3.9 - s / 100 if s % 50 == 0 else None) for s in range(1, 201)])
    panel.resize(900, height)
    qtbot.wait(50)
    curves = panel.lossPlot.getPlotItem().vb.height()
    assert panel.compact or curves >= 3 * panel.fontMetrics().height(), (panel.compact, curves)


def test_a_head_picked_in_the_head_view_is_the_bars_head_and_a_pick_moves_the_head_view(qtbot):
    """Lecturer QA: the bar said layer 1, head 1 while the head view drew layer 2, head 2: its Heads pick did not
    reach the bar, and a lesson's start set the bar alone back to layer 1, head 1."""
    panel, _sent = inside_panel_asking(qtbot)
    panel.set_shape(2, 2)
    panel.headView.set_attention(np.full((2, 2, 3, 3), 1 / 3, dtype=np.float32), ["a", "b", "c"], step=4)
    views = panel.headView.layerCombo, panel.headView.headsCombo
    views[0].setCurrentIndex(1)
    views[0].activated.emit(1)
    views[1].setCurrentIndex(2)
    views[1].activated.emit(2)  # head 2, as a click on its item picks it
    assert (panel.layerCombo.currentText(), panel.headCombo.currentText()) == ("2", "2")  # layer 2, head 2
    panel.pick(0, 0)  # as a lesson's start sets the bar
    assert (views[0].currentText(), views[1].currentText()) == ("layer 1", "head 1")
    views[1].setCurrentIndex(0)
    views[1].activated.emit(0)  # all heads: the bar keeps its head, and a pick keeps the head view's "all heads"
    assert panel.headCombo.currentText() == "1"  # head 1
    panel.pick(1, 1)
    assert (views[0].currentText(), views[1].currentText()) == ("layer 2", "all heads")


def test_a_key_the_causal_mask_hides_is_read_as_hidden_not_as_a_weight_of_0(qtbot):
    """QA: the enlarged decoder head read "weight 0.000" on a masked cell, as if the model had learned it."""
    panel = shown(qtbot, AttentionPanel(), 900, 500)
    panel.set_snapshot(snapshot())  # a decoder's: every later key at 0
    assert panel.grid.describe(0, 1, 0, 4).endswith("→ key '⏎' (#4): hidden by the causal mask (a later token)")
    assert panel.grid.describe(0, 1, 4, 0).endswith(f": weight {panel.grid.snapshot.weights[0, 1, 4, 0]:.3f}")
    square = np.full((1, 1, 5, 5), 0.0, dtype=np.float32)
    square[0, 0, :, 4] = 1.0  # an encoder's head on the last token: its zeros above the diagonal are weights
    panel.set_snapshot(AttentionSnapshot(1, square, list("abcde")))
    assert panel.grid.describe(0, 0, 0, 2).endswith(": weight 0.000")


def test_step_by_step_shows_a_long_causal_probes_first_tokens_and_says_so(qtbot, tiny_session):
    """QA: the default decoder's 64-token probe drew Step by step's token labels 4 px tall, overlapping."""
    from playground.ui.attention_jobs import STEPS_TOKENS, InsideJob
    from playground.ui.inside_attention import InsideAttentionPanel

    session = tiny_session("decoder", "zen", block_size=STEPS_TOKENS + 8)
    panel = shown(qtbot, InsideAttentionPanel(lambda: None), 1600, 600)
    probe = InsideJob(1)(session)
    assert probe.steps.seq_len == STEPS_TOKENS and probe.snapshot.weights.shape[-1] == STEPS_TOKENS + 8
    header = [op["s"] for kind, op in probe.steps_figure.ops if kind == "text" and op["s"].startswith("rows:")]
    assert header[0].startswith(f"rows: the first {STEPS_TOKENS} of {STEPS_TOKENS + 8} tokens (queries)"), header
    panel.show_result(probe)
    assert (f"T = the probe's first {STEPS_TOKENS} of {STEPS_TOKENS + 8} tokens (type an input for others)"
            in panel.steps.caption.text()), panel.steps.caption.text()
    panel.resize(300, 600)  # the shortest wording still says the figure holds fewer tokens (QA: "Layer 2, head 1 of 2")
    qtbot.waitUntil(lambda: "d_head" not in panel.steps.caption.text())
    assert panel.steps.caption.text() == f"L1 H1: {STEPS_TOKENS} of {STEPS_TOKENS + 8} tokens"  # one line (review)
    panel.resize(1600, 600)
    typed = InsideJob(2, text="x" * (STEPS_TOKENS + 4))(session)  # an input typed is shown whole
    assert typed.steps.seq_len == STEPS_TOKENS + 4
    panel.show_result(typed)
    assert f"T = {STEPS_TOKENS + 4} tokens" in panel.steps.caption.text()
    encoder = tiny_session("encoder", "sentiment", block_size=STEPS_TOKENS + 8)  # no causal mask: never cut
    assert InsideJob(3)(encoder).steps.seq_len == encoder.dataset.probe().x.shape[1]


def test_the_enlarged_heads_title_keeps_one_line_as_the_step_grows(qtbot):
    """QA, 130 %: "Layer 1, head 1 · step 138 · 64 tokens" wrapped or not with the step's digits, moving the heatmap
    up and down while training."""
    from PySide6.QtGui import QFontMetricsF

    from playground.ui.attention_grid import HeadDetail

    detail = HeadDetail()
    qtbot.addWidget(detail)
    base = snapshot()
    metrics = QFontMetricsF(detail.title.font())
    detail.resize(900, 400)
    detail.show()
    qtbot.waitExposed(detail)
    for width in (900, 215):
        detail.resize(width, 400)
        qtbot.waitUntil(lambda width=width: detail.width() == width)
        room = detail.title.contentsRect().width()
        for step in (9, 111, 888, 1_000, 99_999):
            detail.show_head(AttentionSnapshot(step, base.weights, base.labels), 0, 1)
            text = detail.title.text()
            widest = metrics.horizontalAdvance(re.sub("[0-9]", "8", f"Layer 1, head 2 · step {step:,} · 5 tokens"))
            assert text.startswith(f"Layer 1, head 2 · step {step:,}")
            assert text.endswith("5 tokens") == (widest <= room) and metrics.horizontalAdvance(text) <= room
    assert "tokens" not in detail.title.text()
    detail.resize(900, 400)  # paused, made wider: the count comes back without a new snapshot (review)
    qtbot.waitUntil(lambda: detail.title.text().endswith("5 tokens"))
