"""Issue 21 in the views: readable at 1280x720 and in presentation mode, the log axis at a loss of 0, empty states.

Canned events and snapshots: no training, no torch."""


import re

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QAbstractSlider, QApplication, QDialog, QDialogButtonBox, QLabel

from playground.training.events import AttentionSnapshot, MetricsEvent
from playground.ui.attention_grid import (
    HOVER_HINT,
    KEY_PATCH_PEN,
    QUERY_PATCH_PEN,
    AttentionPanel,
    axis_spacing,
    axis_titles,
    label_every,
    token_ticks,
)
from playground.ui.loss_panel import LOG_FLOOR, LossPanel


def metrics(step, loss, val=None):
    return MetricsEvent(step=step, max_steps=400, train_loss=loss, lr=1e-3, throughput=1000.0, unit="tokens",
                        elapsed_s=0.0, eta_s=0.0, val_loss=val)


def snapshot(layers, heads, labels, step=10, prediction=""):
    T = len(labels)
    rng = np.random.default_rng(0)
    w = rng.random((layers, heads, T, T)).astype(np.float32) ** 4
    w /= w.sum(-1, keepdims=True)
    return AttentionSnapshot(step=step, weights=w, labels=list(labels), prediction=prediction)


@pytest.fixture
def presentation_font(qapp):
    """The application font at twice its size, as presentation mode sets it; restored afterwards."""
    before = QApplication.font()
    big = QApplication.font()
    big.setPointSizeF(before.pointSizeF() * 2)
    QApplication.setFont(big)
    yield big
    QApplication.setFont(before)


@pytest.fixture
def dark_theme(qapp):
    """The look the app chooses on a dark system (headless Qt has none to report), for the plots made meanwhile."""
    from PySide6.QtCore import Qt

    from playground.ui import plotting, theme

    before = qapp.property(theme.PROPERTY)
    theme.choose(qapp, Qt.ColorScheme.Dark)
    plotting.apply_theme()
    yield
    qapp.setProperty(theme.PROPERTY, before)
    plotting.apply_theme()


# ----- the loss plot --------------------------------------------------------------------------------
def test_a_loss_of_exactly_zero_keeps_the_log_axis_on_the_curves(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 300)
    panel.show()
    losses = [max(0.0, 2.0 - 0.02 * s) for s in range(1, 201)]  # reaches 0 at step 100, stays there
    panel.add_metrics([metrics(s, loss, val=loss if s % 50 == 0 else None) for s, loss in enumerate(losses, 1)])
    panel.logCheck.setChecked(True)
    qtbot.wait(20)
    (_, _), (y0, y1) = panel.lossPlot.getPlotItem().vb.viewRange()  # log10 units on a log axis
    # a loss of 0 at LOG_FLOOR, below the smallest above 0 (0.02), not at a fixed 1e-8 far below the curves (review)
    assert -5 < y0 < np.log10(LOG_FLOOR) and np.log10(2.0) < y1 < 1  # not 1e-5..1e5: the curves fill the plot
    _, drawn = panel.trainCurve.getData()  # pyqtgraph's log10 of what the panel handed it
    assert np.isfinite(drawn).all() and drawn.min() == pytest.approx(np.log10(LOG_FLOOR))
    assert panel.train.y.min() == 0.0  # the read-out still has the true loss
    panel.show_readout(150)
    assert "train 0.0000" in panel.readout.text()
    panel.logCheck.setChecked(False)
    assert panel.trainCurve.getData()[1].min() == 0.0


def test_runs_trained_to_tiny_losses_are_told_apart_on_the_log_axis_and_in_the_read_out(qtbot):
    """QA: runs trained to 1.6e-6 and 4.1e-8 were one flat line at 1e-4 on the log axis, and read 0.0000."""
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 300)
    panel.show()
    panel.logCheck.setChecked(True)
    for name, last in (("decoder", 1.6e-6), ("encoder", 4.1e-8)):
        panel.add_overlay(name, np.array([1.0, 2.0]), np.array([2.0, last]))
    drawn = {name: 10 ** curve.getData()[1].min() for name, curve in panel.overlays.items()}
    assert drawn == pytest.approx({"decoder": 1.6e-6, "encoder": 4.1e-8})
    panel.add_overlay("reached 0", np.array([1.0, 2.0]), np.array([2.0, 0.0]),  # a decade below the smallest
                      validation=(np.array([2.0]), np.array([0.0])))
    for curve in (panel.overlays["reached 0"], panel.val_overlays["reached 0"]):
        assert 10 ** curve.getData()[1].min() == pytest.approx(4.1e-9)
    panel.remove_overlay("encoder")  # the floor follows what is shown, drawn again
    for curve in (panel.overlays["reached 0"], panel.val_overlays["reached 0"]):
        assert 10 ** curve.getData()[1].min() == pytest.approx(1.6e-7)
    panel.logCheck.setChecked(False)  # the losses as read on a linear axis
    assert panel.val_overlays["reached 0"].getData()[1].min() == 0.0
    panel.logCheck.setChecked(True)
    panel.add_metrics([metrics(1, 2.0), metrics(2, 1.6e-6, val=0.0)])
    panel.show_readout(2)
    assert "train 1.6e-06" in panel.readout.text()
    panel.add_overlay("encoder", np.array([1.0, 2.0]), np.array([2.0, 4.1e-8]))  # paused: no redraw follows
    # the validation curve's 0 drawn at the new floor, not left empty until the next step (review)
    assert 10 ** panel.valCurve.getData()[1].min() == pytest.approx(4.1e-9)
    assert 10 ** panel.trainCurve.getData()[1].min() == pytest.approx(1.6e-6)


def test_an_empty_loss_plot_shows_how_to_fill_it_and_no_made_up_axis(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 300)
    panel.show()
    bottom = panel.lossPlot.getPlotItem().getAxis("bottom")
    assert panel._empty.isVisible() and not bottom.style["showValues"]
    panel.add_metrics([metrics(1, 2.0), metrics(2, 1.9)])
    assert not panel._empty.isVisible() and bottom.style["showValues"]
    panel.clear()
    assert panel._empty.isVisible() and not bottom.style["showValues"]


def test_the_legend_sits_outside_the_plotting_area(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 300)
    panel.show()
    panel.add_metrics([metrics(s, 3.0 - 0.01 * s, val=2.9 if s == 50 else None) for s in range(1, 60)])
    panel.add_overlay("an old run", np.arange(50), np.linspace(3, 1, 50))
    plot = panel.lossPlot.getPlotItem()
    assert [label.text for _, label in plot.legend.items] == ["train", "validation", "an old run"]

    def outside() -> bool:  # once the scene has laid the legend out again (the overlay adds a row)
        legend, area = plot.legend.sceneBoundingRect(), plot.vb.sceneBoundingRect()
        return legend.height() > 0 and not legend.intersects(area)

    qtbot.waitUntil(outside, timeout=3000)


def test_the_legend_of_many_runs_keeps_to_its_share_of_the_plot(qtbot):
    """QA: five past runs beside the live one took four legend rows, 90 px of a 240-px plot, the curves 70 px high:
    the rows' height was counted as the font's, the legend's rows are taller."""
    from playground.ui.loss_panel import LEGEND_SHARE

    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 240)
    panel.show()
    panel.add_metrics([metrics(s, 3.0 - 0.01 * s, val=2.9 if s == 50 else None) for s in range(1, 60)])
    for minute in range(5):
        panel.add_overlay(f"started 12:0{minute}:36", np.arange(50), np.linspace(3, 1, 50))
    panel.name_live_run("started 12:07:01")
    plot = panel.lossPlot.getPlotItem()
    qtbot.waitUntil(lambda: plot.legend.sceneBoundingRect().height() > 0, timeout=3000)
    qtbot.wait(50)
    assert plot.legend.sceneBoundingRect().height() <= LEGEND_SHARE * panel.lossPlot.height() + 4


def test_the_first_past_runs_colours_are_far_in_hue_from_the_validation_red(qtbot):
    """QA: after leaving lesson 19.4, its third run's orange overlay beside the live run's red validation dots was
    taken for them. The first four overlays a Runs tab selection adds are 45 degrees of hue or more from that red."""
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.add_metrics([metrics(s, 3.0 - 0.01 * s, val=2.9 if s == 5 else None) for s in range(1, 10)])
    for name in ("first", "second", "third", "fourth"):
        panel.add_overlay(name, np.arange(10), np.linspace(3, 1, 10))
    red = panel.valCurve.opts["pen"].color().hue()
    for name in ("first", "second", "third", "fourth"):
        colour = panel.overlays[name].opts["pen"].color()
        apart = abs(colour.hue() - red) % 360
        assert colour.hue() == -1 or min(apart, 360 - apart) >= 45, (name, colour.name())


