"""Live loss curves (train and validation), an accuracy curve, a hover read-out, and a marker for each setting
changed mid-run (a vertical line after its step, labelled like "lr 3e-3→1e-3").

Items are created once; new points go into growing numpy buffers and one `setData` per refresh.
While training, the window asks for at most a few redraws a second (`min_redraw_s`): every redraw
runs pyqtgraph's Python paint code on the GUI thread, and that holds the GIL the training thread needs.
For the same reason the plot's auto-range follows a frame rounded out to whole tick steps
(`loss_frame`), not the exact data: the axes (tick text, grid) are redrawn only when the frame grows.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPen, QResizeEvent
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QHBoxLayout, QVBoxLayout, QWidget

from playground.core.differences import NAME_SEPARATOR
from playground.core.messages import loss_text
from playground.training.events import MetricsEvent, SettingChange
from playground.ui import theme
from playground.ui.plotting import (
    FittedLabel,
    ThinCurve,
    broken_html,
    fit_legend,
    follow_font,
    hold_tooltip_over_data,
    legend_below,
    legend_name,
    marker_pen,
    no_tab_stop,
    shown_colour,
    sized_font,
    style_axes,
    themed_line,
)
from playground.ui.tooltips import TIPS

# Curves with thousands of points are drawn 1 px wide: Qt's raster engine strokes any wider pen as polygons,
# 30 ms per paint for a 3,000-step curve at 1.5 px against 1.25 ms at 1 px (measured here, offscreen).
TRAIN_PEN = pg.mkPen("#1f77b4", width=1)
VAL_PEN = pg.mkPen("#d62728", width=2)
ACC_PEN = pg.mkPen("#2ca02c", width=2)
# Labels of successive markers step down the plot over this many rows, so markers close together stay readable.
MARKER_ROWS = 3
# Past runs overlaid from the Runs tab: colours that stay apart from train/validation/accuracy, each of middling
# lightness so that its thin line stands out 3.5:1 or more on the light plot and on the dark one (QA: the pink
# and the olive, 2.7:1 and 2.0:1 on white, were nearly invisible at a projector). The first ones furthest from the
# validation red in hue (QA: orange and brown overlays beside it were taken for it, also as the third of three).
OVERLAY_COLOURS = ("#9467bd", "#0095a3", "#8c8c00", "#6b6fd0", "#cc4fa8", "#7f7f7f", "#d15f00", "#a0665a")
# ... each dashed in its own way too: a past run's curve is told from the live one's solid line, and from another's
# where two colours look alike on a projector (QA: the purple and the brown) or to a colour-blind eye. Qt's dash
# patterns (dash and gap lengths in pen widths), with long dashes where it had dots: a 1-px dotted line was nearly
# invisible at a projector (QA, twice).
OVERLAY_DASHES = ((4, 2), (4, 2, 1, 2), (4, 2, 1, 2, 1, 2), (9, 3))


class Series:
    """x/y points in a buffer that doubles when full."""

    def __init__(self) -> None:
        self._x = np.empty(256)
        self._y = np.empty(256)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self._x):
            self._x = np.concatenate([self._x, np.empty_like(self._x)])
            self._y = np.concatenate([self._y, np.empty_like(self._y)])
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    def clear(self) -> None:
        self.n = 0

    def at(self, x: float) -> float | None:
        """The y of the point nearest to x (None when empty)."""
        if not self.n:
            return None
        i = int(np.clip(np.searchsorted(self.x, x), 0, self.n - 1))
        if i > 0 and abs(self.x[i - 1] - x) < abs(self.x[i] - x):
            i -= 1
        return float(self.y[i])


TICK_STEPS = (1, 2, 2.5, 5)  # x 10^k: the loss axis's frame is whole multiples of one of these
STEP_ENDS = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)  # x 10^k: where the step axis ends (at most a third left empty)
# A log axis cannot show 0 (encoder-reverse reaches exactly 0): a loss of 0 is drawn a decade below the smallest loss
# above 0 on the plot, at LOG_FLOOR at most (see log_floor).
LOG_FLOOR = 1e-4
MIN_LOG_FLOOR = 1e-12
# A flat stretch (one point, after a single Step) spans this fraction of its loss, not a millionth of it.
FLAT_SPAN = 0.1
# Ticks per decade on a log axis, sparsest first: the densest whose labels stay this many text lines apart is used.
LOG_MANTISSAS = ((1,), (1, 3), (1, 2, 5), tuple(range(1, 10)))
LOG_LABEL_GAP = 1.5
EMPTY_TEXT = "The loss curves appear here when training starts: Play (Space) or Step (→)."
# Shorter than this many lines of text, the plots are compact: the legend's names on the read-out line and no axis
# titles but "loss" (a lesson step that trains squeezes them to 98 px, where those left the curves no height).
COMPACT_LINES = 11  # (at 8, 130 px in a lesson at 1280x720 kept the legend and "step" and left the curves 25 px: QA)
LEGEND_CELL = (4, 1)  # the loss plot layout's row under the step axis
LEGEND_SLACK = 8  # px: the plot layout's margins and the legend's own
# Of the loss plot's height, at most, for the legend's rows (more columns, shorter names), rows counted at their drawn
# height: three rows at 1280x720 (lesson 19.4's three runs named whole; seven entries in three columns, not four rows)
LEGEND_SHARE = 0.4
LEGEND_COLUMNS = 4  # at most: "train", "validation" and two past runs side by side in a wide plot
ACC_STEP_LABELS = 3  # the accuracy plot is never narrower than its axis and this many step labels ("1,000")
ACC_AXIS_GAPS = 20  # px: the accuracy axis' tick marks and the gaps around its labels
MAX_ACC_PADDING = 0.25  # the accuracy plot's room beyond 0 and 1 in a very short plot: a quarter of the range


def nice_ceiling(value: float, ladder: tuple[float, ...] = TICK_STEPS) -> float:
    """The smallest m x 10^k >= value, m from `ladder` (value > 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (*ladder, 10) if m * power >= value * (1 - 1e-12))


