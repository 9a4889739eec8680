"""Attention heatmaps: one per layer (rows) and head (columns) for the probe input, plus a large view.

Input is an AttentionSnapshot (weights (layers, heads, T, T), token labels), the same shape bertviz's
`model_view` takes. Row = query token, column = key token; one colour scale 0..1 for every heatmap.
Items are created once per grid shape and then only get `setImage`.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from playground.ui.plotting import heatmap_plot  # also applies row-major images, white background
from playground.training.events import AttentionSnapshot
from playground.ui.tooltips import TIPS
from playground.viz.canvas import show_token
from playground.viz.colors import VIRIDIS_16, hex_rgb, lookup_table

CMAP = pg.ColorMap(np.linspace(0.0, 1.0, len(VIRIDIS_16)), [hex_rgb(c) for c in VIRIDIS_16])  # the colour bars'
LEVELS = (0.0, 1.0)
# A snapshot's heatmaps get their colours in one numpy lookup: handed floats, pyqtgraph would rescale each image
# and build a Qt colour table for it in Python at every paint.
LUT = lookup_table("viridis")
SELECTED_PEN = pg.mkPen("#ff7f0e", width=3)
TILE_PEN = pg.mkPen("#bbbbbb", width=1)
TICK_SPACING_PX = 15  # at least this many pixels between two token labels on the large view


def weight_colours(weights: np.ndarray) -> np.ndarray:
    """Attention weights in [0, 1], any shape -> (..., 4) uint8 RGBA on the viridis scale."""
    index = np.rint(np.clip(np.nan_to_num(weights), *LEVELS) * (len(LUT) - 1)).astype(np.uint8)
    return LUT[index]


def _ticks(labels: list[str], limit: int) -> list[list[tuple[float, str]]]:
    every = max(1, math.ceil(len(labels) / limit))
    return [[(i + 0.5, show_token(t)) for i, t in enumerate(labels) if i % every == 0]]


class AttentionGrid(pg.GraphicsLayoutWidget):
    """The small multiples: layers down, heads across, one shared colour bar."""

    sigHeadClicked = Signal(int, int)
    sigHover = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attentionGrid")
        self.setToolTip(TIPS["attention"])
        self.setBackground("w")
        self.ci.layout.setSpacing(4)
        self.views: list[list[pg.ViewBox]] = []
        self.images: list[list[pg.ImageItem]] = []
        self.colorBar: pg.ColorBarItem | None = None
        self.selected = (0, 0)
        self.snapshot: AttentionSnapshot | None = None
        self._shape: tuple[int, int, int] | None = None
        self.placeholder = self._add_placeholder()
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)

    def _add_placeholder(self) -> pg.LabelItem:
        # Two lines: a scene label never wraps, and one line was cut off in the Head roles tab's narrow pane.
        return self.addLabel("Press Play (Space) or Step (→)<br>to see the attention of each head.",
                             color="#555", size="11pt")

    def set_snapshot(self, snap: AttentionSnapshot) -> None:
        layers, heads, T, _ = snap.weights.shape
        if self._shape != (layers, heads, T):
            self._build(layers, heads, T)
        self.snapshot = snap
        colours = weight_colours(snap.weights)  # (layers, heads, T, T, 4)
        for l in range(layers):
            for h in range(heads):
                self.images[l][h].setImage(colours[l, h], autoLevels=False)

    def clear_grid(self) -> None:
        self.clear()
        self.views, self.images, self.colorBar, self._shape, self.snapshot = [], [], None, None, None
        self.placeholder = self._add_placeholder()

    def select(self, layer: int, head: int) -> None:
        if not self.views:
            self.selected = (layer, head)
            return
        old_l, old_h = self.selected
        if old_l < len(self.views) and old_h < len(self.views[old_l]):
            self.views[old_l][old_h].setBorder(TILE_PEN)
        layer = min(layer, len(self.views) - 1)
        head = min(head, len(self.views[0]) - 1)
        self.selected = (layer, head)
        self.views[layer][head].setBorder(SELECTED_PEN)

    # ----- building -----------------------------------------------------------------------------
    def _build(self, layers: int, heads: int, T: int) -> None:
        self.clear()
        self.placeholder = None
        self.views, self.images = [], []
        short = heads > 8  # a 12-head BERT layer must fit the panel's width: "h12" instead of "head 12"
        for h in range(heads):
            self.addLabel(f"h{h + 1}" if short else f"head {h + 1}", row=0, col=h + 1, color="#333", size="9pt")
        for l in range(layers):
            self.addLabel(f"layer {l + 1}", row=l + 1, col=0, angle=-90, color="#333", size="9pt")
            row_views, row_images = [], []
            for h in range(heads):
                vb = self.addViewBox(row=l + 1, col=h + 1, lockAspect=True, enableMouse=False, enableMenu=False,
                                     invertY=True, border=TILE_PEN)
                vb.setMinimumSize(8, 8)  # tiles shrink with the panel rather than clip the last heads
                img = pg.ImageItem(weight_colours(np.zeros((T, T))), autoLevels=False)
                vb.addItem(img)
                vb.setRange(xRange=(0, T), yRange=(0, T), padding=0)
                row_views.append(vb)
                row_images.append(img)
            self.views.append(row_views)
            self.images.append(row_images)
        self.colorBar = pg.ColorBarItem(values=LEVELS, colorMap=CMAP, interactive=False, width=14,
                                        label="attention weight")  # a legend only: the tiles come coloured
        self.addItem(self.colorBar, row=1, col=heads + 1, rowspan=max(1, layers))
        self._shape = (layers, heads, T)
        self.select(*self.selected)

    # ----- interaction --------------------------------------------------------------------------
    def _hit(self, pos: QPointF) -> tuple[int, int, int, int] | None:
        """(layer, head, query, key) under a scene position."""
        if self._shape is None:
            return None
        T = self._shape[2]
        for l, row in enumerate(self.views):
            for h, vb in enumerate(row):
                if vb.sceneBoundingRect().contains(pos):
                    p = vb.mapSceneToView(pos)
                    q, k = int(p.y()), int(p.x())
                    if 0 <= q < T and 0 <= k < T:
                        return l, h, q, k
                    return l, h, -1, -1
        return None

    def describe(self, l: int, h: int, q: int, k: int) -> str:
        snap = self.snapshot
        if snap is None or q < 0:
            return f"layer {l + 1} · head {h + 1}"
        labels = snap.labels
        qt = show_token(labels[q]) if q < len(labels) else str(q)
        kt = show_token(labels[k]) if k < len(labels) else str(k)
        w = float(snap.weights[l, h, q, k])
        return f"layer {l + 1} · head {h + 1} · query '{qt}' (#{q}) → key '{kt}' (#{k}): weight {w:.3f}"

    def _on_move(self, pos: QPointF) -> None:
        hit = self._hit(pos)
        if hit is not None:
            self.sigHover.emit(self.describe(*hit))

    def _on_click(self, event) -> None:  # noqa: ANN001 - pyqtgraph's MouseClickEvent
        hit = self._hit(event.scenePos())
        if hit is not None:
            self.select(hit[0], hit[1])
            self.sigHeadClicked.emit(hit[0], hit[1])


class HeadDetail(QWidget):
    """One head, large, with the tokens on both axes; and for the ViT the probe image with its patches."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attentionDetail")
        self.setToolTip(TIPS["attention_detail"])
        self.snapshot: AttentionSnapshot | None = None
        self.layer = self.head = 0

        self.probe = pg.GraphicsLayoutWidget(self)
        self.probe.setObjectName("probeImage")
        self.probe.setBackground("w")
        self.probe_vb = self.probe.addViewBox(lockAspect=True, enableMouse=False, enableMenu=False, invertY=True)
        self.probe_img = pg.ImageItem(axisOrder="row-major")
        self.probe_vb.addItem(self.probe_img)
        self.probe_grid = pg.PlotCurveItem(pen=pg.mkPen("#ff7f0e", width=1), connect="pairs")
        self.probe_vb.addItem(self.probe_grid)
        self.probe.setMinimumHeight(140)
        self.probe.setVisible(False)

        self.plot = heatmap_plot(self, "headPlot", "query (looking)", "key (looked at)", lock_aspect=True)
        self.plot.setBackground("w")
        item = self.plot.getPlotItem()
        self.image = pg.ImageItem(autoLevels=False)
        item.addItem(self.image)
        self.bar = pg.ColorBarItem(values=LEVELS, colorMap=CMAP, interactive=False, width=12)
        self.bar.setImageItem([], insert_in=item)  # placed beside the plot, linked to no image (see LUT)
        self._ticked: tuple | None = None  # what the axes' token labels were made from

        # Plain text, set for every snapshot while training: rich text was laid out again each time (a
        # QTextDocument per label), 3 ms of a 15 ms paint gap in the window for the title and the prediction.
        self.title = QLabel("Click a head on the left to see it here.", self)
        self.title.setObjectName("headTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        self.readout = QLabel(" ", self)
        self.readout.setObjectName("headReadout")
        self.readout.setWordWrap(True)
        self.prediction = QLabel("", self)
        self.prediction.setObjectName("predictionLabel")
        self.prediction.setTextFormat(Qt.TextFormat.PlainText)
        self.prediction.setWordWrap(True)
        self.prediction.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.probe, 2)
        layout.addWidget(self.plot, 5)
        layout.addWidget(self.readout)
        layout.addWidget(self.prediction)
        self.plot.setVisible(False)
        self.plot.scene().sigMouseMoved.connect(self._on_move)

    def show_head(self, snap: AttentionSnapshot | None, layer: int, head: int) -> None:
        self.snapshot, self.layer, self.head = snap, layer, head
        if snap is None:
            return
        layers, heads, T, _ = snap.weights.shape
        layer, head = min(layer, layers - 1), min(head, heads - 1)
        self.plot.setVisible(True)
        self.image.setImage(weight_colours(snap.weights[layer, head]), autoLevels=False)
        item = self.plot.getPlotItem()
        self._label_axes()
        item.setRange(xRange=(0, T), yRange=(0, T), padding=0.01)
        self.title.setText(f"Layer {layer + 1}, head {head + 1} at step {snap.step:,} ({T} tokens; each row sums to 1)")
        self._show_probe(snap)
        if snap.prediction:
            if snap.image is not None or len(snap.prediction) != T:
                # Whitespace runs as one space, as when this label was rich text: a decoded text's
                # newlines would otherwise change the label's height, and relayout the pane, between snapshots.
                self.prediction.setText(f"Prediction: {' '.join(snap.prediction.split())}")
            else:
                # A break chance between any two tokens: unbroken, 64 tokens were one word ~460 px wide, which
                # pinned the pane at that width and moved the splitter when the glyphs' widths changed.
                guesses = "\u200b".join(show_token(snap.prediction))
                self.prediction.setText(f"Model's output at each position: {guesses}")

    def _label_axes(self) -> None:
        """Token labels on both axes, thinned out so they never overlap."""
        if self.snapshot is None:
            return
        side = min(self.plot.width(), self.plot.height()) - 60
        labels = self.snapshot.labels
        if self._ticked == (labels, side):  # the probe input rarely changes: new ticks would redraw both axes
            return
        self._ticked = (labels, side)
        widest = max((self.fontMetrics().horizontalAdvance(show_token(t)) for t in labels), default=8)
        item = self.plot.getPlotItem()
        item.getAxis("left").setTicks(_ticks(labels, max(4, side // TICK_SPACING_PX)))
        item.getAxis("bottom").setTicks(_ticks(labels, max(2, side // max(TICK_SPACING_PX, widest + 6))))

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)
        self._label_axes()

    def _show_probe(self, snap: AttentionSnapshot) -> None:
        if snap.image is None:
            self.probe.setVisible(False)
            return
        self.probe.setVisible(True)
        img = np.asarray(snap.image, dtype=np.float32)
        self.probe_img.setImage(img, autoLevels=False, levels=(0.0, 1.0))
        side = img.shape[0]
        n_patches = max(1, snap.weights.shape[-1] - 1)  # CLS + patches
        per_row = max(1, int(round(math.sqrt(n_patches))))
        patch = side / per_row
        width = img.shape[1]
        xs, ys = [], []
        for i in range(1, per_row):  # patch borders, as line segments inside the image
            xs += [i * patch, i * patch, 0, width]
            ys += [0, side, i * patch, i * patch]
        self.probe_grid.setData(np.array(xs, dtype=float), np.array(ys, dtype=float))
        self.probe_vb.setRange(xRange=(0, img.shape[1]), yRange=(0, side), padding=0.02)

    def _on_move(self, pos: QPointF) -> None:
        snap = self.snapshot
        if snap is None:
            return
        p = self.plot.getPlotItem().vb.mapSceneToView(pos)
        q, k = int(math.floor(p.y())), int(math.floor(p.x()))
        T = snap.weights.shape[-1]
        if 0 <= q < T and 0 <= k < T:
            layer = min(self.layer, snap.weights.shape[0] - 1)
            head = min(self.head, snap.weights.shape[1] - 1)
            w = float(snap.weights[layer, head, q, k])
            self.readout.setText(f"query '{show_token(snap.labels[q])}' (#{q}) → key "
                                 f"'{show_token(snap.labels[k])}' (#{k}): weight {w:.3f}")


class AttentionPanel(QWidget):
    """The Attention tab: the grid on the left, the selected head large on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attentionPanel")
        self.grid = AttentionGrid(self)
        self.detail = HeadDetail(self)
        self.hover = QLabel("Hover a heatmap to read a weight; click a head to enlarge it.", self)
        self.hover.setObjectName("attentionReadout")
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.grid, 1)
        left_layout.addWidget(self.hover)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("attentionSplitter")
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([560, 380])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.grid.sigHover.connect(self.hover.setText)
        self.grid.sigHeadClicked.connect(self._on_head)

    def set_snapshot(self, snap: AttentionSnapshot) -> None:
        self.grid.set_snapshot(snap)
        layer, head = self.grid.selected
        self.detail.show_head(snap, layer, head)

    def clear(self) -> None:
        self.grid.clear_grid()
        self.detail.snapshot = None
        self.detail.image.clear()
        self.detail.plot.setVisible(False)
        self.detail.probe.setVisible(False)
        self.detail.title.setText("Click a head on the left to see it here.")
        self.detail.prediction.setText("")

    def _on_head(self, layer: int, head: int) -> None:
        self.detail.show_head(self.grid.snapshot, layer, head)