def test_past_runs_are_drawn_dashed_each_in_a_pattern_of_its_own(qtbot):
    """QA: two overlay colours (purple, brown) looked alike on a projector, and every past run was drawn solid, as the
    live run is. Each is dashed, neighbours in different patterns."""
    from PySide6.QtCore import Qt

    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.add_metrics([metrics(s, 3.0 - 0.01 * s) for s in range(1, 30)])
    for name in ("first", "second", "third"):
        panel.add_overlay(name, np.arange(20), np.linspace(3, 1, 20))
    panel.add_overlay("fourth", np.arange(20), np.linspace(3, 1, 20))
    pens = [panel.overlays[name].opts["pen"] for name in ("first", "second", "third", "fourth")]
    assert all(pen.style() == Qt.PenStyle.CustomDashLine for pen in pens)
    assert len({tuple(pen.dashPattern()) for pen in pens}) == 4
    # No dots: each dash at least 4 pen widths (QA, twice: a dotted 1-px line was nearly invisible at a projector)
    assert all(min(pen.dashPattern()[::2]) >= 1 and max(pen.dashPattern()[::2]) >= 4 for pen in pens)
    assert all(pen.dashPattern()[:2] != [1.0, 2.0] for pen in pens)
    assert panel.trainCurve.opts["pen"].style() == Qt.PenStyle.SolidLine


def test_the_empty_views_say_what_to_do_whole_in_a_projectors_narrow_panes(qtbot, presentation_font):
    """QA at 175 %: the empty loss plot read "oss curves appear here ... or Step" and the empty attention grid "...
    each heac": one line each, wider than their views. They wrap to the view's width."""
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(560, 230)
    panel.show()
    qtbot.waitExposed(panel)
    view = panel.lossPlot.getPlotItem().vb
    qtbot.waitUntil(lambda: view.sceneBoundingRect().contains(panel._empty.sceneBoundingRect()), timeout=3000)
    assert "Play (Space)" in panel._empty.toPlainText()
    attention = AttentionPanel()
    qtbot.addWidget(attention)
    attention.resize(560, 330)
    attention.show()
    qtbot.waitExposed(attention)
    grid, scroll = attention.grid, attention.gridScroll
    text = grid.placeholder.item  # the label's text (the label fills its cell)
    shown = grid.mapTo(scroll.viewport(), grid.mapFromScene(text.sceneBoundingRect()).boundingRect().topRight())
    assert scroll.horizontalScrollBar().maximum() == 0 and shown.x() <= scroll.viewport().width()
    assert "each" in grid.placeholder.text and "<br>" in grid.placeholder.text


def test_the_colour_bars_title_shows_only_where_the_bar_holds_it(qtbot, presentation_font):
    """QA at 130 %: in the Head roles tab's short two-layer grid the bar's title read "ention weight"."""
    from playground.ui.attention_grid import AttentionGrid

    grid = AttentionGrid(scrolled=False)
    qtbot.addWidget(grid)
    grid.resize(500, 150)
    grid.show()
    qtbot.waitExposed(grid)
    grid.set_snapshot(snapshot(2, 4, [f"w{i}" for i in range(8)]))
    qtbot.wait(20)
    assert not grid.colorBar.axis.label.isVisible()  # too short for its title: none rather than a cut one
    grid.resize(900, 500)  # (its tiles square: as tall as wide)
    qtbot.waitUntil(lambda: grid.colorBar.axis.label.isVisible(), timeout=3000)  # room again: the title
    major = lambda: [value for value, _text in grid.colorBar.axis._tickLevels[0]]  # noqa: E731 - its scale
    assert len(major()) > 2
    grid.set_snapshot(snapshot(1, 8, [f"w{i}" for i in range(8)]))  # one layer: a row of small square tiles
    qtbot.waitUntil(lambda: major() == [0.0, 1.0], timeout=3000)  # a scale naming its ends only (six ran together)


def test_the_loss_plot_follows_the_application_font(qtbot, presentation_font):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.show()
    axis = panel.lossPlot.getPlotItem().getAxis("left")
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(presentation_font.pointSizeF())
    smaller = QApplication.font()
    smaller.setPointSizeF(presentation_font.pointSizeF() / 2)
    QApplication.setFont(smaller)
    qtbot.waitUntil(lambda: axis.style["tickFont"].pointSizeF() == pytest.approx(smaller.pointSizeF()))
    # The legend's names as drawn, not only as set: a label's new size shows once its text is set again, and a
    # zoom that left the names as they were kept them at the old size.
    legend = panel.lossPlot.getPlotItem().legend
    assert legend.items
    qtbot.waitUntil(lambda: all(label.item.font().pointSizeF() == pytest.approx(smaller.pointSizeF())
                                for _, label in legend.items), timeout=2000)


# ----- attention ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_twelve_layer_grid_scrolls_instead_of_cutting_its_last_row(qtbot):
    panel = AttentionPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 330)  # the tab's height at 1280 x 720
    panel.show()
    panel.set_snapshot(snapshot(12, 12, [f"w{i}" for i in range(8)]))
    scroll = panel.gridScroll.verticalScrollBar()
    qtbot.waitUntil(lambda: scroll.maximum() > 0, timeout=5000)  # the rest of the grid is a scroll away
    last = panel.grid.mapFromScene(panel.grid.views[11][11].sceneBoundingRect()).boundingRect()
    assert panel.grid.rect().contains(last)  # the grid is tall (and wide) enough for its last tile: nothing cut
    assert scroll.maximum() + panel.gridScroll.viewport().height() >= last.bottom()


@pytest.mark.parametrize("heads, width", [(12, 720), (16, 1000)])
def test_a_many_headed_grid_fits_its_pane_at_a_projectors_zoom_with_its_colour_scale(qtbot, presentation_font, heads,
                                                                                     width):
    """QA (MiniLM's 12 heads at 130 %): twelve "hN" titles made the grid wider than its pane; it scrolled sideways
    and the colour bar's scale read "1." and half a "0.8". The titles get shorter (numbers, then every other one)
    and the tiles narrower before the grid scrolls sideways."""
    panel = AttentionPanel()
    qtbot.addWidget(panel)
    panel.resize(width, 420)  # at twice the font: as the 503-px pane at 130 % (12 heads)
    panel.show()
    panel.set_snapshot(snapshot(6, heads, [f"w{i}" for i in range(24)]))
    grid, scroll = panel.grid, panel.gridScroll
    qtbot.waitUntil(lambda: grid.width() <= scroll.viewport().width(), timeout=5000)
    assert scroll.horizontalScrollBar().maximum() == 0
    bar = grid.mapFromScene(grid.colorBar.sceneBoundingRect()).boundingRect()
    assert bar.right() <= scroll.viewport().width()  # the colour bar and its scale in view
    titles = [title.text for title in grid.headTitles]
    assert titles[0] == "1" and all(t in ("", str(h + 1)) for h, t in enumerate(titles))


