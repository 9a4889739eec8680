"""Compare A/B's names for its two sides ("B: number of layers 3, dropout 0.1, positional encoding none"), naming as
many of the differences as the room holds and counting the rest ("(+1 more)").

`playground.core.differences.labels` names two at most, for a figure whose width it does not know; the window
knows the width of each title and legend column, and a wide one named two of three and hid the third (QA).
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QWidget

from playground.core.differences import setting_text, side_label
from playground.core.spec import RunSpec
from playground.ui.attention_grid import ElidedLabel
from playground.ui.plotting import legend_room, point_size, sized_font


def fitted_label(side: str, spec: RunSpec, keys: list[str], fits: Callable[[str], bool]) -> tuple[str, str]:
    """`side`'s name with as many of the differing settings `keys` as `fits` takes, and the count of the rest
    (" (+2 more)", or ""); with one named it may still be too wide (`fitted_to` elides it)."""
    if not keys:
        return side_label(side, spec, keys), ""
    named = [setting_text(key, spec) for key in keys]
    for count in range(len(named), 0, -1):
        head = f"{side}: {', '.join(named[:count])}"
        more = f" (+{len(named) - count} more)" if count < len(named) else ""
        if fits(head + more):
            break
    return head, more


def full_label(side: str, spec: RunSpec, keys: list[str]) -> str:
    """`side`'s name with every difference named (a tooltip's, where nothing is short of room)."""
    return fitted_label(side, spec, keys, lambda _text: True)[0]


def fitted_to(metrics: QFontMetricsF, width: float, side: str, spec: RunSpec, keys: list[str]) -> str:
    """`fitted_label` in `width` px of `metrics`' font; where even one name is too wide it is elided, and the count
    of the rest kept ("B: number of he… (+2 more)"), so the name still says there is more to read in its tooltip."""
    head, more = fitted_label(side, spec, keys, lambda text: metrics.horizontalAdvance(text) <= width)
    room = width - metrics.horizontalAdvance(more)
    return metrics.elidedText(head, Qt.TextElideMode.ElideRight, room) + more


TITLE_GAP_CHARS = 2  # average characters left blank at a side title's end, before the other side's title


class DifferenceTitle(ElidedLabel):
    """A side's title over its attention grid: as many differences as its width holds, all of them in its tooltip
    (`full`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._named: tuple[str, RunSpec, list[str]] | None = None  # (side, spec, keys) once set

    def set_differences(self, side: str, spec: RunSpec, keys: list[str]) -> None:
        self._named = (side, spec, keys)
        self.set_full_text(full_label(side, spec, keys))

    def _elide(self) -> None:  # ElidedLabel's hook: called on every resize and font change
        if self._named is None:
            super()._elide()
            return
        # Two spaces short of its width: A's title filled it, and ran on into B's beside it as one sentence (QA, F5)
        metrics = QFontMetricsF(self.font())
        room = self.contentsRect().width() - TITLE_GAP_CHARS * metrics.averageCharWidth()
        self.setText(fitted_to(metrics, max(10.0, room), *self._named))


def fit_pair_legend(legend: pg.LegendItem, width: float, names: list[tuple[str, RunSpec]], keys: list[str]) -> None:
    """The legend's entries side by side under a plotting area `width` px wide, each naming as many differences as
    its half holds, in the application font."""
    metrics = QFontMetricsF(sized_font())
    shared, entry = legend_room(legend, width)
    column = shared / len(names) - entry
    size = f"{point_size():.1f}pt"
    for (_sample, label), (side, spec) in zip(legend.items, names):
        text = fitted_to(metrics, max(column, 10.0), side, spec, keys)
        if (text, size) != (label.text, label.opts.get("size")):  # (setting a label lays the plot out again)
            label.setText(text, size=size)
    legend.setLabelTextSize(size)  # for entries added later (after: it marks the labels' size without drawing it)
    # Now, not at the layout's next pass: the plot narrowing meanwhile stopped at the longer names' least width.
    legend.updateGeometry()


