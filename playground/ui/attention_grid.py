"""Attention heatmaps: one per layer (rows) and head (columns) for the probe input, plus a large view.

Input is an AttentionSnapshot (weights (layers, heads, T, T), token labels), the same shape bertviz's
`model_view` takes. Row = query token, column = key token; one colour scale 0..1 for every heatmap.
Items are created once per grid shape and then only get `setImage`.
"""

from __future__ import annotations

import math
import re
from typing import ClassVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFontMetricsF, QKeyEvent, QResizeEvent, QTextLayout, QTextOption
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from playground.training.events import AttentionSnapshot
from playground.ui.attention_tips import COPIED_INPUT, COPIED_WHY, copies_input
from playground.ui.focus_ring import plain_key

# (plotting also applies row-major images and the background of the look)
from playground.ui.plotting import (
    broken_html,
    follow_font,
    heatmap_plot,
    hold_tooltip_over_data,
    no_tab_stop,
    point_size,
    sized_font,
    style_axes,
)
from playground.ui.tooltips import TIPS
from playground.viz.canvas import show_token
from playground.viz.colors import VIRIDIS_16, hex_rgb, lookup_table

CMAP = pg.ColorMap(np.linspace(0.0, 1.0, len(VIRIDIS_16)), [hex_rgb(c) for c in VIRIDIS_16])  # the colour bars'
LEVELS = (0.0, 1.0)
# A snapshot's heatmaps get their colours in one numpy lookup: handed floats, pyqtgraph would rescale each image
# and build a Qt colour table for it in Python at every paint.
LUT = lookup_table("viridis")
SELECTED_PEN = pg.mkPen("#ff7f0e", width=3)
CELL_PEN = pg.mkPen("#ff7f0e", width=3)  # the enlarged head's cell that the arrow keys read
TILE_PEN = pg.mkPen("#bbbbbb", width=1)
UNBOUNDED = 16_777_215.0  # Qt's QWIDGETSIZE_MAX: a size with no maximum
# The read cell's patches on the ViT's probe image: the patch that looks (the heatmap's row) and the one it looks at
# (the column), in colours apart from the patch borders' orange and from a grey image.
QUERY_PATCH_PEN = pg.mkPen("#00e5ff", width=2)
KEY_PATCH_PEN = pg.mkPen("#ffd400", width=2, style=Qt.PenStyle.DashLine)
# A classifier's prediction, "first noun (50%)": bert-pronoun's was 16 characters over 16 tokens, and was shown as
# the output at each position, "first␣noun␣(50%)".
CLASS_PREDICTION = re.compile(r".+ \(\d+%\)")
ELIDED_LINES = 2  # the enlarged head's prediction line wraps to this many lines, then ends in "…"
TICK_GAP_PX = 6  # at least this many pixels between two token labels on the large view
# A colour bar's scale: the densest of these whose labels stay BAR_LABEL_GAP lines apart.
BAR_TICKS = ((0.0, 0.2, 0.4, 0.6, 0.8, 1.0), (0.0, 0.5, 1.0), (0.0, 1.0))
BAR_LABEL_GAP = 1.2
# The enlarged head's axis titles, longest first: the longest its side holds, or none (QA at 175 %: "uery (look").
# fullest to shortest; "token" where it fits: a digit task's labels "0 2 4 6 8 0" read as positions (keyboard QA)
AXIS_TITLES = {"left": ("query token (looking)", "query token", "query"),
               "bottom": ("key token (looked at)", "key token", "key")}
PROBE_MIN_PX = 80  # the ViT's probe image, at the least: an 8x8 digit and its marked patches from the back of a room
PROBE_LINES = 3  # otherwise as tall as this many of the title's lines, which wraps beside it
MIN_TILE_PX = 28  # a heatmap tile never shrinks below this: past it the grid scrolls (a 12-layer BERT at 720 px)
MIN_TILE_WIDTH_PX = 12  # ... but narrower, to this, where its heads would make it scroll sideways
HOVER_HINT = "Hover a heatmap to read a weight; click a head to enlarge it."
BAR_TITLE = "attention weight"
PLACEHOLDER = "Press Play (Space) or Step (→) to see the attention of each head."  # the empty grid's words


def weight_colours(weights: np.ndarray) -> np.ndarray:
    """Attention weights in [0, 1], any shape -> (..., 4) uint8 RGBA on the viridis scale."""
    index = np.rint(np.clip(np.nan_to_num(weights), *LEVELS) * (len(LUT) - 1)).astype(np.uint8)
    return LUT[index]


def label_every(shown: float, pixels: float, room: float) -> int:
    """Label every k-th token so that the labels of `shown` tokens, `pixels` along the axis on screen, each needing
    `room` along it (a column label's width and a gap, a row label's line), never overlap."""
    per_token = pixels / max(1.0, shown)
    return max(1, math.ceil(room / max(per_token, 1e-6)))


