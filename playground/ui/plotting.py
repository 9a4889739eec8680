"""pyqtgraph settings every panel relies on; importing this module applies them once."""

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

# Row-major: an array [query, key] shows queries down and keys across (otherwise heatmaps are transposed).
pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="w", foreground="#222")


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
    return plot
