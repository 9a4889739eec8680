"""The "Inside attention" tab: your own input, then every idea of the lecture from the real model.

    [input: sentence / probe / image]  [layer] [head]
    Step by step | Head view | Head roles + timeline | ViT | Embeddings

The model lives in the training thread. Whenever the input, the layer or the head changes (and every
couple of seconds while training runs and this tab is on screen) the panel hands an `InsideJob` to the
worker, which runs it between two optimiser steps and returns numpy arrays and finished renderings; the
window only shows them. The head roles and the timeline use the training snapshots (the probe input).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QFontInfo, QImage, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from playground.core.lessons import STAGES
from playground.ui import file_dialogs, theme
from playground.ui.attention_jobs import JOB_KEY, InsideJob, InsideResult, JobFailed
from playground.ui.attention_tips import COPIED_INPUT, COPIED_WHY, INSIDE, copies_input
from playground.ui.exporting import export_asked, figure_bar, save_png
from playground.ui.focus_ring import PageTabs, tab_bar_first, tabs_without_arrow_stops
from playground.ui.head_view import HeadViewPanel, _fill
from playground.ui.plotting import (  # (applies pyqtgraph's options)
    FittedLabel,
    fitting_html,
    follow_font,
    font_scale,
    keep_lines,
    no_tab_stop,
    rgb_qimage,
    sized_font,
    style_axes,
)
from playground.ui.roles_panel import RolesPanel
from playground.viz.canvas import LABEL_SIZE, show_token, text_width
from playground.viz.colors import colormap
from playground.viz.vit_layout import VIT_SIZES, vit_size_for

POLL_MS = 250  # how often the panel checks whether it should ask the worker for fresh views
HEADING_GAP = 30  # figure pixels from a row's heading down to the titles of its first panels
LIVE_REFRESH_S = 1.5  # while training runs, the views follow the model at most this often
EMBEDDINGS_REFRESH_S = 4.0  # PCA of a large vocabulary is the slowest part: less often
JOB_TIMEOUT_S = 20.0  # a request never answered (the worker stopped) is forgotten
MAX_POSITION_LABELS = 16  # a 512-position table labelled at every position is a blob of numbers
PLOT_MIN_HEIGHT = 240  # pixels at the normal font size: the embeddings plots scroll rather than shrink below it
POINT_HOVER_PX = 10  # how near the mouse comes to a point of the embeddings to read it (a dot is 7 px across)
FIT_TEXT = "Fit to width"
FIT_CRAMPED = "Fit to width: F9 for room"  # (a longer note wrapped the caption beside it at 130 %)
POINTS_HINT = "Point at a dot to read its token (or position) and coordinates: every dot, labelled or not."


class FigureView(QWidget):
    """A rendered figure (Pillow, from the worker) in a scroll area, at full size or fitted to the width."""

    sigRoomChanged = Signal()  # resized, refitted or zoomed: a figure drawn for its room may be drawn again

    def __init__(self, name: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.figure: Any = None
        self.rgb: np.ndarray | None = None
        self.export_name = name  # the file name Export suggests: the panel names it after the run and step shown
        self._captions: tuple[str, ...] = ("",)  # the caption's wordings, fullest first (`_fit_caption`)
        self._qimage: QImage | None = None
        self.label = QLabel(INSIDE["waiting"], self)
        self.label.setObjectName(f"{name}Image")
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.label.setWordWrap(True)
        self.label.setToolTip(tip)
        self.label.setStyleSheet("background: white; color: #555; padding: 6px;")
        self.scroll = QScrollArea(self)
        self.scroll.setWidget(self.label)
        self.scroll.setWidgetResizable(True)
        theme.paper_view(self.scroll)
        keep_lines(self.scroll)
        self.caption, self.fitCheck, self.exportButton = figure_bar(
            self, self.scroll, FIT_TEXT, self._redraw, self._on_export, INSIDE["export"])
        self.fitCheck.setToolTip(INSIDE["fit"])
        self.fitCheck.toggled.connect(self.sigRoomChanged)
        self.exportButton.setEnabled(False)
        QWidget.setTabOrder(self.exportButton, self.scroll)  # the bar above the figure, then the figure (keyboard QA)

    def set_figure(self, figure: Any, rgb: np.ndarray, *captions: str) -> None:
        """Show `figure` (rendered as `rgb`) under the fullest of `captions` that fits on one line."""
        self.figure, self.rgb = figure, np.ascontiguousarray(rgb, dtype=np.uint8)
        w = self.rgb.shape[1]
        self._qimage = rgb_qimage(self.rgb, w / getattr(figure, "width", w))  # 2 when rendered for a HiDPI screen
        self._set_caption(*captions)
        self.exportButton.setEnabled(True)
        self.label.setStyleSheet("background: white;")
        self._redraw()

    def show_message(self, text: str) -> None:
        if self._qimage is None:
            self.label.setText(text)
        else:
            self._set_caption(text)

    def clear(self) -> None:
        self.figure = self.rgb = self._qimage = None
        self.label.clear()
        self.label.setText(INSIDE["waiting"])
        self.label.setStyleSheet("background: white; color: #555; padding: 6px;")
        self._set_caption("")
        self.exportButton.setEnabled(False)

    def _set_caption(self, *captions: str) -> None:
        self._captions = captions or ("",)
        self._fit_caption()

    def _fit_caption(self) -> None:
        """The fullest caption that fits beside the buttons: a second line took the figure's height at 175 %."""
        self.caption.setText(fitting_html(self._captions, self.caption.font(), self.caption.contentsRect().width()))

    def _redraw(self) -> None:
        if self._qimage is None:
            return
        pixmap = QPixmap.fromImage(self._qimage)
        ratio = self.devicePixelRatioF()  # the screen's pixels: sharp on a HiDPI one, not a 1x picture blown up
        width = round(self._qimage.deviceIndependentSize().width() * self.scale() * ratio)
        self._say_if_cramped(width / ratio)
        if width != pixmap.width():
            pixmap = pixmap.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        pixmap.setDevicePixelRatio(ratio)
        self.label.setPixmap(pixmap)

    def legible(self, smallest_title: float | None = None) -> float:
        """The least scale at which the figure's smallest bold text (`smallest_title` px, by default the figure's
        own) reads no more than a pixel smaller than the window's text (0: no text to read)."""
        if smallest_title is None:
            sizes = [op["size"] for kind, op in getattr(self.figure, "ops", ()) if kind == "text" and op["bold"]]
            smallest_title = min(sizes) if sizes else None
        return (QFontInfo(self.font()).pixelSize() - 1) / smallest_title if smallest_title else 0.0

    def room(self, smallest_title: float) -> float:
        """The figure pixels that fit the view's width at a legible scale, a scroll bar beside them."""
        return self._width(scrolls=True) / max(1.0, self.legible(smallest_title))

    def _width(self, scrolls: bool) -> float:
        """The viewport's width for a figure, less the vertical scroll bar a figure that `scrolls` brings."""
        bar = self.scroll.verticalScrollBar()
        return self.scroll.viewport().width() - 4 - (bar.sizeHint().width() if scrolls and not bar.isVisible() else 0)

    def scale(self) -> float:
        """Window pixels per figure pixel: fitted to the width (never enlarged) or full size, but never so small that
        the figure's titles read more than a pixel smaller than the window's text (which grows in presentation mode;
        the pixel keeps Step by step and the ViT's rollout whole in a 1280x720 window rather than scrolling)."""
        w, h = self._qimage.deviceIndependentSize().toTuple()
        legible = self.legible()
        if not self.fitCheck.isChecked():
            return max(1.0, legible)
        view = self.scroll.viewport()
        width = self._width(scrolls=h * (view.width() - 4) > view.height() * w)  # fitted, is it taller than the view?
        return max(min(1.0, max(200, width) / w), legible)

    def _say_if_cramped(self, width: float) -> None:
        """The check box says when its figure cannot fit the width legibly (QA: "Fit to width does nothing" on the
        ViT's heads at 1280x720 in presentation mode, beside the settings)."""
        cramped = self.fitCheck.isChecked() and width > self.scroll.viewport().width()
        text = FIT_CRAMPED if cramped else FIT_TEXT
        if self.fitCheck.text() != text:
            self.fitCheck.setText(text)
            QTimer.singleShot(0, self, self._fit_caption)  # once laid out, the caption beside it has less room (or more)

    def changeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._redraw()
            self.sigRoomChanged.emit()

    def figure_point(self, pos: QPoint) -> tuple[float, float] | None:
        """A point of the label (widget pixels) in the figure's own pixels, or None off the picture."""
        pixmap = self.label.pixmap()
        if self.figure is None or pixmap is None or pixmap.isNull():
            return None
        scale = pixmap.deviceIndependentSize().width() / max(1, self.figure.width)
        origin = self.label.contentsRect().topLeft()
        x, y = (pos.x() - origin.x()) / scale, (pos.y() - origin.y()) / scale
        if not (0 <= x < self.figure.width and 0 <= y < self.figure.height):
            return None
        return x, y


    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)
        self._fit_caption()
        if self.fitCheck.isChecked():
            self._redraw()
        self.sigRoomChanged.emit()

    def export(self, path: str | Path) -> Path:
        if self.figure is None:
            raise ValueError("nothing to export yet")
        return self.figure.save(path)

    def _on_export(self) -> None:
        export_asked(self, "Export the figure", self.export_name, True, self.export)