def log_floor(*losses: np.ndarray) -> float:
    """Where a log axis draws a loss of 0: a decade below the smallest loss above 0 among `losses`, at most LOG_FLOOR
    (a fixed 1e-4 drew runs trained to 1.6e-6 and 4.1e-8 as one flat line, QA; a fixed 1e-8 left a curve that reached
    0 in the plot's top quarter, review)."""
    smallest = min((float(a[a > 0].min()) for a in losses if (a > 0).any()), default=10 * LOG_FLOOR)
    return max(MIN_LOG_FLOOR, min(LOG_FLOOR, smallest / 10))


def loss_frame(last_step: float, low: float, high: float, log_y: bool,
               floor: float = LOG_FLOOR) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) the loss plot auto-ranges to: steps from 0 to a round number, losses rounded out to
    whole tick steps (quarter decades on a log axis, where a loss of 0 is at `floor`). It changes a few times a run,
    not at every redraw."""
    x1 = nice_ceiling(max(last_step, 10.0), STEP_ENDS)
    if log_y:
        low, high = max(low, floor), max(high, floor)
        return 0.0, x1, 10 ** (math.floor(4 * math.log10(low)) / 4), 10 ** (math.ceil(4 * math.log10(high)) / 4)
    if high - low < FLAT_SPAN * abs(high):  # widened about its middle: the point shows with a tick above and below
        low, high = low - FLAT_SPAN * abs(high) / 2, high + FLAT_SPAN * abs(high) / 2
    step = nice_ceiling(max(high - low, 1e-6) / 4)
    return 0.0, x1, math.floor(low / step) * step, math.ceil(high / step) * step


class LossFrame:
    """What a loss plot auto-ranges to: only this see-through two-point item at `loss_frame`'s corners, never the
    curves themselves (added with `unbounded_curve`), so the axes are redrawn only when the frame changes. (A curve
    with pen=None would be hidden, and auto-range skips hidden items.)"""

    def __init__(self, plot: pg.PlotItem) -> None:
        self._item = pg.PlotDataItem([], [], pen=pg.mkPen((0, 0, 0, 0)))
        plot.addItem(self._item)
        self.framed: tuple[float, float, float, float] | None = None

    def fit(self, last_step: float, low: float, high: float, log_y: bool, floor: float = LOG_FLOOR) -> None:
        frame = loss_frame(last_step, low, high, log_y, floor)
        if frame != self.framed:
            self.framed = frame
            x0, x1, y0, y1 = frame
            self._item.setData([x0, x1], [y0, y1])

    def clear(self) -> None:
        self._item.setData([], [])
        self.framed = None


def unbounded_curve(plot: pg.PlotItem, curve: pg.PlotDataItem | None = None, **style: object) -> pg.PlotDataItem:
    """`curve` (default: a new one of `style`) added to `plot`, where auto-range ignores it (the plot's LossFrame
    stands for it)."""
    curve = pg.PlotDataItem(**style) if curve is None else curve
    plot.addItem(curve, ignoreBounds=True)
    return curve


def show_lone_point(curve: pg.PlotDataItem, points: int) -> None:
    """A line through one point draws nothing: the curve is a dot until its second step (set only on a change)."""
    symbol = "o" if points == 1 else None
    if curve.opts["symbol"] != symbol:
        curve.setSymbol(symbol)
        scene = curve.scene()
        if scene is not None:  # its legend sample draws the symbol too, and repaints only when asked (QA: the dot
            scene.update()  # stayed in the legend, "A" a fat dot on a projector, until the legend was laid out again)


def log_ticks(low: float, high: float, pixels: float, line: float) -> list[float]:
    """Tick positions (log10 of the values) between `low` and `high` (log10 too) on an axis `pixels` long: 1, 2
    and 5 in each decade, or fewer (more only where the range holds less than two), as text `line` px high
    allows; in a plot too short for a label a decade, every n-th decade. pyqtgraph's own ticks sit at every
    integer multiple, and their labels piled up over each other."""
    if pixels <= 0 or high <= low:
        return []
    per_decade = pixels / (high - low)
    room = LOG_LABEL_GAP * line
    every = math.ceil(room / per_decade)
    chosen = [float(d) for d in range(math.ceil(low), math.floor(high) + 1) if d % every == 0]
    for mantissas in LOG_MANTISSAS if every == 1 else ():
        closest = float(np.diff([math.log10(m) for m in (*mantissas, 10)]).min())
        if len(chosen) >= 2 and closest * per_decade < room:
            break  # these labels would touch; the sparser ticks already mark the range
        decades = range(math.floor(low), math.ceil(high) + 1)
        chosen = [d + math.log10(m) for d in decades for m in mantissas if low <= d + math.log10(m) <= high]
    if len(chosen) < 2 and every == 1:  # zoomed in between two integer multiples (2.04 to 2.88): round values
        step = nice_ceiling((10**high - 10**low) / 4)
        first = math.ceil(10**low / step) * step
        chosen = [math.log10(v) for v in np.arange(first, 10**high, step) if v > 0]
    return chosen


class LossAxis(pg.AxisItem):
    """The loss axis: on a log scale, log_ticks' readable 1-2-5 ticks."""

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: list) -> list:  # noqa: N802
        line = QFontMetrics(self.style["tickFont"] or self.font()).height()
        return [(None, log_ticks(minVal, maxVal, size, line))]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        # pyqtgraph writes one significant digit: 2.2 and 2.4 both read "2"
        return [f"{10 ** v * scale:.3g}" for v in values]


