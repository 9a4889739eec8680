"""pyqtgraph settings every panel relies on (importing this module applies them once), and the font
helpers that make every view follow the application's font (presentation mode enlarges it).

Qt widgets inherit the application font by themselves; what they draw with a font of their own (pyqtgraph's
axes and labels, rendered figures, painted token labels) follows it through `follow_font`, which calls back
on the widget's FontChange event, and `font_scale`, the application font against the platform's own.
"""

import html
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QFontMetricsF,
    QGuiApplication,
    QIcon,
    QImage,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
    QTextDocument,
)
from PySide6.QtWidgets import QApplication, QGraphicsItem, QLabel, QSizePolicy, QWidget

from playground.core.differences import NAME_SEPARATOR
from playground.ui.theme import LIGHT, plot_colours

# Row-major: an array [query, key] shows queries down and keys across (otherwise heatmaps are transposed).
pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)


def apply_theme() -> None:
    """Plots made from now on in the look the app chose (theme.py): light, or dark where the system is."""
    background, foreground = plot_colours()
    pg.setConfigOptions(background=background, foreground=foreground)


apply_theme()  # the app chose before the views import this module (they are built after the first paint)

Colours = tuple[QColor, QColor]  # (background, foreground)
KEEP_COLOUR = 0x504C  # QGraphicsItem.data key: a text whose colour is chosen against what lies under it
THEMED_LINE = 0x504D  # QGraphicsItem.data key: a line drawn with `marker_pen`
LEGEND_ROW_PAD = 12  # px a legend's row takes beyond its text's height (pyqtgraph's label padding and spacing)
LAID_OUT = 0x504E  # QGraphicsItem.data key: a legend's columns and names as `_lay_out_legend` last laid them out
MARKER_ALPHA = 0.6  # the foreground this faded reads at 4.3:1 on light and 5.9:1 on dark (a fixed #555: 2.3:1 on dark)
EXPORT_SIZE = (960, 540)  # an exported plot's layout where the screen shows it smaller than half this (PNG: twice it)


def _applied() -> Colours:
    return pg.mkColor(pg.getConfigOption("background")), pg.mkColor(pg.getConfigOption("foreground"))


def keep_colour(item: QGraphicsItem) -> None:
    """Leave `item`'s colour as it is when the look changes (a count on a heatmap cell is read against the cell)."""
    item.setData(KEEP_COLOUR, True)


def marker_pen(foreground: QColor | str | None = None) -> QPen:
    """A dashed line in the look's foreground (default: the current look's), faded behind the curves: a mark readable
    on a light plot and a dark one. A line drawn with it and tagged `themed_line` follows the look (`recolour`)."""
    colour = QColor(foreground or pg.getConfigOption("foreground"))
    colour.setAlphaF(MARKER_ALPHA)
    return pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine)


def shown_colour(colour: QColor, dark: bool) -> QColor:
    """A curve's `colour` as drawn on a dark plot (lighter: the train curve's blue read at 3.5:1 there) or a light
    one (itself)."""
    return colour.lighter(160) if dark else colour


class ThinCurve(pg.PlotDataItem):
    """A 1-px curve in `colour` on a light plot and lighter on a dark one, following the look (`recolour`): 1 px of
    the train curve's blue was dim on the dark plot at a projector (QA)."""

    def __init__(self, colour: str, **style: object) -> None:
        self.colour = QColor(colour)
        super().__init__(**style)
        self.show_on(_applied()[0])

    def show_on(self, background: QColor) -> None:
        """Drawn for a plot of `background`: its line and the dot it is while one point."""
        shown = shown_colour(self.colour, background.lightness() < 128)
        self.setPen(pg.mkPen(shown, width=1))
        self.setSymbolBrush(shown)


def themed_line(line: pg.InfiniteLine) -> None:
    """Redraw `line` with `marker_pen` of the new look whenever the look changes."""
    line.setData(THEMED_LINE, True)


