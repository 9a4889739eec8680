"""Compare A/B (issue 24): the main window's settings (A) and a changed copy of them (B), trained side by side.

B's settings panel starts as a copy of A's; change anything in it, press Play, and both train from the same start
(`playground.training.compare`: A's seed, the same batches, A's initial weights wherever B has a weight of the
same name and shape), each on its own TrainingWorker thread. A timer pulls both buffers a few times a second into
one loss plot (A blue, B orange, the legend naming what differs) and two attention grids side by side. Closing the
window stops both threads and waits for them. The two threads take turns, one event at a time, each with its own
dropout randomness: identical settings draw identical curves, as with `playground compare`.
"""

from __future__ import annotations

import html
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QFont, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from playground.core.differences import difference_line, differences, last_gap_line, why_not_compared
from playground.core.files import file_words
from playground.core.spec import MAX_PRESET_NAME, RunSpec
from playground.training.events import MetricsEvent
from playground.ui.attention_grid import AttentionGrid, in_scroll_area
from playground.ui.compare_labels import DifferenceTitle, fit_pair_legend, full_label
from playground.ui.config_panel import ConfigPanel
from playground.ui.exporting import export_asked, export_plot
from playground.ui.focus_ring import FocusRing, RingsTabFocus
from playground.ui.loss_panel import LEGEND_CELL, LEGEND_SLACK, LossFrame, Series, show_lone_point, unbounded_curve
from playground.ui.plotting import follow_font, follow_resize, font_scale, legend_below, no_tab_stop, style_axes
from playground.ui.screen_fit import FitsScreenWhenFramed, fit_to_screen, resize_within_screen
from playground.ui.status_bar import STATUS_MS
from playground.ui.text_dialog import ask_go_or_keep, show_table
from playground.ui.tooltips import COMPARE_SHORTCUTS, TIPS
from playground.ui.worker import TrainingWorker
from playground.viz.colors import readable_on

REFRESH_MS = 250  # both buffers are pulled 4 times a second
SETTLE_MS = 100  # how often a change of B made with the mouse checks whether its button was let go
NBSP = "\u00a0"  # a no-break space
MAX_LEAD = 5  # steps one side may run ahead of the other before it waits (B may be smaller, hence faster)
SIDES = ("A", "B")
B_SUFFIX = " (B)"  # B's name: A's, cut where the two would be past a name's length (review: Compare did not open)
COLOURS = ("#1f77b4", "#ff7f0e")  # A blue, B orange (`playground compare` draws its figure in the same)
VAL_RINGS = ("#0b3a5c", "#8a4300")  # darker tones of the two, round each side's validation dots
TITLE_CONTRAST = 4.5  # WCAG's ratio for text: the sides' titles in their colours, on either look
INTRO = ("<b>A</b> has the main window's settings as they were when this opened. <b>B</b> {b}: change what you "
         "want to compare, then press Play. Both train from the same start (seed, batches, and A's initial weights "
         "wherever the shapes match).")
B_NEW, B_KEPT = "starts as a copy", "is as you left it"  # (QA: "starts as a copy" above a B kept from before)
HOVER_HINT = "Hover a heatmap to read a weight: query row, key column."
# The main window's actions that zoom (its View menu): the same actions here, so the two windows keep one zoom.
ZOOM_ACTIONS = ("presentAction", "zoomInAction", "zoomOutAction", "zoomResetAction")
GAP_TIP = ("The validation loss is measured on the same held-out data for A and B, at the same steps: the fair "
           "number to compare (the training loss jumps from batch to batch).")
PLOT_TIP = ("A's and B's loss on one plot: lines are the training loss at every step, dots the validation loss. "
            "Both started from the same weights and see the same batches, so the gap is what the change does.")


@dataclass(frozen=True)
class Clearing:
    """An action that throws a comparison's curves away, in the words of the question asked before it."""

    title: str
    consequence: str  # follows "A comparison is not saved…: "
    button: str  # the button that goes ahead


CLOSING = Clearing("Close Compare A/B?", "closing it clears both curves.", "Close the comparison")
CHANGING_B = Clearing("Change B's settings?", "changing B's settings restarts both and clears both curves.",
                      "Change B and restart")