class StepsView(FigureView):
    """Step by step: the lecture's figure, and under it the numbers of the cell under the mouse (q·k, /√d, the
    mask, the softmax's numerator and row sum, the weight, the value it multiplies), kept up to date while
    training refreshes the figure."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("stepsView", INSIDE["steps"], parent)
        self.steps: Any = None
        self.cells: list[tuple[str, float, float, float, float, int, int]] = []  # key, x, y, cw, ch, rows, cols
        self.hovered: tuple[str, int, int] | None = None
        self.stage: str | None = None  # the stage kept in view as the figure changes (a lesson's), until one scrolls
        for bar in (self.scroll.verticalScrollBar(), self.scroll.horizontalScrollBar()):
            bar.actionTriggered.connect(self._forget_stage)  # the user's own scrolling (not setValue) wins
            # ... and reads the cell it brings under the pointer, once the bar has moved (not a lesson's scrolling:
            # under a pointer resting elsewhere its cells' numbers took a second line from the figure's height)
            bar.actionTriggered.connect(lambda _action: QTimer.singleShot(0, self, self._hover_at_pointer))
        self.readout = QLabel(STEPS_HINT, self)
        self.readout.setObjectName("stepsReadout")
        self.readout.setWordWrap(True)
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.layout().addWidget(self.readout)
        self.label.setMouseTracking(True)
        self.label.installEventFilter(self)

    def set_steps(self, steps: Any, figure: Any, rgb: np.ndarray, *captions: str) -> None:
        self.steps = steps
        self.cells = step_cells(figure, steps)
        self.set_figure(figure, rgb, *captions)
        if self.hovered is not None and not self._in_cells(*self.hovered):  # (QA: another input's cell, an IndexError)
            self.hovered = None
            self.readout.setText(STEPS_HINT)
        if self.hovered is not None:  # training moved the numbers under a still mouse
            self.readout.setText(describe_cell(steps, *self.hovered))

    def _in_cells(self, key: str, row: int, col: int) -> bool:
        """Whether the figure shown has that stage's cell (a shorter input has fewer rows and columns)."""
        return any(key == k and row < rows and col < cols for k, _x, _y, _cw, _ch, rows, cols in self.cells)

    def clear(self) -> None:
        super().clear()
        self.steps, self.cells, self.hovered = None, [], None
        self.readout.setText(STEPS_HINT)

    def show_stage(self, key: str | None) -> None:
        """Scroll stage `key` (a name of lessons.STAGES) into view, now and whenever the figure changes until the
        user scrolls: its title at the top, as many of its rows as fit below it. None: leave the scrolling alone."""
        self.stage = key
        self._scroll_later()

    def stage_rect(self, key: str, room: int | None = None) -> QRect | None:
        """Where stage `key` lies in the label, from its title to its last row (the row labels included), as wide as
        its cells or its title; given `room` px, from the leftmost start of its row's heading or titles that fits (QA:
        19.2's "Weights x V (row 3)" showed the heading cut, "of the values: …", and a sliver of the weights)."""
        pixmap = self.label.pixmap()
        cell = next((c for c in self.cells if c[0] == key), None)
        if cell is None or self.figure is None or pixmap is None or pixmap.isNull():
            return None
        _key, x, y, cw, ch, rows, cols = cell
        bold = [op for kind, op in self.figure.ops if kind == "text" and op["bold"]]  # titles and row headings
        # Its title: the nearest bold text above its first row, starting at its left edge (before the row labels).
        titles = [(op["y"], op["x"], op) for op in bold if op["y"] < y and op["x"] <= x]
        top, left, title = max(titles, key=lambda t: t[:2], default=(y, x, None))
        # With the heading of its row of the figure, where that stands right above its title: a lesson's text says
        # "row 2 of the figure", whose "2." was scrolled off above (QA).
        headings = [op for op in bold if top - HEADING_GAP <= op["y"] < top]
        top = min([op["y"] for op in headings], default=top)
        right = max(x + cols * cw, left + (text_width(title["s"], title["size"], True) if title else 0.0))
        scale = pixmap.deviceIndependentSize().width() / max(1, self.figure.width)  # window pixels per figure pixel
        if room is not None and headings:  # from the leftmost title or heading of its row that fits, else as far
            floor = right - room / scale  # left as fits
            starts = [op["x"] for op in bold if top <= op["y"] < y and floor <= op["x"] < left]
            left = min(starts) if starts else min(left, max(min(op["x"] for op in headings), floor))
        origin = self.label.contentsRect().topLeft()
        return QRect(origin.x() + round(left * scale), origin.y() + round(top * scale),
                     round((right - left) * scale), round((y + rows * ch - top) * scale))

    def stage_in_view(self) -> str | None:
        """The stage that shows most of itself in the scroll area (what a lesson step made from the window names)."""
        shown = QRect(-self.label.pos(), self.scroll.viewport().size())  # the viewport in the label's pixels
        seen = {}
        for key in STAGES:
            rect = self.stage_rect(key)
            if rect is not None:
                part = rect.intersected(shown)
                seen[key] = part.width() * part.height() if not part.isEmpty() else 0
        best = max(seen, key=seen.get, default=None)
        return best if best is not None and seen[best] > 0 else None

    def _redraw(self) -> None:
        super()._redraw()
        self._scroll_later()

    def _scroll_later(self) -> None:
        if self.stage is not None:  # once the scroll area has taken the new picture's size
            QTimer.singleShot(0, self, self._scroll_to_stage)

    def _scroll_to_stage(self) -> None:
        room = self.scroll.viewport().width() - 2 * STAGE_MARGIN
        rect = self.stage_rect(self.stage, room) if self.stage is not None else None
        if rect is None:
            return
        self.scroll.verticalScrollBar().setValue(rect.top() - STAGE_MARGIN)
        self.scroll.ensureVisible(rect.right(), rect.top(), STAGE_MARGIN, 0)
        self.scroll.ensureVisible(rect.left(), rect.top(), STAGE_MARGIN, 0)  # its left edge first if both do not fit

    def _forget_stage(self, _action: int) -> None:
        self.stage = None

    def cell_at(self, pos: QPoint) -> tuple[str, int, int] | None:
        """(stage key, row, column) of the figure's cell under a point of the label."""
        point = self.figure_point(pos)
        if point is None:
            return None
        x, y = point
        for key, left, top, cw, ch, rows, cols in self.cells:
            if left <= x < left + cols * cw and top <= y < top + rows * ch:
                return key, int((y - top) // ch), int((x - left) // cw)
        return None

    def hover(self, pos: QPoint) -> None:
        cell = self.cell_at(pos)
        if cell is None or self.steps is None:
            return
        self.hovered = cell
        self.readout.setText(describe_cell(self.steps, *cell))

    def _hover_at_pointer(self) -> None:
        """The cell under a still pointer once the figure scrolled under it, or the hint off the cells (QA: the
        read-out kept naming a cell the scroll had carried away)."""
        viewport = self.scroll.viewport()
        if not viewport.rect().contains(viewport.mapFromGlobal(QCursor.pos())):
            return  # scrolled from elsewhere (a lesson's stage, the bar): what was read stays
        pos = self.label.mapFromGlobal(QCursor.pos())
        if self.cell_at(pos) is not None:
            self.hover(pos)  # (over a gap on the way, then a cell again: read again, QA)
        elif self.hovered is not None:
            self.hovered = None
            self.readout.setText(STEPS_HINT)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.label and event.type() == QEvent.Type.MouseMove:
            self.hover(event.position().toPoint())
        return False


STEPS_HINT = "Point at a cell of any stage to read its numbers."
NOT_DRAWN = "Not drawn: the line above says why."
STAGE_MARGIN = 6  # pixels kept around a stage scrolled into view
# The heatmaps of `viz.views.render_steps`, in the order it draws them (a test holds the two together).
STEP_ORDER = ("q", "k", "v", "scores", "scaled", "mask", "masked", "weights", "weights", "v", "output")


def step_cells(figure: Any, steps: Any) -> list[tuple[str, float, float, float, float, int, int]]:
    """Where each stage's heatmap lies in the figure: (key, x, y, cell width, cell height, rows, columns).
    Every stage has a row per token; the colour scales under them are one row high."""
    keys = [*STEP_ORDER, *(f"head{h}" for h in range(steps.n_head)), "concat", "projected"]
    grids = [op for kind, op in figure.ops if kind == "cells" and op["rgb"].shape[0] == steps.seq_len]
    if len(grids) != len(keys):
        return []
    return [(key, op["x"], op["y"], op["cw"], op["ch"], op["rgb"].shape[0], op["rgb"].shape[1])
            for key, op in zip(keys, grids)]


def describe_cell(steps: Any, key: str, row: int, col: int) -> str:
    """The numbers behind one cell of the step-by-step figure, in the lecture's terms."""
    labels = [show_token(t) for t in steps.labels]
    token = f"'{labels[row]}' (#{row})"
    if key in ("scores", "scaled", "mask", "masked", "weights"):
        return _describe_score(steps, labels, row, col)
    arrays = {"q": ("query Q", steps.q), "k": ("key K", steps.k), "v": ("value V", steps.v),
              "output": ("head output", steps.output), "concat": ("concatenated heads", steps.concat),
              "projected": ("after W_O", steps.projected)}
    if key.startswith("head"):
        head = int(key[4:])
        name, array = f"head {head + 1}'s output", steps.head_outputs[head]
    else:
        name, array = arrays[key]
    return f"{name} of token {token}, dimension {col + 1}: {float(array[row, col]):.4f}"


def _describe_score(steps: Any, labels: list[str], q: int, k: int) -> str:
    d = steps.d_head
    head = f"query '{labels[q]}' (#{q}) → key '{labels[k]}' (#{k}): q·k = {float(steps.scores[q, k]):.3f}, " \
           f"/√{d} = {float(steps.scaled[q, k]):.3f}"
    if not steps.mask[q, k]:
        return f"{head}, mask: hidden → −∞, softmax numerator 0, weight 0 (this value is not used)"
    row = steps.scaled[q][steps.mask[q]]
    top = float(row.max())
    numerator = float(np.exp(steps.scaled[q, k] - top))
    total = float(np.exp(row - top).sum())
    value = steps.v[k]
    shown = ", ".join(f"{x:.2f}" for x in value[:3]) + (", …" if len(value) > 3 else "")
    return (f"{head}, mask: allowed, softmax numerator e^({float(steps.scaled[q, k]):.3f} − {top:.3f}) = "
            f"{numerator:.4f} of the row's sum {total:.4f} → weight {float(steps.weights[q, k]):.4f}, times "
            f"value V[#{k}] = [{shown}]")

class ScatterPlot(pg.PlotWidget):
    """A labelled 2-D PCA scatter; `connect` joins the points in order (positions), labelling every k-th.

    The plot's own title stays short (a long one widens pyqtgraph's layout past the widget, which then shows only
    its left part); what a projection holds is said in the tab's caption. Labels, axes and title follow the
    application font (presentation mode). Pointing at a point emits `sigHover` with what it is, its label hidden
    (where it would cover another) or not."""

    sigHover = Signal(str)

    def __init__(self, title: str, tip: str, connect: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent, enableMenu=False)  # (its view box then builds no menu)
        self.setToolTip(tip)
        self.connect_points = connect
        no_tab_stop(self)
        item = self.getPlotItem()
        item.setTitle(title)
        item.showGrid(x=True, y=True, alpha=0.15)
        item.hideButtons()
        for axis in ("left", "bottom"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        self.curve = pg.PlotCurveItem(pen=pg.mkPen("#9bb7d4", width=1.2))
        self.scatter = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#ffffff", width=0.5))
        item.addItem(self.curve)
        item.addItem(self.scatter)
        self.texts: list[pg.TextItem] = []
        self.points: np.ndarray | None = None
        self.labels: list[str] = []
        self.hovered: int | None = None  # the point the mouse is on, described again when the projection changes
        self._labelled: list[int] = []  # the points offered a label, the first ones first
        box = item.getViewBox()
        box.sigRangeChanged.connect(self._place_labels)
        box.sigResized.connect(self._place_labels)
        self.scene().sigMouseMoved.connect(self.hover)
        follow_font(self, self._follow_font)

    def _follow_font(self) -> None:
        item = self.getPlotItem()
        if item is None:  # closed: pyqtgraph has let go of its plot
            return
        style_axes(item)
        self.scatter.setSize(7 * max(1.0, font_scale()))
        for text in self.texts:
            text.setFont(sized_font())
        self._place_labels()

    def label_rect(self, text: pg.TextItem) -> QRectF:
        """Where `text`'s letters are drawn, in the plot's scene pixels (its bottom-left corner at its point)."""
        at = self.getPlotItem().getViewBox().mapViewToScene(text.pos())
        size = text.textItem.boundingRect().size()
        margin = text.textItem.document().documentMargin()
        return QRectF(at.x() + margin, at.y() - size.height() + margin, size.width() - 2 * margin,
                      size.height() - 2 * margin)

    def _place_labels(self) -> None:
        """Show each label that overlaps none shown before it: a label drawn over another reads as neither."""
        if self.points is None:
            return
        taken: list[QRectF] = []
        for text, _ in zip(self.texts, self._labelled):
            rect = self.label_rect(text)
            free = not any(rect.intersects(other) for other in taken)
            text.setVisible(free)
            if free:
                taken.append(rect)

    def point_at(self, pos: QPointF) -> int | None:
        """The point drawn nearest to `pos` (scene pixels), if it lies within POINT_HOVER_PX of it."""
        box = self.getPlotItem().getViewBox()
        if self.points is None or not len(self.points) or not box.sceneBoundingRect().contains(pos):
            return None
        at = box.mapSceneToView(pos)
        per_px = box.viewPixelSize()  # (view units per pixel across, down)
        distance = np.hypot((self.points[:, 0] - at.x()) / per_px[0], (self.points[:, 1] - at.y()) / per_px[1])
        i = int(np.argmin(distance))
        return i if distance[i] <= POINT_HOVER_PX * max(1.0, font_scale()) else None

    def hover(self, pos: QPointF) -> None:
        """Describe the point at `pos` (scene pixels), if any (the mouse moved there)."""
        i = self.point_at(pos)
        if i is not None:
            self.hovered = i
            self.sigHover.emit(self.describe(i))

    def describe(self, i: int) -> str:
        x, y = self.points[i]
        what = f"position {self.labels[i]}" if self.connect_points else f"token '{show_token(self.labels[i])}' (#{i})"
        return f"{self.getPlotItem().titleLabel.text}: {what} at PC 1 = {x:.3f}, PC 2 = {y:.3f}"

    def clear_points(self) -> None:
        """Empty, its axes as no model's (QA: after a rebuild the empty plots kept the last model's "PC 2 (6%)" and
        ranges)."""
        self.points = None
        self.hovered = None
        self.curve.setData([], [])
        self.scatter.setData([], [])
        for text in self.texts:
            text.setVisible(False)
        item = self.getPlotItem()
        item.setLabel("bottom", "PC 1")
        item.setLabel("left", "PC 2")
        style_axes(item)
        item.getViewBox().setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
        item.enableAutoRange()  # the next projection sets its own range

    def set_projection(self, projection: Any) -> None:
        """Show `projection`, every point labelled (positions: at most MAX_POSITION_LABELS of them)."""
        pts = np.asarray(projection.points, dtype=np.float64)
        labels = self.labels = list(projection.labels)
        self.points = pts
        n = len(pts)
        item = self.getPlotItem()
        e1, e2 = projection.explained
        item.setLabel("bottom", f"PC 1 ({e1:.0%} of the variance)")
        item.setLabel("left", f"PC 2 ({e2:.0%})")
        style_axes(item)
        if self.connect_points:
            colours = colormap(np.arange(n), 0, max(n - 1, 1))  # position along the sequence, dark to light
            brushes = [pg.mkBrush(*rgb) for rgb in colours.tolist()]
            self.curve.setData(pts[:, 0], pts[:, 1])
            every = int(np.ceil(n / MAX_POSITION_LABELS))
        else:
            brushes = [pg.mkBrush("#1f77b4")] * n
            self.curve.setData([], [])
            every = 1
        self.scatter.setData(pts[:, 0], pts[:, 1], brush=brushes)
        self._labelled = [i for i in range(n) if i % every == 0]
        while len(self.texts) < len(self._labelled):
            text = pg.TextItem(color=pg.getConfigOption("foreground"), anchor=(0, 1))
            text.setFont(sized_font())
            item.addItem(text)
            self.texts.append(text)
        for text, i in zip(self.texts, self._labelled):
            text.setText(show_token(labels[i]))
            text.setPos(pts[i, 0], pts[i, 1])
        for text in self.texts[len(self._labelled):]:
            text.setVisible(False)
        self._place_labels()
        if self.hovered is not None:  # the readout follows the model under a still mouse
            self.hovered = self.hovered if self.hovered < n else None
            self.sigHover.emit(POINTS_HINT if self.hovered is None else self.describe(self.hovered))


class EmbeddingsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("embeddingsView")
        self.tokens = ScatterPlot("Token embeddings (PCA)", INSIDE["embeddings"], False, self)
        self.tokens.setObjectName("tokenEmbeddings")
        self.positions = ScatterPlot("Positions (PCA), joined in order", INSIDE["positions"], True, self)
        self.positions.setObjectName("positionEmbeddings")
        self.caption = QLabel(INSIDE["waiting"], self)
        self.caption.setWordWrap(True)
        self.readout = QLabel(POINTS_HINT, self)
        self.readout.setObjectName("embeddingsReadout")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setWordWrap(True)  # one line at normal size; at presentation zoom it widened the window
        for plot in (self.tokens, self.positions):
            plot.sigHover.connect(self.readout.setText)
        self.exportButton = QPushButton("Export…", self)
        self.exportButton.setToolTip("Save both plots as one PNG picture.")
        self.exportButton.clicked.connect(self._on_export)
        self.exportButton.setEnabled(False)  # until there are points to draw (keyboard QA: an empty picture offered)
        bar = QHBoxLayout()
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.exportButton)
        self.plots = QSplitter(Qt.Orientation.Horizontal, self)
        self.plots.addWidget(self.tokens)
        self.plots.addWidget(self.positions)
        self.scroll = QScrollArea(self)
        self.scroll.setWidget(self.plots)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        keep_lines(self.scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.readout)
        follow_font(self, self._follow_font)

    def _follow_font(self) -> None:
        # A plot squeezed under its title and axes (about 100 px at 1280x720 in presentation mode) shows no
        # clusters: below this height the plots scroll instead.
        self.plots.setMinimumHeight(round(PLOT_MIN_HEIGHT * max(1.0, font_scale())))

    def clear(self) -> None:
        """No model: empty plots and the waiting text."""
        for plot in (self.tokens, self.positions):
            plot.clear_points()
        self.tokens.setVisible(True)
        self.caption.setText(INSIDE["waiting"])
        self.readout.setText(POINTS_HINT)
        self.exportButton.setEnabled(False)

    def set_result(self, result: InsideResult) -> None:
        shown = [p for p in (result.embeddings, result.positions) if p is not None]
        self.exportButton.setEnabled(bool(shown))
        if result.embeddings is not None:
            self.tokens.set_projection(result.embeddings)
        self.tokens.setVisible(result.embeddings is not None)
        if result.positions is not None:
            self.positions.set_projection(result.positions)
            vit = result.positions.labels[0] == "[CLS]"  # (its other positions are patches, not a sequence's)
            self.positions.setToolTip(INSIDE["positions_vit" if vit else "positions"])
        # What each plot shows, of the plots there are (QA: a ViT's caption spoke of tokens, and ran its note on
        # uncapitalised after a double space)
        said = (["tokens the model treats alike lie close together"] if result.embeddings is not None else []) + (
            [f"positions are joined in order ({' → '.join(result.positions.labels[:3])} …)"]
            if result.positions is not None else [])
        notes = [f"{note[0].upper()}{note[1:]}." for note in result.notes if note]
        self.caption.setText(" ".join([f"Step {result.step:,}: {'; '.join(said)}." if said else f"Step {result.step:,}.",
                                       *(f"{p.title}." for p in shown), *notes]))

    def export(self, path: str | Path) -> Path:
        return save_png(self.grab().toImage(), Path(path))

    def _on_export(self) -> None:
        export_asked(self, "Export the embeddings", "embeddings", False, self.export)


class InsideAttentionPanel(QWidget):
    """The whole tab. `worker` returns the window's live TrainingWorker (or None before the first Play)."""

    sigHeadChosen = Signal(int, int)

    def __init__(self, worker: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insideAttention")
        self.setToolTip("")
        self._worker = worker
        self.family = "decoder"
        self.result: InsideResult | None = None
        self._token = 0
        self._pending: tuple[int, float] | None = None  # (token, sent at)
        self._handed_back = False  # Enter gave the focus to the tabs, and the input's answer has not come yet
        self._asked: tuple[str, int, int] | None = None  # the last request's input, layer and head
        self._followed = -1  # the step asked about as training stopped (`follow`)
        self._want = True  # the input or a picker changed: ask again
        self._stale = False  # the model trained since the views were computed
        self._last_sent = 0.0
        self._last_embeddings = 0.0
        self._text = ""
        self._model_key: tuple | None = None  # which model the views are of (family, data, pretrained)

        self.inputEdit = QLineEdit(self)
        self.inputEdit.setObjectName("insideInput")
        self.inputEdit.setPlaceholderText("Type your own input and press Enter (empty: the probe input)")
        self.inputEdit.setToolTip(INSIDE["input"])
        self.inputEdit.returnPressed.connect(self._on_input)
        self.inputEdit.returnPressed.connect(self._hand_keys_back)
        self.inputEdit.textEdited.connect(self._on_emptied)
        self.showButton = QPushButton("Show", self)
        self.showButton.setObjectName("insideShow")
        self.showButton.setToolTip(INSIDE["input"])
        self.showButton.clicked.connect(self._on_input)
        self.probeButton = QPushButton("Probe", self)  # "Probe input" made a ViT's row too wide at 175 % (tooltip)
        self.probeButton.setObjectName("insideProbe")
        self.probeButton.setToolTip(INSIDE["probe"])
        self.probeButton.clicked.connect(self.use_probe)
        self.imageButton = QPushButton("Image…", self)
        self.imageButton.setObjectName("insideImage")
        self.imageButton.setToolTip(INSIDE["image"])
        self.imageButton.clicked.connect(self._on_image)
        self.imageButton.setVisible(False)
        self.layerCombo = QComboBox(self)
        self.layerCombo.setObjectName("insideLayer")
        self.layerCombo.setToolTip(INSIDE["layer"])
        self.headCombo = QComboBox(self)
        self.headCombo.setObjectName("insideHead")
        self.headCombo.setToolTip(INSIDE["head"])
        # The labels beside them name them: the boxes show numbers, whole (QA at 175 %: "layer", "head", cut short)
        for combo, name in ((self.layerCombo, "Layer"), (self.headCombo, "Head")):
            combo.setAccessibleName(name)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layerCombo.currentIndexChanged.connect(self._on_picker)
        self.headCombo.currentIndexChanged.connect(self._on_picker)
        # The user's choice (not a refill): the head view's too
        self.layerCombo.activated.connect(lambda _index: self._head_view_follows(layer_only=True))
        self.headCombo.activated.connect(lambda _index: self._head_view_follows(layer_only=False))
        # What the views show, on one line where it can (the views need the height at 175 % and more): blank until
        # a model (each view says how to get one).
        self.status = FittedLabel(self)
        self.status.setObjectName("insideStatus")
        # How the input was read, when that changed it (cut to the context; an image's colours inverted to match the
        # training images): shown only then, since it explains a view that would otherwise mislead.
        self.inputNote = QLabel(self)
        self.inputNote.setObjectName("insideInputNote")
        self.inputNote.setWordWrap(True)
        self.inputNote.setTextFormat(Qt.TextFormat.PlainText)
        theme.tint(self.inputNote, "warning")
        self.inputNote.hide()

        self.steps = StepsView(self)
        self.headView = HeadViewPanel(self)
        self.roles = RolesPanel(self)
        self.vit = FigureView("vitView", INSIDE["vit"], self)
        self.vit.sigRoomChanged.connect(self._vit_room_changed)
        self._vit_asked = VIT_SIZES[1]  # the panel side the last ViT figure was asked for
        self.embeddings = EmbeddingsView(self)
        self.tabs = tabs_without_arrow_stops(PageTabs(self))
        self.tabs.setObjectName("insideTabs")
        for widget, title, tip in ((self.steps, "Step by step", INSIDE["steps"]),
                                   (self.headView, "Head view", INSIDE["head_view"]),
                                   (self.roles, "Head roles", INSIDE["roles"]),
                                   (self.vit, "ViT: CLS attention", INSIDE["vit"]),
                                   (self.embeddings, "Embeddings", INSIDE["embeddings"])):
            index = self.tabs.addTab(widget, title)
            self.tabs.setTabToolTip(index, tip)
        tab_bar_first(self.tabs)
        self.tabs.currentChanged.connect(self._on_tab)
        self.roles.sigHeadChosen.connect(self.open_head)
        self.headView.layerCombo.activated.connect(self._follow_head_views_layer)
        self.headView.headsCombo.activated.connect(self._follow_head_views_head)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Input", self))
        bar.addWidget(self.inputEdit, 1)
        for widget in (self.showButton, self.imageButton, self.probeButton):
            bar.addWidget(widget)
        bar.addSpacing(10)
        bar.addWidget(QLabel("Layer", self))
        bar.addWidget(self.layerCombo)
        bar.addWidget(QLabel("Head", self))
        bar.addWidget(self.headCombo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 2)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.inputNote)
        layout.addWidget(self.tabs, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._timer.start()
        self.set_shape(1, 1)

    # ----- the model ----------------------------------------------------------------------------
    def set_model(self, spec: Any, info: Any = None) -> None:
        """The spec changed (sliders, preset): pickers and the ViT parts follow; views wait for the new model.
        Another family, dataset or pretrained model also empties the input box: text typed for a decoder means
        nothing to a ViT or to BERT's vocabulary (the new model's probe input is shown instead)."""
        key = (spec.model.family, spec.model.pretrained, spec.data.name, str(getattr(spec.data, "path", "") or ""))
        if key != self._model_key:
            if self._model_key is not None:
                self.inputEdit.clear()
                self._text = ""
                self.clear()
            self._model_key = key
        self.family = spec.model.family
        vit = self.family == "vit"
        self.imageButton.setVisible(vit)
        self.inputEdit.setPlaceholderText("An image file (Image…), or empty for the probe image" if vit else
                                          "Type your own input and press Enter (empty: the probe input)")
        self.tabs.setTabVisible(self.tabs.indexOf(self.vit), vit)
        if not spec.model.pretrained:
            self.set_shape(spec.model.n_layer, spec.model.n_head)

    def set_shape(self, layers: int, heads: int) -> None:
        self.layerCombo.blockSignals(True)
        self.headCombo.blockSignals(True)
        _fill(self.layerCombo, [str(layer + 1) for layer in range(layers)])
        _fill(self.headCombo, [str(head + 1) for head in range(heads)])
        self.layerCombo.blockSignals(False)
        self.headCombo.blockSignals(False)

    @property
    def layer(self) -> int:
        return max(0, self.layerCombo.currentIndex())

    @property
    def head(self) -> int:
        return max(0, self.headCombo.currentIndex())

    def clear(self) -> None:
        """A reset: the old model is gone."""
        self.result = None
        self._pending = None
        self._want = True
        self._stale = False
        self.steps.clear()
        self.vit.clear()
        self.roles.clear()
        self.headView.clear()
        self.embeddings.clear()
        self._show_status("")
        self._show_input_notes(())

    # ----- input --------------------------------------------------------------------------------
    def set_input(self, text: str) -> None:
        self.inputEdit.setText(text)
        self._on_input()

    def use_probe(self) -> None:
        self.set_input("")

    def _on_input(self) -> None:
        self._text = self.inputEdit.text().strip()
        self._want = True
        self._poll()

    def _figures(self) -> tuple[FigureView, ...]:
        """The figures the family draws (the ViT's only for a ViT: review, "Drawing…" stayed there for a decoder)."""
        return (self.steps, self.vit) if self.family == "vit" else (self.steps,)

    def _hand_keys_back(self) -> None:
        """The input given (Enter), the focus goes to the views' tabs: Space plays again, Right steps and Ctrl+Z undoes
        the window's change (lecturer QA: after lesson 19.2's "type your sentence and press Enter", Space typed a
        space, Right moved the cursor and Ctrl+Z took the sentence back beside the figure drawn from it). A click puts
        the cursor back in the box."""
        self.tabs.tabBar().setFocus(Qt.FocusReason.OtherFocusReason)
        self._handed_back = True  # until the answer: a refused input takes the focus back

    def _on_emptied(self, text: str) -> None:
        """An emptied box is the probe input at once, as its placeholder says (keyboard QA: after a bad input the
        error stayed, and the views stopped following training, until Show was pressed on the empty box)."""
        if not text.strip() and self._text:
            self._on_input()

    def _on_image(self) -> None:
        path, _ = file_dialogs.open_file(self, "Choose an image", "",
                                              "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp);;All files (*)")
        if path:
            self.set_input(path)

    def _on_tab(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.embeddings:
            self._want = True  # the projections are only computed while their tab is open
        self._poll()

    def _on_picker(self) -> None:
        """A layer or head picked here: the roles table, its grid and the Attention tab outline it too (QA: they kept
        the head picked before outlined)."""
        self.roles.select_head(self.layer, self.head)
        self.sigHeadChosen.emit(self.layer, self.head)
        self._want = True
        self._poll()

    def _head_view_follows(self, layer_only: bool) -> None:
        """The head view shows the bar's pick; a layer picked keeps its "all heads" (lecturer QA: picking layer 3 set
        the head view from all heads to head 1)."""
        keeps_all = layer_only and self.headView.headsCombo.currentIndex() <= 0  # (-1: no weights yet, all by default)
        self.headView.select(self.layer, None if keeps_all else self.head)

    def _follow_head_views_layer(self, layer: int) -> None:
        """A layer picked in the head view: the bar's Layer says it too, and the views it drives follow (lecturer QA:
        "Layer: layer 1" over a head view of layer 2); the head view keeps its own heads choice ("all heads")."""
        if layer != self.layerCombo.currentIndex():
            with QSignalBlocker(self.layerCombo):
                self.layerCombo.setCurrentIndex(layer)
            self._on_picker()

    def _follow_head_views_head(self, index: int) -> None:
        """A head picked in the head view: the bar's Head says it too (QA: the bar said head 1 over a head view of
        head 2); "all heads" leaves the bar's head as it was."""
        if index > 0:
            self.pick(self.headView.layerCombo.currentIndex(), index - 1)

    def open_head(self, layer: int, head: int) -> None:
        """A head chosen elsewhere (the roles table, the grid): show it step by step and in the head view."""
        self.pick(layer, head)
        self.headView.select(layer, head)  # (after the pick: the head view shows the head, not its "all heads")

    def pick(self, layer: int, head: int) -> None:
        """`layer` and `head` in the pickers as one choice, not a layer then a head; the other views follow, the head
        view keeping its "all heads" (QA: a lesson's start set the bar to layer 1, head 1 and left the head view on
        layer 2, head 2)."""
        changed = (self.layerCombo.currentIndex(), self.headCombo.currentIndex()) != (layer, head)
        with QSignalBlocker(self.layerCombo), QSignalBlocker(self.headCombo):
            self.layerCombo.setCurrentIndex(layer)
            self.headCombo.setCurrentIndex(head)
        self._head_view_follows(layer_only=True)
        if changed:  # (asked again only then: a lesson step types its input next, and an answer to the last one
            self._on_picker()  # would hold the request back)
        else:
            self.sigHeadChosen.emit(layer, head)

    # ----- talking to the worker ----------------------------------------------------------------
    def follow(self, step: int, training: bool) -> None:
        """Once training stops, ask about the model's last step at once rather than at the next live refresh (QA:
        "Model at step 198" for seconds beside "step 200 / 200 paused"). Once per step."""
        if training or self.result is None or self.result.step == step or step == self._followed:
            return
        self._followed = step
        self._want = True
        self._poll()

    def take(self, box: Any) -> None:
        """Called with each batch the window drains from the worker."""
        if box.snapshot is not None:
            self.roles.add_snapshot(box.snapshot)
            self._stale = True
        answer = box.results.get(JOB_KEY) if getattr(box, "results", None) else None
        if answer is not None:
            self._on_answer(answer)

    def _poll(self) -> None:
        """Ask the worker for fresh views when something changed and this tab is on screen."""
        if not self.isVisible():
            return
        now = time.monotonic()
        if self._pending is not None and now - self._pending[1] < JOB_TIMEOUT_S:
            return
        worker = self._worker()
        if worker is None:
            if self.result is None:
                self._show_status("")
            return
        live = self._stale and now - self._last_sent >= LIVE_REFRESH_S
        if not (self._want or live):
            return
        current = self.tabs.currentWidget()
        embeddings = current is self.embeddings and (self._want or now - self._last_embeddings >= EMBEDDINGS_REFRESH_S
                                                     or self.embeddings.positions.points is None)
        self._token += 1
        self._vit_asked = self._vit_size()
        job = InsideJob(self._token, self._text, self.layer, self.head, steps=True,
                        vit=self.family == "vit", embeddings=embeddings, pixel_ratio=self.devicePixelRatioF(),
                        vit_size=self._vit_asked)
        worker.submit(JOB_KEY, job)
        if self.result is None:  # a model to draw, not one to train first (lecturer QA: "Press Play …" for 2 s beside
            for view in self._figures():  # a lesson's finished model, brought back by Back)
                view.show_message(INSIDE["drawing"])
        self._pending = (self._token, now)
        self._asked = self._question()
        self._want = self._stale = False
        self._last_sent = now
        if embeddings:
            self._last_embeddings = now

    def _vit_size(self) -> int:
        """The ViT figure's panel side for the view's room: its pictures shrink to fit the width where "Fit to width"
        is ticked, its text as legible as ever; full size where it is not."""
        if not self.vit.fitCheck.isChecked():
            return VIT_SIZES[1]
        return vit_size_for(self.vit.room(LABEL_SIZE), max(1, self.headCombo.count()))

    def _vit_room_changed(self) -> None:
        """Asked again at the next poll where the figure on screen was drawn for another room (a drag of a splitter
        asks as often as a poll comes, not at every pixel: the sizes come in steps)."""
        if self.tabs.currentWidget() is self.vit and self._vit_size() != self._vit_asked:
            self._want = True

    def _question(self) -> tuple[str, int, int]:
        return self._text, self.layer, self.head

    def _on_answer(self, answer: InsideResult | JobFailed) -> None:
        if self._pending is not None and answer.token == self._pending[0]:
            self._pending = None
        if self.result is not None and answer.token < self.result.token:
            return  # an older request finished late
        if answer.token == self._token and self._asked != self._question():
            self._poll()  # the input or the head changed while it was worked out: ask about them instead of showing
            return  # the last input's views under the new one (a lesson step types its input as a head is picked)
        if isinstance(answer, JobFailed):
            self._show_input_notes(())
            said = answer.message.rstrip(" .") + "."  # a sentence: the next follows (QA: "check the path The views")
            failed, short = (f"<span style='color:{theme.colour('error')}'>{lead}{_escape(said)}</span>"
                             for lead in ("Could not show this input: ", "Could not show: "))
            # The views keep the last input's: said, not left to pass for this one's (QA: a 7's attention stayed
            # under the error about another file)
            still = f" The views still show {_shown_input(self.result)}." if self.result is not None else ""
            self._show_status(failed + still, short + still, failed, tip=failed + still)
            if self.result is None:
                for view in self._figures():
                    view.show_message(NOT_DRAWN)  # not "Drawing…" under the reason (review)
            latest = answer.token == self._token
            if latest and self._handed_back and QApplication.focusWidget() is self.tabs.tabBar():
                self.inputEdit.setFocus(Qt.FocusReason.OtherFocusReason)  # the input to mend, where Enter left it
                self.inputEdit.selectAll()  # (review: a lecturer fixing a typo had to click back into the box)
            self._handed_back &= not latest
            return
        self._handed_back &= answer.token != self._token
        self.show_result(answer)

    def _show_input_notes(self, notes: tuple[str, ...]) -> None:
        text = f"Note: {'; '.join(notes)}." if notes else ""  # (a note may start with a file's name: no capital)
        self.inputNote.setText(text)
        self.inputNote.setVisible(bool(text))

    def _show_status(self, *wordings: str, tip: str = "") -> None:
        """The line saying what the views show, in the fullest of `wordings` that fits, and its tooltip (none but for
        this text's own)."""
        self.status.set_wordings(*wordings)
        self.status.setToolTip(tip)

    def show_result(self, result: InsideResult) -> None:
        self.result = result
        layers, heads = result.snapshot.weights.shape[:2]
        self.set_shape(layers, heads)
        where = _shown_input(result)
        drawn = result.snapshot.tokens_only()  # as the Attention tab: padding's rows mean nothing (QA: BERT's [PAD]s)
        labels = drawn.labels
        padding = len(result.snapshot.labels) - len(labels)  # (QA: "12 tokens" over a head view of 8)
        shown = " ".join(show_token(t) for t in labels[:40]) + (" …" if len(labels) > 40 else "")
        snap = result.snapshot
        predicted = snap.prediction[:80]
        predicted = predicted if predicted.strip() else show_token(predicted)  # (QA: "prediction:" and nothing)
        bare = f" · prediction: <b>{_escape(predicted)}</b>" if snap.prediction else ""
        copied = copies_input(snap)
        prediction = bare + (f" {COPIED_INPUT}" if copied else "")
        said = f"Model at step {result.step:,} on {where}: {len(labels)} tokens" + (f" (+{padding} padding)" if padding
                                                                                   else "")
        # The note last to go, then the prediction without it (the tooltip says why), rather than a second line of
        # status over the views
        self._show_status(f"{said} <tt>{_escape(shown)}</tt>{prediction}", f"{said}{prediction}",
                          f"Model at step {result.step:,}{prediction}", f"Model at step {result.step:,}{bare}",
                          tip=COPIED_WHY if copied else "")
        self._show_input_notes(result.input_notes)
        run = self._worker()
        named = f"{run.run_dir.name}-" if run is not None and run.run_dir is not None else ""  # (QA: "vitView.png")
        if result.steps_rgb is not None:
            s = result.steps
            self.steps.export_name = f"{named}step-by-step-layer{result.layer + 1}-head{result.head + 1}-step{result.step}"
            head = f"Layer {result.layer + 1}, head {result.head + 1} of {s.n_head}"
            whole = result.snapshot.weights.shape[-1]
            cut = s.seq_len != whole
            tokens = f"T = the probe's first {s.seq_len} of {whole} tokens (type an input for others)" if cut else \
                f"T = {s.seq_len} tokens"
            # Where the figure has fewer tokens than the status line says, the shortest wordings keep how many (QA, 130
            # %: "32 tokens" over a 16 x 16 figure, the caption cut to "Layer 2, head 1 of 2"), the last in as little
            # room as that took (review: it wrapped)
            shortest = ((f"{head}: first {s.seq_len} of {whole} tokens",
                         f"L{result.layer + 1} H{result.head + 1}: {s.seq_len} of {whole} tokens") if cut else (head,))
            self.steps.set_steps(s, result.steps_figure, result.steps_rgb, f"{head}: {tokens}, d_head = {s.d_head}, "
                                 f"C = {s.n_embd}, mask: {s.mask_kind}", f"{head}: {tokens}", *shortest)
        self.headView.set_attention(drawn.weights, drawn.labels, result.step)
        if result.vit_rgb is not None:
            self.vit.export_name = f"{named}cls-attention-step{result.step}"
            self.vit.set_figure(result.vit_figure, result.vit_rgb,
                                f"the rollout and [CLS] attention per head, step {result.step:,}")
        if result.embeddings is not None or result.positions is not None:
            self.embeddings.set_result(result)


def _shown_input(result: InsideResult) -> str:
    """The input `result` is of, as the status line names it."""
    return f"“{_escape(result.text)}”" if result.text else "the probe input"


def _escape(text: str) -> str:
    import html

    return html.escape(text)