def recolour(view: pg.GraphicsView, before: Colours, after: Colours) -> None:
    """The view's background and the theme-coloured axes, titles, labels, texts and lines (`themed_line`: the loss
    plot's markers) in it from `before` to `after`, and thin curves (`ThinCurve`) for the new background; what has
    colours of its own (other curves, heatmaps, highlights, a text on a fill of its own) keeps them."""
    (old_back, old_fore), (new_back, new_fore) = before, after
    if view.backgroundBrush().color() == old_back:
        view.setBackground(new_back)
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem):
            for pen, set_pen in ((item.pen(), item.setPen), (item.textPen(), item.setTextPen)):
                if pen.color() == old_fore:
                    pen.setColor(new_fore)
                    set_pen(pen)
        elif isinstance(item, pg.LabelItem):
            colour = item.opts.get("color")  # None: the foreground at the time it was set
            if item.text and (colour is None or pg.mkColor(colour) == old_fore):
                item.setText(item.text, color=new_fore.name())
        elif (isinstance(item, pg.TextItem) and not item.data(KEEP_COLOUR) and item.color == old_fore
              and item.fill.style() == Qt.BrushStyle.NoBrush):
            item.setColor(new_fore)
        elif isinstance(item, pg.InfiniteLine) and item.data(THEMED_LINE):
            item.setPen(marker_pen(new_fore))
        elif isinstance(item, ThinCurve):
            item.show_on(new_back)


def restyle_plots() -> None:
    """Every open plot in the look the app chose now (theme.py; the system switched while the app ran), and the
    plots made from now on."""
    before = _applied()
    apply_theme()
    after = _applied()
    for widget in QApplication.allWidgets():
        if isinstance(widget, pg.GraphicsView):
            recolour(widget, before, after)


@contextmanager
def on_paper(item: pg.GraphicsItem) -> Iterator[None]:
    """The view that shows `item` in the light look while it is exported (an exported plot is white, as a
    rendered figure), then in the app's look again."""
    view = item.getViewWidget()
    now, paper = _applied(), (pg.mkColor(LIGHT[0]), pg.mkColor(LIGHT[1]))
    recolour(view, now, paper)
    try:
        yield
    finally:
        recolour(view, paper, now)


@contextmanager
def export_sized(item: pg.GraphicsWidget) -> Iterator[None]:
    """`item` laid out larger while it is exported where the screen shows it smaller than half of EXPORT_SIZE: its
    own shape scaled up to fit EXPORT_SIZE (a small heatmap stays square), or EXPORT_SIZE itself where that shape
    is no figure's (a lesson step that hides the loss plot left it 1872 x 4 px, and the picture with it)."""
    shown = item.geometry()
    small = shown.width() < EXPORT_SIZE[0] / 2 or shown.height() < EXPORT_SIZE[1] / 2
    if small:
        aspect = shown.width() / max(shown.height(), 1.0)
        scale = min(EXPORT_SIZE[0] / max(shown.width(), 1.0), EXPORT_SIZE[1] / max(shown.height(), 1.0))
        size = (shown.width() * scale, shown.height() * scale) if 1 / 3 <= aspect <= 3 else EXPORT_SIZE
        item.setGeometry(QRectF(0, 0, *size))
    try:
        yield
    finally:
        if small:
            item.setGeometry(shown)


@contextmanager
def titled(item: pg.PlotItem, title: str) -> Iterator[None]:
    """`item` with `title` over it while it is exported: a figure on a slide or in a report says which run, head and
    step it shows, which on screen the window around it says (QA: exported plots carried no title at all)."""
    label = item.titleLabel
    kept = label.text if label.isVisible() else None
    shown = item.geometry()
    # in the paper's ink: on_paper whitens the plot, and a title in the dark look's light grey was unreadable (QA)
    item.setTitle(title, size=f"{point_size(1.1):.1f}pt", color=LIGHT[1])
    # pyqtgraph fixes the title's row and label at 30 px, which cut an enlarged font's descenders in presentation mode,
    # and a two-line title's first line at the picture's top edge (QA, at 130 %): the row and label as tall as the text
    height = max(30.0, label.item.boundingRect().height())
    label.setMaximumHeight(height)
    item.layout.setRowFixedHeight(0, height)
    item.layout.activate()  # laid out now, not at the next event loop (QA: drawn over the plot's top row)
    try:
        yield
    finally:
        # None hides it again; its text goes too, whose width pyqtgraph keeps as the plot's minimum even hidden, and
        # the plot gets its size back (QA: an exported head kept the title's width, wider than its view, and the
        # window showed it cut on the right)
        label.setText(kept or "")
        item.setTitle(kept)
        item.setGeometry(shown)


