"""The Runs tab: past runs from the runs folder; select several to overlay their loss curves; rename,
delete, reopen (its settings into the controls) and resume (continue training from its checkpoint).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFontMetricsF, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.differences import MAX_NAMED, NAME_SEPARATOR, why_not_compared
from playground.core.files import UnreadableFile
from playground.core.messages import counted, loss_text
from playground.core.presets import PRETRAINED_TITLE
from playground.core.spec import FAMILY_TITLES, FIELD_TITLES
from playground.training.run_labels import WHOLE_DATE, run_labels, run_spec, started_text
from playground.training.runs import (
    RunsError,
    RunSummary,
    delete_run,
    list_runs,
    read_metrics,
    rename_run,
    run_name_problem,
)
from playground.ui.loss_panel import LossPanel, overlay_pen
from playground.ui.plotting import elided_name, follow_font, line_swatch
from playground.ui.screen_fit import resize_within_screen
from playground.ui.status_bar import capitalised
from playground.ui.tensorboard_launch import TensorBoard
from playground.ui.theme import ring_focused_button, tint
from playground.ui.tooltips import RUNS_TABLE_KEYS

MAX_OVERLAYS = 8
COLUMNS = ("Name", "Family", "Steps", "Val loss", "Started")
STEPS_COLUMN, VAL_COLUMN = COLUMNS.index("Steps"), COLUMNS.index("Val loss")
STARTED_COLUMN = COLUMNS.index("Started")
OVERLAID = "overlaid on the plots"
SWATCH_PEN = 2  # px: the overlay's 1-px dashes were too thin to tell apart in a table row (at 3 the longest dash
# filled the swatch)
DONE_MS = 10_000  # how long "Renamed to …" and "Deleted 2 runs." stay under the table
TIPS = {
    "table": "Every training run of the window and of `playground train` keeps a folder here: preset, metrics.csv, "
             "TensorBoard events and checkpoint. Select several runs (Ctrl/Shift-click) to overlay their training "
             "loss (dashed lines) and validation loss (dots) in the loss plot, and their validation accuracy beside it.",
    "refresh": "Read the runs folder again.",
    "rename": "Give the selected run a new display name (its folder keeps its name).",
    "delete": "Delete the selected runs' folders, checkpoints included (asks first).",
    "reopen": "Load the selected run's settings into the controls, to train a new run like it.",
    "resume": "Continue the selected run from its last checkpoint, in its own folder: the loss curve goes on "
              "where it stopped. A finished run opens at its last step, its trained model in every view.",
    "tensorboard": "Open every run here in TensorBoard, in your browser: losses, learning rate, the settings changed "
                   "mid-run and attention images, run beside run (served from this computer only; it stops with "
                   "the window).",
}


class _Sorted(QTableWidgetItem):
    """A cell that sorts by `key` (a number where the text is one: "1,500" before "20" as text), then by its text."""

    def __init__(self, text: str, key: Any) -> None:
        super().__init__(text)
        self.key = key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, _Sorted):
            return (self.key, self.text()) < (other.key, other.text())
        return super().__lt__(other)


class _NameDelegate(QStyledItemDelegate):
    """A run's name cut in its shared head, what tells it apart kept whole, as the loss plot's legend does: cut in the
    middle, lesson 19.4's three runs read "Lesson 19.4: the enc…nnections off" at 130 % and "Le…to" at 175 %."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802 - Qt override
        super().initStyleOption(option, index)
        style = option.widget.style() if option.widget is not None else QApplication.style()
        margin = 2 * (style.pixelMetric(style.PixelMetric.PM_FocusFrameHMargin) + 1)
        if option.features & QStyleOptionViewItem.ViewItemFeature.HasDecoration:  # an overlaid run's swatch
            margin += option.decorationSize.width() + margin
        option.text = elided_name(option.text, QFontMetricsF(option.font), option.rect.width() - margin)


def ask_name(parent: QWidget, current: str, shown: str = "") -> str | None:
    """A new name for a run named `current`, listed as `shown`, or None when cancelled (a function so tests can
    answer it)."""
    dialog = rename_dialog(parent, current, shown)
    try:
        return dialog.textValue() if dialog.exec() == QInputDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