def overlay_pen(style: int, width: int = 1) -> QPen:
    """The pen of the past run drawn in overlay colour and dashes `style` (the Runs table's swatches use it too).
    1 px on the plot: Qt strokes a wider dashed pen as polygons, hundreds of times slower (docs/performance.md)."""
    pen = pg.mkPen(OVERLAY_COLOURS[style % len(OVERLAY_COLOURS)], width=width)
    pen.setDashPattern(list(OVERLAY_DASHES[style % len(OVERLAY_DASHES)]))
    return pen


class LossPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossPanel")
        self.train = Series()
        self.val = Series()
        self.acc = Series()
        self.min_redraw_s = 0.0  # the window raises it while training
        self._dirty = False
        self._drawn_at = -1e9

        self.lossPlot = pg.PlotWidget(self, axisItems={"left": LossAxis("left")})
        self.lossPlot.setObjectName("lossPlot")
        no_tab_stop(self.lossPlot)
        self.lossPlot.setToolTip(TIPS["loss"])
        plot = self.lossPlot.getPlotItem()
        plot.setLabel("left", "loss")
        plot.getAxis("left").enableAutoSIPrefix(False)  # "0.7", not "700 (x0.001)"
        plot.setLabel("bottom", "step")
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setDownsampling(mode="peak")
        plot.setClipToView(True)
        legend_below(plot, 4, LEGEND_CELL)
        self.compact = False
        self._reading = False  # the read-out line shows the values at a step (else blank, or the key when compact)
        self.trainCurve = unbounded_curve(plot, ThinCurve(TRAIN_PEN.color().name(), name="train", symbol=None,
                                                          symbolSize=7, symbolPen=None))  # (a dot while one point)
        self.valCurve = unbounded_curve(plot, name="validation", pen=VAL_PEN, symbol="o", symbolSize=5,
                                        symbolBrush="#d62728", symbolPen=None)
        self._frame = LossFrame(plot)
        self._cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        self._cursor.setVisible(False)
        plot.addItem(self._cursor, ignoreBounds=True)
        self.markers: dict[int, pg.InfiniteLine] = {}  # settings changed mid-run, by the step they came after
        self._changes: dict[int, dict[str, SettingChange]] = {}  # what each marker says, by setting

        self.accuracyPlot = pg.PlotWidget(self)
        self.accuracyPlot.setObjectName("accuracyPlot")
        no_tab_stop(self.accuracyPlot)
        self.accuracyPlot.setToolTip(TIPS["accuracy"])
        acc = self.accuracyPlot.getPlotItem()
        acc.setLabel("left", "accuracy")  # the tooltip says validation: a longer label was cut in a short plot
        acc.setLabel("bottom", "step")
        acc.showGrid(x=True, y=True, alpha=0.25)
        acc.vb.sigResized.connect(self._fit_accuracy_range)
        plot.vb.sigXRangeChanged.connect(self._fit_accuracy_range)  # (no setXLink: see _fit_accuracy_range)
        acc.setMouseEnabled(x=False, y=False)  # its steps follow the loss plot's (zoom and pan there)
        self.accCurve = unbounded_curve(acc, name="accuracy", pen=ACC_PEN, symbol="o", symbolSize=4,
                                        symbolBrush="#2ca02c", symbolPen=None)  # x follows the loss plot
        self.accuracyPlot.setVisible(False)
        self.show_accuracy = True
        self.overlays: dict[str, pg.PlotDataItem] = {}  # past runs' curves, by legend name
        self.val_overlays: dict[str, pg.PlotDataItem] = {}  # their validation losses (dots), by the same name
        self.accuracy_overlays: dict[str, pg.PlotDataItem] = {}  # their validation accuracy, by the same name
        # every overlaid loss curve (training and validation) with its losses as read: the log axis clips them
        self._overlay_data: dict[pg.PlotDataItem, tuple[np.ndarray, np.ndarray]] = {}
        self._floor = LOG_FLOOR  # where the log axis draws a loss of 0 (`log_floor`)
        self._empty = pg.TextItem(EMPTY_TEXT, color=pg.getConfigOption("foreground"), anchor=(0.5, 0.5))
        self._empty_html = ""  # its text as last broken into lines for the view's width
        plot.addItem(self._empty, ignoreBounds=True)

        self.logCheck = QCheckBox("log scale", self)
        self.logCheck.setObjectName("logCheck")
        self.logCheck.setToolTip(TIPS["logy"])
        self.logCheck.toggled.connect(self._on_log)
        self.readout = FittedLabel(self)  # a step's values in the fullest wording the plot's width holds
        self.readout.setObjectName("lossReadout")

        top = QHBoxLayout()
        top.addWidget(self.readout, 1)
        top.addWidget(self.logCheck)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        plots = QHBoxLayout()
        plots.addWidget(self.lossPlot, 3)
        plots.addWidget(self.accuracyPlot, 1)
        layout.addLayout(plots, 1)
        for widget in (self.lossPlot, self.accuracyPlot):
            for side in ("left", "bottom"):
                # Replaying an axis (its tick labels and the grid) costs ~3 ms of Python per paint; cached as a
                # pixmap it is redrawn only when its range changes, not every time the curve next to it moves.
                widget.getPlotItem().getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._proxies = [pg.SignalProxy(w.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse(w))
                         for w in (self.lossPlot, self.accuracyPlot)]
        for widget in (self.lossPlot, self.accuracyPlot):
            widget.installEventFilter(self)  # the pointer leaving ends the read-out (no move inside says so)
            hold_tooltip_over_data(widget, lambda: self._reading)
        plot.vb.sigResized.connect(self._place_empty_text)
        self._legend_fitted: tuple | None = None  # what the legend was last fitted to (`_fit_legend`)
        plot.vb.sigResized.connect(lambda: self._fit_legend())  # the loss axis grew or shrank beside it
        follow_font(self, self._follow_font)
        self._empty.setVisible(False)
        self._show_empty(True)

    # ----- data ---------------------------------------------------------------------------------
    def add_metrics(self, events: list[MetricsEvent]) -> None:
        """Append a batch of steps and redraw once: at once when it holds an evaluation (rare, and the
        accuracy plot appears with the first one), else unless the last redraw is younger than `min_redraw_s`."""
        if not events:
            return
        evaluated = False
        for e in events:
            if np.isfinite(e.train_loss):
                self.train.append(e.step, e.train_loss)
            if e.val_loss is not None:
                if np.isfinite(e.val_loss):  # a diverging run's last evaluation can be inf or nan
                    self.val.append(e.step, e.val_loss)
                evaluated = True
            if e.val_accuracy is not None:
                self.acc.append(e.step, e.val_accuracy)
                evaluated = True
        self._dirty = True
        if evaluated:
            self.redraw()
        else:
            self.redraw_if_due()

    def redraw_if_due(self) -> None:
        """Draw the points added since the last redraw, if there are any and the redraw is due."""
        if self._dirty and time.monotonic() - self._drawn_at >= self.min_redraw_s:
            self.redraw()

    def redraw(self) -> None:
        self._refloor()
        show_lone_point(self.trainCurve, self.train.n)
        self.trainCurve.setData(self.train.x, self._shown_y(self.train.y))
        for curve, series, losses in ((self.valCurve, self.val, True), (self.accCurve, self.acc, False)):
            if len(curve.xData if curve.xData is not None else ()) != series.n:  # evaluations are rare
                curve.setData(series.x, self._shown_y(series.y) if losses else series.y)
        self._show_empty(not self.train.n and not self.val.n and not self.overlays)
        self._show_accuracy_plot()
        self._update_frame()
        self._dirty = False
        self._drawn_at = time.monotonic()

    def _shown_y(self, losses: np.ndarray) -> np.ndarray:
        """Losses as the plot draws them: on a log axis, those below its floor at the floor."""
        return np.maximum(losses, self._floor) if self.logCheck.isChecked() else losses

    def _refloor(self) -> None:
        """The log axis's floor for the losses on the plot now: where it moved, every loss curve drawn at the old one
        is drawn again (an overlay added while paused moves it, and no redraw follows)."""
        floor = log_floor(self.train.y, self.val.y, *(losses for _steps, losses in self._overlay_data.values()))
        if floor == self._floor:
            return
        self._floor = floor
        if self.logCheck.isChecked():
            for curve, series in ((self.trainCurve, self.train), (self.valCurve, self.val)):
                curve.setData(series.x, self._shown_y(series.y))
            self._redraw_overlays()

    def _redraw_overlays(self, curves: Iterable[pg.PlotDataItem] | None = None) -> None:
        """The overlaid losses (every one, or `curves` of them) drawn as the axis shows them."""
        for curve in self._overlay_data if curves is None else curves:
            steps, losses = self._overlay_data[curve]
            curve.setData(steps, self._shown_y(losses))

    def _update_frame(self) -> None:
        losses = np.concatenate([self.train.y, self.val.y])  # finite only: add_metrics keeps no inf or nan
        if not losses.size:
            return
        last = max(series.x[-1] for series in (self.train, self.val) if series.n)
        self._frame.fit(last, float(losses.min()), float(losses.max()), self.logCheck.isChecked(), self._floor)

    def clear(self) -> None:
        for series in (self.train, self.val, self.acc):
            series.clear()
        for curve in (self.trainCurve, self.valCurve, self.accCurve):
            curve.setData([], [])
        self._frame.clear()
        self._dirty = False
        for marker in self.markers.values():
            self.lossPlot.getPlotItem().removeItem(marker)
        self.markers.clear()
        self._changes.clear()
        self._cursor.setVisible(False)
        self._reading = False
        self._show_accuracy_plot()
        self._show_key()
        self._show_empty(not self.overlays)
        self.name_live_run("")  # another run's curves now: the Runs tab names it again as it overlays past ones

    def name_live_run(self, label: str) -> None:
        """The live run's curves named "train — `label`" and "validation — `label`" where past runs are overlaid
        beside them (QA: lesson 19.4's comparison named the overlays, the run on screen only "train" and
        "validation"), or plainly (""); through PlotDataItem's documented `name`, which its legend entry reads."""
        for curve, word in ((self.trainCurve, "train"), (self.valCurve, "validation")):
            name = f"{word}{NAME_SEPARATOR}{label}" if label else word
            if curve.name() != name:
                x, y = curve.getOriginalDataset()
                curve.setData([] if x is None else x, [] if y is None else y, name=name)
        self._fit_legend()

    def add_changes(self, changes: Iterable[SettingChange]) -> None:
        """Mark each setting changed mid-run: a dashed vertical line after its step, labelled with the change
        ("lr 3e-3→1e-3"); changes after the same step share a line and a label. A setting changed again after the
        same step is one change from its first value (QA: paused, two presses of an arrow key a while apart
        labelled "lr 3e-3→2e-3, lr 2e-3→1e-3"); changed back, it is no change, and a line left with none goes."""
        for change in changes:
            shown = self._changes.setdefault(change.step, {})
            before = shown.get(change.key)
            if before is not None and change.old != before.new:
                continue  # a resumed run replays a change the plot shows
            merged = change if before is None else replace(before, new=change.new)
            if merged.old == merged.new:
                del shown[change.key]
            else:
                shown[change.key] = merged
            self._mark(change.step, ", ".join(c.label for c in shown.values()))

    def _mark(self, step: int, label: str) -> None:
        """The line after `step` labelled `label`, made or relabelled; none where `label` is ""."""
        marker = self.markers.get(step)
        if marker is not None and label:
            marker.label.setFormat(label)
            return
        if marker is not None:
            self.lossPlot.getPlotItem().removeItem(self.markers.pop(step))
            return
        if not label:
            return
        row = len(self.markers) % MARKER_ROWS
        # in the look's foreground, as the axes, and like them recoloured when the system switches (no fill:
        # recolour keeps a text on a fill of its own, and a white box glares on a dark plot)
        marker = pg.InfiniteLine(pos=step, angle=90, movable=False, pen=marker_pen(), label=label,
                                 labelOpts={"color": pg.getConfigOption("foreground"), "anchors": [(0, 0), (1, 0)],
                                            "position": 0.97 - 0.1 * row})
        themed_line(marker)
        marker.label.setFont(self.font())
        self.lossPlot.getPlotItem().addItem(marker, ignoreBounds=True)
        self.markers[step] = marker

    def add_overlay(self, name: str, steps: np.ndarray, losses: np.ndarray, style: int | None = None,
                    accuracy: tuple[np.ndarray, np.ndarray] | None = None,
                    validation: tuple[np.ndarray, np.ndarray] | None = None) -> pg.PlotDataItem:
        """Overlay a past run's loss curve with its own legend entry (replaces one of the same name), its
        `validation` losses (steps, values), if any, as dots in its colour (the live run's are dots too), and its
        validation `accuracy`, if any, in the same pen beside it; `style` picks its colour and dashes (None: the
        next)."""
        self.remove_overlay(name)
        pen = overlay_pen(len(self.overlays) if style is None else style)
        plot = self.lossPlot.getPlotItem()
        curve = self.overlays[name] = plot.plot([], [], name=name, pen=pen)
        self._overlay_data[curve] = np.asarray(steps, dtype=float), np.asarray(losses, dtype=float)
        added = [curve]
        if validation is not None and len(validation[0]):  # (lecturer QA: an overlaid ablation's memorising unseen)
            # no legend entry of their own: a second one a run filled the legend at a projector
            dots = self.val_overlays[name] = plot.plot([], [], pen=None, symbol="o", symbolSize=6,
                                                       symbolBrush=pen.color(), symbolPen=None)
            self._overlay_data[dots] = np.asarray(validation[0], dtype=float), np.asarray(validation[1], dtype=float)
            added.append(dots)
        self._refloor()  # (the others drawn again only where the floor moved)
        self._redraw_overlays(added)
        if accuracy is not None and len(accuracy[0]):  # (student QA: overlaid, an ablation's accuracy was not drawn)
            self.accuracy_overlays[name] = self.accuracyPlot.getPlotItem().plot(*accuracy, pen=pen)
            self._show_accuracy_plot()
        self._show_empty(False)
        self._fit_legend()
        self._show_key()
        return curve

    def remove_overlay(self, name: str) -> None:
        curves = [curve for curve in (self.overlays.pop(name, None), self.val_overlays.pop(name, None))
                  if curve is not None]
        for curve in curves:
            del self._overlay_data[curve]
            self.lossPlot.getPlotItem().removeItem(curve)
        if curves:
            self._fit_legend()
            self._refloor()
        accuracy = self.accuracy_overlays.pop(name, None)
        if accuracy is not None:
            self.accuracyPlot.getPlotItem().removeItem(accuracy)
            self._show_accuracy_plot()
        self._show_empty(not self.train.n and not self.val.n and not self.overlays)
        self._show_key()

    def clear_overlays(self) -> None:
        """Take every past run's curve off the plot (the window does it when the preset or family changes)."""
        for name in list(self.overlays):
            self.remove_overlay(name)
        self.name_live_run("")

    def set_show_accuracy(self, show: bool) -> None:
        """Classifiers get the accuracy plot; for language models the loss tells the story."""
        self.show_accuracy = show
        self._show_accuracy_plot()

    def _show_accuracy_plot(self) -> None:
        """Shown with the first evaluation's accuracy, or a past run's overlaid."""
        shown = self.show_accuracy and bool(self.acc.n or self.accuracy_overlays)
        if shown != self.accuracyPlot.isVisibleTo(self):
            self.accuracyPlot.setVisible(shown)
            self._show_key()

    def set_log_y(self, on: bool) -> None:
        self.logCheck.setChecked(on)

    # ----- interaction --------------------------------------------------------------------------
    def _on_log(self, on: bool) -> None:
        self.lossPlot.getPlotItem().setLogMode(y=on)
        self.valCurve.setData([], [])  # redrawn below with the losses clipped (or not) for this axis
        self._redraw_overlays()
        self.redraw()  # log axes round the frame to quarter decades

    def _show_empty(self, empty: bool) -> None:
        """An empty plot says how to fill it and shows no made-up 0 to 1 axes."""
        if empty == self._empty.isVisible():
            return
        self._empty.setVisible(empty)
        for side in ("left", "bottom"):
            self.lossPlot.getPlotItem().getAxis(side).setStyle(showValues=not empty)
        if empty:
            self._place_empty_text()

    def _place_empty_text(self) -> None:
        """In the middle of the view, its lines as wide as the view (on one line it was cut at both ends at 175 %)."""
        if self._empty.isVisible():
            view = self.lossPlot.getPlotItem().vb
            width = view.width() - 2 * self.fontMetrics().averageCharWidth()
            shown = f"<div align='center'>{broken_html(EMPTY_TEXT, self.font(), width)}</div>"
            if shown != self._empty_html:
                self._empty_html = shown
                self._empty.setHtml(shown)
            (x0, x1), (y0, y1) = view.viewRange()
            self._empty.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """Compact below COMPACT_LINES of text: the legend off the plot (its names on the read-out line), no axis
        titles but "loss"; else all of them."""
        self._set_compact(self.height() < COMPACT_LINES * self.fontMetrics().height())

    @contextmanager
    def full_figure(self) -> Iterator[None]:
        """The plots with their legend and axis titles while they are exported, compact on screen or not (a lesson
        step's compact plot was exported with neither)."""
        compact = self.compact
        self._set_compact(False)
        try:
            yield
        finally:
            self._set_compact(compact)

    def _set_compact(self, compact: bool) -> None:
        for widget, side in ((self.lossPlot, "bottom"), (self.accuracyPlot, "bottom"), (self.accuracyPlot, "left")):
            widget.getPlotItem().getAxis(side).showLabel(not compact)  # (again after style_axes set the title)
        if compact == self.compact:
            return
        self.compact = compact
        plot = self.lossPlot.getPlotItem()
        plot.legend.setVisible(not compact)
        if compact:  # (a hidden item keeps its row's height in a graphics layout)
            plot.layout.removeItem(plot.legend)
        else:
            plot.layout.addItem(plot.legend, *LEGEND_CELL)
        # The views were resized first, and fitted the plots to no less than the old layout's minimum: again now.
        for widget in (self.lossPlot, self.accuracyPlot):
            widget.getPlotItem().setGeometry(QRectF(widget.rect()))
        self._show_key()

    def _fit_accuracy_width(self) -> None:
        """Room for the accuracy axis and ACC_STEP_LABELS step labels: at 200 % its quarter of the width held one
        ("0" and "1000" ran together)."""
        metrics = QFontMetrics(sized_font())
        axis = metrics.height() + metrics.horizontalAdvance("0.5") + ACC_AXIS_GAPS  # its title, a label, gaps
        self.accuracyPlot.setMinimumWidth(axis + ACC_STEP_LABELS * metrics.horizontalAdvance("0,000"))

    def _fit_accuracy_range(self) -> None:
        """0 to 1 with half a tick label of room at either end: with a grid, pyqtgraph drops a label reaching past
        the axis' ends (at 1280x720 "0" and "1.0" were missing, and points at 1.0 sat on the top border). The steps
        are the loss plot's, with half a label of room at the right for the same reason (its ticks ended at 8 with
        a point at 10). Not setXLink: it lines views up by screen position, and side by side it shifted the range."""
        view = self.accuracyPlot.getPlotItem().vb
        metrics = QFontMetrics(sized_font())
        room = metrics.height() / 2
        # padding is a fraction of the range, added at both ends of the height's 1 + 2 * padding
        view.setYRange(0, 1, padding=min(room / max(view.height() - 2 * room, 1.0), MAX_ACC_PADDING))
        first, last = self.lossPlot.getPlotItem().vb.viewRange()[0]
        half_label = metrics.horizontalAdvance("0,000") / 2
        view.setXRange(first, last + (last - first) * half_label / max(view.width() - half_label, 1.0), padding=0)
        # Ticks as far apart as the step labels' width needs: in presentation mode pyqtgraph's own ran together
        # ("0 200400600800") in this narrow plot.
        label = metrics.horizontalAdvance(f"{max(abs(first), abs(last)):,.0f}") * 1.6
        count = max(2, int(view.width() // max(label, 1.0)))  # two at least: one alone sat at the edge, unlabelled
        # a whole step at least: a 2-step run's read "1.11.21.31.41.5…" (steps are whole numbers)
        self.accuracyPlot.getPlotItem().getAxis("bottom").setTickSpacing(
            levels=[(nice_ceiling(max((last - first) / count, 1.0), (1, 2, 5)), 0.0)])

    def key(self) -> str:
        """The legend's names, and the accuracy's when shown, in their curves' colours."""
        # The whole names (the curves'): the legend's labels are elided to the plot's width, and a lesson step's
        # short plot read "— v…n" for "validation" though the line had room (QA).
        entries = [(legend_name(sample, label), sample.item.opts["pen"])
                   for sample, label in self.lossPlot.getPlotItem().legend.items]
        if self.accuracyPlot.isVisibleTo(self):
            entries.append(("accuracy", ACC_PEN))
        return " · ".join(coloured(pg.mkPen(pen), f"— {html.escape(name)}") for name, pen in entries)

    def _show_key(self) -> None:
        """The read-out line, unless it reads a step's values: the key when compact, else blank."""
        if not self._reading:
            self.readout.set_wordings(self.key() if self.compact else " ")

    def _follow_font(self) -> None:
        """Axes, legend and the empty plot's text in the application font (presentation mode enlarges it)."""
        for widget in (self.lossPlot, self.accuracyPlot):
            style_axes(widget.getPlotItem())
        self._fit_legend()
        self._empty.setFont(self.font())
        self._fit_accuracy_width()
        self._fit_accuracy_range()
        for marker in self.markers.values():
            marker.label.setFont(self.font())
        self._fit_height()

    def _on_mouse(self, widget: pg.PlotWidget):
        def handler(args: tuple) -> None:
            pos = args[0]
            vb = widget.getPlotItem().vb
            if not widget.sceneBoundingRect().contains(pos) or not self.train.n:
                self.hide_readout()
                return
            step = vb.mapSceneToView(pos).x()
            self.show_readout(step)

        return handler

    def show_readout(self, step: float) -> None:
        """Show the values nearest to `step` and a vertical line there."""
        if not self.train.n:
            return
        x = float(np.clip(step, self.train.x[0], self.train.x[-1]))
        i = int(np.argmin(np.abs(self.train.x - x)))
        at = int(self.train.x[i])
        self._cursor.setPos(at)
        self._cursor.setVisible(True)
        self._reading = True
        wordings = readout_wordings(at, float(self.train.y[i]), self.val.at(at), self.acc.at(at))
        self.readout.set_wordings(*wordings)

    def hide_readout(self) -> None:
        """No step under the pointer: no line, and the read-out line back to its key (or blank)."""
        self._cursor.setVisible(False)
        self._reading = False
        self._show_key()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Leave:
            self.hide_readout()
        elif event.type() == QEvent.Type.Resize and watched is self.lossPlot:
            self._fit_legend(event.size())  # before the view lays the plot out at its new size
        return super().eventFilter(watched, event)

    def _fit_legend(self, view: QSize | None = None) -> None:
        """The legend's names in columns as wide as the plotting area under which it sits (the view less the
        loss axis, whose width follows its tick labels), long names elided in the middle, in no more than
        LEGEND_SHARE of the view's height; again only when one of those changed (fitting lays the plot out anew)."""
        plot = self.lossPlot.getPlotItem()
        view = view or self.lossPlot.size()
        width = view.width() - plot.getAxis("left").width() - LEGEND_SLACK
        fitted = (width, view.height(), self.font().pointSizeF(), tuple(legend_name(*entry) for entry in plot.legend.items))
        if fitted != self._legend_fitted:
            self._legend_fitted = fitted
            fit_legend(plot.legend, width, view.height() * LEGEND_SHARE, LEGEND_COLUMNS)


def readout_wordings(step: int, train: float, val: float | None, acc: float | None) -> list[str]:
    """The read-out of one step's values as rich text, fullest first: a shorter wording fits a narrower plot."""
    parts = [(f"<b>step {step:,}</b>",) * 2, (coloured(TRAIN_PEN, f"train {loss_text(train)}"),) * 2]
    if val is not None:
        value = coloured(VAL_PEN, f"val {loss_text(val)}")
        parts.append((f"{value} (nearest eval)", value))
    if acc is not None:
        parts.append((coloured(ACC_PEN, f"accuracy {acc:.1%}"), coloured(ACC_PEN, f"acc {acc:.1%}")))
    return [" · ".join(part[wording] for part in parts) for wording in (0, 1)]


def coloured(pen: QPen, text: str) -> str:
    """`text` as rich text in the colour of `pen`'s curve."""
    return f"<span style='color:{text_colour(pen)}'>{text}</span>"


def text_colour(pen: QPen) -> str:
    """A curve's colour for text on the window, as the curve is drawn on a plot of the window's look."""
    return shown_colour(pen.color(), theme.is_dark()).name()
