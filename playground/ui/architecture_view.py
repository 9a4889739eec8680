"""The architecture as a picture: the model the sliders describe, block by block, with tensor shapes.

Drawn from the RunSpec and the DataInfo alone (no model is built, no torch): embedding and positional
encoding, N x the transformer block in the family's own order (BERT post-LN: attention -> add & norm ->
feed-forward -> add & norm; GPT-2 and ViT pre-LN: norm -> attention -> add -> norm -> feed-forward -> add,
then a final norm), and the head; an ablation's block as it trains (LayerNorm moved or gone, no residual
connections, no causal mask, unscaled scores, no positions). A QGraphicsScene, so it exports as SVG or PNG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTransform,
)
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from playground.core.messages import counted
from playground.core.spec import FAMILY_NORM, FAMILY_TITLES
from playground.ui.attention_tips import ARCHITECTURE, INSIDE
from playground.ui.exporting import export_asked, figure_bar, paint_png, paint_svg
from playground.ui.plotting import broken_lines
from playground.ui.theme import paper_view

BOX_W, BOX_H, GAP = 320.0, 38.0, 30.0
BOX_MARGIN = 12  # px between a box's side and its widest text
BLOCK_TITLE = 24  # px from the Transformer block's frame up to above its title
FIT_TEXT = "Fit to window"
FIT_CRAMPED = "Fit to window: F9 for room"  # too wide to fit with its titles as large as the window's text
FIT_SHORT = "Fit to window: F8 for room"  # too tall: it scrolls down (QA: cut at the block's second LayerNorm, unsaid)
FIT_SCROLL = "Fit to window: scroll for the rest"  # too tall with the loss curves hidden already (F8 would bring them)

COLOURS = {
    "input": "#eeeeee", "embed": "#d9f2d9", "attn": "#fde2c4", "norm": "#fff5bf", "add": "#e9e9e9",
    "ffn": "#d4e6f7", "head": "#e8dcf5", "output": "#f6f6f6",
}
INK, MUTED, FRAME = QColor("#222222"), QColor("#666666"), QColor("#8a8a8a")


@dataclass(frozen=True)
class Box:
    kind: str
    title: str
    detail: str = ""


def _fmt(n: int) -> str:
    return f"{n:,}"


def _positions(m: Any, size: str) -> Box:
    """The positional encoding's box, or its absence (an ablation: attention alone is blind to order)."""
    if m.pos_encoding == "none":
        return Box("embed", "no positional encoding", "ablation: attention cannot tell the positions apart")
    return Box("embed", "+ positional encoding", f"{m.pos_encoding}, {size}")


def _sublayer(norm: str, residual: bool, sublayer: tuple[Box, str], name: str, btc: str) -> list[tuple[Box, str]]:
    """One sub-layer (attention or the FFN) with its LayerNorm and residual connection where the model has them:
    the diagram drew BERT's or GPT-2's block whatever the ablations said (QA: "Add & Norm" and residual arrows
    over encoder-reverse-no-residual)."""
    read = "LN(x)" if norm == "pre" else "x"
    added = f"x + {name}({read})" if residual else f"{name}({read})"
    boxes = [(Box("norm", "LayerNorm", ""), btc)] if norm == "pre" else []
    boxes.append(sublayer)
    if norm == "post":
        boxes.append((Box("add" if residual else "norm", "Add & Norm" if residual else "Norm",
                          f"x = LayerNorm({added})"), btc))
    elif residual:
        boxes.append((Box("add", "Add (residual)", f"x = {added}"), btc))
    return boxes


def _layout(m: Any) -> str:
    """The block's order in a line: the family's own, or what an ablation changed."""
    own = {"encoder": "BERT", "decoder": "GPT-2", "vit": "ViT"}[m.family]
    kinds = {"pre": "pre-LN", "post": "post-LN", "none": "no LayerNorm"}
    after = "normalise after each residual addition" if m.residual else "normalise after each sub-layer"
    what = {"pre": "normalise before each sub-layer", "post": after, "none": "the stream is never normalised"}
    usual = FAMILY_NORM[m.family]
    who = own if m.norm == usual else f"ablation: {own} is {kinds[usual]}"
    text = f"{kinds[m.norm]} ({who}): {what[m.norm]}"
    if not m.residual:
        text += "; no residual connections (ablation): each sub-layer's output replaces the stream"
    if m.family == "decoder" and not m.causal:
        text += "; no causal mask (ablation): each token sees the later ones too"
    if not m.scale_scores:
        text += "; scores not divided by √d_head (ablation)"
    return text