class _RenameDialog(QInputDialog):
    """OK (or Enter) with a name no run may have (blank, too long) keeps the question open and says why (QA: it closed,
    and the refusal came under the table, the name to be typed again from the start)."""

    def __init__(self, parent: QWidget | None, prompt: str) -> None:
        super().__init__(parent)
        self.setLabelText(prompt)
        self.textValueChanged.connect(lambda _text: self.setLabelText(prompt))  # what was said, gone with the typing

    def done(self, result: int) -> None:
        problem = run_name_problem(self.textValue()) if result == QDialog.DialogCode.Accepted else ""
        if problem:
            self.setLabelText(f"{capitalised(problem)}.")
            return
        super().done(result)


NEW_NAME = "New name:"


def rename_dialog(parent: QWidget | None, current: str, shown: str = "") -> QInputDialog:
    """The rename question, wide enough for the name it starts from, within the screen (data QA: "oder (GPT-like) on
    english.txt" in Qt's default width). It starts from the run's own name, and says how the list tells it from runs
    of the same name where it does (QA: it started from the row's "twin — started 21:15:17", which OK then stored;
    an earlier QA: without "— number of heads 4", which run it renamed was unsaid)."""
    prompt = NEW_NAME if not shown or shown == current else f"Listed as “{shown}”.\n{NEW_NAME}"
    dialog = _RenameDialog(parent, prompt)
    dialog.setWindowTitle("Rename run")
    dialog.setTextValue(current)
    wide = dialog.fontMetrics().horizontalAdvance(current) + 12 * dialog.fontMetrics().averageCharWidth()
    hint = dialog.sizeHint()
    resize_within_screen(dialog, QSize(max(hint.width(), wide), hint.height()))
    return dialog


LISTED_RUNS = 5  # in the delete question, at most: ten long names at 250 % pushed its buttons off a 720-px screen


def confirm_delete(parent: QWidget, names: list[str], undo_note: str = "") -> bool:
    """Ask before deleting (`undo_note`: what Undo then no longer brings back); a function so tests can answer it."""
    more = len(names) - LISTED_RUNS
    listed = "\n".join(f"  • {n}" for n in names[:LISTED_RUNS]) + (f"\n  … and {more} more" if more > 0 else "")
    buttons = QMessageBox.StandardButton
    what = "1 run folder with its checkpoint" if len(names) == 1 else f"{len(names)} run folders with their checkpoints"
    box = QMessageBox(QMessageBox.Icon.Question, "Delete runs", f"Delete {what} and metrics?\n{listed}\nThis cannot be "
                      f"undone.{undo_note}", buttons.Yes | buttons.Cancel, parent)
    box.setDefaultButton(buttons.Cancel)
    ring_focused_button(box)
    try:
        return box.exec() == buttons.Yes
    finally:
        box.deleteLater()


def _undo_note(kept: int, chosen: int) -> str:
    """The delete question's word on the models Undo keeps among the runs (QA: deleting the run that Reset had just
    said Undo brings back disabled Undo without a word)."""
    if not kept:
        return ""
    which = "its trained model" if chosen == 1 else "their trained models" if kept == chosen else \
        "the trained model of one of them" if kept == 1 else f"the trained models of {kept} of them"
    return f" Undo (Ctrl+Z) then no longer brings back {which}."


# The settings that tell a lesson's runs apart, as the legend names them beside the plot: "residual connections on,
# LayerNorm placement post" was cut to "residual connections o…" at 175 %, on or off the point of the lesson (QA).
# (The table keeps the settings' whole titles.)
LEGEND_TITLES = {FIELD_TITLES[key]: short for key, short in (
    ("model.residual", "residuals"), ("model.norm", "LayerNorm"), ("model.pos_encoding", "positions"),
    ("model.scale_scores", "scaling"), ("model.causal", "mask"), ("model.n_head", "heads"),
    ("model.n_layer", "layers"), ("model.n_embd", "embedding"), ("model.d_ff", "d_ff"), ("train.lr", "lr"))}


def legend_part(label: str, shared: str) -> str:
    """A run's `label` as the legend names it beside runs of the name `shared`: what sets it apart, in its words."""
    return legend_words(label.removeprefix(f"{shared}{NAME_SEPARATOR}"))