@contextmanager
def roomy_value_axis(item: pg.PlotItem) -> Iterator[None]:
    """`item`'s left axis wide enough for the tick labels an export draws: a picture larger than the screen's gets
    ticks of its own ("1.5" where the screen had "1"), which pyqtgraph measures only as it paints them, after the
    layout (QA: an exported "loss" ran over its "1.5"). Room for two decimals, at least, and for the screen's labels."""
    axis = item.getAxis("left")
    kept, measured = {key: axis.style[key] for key in ("autoExpandTextSpace", "tickTextWidth")}, axis.textWidth
    font = axis.style["tickFont"] or axis.font()
    needed = math.ceil(max(measured, QFontMetricsF(font).horizontalAdvance("8.88")))
    axis.setStyle(autoExpandTextSpace=False, tickTextWidth=needed)
    item.layout.activate()
    try:
        yield
    finally:
        axis.textWidth = measured  # the export's paint measured its own labels: the screen keeps its width
        axis.setStyle(**kept)
        item.layout.activate()


@contextmanager
def widened_curves(item: pg.PlotItem, factor: float) -> Iterator[None]:
    """`item`'s curves drawn `factor` times as wide while it is exported at `factor` times the screen's size: their
    pens are cosmetic (a width in device pixels), so a 1-px curve stayed 1 px and faint in a 1920-px picture."""
    kept = [(curve, curve.opts["pen"]) for curve in item.listDataItems() if curve.opts.get("pen") is not None]
    for curve, pen in kept:
        wider = pg.mkPen(pen)
        wider.setWidthF(max(wider.widthF(), 1.0) * factor)
        curve.setPen(wider)
    try:
        yield
    finally:
        for curve, pen in kept:
            curve.setPen(pen)


AXES = ("left", "bottom", "right", "top")
TITLE_GAP = 0.25  # of a line's height: between a step axis's numbers and its title, in its font


def app_font() -> QFont:
    """The application's font (what presentation mode enlarges)."""
    return QGuiApplication.font()


def font_scale() -> float:
    """The application font's size against the platform's default font: 1.0 normally, more when presenting."""
    base = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont).pointSizeF()
    size = app_font().pointSizeF()
    return size / base if base > 0 and size > 0 else 1.0


def point_size(scale: float = 1.0) -> float:
    """The application font's point size times `scale` (for fonts a view sets itself)."""
    size = app_font().pointSizeF()
    return (size if size > 0 else 9.0) * scale


def broken_lines(text: str, font: QFont, width: float) -> list[str]:
    """`text`'s words in lines no wider than `width` pixels in `font` (a long word alone on its line): for texts in a
    graphics scene, which never wrap by themselves."""
    metrics = QFontMetricsF(font)
    lines: list[str] = []
    for word in text.split():
        if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def broken_html(text: str, font: QFont, width: float) -> str:
    """`broken_lines` as HTML, for a plot's text items."""
    return "<br>".join(html.escape(line) for line in broken_lines(text, font, width))


def fitting_html(wordings: Sequence[str], font: QFont, width: float) -> str:
    """The first of `wordings` (rich texts, fullest first) that fits on one line `width` px wide in `font`, else the
    last: a label of values says all it can in its width and never widens its window."""
    document = QTextDocument()
    document.setDefaultFont(font)
    document.setDocumentMargin(0)  # (as a QLabel lays out its rich text)
    for wording in wordings:
        document.setHtml(wording)
        if document.idealWidth() <= width:
            return wording
    return wordings[-1]


