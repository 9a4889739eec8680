"""The lecture's head view: tokens in two columns, a line from each query to each key, as thick and as
opaque as the attention weight; one head or all heads colour-coded; hovering a token keeps only its lines.

Drawn with QPainter (vector), so the same `paint()` makes the widget, a PNG and an SVG.
Input: weights (layers, heads, T, T) and token labels, as in bertviz's `head_view(attention, tokens)`.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QHelpEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from playground.ui.attention_tips import INSIDE
from playground.ui.exporting import export_asked, paint_png, paint_svg
from playground.ui.plotting import follow_font, font_scale, keep_lines, sized_font
from playground.ui.theme import paper_view
from playground.viz.canvas import show_token
from playground.viz.colors import head_colour

MIN_WEIGHT = 0.02  # lines below this weight are not drawn (they would only be noise)
FADED = 0.07  # opacity factor of the lines that are not the hovered token's
MARGIN = 12.0
ROW_H = 20.0
GAP_MIN, GAP_MAX = 220.0, 460.0
HEADER_H = 70.0
LEGEND_ROW_H = 18.0  # a wrapped legend's further rows, at the normal font
HOVER_HINT = "Hover a token: on the left to see where it looks, on the right to see who looks at it."


class HeadLines(QWidget):
    """The drawing itself. `set_attention(weights, labels)`, then `set_layer`, `set_heads` (None = all)."""

    sigHover = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("headLines")
        self.setMouseTracking(True)
        self.setToolTip(INSIDE["head_view"])  # over the title and legend only (event)
        self.weights: np.ndarray | None = None  # (L, H, T, T)
        self.labels: list[str] = []
        self.step = 0
        self.layer = 0
        self.heads: int | None = None  # None: every head, colour-coded
        self.hovered: tuple[str, int] | None = None  # ("query" | "key", position)
        self.row_h, self.header_h = ROW_H, HEADER_H
        follow_font(self, self._follow_font)

    def _follow_font(self) -> None:
        """Labels a little larger than the application font; rows and the header grow with them."""
        self._font = sized_font(1.1)
        self._bold = sized_font(1.1, bold=True)
        scale = max(1.0, font_scale())
        self.row_h, self.header_h = ROW_H * scale, HEADER_H * scale
        self.updateGeometry()
        self.setMinimumSize(self.sizeHint())
        self.update()

    # ----- data ---------------------------------------------------------------------------------
    def set_attention(self, weights: np.ndarray, labels: list[str], step: int = 0) -> None:
        self.weights = np.asarray(weights, dtype=np.float32)
        self.labels = [show_token(t) for t in labels]
        self.step = step
        self.layer = min(self.layer, self.weights.shape[0] - 1)
        if self.heads is not None and self.heads >= self.weights.shape[1]:
            self.heads = None
        if self.hovered is not None and self.hovered[1] >= len(self.labels):
            self.hovered = None
        self.updateGeometry()
        self.setMinimumSize(self.sizeHint())
        self.update()

    def clear(self) -> None:
        """No model: nothing drawn but the waiting text."""
        self.weights, self.labels, self.step, self.hovered = None, [], 0, None
        self.updateGeometry()
        self.setMinimumSize(self.sizeHint())
        self.update()

    def set_layer(self, layer: int) -> None:
        self.layer = layer
        self.update()

    def set_heads(self, head: int | None) -> None:
        self.heads = head
        self.setMinimumSize(self.sizeHint())  # one head's legend takes one row, every head's may take more
        self.update()

    def chosen_heads(self) -> list[int]:
        if self.weights is None:
            return []
        return list(range(self.weights.shape[1])) if self.heads is None else [self.heads]

    def line_opacity(self, head: int, query: int, key: int) -> float:
        """0 when the line is not drawn; otherwise its opacity (weight, faded unless hovered)."""
        if self.weights is None:
            return 0.0
        value = float(self.weights[self.layer, head, query, key])
        if value < MIN_WEIGHT:
            return 0.0
        fade = 1.0
        if self.hovered is not None:
            side, index = self.hovered
            fade = 1.0 if (query if side == "query" else key) == index else FADED
        return fade * min(1.0, 0.15 + 0.85 * value)

    # ----- geometry -----------------------------------------------------------------------------
    def _label_width(self) -> float:
        metrics = QFontMetricsF(self._bold)
        return max([metrics.horizontalAdvance(t) for t in self.labels] + [metrics.horizontalAdvance("query")]) + 10

    def _columns(self, width: float) -> tuple[float, float]:
        """x of the query labels' right edge and of the key labels' left edge."""
        label_w = self._label_width()
        gap = min(GAP_MAX, max(GAP_MIN, width - 2 * (MARGIN + label_w)))
        left = max(MARGIN + label_w, (width - gap) / 2)
        return left, left + gap

    def _legend(self, width: float) -> list[tuple[QPointF, int]]:
        """Each shown head's swatch corner and head, in rows wrapped at `width` (QA: BERT's twelve heads ran off the
        view and its export at "head 7 he")."""
        k = self.header_h / HEADER_H  # the header's lines grow with the font
        metrics = QFontMetricsF(self._font)
        x, y, placed = MARGIN, 28 * k, []
        for h in self.chosen_heads():
            entry = 16 * k + metrics.horizontalAdvance(f"head {h + 1}")
            if placed and x + entry > width - MARGIN:
                x, y = MARGIN, y + LEGEND_ROW_H * k
            placed.append((QPointF(x, y), h))
            x += entry + 14
        return placed

    def _top(self, width: float) -> float:
        """The header's height at `width`: each further row of the legend pushes the tokens down."""
        legend = self._legend(width)
        return self.header_h + (legend[-1][0].y() - legend[0][0].y() if legend else 0.0)

    def _row_y(self, index: int, top: float) -> float:
        return top + (index + 0.5) * self.row_h

    def _height(self, width: float) -> int:
        """The height the drawing takes at `width`: its header (the legend wraps by the width), then the rows."""
        return int(self._top(width) + max(len(self.labels), 4) * self.row_h + MARGIN)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        label_w = self._label_width() if self.labels else 60
        return QSize(int(2 * (MARGIN + label_w) + GAP_MIN), self._height(float(self.width())))

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)
        if self.minimumHeight() != self.sizeHint().height():  # the legend wrapped into more rows, or fewer
            self.setMinimumSize(self.sizeHint())

    def paint_size(self) -> QSize:
        """The picture's size: the widget's width at least, its height for that width (the legend wraps by it)."""
        width = max(self.width(), self.sizeHint().width())
        return QSize(width, self._height(float(width)))

    # ----- painting -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        self.paint(painter, float(self.width()))
        painter.end()

    def paint(self, painter: QPainter, width: float | None = None) -> None:
        width = float(self.paint_size().width() if width is None else width)
        painter.setFont(self._font)
        if self.weights is None or not self.labels:
            painter.setPen(QColor("#555"))
            painter.drawText(QRectF(MARGIN, MARGIN, width - 2 * MARGIN, 40), Qt.AlignmentFlag.AlignLeft,
                             INSIDE["waiting"].split(":")[0] + ".")
            return
        left, right = self._columns(width)
        heads = self.chosen_heads()
        T = len(self.labels)
        top = self._top(width)
        below = top - self.header_h  # the legend's further rows
        # title and legend
        painter.setFont(self._bold)
        painter.setPen(QColor("#222"))
        which = "all heads" if self.heads is None else f"head {self.heads + 1}"
        k = self.header_h / HEADER_H  # the header's lines grow with the font
        painter.drawText(QPointF(MARGIN, 18 * k), f"Layer {self.layer + 1}, {which} — step {self.step:,}")
        painter.setFont(self._font)
        for corner, h in self._legend(width):
            painter.fillRect(QRectF(corner.x(), corner.y(), 12 * k, 12 * k), QColor(head_colour(h)))
            painter.setPen(QColor("#222"))
            painter.drawText(QPointF(corner.x() + 16 * k, corner.y() + 11 * k), f"head {h + 1}")
        painter.setFont(self._bold)
        painter.setPen(QColor("#777"))
        painter.drawText(QRectF(MARGIN, 46 * k + below, left - MARGIN, 18 * k), Qt.AlignmentFlag.AlignRight, "query")
        painter.drawText(QRectF(right, 46 * k + below, 200 * k, 18 * k), Qt.AlignmentFlag.AlignLeft, "key")
        # lines, faded ones first so the hovered token's lines stay on top
        w = self.weights[self.layer]
        strong: list[tuple[float, float, float, float, QColor, float]] = []
        for h in heads:
            colour = QColor(head_colour(h))
            for i in range(T):
                for j in range(T):
                    alpha = self.line_opacity(h, i, j)
                    if alpha <= 0:
                        continue
                    item = (left + 4, self._row_y(i, top), right - 4, self._row_y(j, top), colour, alpha,
                            0.8 + 5 * float(w[h, i, j]))
                    if self.hovered is not None and alpha > FADED:
                        strong.append(item)
                    else:
                        self._line(painter, *item)
        for item in strong:
            self._line(painter, *item)
        # token labels
        metrics = QFontMetricsF(self._bold)
        for i, text in enumerate(self.labels):
            y = self._row_y(i, top)
            for side, x_edge, align in (("query", left, Qt.AlignmentFlag.AlignRight),
                                        ("key", right, Qt.AlignmentFlag.AlignLeft)):
                box = QRectF(x_edge - 6 - metrics.horizontalAdvance(text), y - self.row_h / 2, metrics.horizontalAdvance(text) + 4,
                             self.row_h) if side == "query" else QRectF(x_edge + 4, y - self.row_h / 2,
                                                                   metrics.horizontalAdvance(text) + 4, self.row_h)
                if self.hovered == (side, i):
                    painter.fillRect(box.adjusted(-3, 1, 3, -1), QColor("#fff2b3"))
                    painter.setFont(self._bold)
                else:
                    painter.setFont(self._font)
                painter.setPen(QColor("#222"))
                painter.drawText(box, align | Qt.AlignmentFlag.AlignVCenter, text)

    @staticmethod
    def _line(painter: QPainter, x1: float, y1: float, x2: float, y2: float, colour: QColor, alpha: float,
              width: float) -> None:
        c = QColor(colour)
        c.setAlphaF(alpha)
        pen = QPen(c, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(x1, y1), QPointF(x2, y2))

    # ----- hover --------------------------------------------------------------------------------
    def token_at(self, pos: QPointF) -> tuple[str, int] | None:
        if self.weights is None or not self.labels:
            return None
        top = self._top(float(self.width()))
        index = int((pos.y() - top) // self.row_h)
        if not 0 <= index < len(self.labels) or pos.y() < top:
            return None
        left, right = self._columns(float(self.width()))
        if pos.x() <= left + 8:
            return "query", index
        if pos.x() >= right - 8:
            return "key", index
        return None

    def token_pos(self, side: str, index: int) -> QPointF:
        """Where a token's label is (for tests and tooltips)."""
        left, right = self._columns(float(self.width()))
        return QPointF(left - 10 if side == "query" else right + 10, self._row_y(index, self._top(float(self.width()))))

    def event(self, event: QEvent) -> bool:
        """The teaching tooltip over the title and legend, not over the tokens and lines: resting on a token to read
        its lines, it covered them (QA, lesson 19.2 step 8)."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent) and \
                event.pos().y() > self._top(float(self.width())):
            QToolTip.hideText()
            return True
        return super().event(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.set_hover(self.token_at(event.position()))

    def leaveEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        self.set_hover(None)

    def set_hover(self, hovered: tuple[str, int] | None) -> None:
        if hovered == self.hovered:
            return
        self.hovered = hovered
        self.update()
        if hovered is None or self.weights is None:
            self.sigHover.emit(HOVER_HINT)
            return
        side, index = hovered
        w = self.weights[self.layer]
        heads = self.chosen_heads()
        row = w[heads].mean(0)
        weights = row[index] if side == "query" else row[:, index]  # (T,) what it looks at, or who looks at it
        best = np.argsort(weights)[::-1][:3]
        # each by its position too: "looks most at '␣' 0.67, '␣' 0.17, '␣' 0.12" did not say which spaces (QA)
        looks = ", ".join(f"'{self.labels[j]}' (#{j}) {weights[j]:.2f}" for j in best)
        verb = "looks most at" if side == "query" else "is looked at most by"
        self.sigHover.emit(f"'{self.labels[index]}' (#{index}) {verb} {looks}"
                           + (" (heads averaged)" if len(heads) > 1 else ""))


class HeadViewPanel(QWidget):
    """The head view with its pickers (layer, one head or all) and an export button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("headViewPanel")
        self.lines = HeadLines(self)
        self._pending: tuple[int, int] | None = None  # (layer, heads index) chosen before the weights came
        self.layerCombo = QComboBox(self)
        self.layerCombo.setObjectName("headViewLayer")
        self.layerCombo.setToolTip(INSIDE["layer"])
        self.headsCombo = QComboBox(self)
        self.headsCombo.setObjectName("headViewHeads")
        self.headsCombo.setToolTip(INSIDE["heads_choice"])
        self.exportButton = QPushButton("Export…", self)
        self.exportButton.setObjectName("headViewExport")
        self.exportButton.setToolTip(INSIDE["export"])
        self.exportButton.clicked.connect(self._on_export)
        self.exportButton.setEnabled(False)  # until there is attention to draw
        self.readout = QLabel(HOVER_HINT, self)
        self.readout.setObjectName("headViewReadout")
        self.readout.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Layer", self))
        bar.addWidget(self.layerCombo)
        bar.addWidget(QLabel("Heads", self))
        bar.addWidget(self.headsCombo)
        bar.addStretch(1)
        bar.addWidget(self.exportButton)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.lines)
        paper_view(self.scroll)
        keep_lines(self.scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.readout)
        self.layerCombo.currentIndexChanged.connect(self._on_layer)
        self.headsCombo.currentIndexChanged.connect(self._on_heads)
        for combo in (self.layerCombo, self.headsCombo):  # the user's own pick wins over one waiting for weights
            combo.activated.connect(self._forget_pending)
        self.lines.sigHover.connect(self.readout.setText)

    def set_attention(self, weights: np.ndarray, labels: list[str], step: int = 0) -> None:
        layers, heads = weights.shape[:2]
        _fill(self.layerCombo, [f"layer {l + 1}" for l in range(layers)])
        _fill(self.headsCombo, ["all heads"] + [f"head {h + 1}" for h in range(heads)])
        if self._pending is not None and self._pending[0] < layers and self._pending[1] <= heads:
            for combo, index in zip((self.layerCombo, self.headsCombo), self._pending, strict=True):
                with QSignalBlocker(combo):
                    combo.setCurrentIndex(index)
        self._pending = None
        self.lines.layer = max(0, self.layerCombo.currentIndex())
        self.lines.heads = None if self.headsCombo.currentIndex() <= 0 else self.headsCombo.currentIndex() - 1
        self.lines.set_attention(weights, labels, step)
        self.exportButton.setEnabled(True)

    def clear(self) -> None:
        """The model is gone: no lines, no readout of its weights, nothing to export (as Step by step's; keyboard QA:
        Export… offered an empty picture)."""
        self.lines.clear()
        self.readout.setText(HOVER_HINT)
        self.exportButton.setEnabled(False)

    def select(self, layer: int, head: int | None) -> None:
        """Show `layer` and `head` (None: all heads); before the view has that model's weights, once it has them
        (QA: lesson 19.2's "the same head as lines" showed all heads of layer 1, the pickers' head picked before the
        view had ever drawn)."""
        heads = 0 if head is None else head + 1
        if layer < self.layerCombo.count() and heads < self.headsCombo.count():
            self.layerCombo.setCurrentIndex(layer)
            self.headsCombo.setCurrentIndex(heads)
            self._pending = None
        else:
            self._pending = (layer, heads)

    def _forget_pending(self, _index: int) -> None:
        self._pending = None

    def _on_layer(self, index: int) -> None:
        if index >= 0:
            self.lines.set_layer(index)

    def _on_heads(self, index: int) -> None:
        if index >= 0:
            self.lines.set_heads(None if index == 0 else index - 1)

    def export(self, path: str) -> None:
        from pathlib import Path

        target = Path(path)
        size = self.lines.paint_size()
        if target.suffix.lower() == ".svg":
            paint_svg(target, size, lambda p: self.lines.paint(p, size.width()), "Head view")
        else:
            paint_png(target, size, lambda p: self.lines.paint(p, size.width()))

    def _on_export(self) -> None:
        export_asked(self, "Export the head view", f"head-view-layer{self.lines.layer + 1}", True,
                     lambda path: self.export(str(path)))


def _fill(combo: QComboBox, items: list[str]) -> None:
    """Replace a combo box's items only when they change, keeping the current index (no signal echo)."""
    if [combo.itemText(i) for i in range(combo.count())] == items:
        return
    current = max(0, combo.currentIndex())
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(items)
    combo.setCurrentIndex(min(current, len(items) - 1))
    combo.blockSignals(False)