RESETTING = Clearing("Reset A and B?", "resetting restarts both from step 0 and clears both curves.", "Reset both")
# Quit with a comparison that has trained: asked before the main window's questions, and closed only once they agree
# too (QA: "Keep comparing", asked after "Quit while training?" was answered Quit, cancelled the quit unsaid)
QUITTING = Clearing("Quit and close Compare A/B?", "quitting closes it and clears both curves.", "Quit")
# Compare A/B asked for again on other settings (QA: it asked "Close Compare A/B?" and said nothing of the new one)
REPLACING = Clearing("Compare the new settings?", "a comparison of the main window's settings now takes its place "
                     "and clears both curves.", "Compare the new settings")


def ask_close_comparison(parent: QWidget, step: int, clearing: Clearing = CLOSING,
                         exported: tuple[Path, int] | None = None) -> bool:
    """Go on with `clearing` a comparison that has trained? Keeping it is the default, so a stray Escape or Enter
    loses nothing; a function so tests can answer it. `exported`: the picture its loss plot was last saved as, and
    the step it reached (QA: "A comparison is not saved" right after Export plot… had saved it)."""
    if exported is None:
        kept = "A comparison is not saved (Export plot… keeps its loss plot as a picture)"
    else:
        since = "" if exported[1] >= step else "; the steps since are not (Export plot… again)"
        kept = f"The comparison's loss plot to step {exported[1]:,} is saved as {exported[0].name}{since}"
    return ask_go_or_keep(parent, clearing.title, f"A and B have trained {step:,} step{'s' if step != 1 else ''}. "
                          f"{kept}: {clearing.consequence}", clearing.button, "Keep comparing")


class PairStart:
    """Builds A's and B's sessions together, once, on whichever worker thread asks first (building seeds torch's
    global generator, so two builds must not overlap), and hands each worker its own."""

    def __init__(self, spec_a: RunSpec, spec_b: RunSpec) -> None:
        self.specs = (spec_a, spec_b)
        self.summary = ""  # what B took over from A, once built
        self._lock = threading.Lock()
        self._sessions: dict[int, Any] | None = None
        self._error: Exception | None = None

    def maker(self, side: int) -> Callable[..., Any]:
        """The `make_session` of side 0 (A) or 1 (B)'s TrainingWorker."""
        return lambda _spec, run_dir=None: self._take(side)

    def _take(self, side: int) -> Any:
        with self._lock:
            if self._sessions is None and self._error is None:
                try:
                    from playground.training.compare import start_pair, taking_turns

                    pair = start_pair(*self.specs)
                    self._sessions = dict(enumerate(taking_turns(pair)))
                    self.summary = pair.start.summary()
                except Exception as err:  # noqa: BLE001 - both workers report it as their one line
                    self._error = err
            if self._error is not None:
                raise self._error
            return self._sessions.pop(side)  # type: ignore[union-attr]


class SideView(QWidget):
    """One side's attention grid under its title (the legend's words, in the side's colour), with a hover readout."""

    def __init__(self, side: str, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"compareSide{side}")
        self.title = DifferenceTitle(self)
        self.title.setObjectName(f"compareTitle{side}")
        self.colour = colour
        self._colour_title()
        bold = QFont()
        bold.setBold(True)  # its size still follows the application's
        self.title.setFont(bold)
        # In a scroll area, as the Attention tab's: squeezed (4 layers at 130 %), a grid lost its last row and the
        # foot of its colour bar, with no way to see them (QA)
        self.grid = AttentionGrid(self, scrolled=True)
        self.grid.setObjectName(f"compareGrid{side}")
        self.hover = QLabel(HOVER_HINT, self)
        self.hover.setWordWrap(True)
        self.grid.sigHover.connect(self.hover.setText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(in_scroll_area(self.grid, f"compareGridScroll{side}"), 1)
        layout.addWidget(self.hover)

    def _colour_title(self) -> None:
        """The title in the side's colour, made to read on the look's window (QA: A's blue stood at 2.4:1 on the dark
        one, B's orange at 2.2:1 on the light). Colour and weight alone, not a style sheet: a widget with one kept
        its font when F5 zoomed the window."""
        palette = self.title.palette()
        window = self.palette().color(QPalette.ColorRole.Window).name()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(readable_on(self.colour, window, TITLE_CONTRAST)))
        self.title.setPalette(palette)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):  # the look changed
            self._colour_title()


