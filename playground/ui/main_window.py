"""The main window: configure on the left, train and watch on the right.

The window owns the current RunSpec (via the ConfigPanel) and at most one live TrainingWorker. A QTimer
drains the worker's buffer a few times a second; nothing per training step crosses threads as a signal.
When training's threads take every usable core (`TrainingSession.fills_cores`: on a 2-core machine, the
compiled CPU path), the window instead asks the worker for a gap between two steps every 0.5-1 s (as far apart
as keeps the paints within GAP_BUDGET of the time, `gap_interval`) and refreshes and paints in it (`_on_gap`):
beside two training threads on two cores the same paints took several times as long and stalled both threads.

The centre's views (loss curves, attention heatmaps, the tabs) are built by `build_views()`: in the app right
after the window's first paint, because pyqtgraph's import and plot widgets take about half a second, which
the settings, menus and train bar need not wait for. Every entry point that touches a view builds them first
(`_needs_views`): an action handled before the queued build (or a call from code) is not lost.

Undo and Redo (the models an action replaced, the settings changed) are `undo_history.UndoesModels`'s; the zoom and
the panels F8 and F9 hide, `window_room.GivesViewsRoom`'s.
"""

from __future__ import annotations

import errno
import functools
import html
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QEventLoop,
    QIODevice,
    QSaveFile,
    QSettings,
    Qt,
    QThread,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QFont, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSlider,
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.core.differences import changes, short_number
from playground.core.files import elide, file_words
from playground.core.messages import counted_not_named, cut_at_word
from playground.core.presets import (
    OTHER_MODEL_KEYS,
    PresetError,
    is_builtin,
    left_out_note,
    load_preset,
    named_after_file,
    outside_note,
    portable,
    resolve_preset_path,
    to_json,
)
from playground.core.spec import FIELD_TITLES, PROSE, RunSpec, same_settings
from playground.core.versions import version_line
from playground.data.registry import option_title
from playground.training.changes import LIVE_SETTINGS, setting
from playground.training.runs import RunsError, read_run_info, saved_step
from playground.ui import file_dialogs, theme
from playground.ui.config_panel import WHOLE_ELSEWHERE, ConfigPanel
from playground.ui.focus_ring import FocusRing, PageTabs, RingsTabFocus, tab_bar_first, tabs_without_arrow_stops
from playground.ui.presets_menu import PresetsMenu, RecentMenu
from playground.ui.screen_fit import FitsScreenWhenFramed, fit_to_screen, screen_words
from playground.ui.settings import add_recent, last_run, make_settings, remember_last_run, runs_root
from playground.ui.sliders import CLICKED_ARROWS
from playground.ui.status_bar import STATUS_MS, HeadlineStatusBar, capitalised
from playground.ui.text_dialog import ask_go_or_keep, show_table, show_text
from playground.ui.theme import ring_focused_button
from playground.ui.tooltips import ABOUT, RECENT_KEY, SHORTCUTS, TIPS
from playground.ui.undo_history import PastModel, UndoesModels, held_by
from playground.ui.window_room import PRESENTATION_ZOOM, GivesViewsRoom, normal_font, stored_zoom
from playground.ui.worker import Drained, TrainingWorker, Warmup

if TYPE_CHECKING:  # the views' modules load in build_views (they import pyqtgraph)
    from playground.training.events import MetricsEvent, StatusEvent
    from playground.ui.architecture_view import ArchitectureView
    from playground.ui.attention_grid import AttentionGrid, AttentionPanel
    from playground.ui.compare_window import Clearing
    from playground.ui.inside_attention import InsideAttentionPanel
    from playground.ui.loss_panel import LossPanel
    from playground.ui.run_tools import RunTools
    from playground.ui.samples_panel import SamplesPanel

REFRESH_MS = 125  # the window pulls training results 8 times a second
SAVE_AGAIN = "File > Save Preset As, Ctrl+Shift+S"  # how to save again where a save failed
SHORT_NAME_CHARS = 60  # a preset's name in a message: its 120 characters took lines of their own at 175 % (review)
LEAD_CHARS = 110  # an opened preset's description: with its name, three lines of the settings panel
DEVICE_CHARS = 60  # a longer device description keeps its closing note for the tooltip
MAX_TITLES = 3  # settings a rebuild's status line names; more are counted
PLOT_REDRAW_S = 0.5  # and redraws the loss curves and the train bar at most twice a second while training
GAP_PATIENCE_S = 1.0  # a step longer than this (compiling, a big model): refresh beside it, not after it
# While training fills every core, the paints in gaps come at most this often, and far enough apart that they
# take GAP_BUDGET of the time at most: each gap stops both training threads (~13 ms a gap at the default
# decoder on the 2-core Xeon, a snapshot included, which at twice a second was 2.8 % of the run).
GAP_BUDGET, GAP_INTERVAL_MAX_S = 0.015, 1.0
# Qt paints from posted events, and a relabelled widget's new layout reaches its parents one round at a time.
GAP_EVENT_ROUNDS = 10
HELD_POLL_MS = 100  # how often a held slider is checked for being let go
RESTART_DELAY_MS = 400  # after a slider stops moving, a playing run restarts with the new model
# Step (or Right) pressed while the run plays: it trains one more step and pauses (said: on a clicked slider, Right
# looked like a slider key that stopped the run)
STEP_PAUSES = "Paused after one more step: Play (Space) goes on."
ON_A_SLIDER = " Up and Down move a clicked slider; Right trains a step."
STEPPED_ON_A_SLIDER = f"Trained one step; the slider stays. {CLICKED_ARROWS}"  # (Right, or the menu's Step Once)
# A setting changed mid-run goes to the run once its slider has settled this long (and is let go): one drag
# is one change on the curve, not one per value it passed.
LIVE_SETTLE_MS = 300
# Training steps settle longer: arrow keys up and back down a second apart made two changes, each marked (QA); Play
# and Step send a change at once all the same.
STEPS_SETTLE_MS = 1200
LOOK_KEY = "view/look"  # View > Colours' choice, in the window's settings
PREPARING = "Preparing the model and the data…"
GEOMETRY_SCREEN_KEY = "window/geometryScreen"  # the screen the window's geometry was saved on (screen_words)
NO_MESSAGES = ("Nothing said yet. What the status bar says (saving, compiling, a change to the model, a run's end) and "
               "the notes under the settings (a preset opened, a warning) are kept here, each whole.")
SLOW_STEP_S = 2.0  # a step taking longer says so in the train bar, with the seconds so far
FINISHING = "finishing the run"  # the train bar, while the last step's evaluation and save take seconds


def ask_unsaved(parent: QWidget, question: str) -> QMessageBox.StandardButton:
    """Save / Discard / Cancel; a function so tests can answer it."""
    box = unsaved_question(parent, question)
    try:
        return QMessageBox.StandardButton(box.exec())
    finally:
        box.deleteLater()


def unsaved_question(parent: QWidget | None, question: str) -> QMessageBox:
    """The question, its buttons reached by Alt+S, Alt+D and Esc (QA: no key but Tab reached Discard)."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes", question,
                      buttons.Save | buttons.Discard | buttons.Cancel, parent)
    box.setDefaultButton(buttons.Save)
    box.button(buttons.Save).setText("&Save")
    box.button(buttons.Discard).setText("&Discard")
    ring_focused_button(box)
    return box


def ask_quit_while_training(parent: QWidget, step: int, kept: bool) -> bool:
    """Quit / Keep training (the default, and Esc); a function so tests can answer it. `kept`: the run is saved as the
    window closes. QA: a stray Ctrl+Q ended a lecture's demo mid-run without a word (its run was saved, but nothing
    said so)."""
    stops = ("Training stops and its run is saved: File > Resume Last Run brings it back." if kept else
             "Training stops; nothing it trained is kept yet.")
    return ask_go_or_keep(parent, "Quit while training?", f"Training is at step {step:,}. Quit now? {stops}", "&Quit",
                          "&Keep training", go_name="quitButton")  # (the scripts that close mid-run press it)


Method = TypeVar("Method", bound=Callable[..., Any])


def _needs_views(method: Method) -> Method:
    """Build the centre's views before `method` runs (it touches them)."""
    @functools.wraps(method)
    def with_views(self: MainWindow, *args: Any, **kwargs: Any) -> Any:
        self.build_views()
        return method(self, *args, **kwargs)
    return with_views  # type: ignore[return-value]


class _SpeedLabel(QLabel):
    """The train bar's speed, whose tooltip says what it shows: none over "paused", "finished" or nothing (QA: "Training
    speed over the last steps." popped up over the empty space a finished run left)."""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        if text.endswith("/s"):
            self.setToolTip("Training speed over the last steps.")
        elif " on step " in text:
            self.setToolTip("How long the step under way has taken so far.")
        else:
            self.setToolTip("")


class _ViewsPlaceholder(QLabel):
    """Stands where the views go until they are built; its paint means the window is on screen."""
    sigPainted = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__("Loading the plots…", parent)
        self.setObjectName("viewsPlaceholder")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        self.sigPainted.emit()