def axis_spacing(shown: float, width: float, height: float, widest: float, line: float) -> tuple[int, int]:
    """(rows' k, columns' k): a row label needs a line of height, a column label its width, so the rows can name
    every token where the columns name every 4th (QA: BERT's enlarged head named 4 of its 16 rows, "animal" and
    "street" among the unnamed). Columns name a multiple of the rows' k, so every named column names a row too."""
    rows = label_every(shown, height, line)  # lines of text sit one under another without a gap
    columns = label_every(shown, width, widest + TICK_GAP_PX)
    return rows, rows * math.ceil(columns / rows)


def token_ticks(labels: list[str], every: int) -> list[list[tuple[float, str]]]:
    """Tick labels at every `every`-th token's centre, and a shorter unlabelled tick at each other token's (pyqtgraph's
    setTicks format): a thinned axis's "4 3 3 7 7" read as the input itself (QA: it was "4 9 3 0 3 9 7 3 7 3")."""
    named = [(i + 0.5, show_token(t)) for i, t in enumerate(labels) if i % every == 0]
    return [named, [(i + 0.5, "") for i in range(len(labels)) if i % every]] if every > 1 else [named]


def axis_titles(side: str, every: int) -> tuple[str, ...]:
    """The axis's titles, fullest first, saying where only every `every`-th token is named."""
    full, short, shortest = AXIS_TITLES[side]
    if every == 1:
        return full, short, shortest
    suffix = "th" if every % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(every % 10, "th")
    nth = f"{every}{suffix}"
    return (f"{full}, every {nth} named", f"{short}, every {nth} named", f"{short}, every {nth}",
            f"{shortest}, every {nth}", short, shortest)