class FittedLabel(QLabel):
    """A line of rich text that shows the fullest of its wordings that fits its width, again whenever it is resized,
    and never widens its window (the last wording wraps where even it is too long): at 175 % a hover read-out's
    one line made the window 1429 px wide, and it stayed so."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(" ", parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setWordWrap(True)
        self._wordings: list[str] = [" "]

    def set_wordings(self, *wordings: str) -> None:
        """Show the first of `wordings` (fullest first) that fits on one line."""
        self._wordings = list(wordings)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        self.setText(fitting_html(self._wordings, self.font(), self.contentsRect().width()))


def sized_font(scale: float = 1.0, bold: bool = False) -> QFont:
    """The application font at `scale` times its size."""
    font = QFont(app_font())
    font.setPointSizeF(point_size(scale))
    font.setBold(bold)
    return font


class _EventWatcher(QObject):
    """Calls back on one type (KIND) of `widget`'s events. The type is the class's: a watcher's own attributes are
    gone while its widget is torn down, and every event passes through here until then."""

    KIND: QEvent.Type

    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._callback = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == self.KIND:
            self._callback()
        return False


class _FontWatcher(_EventWatcher):
    KIND = QEvent.Type.FontChange


class _ResizeWatcher(_EventWatcher):
    KIND = QEvent.Type.Resize


def follow_font(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` whenever `widget`'s font changes (the application font included), and once now."""
    widget.installEventFilter(_FontWatcher(widget, callback))
    callback()


