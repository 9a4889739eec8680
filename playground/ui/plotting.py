"""pyqtgraph settings every panel relies on (importing this module applies them once), and the font
helpers that make every view follow the application's font (presentation mode enlarges it).

Qt widgets inherit the application font by themselves; what they draw with a font of their own (pyqtgraph's
axes and labels, rendered figures, painted token labels) follows it through `follow_font`, which calls back
on the widget's FontChange event, and `font_scale`, the application font against the platform's own.
"""

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QWidget

from playground.ui.theme import plot_colours

# Row-major: an array [query, key] shows queries down and keys across (otherwise heatmaps are transposed).
pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)


def apply_theme() -> None:
    """Plots made from now on in the look the app chose (theme.py): light, or dark where the system is."""
    background, foreground = plot_colours()
    pg.setConfigOptions(background=background, foreground=foreground)


apply_theme()  # the app chose before the views import this module (they are built after the first paint)

AXES = ("left", "bottom", "right", "top")


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


def sized_font(scale: float = 1.0, bold: bool = False) -> QFont:
    """The application font at `scale` times its size."""
    font = QFont(app_font())
    font.setPointSizeF(point_size(scale))
    font.setBold(bold)
    return font


class _FontWatcher(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._callback = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.FontChange:
            self._callback()
        return False


def follow_font(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` whenever `widget`'s font changes (the application font included), and once now."""
    widget.installEventFilter(_FontWatcher(widget, callback))
    callback()


def style_axes(plot: pg.PlotItem, scale: float = 1.0) -> None:
    """The plot's tick labels and axis titles in the application font (pyqtgraph's axes keep their own)."""
    font = sized_font(scale)
    for side in AXES:
        axis = plot.getAxis(side)
        axis.setTickFont(font)
        if axis.labelText:
            # setLabel replaces the whole style: keep its colour (the theme's foreground)
            axis.setLabel(axis.labelText, axis.labelUnits, **{**axis.labelStyle, "font-size": f"{font.pointSizeF():.1f}pt"})
    title = plot.titleLabel
    if title.text:
        title.setText(title.text, size=f"{point_size(scale * 1.1):.1f}pt")


def heatmap_plot(parent: QWidget, name: str, left: str, bottom: str, lock_aspect: bool) -> pg.PlotWidget:
    """A fixed matrix view: rows top to bottom, no zooming, panning or context menu, labelled axes."""
    plot = pg.PlotWidget(parent)
    plot.setObjectName(name)
    item = plot.getPlotItem()
    item.invertY(True)
    item.setAspectLocked(lock_aspect)
    item.setMenuEnabled(False)
    item.setMouseEnabled(False, False)
    item.hideButtons()
    item.setLabel("left", left)
    item.setLabel("bottom", bottom)
    follow_font(plot, lambda: style_axes(item))
    return plot