class ElidedLabel(QLabel):
    """Plain text on at most ELIDED_LINES lines, broken anywhere (an output of 64 positions is one word), the last
    ending in "…" when there is more, never clipped; the whole text is its tooltip. (One line showed "Model's output
    at each …" at 175 %, QA; unbounded, an output of 64 positions took three lines from the plot.)"""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str, why: str = "") -> None:
        """Show `text`; the tooltip has it whole, and `why` under it."""
        self.full = text
        self.setToolTip(f"{text}\n\n{why}" if why else text)
        self._elide()

    def _elide(self) -> None:
        width = max(10, self.contentsRect().width())
        layout = QTextLayout(self.full, self.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        starts = []
        layout.beginLayout()
        while (line := layout.createLine()).isValid():
            line.setLineWidth(width)
            starts.append(line.textStart())
        layout.endLayout()
        kept = [self.full[a:b].rstrip() for a, b in zip(starts, starts[1:])][:ELIDED_LINES - 1]
        rest = self.full[starts[len(kept)]:] if len(starts) > len(kept) else ""
        self.setText("\n".join([*kept, self.fontMetrics().elidedText(rest, Qt.TextElideMode.ElideRight, width)]))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(10, super().minimumSizeHint().height())  # it elides: its text never sets the pane's width

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._elide()


def cell_words(snap: AttentionSnapshot, layer: int, head: int, q: int, k: int) -> str:
    """"query 'a' (#3) → key 'b' (#1): weight 0.102"; a later key a causal snapshot's mask hides says so (QA: "weight
    0.000" read as a weight the model had learned)."""
    labels = snap.labels
    qt = show_token(labels[q]) if q < len(labels) else str(q)
    kt = show_token(labels[k]) if k < len(labels) else str(k)
    w = float(snap.weights[layer, head, q, k])
    hidden = snap.causal and k > q
    return f"query '{qt}' (#{q}) → key '{kt}' (#{k}): " + ("hidden by the causal mask (a later token)" if hidden else
                                                            f"weight {w:.3f}")


def _head_label(head: int, heads: int, short: int = 0) -> str:
    """"head N", or shorter (`short` 1: "hN", 2: "N", 3: every other "N"; the hover's readout names the head): a
    12-head BERT layer must fit the width (at 130 % twelve "hN" were 28 px each, and the grid scrolled sideways, its
    colour bar's scale cut off)."""
    if short >= 2:
        return "" if short == 3 and head % 2 else str(head + 1)
    return f"h{head + 1}" if short or heads > 8 else f"head {head + 1}"


def _layer_label(layer: int, layers: int, short: int = 0) -> str:
    # Turned on its side, "layer 12" is taller than a tile of a 12-layer grid at 720 px: "L12" is not. (Shorter
    # still, none: a grid too tall for its pane scrolls down, which hides no scale.)
    return f"L{layer + 1}" if short or layers > 4 else f"layer {layer + 1}"


class AttentionGrid(pg.GraphicsLayoutWidget):
    """The small multiples: layers down, heads across, one shared colour bar."""

    sigHeadChosen = Signal(int, int)  # clicked, or reached with the arrow keys
    sigHover = Signal(str)
    # (layers, heads) each arrow moves the chosen head by
    ARROWS: ClassVar[dict[Qt.Key, tuple[int, int]]] = {
        Qt.Key.Key_Left: (0, -1), Qt.Key.Key_Right: (0, 1), Qt.Key.Key_Up: (-1, 0), Qt.Key.Key_Down: (1, 0)}

    def __init__(self, parent: QWidget | None = None, min_tile: int = 8, scrolled: bool = False) -> None:
        """`min_tile`: the smallest a tile gets, in pixels. `scrolled`: the grid sits in a scroll area, so it keeps
        the size its layout needs (and the scroll area shows the rest); otherwise it shrinks with its pane."""
        super().__init__(parent)
        self.setObjectName("attentionGrid")
        self.min_tile = min_tile
        self.scrolled = scrolled
        self.setToolTip(TIPS["attention"])
        self.ci.layout.setSpacing(4)
        self.views: list[list[pg.ViewBox]] = []
        self.images: list[list[pg.ImageItem]] = []
        self.headTitles: list[pg.LabelItem] = []
        self.layerTitles: list[pg.LabelItem] = []
        self.colorBar: pg.ColorBarItem | None = None
        self.selected = (0, 0)
        self.snapshot: AttentionSnapshot | None = None
        self._shape: tuple[int, int, int] | None = None
        self.placeholder = self._add_placeholder()
        self.is_closed = False  # close() empties the scene (pyqtgraph's GraphicsView.close): no rebuilding after it
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)
        follow_font(self, self._follow_font)

    def close(self) -> bool:
        self.is_closed = True
        return super().close()

    def _add_placeholder(self) -> pg.LabelItem:
        return self.addLabel(self._placeholder_text(), color=pg.getConfigOption("foreground"),
                             size=f"{point_size(1.2):.1f}pt")

    def _placeholder_text(self) -> str:
        """PLACEHOLDER in lines as wide as the grid: a scene label never wraps, and one line was cut off in the Head
        roles tab's narrow pane (two lines, at 175 %, in the Attention tab's)."""
        left, _, right, _ = self.ci.layout.getContentsMargins()  # and the label's own margins: a character a side
        width = self.width() - left - right - 2 * self.frameWidth() - 4 * self.fontMetrics().averageCharWidth()
        return broken_html(PLACEHOLDER, sized_font(1.2), width)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        if getattr(self, "is_closed", False):  # close() cleared the scene (unset while being built)
            return
        if getattr(self, "placeholder", None) is not None:  # (None once a model's heads are shown; unset while built)
            self.placeholder.setText(self._placeholder_text())  # first: the layout then takes the new text's width
        super().resizeEvent(event)
        self._square_tiles()
        self._title_colour_bar()

    def _square_tiles(self) -> None:
        """Each tile no taller than it is wide, nor wider than tall: a layer's 8 heads filled the pane's height as tall
        strips of a square matrix (QA); the room left over stays beside or below the grid. (Tiles narrowed below their
        minimum height to fit a scroll area's width keep that height.)"""
        if not getattr(self, "views", None):  # (unset while being built)
            return
        layout = self.ci.layout
        rows, columns = range(1, len(self.views) + 1), range(1, len(self.views[0]) + 1)
        for row in rows:
            layout.setRowMaximumHeight(row, UNBOUNDED)
        for column in columns:
            layout.setColumnMaximumWidth(column, UNBOUNDED)
        layout.activate()
        tile = self.views[0][0].geometry().size()
        side = min(tile.width(), tile.height())
        if side <= 0:  # not laid out yet: measured at the next resize
            return
        for row in rows:
            layout.setRowMaximumHeight(row, side)
        for column in columns:
            layout.setColumnMaximumWidth(column, side)
        layout.activate()

    def _title_colour_bar(self) -> None:
        """The colour bar's title only where the bar is as tall as it is long: on a short grid (two layers at 130 %
        in the Head roles tab) it was cut to "ention weight"; a short bar's scale names its ends only."""
        bar = getattr(self, "colorBar", None)
        if bar is not None:
            font = QFontMetricsF(sized_font())
            height = bar.geometry().height()
            bar.axis.showLabel(height >= font.horizontalAdvance(BAR_TITLE) + 8)
            fit_bar_ticks(bar, height, font)  # (six labels ran together on a bar as short as one row of tiles)

    def _follow_font(self) -> None:
        """Labels and the colour bar's scale in the application font: the grid is rebuilt at the new size."""
        if self.is_closed:  # close() cleared the scene: nothing to rebuild (a font change after a close)
            return
        if self._shape is None:
            self.clear_grid()
            return
        snap = self.snapshot
        self._build(*self._shape)
        if snap is not None:
            self.set_snapshot(snap)

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
        self.views, self.images, self.headTitles, self.layerTitles = [], [], [], []
        self.colorBar, self._shape, self.snapshot = None, None, None
        self.placeholder = self._add_placeholder()
        self.setMinimumSize(0, 0)

    def fit_minimum(self) -> None:
        """The widget is at least as large as its layout's minimum (tiles of `min_tile` pixels, their labels,
        the colour bar): a scroll area around the grid then shows the rest, and no last row is cut. Where the
        "head N" (or "layer N") titles would make it wider (taller) than its scroll area, they read "hN" ("LN"): at
        175 % on a 1280x720 screen a 4x4 grid scrolled both ways and its colour bar was out of view. Still too wide,
        the head titles get shorter again and the tiles narrower (to MIN_TILE_WIDTH_PX) before it scrolls sideways."""
        if not self.headTitles or self.is_closed:
            return
        view = self.parentWidget()  # the scroll area's viewport
        room = (view.width(), view.height()) if view is not None else (math.inf, math.inf)
        for axis, (titles, label) in enumerate(((self.headTitles, _head_label), (self.layerTitles, _layer_label))):
            for short in (0, 1, 2, 3) if axis == 0 else (0, 1):
                for i, title in enumerate(titles):
                    if title.text != label(i, len(titles), short):
                        title.setText(label(i, len(titles), short))
                needed = self._needed()
                if needed[axis] <= room[axis]:
                    break
        tile = self.min_tile
        while needed[0] > room[0] and tile > MIN_TILE_WIDTH_PX:  # narrower tiles before a sideways scroll, which
            tile = max(MIN_TILE_WIDTH_PX, tile - 4)  # hid the colour bar's scale (QA: 12 heads at 130 %)
            for row in self.views:
                for vb in row:
                    vb.setMinimumWidth(tile)
            needed = self._needed()
        self.setMinimumSize(*needed)
        # the layout again at the widget's size: laid out under the long titles' minimum, it stayed that large
        self.ci.setGeometry(QRectF(0, 0, self.width(), self.height()))

    def _needed(self) -> tuple[int, int]:
        """The layout's minimum size, in the widget's pixels (its frame too)."""
        self.ci.layout.activate()
        needed = self.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize)
        frame = 2 * self.frameWidth() + 2
        return math.ceil(needed.width()) + frame, math.ceil(needed.height()) + frame

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
        self.viewport().update()  # the wide selected border reaches past its tile: left alone, a trace of it stayed

    def keeps_keys(self) -> frozenset[Qt.Key]:
        """Focused (tabbed to or clicked), the arrows choose a head (Right too, the window's step key elsewhere);
        before the first step there is none to choose, and Right trains it as the grid's own placeholder says."""
        return frozenset(self.ARROWS) if self.views else frozenset()

    # ----- building -----------------------------------------------------------------------------
    def _build(self, layers: int, heads: int, T: int) -> None:
        self.clear()
        self.placeholder = None
        self.views, self.images, self.layerTitles = [], [], []
        size = f"{point_size():.1f}pt"
        self.headTitles = [self.addLabel(_head_label(h, heads), row=0, col=h + 1, size=size,
                                         color=pg.getConfigOption("foreground")) for h in range(heads)]
        for l in range(layers):
            self.layerTitles.append(self.addLabel(_layer_label(l, layers), row=l + 1, col=0, angle=-90, size=size,
                                                  color=pg.getConfigOption("foreground")))
            row_views, row_images = [], []
            for h in range(heads):
                # The heatmap fills its tile: with a locked aspect a strip of background stood beside it in the frame.
                vb = self.addViewBox(row=l + 1, col=h + 1, lockAspect=False, enableMouse=False, enableMenu=False,
                                     invertY=True, border=TILE_PEN)
                vb.setMinimumSize(self.min_tile, self.min_tile)  # tiles shrink to this, then the grid scrolls
                img = pg.ImageItem(weight_colours(np.zeros((T, T))), autoLevels=False)
                vb.addItem(img)
                vb.setRange(xRange=(0, T), yRange=(0, T), padding=0)
                row_views.append(vb)
                row_images.append(img)
            self.views.append(row_views)
            self.images.append(row_images)
        # A legend only: the tiles come coloured.
        self.colorBar = pg.ColorBarItem(values=LEVELS, colorMap=CMAP, interactive=False, width=14)
        self.colorBar.axis.setLabel(BAR_TITLE, **{"font-size": size})
        fit_colour_scale(self.colorBar)
        self.addItem(self.colorBar, row=1, col=heads + 1, rowspan=max(1, layers))
        self._shape = (layers, heads, T)
        if self.scrolled:
            self.fit_minimum()
        self._square_tiles()
        self._title_colour_bar()
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
        return f"layer {l + 1} · head {h + 1} · {cell_words(snap, l, h, q, k)}"

    def _on_move(self, pos: QPointF) -> None:
        hit = self._hit(pos)
        if hit is not None:
            self.sigHover.emit(self.describe(*hit))

    def _on_click(self, event) -> None:  # noqa: ANN001 - pyqtgraph's MouseClickEvent
        hit = self._hit(event.scenePos())
        if hit is not None:
            self._choose(hit[0], hit[1])

    def event(self, event: QEvent) -> bool:  # Qt override
        """Focused by a click as well as by Tab, it keeps its arrows: after a click on a head, Left, Up and Down chose
        another while Right, the window's step key, trained a step (QA, lesson 19.3's "click a head")."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and plain_key(event) \
                and Qt.Key(event.key()) in self.keeps_keys():
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        move = self.ARROWS.get(Qt.Key(event.key()))
        if move is None or not self.views or not plain_key(event):
            super().keyPressEvent(event)
            return
        layer, head = self.selected
        chosen = (min(max(layer + move[0], 0), len(self.views) - 1),
                  min(max(head + move[1], 0), len(self.views[0]) - 1))
        if chosen != self.selected:  # (at an edge: nothing to redraw or tell)
            self._choose(*chosen)
            # The read-out line names the head chosen, not the cell last hovered in another (lecturer QA).
            self.sigHover.emit(f"{self.describe(*chosen, -1, -1)}: hover it to read a weight")

    def _choose(self, layer: int, head: int) -> None:
        self.select(layer, head)
        self.sigHeadChosen.emit(layer, head)

    def tile_rect(self, layer: int, head: int) -> QRect:
        """Where the tile of (`layer`, `head`) stands, in this widget's pixels (the view has no frame: its
        viewport's are the same), once laid out."""
        return self.mapFromScene(self.views[layer][head].sceneBoundingRect()).boundingRect()