class CompareWindow(FitsScreenWhenFramed, RingsTabFocus, QMainWindow):
    """A (fixed when the window opened) against B (this window's settings panel), live."""

    sigClosed = Signal()  # closed (not kept open by its question)
    sigPlaying = Signal()  # Play pressed: A and B train on (the main window pauses its run for them)

    def __init__(self, spec_a: RunSpec, parent: QWidget | None = None, spec_b: RunSpec | None = None) -> None:
        """`spec_b`: B as an earlier comparison of the same A left it (default: a copy of A)."""
        super().__init__(parent)
        self.setObjectName("compareWindow")
        self.setWindowTitle(f"Compare A/B: {spec_a.name} — Transformer Playground")
        self.spec_a = spec_a
        self.workers: list[TrainingWorker] = []  # A's and B's, once Play or Step started them
        self._stopping: list[TrainingWorker] = []  # asked to stop after their current step
        self.start: PairStart | None = None
        self.series = [(Series(), Series()) for _ in SIDES]  # (training, validation) losses per side
        self._playing = False
        self._closing_as: Clearing | None = CLOSING  # the question a close asks (`close_for`; None: agreed already)
        self._levelling = False  # paused: the side behind is still to catch up
        self._exported: tuple[Path, int] | None = None  # the picture the loss plot was last saved as, and its step
        self._axes_shown: bool | None = None  # the loss plot's tick values, once set
        self._settle_timer = QTimer(self)  # a change of B made with a mouse button held waits for its release
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(SETTLE_MS)
        self._settle_timer.timeout.connect(self._settle_b)
        self._b_done: list[RunSpec] = []  # B's settings before each change (Ctrl+Z), and those undone (Ctrl+Shift+Z)
        self._b_undone: list[RunSpec] = []

        b_name = f"{spec_a.name[:MAX_PRESET_NAME - len(B_SUFFIX)]}{B_SUFFIX}"
        self.config = ConfigPanel(spec_b or spec_a.updated({"name": b_name}), self)
        self._shown_b = self.config.spec()  # the B the labels name and the comparison trains (`_show_labels`)
        # As wide as the main window's at this zoom: a fixed 310 px cut B's values off in presentation mode.
        follow_font(self.config, lambda: self.config.fit_width(font_scale()))
        self.config.sigSpecChanged.connect(lambda _spec, _keys: self._settle_b())
        intro = QLabel(INTRO.format(b=B_NEW if spec_b is None else B_KEPT), self)
        intro.setObjectName("compareIntro")
        intro.setWordWrap(True)
        intro.setToolTip(TIPS["compare"])
        left = self.settingsColumn = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        left_layout.addWidget(intro)
        left_layout.addWidget(self.config, 1)

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 4, 4, 4)
        right_layout.addWidget(self._train_bar())
        self.differenceLabel = QLabel(self)
        self.differenceLabel.setObjectName("compareDifference")
        self.differenceLabel.setWordWrap(True)
        self.sharedLabel = QLabel("Start: press Play or Step to build A and B from the same start.", self)
        self.sharedLabel.setObjectName("compareShared")
        self.sharedLabel.setWordWrap(True)
        self.gapLabel = QLabel(self)  # the validation losses side by side, once both sides have one at a step
        self.gapLabel.setObjectName("compareGap")
        self.gapLabel.setWordWrap(True)
        self.gapLabel.setToolTip(GAP_TIP)
        self.gapLabel.hide()
        right_layout.addWidget(self.differenceLabel)
        right_layout.addWidget(self.sharedLabel)
        right_layout.addWidget(self.gapLabel)
        views = QSplitter(Qt.Orientation.Vertical, self)
        views.addWidget(self._loss_plot())
        grids = QSplitter(Qt.Orientation.Horizontal, self)
        self.sides = [SideView(side, colour, grids) for side, colour in zip(SIDES, COLOURS)]
        for view in self.sides:
            grids.addWidget(view)
        views.addWidget(grids)
        views.setSizes([300, 360])
        right_layout.addWidget(views, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([330, 950])
        self.setCentralWidget(splitter)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._show_labels()
        self._make_keys()
        self._share_zoom(parent)
        resize_within_screen(self, QSize(1280, 720))  # framed, fitted again with its title bar (QA: 20 px below)

    # ----- building -----------------------------------------------------------------------------
    def _make_keys(self) -> None:
        """The main window's keys for the same things here (the grids' hint names Space and Right), the usual ones
        to close, and F1 for them all (keyboard QA: F1 did nothing here)."""
        keys = ((("Space",), self.toggle_play), (("Right",), self.step_once), (("Ctrl+R",), self.reset),
                (("Ctrl+W", "Esc"), self.close), (("Ctrl+E",), self.export_loss),
                (("Ctrl+Z",), self.undo_b), (("Ctrl+Shift+Z", "Ctrl+Y"), self.redo_b),  # (the main window's keys)
                (("F9",), self.toggle_settings), (("F1",), self.show_shortcuts))
        for sequences, slot in keys:
            action = QAction(self)
            action.setShortcuts([QKeySequence(key) for key in sequences])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
        self.focusRing = FocusRing(self)  # as in the main window: a tabbed-to button keeps Space

    def toggle_settings(self) -> None:
        """F9, as in the main window: B's settings out of the way, the plot and the grids the whole width (QA: at
        175 % they took 45 % of it, the loss plot 90 px tall)."""
        shown = self.settingsColumn.isHidden()
        self.settingsColumn.setVisible(shown)
        if shown:  # (at 175 % they widen the window past the screen again)
            QTimer.singleShot(0, self, lambda: fit_to_screen(self))
        self.statusBar().showMessage("B's settings shown." if shown else "B's settings hidden: F9 brings them back.",
                                     STATUS_MS)

    def show_shortcuts(self) -> None:
        show_table(self, "Compare A/B: keyboard shortcuts", COMPARE_SHORTCUTS, "compareShortcutsDialog")

    def _share_zoom(self, parent: QWidget | None) -> None:
        """F5 and Ctrl+= / Ctrl+- / Ctrl+0 answer here too: the main window's own actions (a shortcut works in every
        window an action is added to), so both windows zoom, and remember, as one."""
        for name in ZOOM_ACTIONS:
            action = parent.findChild(QAction, name) if parent is not None else None
            if action is not None:
                self.addAction(action)

    def _train_bar(self) -> QWidget:
        bar = QWidget(self)
        style = self.style()
        self.playButton = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play A and B", bar)
        self.playButton.setObjectName("comparePlay")
        self.playButton.setToolTip("Train A and B together, one thread each; again to pause both (Space).")
        self.playButton.clicked.connect(self.toggle_play)
        self.stepButton = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "Step", bar)
        self.stepButton.setObjectName("compareStep")
        self.stepButton.setToolTip("Train A and B one step each, then pause (Right arrow).")
        self.stepButton.clicked.connect(self.step_once)
        # "Reset", the main window's word (and key) for the same
        self.resetButton = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "Reset", bar)
        self.resetButton.setObjectName("compareReset")
        self.resetButton.setToolTip("Throw both models away: the next Play starts A and B again from step 0 "
                                    "(Ctrl+R).")
        self.resetButton.clicked.connect(self.reset)
        self.exportButton = QPushButton("Export plot…", bar)
        self.exportButton.setObjectName("compareExport")
        self.exportButton.setToolTip("Save A's and B's loss plot as a PNG or SVG picture, titled with the gap between "
                                     "them: a comparison keeps no run folder (Ctrl+E).")
        self.exportButton.clicked.connect(self.export_loss)
        self.exportButton.setEnabled(False)  # until there is a curve to keep
        self.stepLabel = QLabel(bar)
        self.stepLabel.setObjectName("compareSteps")
        # B's count under A's where the bar is short of room: one line widened the window past a 1280-px screen at
        # 175 % once the counts reached three digits (lecturer QA: 1318 px, B's colour bar cut off)
        self.stepLabel.setWordWrap(True)
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(0, 0, 0, 0)
        for button in (self.playButton, self.stepButton, self.resetButton):
            layout.addWidget(button)
        layout.addWidget(self.stepLabel, 1)
        layout.addWidget(self.exportButton)
        return bar

    def _loss_plot(self) -> pg.PlotWidget:
        self.lossPlot = pg.PlotWidget(self)
        self.lossPlot.setObjectName("compareLossPlot")
        no_tab_stop(self.lossPlot)
        self.lossPlot.setToolTip(PLOT_TIP)
        plot = self.lossPlot.getPlotItem()
        plot.setLabel("left", "loss")
        plot.setLabel("bottom", "step")
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.showGrid(x=True, y=True, alpha=0.25)
        legend_below(plot, 2, LEGEND_CELL)
        # A's line and dots wider than B's, drawn over them: where the curves agree, A shows as a band around B (QA:
        # near-equal curves hid A). (A symbol only while one point: A's a ring around B's, from the same start.)
        self.curves = [unbounded_curve(plot, pen=pg.mkPen(colour, width=width), symbol=None, symbolSize=size,
                                       symbolBrush=colour, symbolPen=None)
                       for colour, width, size in zip(COLOURS, (5, 2), (11, 6))]
        # Ringed in a darker tone of their side: in its own colour alone, a dot on its side's line was not seen (QA);
        # A's a band of blue round B's ring where they agree (lecturer QA: at 12 px, B's 9 px and its ring hid A's)
        self.valCurves = [unbounded_curve(plot, pen=None, symbol="o", symbolSize=size, symbolBrush=colour,
                                          symbolPen=pg.mkPen(ring, width=2))
                          for colour, ring, size in zip(COLOURS, VAL_RINGS, (16, 9))]
        self._frame = LossFrame(plot)  # as the main loss plot: steps from 0 to a round number, after one Step too
        follow_font(self.lossPlot, lambda: (style_axes(plot), self._fit_legend()))  # the legend zooms too
        follow_resize(self.lossPlot, self._fit_legend)  # its columns are as wide as the plotting area
        self._show_axes(False)
        return self.lossPlot

    def _show_axes(self, shown: bool) -> None:
        """Tick values once there are points: an empty plot showed made-up steps 0.1 to 0.9. (Only on a change:
        each setStyle lays out and redraws both axes.)"""
        if shown == self._axes_shown:
            return
        self._axes_shown = shown
        for side in ("left", "bottom"):
            self.lossPlot.getPlotItem().getAxis(side).setStyle(showValues=shown)

    # ----- settings -----------------------------------------------------------------------------
    @property
    def spec_b(self) -> RunSpec:
        return self.config.spec()

    def legend_labels(self) -> tuple[str, str]:
        """Both sides' names with every difference named (the legend and titles name what their width holds)."""
        keys = differences(self.spec_a, self.spec_b)
        return full_label("A", self.spec_a, keys), full_label("B", self.spec_b, keys)

    def _show_labels(self) -> None:
        """The legend, the grids' titles and the difference line follow B's settings."""
        legend = self.lossPlot.getPlotItem().legend
        legend.clear()
        keys = differences(self.spec_a, self.spec_b)
        for curve, text, view, (side, spec) in zip(self.curves, self.legend_labels(), self.sides, self._named()):
            legend.addItem(curve, text)
            view.title.set_differences(side, spec, keys)
        self._fit_legend()
        self.differenceLabel.setText(difference_line(self.spec_a, self.spec_b))
        self._shown_b = self.spec_b
        self._not_compared = why_not_compared(self.spec_a, self._shown_b)  # (reads the data: once per change of B)

    def _named(self) -> list[tuple[str, RunSpec]]:
        return list(zip(SIDES, (self.spec_a, self.spec_b)))

    def _fit_legend(self) -> None:
        """Each legend entry names as many differences as its half of the plotting area holds."""
        plot = self.lossPlot.getPlotItem()
        width = self.lossPlot.width() - plot.getAxis("left").width() - LEGEND_SLACK
        fit_pair_legend(plot.legend, width, self._named(), differences(self.spec_a, self.spec_b))

    def _settle_b(self) -> None:
        """A change of B restarts both, after asking where A and B have trained; kept comparing, B's settings go
        back to those they train with. Not while a mouse button is held: a drag is one change, and a question
        taking the mouse from a slider or spin box left it stepping on its own."""
        if QGuiApplication.mouseButtons() != Qt.MouseButton.NoButton:
            self._settle_timer.start()
            return
        if self.spec_b == self._shown_b:
            return  # a drag that ended where it began
        if self.may_clear(CHANGING_B):
            self._b_undone.clear()
            self._b_done.append(self._shown_b)
            self._clear()
            self._show_labels()
        else:
            self.config.set_spec(self._shown_b)

    def undo_b(self) -> None:
        """Ctrl+Z: B's settings before its last change (QA: a change of B could not be undone)."""
        self._step_b(self._b_done, self._b_undone, "Undo")

    def redo_b(self) -> None:
        self._step_b(self._b_undone, self._b_done, "Redo")

    def _step_b(self, source: list[RunSpec], other: list[RunSpec], word: str) -> None:
        if not source:
            self.statusBar().showMessage(f"Nothing to {word.lower()}: B's settings are as far back as they go."
                                         if word == "Undo" else "Nothing to redo.", STATUS_MS)
            return
        if not self.may_clear(CHANGING_B):  # asked before B's controls change (QA: they showed the undo meanwhile)
            return
        other.append(self._shown_b)
        self.config.set_spec(source.pop())
        self._clear()
        self._show_labels()
        self.statusBar().showMessage(f"{word}: {difference_line(self.spec_a, self.spec_b)}.", STATUS_MS)

    # ----- training -----------------------------------------------------------------------------
    def _ensure_workers(self) -> list[TrainingWorker]:
        if not self.workers:
            self.start = PairStart(self.spec_a, self.spec_b)
            self.workers = [TrainingWorker(spec, None, make_session=self.start.maker(i), samples=False)
                            for i, spec in enumerate(self.start.specs)]
            for worker in self.workers:
                worker.start()
            self.sharedLabel.setText("Start: building A and B…")
        return self.workers

    def _finished(self) -> bool:
        """Both have trained all their steps: nothing for Play or Step to do, which is said (QA: Space did nothing,
        silently)."""
        if not self.workers or not all(worker.done for worker in self.workers):
            return False
        self.statusBar().showMessage("A and B have finished: Reset (Ctrl+R) trains them again.", 6000)
        return True

    def play(self) -> None:
        if self._finished():
            return
        self._levelling = False
        for worker in self._ensure_workers():
            worker.play()
        self._show_playing(True)
        self.sigPlaying.emit()

    def pause(self) -> None:
        """Both pause; then the side behind catches up (see `_level`)."""
        for worker in self.workers:
            worker.pause()
        self._levelling = bool(self.workers)
        self._show_playing(False)

    def _level(self) -> None:
        """After a pause, once both are idle (a step under way ends where it ends), the side behind takes the steps
        to the other's, so the two curves end at the same step (they paused at 62 and 60)."""
        live = [w for w in self.workers if w.isRunning() and not w.done]
        if any(w.stepping or not w.idle for w in live):
            return
        top = max((w.step for w in self.workers), default=0)
        behind = [w for w in live if w.step < min(top, w.spec.train.max_steps)]
        for worker in behind:
            worker.pause_at(top)
        self._levelling = bool(behind)

    def toggle_play(self) -> None:
        self.pause() if self._playing else self.play()

    def step_once(self) -> None:
        if self._finished():
            return
        for worker in self._ensure_workers():
            worker.step_once()
        self._show_playing(False)

    def reset(self) -> None:
        """Reset (Ctrl+R): both start again from step 0, once the user agrees to lose what they trained."""
        if self.may_clear(RESETTING):
            self._clear()

    def may_clear(self, clearing: Clearing) -> bool:
        """Whether `clearing` may go ahead: at once before A and B have trained, else as the user answers. While
        the question is open they pause (QA: it said "153 steps" while they trained on to 175 behind it), and
        "Keep comparing" plays them on."""
        if self.trained_steps() == 0:
            return True
        playing = self._playing
        if playing:
            self.pause()
        held = max((worker.held_step() for worker in self.workers), default=0)  # (QA: 1,044 beside 1,045 shown)
        if ask_close_comparison(self, held, clearing, self._exported):
            return True
        if playing:
            self.play()
        return False

    def _clear(self) -> None:
        """Stop both runs (nothing is saved: a comparison keeps no run folder) and clear the views."""
        self._stop_workers()
        self._exported = None
        for train, val in self.series:
            train.clear()
            val.clear()
        for curve in (*self.curves, *self.valCurves):
            curve.setData([], [])
        self._frame.clear()
        self._show_axes(False)
        for view in self.sides:
            view.grid.clear_grid()
        self.stepLabel.setText("")
        self.sharedLabel.setText("Start: press Play or Step to build A and B from the same start.")
        self.gapLabel.hide()
        self.exportButton.setEnabled(False)
        self._show_playing(False)

    def _stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop(save=False)
        self._stopping += self.workers
        self.workers = []
        self.start = None
        self._levelling = False

    @property
    def playing(self) -> bool:
        """Whether A and B train on (Play), as the button shows."""
        return self._playing

    def _show_playing(self, playing: bool) -> None:
        self._playing = playing
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.playButton.setIcon(self.style().standardIcon(icon))
        self.playButton.setText("Pause" if playing else "Play A and B")

    # ----- refresh ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Pull both buffers into the plot, the grids and the labels."""
        self._stopping = [w for w in self._stopping if not w.isFinished()]
        if not self.workers:
            return
        if self.start is not None and self.start.summary:
            self.sharedLabel.setText(f"Start: {self.start.summary}.")
        problems = []
        for i, worker in enumerate(self.workers):
            box = worker.buffer.drain()
            self._take_metrics(i, box.metrics)
            if box.snapshot is not None:
                self.sides[i].grid.set_snapshot(box.snapshot.tokens_only())
            if box.error:
                problems.append(f"{SIDES[i]} could not train: {box.error}")
            elif box.finished is not None and box.finished.message:
                problems.append(f"{SIDES[i]}: {box.finished.message}")
        if problems:
            self.sharedLabel.setText(" ".join(problems))
        if all(w.done or not w.isRunning() for w in self.workers):
            self._show_playing(False)
        elif self._playing:
            self._keep_in_step()
        elif self._levelling:
            self._level()
        self.stepLabel.setText("   ".join(f"{side}: step {w.step:,} / {w.spec.train.max_steps:,}".replace(" ", NBSP)
                                          for side, w in zip(SIDES, self.workers)))  # (wrapped between A and B only)

    def _show_gap(self) -> None:
        """The gap line once A and B were evaluated at one step; before that, which step that is (QA: nothing said
        when it would come, and the first came at step 100)."""
        line = self._gap()
        if line:
            self.gapLabel.setText(line)
        else:
            first = math.lcm(self.spec_a.train.eval_interval, self._shown_b.train.eval_interval)
            self.gapLabel.setText(f"Validation loss: A and B are first evaluated together at step {first:,}.")
        self.gapLabel.setVisible(any(train.n for train, _ in self.series))

    def _gap(self) -> str:
        """The gap line at the last step A and B were both evaluated at, or "" before that."""
        (_, val_a), (_, val_b) = self.series
        return last_gap_line((val_a.x, val_a.y), (val_b.x, val_b.y), self._not_compared)

    def _keep_in_step(self) -> None:
        """The side more than MAX_LEAD steps ahead waits for the other, so the curves grow side by side."""
        for worker, other in zip(self.workers, reversed(self.workers)):
            ahead = worker.step - other.step > MAX_LEAD and not other.done
            if ahead and worker.playing:
                worker.pause()
            elif not ahead and not worker.playing and not worker.done:
                worker.play()

    def _take_metrics(self, side: int, events: list[MetricsEvent]) -> None:
        if not events:
            return
        train, val = self.series[side]
        for event in events:
            if math.isfinite(event.train_loss):  # a diverging run's last loss can be inf or nan
                train.append(event.step, event.train_loss)
            if event.val_loss is not None and math.isfinite(event.val_loss):
                val.append(event.step, event.val_loss)
        show_lone_point(self.curves[side], train.n)
        self.curves[side].setData(train.x, train.y)
        self.valCurves[side].setData(val.x, val.y)
        self._fit_frame()
        self._show_axes(True)
        self._show_gap()  # (with new points only: not at every refresh)
        self.exportButton.setEnabled(True)

    def _fit_frame(self) -> None:
        drawn = [series for pair in self.series for series in pair if series.n]
        if not drawn:  # only a diverged run's inf or nan so far
            return
        losses = np.concatenate([series.y for series in drawn])
        self._frame.fit(max(series.x[-1] for series in drawn), float(losses.min()), float(losses.max()), False)

    def export_loss(self) -> Path | None:
        """Ask for a PNG or SVG file and save the loss plot in it, titled with what A and B are and, once both were
        evaluated at a step, the gap between them (Ctrl+E; with nothing trained yet, nothing to ask)."""
        if not self.exportButton.isEnabled():
            return None
        name = f"compare-{file_words(self.spec_a.name)}-step{self._drawn_step()}"  # (QA: "compare-Lesson-19.4:-the-…,")
        saved = export_asked(self, "Export the comparison's loss plot", name, True,
                             lambda path: export_plot(self.lossPlot.getPlotItem(), path, self._export_title()))
        if saved is not None:  # (nothing is drawn between the save and here: the step its title names)
            self._exported = (saved, self._drawn_step())
        return saved

    def _drawn_step(self) -> int:
        """The last step the loss plot draws, of the side further on (QA: the threads' step, a few ahead of the
        curves between two redraws, titled a picture of curves that stopped short of it)."""
        return max((int(train.x[-1]) for train, _ in self.series if train.n), default=0)

    def _export_title(self) -> str:
        """What A and B are, the step they reached and their gap, as the plot shows them when it is saved (QA: worked
        out as the dialog opened, "to step 933" stood over curves trained on to step 1,430 behind it)."""
        title = f"Compare A/B: {self.spec_a.name}, to step {self._drawn_step():,}"
        if differences(self.spec_a, self._shown_b):  # every one, which the legend's names cut to "(+2 more)" and a
            title += f"<br>{html.escape(difference_line(self.spec_a, self._shown_b))}"  # picture cannot show on hover
        if self._gap():  # the gap line, not when it will come
            title += f"<br>{html.escape(self.gapLabel.text())}"
        return title

    # ----- closing ------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Ask both threads to stop after their current step, without waiting for it: a step can take seconds (a
        big model, or loading a compiled step), and a comparison has nothing to save."""
        self._timer.stop()
        self._settle_timer.stop()  # a change of B still waiting for its mouse button: nothing left to restart
        self._stop_workers()

    def running(self) -> list[TrainingWorker]:
        """The threads asked to stop and still ending their step. Whoever drops this window keeps them until they
        end: a QThread destroyed while it runs aborts the process."""
        self._stopping = [w for w in self._stopping if not w.isFinished()]
        return list(self._stopping)

    def trained_steps(self) -> int:
        """The steps the side further on has trained since Play or Step (0 after a restart)."""
        return max((worker.step for worker in self.workers), default=0)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Zoomed (the main window's keys zoom both), fitted to the screen again once laid out in the new font: zoomed
        in past the screen and back, it stayed wider than the screen, Export plot… and its close button off it (QA)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            QTimer.singleShot(0, self, lambda: fit_to_screen(self))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Escape, Ctrl+W, the title bar or the main window: a comparison that has trained asks first (it is not
        saved anywhere)."""
        if self.isVisible() and self._closing_as is not None and not self.may_clear(self._closing_as):
            event.ignore()
            return
        self.shutdown()
        event.accept()
        self.sigClosed.emit()

    def close_for(self, clearing: Clearing | None) -> bool:
        """Close, asking as `clearing` words it where A and B have trained (None: the user agreed already, `may_clear`);
        False where the user kept comparing."""
        self._closing_as = clearing
        try:
            return self.close()
        finally:
            self._closing_as = CLOSING