class _Column(QWidget):
    """Panels one above the other, hidden with the last of them: F9 hides the settings, and with no lesson playing
    the splitter then gives the views the whole width instead of an empty column."""

    def __init__(self, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addStretch(0)  # the room a panel that stretches leaves when hidden: not a panel stretched to fill it
        self._panels: list[QWidget] = []

    def insert(self, index: int, panel: QWidget, stretch: int = 0) -> None:
        self._layout.insertWidget(index, panel, stretch)
        self._panels.append(panel)
        panel.installEventFilter(self)
        self._follow_panels()

    def eventFilter(self, watched: Any, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            self._follow_panels()
        return False

    def _follow_panels(self) -> None:
        self.setVisible(any(not panel.isHidden() for panel in self._panels))


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _eta_text(last: MetricsEvent, worker: TrainingWorker | None) -> str:
    """The train bar's time left: to the run's end while it plays, to the last of several steps asked for (a lesson
    training to its step: QA saw 19.5's minute of fine-tuning with no time left said), else none."""
    if worker is None or not (worker.playing or worker.steps_left > 1):
        return ""
    if worker.playing:
        return f"ETA {_duration(last.eta_s)}"
    per_step = last.eta_s / max(1, last.max_steps - last.step)
    return f"ETA {_duration((worker.step + worker.steps_left - last.step) * per_step)}"


class MainWindow(UndoesModels, GivesViewsRoom, FitsScreenWhenFramed, RingsTabFocus, QMainWindow):
    sigViewsBuilt = Signal()  # the centre's plots and tabs exist (see build_views)

    loss: LossPanel
    lossPlot: Any  # the loss curves' pyqtgraph PlotWidget
    attention: AttentionPanel
    attentionGrid: AttentionGrid
    samples: SamplesPanel
    inside: InsideAttentionPanel
    architecture: ArchitectureView
    runTools: RunTools
    tabs: QTabWidget
    centreSplitter: QSplitter

    def __init__(self, spec: RunSpec, preset_path: str | Path | None = None,
                 settings: QSettings | None = None, parent: QWidget | None = None,
                 views_after_paint: bool = False) -> None:
        """`views_after_paint`: show the settings, menus and train bar first and build the plots right
        after the first paint (the app); otherwise everything is built here."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.settings = settings or make_settings()
        self.preset_path: Path | None = Path(preset_path) if preset_path else None
        self._saved_spec: RunSpec | None = spec  # what the preset file holds (None: unknown, so unsaved)
        self._named_as: str | None = None  # the name File > Name and Description gave this preset: saves keep it
        self.worker: TrainingWorker | None = None
        self._retired: list[TrainingWorker] = []
        self._start_history()
        self._warmup: Warmup | None = None
        self.compareWindow: Any = None  # Compare A/B's window, once opened (compare_window.py)
        self._device = ""
        self._device_hedged = False  # the label says the next model's choices come at Play (_device_for_next_run)
        self._closing = False
        self._loss_hidden_for: set[str] = set()  # why the loss plot is hidden: the user's F8, Try it enlarged
        self._with_settings: QByteArray | None = None  # the main splitter as it was with the settings shown (F9)
        self._column_at = {}  # (window_room.GivesViewsRoom)
        # None: closing waits for every thread. The app sets seconds, and leaves at once when a thread outlasts them.
        self.close_wait_s: float | None = None
        self.unfinished_threads: list[QThread] = []  # still ending: left by a close, or by Compare A/B closing
        self._views_built = False
        self._unshown_step: MetricsEvent | None = None  # the latest step the train bar does not show yet
        self._bar_since: tuple[int, float] | None = None  # the train bar's step, and since when it has shown it
        self._bar_drawn_at = -1e9
        self._refreshed_at = -1e9  # the end of the last refresh in a gap
        self._gap_asked_at: float | None = None  # when the window asked the worker for a gap to paint in
        self._in_gap = False  # refreshing in a gap now
        self._gap_cost_s = 0.0  # how long a refresh in a gap takes (a moving average)

        self.config = ConfigPanel(spec, self)
        self.config.sigSpecChanged.connect(self._on_spec_changed)
        self.config.trains_on_to = self._trains_on_to
        self.config.sigMessage.connect(self._on_config_message)

        right = QWidget(self)
        self._rightLayout = QVBoxLayout(right)
        self._rightLayout.setContentsMargins(4, 4, 4, 4)
        self._rightLayout.addWidget(self._train_bar())
        self._placeholder = _ViewsPlaceholder(right)
        self._placeholder.sigPainted.connect(self.build_views, Qt.ConnectionType.QueuedConnection)
        self._rightLayout.addWidget(self._placeholder, 1)

        self.mainSplitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.mainSplitter.setObjectName("mainSplitter")
        # A lesson's text above the settings (the lesson bar, once the views are built): at 1280x720 a
        # lesson's settings fill a third of this column, and above the views its text took 140 px of their height.
        self.leftColumn = _Column("leftColumn", self)
        self.leftColumn.insert(0, self.config, 1)
        self.mainSplitter.addWidget(self.leftColumn)
        self.mainSplitter.addWidget(right)
        self.mainSplitter.setStretchFactor(1, 1)
        self.mainSplitter.setChildrenCollapsible(False)
        self.mainSplitter.setSizes([330, 950])
        self.setCentralWidget(self.mainSplitter)

        self.setStatusBar(HeadlineStatusBar(self))
        self.statusBar().sigRecentAsked.connect(self.show_recent_messages)
        self.deviceLabel = QLabel("Device: loading PyTorch…", self)
        self.deviceLabel.setObjectName("deviceLabel")
        divider = QFrame(self)  # a cut message ran on into "Device: …" as one sentence (QA)
        divider.setFrameShape(QFrame.Shape.VLine)
        divider.setFrameShadow(QFrame.Shadow.Sunken)
        self.statusBar().addPermanentWidget(divider)
        self.statusBar().addPermanentWidget(self.deviceLabel)
        self._make_actions()
        self._make_menus()

        self._timer = QTimer(self)  # started with the views it refreshes
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._on_tick)
        self._restart = QTimer(self)
        self._restart.setSingleShot(True)
        self._restart.setInterval(RESTART_DELAY_MS)
        self._restart.timeout.connect(self.play)
        self._rebuilt = QTimer(self)  # a lesson's rebuilt model, shown untrained once its slider settles
        self._rebuilt.setSingleShot(True)
        self._rebuilt.setInterval(RESTART_DELAY_MS)
        self._rebuilt.timeout.connect(self._show_rebuilt)
        self._live: dict[str, Any] = {}  # mid-run settings waiting for their slider to settle
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_SETTLE_MS)
        self._live_timer.timeout.connect(self._send_live_changes)
        self._held: set[str] = set()  # settings a slider still held has changed, the trained model kept meanwhile
        self._held_timer = QTimer(self)
        self._held_timer.setInterval(HELD_POLL_MS)
        self._held_timer.timeout.connect(self._settle_drag)

        self.focusRing = FocusRing(self)
        self.zoom = 1.0
        self.set_zoom(stored_zoom(self.settings))
        self.set_look(str(self.settings.value(LOOK_KEY, "system")), quiet=True)
        self._reset_progress()
        self._update_title()
        self.resize(1280, 800)
        self._restore_window_state()
        fit_to_screen(self)
        # No control has the focus at launch, so an arrow key changes nothing unseen (keyboard QA: Down changed the
        # focused, unringed Family box to Vision Transformer); the first Tab rings the first setting.
        self.setFocus()
        if not views_after_paint:
            self.build_views()

    # ----- building -----------------------------------------------------------------------------
    def build_views(self) -> None:
        """The centre: loss curves above, the tabs (attention, samples, inside attention, architecture, try
        it, confusion, runs) below, their menu actions, and the timer that feeds them. Once, and never for a
        window already closing (a close can be handled between the first paint and the queued build)."""
        if self._views_built or self._closing:
            return
        from playground.ui.architecture_view import ArchitectureView
        from playground.ui.attention_grid import AttentionPanel
        from playground.ui.attention_tips import ARCHITECTURE, INSIDE
        from playground.ui.inside_attention import InsideAttentionPanel
        from playground.ui.lesson_bar import LessonBar
        from playground.ui.loss_panel import LossPanel
        from playground.ui.run_tools import RunTools
        from playground.ui.samples_panel import SamplesPanel

        self.loss = LossPanel(self)
        self.lossPlot = self.loss.lossPlot
        self.attention = AttentionPanel(self)
        self.attentionGrid = self.attention.grid
        self.samples = SamplesPanel(self.ensure_worker, self)

        self.tabs = tabs_without_arrow_stops(PageTabs(self))
        self.tabs.setObjectName("centerTabs")
        self.tabs.setDocumentMode(True)
        self.add_tab(self.attention, "Attention", TIPS["attention"])
        self.add_tab(self.samples, "Samples", TIPS["samples"])
        self.inside = InsideAttentionPanel(lambda: self.worker, self)  # issue 5: the model's attention, inside
        self.inside.sigHeadChosen.connect(self.attention.select_head)
        self.add_tab(self.inside, "Inside attention", INSIDE["tab"])
        self.architecture = ArchitectureView(self)
        self.add_tab(self.architecture, "Architecture", ARCHITECTURE)
        self.runTools = RunTools(self)  # issues 6-7: Try it, Confusion and Runs tabs; exports; cluster command
        self.runTools.runs.sigDeleted.connect(self._forget_deleted_models)
        self.runTools.runs.sigRenamed.connect(self.relabel_run)
        self.runTools.add_menu_actions(self._fileMenu, self._trainMenu, before=self.quitAction)

        self.centreSplitter = QSplitter(Qt.Orientation.Vertical, self)
        self.centreSplitter.setObjectName("centreSplitter")
        self.centreSplitter.addWidget(self.loss)
        self.centreSplitter.addWidget(self.tabs)
        self.centreSplitter.setStretchFactor(0, 2)
        self.centreSplitter.setStretchFactor(1, 3)
        self.centreSplitter.setChildrenCollapsible(False)
        self.centreSplitter.setSizes([290, 430])
        self._rightLayout.replaceWidget(self._placeholder, self.centreSplitter)
        self._placeholder.hide()
        self._placeholder.deleteLater()

        tab_bar_first(self.tabs)
        self._views_built = True  # (only now: a failed build leaves closeEvent and shutdown working)
        self.loss.setVisible(not self._loss_hidden_for)  # F8 pressed while the views were being built
        # View > Log-scale Loss checked as the plot's box is, whichever of the two changed it (QA: no check mark)
        self.loss.logCheck.toggled.connect(self.logAction.setChecked)
        self._restore_views_state()
        self.logAction.setChecked(self.loss.logCheck.isChecked())
        self._update_family_tabs()
        self.lessonBar = LessonBar(self)  # issue 25: the preset's lesson, step by step, above the settings
        self.leftColumn.insert(0, self.lessonBar)
        self.lessonBar.tab_before(self.config.familyCombo)
        self.lessonBar.show_lesson_of(self.spec)
        self._timer.start()
        self.sigViewsBuilt.emit()

    def add_tab(self, widget: QWidget, title: str, tooltip: str = "") -> int:
        """Add a panel to the centre tabs (for later panels: step-by-step view, runs, export…)."""
        index = self.tabs.addTab(widget, title)
        if tooltip:
            self.tabs.setTabToolTip(index, tooltip)
        return index

    def _train_bar(self) -> QWidget:
        bar = QWidget(self)
        bar.setObjectName("trainBar")
        style = self.style()
        self.playButton = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play", bar)
        self.playButton.setObjectName("playButton")
        self.playButton.setProperty("word", "Play")
        self.playButton.setToolTip(TIPS["play"])
        self.playButton.clicked.connect(self.toggle_play)
        self.stepButton = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "Step", bar)
        self.stepButton.setObjectName("stepButton")
        self.stepButton.setProperty("word", "Step")
        self.stepButton.setToolTip(TIPS["step"])
        self.stepButton.clicked.connect(self.step_once)
        self.resetButton = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "Reset", bar)
        self.resetButton.setObjectName("resetButton")
        self.resetButton.setProperty("word", "Reset")
        self.resetButton.setToolTip(TIPS["reset"])
        self.resetButton.clicked.connect(self.reset_pressed)
        self.progressBar = QProgressBar(bar)
        self.progressBar.setObjectName("progressBar")
        self.progressBar.setToolTip(TIPS["progress"])
        # The exact step is in the label beside it. A percentage changes 100 times a run, and Qt repaints a
        # progress bar (synchronously, ~0.8 ms here) only when its text or its filled width changes.
        self.progressBar.setFormat("%p%")
        self.stepLabel = QLabel(bar)
        self.stepLabel.setObjectName("stepLabel")
        self.speedLabel = _SpeedLabel(bar)
        self.speedLabel.setObjectName("speedLabel")
        self.etaLabel = QLabel(bar)
        self.etaLabel.setObjectName("etaLabel")
        self.etaLabel.setToolTip("Estimated time until the planned steps are done.")
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(0, 0, 0, 0)
        for button in (self.playButton, self.stepButton, self.resetButton):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            layout.addWidget(button)
        layout.addWidget(self.progressBar, 1)
        for label in (self.stepLabel, self.speedLabel, self.etaLabel):
            layout.addWidget(label)
        return bar

    def make_action(self, text: str, shortcut: QKeySequence | str | None, slot: Callable[[], Any], name: str,
                    tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        # the slot takes no argument: PySide passes triggered's `checked` to one with an optional parameter (Save
        # Preset As took it as the dialog's caption and opened nothing)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        A = self.make_action
        self.openAction = A("&Open Preset…", QKeySequence.StandardKey.Open, self.open_dialog, "openAction")
        self.saveAction = A("&Save Preset", QKeySequence.StandardKey.Save, self.save, "saveAction")
        self.saveAsAction = A("Save Preset &As…", "Ctrl+Shift+S", self.save_as, "saveAsAction")
        self.proseAction = A("&Name and Description…", None, self.edit_prose, "proseAction",
                             "Name the preset and say what it shows: the class reads it as the preset opens.")
        self.resumeLastAction = A("Resume &Last Run", None, self.resume_last_run, "resumeLastAction",
                                  "Bring back the run last trained in this window: its settings, curve and "
                                  "checkpoint, paused.")
        self.quitAction = A("&Quit", "Ctrl+Q", self.close, "quitAction")
        self.lookActions = QActionGroup(self)  # View > Colours: exclusive, checked
        for look, title in theme.LOOKS.items():
            action = A(title, None, functools.partial(self.set_look, look), f"{look}LookAction", TIPS["look"])
            action.setCheckable(True)
            self.lookActions.addAction(action)
        self.playAction = A("&Play / Pause", "Space", self._on_space, "playAction", TIPS["play"])
        self.stepAction = A("&Step Once", "Right", self._on_right, "stepAction", TIPS["step"])
        self.resetAction = A("&Reset", "Ctrl+R", self.reset_pressed,
                             "resetAction", TIPS["reset"])
        self.undoAction = A("&Undo", QKeySequence.StandardKey.Undo, self.undo, "undoAction",
                            "Bring back the model the last action replaced: its weights, curve and settings.")
        self.undoAction.setEnabled(False)
        self.redoAction = A("&Redo", None, self.redo, "redoAction",
                            "Bring back the model the last Undo replaced.")
        # Both usual keys: StandardKey.Redo gave only the platform's first, Ctrl+Y on a bare Linux desktop (review).
        self.redoAction.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redoAction.setEnabled(False)
        self.presentAction = A("&Presentation Mode", "F5", self.toggle_presentation, "presentAction",
                               "Everything larger, for a projector: fonts, token labels, axes.")
        self.presentAction.setCheckable(True)
        self.zoomInAction = A("Zoom &In", QKeySequence.StandardKey.ZoomIn, lambda: self.zoom_by(+1), "zoomInAction")
        self.zoomInAction.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
        self.zoomOutAction = A("Zoom &Out", QKeySequence.StandardKey.ZoomOut, lambda: self.zoom_by(-1), "zoomOutAction")
        self.zoomResetAction = A("&Normal Size", "Ctrl+0", lambda: self.change_zoom(1.0), "zoomResetAction")
        self.lossPlotAction = A("Loss &Curves", "F8", self.toggle_loss_plot, "lossPlotAction", TIPS["loss_plot"])
        self.lossPlotAction.setCheckable(True)
        self.lossPlotAction.setChecked(True)
        self.settingsAction = A("&Settings Panel", "F9", self.toggle_settings, "settingsAction", TIPS["settings_panel"])
        self.settingsAction.setCheckable(True)
        self.settingsAction.setChecked(True)
        self.logAction = A("&Log-scale Loss", "Ctrl+L", self.toggle_log_y, "logAction", TIPS["logy"])
        self.logAction.setCheckable(True)
        self.compareAction = A("&Compare A/B…", "Ctrl+B", self.open_compare, "compareAction", TIPS["compare"])
        self.compareAction.setToolTip(TIPS["compare"])
        self.remeasureAction = A("&Measure This Computer Again", None, self.measure_again, "remeasureAction",
                                 TIPS["remeasure"])
        self.remeasureAction.setToolTip(TIPS["remeasure"])
        self.remeasureAction.setEnabled(False)  # until the warm-up has loaded torch (no import on the GUI thread)
        self.nextTabAction = A("Next &Tab", None, lambda: self._switch_tab(+1), "nextTabAction")
        self.nextTabAction.setShortcuts([QKeySequence("Ctrl+Tab"), QKeySequence("Ctrl+PgDown")])
        self.previousTabAction = A("Pre&vious Tab", None, lambda: self._switch_tab(-1), "previousTabAction")
        # (X11 reports Shift+Tab as Backtab)
        self.previousTabAction.setShortcuts([QKeySequence("Ctrl+Shift+Tab"), QKeySequence("Ctrl+Shift+Backtab"),
                                             QKeySequence("Ctrl+PgUp")])
        self.shortcutsAction = A("&Keyboard Shortcuts", "F1", self.show_shortcuts, "shortcutsAction")
        self.recentAction = A("Recent &Messages", RECENT_KEY, self.show_recent_messages, "recentAction",
                              "What the status bar said lately, each message whole.")
        self.aboutAction = A("&About", None, self.show_about, "aboutAction")

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addAction(self.openAction)
        self.recentMenu = RecentMenu(self.settings, self)
        self.recentMenu.sigOpen.connect(self.open_preset)
        file.addMenu(self.recentMenu)
        file.addAction(self.resumeLastAction)
        file.aboutToShow.connect(self._name_last_run)
        file.addSeparator()
        file.addAction(self.saveAction)
        file.addAction(self.saveAsAction)
        file.addAction(self.proseAction)
        file.addSeparator()
        file.addAction(self.quitAction)
        self.presetsMenu = PresetsMenu(self)
        self.presetsMenu.sigOpen.connect(self.open_preset)
        bar.addMenu(self.presetsMenu)
        train = bar.addMenu("&Train")
        for action in (self.playAction, self.stepAction, self.resetAction):
            train.addAction(action)
        train.addSeparator()
        train.addAction(self.compareAction)
        train.addSeparator()
        train.addAction(self.remeasureAction)
        train.setToolTipsVisible(True)
        self._fileMenu, self._trainMenu = file, train  # build_views adds File > Export and Train > cluster
        edit = bar.addMenu("&Edit")
        edit.addAction(self.undoAction)
        edit.addAction(self.redoAction)
        edit.aboutToShow.connect(self._name_undo)  # against the settings shown now, which may have changed since
        self.lessonMenu = bar.addMenu("&Lesson")  # filled by the lesson bar (build_views)
        view = bar.addMenu("&View")
        view.addAction(self.logAction)
        view.addSeparator()
        for action in (self.presentAction, self.zoomInAction, self.zoomOutAction, self.zoomResetAction):
            view.addAction(action)
        colours = view.addMenu("Colou&rs")  # (Alt+C is Loss Curves')
        colours.addActions(self.lookActions.actions())
        view.addSeparator()
        view.addAction(self.lossPlotAction)
        view.addAction(self.settingsAction)
        view.addSeparator()
        view.addAction(self.nextTabAction)
        view.addAction(self.previousTabAction)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcutsAction)
        help_menu.addAction(self.recentAction)
        help_menu.addAction(self.aboutAction)

    # ----- spec and presets ---------------------------------------------------------------------
    @property
    def spec(self) -> RunSpec:
        return self.config.spec()

    def is_modified(self) -> bool:
        return self.preset_spec() != self._saved_spec

    @property
    def saved_spec(self) -> RunSpec | None:
        """What the preset file holds (None: unknown)."""
        return self._saved_spec

    def preset_spec(self) -> RunSpec:
        """The spec as its preset file holds it: the ablations a lesson step set are the lesson's, not the user's
        (lesson 19.4's last step asked to save them, and saving wrote them into the lesson's start)."""
        return self.lessonBar.preset_of(self.spec) if self._views_built else self.spec

    def _update_title(self) -> None:
        where = f" — {self.preset_path.name}" if self.preset_path else ""
        self.setWindowTitle(f"{self.spec.name}{where}[*] — Transformer Playground")
        self.setWindowModified(self.is_modified())

    @_needs_views
    def _on_spec_changed(self, spec: RunSpec, keys: set[str]) -> None:
        self._update_title()
        self._update_family_tabs()
        live = keys <= LIVE_SETTINGS.keys() and self.worker is not None and self._goes_on(spec, keys)
        if not self.config.by_user:  # a lesson's change: the user's edits of these settings have nothing left to undo
            self._forget_edits(lambda edit: bool(edit.keys & keys))
        elif not self._travelling and (live or self.worker is None or self.worker.step == 0):
            self._record_edit(self.config.before, spec, keys)  # (a trained model replaced is kept as it goes)
        if keys & OTHER_MODEL_KEYS:
            self._show_other_model()
            if spec.lesson is None and self.lessonBar.playing:  # a family or dataset switch: not this model's lesson
                self.lessonBar.show_lesson_of(spec)  # (leaves it)
        if live:
            self._change_live(spec, keys)
            return
        if self.worker is None:
            self._reset_progress()
            self._device_for_next_run()
            self._show_rebuilt_later()
            return
        if self.worker.step > 0 and self._slider_held():
            # The trained model stays until the slider is let go (QA: dragged and let go on its old value, the
            # model was rebuilt all the same, its training gone but for Undo).
            self._held |= keys
            self._held_timer.start()
            return
        was_playing = self.worker.playing
        rebuilt = f"{_what_changed(self.config.before, spec, keys)}: the model was rebuilt, "
        if was_playing:
            self.reset(rebuilt + "training from step 0 (restarting…)." + self._undo_hint())
        else:
            hint = self._undo_hint()  # (before the reset: it names the model the reset keeps for Undo)
            self.reset()
            self.statusBar().showMessage(rebuilt + "at step 0 — press Play." + hint, STATUS_MS, until_training=True)
        self._device_for_next_run()
        if was_playing:
            self._restart.start()
        else:
            self._show_rebuilt_later()

    def _show_rebuilt_later(self) -> None:
        """In a lesson, a step's views are of a model: the rebuilt one, untrained, once its slider settles (QA:
        unticking the box lesson 19.2 highlights emptied its figure; review: one model a slider's tick was built)."""
        if self.lessonBar.playing:
            self._rebuilt.start()

    def _show_rebuilt(self) -> None:
        if self.worker is not None or not self.lessonBar.playing:
            return
        if self._slider_held():
            self._rebuilt.start()
            return
        self.start_worker(TrainingWorker(self.spec, runs_root()))

    def _slider_held(self) -> bool:
        """A settings slider is held down (dragged, or pressed on its groove)."""
        return any(slider.isSliderDown() for slider in self.config.findChildren(QSlider))

    def _settle_drag(self) -> None:
        """The slider is let go: the model is rebuilt if the settings it changed differ from the trained model's."""
        if self._slider_held():
            return
        self._held_timer.stop()
        keys, self._held = self._held, set()
        if not keys or self.worker is None:
            return
        if all(setting(self.spec, key) == setting(self.worker.spec, key) for key in keys):
            self.statusBar().showMessage("Let go on the trained model's own settings: it stays as it was.", STATUS_MS)
            return
        self._on_spec_changed(self.spec, keys)

    def _goes_on(self, spec: RunSpec, keys: set[str]) -> bool:
        """Whether the run goes on with `spec`'s training steps, not rebuilt: trained, not cut short (a loss that blew
        up, memory that ran out), and asked for no fewer than it has taken or its schedule planned (raised, or
        brought back by Undo), its rate not decaying to 0 (`TrainingSession.change` refuses the rest). Other live
        settings always go on."""
        if "train.max_steps" not in keys or self.worker is None:
            return True
        return self._trains_on_to(spec.train.max_steps, spec.train.min_lr_ratio)

    def _trains_on_to(self, steps: int, min_lr_ratio: float | None = None) -> bool:
        """Whether the run on screen goes on to `steps` training steps (`_goes_on`), at `min_lr_ratio` (default: the
        settings' now)."""
        worker, ratio = self.worker, self.spec.train.min_lr_ratio if min_lr_ratio is None else min_lr_ratio
        return worker is not None and worker.step > 0 and not worker.ended_short and ratio > 0 \
            and steps >= max(worker.step, worker.schedule_end)

    def _change_live(self, spec: RunSpec, keys: set[str]) -> None:
        """Learning rate, dropout, weight decay, batch size, clipping: the run goes on with the new value from its
        next step, once its slider has settled (marked on the loss curve when the worker has applied it); a finished
        run keeps its own; the training steps go on with a finished run too."""
        self._live.update({key: setting(spec, key) for key in keys})
        self._live_timer.start(STEPS_SETTLE_MS if "train.max_steps" in self._live else LIVE_SETTLE_MS)

    def _send_live_changes(self, now: bool = False, closing: bool = False) -> None:
        """The settled mid-run changes to the run, or later while a slider is still held (unless `now`: a step or a
        close must not go without them); `closing`: the window closes, and nothing is rebuilt."""
        if not now and self._slider_held():
            self._live_timer.start()
            return
        self._live_timer.stop()
        asked, self._live = self._live, {}
        worker = self.worker
        if worker is None:
            return  # reset meanwhile: the new run starts from the window's settings
        # Values the run has already (a drag away and back) change nothing, and say nothing (review)
        changes = {key: value for key, value in asked.items() if setting(worker.spec, key) != value}
        steps = changes.get("train.max_steps")
        if steps is not None and not self._goes_on(self.spec, {"train.max_steps"}):
            # the run went past a lowering while the slider settled: the model is rebuilt, as for any lowering below
            # the steps taken (review: sent, it was refused, and the bar read "step 740 / 100")
            del changes["train.max_steps"]
            self._send_changes(worker, changes)
            if not closing:
                self._on_spec_changed(self.spec, {"train.max_steps"})
            return
        self._send_changes(worker, changes)

    def _send_changes(self, worker: TrainingWorker, changes: dict[str, Any]) -> None:
        """Send `changes` (live settings) to `worker`'s run, saying what they do."""
        if not changes:
            return
        steps = changes.get("train.max_steps")
        if worker.done and steps is None:
            titles = ", ".join(sorted(FIELD_TITLES[k] for k in changes))
            self.statusBar().showMessage(f"This run has finished: the new {titles} applies when it trains on (raise "
                                         f"Training steps) or to the next run (Reset, Ctrl+R).", STATUS_MS)
            return
        if steps is not None:  # what was changed while it stood finished goes on with it, as the panel shows it
            changes |= {key: setting(self.spec, key) for key in LIVE_SETTINGS
                        if key not in changes and setting(self.spec, key) != setting(worker.spec, key)}
        old = worker.spec.train.max_steps
        for key in sorted(changes, key=lambda k: k != "train.max_steps"):  # the steps first: a finished run goes on
            worker.request_change(key, changes[key])
        if steps is not None:
            self._say_steps_change(old, steps)
        else:
            titles = ", ".join(sorted(FIELD_TITLES[k] for k in changes))
            self.statusBar().showMessage(f"Changed the {titles} from the next step on, without a reset (marked on "
                                         f"the loss curve).", 6000)

    def _say_steps_change(self, old: int, new: int) -> None:
        """The train bar at the run's new end, and what happens there: the run goes on past its schedule's end at
        the final learning rate, or ends sooner again."""
        worker = self.worker
        assert worker is not None
        self.progressBar.setMaximum(new)
        self._fit_bar_labels()
        self.stepLabel.setText(f"step {worker.step:,} / {new:,}")
        if not worker.playing:
            self.speedLabel.setText("paused")  # (it said "finished")
        if new <= worker.step:
            self.speedLabel.setText("finished")  # (QA: "paused" at 500 / 500)
        if new < old:
            back = " again, as its schedule planned" if new == worker.schedule_end else " now"
            self.statusBar().showMessage(f"The run ends at step {new:,}{back}: Training steps {old:,} → {new:,}.",
                                         STATUS_MS)
            return
        end, train = worker.schedule_end, worker.spec.train  # (the run's peak: what it trains with)
        press = "" if worker.playing else ", press Play"
        share = "its peak" if train.min_lr_ratio >= 1 else f"{train.min_lr_ratio:.0%} of its peak"
        # The headline, all a narrow status bar shows, says the rate it goes on at (QA: a curve falling slowly at a
        # tenth of the rate read as a model that learns slowly) and what to do.
        self.statusBar().showMessage(
            f"The run goes on to step {new:,} at the final learning rate {short_number(train.lr * train.min_lr_ratio)}, "
            f"{share}{press}: past step {end:,}, its schedule's end, marked on the loss curve; Reset (Ctrl+R) trains "
            f"a new run planned for {new:,} steps, from the full rate.", 12000)

    @_needs_views
    def load_spec(self, spec: RunSpec, path: Path | None, lesson: bool = True, saved: RunSpec | None = None) -> None:
        """Show `spec` (a preset opened, a run reopened): the current run stops and the new model waits for Play,
        untrained, as its lesson's first step describes it (a slider change, by contrast, keeps a run playing); with
        its lesson bar hidden where not `lesson`. `saved`: what the preset file at `path` holds, where not `spec` (a
        run resumed with the settings it changed on the way). Changes of the last settings are no longer Undo's: they
        were not this preset's (review: Ctrl+Z would have put another preset's learning rate into this one)."""
        self.keep_untrained_settings(spec)
        self.reset()
        self._forget_edits(lambda _edit: True)
        self._device_for_next_run()
        self.preset_path = path
        self._saved_spec = saved or spec
        self._named_as = None  # (the name it opens with follows a file it is saved as only as named_after_file says)
        self.presetsMenu.mark(None)  # a run reopened is no built-in preset (say_opened marks one after this)
        self.config.set_spec(spec)
        self._reset_progress()  # reset() above still read the previous spec's step count
        self._update_family_tabs()
        self._show_other_model()
        self._show_concept_view(spec)
        if lesson:
            self.lessonBar.show_lesson_of(spec)
        else:
            self.lessonBar.stand_down()
        self._update_title()
        self._name_undo()  # against the settings now shown (review: "(the settings shown)" of the ones replaced)

    def _show_other_model(self) -> None:
        """Another family, dataset or preset: no view keeps what belonged to the last one (past runs' curves, the
        Runs tab's selection that drew them, Try it's sentence and answers, the prompt the samples continue: lesson
        19.6's continued a prompt typed for another preset)."""
        self.loss.clear_overlays()
        self.runTools.runs.table.clearSelection()
        self.runTools.tryIt.show_model(self.config.info(), bool(self.spec.model.pretrained))
        self.samples.promptEdit.clear()

    def _show_concept_view(self, spec: RunSpec) -> None:
        """A demo preset opens on the view its lesson is about."""
        if spec.model.pretrained:
            self.tabs.setCurrentWidget(self.runTools.tryIt)  # "it": before and after fine-tuning
        elif spec.model.family == "vit":
            self.tabs.setCurrentWidget(self.inside)
            self.inside.tabs.setCurrentWidget(self.inside.vit)  # [CLS] over the patches
        else:
            self.tabs.setCurrentWidget(self.attention)  # the grid: causal triangle, (anti-)diagonals

    def open_dialog(self) -> None:
        start = str(self.preset_path.parent) if self.preset_path else ""
        path, _ = file_dialogs.open_file(self, "Open a preset", start, "Presets (*.json);;All files (*)")
        if path:
            self.open_preset(path)

    def open_preset(self, path: str) -> bool:
        """Open a preset file, or a built-in preset by name (its file in the package: a name is no path to save to).
        A file that cannot open is refused before the unsaved question (newcomer QA: save or discard first, and then
        "empty.json is empty"); it is read again after it, since saving may have written that very file."""
        found = self._read_preset(path)
        if found is None or not self.maybe_save():
            return False
        found = self._read_preset(path)
        if found is None:
            return False
        path, spec = found
        builtin = is_builtin(Path(path))
        if not builtin:
            add_recent(self.settings, path)
        undo = self._undo_hint()  # (lecturer QA: a paused run replaced by another preset without a word of it)
        self.load_spec(spec, None if builtin else Path(path))
        self.say_opened(spec, Path(path), builtin)
        if undo:
            self.statusBar().showMessage(f"The model trained before is kept:{undo}", STATUS_MS)
        return True

    def _read_preset(self, path: str) -> tuple[str, RunSpec] | None:
        """The preset file at `path` (or the built-in one of that name) and its settings; None, said, if it cannot
        open."""
        try:
            path = str(resolve_preset_path(path))
            return path, load_preset(path)
        except PresetError as err:
            # every problem on hover and in Recent Messages, where the message counts some (QA: "and 3 more problems"
            # were shown nowhere: the file was fixed one error at a time)
            rest = counted_not_named(err.problems, str(err))
            every = "\n".join(f"• {problem}" for problem in err.problems) if rest else ""
            whole = f"Could not open {Path(path).name}: {'; '.join(err.problems)}" if every else ""
            self.config.show_message(f"{err}{WHOLE_ELSEWHERE if every else ''}", "error", every, whole=whole)
            self.statusBar().showMessage(f"Could not open {Path(path).name}", STATUS_MS)
            return None

    def say_opened(self, spec: RunSpec, path: Path, builtin: bool) -> None:
        """Under the settings: which preset opened and what it shows (its description's lead; all of it on hover)."""
        description = spec.description  # (none: not the preset's name again, which read "…fill them in. mine", QA)
        lead = _lead(description) if description else ""
        name = path.stem if builtin else path.name  # a built-in preset is opened by its name
        self.presetsMenu.mark(path.stem if builtin else None)
        cannot_train = self.config.error_shown()  # (QA: a preset whose data file was missing said only "Opened")
        if cannot_train:
            self.config.show_message(f"Opened {name}, but it cannot train: {cannot_train}", "error", description)
            return
        left_out = "" if builtin else left_out_note(path)
        outside = "" if builtin else outside_note(spec, path)
        notes = [f"it {left_out}." if left_out else "", f"It {outside}." if outside else ""]
        opened = f"Opened {'built-in preset ' if builtin else ''}{name}"

        def told(about: str) -> str:
            said = " ".join(part for part in [*notes, about] if part)
            return opened + (f": {said}" if said else ".")

        # Recent Messages keeps the description whole (QA: it kept "…(more on hover)", and hovering there showed none)
        self.config.show_message(told(lead + (WHOLE_ELSEWHERE if lead != description else "")),
                                 "warning" if left_out else "info", description, whole=told(description))

    def save(self, caption: str = "Save preset", again: str = SAVE_AGAIN) -> bool:
        """Save to the preset's file, or to one asked for under `caption` where it has none; `again`: how to save
        again where the write fails."""
        if self.preset_path is None:
            return self.save_as(caption, again)
        return self._write(self.preset_path, again)

    def save_as(self, caption: str = "Save preset", again: str = SAVE_AGAIN) -> bool:
        """Ask for a file and save the preset there; `caption`, the dialog's title, says why when it is not asked for."""
        folder = file_dialogs.last_folder()
        start = str(self.preset_path) if self.preset_path else _suggested_name(self.spec)
        path, _ = file_dialogs.save_file(self, caption, start, "Presets (*.json)", lambda chosen: is_builtin(Path(chosen)))
        if not path:
            return False
        target = Path(path)
        if is_builtin(target):  # the package's: every later session would open it
            self.config.show_message(f"Not saved: {target.name} would be among the built-in presets, which stay as "
                                     f"they ship. Save it in a folder of your own.", "error")
            return False
        if not self._write(target, again):
            file_dialogs.set_last_folder(folder)  # the next dialog not in a folder refused (QA: /proc)
            return False
        self.preset_path = target
        add_recent(self.settings, target)
        self._update_title()
        return True

    def _write(self, path: Path, again: str = SAVE_AGAIN) -> bool:
        """Atomic write through QSaveFile: a crash mid-save never leaves half a preset."""
        # A changed built-in: its name and description, at every save (QA: Ctrl+S kept the first save's list of what
        # was changed)
        # (the name typed, where an Undo has not taken it back since: review)
        named = named_after_file(self.preset_spec(), path, self.preset_path, self._named_as == self.spec.name)
        out = QSaveFile(str(path))
        ok = out.open(QIODevice.OpenModeFlag.WriteOnly)
        if ok:
            out.write(QByteArray(to_json(portable(named, path.parent)).encode("utf-8")))
            ok = out.commit()
        else:
            out.cancelWriting()
        if not ok:  # the spec keeps its name (QA: a save refused in /proc renamed the preset on screen "lecture1")
            self.config.show_message(_not_saved(path, out.errorString(), again), "error")
            return False
        if (named.name, named.description) != (self.spec.name, self.spec.description):
            self.config.set_spec(self.spec.updated({"name": named.name, "description": named.description}))
        self._saved_spec = self.preset_spec()
        self._update_title()
        self.config.clear_error()  # (QA: "Could not save" stood under the settings after the next save worked)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def edit_prose(self) -> None:
        """File > Name and Description: the preset's name and description in the user's words, saved with it as any
        change of its settings is (the title marks it changed), and undone as one (Ctrl+Z)."""
        from playground.ui.preset_prose import PresetProseDialog

        dialog = PresetProseDialog(self, self.spec.name, self.spec.description)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            name, description = dialog.prose()
        finally:
            dialog.deleteLater()
        before = self.spec
        keys = {key for key, value in zip(PROSE, (name, description)) if setting(before, key) != value}
        if not keys:
            return
        if "name" in keys:
            self._named_as = name
        self._show_prose(name, description)
        self._record_edit(before, self.spec, keys)
        what = "Named" if "name" in keys else "Described"
        self.statusBar().showMessage(f"{what} “{self._short_name()}”: Save Preset (Ctrl+S) keeps the name and "
                                     f"description.", STATUS_MS)

    def _show_prose(self, name: str, description: str) -> None:
        """The preset's name and description are these (typed, or an Undo's): the title, the models kept for Undo
        and a lesson's Back under them, and the description under the settings where it is news."""
        before = self.spec
        self.config.set_prose(name, description)
        self.reprose(before)
        self._update_title()
        if self._views_built:  # the diagram's title names the preset (QA: the old name)
            self.architecture.set_spec(self.spec, self.config.info())
        if self.worker is not None:  # the run on screen: its name in the Runs tab, unless the user gave it one there
            try:
                self.worker.rename(name, description)
            except RunsError as err:
                self.statusBar().showMessage(f"The run keeps its name in the Runs tab: {err}", STATUS_MS)
            self.runTools.runs.refresh()
        shown = self.config.messageLabel
        said_before = shown.text().startswith(f"“{cut_at_word(before.name, SHORT_NAME_CHARS)}”: ")
        # the description, new or under a new name (QA saw the last name there), not over what else is said there
        if said_before or description != before.description and (not shown.text() or shown.property("level") == "info"):
            # what the class will read as it opens, in place of the words it replaced (the preset's opening message)
            lead = _lead(description)
            said = f"“{self._short_name()}”: "
            self.config.show_message(f"{said}{lead}{WHOLE_ELSEWHERE if lead != description else ''}"
                                     if description else "", "info", description, whole=said + description)

    def _short_name(self) -> str:
        """The preset's name, cut where it would take lines of its own under the settings or in the status bar."""
        return cut_at_word(self.spec.name, SHORT_NAME_CHARS)

    def maybe_save(self, closing: bool = False, training: bool = False) -> bool:
        """True when it is fine to drop the current spec (saved, discarded); False to cancel. `closing`: the window
        closes, and the question says that the trained model is kept whatever the answer (keyboard QA: asked to
        save or discard while it trained on behind the question, a lecturer could not tell which the training was),
        and that its training stops where it was `training` (QA: said of a finished run too)."""
        if not self.is_modified():
            return True
        question = self.unsaved_question()
        if closing and self._run_kept():
            stops = "training stops and its run is saved" if training else "the trained model is saved"
            question += f" Either way {stops}: File > Resume Last Run brings it back."
        elif self._run_kept():  # another preset or run replaces it (QA: a student feared Discard threw the run away)
            question += " Either way the trained model is kept: Undo (Ctrl+Z) brings it back."
        elif not closing:  # untrained: the load keeps them for Undo (QA: Discard read as losing them)
            question += " Either way Undo (Ctrl+Z) brings these settings back, untrained."
        answer = ask_unsaved(self, question)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _run_kept(self) -> bool:
        """The run on screen is saved as the window closes, at the step it shows: it has trained, has a folder, and
        has not diverged (a diverged run kept an older step)."""
        worker = self.worker
        return worker is not None and worker.step > 0 and worker.run_dir is not None and \
            not (worker.session is not None and worker.session.diverged)

    def unsaved_question(self) -> str:
        """Of the preset file where there is one; else of the settings on screen, a built-in preset's edited or a
        family switch's, which no file of the user's holds (student QA: "Encoder (BERT-like) on Reverse" was asked of
        as if it were a preset)."""
        if self.preset_path is not None:
            held = held_by(self.preset_path, self.saved_spec)
            changed = _capped(changes(held, self.spec) if held is not None else [])
            said = f" ({'; '.join(changed)})" if changed else ""  # (newcomer QA: it did not say which)
            return f"The preset “{self.preset_path.name}” has unsaved changes{said}. Save them?"
        return (f"The settings on screen, “{self.spec.name}”, are in no preset file of yours (built-in presets stay "
                f"as they ship). Save them as a preset of your own?")

    # ----- training -----------------------------------------------------------------------------
    def ensure_worker(self) -> TrainingWorker:
        if self.worker is None:
            if self.config.describe_data_again():  # (QA: a data file put back trained with no Samples tab)
                self._update_family_tabs()
            self.start_worker(TrainingWorker(self.spec, runs_root()))
            if not self.statusBar().passing():  # not over what the action that started it said (newcomer QA)
                self.statusBar().showMessage(PREPARING)
        return self.worker

    def workers(self) -> list[TrainingWorker]:
        """The live run's worker and the stopped ones still saving their checkpoints."""
        return [w for w in (self.worker, *self._retired) if w is not None]

    def start_worker(self, worker: TrainingWorker) -> None:
        """Make `worker` the live run (a new one, or a past run resumed) and start its thread."""
        replaced = self.worker
        if replaced is not None and replaced is not worker:  # (an untrained one Try it had asked, as a Resume
            self._retire(replaced)  # showed a lesson's first step: left as it was, its thread ran on out of sight)
        self.worker = worker
        if worker.resume_from is not None:  # live again: Undo and Redo no longer offer it (review: after a Resume
            live = Path(worker.resume_from)  # in the Runs tab, Undo "brought back" the model on screen)
            self._forget(lambda past: isinstance(past, PastModel) and past.run_dir == live)
        worker.gapOpened.connect(self._on_gap)
        self.lessonBar.follow_model(worker)
        self.samples.attach(worker)  # before the thread starts: even the first sample continues the prompt
        worker.start()
        if replaced is not None and replaced is not worker and self.runTools.tryIt.pending:
            self.runTools.tryIt.predict()  # asked of the model replaced, it waited for good (QA: after a Resume)

    @_needs_views
    def play(self) -> None:
        self._send_live_changes(now=True)  # a change made just before trains from the first step
        if self.worker is not None and self.worker.done:
            self._say_finished()
            return
        self.clear_before_training()
        if not self.lessonBar.train_on():  # (a lesson's training paused short of its step goes on to that step)
            self.ensure_worker().play()
        self._show_playing(True)
        self.pause_compare()

    def _say_finished(self) -> None:
        """Play or Step on a run at its end: how to train it on, or a new one."""
        worker = self.worker
        assert worker is not None
        if worker.ended_short or worker.spec.train.min_lr_ratio <= 0:  # (more steps would not help, or not be taken)
            self.statusBar().showMessage("This run has finished: press Reset (Ctrl+R) to train again.", 6000)
            return
        if self.lessonBar.playing and not self.config.sliders["train.max_steps"].isVisibleTo(self.config):
            # (QA: said in lessons 19.2 and 19.3, whose steps hide the Training group)
            self.statusBar().showMessage("Finished: press Reset (Ctrl+R) for a new run, or Leave the lesson to raise "
                                         "Training steps and train this one on.", STATUS_MS)
            return
        self.statusBar().showMessage("Finished: raise Training steps to train this run on, or press Reset (Ctrl+R) "
                                     "for a new one.", STATUS_MS)

    def clear_before_training(self) -> None:
        """Play, Step or a lesson step that trains: the messages that asked for training (and the settings panel's
        error) are past."""
        self.config.clear_before_training()
        self.statusBar().clear_before_training()

    @_needs_views
    def pause(self) -> None:
        if self.worker is not None:
            if self.worker.playing or self.worker.stepping:  # (QA: "Training on CPU…" stood for 8 s after a pause)
                # No step number: the one under way ends after this, and the train bar shows it.
                self.statusBar().showMessage("Paused: Play (Space) goes on from here.", STATUS_MS)
            self.worker.pause()
        self._show_playing(False)

    def toggle_play(self) -> None:
        # A lesson's steps pause too (QA: Space while it trained played on to the run's end); a Step's do not
        if self.worker is not None and (self.worker.playing or self.lessonBar.training()):
            self.pause()
        else:
            self.play()

    @_needs_views
    def step_once(self) -> None:
        self._send_live_changes(now=True)  # a change made just before trains this step
        if self.worker is not None and self.worker.done:
            self._say_finished()
            return
        if self.worker is not None and self.worker.playing:  # (QA: Right on a clicked slider paused a run, unsaid)
            slider = isinstance(QApplication.focusWidget(), QAbstractSlider)
            self.statusBar().showMessage(STEP_PAUSES + (ON_A_SLIDER if slider else ""), STATUS_MS)
        self._restart.stop()
        self.clear_before_training()
        self.ensure_worker().step_once()
        self._show_playing(False)

    @_needs_views
    def reset_pressed(self) -> None:
        """Reset (the button, Ctrl+R)."""
        # (QA: said of a fine-tuned MiniLM, it told a class its pretraining was wiped; "fresh random weights" had a
        # student reset for another random start, and get the same curve: the seed is the preset's)
        # What it did comes before the first ": " or " (", where a status bar too narrow cuts it (QA: "Reset (Ctrl+I
        # for more)" for MiniLM's at 130 %)
        seed = self.spec.train.seed
        weights = (f"the pretrained weights again, the same starting classifier head (random seed {seed})"
                   if self.spec.model.pretrained else f"the same starting weights (random seed {seed})")
        self.reset(f"Reset to step 0 with {weights}." + self._undo_hint())

    def _undo_hint(self) -> str:
        """Where the trained model on screen goes as it is replaced (newcomer QA: Reset and a rebuild said nothing
        of Undo), or "" for none. No step: the one under way when it was replaced still lands."""
        worker = self.worker
        if worker is None or worker.run_dir is None or worker.step == 0:
            return ""
        if self._undoing:  # it goes where the Undo's change came from (review: "Undo (Ctrl+Z)" went further back)
            return " Redo (Ctrl+Shift+Z) brings back the trained model."
        return " Undo (Ctrl+Z) brings back the trained model."

    @_needs_views
    def reset(self, message: str = "") -> None:
        """Stop the current run (its checkpoint is saved in the background) and clear the views."""
        self._restart.stop()
        self._live_timer.stop()
        self._held_timer.stop()
        self._held = set()  # (the model they were held back for is going)
        self._live = {}  # the next run starts from the window's settings, these included
        if self.worker is not None:
            session = self.worker.session  # (the worker's thread sets it to None as it ends)
            if session is not None:  # not "1 thread while the step compiles": this run's compile is over
                self._set_device(session.placement.description)
            self._retire(self.worker)
            self.worker = None
            self.config.drop_request()
        self.loss.clear()
        self.attention.clear()
        self.inside.clear()
        self.runTools.on_reset()
        self.samples.clear()
        self.lessonBar.follow_model(None)
        self._reset_progress()
        self._show_playing(False)
        if message:
            self.statusBar().showMessage(message, STATUS_MS)

    def _retire(self, worker: TrainingWorker) -> None:
        """`worker`'s model leaves the screen: kept for Undo and Resume Last Run, stopped, its checkpoint saved as
        its thread ends (waited for at the close)."""
        self._keep_past_model(worker)
        self._remember_run(worker)
        worker.stop(save=True)
        self._retired.append(worker)

    @_needs_views
    def undo(self) -> None:
        """Bring back the model the last action replaced, paused at its last step; the current one is kept for Redo,
        so Undo after Undo walks further back (QA: it flipped between the last two models)."""
        self._travel(self.past_models, self.undone_models, "Nothing to undo.")

    @_needs_views
    def redo(self) -> None:
        """Bring back the model the last Undo replaced; the current one is kept for Undo."""
        self._travel(self.undone_models, self.past_models, "Nothing to redo.")

    def _remember_run(self, worker: TrainingWorker) -> None:
        """File > Resume Last Run's run: the last one trained in this window, remembered as it stops (its checkpoint
        is saved then)."""
        if worker.run_dir is not None and worker.step > 0:
            remember_last_run(self.settings, worker.run_dir, self.preset_path)

    def _last_run(self) -> tuple[Path, str] | None:
        """The run last trained in this window, and its name and step as the File menu says them (None: there is
        none to resume, or it is the one on screen now)."""
        folder = last_run(self.settings)
        live = self.worker.run_dir if self.worker is not None else None
        if folder is None or live is not None and Path(live).resolve() == folder:
            return None
        step = saved_step(folder)
        name = read_run_info(folder).get("name") or folder.name
        return folder, f"“{name}”" + (f" at step {step:,}" if step is not None else "")

    def _name_last_run(self) -> None:
        last = self._last_run()
        self.resumeLastAction.setEnabled(last is not None)
        # Beside a trained run on screen, the last one is the one before it (QA: "Last Run: … at step 200" read as
        # the wrong run while a newer one stood paused at step 80)
        on_screen = last is not None and self.worker is not None and self.worker.step > 0
        self.resumeLastAction.setText(("Resume &Previous Run" if on_screen else "Resume &Last Run") +
                                      (f": {last[1]}" if last else ""))

    def offer_last_run(self) -> None:
        """Under the settings, at start: the run last trained, and how to bring it back."""
        last = self._last_run()
        if last is not None:
            self.config.show_message(f"Last trained: {last[1]}. File > Resume Last Run brings it back where it was.",
                                     until_training=True)

    @_needs_views
    def resume_last_run(self) -> None:
        self.runTools.resume_last()

    @_needs_views
    def toggle_log_y(self) -> None:
        self.loss.logCheck.toggle()

    def _on_space(self) -> None:
        self.toggle_play()

    def _on_right(self) -> None:
        # Right trains one step wherever the focus is: a slider just clicked moves with Up and Down, never with
        # the documented step key (moving it would rebuild the model).
        paused = self.worker is None or not (self.worker.playing or self.worker.done)
        self.step_once()
        if paused and isinstance(QApplication.focusWidget(), QAbstractSlider):  # (lecturer QA: the slider stayed,
            self.statusBar().showMessage(STEPPED_ON_A_SLIDER, STATUS_MS)  # nothing said why)

    def show_training(self, training: bool) -> None:
        """The Play button says Pause while a lesson's steps train (Space pauses them), Play once they are done."""
        self._show_playing(training)

    def _show_playing(self, playing: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.playButton.setIcon(self.style().standardIcon(icon))
        self._name_button(self.playButton, "Pause" if playing else "Play")
        self.loss.min_redraw_s = PLOT_REDRAW_S if playing else 0.0
        self._gap_asked_at = None  # a gap asked for before a pause or a reset is not waited for
        self.loss.redraw_if_due()
        self._show_progress_if_due()
        if not playing and self.etaLabel.text():  # every step was shown while playing: no step will say "paused"
            self.speedLabel.setText("paused")
            self.etaLabel.setText("")

    def _reset_progress(self) -> None:
        steps = self.spec.train.max_steps
        self.progressBar.setRange(0, steps)
        self.progressBar.setValue(0)
        self._unshown_step = None
        self._bar_since = None  # (review: the next run's step 1 counted on from the last run's step 1)
        self._fit_bar_labels()
        self.stepLabel.setText(f"step 0 / {steps:,}")
        self.speedLabel.setText("")
        self.etaLabel.setText("")

    def _fit_bar_labels(self) -> None:
        """Room for the train bar's usual texts in the application's font, up to presentation mode's: a label that grows
        with its text makes the bar relayout and repaint while training, and a window at its narrowest widen by
        itself; measured once at 100 %, the room cut "tokens/s" to "tokens/" at 130 % (QA). Above 130 % the room
        stays 130 %'s: 175 %'s would make the window wider than a 1280-px projector."""
        font = QFont(normal_font())
        font.setPointSizeF(font.pointSizeF() * min(self.zoom, PRESENTATION_ZOOM))
        metrics, steps = QFontMetrics(font), self.spec.train.max_steps
        # (the speed's room holds the last step's "88 s finishing the run" too: the bar narrowed for it, QA)
        for label, widest in ((self.stepLabel, f"step {steps:,} / {steps:,}"),
                              (self.speedLabel, max("888,888 tokens/s", f"88 s {FINISHING}", key=metrics.horizontalAdvance)),
                              (self.etaLabel, "ETA 8:88:88")):
            label.setMinimumWidth(metrics.horizontalAdvance(widest) + 2 * label.margin() + 4)

    def _update_family_tabs(self) -> None:
        info = self.config.info()
        self.tabs.setTabVisible(self.tabs.indexOf(self.samples), bool(info and info.samples_text))
        self.loss.set_show_accuracy(bool(info and info.has_accuracy))
        self.inside.set_model(self.spec, info)
        self.architecture.set_spec(self.spec, info)
        self.runTools.update_tabs(info)

    # ----- refresh ------------------------------------------------------------------------------
    def _on_tick(self) -> None:
        if stopped := [w for w in self._retired if w.isFinished()]:
            self.runTools.runs.refresh()  # a stopped run has saved its checkpoint: the Runs list shows it
            self._steps_landed(stopped)
            self._retired = [w for w in self._retired if w not in stopped]
        if self._warmup is not None and self._warmup.isFinished():
            if self._warmup.device and not self._device:
                self._set_device(self._warmup.device)
                self._device_for_next_run()  # the machine's choice, not yet this model's (QA: "fused attention" at
                # launch, "explicit attention" from the first step)
            self._warmup = None
        if self.worker is None:
            return
        worker = self.worker
        if worker.playing and worker.fills_cores and worker.isRunning() and not worker.done:
            if not self._ask_for_gap():
                return
        self._refresh()

    def _ask_for_gap(self) -> bool:
        """While training fills every core the views are refreshed in a gap between two steps (see
        `TrainingWorker.request_gap`): ask for one every `gap_interval()` seconds. True when a step has kept an
        asked-for gap waiting for GAP_PATIENCE_S: then the tick refreshes beside training, as without gaps."""
        now = time.monotonic()
        if self._gap_asked_at is None:
            if now - self._refreshed_at >= self.gap_interval():
                self.worker.request_gap()
                self._gap_asked_at = now
            return False
        return now - self._gap_asked_at >= GAP_PATIENCE_S

    def gap_interval(self) -> float:
        """Seconds between two refreshes in gaps: PLOT_REDRAW_S, or longer where the paints take longer, so
        they cost training GAP_BUDGET of its time (up to GAP_INTERVAL_MAX_S)."""
        return min(GAP_INTERVAL_MAX_S, max(PLOT_REDRAW_S, self._gap_cost_s / GAP_BUDGET))

    def _on_gap(self, worker: TrainingWorker, number: int) -> None:
        """The worker waits: refresh the views and paint them now, while training's threads are idle.

        Flushing runs every event posted to the GUI thread, queued slots included (QGraphicsScene paints
        through them); a gap arriving during that flush (a retired worker's) is only closed."""
        if worker is self.worker and not self._in_gap:
            self._gap_asked_at = None
            self._in_gap = True
            began = time.monotonic()
            try:
                self._refresh()
                for _ in range(GAP_EVENT_ROUNDS):
                    if not worker.gap_open(number):  # it timed out: training goes on, paint beside it as usual
                        break
                    QCoreApplication.sendPostedEvents()
            finally:
                self._in_gap = False
                self._refreshed_at = time.monotonic()  # after the redraws, whose own pace starts from them
                self._gap_cost_s = 0.7 * self._gap_cost_s + 0.3 * (self._refreshed_at - began)
        worker.close_gap(number)

    def _show_status(self, status: StatusEvent) -> None:
        """A training status in the status bar. One ending in "..." announces work under way (compiling, or
        loading the compiled step while the curve waits): it stays until the next status says how it went."""
        from playground.training.events import TRAINING_ON  # loaded with the worker that sent `status`

        message = status.message
        if message.startswith(TRAINING_ON.format(device="")) and self._device:
            message = TRAINING_ON.format(device=self._device)  # as the label says it now (_retell_training_on)
        if message == TRAINING_ON.format(device=self._device) and self.statusBar().passing():
            return  # the device label says it: not over what the action that started the run said (newcomer QA)
        # A sentence (QA: "compiled the training step for 1 thread in 3.6 s" in lower case)
        self.statusBar().showMessage(capitalised(message), 0 if message.endswith("...") else STATUS_MS)
        if status.level == "warning" and self.config.isVisibleTo(self):
            # (the memorising note) under the settings too, where it reads whole; hidden at a projector's zoom, they
            # stay hidden mid-run (review): the status bar's headline has it on hover
            self.config.show_message(status.message, "warning")

    def _refresh(self) -> None:
        """Drain the worker's buffer into the views, then draw the curve and the train bar if due: both after the
        drain, so they show the same step (drawn before it, each refresh showed the last refresh's step while an
        evaluation drew the curve to this one's: "step 297" under a curve at 410, in a real X window)."""
        worker = self.worker
        box = worker.buffer.drain()
        if box:
            self._take(box)
        training = worker.playing or worker.stepping or not worker.idle
        self.runTools.tryIt.follow(worker.step, training)
        self.inside.follow(worker.step, training)
        self.loss.redraw_if_due()  # points that arrived while the last redraw was too recent
        self._show_progress_if_due()
        # The step the train bar shows, not the worker's: the lesson line ran a few steps ahead of the bar (QA)
        self.lessonBar.follow_steps(self.progressBar.value(), training)
        # Steps asked for: not the attention snapshot or sample a worker takes once a single step is done (QA: "3 s
        # on step 2" stood over a ViT paused at step 1)
        # ... and the one under way when Pause was pressed, until it lands (QA: "paused" for the minute a 64-px ViT's
        # step went on)
        self._say_slow_step((worker.playing or worker.stepping or worker.step_under_way) and not worker.done)

    def _say_slow_step(self, stepping: bool) -> None:
        """A step that takes seconds says so in the train bar, with the seconds so far (QA: a 6-layer ViT of 442
        tokens took 25-30 s to its first step on a busy machine, and Play and Step looked ignored meanwhile)."""
        shown, now = self.progressBar.value(), time.monotonic()
        # Past the last step the worker evaluates, snapshots and saves: no step is under way (seen here: "2 s on step
        # 61" of a 60-step run)
        doing = FINISHING if shown >= self.progressBar.maximum() else f"on step {shown + 1:,}"
        if not stepping and self.speedLabel.text().endswith(f" s {doing}"):
            self.speedLabel.setText("paused")  # (QA: it stood there, no step under way)
        if not stepping or self._bar_since is None or self._bar_since[0] != shown:
            self._bar_since = (shown, now) if stepping else None
            return
        waited = now - self._bar_since[1]
        if waited >= SLOW_STEP_S:
            self.speedLabel.setText(f"{waited:.0f} s {doing}")

    def _take(self, box: Drained) -> None:
        """What one drain of the worker's buffer brought, into every view."""
        self.inside.take(box)
        self.runTools.take(box)
        if box.device:
            self._set_device(box.device)
            self._retell_training_on()
            if self.statusBar().currentMessage() == PREPARING:  # the model is built (Try it builds one, trains none)
                self.statusBar().clearMessage()
            if not box.metrics and self.worker is not None and self.worker.step == 0:
                self._device_for_next_run()  # a new model's, before its first step measures its own (QA: "1 thread,
                # … fused attention" after Reset, "2 of 2 threads … explicit" from the step after)
        elif box.metrics and self._device_hedged:
            self._set_device(self._device)  # its first step: what it said as it was built held
        if box.changes:
            self.loss.add_changes(box.changes)
        if box.metrics:
            self.loss.add_metrics(box.metrics)
            self._unshown_step = box.metrics[-1]
        if box.snapshot is not None:
            self.attention.set_snapshot(box.snapshot)
        self.samples.take(box)
        for status in box.statuses:
            self._show_status(status)
        if box.finished is not None and box.finished.step < self.worker.spec.train.max_steps and \
                box.finished.reason == "completed":  # raised as it came to its end (review: "Finished 20 steps")
            self._show_playing(self.worker.playing or self.worker.stepping)  # (Play may have been pressed since)
            self.etaLabel.setText("")
            self._say_steps_change(box.finished.step, self.worker.spec.train.max_steps)
        elif box.finished is not None:
            self._show_playing(False)
            self.speedLabel.setText("finished" if box.finished.reason == "completed" else "stopped")  # not a speed
            self.etaLabel.setText("")
            if box.finished.reason == "diverged":
                self.config.show_message(box.finished.message, "error")
                self.statusBar().showMessage("Training stopped: the loss exploded.", 10000)
            else:
                self.statusBar().showMessage(f"Finished {box.finished.step:,} steps. Run folder: "
                                             f"{self.worker.run_dir}", 15000)
        if box.error:
            self.config.show_message(box.error, "error")
            what = box.error.split(": ", 1)[0]  # the worker's "Training stopped", "Could not resume this run", ...
            self.statusBar().showMessage(f"{what} (see the message on the left).", 10000)  # (QA: "stopped" of a
            # run that had not started)
            self.reset()

    def _show_progress_if_due(self) -> None:
        """The train bar (progress, step, speed, ETA) at the loss plot's pace: while training at most twice a
        second, since a progress bar repaints synchronously (0.5-1 ms here) and on two cores every
        millisecond of the GUI thread is taken from training, and whenever an evaluation has drawn the curve to
        its step; at once when paused or stepping."""
        last = self._unshown_step
        due = time.monotonic() - self._bar_drawn_at >= self.loss.min_redraw_s
        if last is None or not (due or self._curve_reached(last.step)):
            return
        self._unshown_step = None
        self._bar_drawn_at = time.monotonic()
        worker = self.worker
        steps = worker.spec.train.max_steps if worker is not None else last.max_steps  # (raised since the step)
        self.progressBar.setMaximum(steps)
        self.progressBar.setValue(last.step)
        self.stepLabel.setText(f"step {last.step:,} / {steps:,}")
        playing = worker is not None and worker.playing
        if worker is not None and worker.done:
            return  # the run's end already said "finished" (or "stopped"); a late step's draw keeps it
        training = playing or (worker is not None and worker.stepping)  # a lesson trains to its step with Steps
        self.speedLabel.setText(f"{last.throughput:,.0f} {last.unit}/s" if training else "paused")
        self.etaLabel.setText(_eta_text(last, worker))

    def _curve_reached(self, step: int) -> bool:
        """Whether the loss curve is drawn to `step` (an evaluation draws it at once): the bar then shows it too."""
        drawn, _ = self.loss.trainCurve.getOriginalDataset()  # all of it: getData() is cut to a zoomed view
        return drawn is not None and len(drawn) > 0 and drawn[-1] >= step

    def _retell_training_on(self) -> None:
        """A "Training on …" in the status bar, again with the device as the label now says it: a run's attention
        path is measured at its shape before its second step, and the bar said "fused attention" at its left while
        the label said "explicit attention" (QA, lesson 19.4)."""
        from playground.training.events import TRAINING_ON  # loaded with the worker that sent the device

        if self.statusBar().message().startswith(TRAINING_ON.format(device="")):
            self.statusBar().restate(TRAINING_ON.format(device=self._device), STATUS_MS)

    def _set_device(self, description: str) -> None:
        """The device in the status bar; a closing note ("(chosen while the machine was busy: …)") on hover only:
        whole, it took the bar's width, and a zoom's warning beside it read "Z…"."""
        self._device = description
        self._device_hedged = False
        self.remeasureAction.setEnabled(True)
        head, note = description, ""
        if len(description) > DEVICE_CHARS and description.endswith(")") and " (" in description:
            head, note = description.rsplit(" (", 1)
        self.deviceLabel.setText(f"Device: {head}" + (" (…)" if note else ""))
        self.deviceLabel.setToolTip(f"Device: {description}" if note else "")

    def _device_for_next_run(self) -> None:
        """Another model: its threads, precision and attention path are measured for its shape when it trains, so the
        last run's would mislead (QA: vit-shapes showed vit-digits' "bfloat16, explicit attention" until Play; "CPU
        (1 thread)" stood before "2 of 2 threads")."""
        if self._device:
            self._device_hedged = True
            where = self._device.split(", ")[0].split(" (")[0]
            self.deviceLabel.setText(f"Device: {where} · threads and precision chosen at Play")
            self.deviceLabel.setToolTip("This model's threads, precision (bfloat16 or float32) and attention path are "
                                        "measured for its shape when it starts training, and shown here then.")

    def measure_again(self) -> None:
        """Forget this computer's kept measurements (Train menu; `playground bench --reset-choices`)."""
        from playground.training.fastpath.choose import forget_choices  # enabled once torch has loaded

        removed = len(forget_choices())
        said = f"Forgot this computer's {removed} kept measurement{'' if removed == 1 else 's'}" if removed else (
            "No measurements were kept for this computer")
        self.statusBar().showMessage(f"{said}: Reset (Ctrl+R) measures again.", STATUS_MS)

    def start_warmup(self) -> None:
        """Load PyTorch in the background once the window is up, and show the device it found."""
        if self._warmup is None and not self._device and not self._closing:  # (the views may be built after a close)
            self._warmup = Warmup(self.spec, self)
            self._warmup.start()

    def open_compare(self) -> None:
        """Compare A/B: a window that trains these settings (A) beside a copy the user changes (B)."""
        from playground.ui.compare_window import REPLACING, CompareWindow

        kept_b = None
        if self.compareWindow is not None:
            if self.compareWindow.isVisible() and same_settings(self.compareWindow.spec_a, self.spec):
                self.compareWindow.raise_()  # the same A: the comparison under way goes on
                self.compareWindow.activateWindow()
                return
            # closed: B as the user left it (QA: a fresh copy again), the preset renamed since or not (review)
            if same_settings(self.compareWindow.spec_a, self.spec):
                kept_b = self.compareWindow.spec_b
            if not self._close_compare(REPLACING):  # a comparison of the earlier settings, kept (in front)
                return
            self.compareWindow.deleteLater()
        self.compareWindow = CompareWindow(self.spec, self, spec_b=kept_b)
        # Its zoom is this window's too: what it did to this one's width is fitted and said once this one is seen again
        # (QA: F5 in Compare left this window 1,359 px wide on a 1280-px screen, its "Too wide" said behind Compare)
        self.compareWindow.sigClosed.connect(self.fit_zoom)
        self.compareWindow.show()
        if kept_b is not None and kept_b.updated({"name": self.spec.name}) != self.spec:
            self.compareWindow.statusBar().showMessage("B is as you left it: its differences are named above.",
                                                       STATUS_MS)
        self.compareWindow.sigPlaying.connect(self._pause_for_compare)
        self._pause_for_compare()

    def _pause_for_compare(self) -> None:
        """Pause this window's run while Compare A/B trains, said in both windows: the two on the same cores would
        each train at half speed (QA: it trained on out of sight, taking A and B's cores)."""
        if self.worker is None or not (self.worker.playing or self.lessonBar.training()) or self.compareWindow is None:
            return  # (a lesson's training to its step too: review)
        self.pause()
        said = "Paused the main window's run for Compare A/B, which needs the cores: Play (Space) there goes on with it."
        self.statusBar().showMessage(said, STATUS_MS)
        self.compareWindow.statusBar().showMessage(said, STATUS_MS)  # in front: the main one is hidden (QA)

    def pause_compare(self) -> None:
        """Pause Compare A/B as this window's run plays, said here: the one the user sees (session 48's left item: both
        trained at once, each at half speed)."""
        if self.compareWindow is None or not self.compareWindow.playing:
            return
        self.compareWindow.pause()
        self.statusBar().showMessage("Paused Compare A/B for this run, which needs the cores: Play there goes on with "
                                     "the comparison.", STATUS_MS)

    def _close_compare(self, clearing: Clearing | None) -> bool:
        """Close Compare A/B at once (False: the user kept a comparison that had trained), asking as `clearing` words
        it (None: the user agreed already); its threads, asked to stop, end their step meanwhile, kept until they
        end."""
        compare = self.compareWindow
        if clearing is not None:
            self._compare_in_front()
        if not compare.close_for(clearing):
            return False
        self.unfinished_threads = [t for t in self.unfinished_threads if not t.isFinished()]
        self.unfinished_threads += compare.running()
        return True

    # ----- look and messages ----------------------------------------------------------------------
    def set_look(self, look: str, quiet: bool = False) -> None:
        """View > Colours: light or dark whatever the system's look, or the system's (remembered); said unless
        `quiet` (at start)."""
        if look not in theme.LOOKS:
            look = "system"  # (a settings file from elsewhere)
        for action in self.lookActions.actions():
            action.setChecked(action.objectName() == f"{look}LookAction")
        if look != "system" or not quiet:  # (at start the system's look is already chosen)
            theme.set_look(QApplication.instance(), look, self.restyle_plots)
        self.settings.setValue(LOOK_KEY, look)
        if not quiet:
            said = "as the system's" if look == "system" else look
            self.statusBar().showMessage(f"Colours: {said} (View > Colours)", STATUS_MS)

    def restyle_plots(self) -> None:
        """The open plots in the look chosen now (View > Colours, or the system switched); none before the views are
        built (pyqtgraph is not loaded before the first paint, and the plots take the look chosen by then)."""
        if self._views_built:
            from playground.ui import plotting

            plotting.restyle_plots()

    def _on_config_message(self, level: str, whole: str) -> None:
        if level != "info":
            self.set_settings_shown(True)  # a warning or an error is said under the settings: never out of sight
        self.statusBar().remember(whole)  # kept with the status bar's (QA: Recent Messages had no "Opened …")

    # ----- help ---------------------------------------------------------------------------------
    def _switch_tab(self, step: int) -> None:
        """The next (or previous) of the views' tabs shown, round the end: from anywhere in the window (QA: Ctrl+Tab
        did nothing with the focus in the settings, where it usually is)."""
        if not self._views_built:
            return
        tabs = self.tabs
        shown = [i for i in range(tabs.count()) if tabs.isTabVisible(i)]
        if tabs.currentIndex() in shown:
            tabs.setCurrentIndex(shown[(shown.index(tabs.currentIndex()) + step) % len(shown)])

    def show_shortcuts(self) -> None:
        show_table(self, "Keyboard shortcuts", SHORTCUTS, "shortcutsDialog")

    def show_recent_messages(self) -> None:
        said = reversed(self.statusBar().recent)  # newest first
        rows = "".join(f"<tr><td>{clock}&nbsp;&nbsp;</td><td>{html.escape(capitalised(message))}</td></tr>"
                       for clock, message in said)
        text = f"<table>{rows}</table>" if rows else NO_MESSAGES
        show_text(self, "Recent messages", text, "recentDialog")

    def show_about(self) -> None:
        """What the app is, and which versions run it (for a bug report: QA found no version anywhere)."""
        show_text(self, "About Transformer Playground", f"{ABOUT}<p><small>{html.escape(version_line())}</small></p>",
                  "aboutDialog")

    # ----- closing ------------------------------------------------------------------------------
    def _restore_window_state(self) -> None:
        self._restore("window/geometry", self._restore_geometry)
        self._restore("window/mainSplitter", self.mainSplitter.restoreState)

    def _restore_geometry(self, state: QByteArray) -> bool:
        """The window's saved size and place; True too where Qt refuses one saved on another screen (a wider or
        narrower one, or at another scale), which is not damaged: the default size then, unsaid (QA: a lecturer
        moving between a laptop and a projector was told at each launch that the layout "could not be read")."""
        if self.restoreGeometry(state):
            return True
        saved = self.settings.value(GEOMETRY_SCREEN_KEY)
        return isinstance(saved, str) and saved != screen_words(self)

    def _restore_views_state(self) -> None:
        self._restore("window/centreSplitter", self.centreSplitter.restoreState)
        self.loss.set_log_y(str(self.settings.value("view/logy", "false")).lower() == "true")

    def _restore(self, key: str, restore: Callable[[QByteArray], bool]) -> None:
        """A layout saved at the last close, put back; one that cannot be read (a settings file cut off mid-write,
        edited by hand) is forgotten and said, the default layout kept (QA: Qt's TypeError stopped every launch)."""
        state = self.settings.value(key)
        if not state or isinstance(state, QByteArray) and restore(state):
            return
        self.settings.remove(key)
        self.statusBar().showMessage(f"The window layout saved in {self.settings.fileName()} could not be read: the "
                                     f"default layout is used, and saved at the close.", STATUS_MS)

    def _save_window_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue(GEOMETRY_SCREEN_KEY, screen_words(self))  # Qt's refusal told from damage
        # (a hidden panel's width too; the settings' own while F9 hides them)
        kept = self._with_settings
        self.settings.setValue("window/mainSplitter", kept if kept is not None else self.mainSplitter.saveState())
        if self._views_built:  # closed within the first half second: the views' last state stays
            self.settings.setValue("window/centreSplitter", self.lessonBar.centre_state())  # not a lesson's squeeze
            self.settings.setValue("view/logy", self.loss.logCheck.isChecked())
        self.settings.sync()

    def shutdown(self, wait_s: float | None = None) -> list[QThread]:
        """Stop every worker (the live one saves its checkpoint) and wait for the threads to end: all of them, or
        at most `wait_s` seconds (a run with no step taken yet not at all). Returns the threads still running then
        (kept here, alive, until they end)."""
        self._timer.stop()
        self._restart.stop()
        self._rebuilt.stop()
        if self._views_built:
            self.runTools.runs.tensorboard.stop()
        if self.worker is not None:
            self._send_live_changes(now=True, closing=True)  # saved with the run, not lost
            self.worker.stop(save=True)
            self._retired.append(self.worker)
            self.worker = None
        deadline = None if wait_s is None else time.monotonic() + wait_s
        running: list[QThread] = []
        for thread in [*self._retired, self._warmup, *self.unfinished_threads]:
            if thread is None:
                continue
            if deadline is None:
                thread.wait()
                continue
            # A run that took no step has nothing to save: closing does not wait for it to compile or load torch.
            budget = deadline - time.monotonic() if getattr(thread, "step", 0) > 0 else 0.0
            if not thread.wait(max(0, round(budget * 1000))):
                thread.setParent(None)  # Qt aborts when a running thread is destroyed with its parent, this window
                running.append(thread)  # compiling or importing torch: neither can be interrupted
        self._retired = []
        self._warmup = None
        self.unfinished_threads = running
        return running

    def _compare_in_front(self) -> None:
        """Compare A/B in front where it will ask before closing (its question shows over it)."""
        compare = self.compareWindow
        if compare.isVisible() and compare.trained_steps() > 0:
            if compare.isMinimized():
                compare.showNormal()
            compare.raise_()
            compare.activateWindow()

    def _compare_may_close(self) -> bool:
        """Compare A/B may close as the window quits (asked first, in front); False where the user kept comparing."""
        from playground.ui.compare_window import QUITTING

        compare = self.compareWindow
        if compare is None or not compare.isVisible():
            return True
        self._compare_in_front()
        return compare.may_clear(QUITTING)  # (A and B held, as this window's run is, until the quit is agreed)

    def _may_close(self) -> bool:
        """Asked first: a comparison that has trained (closed only once the rest is agreed too); then unsaved
        settings, or where there are none, training under way. Training pauses while a question is open (QA: it
        trained on 89 steps behind one that said it would stop) and plays on if the window stays."""
        worker = self.worker
        training = worker is not None and (worker.playing or worker.stepping)  # (a lesson's steps too)
        playing = worker is not None and worker.playing
        lesson = self._views_built and self.lessonBar.training()  # held too (review: its steps trained on behind it)
        if playing or lesson:  # held, not the Pause button's: its message, and Play's clearing of errors, are not this
            worker.pause()  # type: ignore[union-attr]
            self._show_playing(False)  # the button says Play beside "paused" meanwhile (QA: it said Pause)
        compare = self.compareWindow
        comparing = compare is not None and compare.isVisible() and compare.playing
        compared = self._compare_may_close()
        if not compared:
            agreed = False
        elif self.is_modified():
            agreed = self.maybe_save(closing=True, training=training)
        else:
            agreed = not training or ask_quit_while_training(self, worker.held_step(), self._run_kept())  # type: ignore[arg-type]
        if agreed and compare is not None:
            self._close_compare(None)
        elif compared and comparing:  # the quit refused after Compare's question: A and B play on as this run does
            compare.play()
        if playing and not agreed:
            worker.play()  # type: ignore[union-attr]
            self._show_playing(True)
        elif lesson and not agreed and self.lessonBar.train_on():
            self._show_playing(True)
        return agreed

    def close_now(self, code: int = 0) -> None:
        """Close without asking (a termination request): the run is saved and remembered as Quit does, the preset's
        unsaved edits are not; the application then exits with `code`."""
        self._closing = True
        self.close()
        QApplication.exit(code)  # (every event loop: a question left open returns too)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._closing and not self._may_close():
            event.ignore()
            return
        self._closing = True
        if self.worker is not None:
            self._remember_run(self.worker)  # its checkpoint is saved by the shutdown below
        self._save_window_state()
        # Gone from the screen before the wait for the run to save (up to CLOSE_WAIT_S): shown meanwhile, the
        # window stood frozen for 2-3.6 s with the Save/Discard dialog's picture on it.
        for timer in (self._timer, self._restart, self._rebuilt, self._live_timer):
            timer.stop()  # nothing starts or redraws while the hide below reaches the screen
        self.hide()
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        self.shutdown(self.close_wait_s)  # waits for Compare's threads too
        event.accept()


def _what_changed(before: RunSpec, spec: RunSpec, keys: set[str]) -> str:
    """The settings a rebuild changed from `before`, as the status bar says them in one line: a new family or dataset
    by the new model's name, else up to three settings by name, a data option as the Data settings name it (QA:
    "Changed dataset options" beside the Symbols box; a family switch listed ~15 settings, cut mid-word)."""
    if keys & OTHER_MODEL_KEYS:
        return f"Now {spec.name}"
    named = [FIELD_TITLES.get(key, key) for key in keys if key != "data.options"]
    if "data.options" in keys:
        was, now = before.data.options, spec.data.options
        named += [option_title(name) for name in {*was, *now} if was.get(name) != now.get(name)] or \
            [FIELD_TITLES["data.options"]]
    return "Changed " + ", ".join(_capped(sorted(named)))


def _capped(named: list[str]) -> list[str]:
    """`named`, its last ones counted where there are more than MAX_TITLES."""
    if len(named) <= MAX_TITLES:
        return named
    return [*named[:MAX_TITLES - 1], f"{len(named) - MAX_TITLES + 1} more settings"]


def _lead(description: str) -> str:
    """A description's first sentence, cut at a word within LEAD_CHARS: whole, bert-pronoun's 12 lines squeezed the
    settings into a scroll box, and a lesson's first sentence alone took 5."""
    return cut_at_word(re.split(r"(?<=[.?!])\s+", description, maxsplit=1)[0], LEAD_CHARS)


def _not_saved(path: Path, error: str, again: str = SAVE_AGAIN) -> str:
    """Why `path` could not be written, and what to do (QA: the system's bare "No such file or directory"). Told from
    the path where it can be: QSaveFile's error is text, in the system's language but for Qt's own words."""
    folder, fix = path.parent, "save them in a folder you can write in"
    if not folder.is_dir():
        why = f"there is no folder {folder}"
    elif not os.access(folder, os.W_OK):
        why = f"this account may not write in {folder}"
    elif _name_too_long(path):  # (review: said of the folder, it sent the user to another)
        why, fix = "its name is too long", "save them under a shorter name"
    elif error in (QT_NO_SUCH_FILE, os.strerror(errno.ENOENT)):  # a folder that makes no files of the user's: /proc
        why = f"{folder} does not take new files"
    else:
        why = error
    # (a name of hundreds of characters pushed what to do out of the message's room: QA)
    return f"Could not save {elide(path.name, SHORT_NAME_CHARS)}: {why}. Your settings are kept: {fix} ({again})."


QT_NO_SUCH_FILE = "No such file or directory"  # Qt's own words for ENOENT, whatever the system's language
NAME_MAX = 255  # bytes of a file's name where the system does not say (Windows has no pathconf)


def _name_too_long(path: Path) -> bool:
    try:
        limit = os.pathconf(path.parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = NAME_MAX
    return len(os.fsencode(path.name)) > limit


def _suggested_name(spec: RunSpec) -> str:
    return f"{file_words(spec.name, empty='preset').lower()}.json"
