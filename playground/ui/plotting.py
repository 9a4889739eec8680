"""pyqtgraph settings every panel relies on; importing this module applies them once."""

import pyqtgraph as pg

# Row-major: an array [query, key] shows queries down and keys across (otherwise heatmaps are transposed).
pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="w", foreground="#222")
