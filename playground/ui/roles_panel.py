"""Heads specialise, and you see it happen: a sortable table of every head's role measures, and a timeline
of the attention snapshots kept during training with a slider that scrubs back through the steps.

Numbers come from `playground.analysis.roles` (numpy), the snapshots from the training thread's
AttentionSnapshot events, kept in a bounded `SnapshotTimeline`. Clicking a row emits `sigHeadChosen`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.analysis.roles import (
    MEASURES,
    RoleRow,
    causal_mask,
    head_roles,
    infer_mask,
    measure_words,
    role_table,
)
from playground.analysis.timeline import DEFAULT_CAPACITY, SnapshotTimeline
from playground.training.events import AttentionSnapshot
from playground.ui import file_dialogs
from playground.ui.attention_grid import AttentionGrid, in_scroll_area
from playground.ui.attention_tips import INSIDE
from playground.ui.exporting import export_asked
from playground.ui.plotting import FittedLabel
from playground.ui.sliders import JumpSlider

COLUMNS = ("layer", "head", *MEASURES)
# Header titles short enough that every column fits the pane at 1280x720; the header tooltips give the full names.
SHORT_TITLES = {"distance": "dist.", "previous": "prev.", "next": "next", "first": "first", "self": "self"}
PATCH_SHORT_TITLES = {**SHORT_TITLES, "previous": "left", "next": "right"}  # a ViT's patches' neighbours


class NumberItem(QTableWidgetItem):
    """A cell that shows a rounded number and sorts by its exact value."""

    def __init__(self, value: float, text: str) -> None:
        super().__init__(text)
        self.value = float(value)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, NumberItem):
            return self.value < other.value
        return super().__lt__(other)


@contextmanager
def measured_once(table: QTableWidget) -> Iterator[None]:
    """Fill `table` with its rows and columns sized to their contents once, at the end: a header that resizes to
    its contents measures every cell again at each setItem (96 heads took 6 s of the GUI thread a snapshot)."""
    headers = (table.horizontalHeader(), table.verticalHeader())
    for header in headers:
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    try:
        yield
    finally:
        for header in headers:
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)


def ask_gif_path(parent: QWidget, name: str) -> Path | None:
    path, _ = file_dialogs.save_file(parent, "Export the evolution as a GIF", f"{name}.gif", "Animated GIF (*.gif)")
    return Path(path) if path else None


ALIKE = 0.01  # a difference the table's two decimals do not show
# The roles the summary names a head by, in its words; a role is a head's where its weight is STANDS_OUT times what
# attention spread evenly over the keys a query may see would give it, and ROLE_FLOOR at least (a reversing head's
# 0.17 on itself, twice an even 0.08, was named its clearest role beside its mirror pattern, which none of these is)
ROLE_PHRASES = {"previous": "reads the token before", "next": "reads the token after",
                "first": "rests on the first token", "self": "looks at itself"}
PATCH_PHRASES = {"previous": "reads the patch on its left", "next": "reads the patch on its right",
                 "first": "rests on [CLS]", "self": "looks at itself"}
NO_ROLE = {False: "No head reads the token before or after, the first or itself much more than an even spread would",
           True: "No head reads the patch left or right of it, [CLS] or itself much more than an even spread would"}
STANDS_OUT = 2.0
ROLE_FLOOR = 0.3


def _spread(rows: list[Any], role: str) -> float:
    values = [getattr(row.roles, role) for row in rows]
    return max(values) - min(values)


class RolesPanel(QWidget):
    sigHeadChosen = Signal(int, int)  # layer, head (0-based)

    def __init__(self, parent: QWidget | None = None, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(parent)
        self.setObjectName("rolesPanel")
        self.timeline = SnapshotTimeline(capacity)
        self.rows: list[RoleRow] = []
        self.shown: AttentionSnapshot | None = None
        self.selected = (0, 0)
        self._dirty = False

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("rolesTable")
        self.table.setToolTip(INSIDE["roles"])
        self._name_columns(patches=False)
        self.table.verticalHeader().setVisible(False)
        # Rows as tall as their text (the style's default was half as tall again): more heads in view at 1280x720.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrow keys move in it)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.cellClicked.connect(self._on_cell)
        self.table.currentCellChanged.connect(lambda row, *_: self._on_cell(row, 0))

        self.grid = AttentionGrid(self, scrolled=True)  # layer 3 of 4 was cut to "yer 3" at 1280x720
        self.grid.setObjectName("timelineGrid")
        self.grid.setToolTip(INSIDE["timeline"])
        self.grid.sigHeadChosen.connect(self._on_grid_head)
        self.slider = JumpSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("timelineSlider")
        self.slider.setToolTip(INSIDE["timeline"])
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._on_slider)
        self.stepLabel = QLabel("No snapshots yet: press Play.", self)
        self.stepLabel.setObjectName("timelineLabel")
        self.stepLabel.setWordWrap(True)  # "Could not write the GIF: <error>" must not widen the window
        self.gifCombo = QComboBox(self)
        self.gifCombo.setObjectName("gifKind")
        self.gifCombo.addItems(["whole grid", "selected head (lines)"])
        self.gifCombo.setToolTip(INSIDE["gif"])
        self.gifButton = QPushButton("Export GIF…", self)
        self.gifButton.setObjectName("gifButton")
        self.gifButton.setToolTip(INSIDE["gif"])
        self.gifButton.setEnabled(False)
        self.gifButton.clicked.connect(self._on_gif)
        self.exportButton = QPushButton("Export table…", self)
        self.exportButton.setObjectName("rolesExport")
        self.exportButton.setToolTip(INSIDE["export"])
        self.exportButton.setEnabled(False)
        self.exportButton.clicked.connect(self._on_export)
        self.caption = QLabel("", self)
        self.caption.setObjectName("rolesCaption")
        self.caption.setWordWrap(True)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        title = FittedLabel(left)  # never wider than its pane, nor a third line over the table at 175 %
        title.set_wordings("<b>What each head does</b> — click a column to sort, a row to open the head",
                           "<b>What each head does</b> — click to sort or open", "<b>What each head does</b>")
        title.setToolTip(INSIDE["roles"])
        title_row = QHBoxLayout()  # the table's export beside its title: beside the GIF's it made the grid's pane
        title_row.addWidget(title, 1)  # too wide for the table's columns at 130 % (QA: 'first' and 'self' cut off)
        title_row.addWidget(self.exportButton)
        QWidget.setTabOrder(self.exportButton, self.table)  # above the table, so before it (keyboard QA: reached last)
        left_layout.addLayout(title_row)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.caption)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(in_scroll_area(self.grid, "timelineGridScroll"), 1)
        slider_row = QHBoxLayout()
        slider_row.addWidget(QLabel("Timeline", right))
        slider_row.addWidget(self.slider, 1)
        right_layout.addLayout(slider_row)
        right_layout.addWidget(self.stepLabel)  # a row of its own: beside the buttons it made the pane too wide
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.gifCombo)
        buttons.addWidget(self.gifButton)
        right_layout.addLayout(buttons)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([520, 420])
        self._user_split = False  # a divider the user dragged stays where they put it
        self.splitter.splitterMoved.connect(lambda *_: setattr(self, "_user_split", True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)

    # ----- data ---------------------------------------------------------------------------------
    def add_snapshot(self, snap: AttentionSnapshot) -> None:
        """A new training snapshot: kept in the timeline; shown at once when the slider is at the end."""
        following = self.slider.value() >= self.slider.maximum()
        self.timeline.add(snap)
        self._timeline_grew(following)

    def set_timeline(self, timeline: SnapshotTimeline) -> None:
        """A past run's saved snapshots (its run folder's), its last one shown: a resumed or undone run continues
        its own timeline (after Undo it read "snapshot 1 of 1")."""
        self.timeline = timeline
        self._timeline_grew(True)

    def _timeline_grew(self, following: bool) -> None:
        """The slider's range over the kept snapshots, and the last one shown where the slider followed the end."""
        n = len(self.timeline)
        if not n:
            return
        self.slider.blockSignals(True)
        self.slider.setRange(0, n - 1)
        if following:
            self.slider.setValue(n - 1)
        self.slider.blockSignals(False)
        self.slider.setEnabled(n > 1)
        self.gifButton.setEnabled(True)
        self.exportButton.setEnabled(True)
        if following:
            self._show(n - 1)
        else:
            self._update_label()

    def clear(self) -> None:
        self.timeline = SnapshotTimeline(self.timeline.capacity)
        self.rows, self.shown, self._dirty = [], None, False
        self.table.setRowCount(0)
        self.grid.clear_grid()
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(False)
        self.gifButton.setEnabled(False)
        self.exportButton.setEnabled(False)
        self.stepLabel.setText("No snapshots yet: press Play.")
        self.caption.setText("")

    def _show(self, index: int) -> None:
        snaps = self.timeline.snapshots
        if not snaps:
            return
        self.shown = snaps[min(index, len(snaps) - 1)].tokens_only()  # as the Attention tab shows it: no padding
        self._update_label()
        if self.isVisible():
            self._draw()
        else:
            # drawn when the tab is shown: a hidden grid's redraw cost ~15 ms of the GUI thread per snapshot
            # while training, time that holds the GIL the training thread needs
            self._dirty = True

    def _update_label(self) -> None:
        snaps = self.timeline.snapshots
        if self.shown is None or not snaps:
            return
        index = self.slider.value()
        # a past snapshot says which step is live (lecturer QA: "step 120" under "Model at step 400" read as one model)
        live = " (live)" if index >= len(snaps) - 1 else f" (past: live is step {snaps[-1].step:,})"
        self.stepLabel.setText(f"step {self.shown.step:,}{live} · snapshot {index + 1} of {len(snaps)}")

    def show_live(self) -> None:
        """The timeline at its end: the model's latest snapshot in the table and grid."""
        self.slider.setValue(self.slider.maximum())  # (no change, no redraw, where it is there already)

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().showEvent(event)
        if self._dirty:
            self._draw()

    def _draw(self) -> None:
        self._dirty = False
        if self.shown is not None:
            self.grid.set_snapshot(self.shown)
        self._fill_table()

    def _fill_table(self) -> None:
        if self.shown is None:
            return
        self.rows = role_table(self.shown.weights, layout=self.shown.layout)
        self._name_columns(patches=self.shown.layout is not None)
        mask = infer_mask(self.shown.weights)  # (once, for the column and the summary)
        # Under a causal mask no query may see a later key, so "next token" is 0 for every head by construction:
        # a column of zeros that looked like a bug. It is hidden for a decoder and the caption says why.
        causal = causal_mask(mask[0])
        self.table.setColumnHidden(COLUMNS.index("next"), causal)
        table = self.table
        header = table.horizontalHeader()
        column, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
        table.setSortingEnabled(False)
        table.blockSignals(True)
        with measured_once(table):
            table.setRowCount(len(self.rows))
            for r, row in enumerate(self.rows):
                values = row.as_dict()
                for c, name in enumerate(COLUMNS):
                    value = values[name]
                    text = str(int(value) + 1) if name in ("layer", "head") else f"{value:.2f}"  # sorts by all digits
                    table.setItem(r, c, NumberItem(float(value), text))
        table.setSortingEnabled(True)
        table.sortItems(column, order)
        table.blockSignals(False)
        self._select_row(*self.selected)
        hidden = " (No 'next' column: a decoder's causal mask hides every later token.)" if causal else ""
        self.caption.setText(f"{len(self.rows)} heads measured on the probe input at step {self.shown.step:,}. "
                             f"{self._summary(*mask)}{hidden}")
        self._give_table_room()

    def _name_columns(self, patches: bool) -> None:
        """The columns' titles and tips, for an image's patches (left and right, not before and after: QA) or a
        text's tokens."""
        titles, tips = measure_words(patches)
        self.table.setHorizontalHeaderLabels([(PATCH_SHORT_TITLES if patches else SHORT_TITLES).get(c, c)
                                              for c in COLUMNS])
        for index, name in enumerate(COLUMNS):
            tip = f"<b>{titles[name]}</b>: {tips[name]}" if name in MEASURES else f"the {name} (counted from 1)"
            self.table.horizontalHeaderItem(index).setToolTip(tip)

    def _give_table_room(self) -> None:
        """The table as wide as its columns where the grid beside it keeps its smallest (QA: at 130 % the columns a
        lesson step names, 'first' and 'self', were past the table's edge with the divider where it started)."""
        if self._user_split:
            return
        table, total = self.table, sum(self.splitter.sizes())
        wanted = (table.horizontalHeader().length() + table.verticalHeader().width() + 2 * table.frameWidth()
                  + table.verticalScrollBar().sizeHint().width())
        room = total - self.splitter.widget(1).minimumSizeHint().width()
        left = max(self.splitter.widget(0).minimumSizeHint().width(), min(wanted, room))
        if total > 0 and left != self.splitter.sizes()[0]:
            self.splitter.setSizes([left, total - left])

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._give_table_room()

    def _summary(self, allowed: np.ndarray, queries: np.ndarray) -> str:
        """The clearest role of any head, of those the table shows (QA: encoder-shift's summary named the most
        previous-token-like head, 0.10, beside a head reading the next token at 0.99; and named one at chance), and
        the most focused head; `allowed` and `queries`, the snapshot's mask (`infer_mask`)."""
        if not self.rows:
            return ""
        # Each role's weight in a head that spreads evenly over the keys each query may see, measured as the role is
        # (review: one baseline for all overrated "previous", whose rows leave out a decoder's first, at weight 1)
        layout = self.shown.layout if self.shown is not None else None
        phrases = ROLE_PHRASES if layout is None else PATCH_PHRASES
        even = head_roles(allowed / np.maximum(allowed.sum(axis=1, keepdims=True), 1), allowed, queries, layout=layout)
        standing = [(getattr(row.roles, role), role, row) for row in self.rows for role in phrases
                    if getattr(even, role) > 0
                    and getattr(row.roles, role) >= max(STANDS_OUT * getattr(even, role), ROLE_FLOOR)]
        if standing:
            value, role, row = max(standing, key=lambda found: found[0])
            clearest = f"Clearest role: layer {row.layer + 1} head {row.head + 1} {phrases[role]} ({value:.2f})"
        else:
            clearest = NO_ROLE[layout is not None]
        focused = min(self.rows, key=lambda r: r.roles.entropy)
        # Heads alike to the table's two decimals have no role yet: naming one contradicted lesson 19.3's "at step 0
        # the eight rows are alike" (QA)
        focus = (f"most focused: layer {focused.layer + 1} head {focused.head + 1} (entropy {focused.roles.entropy:.2f})"
                 if _spread(self.rows, "entropy") >= ALIKE else
                 f"focus: every head alike (entropy {focused.roles.entropy:.2f})")
        return f"{clearest}; {focus}."

    def sorted_by(self) -> str | None:
        """The measure the table is sorted by (None: by layer or head), for a lesson step made from the window."""
        section = self.table.horizontalHeader().sortIndicatorSection()
        name = COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return name if name in MEASURES else None

    def sort_by(self, measure: str) -> None:
        """The table sorted by `measure`, the most first: the smallest entropy (the most focused), else the largest."""
        order = Qt.SortOrder.AscendingOrder if measure == "entropy" else Qt.SortOrder.DescendingOrder
        self.table.sortItems(COLUMNS.index(measure), order)
        self.table.scrollToTop()  # the most first, in view (QA, lesson 19.3 at 130 %: the shown head's row was)

    # ----- selection ----------------------------------------------------------------------------
    def head_at_row(self, row: int) -> tuple[int, int] | None:
        layer_item, head_item = self.table.item(row, 0), self.table.item(row, 1)
        if not isinstance(layer_item, NumberItem) or not isinstance(head_item, NumberItem):
            return None
        return int(layer_item.value), int(head_item.value)

    def _select_row(self, layer: int, head: int) -> None:
        """The head's row highlighted; scrolled to where the table is in layer order, not where it is sorted by a
        measure, whose first rows a sort is for (QA: lesson 19.3's "farthest first" showed layer 1's rows only)."""
        for row in range(self.table.rowCount()):
            if self.head_at_row(row) == (layer, head):
                self.table.blockSignals(True)
                self.table.setAutoScroll(self.sorted_by() is None)
                self.table.selectRow(row)
                self.table.setAutoScroll(True)
                self.table.blockSignals(False)
                return

    def select_head(self, layer: int, head: int) -> None:
        self.selected = (layer, head)
        self.grid.select(layer, head)
        self._select_row(layer, head)

    def _on_cell(self, row: int, _column: int) -> None:
        head = self.head_at_row(row)
        if head is None:
            return
        self.select_head(*head)
        self.sigHeadChosen.emit(*head)

    def _on_grid_head(self, layer: int, head: int) -> None:
        self.select_head(layer, head)
        self.sigHeadChosen.emit(layer, head)

    def _on_slider(self, value: int) -> None:
        self._show(value)

    # ----- export -------------------------------------------------------------------------------
    def export_gif(self, path: str | Path, kind: str = "grid",
                   progress: Callable[[int, int], None] | None = None) -> Path:
        """The kept snapshots as an animated GIF: the whole grid, or the selected head as lines (`progress`: see
        canvas.save_gif)."""
        from playground.viz.canvas import save_gif
        from playground.viz.views import evolution_frames

        snaps = self.timeline.snapshots
        layer, head = self.selected
        if kind == "grid":
            frames = evolution_frames(snaps, "grid")
        else:
            frames = evolution_frames(snaps, "lines", layer=layer, head=head)
        return save_gif(frames, path, progress=progress)

    def _on_gif(self) -> None:
        kind = "grid" if self.gifCombo.currentIndex() == 0 else "lines"
        layer, head = self.selected
        name = "attention-evolution" if kind == "grid" else f"head-L{layer + 1}H{head + 1}-evolution"
        path = ask_gif_path(self, name)
        if path is None:
            return
        # Painting a frame per snapshot takes seconds to tens of seconds: say how far it got, and let it be stopped.
        dialog = QProgressDialog(f"Writing {path.name}…", "Cancel", 0, 1, self)
        dialog.setObjectName("gifProgress")
        dialog.setWindowTitle("Export GIF")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)

        def progress(done: int, total: int) -> None:
            dialog.setMaximum(total)
            dialog.setValue(done)  # a modal dialog handles the events meanwhile (a click on Cancel included)
            if dialog.wasCanceled():
                raise _Cancelled

        try:
            target = self.export_gif(path, kind, progress)
            self.stepLabel.setText(f"Saved {target} ({len(self.timeline)} frames).")
        except _Cancelled:
            self.stepLabel.setText("GIF export cancelled: nothing was written.")
        except (OSError, ValueError) as err:
            self.stepLabel.setText(f"Could not write the GIF: {err}")
        finally:
            dialog.close()

    def export(self, path: str | Path) -> Path:
        from playground.viz.views import render_roles

        if not self.rows and self.shown is not None:
            self._fill_table()
        step = self.shown.step if self.shown is not None else 0
        patches = self.shown is not None and self.shown.layout is not None
        figure = render_roles(self.rows, title=f"What each head does, step {step:,}", highlight=self.selected,
                              patches=patches)
        return figure.save(path)

    def _on_export(self) -> None:
        export_asked(self, "Export the head roles", "head-roles", True, self.export)


class _Cancelled(Exception):
    """The user pressed Cancel in the GIF export's progress dialog."""