def plan(spec: Any, info: Any) -> tuple[list[tuple[Box, str]], list[tuple[Box, str]], list[tuple[Box, str]], str]:
    """(embedding column, block, head column, layout name). Each entry is a box and the shape of its output."""
    m, B = spec.model, spec.train.batch_size
    C, H, d_ff = m.n_embd, m.n_head, m.d_ff
    family = m.family
    T = m.seq_len
    vocab = getattr(info, "vocab_size", 0) or 0
    classes = getattr(info, "n_classes", 0) or 0
    task = getattr(info, "task", {"decoder": "lm", "encoder": "mlm", "vit": "classify"}[family])
    btc = f"(B, T, C) = ({B}, {T}, {C})"
    first: list[tuple[Box, str]] = []
    if family == "vit":
        ch = getattr(info, "channels", 0) or "ch"
        n = m.n_patches
        first.append((Box("input", "Input images", f"{m.image_size}×{m.image_size} px, {ch} channel{'' if ch == 1 else 's'}"),
                      f"(B, ch, H, W) = ({B}, {ch}, {m.image_size}, {m.image_size})"))
        first.append((Box("embed", "Patch embedding", f"{n} patches of {m.patch_size}×{m.patch_size} px → C each"),
                      f"(B, N, C) = ({B}, {n}, {C})"))
        first.append((Box("embed", "Prepend [CLS] token", "a learned vector that gathers the answer"),
                      f"(B, N+1, C) = ({B}, {n + 1}, {C})"))
        first.append((_positions(m, f"(N+1) × C = {n + 1} × {C}"), btc))
    else:
        first.append((Box("input", "Input token ids", f"vocabulary V = {_fmt(vocab)}" if vocab else "token ids"),
                      f"(B, T) = ({B}, {T})"))
        first.append((Box("embed", "Token embedding", f"lookup table V × C = {_fmt(vocab)} × {C}" if vocab else
                          f"one C = {C} vector per token"), btc))
        first.append((_positions(m, f"T × C = {T} × {C}, added"), btc))
        if family == "encoder":
            first.append((Box("norm", "+ segment embedding, LayerNorm", "BERT normalises the embeddings")
                          if m.norm != "none" else Box("embed", "+ segment embedding", "not normalised: no LayerNorm"),
                          btc))
    # "Masked", as the lecture's decoder block is drawn; the mask is not in the detail line, which it overfilled
    title = "Masked multi-head self-attention" if family == "decoder" and m.causal else "Multi-head self-attention"
    scaled = f"÷ √{C // H}" if m.scale_scores else "not scaled"
    attn = (Box("attn", title, f"{counted(H, 'head')} × d_head {C // H} · scores (B, H, T, T) {scaled}"),
            btc)
    ffn = (Box("ffn", "Feed-forward network", f"C → d_ff → C: {C} → {d_ff} → {C}, per token"), btc)
    block = [box for sublayer, name in ((attn, "attention"), (ffn, "FFN"))
             for box in _sublayer(m.norm, m.residual, sublayer, name, btc)]
    layout = _layout(m)
    last: list[tuple[Box, str]] = []
    if m.norm == "pre":
        last.append((Box("norm", "Final LayerNorm", "pre-LN leaves the stream unnormalised"), btc))
    if task == "lm":
        last.append((Box("head", "LM head (tied to the embedding)", "C → V scores for the next token"),
                     f"(B, T, V) = ({B}, {T}, {_fmt(vocab)})"))
        last.append((Box("output", "softmax → next-token probabilities", "sample one, append, repeat"), ""))
    elif task == "mlm":
        layers = "dense, GELU, LN" if m.norm != "none" else "dense, GELU"
        last.append((Box("head", f"MLM head ({layers}, tied decoder)", "C → V scores at each position"),
                     f"(B, T, V) = ({B}, {T}, {_fmt(vocab)})"))
        last.append((Box("output", "softmax → the masked tokens", "loss only at masked positions"), ""))
    elif task == "tagging":
        last.append((Box("head", "Classifier at every token", f"C → {classes} labels"),
                     f"(B, T, classes) = ({B}, {T}, {classes})"))
        last.append((Box("output", "softmax → one label per token", ""), ""))
    else:
        where = "[CLS] token" if family == "vit" else "[CLS] token (pooler: dense + tanh)"
        last.append((Box("head", f"Classifier on the {where}", f"C → {classes} classes"),
                     f"(B, classes) = ({B}, {classes})"))
        last.append((Box("output", "softmax → class probabilities", ""), ""))
    return first, block, last, layout