def follow_resize(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` whenever `widget` is resized: a plot's legend fitted to its view box never narrowed, since
    the legend's own width held the view box as wide as it was."""
    widget.installEventFilter(_ResizeWatcher(widget, callback))


# A view of the Inside attention tab keeps this many lines of the window's text in height: at 175 % on a 720-px screen
# it was a 50-100 px strip under the rows of text that grow with the font; more would not fit there at 250 %.
VIEW_LINES = 4


def keep_lines(widget: QWidget, lines: float = VIEW_LINES) -> None:
    """`widget` never shorter than `lines` lines of its font, at every zoom: the rows of text around a view grow with
    the font, and a splitter that keeps its proportions squeezed the view between them to a strip."""
    follow_font(widget, lambda: widget.setMinimumHeight(round(lines * widget.fontMetrics().height())))


class _TooltipHolder(QObject):
    def __init__(self, plot: pg.PlotWidget, reading: Callable[[], bool]) -> None:
        super().__init__(plot)
        self._plot, self._reading = plot, reading

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.Type.ToolTip or not self._reading():
            return False
        scene = self._plot.mapToScene(self._plot.viewport().mapFromGlobal(event.globalPos()))
        return self._plot.getPlotItem().vb.sceneBoundingRect().contains(scene)


def hold_tooltip_over_data(plot: pg.PlotWidget, reading: Callable[[], bool]) -> None:
    """No teaching tooltip over `plot`'s data while `reading()` (the pointer's values are being read out): it covered
    what was read. On the axes it still shows. (A tooltip event reaches the plot from its viewport.)"""
    plot.installEventFilter(_TooltipHolder(plot, reading))


def style_axes(plot: pg.PlotItem, scale: float = 1.0) -> None:
    """The plot's tick labels and axis titles in the application font (pyqtgraph's axes keep their own)."""
    font = sized_font(scale)
    for side in AXES:
        axis = plot.getAxis(side)
        axis.setTickFont(font)
        if axis.labelText:
            # setLabel replaces the whole style: keep its colour (the theme's foreground)
            axis.setLabel(axis.labelText, axis.labelUnits, **{**axis.labelStyle, "font-size": f"{font.pointSizeF():.1f}pt"})
    bottom = plot.getAxis("bottom")
    if bottom.labelText:
        bottom.setStyle(autoExpandTextSpace=False, tickTextHeight=tick_text_room(QFontMetrics(font).height()))
    title = plot.titleLabel
    if title.text:
        title.setText(title.text, size=f"{point_size(scale * 1.1):.1f}pt")


def tick_text_room(line: int) -> int:
    """The height a bottom axis with a title (the loss plots' steps, a heatmap's keys, a PCA's component) reserves
    for its tick labels, one `line` high, so that a TITLE_GAP share of the line parts them from the title below in
    the same font. pyqtgraph 0.14 reserves the labels' height and 0.8 of the title's box, which it sets 5 px past the
    axis's bottom, the text 4 px inside the box (AxisItem's height and its title's place, undocumented: a later
    version may place it otherwise, and the test of the gap reads the painted axis): the gap shrank as the font grew
    (13, 6 and 7 px of blank between the numbers and "step" at 100, 175 and 250 %; QA: they touched in the loss plot
    exported at 175 %)."""
    title_box = line + 8
    return line - 9 + math.ceil(0.2 * title_box) + round(TITLE_GAP * line)


def legend_below(plot: pg.PlotItem, columns: int, cell: tuple[int, int]) -> pg.LegendItem:
    """A legend in a row of `plot`'s layout of its own (`cell`, under the step axis), where it never covers a curve.
    It scales with the plot: pyqtgraph's legend ignores transformations to stay one size over a zoomed view, and so
    kept the screen's size in a PNG export twice as large, half as tall as every other text."""
    plot.legend = pg.LegendItem(colCount=columns, frame=False)
    plot.legend.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, False)
    plot.layout.addItem(plot.legend, *cell)
    return plot.legend


def size_legend(legend: pg.LegendItem) -> None:
    """The legend's names in the application font, those already there and those added later."""
    legend.setLabelTextSize(f"{point_size():.1f}pt")
    for _sample, label in legend.items:
        label.setText(label.text, size=f"{point_size():.1f}pt")


LEGEND_SAMPLE = 20  # pyqtgraph's ItemSample, the line beside a name, is 20 px wide
LEGEND_TEXT_MARGIN = 10  # a LabelItem is its text plus a 4-px document margin each side, and 2 px for rounding
MIN_LEGEND_CHARS = 6  # a name is never elided shorter than this many average characters ("Less…dual")


def line_swatch(pen: QPen, size: QSize, ratio: float = 1.0) -> QIcon:
    """A short line in `pen`, its colour and dashes, on the plot's background: a curve's key beside its name outside
    the plot (on a selected row's highlight the colours were lost); drawn in `ratio` pixels a window pixel (a HiDPI
    screen's 2: sharp). Flat ends: square ones filled the gaps between dashes (QA: "10 on, 2 off" for 4 on, 2 off)."""
    pixmap = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(pg.mkColor(pg.getConfigOption("background")))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(pen)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    painter.setPen(pen)
    middle = size.height() / 2
    painter.drawLine(QPointF(pen.widthF(), middle), QPointF(size.width() - pen.widthF(), middle))
    painter.end()
    icon = QIcon(pixmap)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)  # not tinted on a selected row
    return icon


def elided_name(name: str, metrics: QFontMetricsF, width: float, others: Sequence[str] = ()) -> str:
    """`name` in `width` px: "Lesson 19.4: the enc… — residual connections off", its head cut and what tells it apart
    (after NAME_SEPARATOR) kept whole; where that is too wide, a short head and what tells it apart cut: at its end
    where it names several settings, the first kept ("Deco… — number of heads 2, warm-up st…": cut in the middle at
    130 %, the number of heads was lost, QA), else in the middle, its value kept ("train — Layer…ment none"), or where
    it is most like what tells one of `others` (the names shown beside it) apart: "train — Abl…orm" beside four
    "Ablation: a …" runs (QA), "train — …rNorm" now."""
    head, separator, tail = name.rpartition(NAME_SEPARATOR)
    alike = [told for other in others if (told := other.rpartition(NAME_SEPARATOR)[2]) != tail]
    cut = Qt.TextElideMode.ElideRight if ", " in tail else _cut_where_alike(tail, alike) if alike else \
        Qt.TextElideMode.ElideMiddle
    if not head:
        return metrics.elidedText(name, cut, width)
    least = MIN_LEGEND_CHARS * metrics.averageCharWidth()
    room = width - metrics.horizontalAdvance(separator + tail)
    if room >= least:
        return metrics.elidedText(head, Qt.TextElideMode.ElideRight, room) + separator + tail
    kept = metrics.elidedText(head, Qt.TextElideMode.ElideRight, least)
    rest = width - metrics.horizontalAdvance(kept + separator)
    if rest >= least:
        return kept + separator + metrics.elidedText(tail, cut, rest)
    return metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, width)


def _cut_where_alike(name: str, others: Sequence[str]) -> Qt.TextElideMode:
    """Cut `name` at the end it shares most with one of `others`: five ablation runs overlaid at 130 % read "Abla…ions"
    twice and "Abla…eats", all "Ablation: a …" (QA); their ends tell them apart ("…positions", "…nnections")."""
    start = max(len(os.path.commonprefix([name, other])) for other in others)
    end = max(len(os.path.commonprefix([name[::-1], other[::-1]])) for other in others)
    if start == end or max(start, end) < MIN_LEGEND_CHARS:  # a few letters alike by chance ("on", review): as before
        return Qt.TextElideMode.ElideMiddle
    return Qt.TextElideMode.ElideLeft if start > end else Qt.TextElideMode.ElideRight


def legend_name(sample: pg.ItemSample, label: pg.LabelItem) -> str:
    """An entry's whole name: its curve's, which eliding the label's text leaves as it was."""
    name = sample.item.name() if hasattr(sample.item, "name") else None
    return name or label.text


def legend_room(legend: pg.LegendItem, width: float) -> tuple[float, float]:
    """(the px `legend`'s columns share under a plotting area `width` px wide, the px of an entry beside its name's
    text): n columns take n x (sample, gap, name, gap) less the last gap, inside the legend's margins."""
    left, _top, right, _bottom = legend.layout.getContentsMargins()
    gap = legend.layout.horizontalSpacing()
    return width - left - right + gap, LEGEND_SAMPLE + 2 * gap + LEGEND_TEXT_MARGIN


def fit_legend(legend: pg.LegendItem, width: float, height: float, most_columns: int) -> None:
    """The legend's names in the application font, in as many columns (up to `most_columns`) as `width` px hold
    whole, or in the fewest that `height` px of rows allow, the names of the widest columns elided to what the
    narrower ones leave: a legend's names are never wrapped, and three long run names made the legend, and the plot
    with it, wider than its view (QA: the step axis was cut at step 65). Each column is as wide as its own names:
    equal columns cut "residuals on, LayerNorm post" at 150 % beside a column holding "train" (QA)."""
    if not legend.items:
        return
    metrics = QFontMetricsF(sized_font())
    names = [legend_name(sample, label) for sample, label in legend.items]
    room, entry = legend_room(legend, width)
    needs = [metrics.horizontalAdvance(name) for name in names]
    most_rows = max(1, int(height // (metrics.height() + LEGEND_ROW_PAD)))
    fewest = max(1, min(most_columns, len(names), math.ceil(len(names) / most_rows)))
    columns = next((n for n in range(min(most_columns, len(names)), fewest, -1)
                    if sum(column_needs(needs, n)) + n * entry <= room), fewest)
    widths = shared_widths(column_needs(needs, columns), room - columns * entry,
                           MIN_LEGEND_CHARS * metrics.averageCharWidth())
    texts = [elided_name(name, metrics, widths[index % columns], names[:index] + names[index + 1:])
             for index, name in enumerate(names)]
    _lay_out_legend(legend, columns, texts, f"{point_size():.1f}pt")


def column_needs(needs: list[float], columns: int) -> list[float]:
    """The px each of `columns` columns needs for its widest name: a legend fills its rows left to right."""
    return [max(needs[column::columns]) for column in range(columns)]


def shared_widths(needs: list[float], room: float, least: float) -> list[float]:
    """`room` px shared among columns: a column needing less than an equal share of what is left gets what it needs,
    the others that share (never under `least` px)."""
    widths: dict[int, float] = {}
    while len(widths) < len(needs):
        share = (room - sum(widths.values())) / (len(needs) - len(widths))
        narrow = {column: need for column, need in enumerate(needs) if column not in widths and need <= share}
        if not narrow:
            return [widths.get(column, max(share, least)) for column in range(len(needs))]
        widths.update(narrow)
    return [widths[column] for column in range(len(needs))]


def _lay_out_legend(legend: pg.LegendItem, columns: int, texts: list[str], size: str) -> None:
    """Every entry again, in order, in `columns` columns, with `texts` for names in `size`, and the colours they had
    (the light look of an export): `setColumnCount` alone does nothing for an unchanged count, and entries added
    after others were removed went into the holes those left. Nothing is rebuilt where nothing changed."""
    if legend.data(LAID_OUT) == _layout_key(legend, columns, texts, size):
        return
    entries = [(sample.item, label.opts.get("color")) for sample, label in legend.items]  # clear() closes samples
    legend.clear()
    legend.setColumnCount(columns)
    legend.setLabelTextSize(size)  # the size the labels added below are made in
    for (item, colour), text in zip(entries, texts):
        legend.addItem(item, text)
        if colour is not None:
            legend.items[-1][1].setText(text, color=colour)
    legend.setData(LAID_OUT, _layout_key(legend, columns, texts, size))


def _layout_key(legend: pg.LegendItem, columns: int, texts: list[str], size: str) -> list:
    """What a laid-out legend shows: its columns, names, their size and its entries (one pyqtgraph added since is
    new; a zoom that changes the size alone must lay it out again, as a label's size is drawn only when it is set)."""
    return [columns, texts, size, [id(sample) for sample, _label in legend.items]]


def no_tab_stop(view: QWidget) -> None:
    """A plot no key does anything in is no Tab stop (a click still focuses it): one Tab seemed lost there."""
    view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)


def heatmap_plot(parent: QWidget, name: str, left: str, bottom: str, lock_aspect: bool) -> pg.PlotWidget:
    """A fixed matrix view: rows top to bottom, no zooming, panning or context menu, labelled axes."""
    plot = pg.PlotWidget(parent, enableMenu=False)  # (its view box then builds no menu: 5 ms a plot here)
    plot.setObjectName(name)
    no_tab_stop(plot)
    item = plot.getPlotItem()
    item.invertY(True)
    item.setAspectLocked(lock_aspect)
    item.setMouseEnabled(False, False)
    item.hideButtons()
    item.setLabel("left", left)
    item.setLabel("bottom", bottom)
    # The first and last columns keep their labels as the rows do: pyqtgraph hides a horizontal axis's labels
    # that reach past its ends ('CLS' and 'r3c3' of a ViT); up to 40 px they fall beside the left axis or the bar.
    item.getAxis("bottom").setStyle(hideOverlappingLabels=40)
    follow_font(plot, lambda: _style_heatmap(item))
    return plot


def _style_heatmap(item: pg.PlotItem) -> None:
    """Styled axes, and room above the matrix for half a line: the first row's label and the colour bar's
    top value are centred on the top edge, and the widget's edge cut them in half."""
    style_axes(item)
    item.setContentsMargins(0, QFontMetrics(sized_font()).height() / 2, 0, 0)


def rgb_qimage(rgb: np.ndarray, ratio: float = 1.0) -> QImage:
    """An (H, W, 3) picture as a QImage of `ratio` pixels to a window pixel (the screen's: 2 on HiDPI, sharp text)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = rgb.shape
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()  # a copy: Qt does not own `rgb`
    image.setDevicePixelRatio(ratio)
    return image