def legend_words(apart: str) -> str:
    """What sets a run apart ("residual connections on, LayerNorm placement post") in the legend's words
    ("residuals on, LayerNorm post")."""
    parts = []
    for part in apart.split(", "):
        title = next((title for title in LEGEND_TITLES if part.startswith(f"{title} ")), None)
        parts.append(part if title is None else LEGEND_TITLES[title] + part.removeprefix(title))
    return ", ".join(parts)


def metric_curves(folder: Path, *columns: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(steps, values) of each of `columns` of a run's metrics.csv, the rows with a finite value only; empty arrays
    when it has none."""
    curves: list[tuple[list[int], list[float]]] = [([], []) for _ in columns]
    try:
        rows = read_metrics(folder)
    except UnreadableFile:
        rows = []
    for row in rows:
        for column, (steps, values) in zip(columns, curves):
            try:
                step, value = int(row["step"]), float(row[column])
            except (KeyError, TypeError, ValueError):  # ("" where a step had no evaluation)
                continue
            if np.isfinite(value):
                steps.append(step)
                values.append(value)
    return [(np.asarray(steps, dtype=float), np.asarray(values, dtype=float)) for steps, values in curves]


class RunsPanel(QWidget):
    sigReopen = Signal(object)  # Path of a run folder
    sigResume = Signal(object)
    sigDeleted = Signal()  # runs were deleted: a model kept for Undo may be among them
    sigRenamed = Signal(object, str)  # a run's folder (Path) and the name the user gave it

    def __init__(self, loss: LossPanel, root: Callable[[], Path], is_busy: Callable[[Path], bool] = lambda p: False,
                 on_screen: Callable[[Path], bool] = lambda p: False, parent: QWidget | None = None,
                 live_step: Callable[[Path], int] = lambda p: 0,
                 keeps_for_undo: Callable[[Path], bool] = lambda p: False) -> None:
        super().__init__(parent)
        self.setObjectName("runsPanel")
        self.loss = loss
        self.root = root
        self.is_busy = is_busy  # a run trained or still saving: not deleted
        self.keeps_for_undo = keeps_for_undo  # whether Undo (or Redo) would bring back a run's model
        self.on_screen = on_screen  # the run whose curve the plot draws: not overlaid on it
        self.live_step = live_step  # the step a run training in this window is at (0: none), past its last save
        self.runs: list[RunSummary] = []
        self.labels: dict[Path, str] = {}  # each listed run's name, told apart from others of the same name
        self._styles: dict[Path, int] = {}  # each run's overlay colour, kept as others join (QA: they changed)
        self._swatched: dict[Path, int] = {}  # the overlaid runs' styles, their swatches drawn in the table
        self.tensorboard = TensorBoard(self)
        self.tensorboard.sigServing.connect(lambda url, opened: self.say_done(
            f"TensorBoard shows every run at {url} " + ("(opening in your browser: if none opens, open that address "
                                                        "in one)." if opened else
                                                        "(no browser opened here: open that address in one).")))
        self.tensorboard.sigFailed.connect(lambda why: self.say(why, "error"))

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("runsTable")
        self.table.setToolTip(TIPS["table"])
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrow keys move in it)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        # One line a run, cut in the middle: a wrapped name overflowed its row, and its end tells runs apart.
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setItemDelegateForColumn(0, _NameDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        # Sorted by a click on a column's title (QA: a teacher with many runs could not find the best one), newest
        # first to begin with
        header.setSortIndicator(STARTED_COLUMN, Qt.SortOrder.DescendingOrder)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.reopen())

        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("refresh", "Refresh", self._refresh_pressed), ("rename", "Rename…", self.rename),
                                ("delete", "Delete…", self.delete), ("reopen", "Reopen", self.reopen),
                                ("resume", "Resume", self.resume),
                                ("tensorboard", "TensorBoard", self.open_tensorboard)):
            button = QPushButton(text, self)
            button.setObjectName(f"{key}RunButton")
            button.setToolTip(TIPS[key] + (f" ({RUNS_TABLE_KEYS[key]} in the table)" if key in RUNS_TABLE_KEYS else ""))
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[key] = button
        buttons.addStretch(1)
        QWidget.setTabOrder(self.buttons["resume"], self.table)  # the buttons stand above the table, made first
        for key, shortcut in RUNS_TABLE_KEYS.items():  # (QA: Delete and F2 did nothing in the table)
            action = QAction(self.table)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(self.buttons[key].click)  # (nothing, as the button is greyed, without a run)
            self.table.addAction(action)
        self.message = QLabel(self)
        self._done = ""  # the last action's words (say_done), until its timer clears them
        self._chosen_said = ""  # what the selection's runs were said to be, gone with the selection
        self._refused = ""  # the last refusal said, kept through a refresh that keeps its runs selected
        self._busy_said: tuple[str, list[Path]] = ("", [])  # a refusal to delete runs being trained, and those runs
        self._apart: dict[tuple[Path, Path, str], str] = {}  # why two runs' losses share no scale ("" where they do)
        self._done_timer = QTimer(self)
        self._done_timer.setSingleShot(True)
        self._done_timer.timeout.connect(self._forget_done)
        self.message.setObjectName("runsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        # Two lines held for what is said: a line more or less moved the table's rows under the pointer (QA: a click
        # landed on the row below the one aimed at)
        follow_font(self.message, lambda: self.message.setMinimumHeight(
            math.ceil(2 * self.message.fontMetrics().lineSpacing())))
        follow_font(self.table, lambda: self._show_swatches(self._swatched))  # (review: they kept the last zoom's size)
        self._update_buttons()

    # ----- listing -------------------------------------------------------------------------------
    def _refresh_pressed(self) -> None:
        """Refresh (the button): the list as the runs folder holds it now, and what was said of the old one gone (QA:
        "This run's folder is gone…" stood under the new list)."""
        self.say("")
        self.refresh()

    def refresh(self) -> None:
        selected, refused = {r.folder for r in self.selected()}, self._refused
        self.runs = list_runs(self.root())
        self.labels = run_labels(self.runs)
        table = self.table
        with _blocked(table):
            table.setSortingEnabled(False)  # (else each cell set would move its row)
            table.clearSelection()
            table.setRowCount(len(self.runs))
            for row, run in enumerate(self.runs):
                val = _loss_text(run.val_loss)
                started = started_text(run.created)
                label = self.labels[run.folder]
                when = time.strftime(WHOLE_DATE, time.localtime(run.created))
                family = _family_words(run.family)
                tip = (f"{label}\n{family}, started {when}\n{run.folder}\n"
                       f"{'checkpoint saved' if run.has_checkpoint else 'no checkpoint'}"
                       + (f", {run.status}" if run.status else ""))  # the whole name, where the row elides it
                # (QA: its last checkpoint's 500 steps beside the train bar's 655)
                steps = max(run.steps, self.live_step(run.folder))
                keys = (label.lower(), run.family, steps, math.inf if run.val_loss is None else run.val_loss,
                        run.created)
                short = family.split(" (")[0]  # "Decoder" in its column: the names need the room (lecturer QA)
                live = self.on_screen(run.folder)  # in bold, said so (QA: nothing marked the run on screen)
                for col, (text, key) in enumerate(zip((label, short, f"{steps:,}", val, started), keys,
                                                       strict=True)):
                    item = _Sorted(text, key)
                    item.setData(Qt.ItemDataRole.UserRole, str(run.folder))
                    item.setToolTip(f"{tip}\nthe run on screen" if live else tip)
                    if live:
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                    if col >= 2:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    table.setItem(row, col, item)
            table.setSortingEnabled(True)
            self.select_folders(list(selected))
        self._on_selection()
        if refused and {r.folder for r in self.selected()} == selected:  # a refusal stays beside its runs (QA: File >
            self.say(refused, "error")  # Resume Previous Run's went as this tab showed, and read "1 run overlaid")
        empty = f"No runs yet in {self.root()}: every training run you start appears here."
        if not self.runs:
            self.say(empty)
        elif self.message.text() == empty:
            self.say("")  # (QA: it stood under the two runs listed since)
        said, folders = self._busy_said
        if said and self.message.text() == said and not any(map(self.is_busy, folders)):
            self.say("")  # no longer so (QA: "… is the run being trained: press Reset first" stood after Reset)

    def follow_live(self, folder: Path, step: int, val_loss: float | None) -> None:
        """The Steps of the run training on screen, and its last validation loss (None: none new), as it trains (QA:
        "1" at step 50, and at step 149, and "–" after two evaluations, until Refresh)."""
        table = self.table
        row = next((row for row in range(table.rowCount()) if self._folder_at(row) == folder), None)
        if row is None:
            return
        cells = ((table.item(row, STEPS_COLUMN), step, f"{step:,}"),  # (both taken before the row can move)
                 (table.item(row, VAL_COLUMN), val_loss, _loss_text(val_loss)))
        for item, key, text in cells:
            if key is not None and isinstance(item, _Sorted) and key != item.key:
                item.key = key  # (first: the sorted table moves the row as its text is set)
                item.setText(text)

    def _folder_at(self, row: int) -> Path | None:
        """The run folder of the table's `row` (rows move when sorted: never an index into self.runs)."""
        item = self.table.item(row, 0)
        return None if item is None else Path(item.data(Qt.ItemDataRole.UserRole))

    def selected(self) -> list[RunSummary]:
        """The selected runs, top to bottom as the table shows them."""
        by_folder = {run.folder: run for run in self.runs}
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [by_folder[folder] for folder in map(self._folder_at, rows) if folder in by_folder]

    def select_newest_of(self, name: str) -> int:
        """Overlay the newest run of each setting among the runs listed named `name` (a lesson's: its step that
        compares them asked the lecturer to Ctrl+click each, QA); how many were selected. The list is the one the
        tab read as it was shown."""
        newest: dict[str, RunSummary] = {}
        for run in sorted((run for run in self.runs if run.name == name), key=lambda run: run.created):
            newest[self.labels[run.folder]] = run
        self.select_folders([run.folder for run in newest.values()])
        return len(newest)

    def select_folders(self, folders: list[Path]) -> None:
        wanted = {Path(f) for f in folders}
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row in range(self.table.rowCount()):
            if self._folder_at(row) in wanted:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def open_tensorboard(self) -> None:
        """TensorBoard on the runs folder, in the browser (started the first time: a few seconds)."""
        if not self.tensorboard.url:
            self.say(f"Starting TensorBoard on {self.root()}… it opens in your browser in a few seconds.")
        self.tensorboard.open(self.root())

    def say(self, text: str, level: str = "info") -> None:
        tint(self.message, "error" if level == "error" else "info")
        self.message.setText(text)
        self._refused = text if level == "error" else ""

    def say_done(self, text: str) -> None:
        """What an action did, for DONE_MS from the last one (lecturer QA: "Deleted 1 run." stood there through
        later Undos and exports)."""
        self.say(text)
        self._done = text
        self._done_timer.start(DONE_MS)  # (one timer: a second action's words get their whole time)

    def _forget_done(self) -> None:
        if self.message.text() == self._done:  # not what something said since
            self.say("")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    # ----- overlay -------------------------------------------------------------------------------
    def _on_selection(self) -> None:
        self._update_buttons()
        self.loss.clear_overlays()
        chosen = self.selected()
        shown = 0
        # Runs of one name (a lesson's): the legend names only what sets each apart; the shared name, which cut
        # their labels to "Lesson …nt none" in a lesson's short plot (QA), is said once in the message below.
        shared = chosen[0].name if chosen and all(run.name == chosen[0].name for run in chosen) else None
        # The run on screen is drawn already: overlaid, its copy lay over its live curve, one step behind (QA)
        live = [run for run in chosen if self.on_screen(run.folder)]
        drawn = [run for run in self.runs if self.on_screen(run.folder)][:1]  # its curve is on the plot, chosen or not
        empty = []  # chosen runs with no loss to draw
        swatches: dict[Path, int] = {}  # the overlaid runs' styles
        for run in [run for run in chosen if run not in live][:MAX_OVERLAYS]:
            (steps, losses), validation, accuracy = metric_curves(run.folder, "train_loss", "val_loss", "val_accuracy")
            if not len(steps):
                empty.append(run)
                continue
            drawn.append(run)
            name = self.labels.get(run.folder, run.name)
            if shared is not None and len(chosen) > 1:
                name = legend_part(name, shared)
            name = name if name not in self.loss.overlays else f"{name} ({run.folder.name})"
            swatches[run.folder] = self._styles.setdefault(run.folder, len(self._styles))
            self.loss.add_overlay(name, steps, losses, swatches[run.folder], accuracy, validation)
            shown += 1
        self._show_swatches(swatches)
        self.loss.name_live_run(self._live_label(shared, [run for run in drawn if not self.on_screen(run.folder)])
                                if shown else "")
        if chosen:
            others = len(chosen) - len(live)
            more = f" (the first {MAX_OVERLAYS} of {others})" if others > MAX_OVERLAYS else ""
            of = f" of “{shared}”" if shared is not None and shown > 1 else ""
            said = [f"{shown} run{'s' if shown != 1 else ''}{of} {OVERLAID}{more}; clear the selection to remove "
                    f"them."] if shown else []
            said += [self._no_curve(run) for run in empty[:1]]  # (QA: a deleted run's "0 runs overlaid on the plots")
            if self.loss.val_overlays:  # (the legend has one entry a run: its line)
                said.append("Dots in a run's colour are its validation loss.")
            if live:
                said.append(f"“{self.labels.get(live[0].folder, live[0].name)}” is the run on screen: its curves are "
                            f"drawn already.")
            elif len(chosen) == 1 and not chosen[0].has_checkpoint and chosen[0].folder.is_dir():  # why Resume is
                # greyed (QA: no word of it); a folder gone has nothing to reopen either (review)
                said.append("It has no checkpoint (none saved yet, or removed), so it cannot resume: Reopen trains "
                            "a new run like it.")
            self._chosen_said = " ".join(said + [self._not_one_scale(drawn)]).strip()
            self.say(self._chosen_said)
        elif self._chosen_said and self.message.text() == self._chosen_said:
            self.say("")  # none chosen now; what an action said stays (review: "“X” is gone…" stayed)

    def _show_swatches(self, styles: dict[Path, int]) -> None:
        """A line in each overlaid run's colour and dashes before its name, as the legend draws it: the row and its
        curve matched at a glance (session 49's QA: the legend alone was the key). Drawn again as the zoom changes."""
        self._swatched = styles
        table = self.table
        height = round(QFontMetricsF(table.font()).height())
        size = QSize(round(1.5 * height), height)  # (the font's height; wider, it took a name's room)
        table.setIconSize(size)
        cells = [(table.item(row, 0), self._folder_at(row)) for row in range(table.rowCount())]
        with _blocked(table):
            for item, folder in cells:
                style = styles.get(folder) if folder is not None else None
                icon = None if style is None else line_swatch(overlay_pen(style, width=SWATCH_PEN), size,
                                                               table.devicePixelRatioF())
                item.setData(Qt.ItemDataRole.DecorationRole, icon)

    def _no_curve(self, run: RunSummary) -> str:
        """Why a chosen run draws nothing on the plot."""
        name = f"“{self.labels.get(run.folder, run.name)}”"
        if not run.folder.is_dir():
            return f"{name} is gone: its folder was moved or deleted since it was listed (Refresh lists the runs now)."
        return f"{name} has no loss to draw: it has trained no step yet, or its metrics.csv is gone."

    def _not_one_scale(self, drawn: Sequence[RunSummary]) -> str:
        """Where runs drawn on the plot learn another task than the first (the one on screen if any), that their
        losses share the axis but not a scale, else "" (QA: a BERT run's curves overlaid on a ViT's, unsaid): one such
        run with why, several named (MAX_NAMED, the rest counted; one pair was named where several differed, QA)."""
        names = [f"“{self.labels.get(run.folder, run.name)}”" for run in drawn]
        whys = [(name, why) for run, name in zip(drawn[1:], names[1:])
                if (why := self._why_apart(drawn[0].folder, run.folder, f"{names[0]} and {name}"))]
        if len(whys) == 1:
            return f"{whys[0][1]}: their losses share the axis, not a scale."
        if not whys:
            return ""
        listed = [name for name, _why in whys[:MAX_NAMED]]
        others = (f"{', '.join(listed)} and {counted(len(whys) - MAX_NAMED, 'more run')}" if len(whys) > MAX_NAMED else
                  " and ".join(listed))
        return f"{names[0]} learns from other data or another task than {others}: their losses share the axis, not a scale."

    def _why_apart(self, first: Path, other: Path, names: str) -> str:
        """`why_not_compared` of two runs' settings, asked once a pair: it reads their data (a text whole), on the
        window's thread at each selection (review)."""
        key = (first, other, names)
        if key not in self._apart:
            a, b = run_spec(first), run_spec(other)
            self._apart[key] = "" if a is None or b is None else why_not_compared(a, b, names)
        return self._apart[key]

    def _live_label(self, shared: str | None, overlaid: Sequence[RunSummary]) -> str:
        """The run on screen as the legend names it beside the `overlaid` past runs ("" where it is not in the table
        yet): without the name the overlays share, as theirs are; told from a run of its name by when it started only
        where one is overlaid (lecturer QA, 130 %: "train — … — started 00:38:44" beside a run of another name)."""
        run = next((run for run in self.runs if self.on_screen(run.folder)), None)
        if run is None:
            return ""
        label = self.labels.get(run.folder, run.name) if any(o.name == run.name for o in overlaid) else run.name
        return legend_part(label, shared) if shared is not None and run.name == shared else label

    def _update_buttons(self) -> None:
        n = len(self.selected())
        self.buttons["rename"].setEnabled(n == 1)
        self.buttons["delete"].setEnabled(n >= 1)
        self.buttons["reopen"].setEnabled(n == 1)
        self.buttons["resume"].setEnabled(n == 1 and self.selected()[0].has_checkpoint)

    # ----- actions -------------------------------------------------------------------------------
    def rename(self) -> None:
        chosen = self.selected()
        if len(chosen) != 1:
            self.say("Select one run to rename.", "error")
            return
        run = chosen[0]
        name = ask_name(self, run.name, self.labels.get(run.folder, run.name))
        if name is None or name.strip() == run.name:  # (unchanged: "Renamed to" its own name said nothing true)
            return
        try:
            rename_run(chosen[0].folder, name)
        except RunsError as err:
            self.say(capitalised(str(err)), "error")
            return
        self.refresh()
        self.say_done(f"Renamed to “{name.strip()}”.")
        self.sigRenamed.emit(chosen[0].folder, name.strip())

    def delete(self) -> None:
        chosen = self.selected()
        if not chosen:
            self.say("Select the runs to delete.", "error")
            return
        busy = [r for r in chosen if self.is_busy(r.folder)]
        if busy:
            self.say(f"“{busy[0].name}” is the run being trained: press Reset first, then delete it.", "error")
            self._busy_said = (self.message.text(), [r.folder for r in busy])
            return
        # As the table tells them apart, with their steps and start (QA: "Decoder reverses a sequence" alone, for one
        # of three runs of that preset)
        described = [f"{self.labels.get(r.folder, r.name)} ({counted(r.steps, 'step')}, started {started_text(r.created)})"
                     for r in chosen]
        if not confirm_delete(self, described, _undo_note(sum(self.keeps_for_undo(r.folder) for r in chosen),
                                                          len(chosen))):
            return
        errors = []
        for run in chosen:
            try:
                delete_run(run.folder, self.root())
            except (RunsError, OSError) as err:
                errors.append(str(err))
        self.table.clearSelection()
        self.refresh()
        if len(errors) < len(chosen):
            self.sigDeleted.emit()
        if errors:
            self.say(errors[0], "error")
        else:
            self.say_done(f"Deleted {len(chosen)} run{'s' if len(chosen) > 1 else ''}.")

    def reopen(self) -> None:
        chosen = self.selected()
        if len(chosen) == 1:
            self.sigReopen.emit(chosen[0].folder)

    def resume(self) -> None:
        chosen = self.selected()
        if len(chosen) != 1:
            return
        if not chosen[0].has_checkpoint:
            self.say(f"“{chosen[0].name}” has no checkpoint to resume from.", "error")
            return
        self.sigResume.emit(chosen[0].folder)


class _blocked:
    """Block a widget's signals for a `with` block."""

    def __init__(self, widget: QWidget) -> None:
        self.widget = widget

    def __enter__(self) -> None:
        self._was = self.widget.blockSignals(True)

    def __exit__(self, *exc: object) -> None:
        self.widget.blockSignals(self._was)


def _loss_text(loss: float | None) -> str:
    """A Val loss cell's text, listed or followed live alike ("–": none logged yet)."""
    return "–" if loss is None else loss_text(loss)


def _family_words(shown: str) -> str:
    """A run's family as the window names it elsewhere ("Decoder (GPT-like)"), not its key (QA: "vit",
    "pretrained minilm")."""
    return PRETRAINED_TITLE if shown.startswith("pretrained ") else FAMILY_TITLES.get(shown, shown)