class ArchitectureScene(QGraphicsScene):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setBackgroundBrush(QColor("white"))
        self.n_layer = 0
        self.box_w = BOX_W  # every box's width: BOX_W, or the widest title's or detail's and a margin
        self.texts: list[str] = []
        self.block = QRectF()  # the Transformer block's frame and its title
        self._font = QFont()
        self._font.setPointSizeF(9.5)
        self._bold = QFont(self._font)
        self._bold.setBold(True)
        self._small = QFont(self._font)
        self._small.setPointSizeF(8.5)

    @property
    def title_font(self) -> QFont:
        """The boxes' titles' font: the window keeps them at least as large as its own text."""
        return self._bold

    # ----- drawing helpers ----------------------------------------------------------------------
    def _text(self, x: float, y: float, text: str, font: QFont, colour: QColor = INK, anchor: float = 0.5,
              recorded: bool = True) -> None:
        """`text` centred on height `y`; `anchor` is where `x` falls along it (0: its left end, 1: its right end);
        `recorded` in `texts` (a wrapped line's parts are not: the line is)."""
        item = QGraphicsSimpleTextItem(text)
        item.setFont(font)
        item.setBrush(colour)
        rect = item.boundingRect()
        item.setPos(x - anchor * rect.width(), y - rect.height() / 2)
        self.addItem(item)
        if recorded:
            self.texts.append(text)

    def _box_width(self, boxes: list[Box]) -> float:
        """As wide as the widest title or detail and a margin each side (QA: "Classifier on the [CLS] token (pooler:
        dense + tanh)" ran past its box, an arrowhead drawn over its end)."""
        bold, small = QFontMetricsF(self._bold), QFontMetricsF(self._small)
        widest = max(max(bold.horizontalAdvance(box.title), small.horizontalAdvance(box.detail)) for box in boxes)
        return max(BOX_W, math.ceil(widest) + 2 * BOX_MARGIN)

    def _box(self, x: float, y: float, box: Box) -> QRectF:
        h = BOX_H if box.detail else 28.0
        rect = QRectF(x, y, self.box_w, h)
        self.addRect(rect, QPen(FRAME, 1), QBrush(QColor(COLOURS[box.kind])))
        if box.detail:
            self._text(x + self.box_w / 2, y + 12, box.title, self._bold)
            self._text(x + self.box_w / 2, y + 27, box.detail, self._small, MUTED)
        else:
            self._text(x + self.box_w / 2, y + h / 2, box.title, self._bold)
        return rect

    def _arrow(self, a: QPointF, b: QPointF, colour: QColor = FRAME) -> None:
        self.addLine(a.x(), a.y(), b.x(), b.y(), QPen(colour, 1.4))
        dx, dy = b.x() - a.x(), b.y() - a.y()
        length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
        ux, uy = dx / length, dy / length
        tip = QPolygonF([b, QPointF(b.x() - 8 * ux + 4 * uy, b.y() - 8 * uy - 4 * ux),
                         QPointF(b.x() - 8 * ux - 4 * uy, b.y() - 8 * uy + 4 * ux)])
        self.addPolygon(tip, QPen(colour), QBrush(colour))

    def _column(self, x: float, y: float, entries: list[tuple[Box, str]]) -> list[QRectF]:
        rects = []
        for index, (box, shape) in enumerate(entries):
            rect = self._box(x, y, box)
            rects.append(rect)
            y = rect.bottom()
            if index < len(entries) - 1:
                self._arrow(QPointF(x + self.box_w / 2, y), QPointF(x + self.box_w / 2, y + GAP))
                if shape:  # left of the arrow where a residual branch leaves an Add box to the right
                    left = box.kind == "add"
                    self._text(x + self.box_w / 2 + (-8 if left else 8), y + GAP / 2, shape, self._small, MUTED,
                               anchor=1.0 if left else 0.0)
                y += GAP
        return rects

    def _residuals(self, x: float, lane: float, starts: list[float], adds: list[QRectF]) -> None:
        """The residual connections: from the stream before each sub-layer (the second reads it after the first
        Add) around the right side at `lane` to its Add box."""
        residual = QPen(QColor("#b5361b"), 1.4)
        for start, add in zip(starts, adds):
            path = QPainterPath(QPointF(x, start))
            path.lineTo(lane, start)
            path.lineTo(lane, add.center().y())
            self.addPath(path, residual)
            self._arrow(QPointF(lane, add.center().y()), QPointF(add.right(), add.center().y()), QColor("#b5361b"))
        self._text(lane + 6, (starts[0] + adds[0].center().y()) / 2, "residual", self._small, QColor("#b5361b"),
                   anchor=0.0)

    # ----- the picture --------------------------------------------------------------------------
    def draw(self, spec: Any, info: Any, columns: int = 2) -> None:
        """The diagram in two columns (the input, the embeddings and under them the head on the left; the repeated
        block on the right), or in one, the block under the embeddings: narrow enough to be read in presentation
        mode beside a lesson, where two columns at a legible size cut the block, the lesson's subject, in half (QA)."""
        self.clear()
        self.texts = []
        first, block, last, layout = plan(spec, info)
        self.n_layer = spec.model.n_layer
        self.box_w = self._box_width([box for box, _ in first + block + last])
        x1 = 0.0
        rects1 = self._column(x1, 0.0, first)
        out1 = rects1[-1]
        x2, top2 = (x1 + self.box_w + 110, 26.0) if columns == 2 else (x1, out1.bottom() + GAP + 44)
        rects2 = self._column(x2, top2, block)
        lane = x2 + self.box_w + 22  # the residual branches' line, "residual" written right of it inside the frame
        right = lane + 6 + QFontMetricsF(self._small).horizontalAdvance("residual") + 10
        frame = QRectF(x2 - 24, top2 - 22, right - (x2 - 24), rects2[-1].bottom() - top2 + 34)
        self.addRect(frame, QPen(QColor("#555555"), 1.5, Qt.PenStyle.DashLine), QBrush(Qt.BrushStyle.NoBrush))
        self._text(frame.x() + 4, frame.y() - 12, "Transformer block", self._bold, INK, anchor=0.0)
        self.block = frame.adjusted(0, -BLOCK_TITLE, 0, 0)  # with its title
        self._text(frame.right() + 8, frame.y() + 4, f"× {self.n_layer}", QFont(self._bold.family(), 14, QFont.Weight.Bold),
                   QColor("#b5361b"), anchor=0.0)
        self.texts.append(f"x{self.n_layer}")
        adds = [r for (box, _), r in zip(block, rects2) if box.kind == "add"]  # none without residual connections
        if adds:
            self._residuals(x2 + self.box_w / 2, lane, [rects2[0].top() - 10, adds[0].bottom() + 10], adds)
        if columns == 2:
            self._into_block_beside(x1, out1, rects2, first[-1][1], frame, last, block[-1][1])
        else:
            self._into_block_below(out1, rects2, first[-1][1], frame, last, block[-1][1])
        # the layout's parts a line each: an ablation's made one line wider than the diagram, which then scrolled
        parts = layout.split("; ")
        notes = [f"{part};" for part in parts[:-1]] + parts[-1:]
        self._header([(f"{FAMILY_TITLES[spec.model.family]} — {spec.name}", self._bold, INK),
                      ("B = batch size, T = tokens, C = n_embd; shapes are written between the blocks", self._small,
                       MUTED), *((note, self._small, MUTED) for note in notes)], self.itemsBoundingRect().right())
        self.setSceneRect(self.itemsBoundingRect().adjusted(-16, -16, 16, 16))

    def _header(self, lines: list[tuple[str, QFont, QColor]], width: float) -> None:
        """The title and the notes above the diagram, each wrapped to the diagram's `width` (QA: BERT's long title
        made the one-column diagram twice as wide as its boxes, so it scrolled sideways in presentation mode)."""
        drawn = [(part, font, colour) for text, font, colour in lines for part in broken_lines(text, font, width)]
        for index, (part, font, colour) in enumerate(drawn):
            self._text(0, -24 - 20 * (len(drawn) - 1 - index), part, font, colour, anchor=0.0, recorded=False)
        self.texts[:0] = [text for text, _font, _colour in lines]  # the lines whole, first, as read

    def _into_block_beside(self, x1: float, out1: QRectF, rects2: list[QRectF], shape1: str, frame: QRectF,
                           last: list[tuple[Box, str]], shape2: str) -> None:
        """Two columns: the embeddings' output runs right and up into the block; the head, under the embeddings,
        takes the block's output down, left and in from the right."""
        entry, out2 = QPointF(rects2[0].center().x(), rects2[0].top() - 10), rects2[-1]
        self.addLine(entry.x(), entry.y(), entry.x(), rects2[0].top(), QPen(FRAME, 1.4))
        bend = QPainterPath(QPointF(out1.right(), out1.center().y()))
        bend.lineTo(x1 + self.box_w + 55, out1.center().y())
        bend.lineTo(x1 + self.box_w + 55, entry.y())
        self.addPath(bend, QPen(FRAME, 1.4))
        self._arrow(QPointF(x1 + self.box_w + 55, entry.y()), entry)
        self._text(x1 + self.box_w / 2, out1.bottom() + 14, shape1, self._small, MUTED)
        rects3 = self._column(x1, out1.bottom() + 60, last)
        into, back = rects3[0].center().y(), x1 + self.box_w + 30
        bend = QPainterPath(QPointF(out2.center().x(), out2.bottom()))
        bend.lineTo(out2.center().x(), frame.bottom() + 30)
        bend.lineTo(back, frame.bottom() + 30)
        bend.lineTo(back, into)
        self.addPath(bend, QPen(FRAME, 1.4))
        self._arrow(QPointF(back, into), QPointF(rects3[0].right(), into))
        self._text(out2.center().x() + 8, frame.bottom() + 44, f"after {self.n_layer} blocks: {shape2}",
                   self._small, MUTED, anchor=0.0)

    def _into_block_below(self, out1: QRectF, rects2: list[QRectF], shape1: str, frame: QRectF,
                          last: list[tuple[Box, str]], shape2: str) -> None:
        """One column: the embeddings' output runs down into the block, the block's down into the head; each
        shape written right of its arrow, as between the boxes."""
        x, out2 = out1.center().x(), rects2[-1]
        self._arrow(QPointF(x, out1.bottom()), QPointF(x, rects2[0].top()))
        self._text(x + 8, out1.bottom() + GAP / 2, shape1, self._small, MUTED, anchor=0.0)
        rects3 = self._column(out1.left(), frame.bottom() + 50, last)
        self._arrow(QPointF(x, out2.bottom()), QPointF(x, rects3[0].top()))
        self._text(x + 8, frame.bottom() + 25, f"after {self.n_layer} blocks: {shape2}", self._small, MUTED,
                   anchor=0.0)