def test_rows_and_columns_label_as_many_tokens_as_they_hold_without_overlap(qtbot):
    panel = AttentionPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    labels = [f"tok{i:02d}" for i in range(64)]
    panel.set_snapshot(snapshot(1, 1, labels))
    qtbot.wait(50)
    item = panel.detail.plot.getPlotItem()
    left, bottom = item.getAxis("left")._tickLevels[0], item.getAxis("bottom")._tickLevels[0]
    assert set(bottom) <= set(left) and 1 < len(bottom) < len(left) < 64  # a row label needs less room
    # Every other token has a shorter, unnamed tick, and the titles say so (QA: "4 3 3 7 7" read as the input)
    for side, named in (("left", left), ("bottom", bottom)):
        axis = item.getAxis(side)
        unnamed = axis._tickLevels[1]
        assert sorted(x for x, _ in [*named, *unnamed]) == [i + 0.5 for i in range(64)]
        assert {text for _, text in unnamed} == {""}
        every = round(named[1][0] - named[0][0])
        assert axis.labelText in axis_titles(side, every)[:3]  # the title that says so, as the room holds it
    font = QFontMetricsF(item.getAxis("bottom").style["tickFont"])
    per_token = item.vb.width() / (item.vb.viewRange()[0][1] - item.vb.viewRange()[0][0])
    assert (bottom[1][0] - bottom[0][0]) * per_token >= font.horizontalAdvance("tok00")  # columns apart
    per_row = item.vb.height() / (item.vb.viewRange()[1][1] - item.vb.viewRange()[1][0])
    assert (left[1][0] - left[0][0]) * per_row >= font.height()  # rows apart
    first = panel.detail.plot.mapFromScene(item.vb.mapViewToScene(QPointF(0, left[0][0])))
    assert first.y() >= QFontMetricsF(item.getAxis("left").style["tickFont"]).height() / 2  # the top label is whole
    image = QImage(panel.detail.plot.size(), QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    drawn = [[text for *_, text in item.getAxis(side).generateDrawSpecs(painter)[2]] for side in ("left", "bottom")]
    painter.end()
    assert drawn == [[t for _, t in left], [t for _, t in bottom]]  # the first and last keep their labels too
    # Zoomed in on the first 8 tokens, every one of them gets its label.
    item.vb.setRange(xRange=(0, 8), yRange=(0, 8), padding=0)
    qtbot.wait(20)
    shown = [t for _, t in item.getAxis("bottom")._tickLevels[0]]
    assert shown[:8] == labels[:8] or len(shown) > len(bottom)


def test_a_thinned_axis_marks_every_token_and_its_title_says_which_are_named():
    assert token_ticks(list("4930"), 1) == [[(0.5, "4"), (1.5, "9"), (2.5, "3"), (3.5, "0")]]
    assert token_ticks(list("4930"), 2) == [[(0.5, "4"), (2.5, "3")], [(1.5, ""), (3.5, "")]]
    assert axis_titles("bottom", 1) == ("key token (looked at)", "key token", "key")
    assert axis_titles("left", 3) == ("query token (looking), every 3rd named", "query token, every 3rd named",
                                      "query token, every 3rd", "query, every 3rd", "query token", "query")
    # (QA: "query (looking)" fitted, and said nothing; keyboard QA: "query, every 2nd" over "0 2 4 6 8 0" read as
    # positions)
    assert [axis_titles("bottom", k)[0][-10:] for k in (12, 21, 22)] == ["12th named", "21st named", "22nd named"]


def test_label_every_keeps_labels_apart():
    assert label_every(shown=10, pixels=500, room=20) == 1
    assert label_every(shown=64, pixels=256, room=20) == 5  # 4 px a token, 20 px a label
    assert label_every(shown=24, pixels=240, room=56) == 6
    # BERT's 16 word pieces in a 250 px head: every row (a line each), every 3rd column ("[CLS]" is 40 px wide).
    assert axis_spacing(shown=16, width=250, height=250, widest=40, line=13) == (1, 3)
    assert axis_spacing(shown=64, width=250, height=250, widest=40, line=13) == (4, 12)  # a multiple of the rows'


def test_the_grid_and_the_enlarged_head_follow_the_application_font(qtbot, presentation_font):
    panel = AttentionPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    panel.set_snapshot(snapshot(2, 2, list("abcdef"), prediction="bcdefg"))
    qtbot.wait(20)
    tick = panel.detail.plot.getPlotItem().getAxis("bottom").style["tickFont"]
    assert tick.pointSizeF() == pytest.approx(presentation_font.pointSizeF())
    head_label = panel.grid.ci.layout.itemAt(0, 1)
    assert f"{presentation_font.pointSizeF():.1f}pt" in head_label.opts["size"]
    assert panel.grid.colorBar.axis.style["tickFont"].pointSizeF() == pytest.approx(presentation_font.pointSizeF())


def test_the_enlarged_vit_head_stays_readable_at_200_percent(qtbot, presentation_font):
    """QA at 175-200 % (1280x720): the enlarged head's heatmap shrank to ~40 px under the probe image and its
    title, the colour bar's labels ran over each other and its axis title read "uery (look"."""
    panel = AttentionPanel()
    qtbot.addWidget(panel)
    panel.resize(640, 330)  # the Attention tab at 200 % with the settings hidden
    panel.show()
    labels = ["CLS"] + [f"r{r}c{c}" for r in range(4) for c in range(4)]
    snap = snapshot(2, 2, labels, prediction="5")
    panel.set_snapshot(AttentionSnapshot(step=snap.step, weights=snap.weights, labels=labels, prediction="5",
                                         image=np.zeros((8, 8), np.float32)))
    detail = panel.detail
    item = detail.plot.getPlotItem()
    line = QFontMetricsF(presentation_font).height()
    qtbot.waitUntil(lambda: detail.probe.isVisible() and item.vb.height() >= 2 * line)  # was half a line
    bar_labels = [value for value, _text in detail.bar.axis._tickLevels[0]]
    assert len(bar_labels) >= 2 and len(bar_labels) * line <= detail.bar.axis.geometry().height()  # apart
    for side, room in (("left", item.vb.height()), ("bottom", item.vb.width())):
        axis = item.getAxis(side)
        assert not axis.label.isVisible() or axis.label.boundingRect().width() <= room  # whole, or none


def test_the_pointed_cells_patches_are_outlined_on_the_vits_probe_image(qtbot):
    """QA: a cell "r1c2 → r0c0" of a ViT's head was found on the probe image by counting its patches."""
    panel = AttentionPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    labels = ["[CLS]"] + [f"r{r}c{c}" for r in range(4) for c in range(4)]
    snap = snapshot(1, 1, labels)
    panel.set_snapshot(AttentionSnapshot(step=3, weights=snap.weights, labels=labels, image=np.zeros((8, 8), np.float32)))
    detail = panel.detail
    qtbot.waitUntil(lambda: detail.probe.isVisible())
    vb = detail.plot.getPlotItem().vb

    def point_at(query: str, key: str) -> None:
        detail.plot.scene().sigMouseMoved.emit(vb.mapViewToScene(QPointF(labels.index(key) + 0.5,
                                                                         labels.index(query) + 0.5)))

    point_at("r1c2", "r0c0")
    assert "r1c2" in detail.readout.text() and "r0c0" in detail.readout.text()
    assert detail.queryPatch.isVisible() and detail.queryPatch.rect().getRect() == (4, 2, 2, 2)  # 2-px patches
    assert detail.keyPatch.isVisible() and detail.keyPatch.rect().getRect() == (0, 0, 2, 2)
    qtbot.wait(50)
    picture = detail.probe.grab().toImage()
    colours = {picture.pixelColor(x, y).name() for x in range(picture.width()) for y in range(picture.height())}
    assert QUERY_PATCH_PEN.color().name() in colours and KEY_PATCH_PEN.color().name() in colours  # drawn
    point_at("r3c3", "[CLS]")  # [CLS] is no patch of the image
    assert detail.queryPatch.rect().getRect() == (6, 6, 2, 2) and not detail.keyPatch.isVisible()
    detail.plot.setFocus()
    detail.cell = (labels.index("r0c1"), labels.index("r0c1"))
    qtbot.keyClick(detail.plot, Qt.Key.Key_Right)  # the arrows' cell: r0c1 looking at r0c2
    assert detail.queryPatch.rect().getRect() == (2, 0, 2, 2) and detail.keyPatch.rect().getRect() == (4, 0, 2, 2)
    panel.set_snapshot(snapshot(1, 1, list("abcdef")))  # a text's: no image, no marks
    assert not detail.queryPatch.isVisible() and not detail.keyPatch.isVisible()


def test_the_accuracy_plot_keeps_two_apart_step_labels_at_200_percent(qtbot, presentation_font):
    """QA at 200 %: the accuracy plot's quarter of a 1280-px window showed one step label, "1000"."""
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(640, 230)
    panel.show()
    panel.add_metrics([MetricsEvent(step=s, max_steps=1500, train_loss=1.0, lr=1e-3, throughput=1.0, unit="images",
                                    elapsed_s=0.0, eta_s=0.0, val_loss=1.0 if s % 50 == 0 else None,
                                    val_accuracy=0.9 if s % 50 == 0 else None) for s in range(1, 1501)])
    axis = panel.accuracyPlot.getPlotItem().getAxis("bottom")

    def drawn_apart() -> bool:  # two step labels at least, none running into the next ("01000")
        image = QImage(panel.accuracyPlot.size(), QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        drawn = [rect for rect, _flags, _text in axis.generateDrawSpecs(painter)[2]]
        painter.end()
        return len(drawn) >= 2 and all(a.right() < b.left() for a, b in zip(drawn, drawn[1:]))

    qtbot.waitUntil(drawn_apart)


def test_clearing_the_attention_tab_forgets_the_model(qtbot):
    panel = AttentionPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    snap = snapshot(2, 2, list("abcdef"), prediction="bcdefg")
    panel.set_snapshot(snap)
    panel.hover.setText("layer 1 · head 1 · query 'a' (#0) → key 'a' (#0): weight 1.000")
    panel.detail.readout.setText("query 'a' (#0) → key 'a' (#0): weight 1.000")
    panel.clear()
    assert panel.grid.snapshot is None and panel.detail.snapshot is None
    assert panel.hover.text() == HOVER_HINT and "weight" not in panel.detail.readout.text()
    assert panel.detail.prediction.text() == "" and not panel.detail.plot.isVisible()


# ----- inside attention -----------------------------------------------------------------------------
def test_pointing_at_any_stage_of_step_by_step_reads_its_numbers(qtbot, tiny_session, monkeypatch):
    from PySide6.QtCore import QPoint

    from playground.ui import inside_attention
    from playground.ui.attention_jobs import InsideJob
    from playground.ui.inside_attention import StepsView, step_cells

    session = tiny_session("decoder", "zen")
    job = InsideJob(1, layer=1, head=1, pixel_ratio=2.0)(session)  # for a HiDPI screen: 2 pixels a window pixel
    steps, figure = job.steps, job.steps_figure
    assert job.steps_rgb.shape == (2 * figure.height, 2 * figure.width, 3)
    view = StepsView()
    qtbot.addWidget(view)
    view.fitCheck.setChecked(False)  # figure pixels = label pixels (plus the label's margin)
    view.resize(1400, 900)
    view.show()
    view.set_steps(steps, figure, job.steps_rgb, "caption")
    assert view.label.pixmap().deviceIndependentSize().width() == figure.width  # this screen's 1x: shown at its size
    cells = {key: rest for key, *rest in step_cells(figure, steps)}
    assert set(cells) >= {"q", "scores", "scaled", "mask", "masked", "weights", "output", "head1", "projected"}

    def point(key, row, col):
        x, y, cw, ch, rows, cols = cells[key]
        assert (rows, cols) == {"q": steps.q, "weights": steps.weights, "projected": steps.projected,
                                "masked": steps.masked}.get(key, steps.scores).shape
        origin = view.label.contentsRect().topLeft()
        return QPoint(round(origin.x() + x + (col + 0.5) * cw), round(origin.y() + y + (row + 0.5) * ch))

    T = steps.seq_len
    q, k = T - 1, T // 2  # a key the causal mask allows
    for key in ("scores", "scaled", "masked", "weights"):
        view.hover(point(key, q, k))
        text = view.readout.text()
        assert f"(#{q}) → key" in text and f"(#{k})" in text
        assert f"q·k = {steps.scores[q, k]:.3f}" in text and f"/√{steps.d_head} = {steps.scaled[q, k]:.3f}" in text
        assert f"weight {steps.weights[q, k]:.4f}" in text and f"V[#{k}] = [{steps.v[k][0]:.2f}" in text
    row = steps.scaled[q][: q + 1]
    assert f"of the row's sum {np.exp(row - row.max()).sum():.4f}" in text
    view.hover(point("mask", 0, T - 1))  # the first query may not see the last key
    assert "mask: hidden" in view.readout.text() and "weight 0" in view.readout.text()
    view.hover(point("projected", 2, 3))
    assert "after W_O of token" in view.readout.text() and f"{steps.projected[2, 3]:.4f}" in view.readout.text()
    # A new figure (training went on) updates the numbers under the still mouse.
    view.hover(point("weights", q, k))
    changed = type(steps)(**{**steps.__dict__, "weights": steps.weights * 0 + 0.5})
    view.set_steps(changed, figure, np.asarray(figure.to_image().convert("RGB")), "caption")
    assert "weight 0.5000" in view.readout.text()
    # A shorter input typed meanwhile: that cell is gone, and so are its numbers (QA: an IndexError, the old read-out)
    short = InsideJob(2, text="ab", layer=1, head=1)(session)
    assert short.steps.seq_len < q
    view.set_steps(short.steps, short.steps_figure, short.steps_rgb, "caption")
    assert view.hovered is None and view.readout.text() == inside_attention.STEPS_HINT
    view.set_steps(steps, figure, job.steps_rgb, "caption")
    # Scrolled under a still pointer, it reads the cell now under it, or says how to read one off the cells (QA: it
    # kept naming the cell the scroll had carried away).
    view.resize(700, 400)  # (smaller than the figure: it scrolls)
    qtbot.waitUntil(lambda: view.scroll.verticalScrollBar().maximum() > 0, timeout=5_000)
    pointer = point("q", 1, 2)
    still = view.label.mapToGlobal(pointer)
    monkeypatch.setattr(inside_attention.QCursor, "pos", staticmethod(lambda: still))
    view.hover(pointer)
    assert view.readout.text().startswith("query Q of token") and "(#1), dimension 3:" in view.readout.text()
    bar = view.scroll.verticalScrollBar()

    def scroll_to(value: int) -> None:  # as the wheel or the bar's arrows do it: an action of the user's
        bar.setSliderPosition(value)
        bar.triggerAction(QAbstractSlider.SliderAction.SliderMove)
        qtbot.wait(10)

    scroll_to(round(cells["q"][3]))  # a row further down under the pointer
    assert "(#2), dimension 3:" in view.readout.text()
    scroll_to(0)
    still = view.label.mapToGlobal(QPoint(4, 4))  # the figure's corner, in the view: no cell
    scroll_to(1)
    assert view.readout.text() == inside_attention.STEPS_HINT
    scroll_to(0)
    still = view.label.mapToGlobal(pointer)  # over row 1 again, then scrolled to row 2: read again (QA: the hint stayed)
    scroll_to(round(cells["q"][3]))
    assert "(#2), dimension 3:" in view.readout.text()
    bar.setValue(0)  # scrolled by the program (a lesson's stage): what was read stays
    assert "(#2), dimension 3:" in view.readout.text()
    view.clear()
    assert view.steps is None and "Point at a cell" in view.readout.text()


def test_step_by_step_fitted_in_a_small_window_keeps_its_titles_legible_and_every_stage_in_reach(qtbot, tiny_session):
    """At 1280x720 in a lesson the figure gets about 900 x 150 px: fitting it there made its stage titles 7 px."""
    from PySide6.QtGui import QFont, QFontInfo

    from playground.analysis.steps import attention_steps
    from playground.ui.inside_attention import FIT_CRAMPED, FIT_TEXT, StepsView, step_cells
    from playground.viz.views import LABEL_SIZE, render_steps

    steps = attention_steps(tiny_session("decoder", "zen"), layer=1, head=1)
    figure = render_steps(steps)
    view = StepsView()
    qtbot.addWidget(view)
    view.resize(900, 230)  # the view's size in lesson 19.2 at 1280x720
    view.show()
    view.set_steps(steps, figure, np.asarray(figure.to_image().convert("RGB")), "caption")

    def title_px() -> float:
        return LABEL_SIZE * view.label.pixmap().width() / figure.width

    assert view.fitCheck.isChecked() and title_px() >= QFontInfo(view.font()).pixelSize() - 1
    bigger = QFont(view.font())
    bigger.setPointSizeF(view.font().pointSizeF() * 1.3)  # presentation mode
    view.setFont(bigger)
    assert title_px() >= QFontInfo(bigger).pixelSize() - 1 >= LABEL_SIZE
    # too wide to fit legibly: the check box says so and where room comes from (QA: "Fit to width does nothing")
    assert view.fitCheck.text() == FIT_CRAMPED and "F9" in FIT_CRAMPED
    view.resize(4000, 230)
    qtbot.waitUntil(lambda: view.fitCheck.text() == FIT_TEXT, timeout=5_000)
    view.resize(900, 230)
    # the last stage (the output projection) is reached by scrolling down and right
    *_, (key, x, y, cw, ch, rows, cols) = step_cells(figure, steps)
    scale = view.label.pixmap().width() / figure.width
    assert key == "projected"

    def scrolled_to(bar, end, seen):  # the scroll area takes the grown picture's size an event round at a time
        bar.setValue(bar.maximum())
        return bar.value() + seen() >= end

    viewport = view.scroll.viewport()
    for bar, end, seen in ((view.scroll.verticalScrollBar(), (y + rows * ch) * scale, viewport.height),
                           (view.scroll.horizontalScrollBar(), (x + cols * cw) * scale, viewport.width)):
        qtbot.waitUntil(lambda bar=bar, end=end, seen=seen: scrolled_to(bar, end, seen), timeout=5000)


def test_confusion_counts_embedding_labels_and_try_it_pictures_follow_the_font(qtbot, presentation_font):
    from playground.analysis.embeddings import Projection
    from playground.ui.confusion_panel import ConfusionPanel
    from playground.ui.inside_attention import MAX_POSITION_LABELS, ScatterPlot
    from playground.ui.plotting import font_scale
    from playground.ui.try_it import ImageLabel
    from playground.viz.canvas import Figure

    confusion = ConfusionPanel()
    confusion.set_confusion(np.array([[3, 1], [0, 4]]), ["cat", "dog"])
    positions = ScatterPlot("Positions", "", True)
    positions.set_projection(Projection(np.random.default_rng(0).normal(size=(512, 2)),
                                        [str(i) for i in range(512)], (0.5, 0.2)))
    shown = [t for t in positions.texts if t.isVisible()]
    assert len(shown) == MAX_POSITION_LABELS and [t.toPlainText() for t in shown[:2]] == ["0", "32"]
    crowded = ScatterPlot("Tokens", "", False)  # "4" once sat on "[PAD]": a label over another reads as neither
    qtbot.addWidget(crowded)
    crowded.resize(450, 240)
    crowded.show()
    crowded.set_projection(Projection(np.array([[0.0, 0.0], [0.01, 0.0], [0.5, 0.5], [1.0, 1.0]]),
                                      ["[PAD]", "4", "a", "b"], (0.5, 0.2)))
    qtbot.wait(20)
    drawn = [t for t in crowded.texts if t.isVisible()]
    rects = [crowded.label_rect(t) for t in drawn]
    assert [t.toPlainText() for t in drawn] == ["[PAD]", "a", "b"]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    told = []  # a hidden label is still read by pointing at its dot
    crowded.sigHover.connect(told.append)
    box = crowded.getPlotItem().getViewBox()
    crowded.hover(box.mapViewToScene(QPointF(0.01, 0.0)))  # (the scene's sigMouseMoved calls it)
    assert told == ["Tokens: token '4' (#1) at PC 1 = 0.010, PC 2 = 0.000"]
    crowded.hover(box.mapViewToScene(QPointF(0.75, 0.25)))  # far from every dot: nothing new to read
    assert len(told) == 1
    picture = ImageLabel("picture")
    picture.resize(800, 600)
    figure = Figure(min_width=100, min_height=50)
    figure.text(4, 4, "it", 13)
    assert (figure.width, figure.height) == (100, 50)
    picture.set_figure(figure)
    for widget in (confusion, positions, picture):
        qtbot.addWidget(widget)

    def sizes():
        texts = [t.textItem.font().pointSizeF() for t in confusion.texts + shown]
        return min(texts), max(texts), picture.pixmap().width()

    big = presentation_font.pointSizeF()
    assert sizes() == (pytest.approx(big), pytest.approx(big), round(100 * font_scale())) and font_scale() > 1.5
    smaller = QApplication.font()
    smaller.setPointSizeF(big / 2)
    QApplication.setFont(smaller)
    qtbot.waitUntil(lambda: sizes() == (pytest.approx(big / 2), pytest.approx(big / 2),
                                        round(100 * max(1.0, font_scale()))))


def test_a_dark_system_gets_dark_plots_with_light_labels(qtbot, qapp, dark_theme):
    from PySide6.QtGui import QColor, QPalette

    from playground.training.changes import SettingChange
    from playground.ui import plotting, theme
    from playground.ui.confusion_panel import ConfusionPanel
    from playground.ui.inside_attention import FigureView
    from playground.ui.theme import DARK, LIGHT

    loss, attention, confusion, figure = LossPanel(), AttentionPanel(), ConfusionPanel(), FigureView("figure", "")
    for widget in (loss, attention, confusion, figure):
        qtbot.addWidget(widget)
    for plot in (loss.lossPlot, attention.grid, attention.detail.plot, confusion.plot):
        assert plot.backgroundBrush().color().name() == DARK[0], plot.objectName()
    # Under Xvfb's dark look a strip of plot background stood beside each heatmap (a locked aspect in a wider
    # tile), and a white square between a figure's scroll bars (a style sheet on the whole scroll area).
    attention.resize(900, 300)  # a pane wider than tall: the grid's tiles square (QA: a layer's heads as tall strips)
    attention.show()
    attention.set_snapshot(snapshot(2, 3, list("abcdef")))
    attention.grab()  # the views' ranges follow their sizes when they paint
    views = [vb for row in attention.grid.views for vb in row] + [attention.detail.plot.getPlotItem().vb]
    images = [img for row in attention.grid.images for img in row] + [attention.detail.image]
    for vb, image in zip(views, images):
        tile, heatmap = vb.sceneBoundingRect(), image.sceneBoundingRect()
        assert abs(tile.width() - tile.height()) <= 1 or vb is views[-1]
        assert heatmap.adjusted(-1, -1, 1, 1).contains(tile) and tile.adjusted(-1, -1, 1, 1).contains(heatmap)
    figure.resize(300, 200)
    figure.show()
    figure.fitCheck.setChecked(False)
    figure.set_figure(None, np.zeros((400, 600, 3), np.uint8))  # larger than the view both ways: both scroll bars
    across, down = figure.scroll.horizontalScrollBar(), figure.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: across.isVisible() and down.isVisible(), timeout=1000)
    for window in ("#323232", "#efefef"):  # a dark system's window, a light one's
        palette = QPalette(figure.palette())
        palette.setColor(QPalette.ColorRole.Window, QColor(window))
        figure.setPalette(palette)
        corner = across.mapTo(figure, QPoint(across.width() + 4, 4))  # beside the bar across, below the bar down
        assert figure.grab().toImage().pixelColor(corner).name() == window
    axis = loss.lossPlot.getPlotItem().getAxis("left")
    assert axis.textPen().color().name() == DARK[1] and axis.labelStyle["color"] == DARK[1]  # the title kept its colour

    def marker_colours() -> tuple[str, str]:  # (line, label) of the change marker ("#555" once: lost on dark)
        return marker.pen.color().name(), marker.label.color.name()

    loss.add_changes([SettingChange(5, "train.lr", 3e-3, 1e-3)])
    marker = loss.markers[5]
    assert marker_colours() == (DARK[1], DARK[1]) and 0.3 < marker.pen.color().alphaF() < 1
    qapp.setProperty(theme.PROPERTY, "light")  # the system switched (the fixture restores the look)
    plotting.restyle_plots()
    assert marker_colours() == (LIGHT[1], LIGHT[1])


def test_the_app_takes_the_systems_colour_scheme(qapp, dark_theme):
    from PySide6.QtCore import Qt

    from playground.ui import theme

    assert theme.is_dark() and theme.plot_colours() == theme.DARK
    assert theme.choose(qapp) == qapp.styleHints().colorScheme()  # headless Qt reports no preference: light
    assert theme.is_dark() == (qapp.styleHints().colorScheme() == Qt.ColorScheme.Dark)


def test_a_decoders_roles_hide_the_next_token_column_its_mask_makes_zero(qtbot):
    from playground.ui.roles_panel import COLUMNS, RolesPanel

    panel = RolesPanel()
    qtbot.addWidget(panel)
    panel.show()
    causal = snapshot(2, 2, list("abcdef"))
    causal = AttentionSnapshot(1, np.tril(causal.weights) / np.tril(causal.weights).sum(-1, keepdims=True),
                               causal.labels)
    panel.add_snapshot(causal)
    column = COLUMNS.index("next")
    assert panel.table.isColumnHidden(column) and "causal mask" in panel.caption.text()
    panel.add_snapshot(snapshot(2, 2, list("abcdef"), step=2))  # an encoder looks both ways
    assert not panel.table.isColumnHidden(column)
    assert any(float(panel.table.item(r, column).text()) > 0 for r in range(panel.table.rowCount()))


def test_try_it_forgets_an_old_models_answer_and_names_one_step(qtbot):
    from playground.ui.try_it import LECTURE_SENTENCES, TryItPanel, TryItResult

    panel = TryItPanel(lambda: None)
    qtbot.addWidget(panel)
    panel.show()
    snap = snapshot(1, 2, ["[CLS]", "it", "was", "[SEP]"])
    with_it = TryItResult(1, 150, "it was", [("animal", 0.9), ("street", 0.1)], snap, snap.weights, 1)
    panel.token = 1
    panel.on_result(with_it)
    assert "step 150" in panel.nowTitle.text() and "step 150" in panel.status.text()
    without = TryItResult(2, 169, "was", [("street", 0.6), ("animal", 0.4)], snap, snap.weights, None)
    panel.token = 2
    panel.on_result(without)
    assert "step 169" in panel.nowTitle.text() and "step 169" in panel.status.text()  # never 150 beside 169
    panel.follow(190, training=True)  # trained on: the view is of step 169 still, and says so, not "Now"
    assert panel.nowTitle.text() == "<b>At step 169</b>" and "it is at step 190 now" in panel.status.text()
    panel.token = 3
    panel.on_result(TryItResult(3, 200, "was", [("street", 0.7), ("animal", 0.3)], snap, snap.weights, None))
    assert panel.nowTitle.text() == "<b>Now</b> (step 200)"
    panel.input.setText("typed for the old model")
    panel.show_model(None, pretrained=True)
    assert panel.result is None and panel.changedTable.rowCount() == 0 and not panel.gridButton.isEnabled()
    assert panel.input.text() == LECTURE_SENTENCES[1] and "step" not in panel.nowTitle.text()


def test_try_it_on_a_model_without_the_word_it_says_so_and_names_step_0_untrained(qtbot):
    """QA: encoder-sentiment's vocabulary has no "it" ([UNK]): Try it said the lecture's sentence "has no 'it'",
    under a "Before fine-tuning" title for a model trained from scratch."""
    from playground.ui.try_it import LECTURE_SENTENCES, TryItPanel, TryItResult

    panel = TryItPanel(lambda: None)
    qtbot.addWidget(panel)
    panel.show()
    snap = snapshot(1, 2, ["the", "animal", "[UNK]", "was"])
    panel.token = 1
    panel.on_result(TryItResult(1, 80, LECTURE_SENTENCES[1], [("positive", 0.6), ("negative", 0.4)], snap,
                                snap.weights, None))
    assert "vocabulary has no 'it'" in panel.beforeImage.text() and "Untrained" in panel.beforeTitle.text()
    panel.token = 2
    panel.on_result(TryItResult(2, 80, "a fine film", [("positive", 0.6), ("negative", 0.4)], snap, snap.weights,
                                None, pretrained=True))
    assert "This sentence has no 'it'" in panel.beforeImage.text() and "Before fine-tuning" in panel.beforeTitle.text()


def test_try_it_offers_each_datasets_sentence_and_follows_cls_where_there_is_no_it(qtbot):
    """QA: the sentiment model was offered the lecture's "it" sentence, and a review (no "it") left both head views
    blank: "This sentence has no 'it'". A review's head view now follows [CLS], which the classifier reads."""
    from types import SimpleNamespace

    from playground.analysis.roles import changed_most
    from playground.ui.try_it import LECTURE_SENTENCES, REVIEW_SENTENCE, TryItPanel, TryItResult, followed_word

    panel = TryItPanel(lambda: None)
    qtbot.addWidget(panel)
    panel.show()
    offered = {}
    for name in ("sentiment", "pronoun", "csv_file"):
        panel.show_model(SimpleNamespace(name=name), pretrained=False)
        offered[name] = panel.input.text()
    assert offered == {"sentiment": REVIEW_SENTENCE, "pronoun": LECTURE_SENTENCES[1], "csv_file": ""}
    # QA: a model trained from scratch was titled "Before fine-tuning" until its first answer
    assert panel.beforeTitle.text() == "<b>Untrained</b> (step 0)"
    panel.show_model(SimpleNamespace(name="pronoun"), pretrained=True)
    assert panel.beforeTitle.text() == "<b>Before fine-tuning</b> (step 0)"
    assert followed_word(["[CLS]", "the", "dog", "saw", "it", "[SEP]"], "the dog saw it") == (4, "it")  # as before
    # "it" typed but not read (an unknown word, or past the context): no [CLS] instead, the view says why.
    assert followed_word(["[CLS]", "the", "animal", "[UNK]", "[SEP]"], "the animal it") == (None, "it")
    # Another classifier's story is [CLS]'s, an unknown "it" or not (review: "i loved it" lost its head view).
    assert followed_word(["[CLS]", "i", "loved", "[UNK]", "[SEP]"], "i loved it", pronoun_task=False) == (0, "[CLS]")
    labels = ["[CLS]", *REVIEW_SENTENCE.split(), "[SEP]"]
    snap = snapshot(2, 2, labels)
    query, word = followed_word(labels, REVIEW_SENTENCE)
    assert (query, word) == (0, "[CLS]")
    panel.token = 1
    before = np.roll(snap.weights, 1, axis=-1)  # the step-0 weights, other than now's
    panel.on_result(TryItResult(1, 40, REVIEW_SENTENCE, [("positive", 0.7), ("negative", 0.3)], snap, before,
                                query, word, len(labels), changed_most(before, snap.weights)))
    assert panel.pickerLabel.text() == "Head view of '[CLS]': layer"
    shown = [label.text() for label in panel.barsBox.findChildren(QLabel) if label.isVisible()]
    assert "No prediction yet." not in shown  # it was drawn under "negative" until the event loop deleted it
    assert not panel.beforeImage.original.isNull() and not panel.nowImage.original.isNull()  # drawn, not a note
    row = panel.result.changes[0]
    top = labels[int(np.argmax(snap.weights[row.layer, row.head, 0]))]
    assert panel.changedTable.item(0, 4).text().startswith(f"{top} (")  # what [CLS] looks at most now
    # ... and in words on hover, where a narrow column cuts the cell (QA, 175 %: "it …")
    assert panel.changedTable.item(0, 4).toolTip().startswith(
        f"Layer {row.layer + 1}, head {row.head + 1} at step 40: '[CLS]' looks most at '{top}', with ")
    assert "at step 0: '[CLS]'" in panel.changedTable.item(0, 3).toolTip()
    assert "It read only" not in panel.status.text()  # the whole sentence fit
    assert "has changed" not in panel.status.text()
    # At step 0 no head has changed: no table of heads at 0.0 % (QA), and the status says why it is empty
    panel.token = 2
    panel.on_result(TryItResult(2, 0, REVIEW_SENTENCE, [("positive", 0.7), ("negative", 0.3)], snap, snap.weights,
                                query, word, len(labels), changed_most(snap.weights, snap.weights)))
    assert panel.changedTable.rowCount() == 0
    assert "No head's attention has changed since step 0 yet" in panel.status.text()
    panel.show_model(SimpleNamespace(name="sentiment"), pretrained=False)  # another model: the picker no longer names [CLS]
    assert panel.pickerLabel.text() == "Head view: layer" and panel.result is None


def test_try_it_after_a_rebuild_says_how_far_the_new_model_trained(qtbot):
    """QA: "The model was rebuilt: press Enter to ask the new one." stood beside the new model trained to step 40."""
    from playground.ui.try_it import TryItPanel

    panel = TryItPanel(lambda: None)
    qtbot.addWidget(panel)
    panel.pending = True  # an answer on its way from the model that is gone
    panel.clear_pending()
    assert panel.status.text() == "The model was rebuilt: press Enter to ask the new one."
    panel.follow(40, training=True)
    assert panel.status.text() == "The model was rebuilt, and trained to step 40: press Enter to ask it."


def test_try_it_says_when_the_model_read_only_the_start_of_a_sentence(qtbot):
    """QA: a negative review longer than bert-sentiment's 12 positions was read as its first clause alone and shown
    as positive at 100 % without a word; a pronoun sentence whose 'it' fell past the cut was said to be outside the
    vocabulary of bert-pronoun, the model that knows it."""
    from playground.ui.try_it import TryItPanel, TryItResult

    panel = TryItPanel(lambda: None)
    qtbot.addWidget(panel)
    panel.show()
    panel.input.setText("old answer")
    labels = ["[CLS]", "the", "big", "old", "animal", "did", "not", "[SEP]"]
    snap = snapshot(1, 2, labels)
    panel.token = 1
    panel.on_result(TryItResult(1, 300, "the big old animal did not cross the street because it was tired",
                                [("first noun", 0.9), ("second noun", 0.1)], snap, snap.weights, None, "it", 14))
    assert "It read only the first 8 of the sentence's 14 tokens" in panel.status.text()
    assert "Context length" in panel.status.text()
    assert "'it' comes after the 8 tokens this model reads" in panel.beforeImage.text()
    assert "vocabulary" not in panel.beforeImage.text()
    panel.input.clear()  # asked again with nothing typed: the last sentence's answer goes with it
    assert not panel.predict()
    assert panel.result is None and panel.changedTable.rowCount() == 0 and "Type a sentence" in panel.status.text()


def test_try_it_names_the_typed_words_its_model_reads_as_unk(qtbot):
    """QA: "the movie was not good at all" showed "at" and "all" as [UNK] in the head views without a word of why."""
    from conftest import TINY_SENTIMENT

    from playground.core.spec import make_spec
    from playground.training.session import TrainingSession
    from playground.ui.try_it import TryItJob, TryItPanel

    session = TrainingSession(make_spec(TINY_SENTIMENT))
    known = [w for w in session.dataset.vocab.tokens if w.isalpha()][:3]
    answer = TryItJob(1, f"{known[0]} zyzzyva {known[1]} qwxv {known[2]} zyzzyva")(session)
    assert answer.unknown == ("zyzzyva", "qwxv") and answer.snapshot.labels.count("[UNK]") == 3
    panel = TryItPanel(lambda: None)
    qtbot.addWidget(panel)
    panel.token = 1
    panel.on_result(answer)
    assert (f"'zyzzyva', 'qwxv' are not among the {session.info.vocab_size:,} tokens this model knows: it reads them "
            f"as [UNK].") in panel.status.text()
    assert panel.layerCombo.count() and panel.headCombo.count()
    panel.show_model(session.info, False)  # another model: no answer, and none of the last one's layers or heads (QA)
    assert panel.layerCombo.count() == panel.headCombo.count() == 0 and panel.result is None
    assert TryItJob(2, " ".join(known))(session).unknown == ()


def test_try_its_heads_changed_most_are_ranked_by_the_row_its_views_show():
    """QA: the table's top head had moved 69.5 % over every token's row, beside Before and Now views of the [CLS] row
    it follows, which read "[CLS] 94%" and "[CLS] 96%"."""
    from conftest import TINY_SENTIMENT

    from playground.core.spec import make_spec
    from playground.training.session import TrainingSession
    from playground.ui.try_it import TryItJob

    session = TrainingSession(make_spec(TINY_SENTIMENT))
    for _ in range(3):
        session.train_step()
    answer = TryItJob(1, "a great film")(session)
    assert answer.query is not None and answer.query_word == "[CLS]"
    moved = 0.5 * np.abs(answer.snapshot.weights - answer.before).sum(-1)[:, :, answer.query]  # (L, H)
    assert [c.change for c in answer.changes] == pytest.approx(sorted(moved.ravel(), reverse=True))
    assert answer.changes[0].change > 0


def test_the_csv_dialog_never_guesses_an_id_as_the_label_and_warns_of_two_rows(qtbot, tmp_path):
    from playground.ui.csv_columns import FEW_ROWS, CsvColumnsDialog, read_header, rows_note

    path = tmp_path / "reviews.csv"
    path.write_text("id;review;stars\n1;great film;5\n2;dull;1\n", encoding="utf-8")
    header = read_header(path)
    assert header == ["id", "review", "stars"]
    dialog = CsvColumnsDialog(path, header, rows=rows_note(path))
    qtbot.addWidget(dialog)
    assert dialog.columns() == ("review", "stars")
    assert "Only 2 example rows" in dialog.rowsNote.text() and not dialog.rowsNote.isHidden()
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()  # a warning: the user may go on
    (tmp_path / "header.csv").write_text("id;review;stars\n", encoding="utf-8")  # (QA: "Only 0 example rows")
    assert rows_note(tmp_path / "header.csv").text == (f"It has a header row and no examples: add one row per example under "
                                                  f"it, at least {FEW_ROWS}.")
    assert dialog.minimumWidth() > dialog.fontMetrics().horizontalAdvance(dialog.windowTitle())
    path.write_text("id;review;stars\n" + "".join(f"{i};film {i};{i % 5}\n" for i in range(FEW_ROWS)), encoding="utf-8")
    many = CsvColumnsDialog(path, header, rows=rows_note(path))
    qtbot.addWidget(many)
    assert many.rowsNote.isHidden() and many.headerNote.isHidden()


def test_the_csv_dialog_names_an_unclosed_quote_rather_than_counting_the_rows_it_swallowed(qtbot, tmp_path,
                                                                                           monkeypatch):
    """Newcomer QA: a quote never closed on line 6 made the dialog say "Only 5 example rows: too few to learn from…
    Add more rows", and only after OK did the window name the quote. The dialog then offered OK, which the data
    refused ("Not used", QA): no OK for such a file."""
    from playground.ui.csv_columns import CsvColumnsDialog, CsvHeaderError, ask_columns, read_header, rows_note

    path = tmp_path / "reviews.csv"
    rows = [f"review number {i},{'pos' if i % 2 else 'neg'}" for i in range(30)]
    rows[4] = '"Unclosed quote, broken,neg'
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    dialog = CsvColumnsDialog(path, read_header(path), rows=rows_note(path))
    qtbot.addWidget(dialog)
    said = ("Line 6 opens a quote it never closes: every row after it is read as part of its text. Close the quote, "
            "or remove it, then choose the file again.")
    assert dialog.rowsNote.text() == said and not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.labelCombo.setCurrentIndex(0)
    dialog.labelCombo.setCurrentIndex(1)  # two columns chosen again: still no OK
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    monkeypatch.setattr(CsvColumnsDialog, "exec", lambda self: QDialog.DialogCode.Rejected)  # closed, the only way out
    with pytest.raises(CsvHeaderError, match=f"^reviews.csv: {re.escape(said)}$"):  # said under the settings then
        ask_columns(None, path)
    path.write_text("text,label\n" + "\n".join(rows) + "\n" + "".join(f"more {i},pos\n" for i in range(9000)),
                    encoding="utf-8")  # longer than the start the dialog reads (review: the quote went unsaid there)
    # (a longer file's start may end inside a long quoted text that closes later: said, not refused, review)
    assert path.stat().st_size > 64 * 1024 and rows_note(path) == (said.replace(", then choose the file again", ""),
                                                                   False)


def test_the_csv_dialog_warns_of_a_first_row_that_is_an_example(qtbot, tmp_path):
    """Data QA: a file with no header offered its first example's cells as the columns ("0" the text column) and
    dropped that row, without a word."""
    from playground.ui.csv_columns import CsvColumnsDialog, read_header

    path = tmp_path / "noheader.csv"
    path.write_text("great film,0\ndull plot,1\n", encoding="utf-8")
    dialog = CsvColumnsDialog(path, read_header(path))
    qtbot.addWidget(dialog)
    note = dialog.headerNote.text()
    assert not dialog.headerNote.isHidden() and "'great film', '0'" in note and "looks like an example" in note
    assert "e.g. text,label" in note


def test_try_it_puts_its_status_above_the_head_pickers(qtbot, presentation_font):
    """QA at 175 %: beside the head view's pickers, "Type a sentence and press Enter: ..." wrapped a word a line, and
    the page needed the width of both: a Try it tab never opened made the window 1,328 px wide."""
    from playground.ui.try_it import TryItPanel

    panel = TryItPanel(lambda: None)
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.status.geometry().bottom() < panel.layerCombo.geometry().top()  # above the pickers
    assert panel.status.width() >= 0.9 * panel.width() - 20  # the page's width: lines of words, not a column
    assert panel.minimumSizeHint().width() < 700  # 737 at twice the font with Enlarge beside the pickers


def test_a_sliders_value_keeps_its_digits_when_the_font_grows(qtbot):
    """QA at 175 %: bert-pronoun's feed-forward width read "153" for 1536: the value's room was measured in the
    font the slider was made with, before the window's zoom."""
    from playground.ui.sliders import ValueSlider

    slider = ValueSlider("ffSlider", [512, 1024, 1536], 1536)
    qtbot.addWidget(slider)
    slider.show()
    before = QApplication.font()
    bigger = QApplication.font()
    bigger.setPointSizeF(before.pointSizeF() * 1.75)
    try:
        QApplication.setFont(bigger)
        qtbot.waitUntil(lambda: slider.label.font().pointSizeF() == bigger.pointSizeF(), timeout=3000)
        assert slider.label.minimumWidth() >= slider.label.fontMetrics().horizontalAdvance("0.0003")
    finally:
        QApplication.setFont(before)
    qtbot.waitUntil(lambda: slider.label.minimumWidth() < slider.label.fontMetrics().horizontalAdvance("0.0003") + 20,
                    timeout=3000)  # and back


def test_the_enlarged_heads_axis_titles_stay_on_the_plot_at_every_height(qtbot, presentation_font):
    """QA, lesson 19.3 at 130 %: the query axis read "query (lookin": a title changed to a longer one kept the shorter
    one's place, and ran past the plot's top."""
    panel = AttentionPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    panel.set_snapshot(snapshot(1, 1, list("abcdefghijklmnopqrstuvwxyz012345")))
    plot = panel.detail.plot
    axis = plot.getPlotItem().getAxis("left")
    shown = 0
    for height in range(180, 420, 4):
        panel.resize(900, height)
        for _ in range(5):
            QApplication.processEvents()
        if axis.label.isVisible():
            shown += 1
            title, view = axis.label.sceneBoundingRect(), plot.mapToScene(plot.viewport().rect()).boundingRect()
            assert view.top() - 0.5 <= title.top() and title.bottom() <= view.bottom() + 0.5, height
    assert shown > 0


def test_an_emptied_embedding_plot_keeps_nothing_of_the_last_model(qtbot):
    """QA: after a rebuild the empty plots kept the last model's "PC 2 (6%)" and its axis ranges."""
    from playground.analysis.embeddings import Projection
    from playground.ui.inside_attention import ScatterPlot

    plot = ScatterPlot("Tokens", "", False)
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    plot.set_projection(Projection(np.array([[0.0, 0.0], [40.0, 30.0]]), ["a", "b"], (0.94, 0.06)))
    item = plot.getPlotItem()
    assert item.getAxis("left").labelText == "PC 2 (6%)"
    plot.clear_points()
    qtbot.wait(20)
    assert (item.getAxis("bottom").labelText, item.getAxis("left").labelText) == ("PC 1", "PC 2")
    (x0, x1), (y0, y1) = item.getViewBox().viewRange()
    assert x1 < 10 and y1 < 10  # not the last model's 0..40 and 0..30


def test_try_it_says_the_pronoun_tasks_answer_means_little_without_an_it(qtbot):
    from playground.ui.try_it import TryItPanel, TryItResult

    panel = TryItPanel(lambda: None)
    qtbot.addWidget(panel)
    panel.show()
    snap = snapshot(1, 2, ["[CLS]", "the", "dog", "[SEP]"])
    answers = [("the animal", 0.99), ("the place", 0.01)]
    panel.token = 1
    panel.on_result(TryItResult(1, 300, "the dog ran", answers, snap, snap.weights, 0, "[CLS]", pronoun_task=True))
    assert "There is no 'it' in this sentence" in panel.status.text() and "the animal" in panel.status.text()
    panel.token = 2
    panel.on_result(TryItResult(2, 300, "It ran", answers, snap, snap.weights, 1, pronoun_task=True))
    assert "no 'it'" not in panel.status.text()
    panel.token = 3
    panel.on_result(TryItResult(3, 300, "a fine film", [("positive", 0.9), ("negative", 0.1)], snap, snap.weights,
                                0, "[CLS]"))  # a review needs no "it"
    assert "no 'it'" not in panel.status.text()


def test_a_try_it_picture_made_for_its_room_is_made_again_when_the_room_changes_shape(qtbot):
    from playground.ui.try_it import ImageLabel
    from playground.viz.canvas import Figure

    asked = []

    def make(aspect: float) -> Figure:
        asked.append(round(aspect, 2))
        return Figure(min_width=round(200 * aspect), min_height=200)

    picture = ImageLabel("picture")
    qtbot.addWidget(picture)
    picture.resize(300, 600)
    picture.show()
    qtbot.waitExposed(picture)
    picture.set_figure_for_room(make)
    picture.resize(310, 600)  # the same shape, near enough: the figure stands
    picture.resize(600, 600)
    assert asked == [0.5, 1.0] and picture.figure.width == 200
    picture.set_figure(Figure(min_width=50, min_height=50))  # a plain figure: made once
    picture.resize(300, 600)
    assert asked == [0.5, 1.0]


def test_a_try_it_picture_smaller_than_its_figure_is_drawn_again_at_its_size(qtbot):
    """QA: the head views were the figure scaled down as a picture, their 13-px labels a blur 4-5 px tall at
    1280x720; drawn again at the size shown, the text stays sharp."""
    from playground.ui.try_it import ImageLabel, _pixmap
    from playground.viz.canvas import Figure

    figure = Figure(min_width=400, min_height=400)
    for row in range(16):
        figure.text(10, 10 + 24 * row, f"token {row}", 13)
    picture = ImageLabel("picture")
    qtbot.addWidget(picture)
    picture.resize(200, 300)
    picture.set_figure(figure)
    shown = picture.pixmap()
    assert shown.size().width() == 200 and shown.size().height() == 200
    assert shown.toImage() == _pixmap(figure, 1.0, 0.5).toImage()  # drawn at half its size, not scaled to it
    scaled = picture.original.scaled(shown.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
    assert shown.toImage() != scaled.toImage()


def test_a_vits_embeddings_caption_speaks_of_positions_alone_in_sentences(qtbot, tmp_path):
    """QA: "…tokens the model treats alike lie close together; …  Positional encodings, learned (PCA).  this model has
    no token embedding table" beside a ViT's positions alone."""
    from playground.analysis.embeddings import Projection
    from playground.ui.attention_jobs import InsideResult
    from playground.ui.inside_attention import EmbeddingsView

    view = EmbeddingsView()
    qtbot.addWidget(view)
    patches = [f"r{r}c{c}" for r in range(4) for c in range(4)]
    positions = Projection(np.random.default_rng(0).normal(size=(17, 2)), ["[CLS]", *patches],
                           (0.2, 0.1), "Positional encodings, learned (PCA)")
    snap = AttentionSnapshot(5, np.full((1, 1, 17, 17), 1 / 17, dtype=np.float32), ["[CLS]", *["p"] * 16])
    view.set_result(InsideResult(1, 5, "", 0, 0, snap, positions=positions,
                                 notes=["this model has no token embedding table (a ViT embeds image patches)"]))
    assert view.caption.text() == ("Step 5: positions are joined in order ([CLS] → r0c0 → r0c1 …). Positional encodings, "
                                   "learned (PCA). This model has no token embedding table (a ViT embeds image patches).")
    # its tooltip speaks of patches in the image's rows, not of a sequence's tokens (QA)
    assert "r0c0, r0c1" in view.positions.toolTip() and "order of the tokens" not in view.positions.toolTip()
    assert view.export(tmp_path / "embeddings.png").read_bytes()[:4] == b"\x89PNG"  # (written whole: save_png)


def test_an_exported_plots_value_axis_has_room_for_the_exports_own_ticks(qtbot, tmp_path, monkeypatch):
    """QA: an exported plot's "loss" ran over its "1.5": the picture, larger than the screen, got half-step ticks the
    axis had not been laid out for. The axis keeps room for one decimal more than whole numbers while it is drawn."""
    from pyqtgraph import exporters
    from PySide6.QtGui import QFontMetricsF

    from playground.ui.exporting import export_plot

    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(950, 230)
    panel.show()
    panel.add_metrics([metrics(s, 2.5 * np.exp(-s / 40.0)) for s in range(1, 360)])
    axis = panel.lossPlot.getPlotItem().getAxis("left")
    seen = []
    real = exporters.ImageExporter.export
    monkeypatch.setattr(exporters.ImageExporter, "export", lambda self, *args, **kwargs: seen.append(
        (axis.width(), dict(axis.style))) or real(self, *args, **kwargs))
    measured = axis.textWidth
    export_plot(panel.lossPlot.getPlotItem(), tmp_path / "loss.png", "a title")
    assert axis.textWidth == measured  # the screen's axis as wide as before (review: the export's labels widened it)
    (width, style), = seen
    room = QFontMetricsF(style["tickFont"] or axis.font()).horizontalAdvance("8.88")
    assert not style["autoExpandTextSpace"] and style["tickTextWidth"] >= room and width >= room
    assert axis.style["autoExpandTextSpace"]  # as it was, on screen


def test_a_two_line_export_title_stands_whole_below_the_pictures_top_in_presentation_mode(qtbot, tmp_path,
                                                                                        presentation_font, dark_theme):
    """QA: Compare's exported plot at 130 % had its first title line on the picture's top edge, the letters' tops cut:
    pyqtgraph's title label stayed 30 px tall, and the text centred on it overflowed above."""
    from PIL import Image

    from playground.ui.exporting import export_plot

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(700, 400)
    plot.show()
    plot.plot([1, 2, 3], [3, 1, 2])
    export_plot(plot.getPlotItem(), tmp_path / "two.png", "Compare A/B: Encoder classifies review sentiment<br>B is lower")
    dark = np.flatnonzero((np.asarray(Image.open(tmp_path / "two.png").convert("L")) < 128).any(axis=1))
    # the title's first line below the top edge, not cut by it; in dark ink on the paper, in the dark look too (QA:
    # light grey on white)
    assert dark[0] > 0 and dark[0] < 60
    assert not plot.getPlotItem().titleLabel.isVisible()  # (on screen: no title, as before)


def test_an_export_that_cannot_be_written_raises_once_without_painters_warnings(qtbot, tmp_path, qtlog):
    """QA: an SVG export into a folder it could not write said so, and logged ~300 "QPainter::… Painter not active"
    lines meanwhile: the picture is painted in memory, then written whole or not at all."""
    from PySide6.QtCore import QSize

    from playground.ui.exporting import export_plot, paint_svg, save_png

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.plot([1, 2, 3], [3, 1, 2])
    for suffix in ("svg", "png"):
        with pytest.raises(OSError):
            export_plot(plot.getPlotItem(), blocker / f"plot.{suffix}", "a title")
    with pytest.raises(OSError):
        paint_svg(blocker / "lines.svg", QSize(100, 50), lambda painter: painter.drawLine(0, 0, 100, 50))
    assert not [r for r in qtlog.records if "QPainter" in r.message]
    assert blocker.read_text(encoding="utf-8") == "not a folder" and list(tmp_path.iterdir()) == [blocker]
    paint_svg(tmp_path / "lines.svg", QSize(100, 50), lambda painter: painter.drawLine(0, 0, 100, 50))
    assert "<svg" in (tmp_path / "lines.svg").read_text(encoding="utf-8")
    # nothing to draw (an empty view): an error, and the file there before is not replaced by an empty one (review)
    with pytest.raises(OSError, match="nothing was drawn"):
        save_png(QImage(), tmp_path / "lines.svg")
    assert "<svg" in (tmp_path / "lines.svg").read_text(encoding="utf-8")


@pytest.mark.parametrize(("raw", "said"), [
    (b"PK\x03\x04 an Excel workbook", "it looks like a ZIP archive (a Word, Excel or OpenDocument file is one)"),
    ("text,label\nhi,a\n".encode("utf-16"), "it contains NUL bytes: a binary file, or text saved as UTF-16"),
    ("text,label\ncafé,a\n".encode("latin-1"), "byte 15, counted from 1, cannot be read"),
])
def test_a_csv_the_dialog_cannot_read_is_named_for_what_it_is(tmp_path, raw, said):
    """QA: an Excel file renamed .csv, a UTF-16 and a Latin-1 CSV were all "not UTF-8 text: save it as UTF-8 CSV"."""
    from playground.ui.csv_columns import CsvHeaderError, read_header

    path = tmp_path / "table.csv"
    path.write_bytes(raw)
    with pytest.raises(CsvHeaderError) as refused:
        read_header(path)
    assert str(refused.value).startswith("table.csv is not UTF-8 text (") and said in str(refused.value)
