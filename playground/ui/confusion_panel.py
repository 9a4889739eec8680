"""The confusion matrix of a classifier on the validation batches, fed by MetricsEvent.confusion.

Rows are the true classes, columns the predicted ones; each cell shows its count. A perfect classifier
fills the diagonal only.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from playground.ui.plotting import follow_font, heatmap_plot, keep_colour, sized_font  # (applies pyqtgraph's options)

MAX_TEXT_CLASSES = 24  # beyond this, cells are too small to print counts in
CMAP = pg.ColorMap([0.0, 1.0], [(255, 255, 255), (8, 69, 148)])
TIP = ("<b>Confusion matrix</b> on the validation batches: row = the true class, column = the class the model "
       "predicted; each cell counts examples. The diagonal holds the correct answers; a bright cell off the "
       "diagonal is a pair of classes the model mixes up.")


def _short(name: str, limit: int = 18) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


class ConfusionPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionPanel")
        self.matrix: np.ndarray | None = None
        self.class_names: list[str] = []
        self.step = 0
        self.texts: list[pg.TextItem] = []

        self.title = QLabel("The confusion matrix appears at the first evaluation of a classifier.", self)
        self.title.setObjectName("confusionTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.plot = heatmap_plot(self, "confusionPlot", "true class", "predicted class", lock_aspect=False)
        self.plot.setToolTip(TIP)
        item = self.plot.getPlotItem()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(CMAP)
        item.addItem(self.image)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        follow_font(self, self._follow_font)
        self.plot.setVisible(False)  # until the first matrix

    def _follow_font(self) -> None:
        """The counts in the cells at the application's (zoomed) size; heatmap_plot's axes follow it themselves."""
        for text in self.texts:
            text.setFont(sized_font())

    def set_confusion(self, matrix: np.ndarray, class_names: list[str] | tuple[str, ...] = (), step: int = 0) -> None:
        """Show a (n, n) count matrix; class_names label the axes (missing ones are numbered)."""
        counts = np.asarray(matrix, dtype=np.int64)
        n = counts.shape[0]
        names = [str(c) for c in class_names][:n] + [str(i) for i in range(len(class_names), n)]
        self.matrix, self.class_names, self.step = counts, names, step
        self.plot.setVisible(True)
        top = max(1, int(counts.max()))
        self.image.setImage(counts.astype(np.float32), autoLevels=False, levels=(0, top))
        self.image.setRect(0, 0, n, n)
        item = self.plot.getPlotItem()
        ticks = [[(i + 0.5, _short(name)) for i, name in enumerate(names)]]
        item.getAxis("bottom").setTicks(ticks)
        item.getAxis("left").setTicks(ticks)
        item.setRange(xRange=(0, n), yRange=(0, n), padding=0.02)
        for text in self.texts:
            item.removeItem(text)
        self.texts = []
        if n <= MAX_TEXT_CLASSES:
            for r in range(n):
                for c in range(n):
                    dark = counts[r, c] > 0.55 * top
                    text = pg.TextItem(f"{counts[r, c]:,}", color="w" if dark else "#222", anchor=(0.5, 0.5))
                    text.setFont(sized_font())
                    keep_colour(text)  # read against its cell, in a dark theme too
                    text.setPos(c + 0.5, r + 0.5)
                    item.addItem(text)
                    self.texts.append(text)
        total = int(counts.sum())
        correct = int(np.trace(counts))
        accuracy = f"{correct / total:.1%}" if total else "–"
        worst = ""
        off = counts.copy()
        np.fill_diagonal(off, 0)
        if off.max() > 0:
            r, c = np.unravel_index(int(off.argmax()), off.shape)
            worst = (f" Most common mistake: <b>{html.escape(names[r])}</b> predicted as "
                     f"<b>{html.escape(names[c])}</b> ({off[r, c]:,}×).")
        self.title.setText(f"<b>Validation confusion matrix</b> at step {step:,}: {correct:,} of {total:,} right "
                           f"({accuracy}).{worst}")

    def clear(self) -> None:
        """No matrix: the plot goes too, with the last model's classes on its axes (vit-digits' 0-9 stayed on
        vit-shapes)."""
        self.matrix = None
        self.plot.setVisible(False)
        self.image.clear()
        item = self.plot.getPlotItem()
        for text in self.texts:
            item.removeItem(text)
        self.texts = []
        self.title.setText("The confusion matrix appears at the first evaluation of a classifier.")