class ArchitectureView(QWidget):
    """The tab: the diagram (fitted to the window or at full size) and an export button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("architectureView")
        self.scene = ArchitectureScene(self)
        self.view = QGraphicsView(self.scene, self)
        self.view.setObjectName("architectureDiagram")
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.view.setToolTip(ARCHITECTURE)
        paper_view(self.view)
        self.caption, self.fitCheck, self.exportButton = figure_bar(
            self, self.view, FIT_TEXT, self._fit, self._on_export, INSIDE["export"])
        self.exportButton.setObjectName("architectureExport")
        QWidget.setTabOrder(self.exportButton, self.view)  # the bar above the diagram, then the diagram
        self.caption.setObjectName("architectureCaption")
        self.caption.setToolTip(ARCHITECTURE)
        self.spec: Any = None
        self._info: Any = None
        self._columns, self._wide = 2, 0.0  # the diagram's columns, and its width in two
        self._at_block = False  # scrolled to the block, not the diagram's title (`show_block`)
        # the user's own scrolling wins over a step's block as the view is laid out again (review)
        self.view.verticalScrollBar().actionTriggered.connect(self._forget_block)

    def set_spec(self, spec: Any, info: Any = None) -> None:
        self.spec, self._info = spec, info
        self.scene.draw(spec, info)
        self._columns, self._wide = 2, self.scene.sceneRect().width()
        m = spec.model
        self.caption.setText(f"{m.n_layer} × block · {counted(m.n_head, 'head')} · C = {m.n_embd} · d_ff = {m.d_ff} · "
                             f"T = {m.seq_len} · B = {spec.train.batch_size}")
        self._fit()
        self._from_title()  # a tall diagram

    def _fit(self) -> None:
        """Fitted to the window or full size, but never so small that the boxes' titles read smaller than the
        window's text (which grows in presentation mode): a small window scrolls instead."""
        legible = self.font().pointSizeF() / self.scene.title_font.pointSizeF()
        self._arrange(legible if self.fitCheck.isChecked() else max(1.0, legible))
        rect, view = self.scene.sceneRect(), self.view.viewport()
        scale = max(1.0, legible)
        text = FIT_TEXT
        if self.fitCheck.isChecked() and not rect.isEmpty():
            fitted = min(view.width() / rect.width(), view.height() / rect.height())
            scale = max(legible, fitted)  # (a tall one scrolls down)
            text = FIT_CRAMPED if view.width() / rect.width() < legible else \
                self._too_tall() if view.height() / rect.height() < legible else FIT_TEXT
        self.fitCheck.setText(text)
        if not math.isclose(self.view.transform().m11(), scale):
            self.view.setTransform(QTransform.fromScale(scale, scale))
            self._from_title()  # scaled about the view's centre, a diagram that had fitted showed its middle (QA, F5)
        elif self._at_block:
            self._from_title()  # a lesson step's block, kept in view as the view's height changes

    def _too_tall(self) -> str:
        """What the fit check says of a diagram that scrolls down: F8 (the window's Loss Curves) makes room, unless the
        curves are hidden already (review)."""
        curves = self.window().findChild(QAction, "lossPlotAction")
        return FIT_SCROLL if curves is not None and not curves.isChecked() else FIT_SHORT

    def _arrange(self, scale: float) -> None:
        """Two columns where they fit the view at `scale`, else one, the block under the embeddings (presentation
        mode beside a lesson cut the two-column block in half, QA)."""
        columns = 2 if self._wide * scale <= self.view.viewport().width() else 1
        if self.spec is not None and columns != self._columns:
            self._columns = columns
            self.scene.draw(self.spec, self._info, columns)
            self._from_title()

    def show_block(self, shown: bool) -> None:
        """Scroll the Transformer block into view where the diagram is taller than the view (from its title, as much
        as fits), now and as it is laid out again, or (False) the diagram's title (lesson 19.4's first step spoke of
        the encoder block at 130 %, the one-column diagram showing the input's boxes only)."""
        self._at_block = shown
        self._from_title()

    def _forget_block(self, _action: int) -> None:
        self._at_block = False

    def _from_title(self) -> None:
        """The diagram from its top-left corner, its title, or from the block's (`show_block`). No margin: in a hidden
        tab's few pixels a margin cannot fit, and Qt scrolled to the middle instead, where the view stayed once shown
        (the README's picture had its title cut)."""
        self.view.ensureVisible(QRectF(self.scene.sceneRect().topLeft(), QSizeF(1, 1)), 0, 0)
        if self._at_block:  # the block's top, then as much of it as fits below
            room = self.view.viewport().height() / self.view.transform().m22() - 1
            block = self.scene.block
            self.view.ensureVisible(QRectF(block.x(), block.y(), 1, max(1.0, min(room, block.height()))), 0, 0)

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().showEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presentation mode: the legible size grows
            self._fit()

    def export(self, path: str | Path) -> Path:
        target = Path(path)
        rect = self.scene.sceneRect()
        size = rect.size().toSize()

        def paint(painter: QPainter) -> None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self.scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)

        if target.suffix.lower() == ".svg":
            return paint_svg(target, size, paint, "Transformer architecture")
        return paint_png(target, size, paint)

    def _on_export(self) -> None:
        export_asked(self, "Export the architecture", "architecture", True, self.export)