class HeadDetail(QWidget):
    """One head, large, with the tokens on both axes; and for the ViT the probe image with its patches.
    The mouse wheel zooms into the heatmap (a long input's every token gets its label), a double click zooms out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attentionDetail")
        self.setToolTip(TIPS["attention_detail"] + " Each row sums to 1. The mouse wheel zooms in (every token gets "
                        "its label), a double click shows the whole matrix again. Tabbed to, the arrow keys walk "
                        "from cell to cell and read each weight.")
        self.snapshot: AttentionSnapshot | None = None
        self.layer = self.head = 0
        self._title: tuple[str, str] | None = None  # (head, token count) of the head shown, fitted to the room

        self.probe = pg.GraphicsLayoutWidget(self)
        self.probe.setObjectName("probeImage")
        self.probe.setToolTip("The probe: the first validation image, the same at every step, its patches outlined. "
                              "Point at a cell of the heatmap: the patch that looks (its row) is outlined in cyan, "
                              "the patch it looks at (its column) dashed in yellow. Your own image: Inside attention, "
                              "Image….")
        no_tab_stop(self.probe)
        self.probe.ci.setContentsMargins(0, 0, 0, 0)  # the image fills its square (pyqtgraph's margins took a quarter)
        self.probe_vb = self.probe.addViewBox(lockAspect=True, enableMouse=False, enableMenu=False, invertY=True)
        self.probe_img = pg.ImageItem(axisOrder="row-major")
        self.probe_vb.addItem(self.probe_img)
        self.probe_grid = pg.PlotCurveItem(pen=pg.mkPen("#ff7f0e", width=1), connect="pairs")
        self.probe_vb.addItem(self.probe_grid)
        self.queryPatch, self.keyPatch = QGraphicsRectItem(), QGraphicsRectItem()
        for mark, pen in ((self.queryPatch, QUERY_PATCH_PEN), (self.keyPatch, KEY_PATCH_PEN)):
            mark.setPen(pen)
            mark.setVisible(False)
            self.probe_vb.addItem(mark, ignoreBounds=True)
        self.probe.setVisible(False)

        # Filling its axes, as the grid's tiles do (a locked aspect left a strip of background inside them).
        self.plot = heatmap_plot(self, "headPlot", AXIS_TITLES["left"][0], AXIS_TITLES["bottom"][0], lock_aspect=False)
        item = self.plot.getPlotItem()
        item.setMouseEnabled(True, True)  # wheel zoom; the limits keep the view on the matrix
        self.image = pg.ImageItem(autoLevels=False)
        item.addItem(self.image)
        self.bar = pg.ColorBarItem(values=LEVELS, colorMap=CMAP, interactive=False, width=12)
        self.bar.setImageItem([], insert_in=item)  # placed beside the plot, linked to no image (see LUT)
        self._ticked: tuple | None = None  # what the axes' token labels were made from
        self._every = {"left": 1, "bottom": 1}  # each axis names every k-th token
        self._size = 0  # the number of tokens the view is framed for
        item.vb.sigRangeChanged.connect(lambda *_: self._label_axes())
        item.vb.sigResized.connect(self._on_resized)
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        # The keyboard's way to read a weight, as hovering is the mouse's: tabbed to (or clicked), the arrows walk
        # a cell outlined on the heatmap (before, the weights could be read only by pointing at them).
        self.plot.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.plot.installEventFilter(self)
        self.cell = (0, 0)  # (query, key) the arrows read
        self._keyed = False  # the read-out line is the arrows' cell's (not the pointer's)
        self._pointed: tuple[int, int] | None = None  # the cell the pointer read last
        self.cellMark = QGraphicsRectItem(0, 0, 1, 1)
        self.cellMark.setPen(CELL_PEN)
        self.cellMark.setZValue(10)
        self.cellMark.setVisible(False)
        item.addItem(self.cellMark, ignoreBounds=True)

        # Plain text, set for every snapshot while training: rich text was laid out again each time (a
        # QTextDocument per label), 3 ms of a 15 ms paint gap in the window for the title and the prediction.
        self.title = QLabel(self)
        self.title.setObjectName("headTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        self.readout = QLabel(" ", self)
        self.readout.setObjectName("headReadout")
        self.readout.setWordWrap(True)
        # One line that elides: a model's output at 64 positions wrapped to three lines and pushed the plot up.
        self.prediction = ElidedLabel(self)
        self.prediction.setObjectName("predictionLabel")

        # The probe image beside the title, not above the heatmap: at 175 % stacked they left it 40 px high.
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.title, 1)
        header.addWidget(self.probe, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.readout)
        layout.addWidget(self.prediction)
        self.plot.scene().sigMouseMoved.connect(self._on_move)
        hold_tooltip_over_data(self.plot, lambda: self.snapshot is not None)  # the read-out line says the weight
        follow_font(self, self._follow_font)
        self.clear()

    def clear(self) -> None:
        """No model: an empty state, nothing of the last one (heatmap, labels, readout, prediction)."""
        self.snapshot = None
        self.image.clear()
        self.plot.setVisible(False)
        self.probe.setVisible(False)
        self._ticked = None
        self._size = 0
        self._title = None
        self.title.setText("Click a head on the left to see it here.")
        self.readout.setText(" ")
        self.cellMark.setVisible(False)
        self._pointed = None
        self._mark_patches(None)
        self.prediction.set_full_text("")

    def _set_title(self, head: str, tokens: str) -> None:
        self._title = (head, tokens)
        self._fit_title()

    def _fit_title(self) -> None:
        """The title's head and token count on one line where they fit, else the head alone: wrapped as the step's
        digits changed, the title moved the heatmap up and down while training (QA, 130 %). Measured with the
        widest digits, so the wording changes only where the step gains a digit; again as the room or font does."""
        if self._title is None:
            return
        head, tokens = self._title
        widest = re.sub("[0-9]", "8", head + tokens)
        fits = QFontMetricsF(self.title.font()).horizontalAdvance(widest) <= self.title.contentsRect().width()
        self.title.setText(head + tokens if fits else head)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_title()

    def show_head(self, snap: AttentionSnapshot | None, layer: int, head: int) -> None:
        self.snapshot, self.layer, self.head = snap, layer, head
        if snap is None:
            return
        layers, heads, T, _ = snap.weights.shape
        layer, head = min(layer, layers - 1), min(head, heads - 1)
        self.plot.setVisible(True)
        self.image.setImage(weight_colours(snap.weights[layer, head]), autoLevels=False)
        if self._size != T:  # a new input length: show all of it (otherwise the user's zoom stays)
            self._size = T
            self._frame_all()
        self._label_axes()
        self._show_probe(snap)  # (first: it takes the title's room where it shows)
        self._set_title(f"Layer {layer + 1}, head {head + 1} · step {snap.step:,}", f" · {T} tokens")
        if self.plot.hasFocus() and self._keyed:
            self._show_cell()  # its weight in this snapshot (or another head's), or the cell of a shorter input
        elif self._pointed is not None:  # the pointer's cell, read again (or forgotten where the input is shorter)
            q, k = self._pointed
            self.readout.setText(self._weight_text(snap, q, k) if max(q, k) < T else " ")
            self._mark_patches(self._pointed if max(q, k) < T else None)
        copied = copies_input(snap)  # (tokens of several characters too: decoder-reverse's [SEP], QA)
        if not snap.prediction:
            self.prediction.set_full_text("")
        elif not copied and (snap.image is not None or len(snap.prediction) != T
                             or CLASS_PREDICTION.fullmatch(snap.prediction)):
            # An image's is the probe's (QA: beside Inside attention's own image, nothing said which was shown)
            said = "Probe image's prediction" if snap.image is not None else "Prediction"
            self.prediction.set_full_text(f"{said}: {' '.join(snap.prediction.split())}")
        else:
            # (short: "Model's output at each …" was all a lecture's 175 % showed of it, QA; the reason a copied input
            # is no answer on hover, as Inside attention says it: at 130 % "The model p…" was all of it, QA; before
            # the output, which may be what the line cuts)
            copy = f" {COPIED_INPUT}" if copied else ""
            self.prediction.set_full_text(f"Output at each position{copy}: {show_token(snap.prediction)}",
                                          COPIED_WHY if copied else "")

    def _frame_all(self) -> None:
        vb = self.plot.getPlotItem().vb
        T = self._size
        vb.setLimits(xMin=0, xMax=T, yMin=0, yMax=T, minXRange=min(T, 4), minYRange=min(T, 4))  # on the matrix
        vb.setRange(xRange=(0, T), yRange=(0, T), padding=0)

    def _on_click(self, event) -> None:  # noqa: ANN001 - pyqtgraph's MouseClickEvent
        if event.double() and self._size:
            self._frame_all()
            return
        cell = self._cell_at(event.scenePos())
        if cell is not None:  # the arrows go on from the cell clicked
            self.cell = cell
            self._show_cell()

    def _label_axes(self) -> None:
        """Token labels on both axes: every k-th token of the part on screen, as many as each axis holds."""
        if self.snapshot is None:
            return
        labels = self.snapshot.labels
        vb = self.plot.getPlotItem().vb
        (x0, x1), (y0, y1) = vb.viewRange()
        shown = max(x1 - x0, y1 - y0)
        fm = QFontMetricsF(self.plot.getPlotItem().getAxis("bottom").style["tickFont"] or self.font())
        widest = max((fm.horizontalAdvance(show_token(t)) for t in labels), default=8.0)
        rows, columns = axis_spacing(shown, vb.width(), vb.height(), widest, fm.height())
        key = (tuple(labels), rows, columns)
        if self._ticked == key:  # the probe input rarely changes: new ticks would redraw both axes
            return
        self._ticked = key
        self._every = {"left": rows, "bottom": columns}
        item = self.plot.getPlotItem()
        item.getAxis("left").setTicks(token_ticks(labels, rows))
        item.getAxis("bottom").setTicks(token_ticks(labels, columns))
        self._fit_titles()

    def _fit_scales(self) -> None:
        """The colour bar's labels and the axis titles that the heatmap's height and width hold without overlap."""
        item = self.plot.getPlotItem()
        metrics = QFontMetricsF(sized_font())
        height = item.vb.height()
        fit_bar_ticks(self.bar, height, metrics)
        self._fit_titles()

    def _fit_titles(self) -> None:
        item = self.plot.getPlotItem()
        for side, room in (("left", item.vb.height()), ("bottom", item.vb.width())):
            fit_axis_title(item.getAxis(side), axis_titles(side, self._every[side]), room)

    def _follow_font(self) -> None:
        item = self.plot.getPlotItem()
        style_axes(item)
        fit_colour_scale(self.bar)
        self._fit_scales()
        side = max(PROBE_MIN_PX, round(PROBE_LINES * QFontMetricsF(self.title.font()).lineSpacing()))
        self.probe.setFixedSize(side, side)  # as tall as the title's lines beside it, or a readable 8x8 digit
        self._ticked = None
        self._label_axes()
        self._fit_title()

    def _on_resized(self) -> None:
        """The heatmap's new size: the scales and the token labels it holds (the widget's own resize came before the
        heatmap's, so the labels were spaced for the height before: QA saw 32 rows' labels run together once the
        loss plot took room beside a lesson step)."""
        self._fit_scales()
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

    def _mark_patches(self, cell: tuple[int, int] | None) -> None:
        """The patches of the read `cell` (query, key) outlined on the probe image: where the image looks from and
        where it looks (QA: a heatmap cell "r1c2 → r0c0" was found on the image by counting patches); none for
        [CLS], which is no patch, nor for a text."""
        snap = self.snapshot
        places = None if snap is None or snap.image is None or cell is None else snap.places
        for mark, position in zip((self.queryPatch, self.keyPatch), cell or (0, 0)):
            place = None if places is None or position >= len(places) else places[position]
            shown = place is not None and not np.isnan(place).any()
            mark.setVisible(shown)
            if shown:
                rows, columns = np.nanmax(places, axis=0) + 1  # the image's patches down and across
                height, width = snap.image.shape[0] / rows, snap.image.shape[1] / columns
                mark.setRect(QRectF(place[1] * width, place[0] * height, width, height))

    def _cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        """The (query, key) cell at scene point `pos`, or None off the heatmap."""
        if self.snapshot is None:
            return None
        p = self.plot.getPlotItem().vb.mapSceneToView(pos)
        q, k = int(math.floor(p.y())), int(math.floor(p.x()))
        T = self.snapshot.weights.shape[-1]
        return (q, k) if 0 <= q < T and 0 <= k < T else None

    def _on_move(self, pos: QPointF) -> None:
        cell = self._cell_at(pos)
        if cell is not None:
            self._keyed, self._pointed = False, cell  # the pointer's cell, read again as snapshots come
            self.readout.setText(self._weight_text(self.snapshot, *cell))
            self._mark_patches(cell)

    def _weight_text(self, snap: AttentionSnapshot, q: int, k: int) -> str:
        return cell_words(snap, min(self.layer, snap.weights.shape[0] - 1), min(self.head, snap.weights.shape[1] - 1),
                          q, k)

    def keeps_keys(self) -> frozenset[Qt.Key]:
        """The arrows walk the cells while a head is shown (Right too, the window's step key elsewhere)."""
        return frozenset(AttentionGrid.ARROWS) if self.snapshot is not None else frozenset()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.plot:
            kind = event.type()
            if kind == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and plain_key(event) \
                    and Qt.Key(event.key()) in self.keeps_keys():
                event.accept()
                return True
            if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and self._walk(event):
                return True
            if kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
                self.cellMark.setVisible(False)
                if kind == QEvent.Type.FocusIn:
                    self._show_cell()
        return super().eventFilter(watched, event)

    def _walk(self, event: QKeyEvent) -> bool:
        """An arrow moves the cell read by a row (query) or a column (key); whether it was one."""
        move = AttentionGrid.ARROWS.get(Qt.Key(event.key()))  # (rows, columns), as the grid's (layers, heads)
        if move is None or self.snapshot is None or not plain_key(event):
            return False
        self.cell = (self.cell[0] + move[0], self.cell[1] + move[1])
        self._show_cell(follow=True)
        return True

    def _show_cell(self, follow: bool = False) -> None:
        """The cell the arrows read, outlined on the heatmap, and its weight on the read-out line; zoomed in, the view
        follows it where it was walked to (`follow`: not as a click gives the focus, whose cell is the one under the
        pointer, not the last one)."""
        snap = self.snapshot
        if snap is None:
            return
        last = snap.weights.shape[-1] - 1
        q, k = (min(max(i, 0), last) for i in self.cell)
        self.cell, self._keyed = (q, k), True
        self.cellMark.setRect(QRectF(k, q, 1, 1))
        self.cellMark.setVisible(True)
        self.readout.setText(self._weight_text(snap, q, k))
        self._mark_patches((q, k))
        if not follow:
            return
        vb = self.plot.getPlotItem().vb
        (x0, x1), (y0, y1) = vb.viewRange()
        dx, dy = min(0.0, k - x0) + max(0.0, k + 1 - x1), min(0.0, q - y0) + max(0.0, q + 1 - y1)
        if dx or dy:
            vb.setRange(xRange=(x0 + dx, x1 + dx), yRange=(y0 + dy, y1 + dy), padding=0)


def fit_axis_title(axis: pg.AxisItem, titles: tuple[str, ...], room: float) -> None:
    """The first of `titles` that `room` px hold on `axis`, measured as drawn (its rich text's size differs from
    the font's metrics), or no title where none fits."""
    for title in titles:
        if title != axis.labelText:
            axis.setLabel(title, **axis.labelStyle)
            # pyqtgraph centres a title only as its axis resizes (AxisItem.resizeEvent, callable without an event):
            # a longer title kept the shorter one's place and ran past the plot's top ("query (lookin", QA)
            axis.resizeEvent()
        if axis.label.boundingRect().width() <= room:
            axis.showLabel(True)
            return
    axis.showLabel(False)


def fit_bar_ticks(bar: pg.ColorBarItem, height: float, metrics: QFontMetricsF) -> None:
    """The densest of BAR_TICKS whose labels stay BAR_LABEL_GAP lines apart on a bar `height` px tall."""
    ticks = next(t for t in BAR_TICKS if len(t) * BAR_LABEL_GAP * metrics.height() <= height or t is BAR_TICKS[-1])
    bar.axis.setTicks([[(v, f"{v:.1f}" if v else "0") for v in ticks]])


def fit_colour_scale(bar: pg.ColorBarItem) -> None:
    """The colour bar's scale in the application font, as wide as its labels need. ColorBarItem fixes its axis at
    45 px, right at 100 % only: in presentation mode the title sat on the numbers. 45 px is "0.8" and 26 px of ticks
    and gaps; pyqtgraph adds a title's height itself."""
    bar.axis.setTickFont(sized_font())
    bar.axis.setWidth(max(45, round(QFontMetricsF(sized_font()).horizontalAdvance("0.8")) + 26))


class GridScroll(QScrollArea):
    """A scroll area that tells its grid how wide it is: the grid's head titles shorten to fit it."""

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        grid = self.widget()
        if isinstance(grid, AttentionGrid):
            grid.fit_minimum()

    def show_tile(self, layer: int, head: int) -> None:
        """Scroll the chosen head's tile into view: the arrow keys may choose one out of it (a click, one partly
        out of it)."""
        grid = self.widget()
        if isinstance(grid, AttentionGrid):
            tile = grid.tile_rect(layer, head)
            self.ensureVisible(tile.center().x(), tile.center().y(), tile.width() // 2 + 4, tile.height() // 2 + 4)


def in_scroll_area(grid: AttentionGrid, name: str) -> QScrollArea:
    """`grid` (made with scrolled=True) in a frameless scroll area: past its smallest tiles it scrolls, and no row
    is cut off."""
    scroll = GridScroll(grid.parentWidget())
    grid.sigHeadChosen.connect(scroll.show_tile)
    scroll.setObjectName(name)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the grid is the Tab stop (a second one seemed to do nothing)
    scroll.setWidget(grid)
    return scroll


class AttentionPanel(QWidget):
    """The Attention tab: the grid on the left (it scrolls when its tiles would get too small), the selected
    head large on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attentionPanel")
        self.grid = AttentionGrid(self, min_tile=MIN_TILE_PX, scrolled=True)
        self.detail = HeadDetail(self)
        self.hover = QLabel(HOVER_HINT, self)
        self.hover.setObjectName("attentionReadout")
        self.hover.setWordWrap(True)
        self.gridScroll = in_scroll_area(self.grid, "attentionGridScroll")
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.gridScroll, 1)
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
        self.grid.sigHeadChosen.connect(self._on_head)

    def set_snapshot(self, snap: AttentionSnapshot) -> None:
        snap = snap.tokens_only()
        self.grid.set_snapshot(snap)
        layer, head = self.grid.selected
        self.detail.show_head(snap, layer, head)

    def clear(self) -> None:
        """The model is gone: empty grid and head, and no readout of its weights."""
        self.grid.clear_grid()
        self.detail.clear()
        self.hover.setText(HOVER_HINT)

    def select_head(self, layer: int, head: int) -> None:
        """A head chosen in another view: outlined in the grid and enlarged beside it (review: only outlined, the
        enlarged heatmap, and what Export saved, kept the head before)."""
        self.grid.select(layer, head)
        self._on_head(*self.grid.selected)

    def _on_head(self, layer: int, head: int) -> None:
        self.detail.show_head(self.grid.snapshot, layer, head)
