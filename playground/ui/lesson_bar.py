"""The lesson bar (issue 25): a preset's lesson, one step at a time, above the settings and beside the views.

A step shows its text, a tab and view, an input to probe, and hides, locks or highlights settings so that only the
idea at hand is in view; it may set ablations and train the model up to a step (through the window's worker, never
on this thread). Back / Next, Page Up / Page Down (a presenter's clicker) and Leave; leaving puts every control back
as the spec shows it. The Lesson menu also adds the window's state as a step and edits the lesson (lesson_editor.py).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QByteArray, QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.core.differences import flat, setting_text
from playground.core.lessons import ABLATION_VALUES, GROUPS, TABS, VIEWS, Lesson, LessonStep
from playground.ui.focus_ring import tab_through, widget_shortcut
from playground.ui.run_tools import ENLARGED_KEY
from playground.ui.status_bar import STATUS_MS

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QAction

    from playground.core.spec import RunSpec
    from playground.ui.architecture_view import ArchitectureView
    from playground.ui.config_panel import ConfigPanel
    from playground.ui.inside_attention import InsideAttentionPanel
    from playground.ui.lesson_editor import LessonEditor
    from playground.ui.run_tools import RunTools
    from playground.ui.samples_panel import SamplesPanel
    from playground.ui.worker import TrainingWorker


class Host(Protocol):
    """What the lesson bar needs of the main window: its public members, so neither module imports the other."""

    spec: RunSpec
    saved_spec: RunSpec | None
    preset_path: Path | None
    settings: QSettings
    worker: TrainingWorker | None
    config: ConfigPanel
    tabs: QTabWidget
    centreSplitter: QSplitter
    inside: InsideAttentionPanel
    runTools: RunTools
    attention: QWidget
    samples: SamplesPanel
    architecture: ArchitectureView
    lessonMenu: QMenu

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - QMainWindow's
    def make_action(self, text: str, shortcut: Any, slot: Any, name: str, tip: str = "") -> QAction: ...
    def ensure_worker(self) -> TrainingWorker: ...
    def clear_before_training(self) -> None: ...
    def show_training(self, training: bool) -> None: ...
    def bring_back_model_of(self, spec: RunSpec, up_to: int | None = None) -> bool: ...
    def relesson(self, path: Path | None, before: Lesson | None, after: Lesson) -> None: ...
    def reset(self, message: str = "") -> None: ...
    def save(self, caption: str = ..., again: str = ...) -> bool: ...
    def pause_compare(self) -> None: ...
    def set_settings_shown(self, shown: bool) -> None: ...
    def set_loss_plot_shown(self, shown: bool, quiet: bool = False) -> None: ...
    def is_modified(self) -> bool: ...
    def setWindowModified(self, modified: bool) -> None: ...  # noqa: N802 - QWidget's

# Colours through palettes, not style sheets: a widget with a style sheet keeps its font when presentation mode
# enlarges the application's. A marker pen's yellow and the bar's pale yellow, with dark text in a dark theme too.
HIGHLIGHT = QColor("#ffd54f")
BAR_COLOUR = QColor("#fff8e1")
TEXT_COLOUR = QColor("#202020")
TEXT_SCALE = 1.15  # the step's text a little larger than the window's, at every zoom
ROOMY_TABS = ("try_it", "architecture")  # tabs whose figure a lesson step gives the loss plot's height (_make_room)
# The controls of the Transformer block's parts: a step on the architecture that highlights one scrolls to the block
BLOCK_CONTROLS = frozenset({"model.n_head", "model.n_layer", "model.d_ff", "model.dropout", "model.norm",
                            "model.residual", "model.causal", "model.scale_scores"})
MACHINE_KEYS = frozenset({"train.device", "train.precision", "train.compile"})  # how this machine trains, not what
# the lesson shows: a lesson played again keeps the window's
# Tabs whose step is about the curves: the Runs tab overlays runs on the loss plot (QA, 19.4's "compare the three
# runs": their legend left 60 px of curve), so the plot gets most of the height.
CURVES_TABS = ("runs",)
CURVES_SHARE = 0.6
TRAINING_PLOT_SHARE = 0.22  # of the centre's height, for the loss plot beside a view while a step trains
TRAIN_POLL_MS = 250  # how often the bar reads the worker's step while a lesson step trains
STEP_SAID = "Step "  # how a message about one step starts
# Page Down / Up are a lesson's in the whole window while one plays; with none, in the settings they say so, where a
# clicker's press paged the slider in focus and rebuilt the trained model (lecturer QA: embedding dimension 64 -> 8, its
# curves gone); elsewhere they page a table or a text as usual
NO_LESSON = ("Page Down and Page Up move a lesson on, and no lesson is playing: Lesson > Open a Built-in Lesson, or "
             "Play the Preset's Lesson.")
LOCKED_TIP = "This lesson step keeps it as it is: go on to the next step, or Leave the lesson, to change it."


def _ablation(spec: Any, key: str) -> Any:
    return getattr(spec.model, key.split(".", 1)[1])


def _builtin_of(lesson: Any) -> RunSpec | None:
    """The built-in preset that holds `lesson`, or None: a run resumed or reopened names no preset file, and its own
    settings (a patch size changed before it trained) are not the ones the lesson was written for."""
    from playground.core.presets import builtin_presets, load_preset

    return next((spec for info in builtin_presets() if info.lesson and (spec := load_preset(info.path)).lesson == lesson),
                None)


def _listed(spec: RunSpec, settings: dict[str, Any]) -> str:
    """'residual connections on, LayerNorm placement none': `settings` in the class's words (QA: the hint read
    'model.residual = true, model.norm = "none"')."""
    changed = spec.updated(settings)
    return ", ".join(setting_text(key, changed) for key in settings)


class _TextScroll(QScrollArea):
    """A step's text at its whole height where the column has room, scrolled where it has not (QA: at 175 % and
    more the text was cut mid-sentence, with no way to read the rest). Call `updateGeometry` when the text changes."""

    def __init__(self, label: QLabel, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("lessonTextScroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidgetResizable(True)
        self.setWidget(label)
        self.viewport().setAutoFillBackground(False)  # the bar's colour shows through
        label.setAutoFillBackground(False)
        # (a scroll area expands by default: the bar took half an empty column, the settings hidden)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """The text's height wrapped as if beside a scroll bar, whether one shows or not: a hint that followed the
        viewport's width would grow the bar until the scroll bar went, then shrink it again."""
        label = self.widget()
        width = self.width() if self.isVisible() else label.sizeHint().width()
        return QSize(label.sizeHint().width(),
                     label.heightForWidth(max(1, width - self.verticalScrollBar().sizeHint().width())))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # three lines and a scroll bar at least, or a shorter text's own height (review: a line took three)
        return QSize(0, min(3 * self.widget().fontMetrics().lineSpacing(), self.sizeHint().height()))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():  # wrapped to a new width: another height
            self.updateGeometry()


class LessonBar(QFrame):
    """Plays `window.spec.lesson`. `train_cap`: no lesson step trains the model past this step (tests scale the
    lessons' training down with it); None trains as the lesson says."""

    def __init__(self, window: Host) -> None:
        super().__init__(window)  # type: ignore[arg-type] - the window is a QMainWindow
        self.setObjectName("lessonBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        _paint(self, BAR_COLOUR)
        self.main = window  # (not `self.window`: that is QWidget.window())
        self.lesson: Lesson | None = None
        self.index = 0
        self.train_cap: int | None = None
        self._base: dict[str, Any] = {}  # the ablations as the lesson found them (a step's settings go back to them)
        self._overlaid = False  # a step drew runs over the loss plot, which another step takes away
        # What the shown step hid (with its form row), locked and highlighted (with its palette before), to put back.
        self._hidden: dict[QWidget, QFormLayout | None] = {}
        self._locked: set[QWidget] = set()
        self._tips: dict[QWidget, str] = {}  # the locked controls' parts, with their tooltips before
        self._highlighted: dict[QWidget, tuple[QPalette | None, bool]] = {}  # palette (None: inherited), filled
        self._training: tuple[TrainingWorker, int] | None = None  # (worker, the step it trains to)
        self._splitter: QByteArray | None = None  # the loss plot's and the tabs' heights as the lesson found them
        self.editor: LessonEditor | None = None

        self.counterLabel = QLabel(self)
        self.counterLabel.setObjectName("lessonCounter")
        # wraps: on one line, a lesson's title and "· step 2 of 4" made the window 1,337-1,471 px wide at 130 %
        self.counterLabel.setWordWrap(True)
        self.textLabel = QLabel(self)
        self.textLabel.setObjectName("lessonText")
        self.textLabel.setWordWrap(True)
        self.textLabel.setTextFormat(Qt.TextFormat.RichText)
        self.textLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusLabel = QLabel(self)
        self.statusLabel.setObjectName("lessonStatus")
        self.backButton = self._button("◀ Back", "lessonBack", "Previous step (Page Up)", self.back)
        self.nextButton = self._button("Next ▶", "lessonNext", "Next step (Page Down)", self.next)
        self.leaveButton = self._button("Leave", "lessonLeave", "Leave the lesson: every control comes back",
                                        self.leave)
        buttons = QHBoxLayout()
        buttons.addWidget(self.backButton)
        buttons.addWidget(self.nextButton)
        buttons.addWidget(self.leaveButton)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        # The buttons first, in one place at every step: under texts of different heights, a second click on Next
        # landed on the Family box (QA).
        layout.addLayout(buttons)
        layout.addWidget(self.counterLabel)
        layout.addWidget(self.statusLabel)
        self.textScroll = _TextScroll(self.textLabel, self)
        layout.addWidget(self.textScroll)

        self._scale_text()
        self._poll = QTimer(self)
        self._poll.setInterval(TRAIN_POLL_MS)
        self._poll.timeout.connect(self._follow_training)
        self._emptyWatch = QTimer(self)  # a step that hid the empty loss plot: the plot back once the model trains
        self._emptyWatch.setInterval(TRAIN_POLL_MS)
        self._emptyWatch.timeout.connect(self._watch_empty)
        self._make_actions()
        window.config.sigControlsSynced.connect(self._apply_controls)
        self.hide()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presentation mode or a zoom: the text follows
            self._scale_text()

    def _scale_text(self) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * TEXT_SCALE)
        self.textLabel.setFont(font)
        self.textScroll.updateGeometry()
        # Its line kept when empty: "training to step N" appearing would push the settings under the bar down and a
        # highlighted one out of view.
        self.statusLabel.setMinimumHeight(self.statusLabel.fontMetrics().height())

    def tab_before(self, first: QWidget) -> None:
        """Tab reaches the bar's buttons just before `first` (the settings' first control), as they stand above it:
        made after the views, they came last, after the tabs' pages."""
        previous = first.previousInFocusChain()
        while previous.focusPolicy() == Qt.FocusPolicy.NoFocus:  # (setTabOrder ignores a container)
            previous = previous.previousInFocusChain()
        tab_through(previous, (self.backButton, self.nextButton, self.leaveButton))

    def _button(self, text: str, name: str, tip: str, slot: Any) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click leaves the focus: Space and Right stay the window's
        button.clicked.connect(slot)
        return button

    def _make_actions(self) -> None:
        A, menu = self.main.make_action, self.main.lessonMenu
        self.playAction = A("&Play the Preset's Lesson", None, self.play, "lessonPlayAction",
                            "Start the lesson this preset carries, from its first step.")
        # A clicker sends Page Down / Up: window-wide, even over a slider or table that would page with them
        self.nextAction = A("&Next Step", "PgDown", self.next, "lessonNextAction", "Next lesson step (a clicker's key)")
        self.backAction = A("&Previous Step", "PgUp", self.back, "lessonBackAction", "Previous lesson step")
        self._settingsKeys = [widget_shortcut(key, self.main.config, self._no_lesson) for key in ("PgDown", "PgUp")]
        self.leaveAction = A("&Leave the Lesson", None, self.leave, "lessonLeaveAction",
                             "Hide the lesson bar: every control comes back.")
        self.addStepAction = A("&Add This State as a Lesson Step…", "Ctrl+Shift+L", lambda: self.edit(add_state=True),
                               "lessonAddStepAction", "The tab, view, input, layer, head, ablations and training "
                               "step shown now become a new step; type its text, then save it into the preset.")
        self.editAction = A("&Edit Lesson…", None, self.edit, "lessonEditAction",
                            "Edit, reorder or delete the steps of this preset's lesson and save it into the preset.")
        menu.addMenu(self.main.presetsMenu.lessons_menu("&Open a Built-in Lesson", menu))
        menu.addSeparator()
        for action in (self.playAction, self.nextAction, self.backAction, self.leaveAction):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.addStepAction)
        menu.addAction(self.editAction)
        menu.aboutToShow.connect(self._update_actions)
        self._update_actions()

    # ----- playing ------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self.lesson is not None

    @property
    def step(self) -> LessonStep | None:
        return self.lesson.steps[self.index] if self.lesson else None

    def show_lesson_of(self, spec: Any) -> None:
        """A preset was opened: play its lesson from the first step, or leave the last one's. The last lesson's
        ablations are not put back: they belonged to the preset that was open (lesson 19.5's post-LayerNorm and
        mask off opened the next decoder without its mask)."""
        self.stand_down()
        if spec.lesson is not None:
            self._views_as_written()
            self.start(spec.lesson)

    def stand_down(self) -> None:
        """Hide the bar, every control back, the settings as they are: the model on screen is not this lesson's."""
        self._leave(restore_settings=False)

    def shows(self, spec: Any, index: int | None = None) -> bool:
        """Whether `spec` has the ablations step `index` (default: the one shown) sets (review: Undo brought back a
        lesson's untrained settings of another step under this one's text)."""
        if self.lesson is None:
            return False
        wanted = self.lesson.settings_at(self.index if index is None else index, self._base)
        return all(_ablation(spec, key) == value for key, value in wanted.items())

    def go_to_step_showing(self, spec: Any) -> bool:
        """A trained model of this lesson brought back by Undo or Redo (on screen now): the bar goes to the step
        nearest the one shown whose ablations it has (QA: step 2's model stood under step 3's "Without residual
        connections"), training nothing (review: an Undo that trained on would be no Undo); False where no step
        has them."""
        assert self.lesson is not None
        showing = [index for index in range(len(self.lesson.steps)) if self.shows(spec, index)]
        if not showing:
            return False
        self.go(min(showing, key=lambda index: (abs(index - self.index), index)), train=False)
        return True

    def preset_of(self, spec: Any) -> Any:
        """`spec` less the ablations this lesson has set by the shown step: each that still has the lesson's value
        goes back to the one the lesson found (one the user changed since stays the user's)."""
        if self.lesson is None:
            return spec
        wanted = self.lesson.settings_at(self.index, self._base)
        own = {key: self._base[key] for key, value in wanted.items()
               if value != self._base[key] and _ablation(spec, key) == value}
        return spec.updated(own) if own else spec

    def play(self) -> None:
        """Lesson > Play: from its first step, on an untrained model as that step says (QA: played again after the
        lesson, step 1's "untrained" views showed the model trained to step 200). Undo brings the trained one back."""
        if self.main.spec.lesson is None:
            return
        trained = self.main.worker is not None and self.main.worker.step > 0
        if trained:
            self.main.reset()
        lesson = self.main.spec.lesson
        back = self._preset_settings_back()
        self._views_as_written()
        self.start(lesson)  # (taken before: a change of family or data drops a preset's lesson)
        said = [f"The preset's settings are back, as the lesson was written for them: {back}."] if back else []
        if trained:
            said.append("The lesson from its first step, on an untrained model: Ctrl+Z brings back the trained one.")
        if said:  # (after the step's own messages)
            self.main.statusBar().showMessage(" ".join(said), STATUS_MS)

    def _preset_settings_back(self) -> str:
        """The model, data and training settings the lesson was written for, as its preset file holds them (QA:
        replayed on 2 heads, step 1 said "each layer runs 4 heads"); which came back, in words. A trained model they
        replace is kept for Undo."""
        spec = self.main.spec
        changes = self._preset_values()
        if not changes or not self.main.config.apply(changes):
            return ""
        named = {key: value for key, value in changes.items() if key != "data.options"}
        return _listed(spec, named) + (" and the data's options" if "data.options" in changes else "")

    def _preset_values(self) -> dict[str, Any]:
        """The lesson's preset's model, data and training settings that differ from the window's now, at the preset's
        values ({} where the preset file is unknown or holds another lesson)."""
        spec = self.main.spec
        saved = self.main.saved_spec if self.main.preset_path is not None else _builtin_of(spec.lesson) or \
            self.main.saved_spec  # (QA: a run resumed was its own preset, the settings it had changed kept)
        if saved is None or saved.lesson != spec.lesson:
            return {}
        now, then = flat(spec), flat(saved)
        changes: dict[str, Any] = {key: value for key, value in then.items()
                                   if key.startswith(("model.", "train.", "data.")) and not key.startswith("data.options")
                                   and key not in MACHINE_KEYS and now.get(key) != value}
        if saved.data.options != spec.data.options:
            changes["data.options"] = dict(saved.data.options)
        return changes

    def _changed_from_preset(self) -> str:
        """What a step that trains says of settings changed since the lesson began ("" for none): its text's numbers
        were written for the preset's (QA: 8 heads where the lesson had 4, and step 3's "under 0.2 here" read 0.8
        beside it). The lesson's own ablations are set again at every step, so they are never the user's."""
        spec, changed = self.main.spec, self._preset_values()
        then = {key: value for key, value in changed.items() if key not in ABLATION_VALUES and key != "data.options"}
        if not then and "data.options" not in changed:
            return ""
        settings = flat(spec)
        now = {key: settings[key] for key in then}
        options = " and the data's options" if "data.options" in changed else ""
        yours = (_listed(spec, now) + options).removeprefix(" and ")
        written = (_listed(spec, then) + options).removeprefix(" and ")
        return (f"This step trains with your changes, {yours} (the lesson was written for {written}), so its numbers "
                f"may differ from the text's. Lesson > Play the Preset's Lesson puts the preset's settings back, on a new "
                f"model.")

    def start(self, lesson: Lesson, index: int = 0, untrained: bool = False) -> None:
        """Play `lesson` from step `index` (0-based), on a new model at step 0 if `untrained` (see `go`)."""
        self.leave()
        self.lesson = lesson
        self._base = {key: _ablation(self.main.spec, key) for key in ABLATION_VALUES}
        self.show()
        self.go(index, untrained)

    def _views_as_written(self) -> None:
        """Inside attention's pickers at layer 1, head 1, as a lesson was written (QA: the last lesson's "layer 2"
        carried over into the next), the roles table, the Attention tab and the head view following them (the head
        view keeps its "all heads"); and the samples' temperature at its default."""
        self.main.inside.pick(0, 0)
        self.main.runTools.tryIt.pick_as_written()
        self.main.samples.default_temperature(self.main.worker)

    def next(self) -> None:
        # While the step trains, Next waits (QA: a clicker's double press skipped 19.6's masked run, whose result
        # the next step's text speaks of)
        if self.lesson is not None and self.training():
            assert self._training is not None
            self.main.statusBar().showMessage(f"{STEP_SAID}{self.index + 1} trains the model to step "
                                              f"{self._training[1]:,} first: Pause (Space), then Next moves on.",
                                              STATUS_MS)
            return
        if self.lesson is not None and self.index + 1 < len(self.lesson.steps):
            self.go(self.index + 1)
        elif self.lesson is not None:  # a clicker pressed once too often: said, not nothing (QA)
            self.main.statusBar().showMessage(f"{STEP_SAID}{self.index + 1} is the lesson's last: Leave puts every "
                                              f"control back.", STATUS_MS)

    def _no_lesson(self) -> None:
        self.main.statusBar().showMessage(NO_LESSON, STATUS_MS)

    def back(self) -> None:
        if self.lesson is not None and self.index == 0:
            self.main.statusBar().showMessage(f"{STEP_SAID}1 is the lesson's first: Next (Page Down) goes on.",
                                              STATUS_MS)
        elif self.lesson is not None:
            # Back past the step that trained: the model before training, as that step's text says (QA: Back to
            # step 1 showed the model trained to step 200 under "untrained"); Next brings the trained one back.
            before_training = self.lesson.trained_by(self.index) and not self.lesson.trained_by(self.index - 1)
            self.go(self.index - 1, untrained=before_training)

    def go(self, index: int, untrained: bool = False, train: bool = True) -> None:
        """Show step `index` (0-based): its controls, ablations, tab and view, input, and training (none where not
        `train`: the model on screen as it is); on a new model at step 0 if `untrained` (the trained one is kept for
        Undo and the next step that trains)."""
        assert self.lesson is not None
        back = index < self.index
        self.index = max(0, min(index, len(self.lesson.steps) - 1))
        step = self.lesson.steps[self.index]
        if self.main.statusBar().currentMessage().startswith(STEP_SAID):
            self.main.statusBar().clearMessage()  # another step's (QA: "Step 6 shows…" stayed at step 1)
        self._restore_controls()
        self.main.config.set_spec(self.main.spec)  # spec-driven rows and locks again; then this step's own
        self._apply_settings()
        set_aside = self._set_trained_aside() if untrained else 0
        trained_at = self.index if untrained else self._trainer_index()
        trainer = self.lesson.steps[trained_at]
        if trainer.train_until is not None:
            self._bring_back_trained(trainer)
            if self.main.worker is None:  # a new model that this step trains: its "Preparing…" shows (review: blank)
                self.main.clear_before_training()
        self.main.ensure_worker()  # the step's views are of a model: at step 0 if nothing trained it yet
        self._show_views(step, back)
        said = self._train(trainer) if train else ""
        if not train:
            self._say_trained(self.main.worker.step if self.main.worker is not None else 0, training=False)
        self._show_text(step)
        self._reveal_highlighted(step)
        self._update_actions()
        if trained_at != self.index:  # (short: at 130 % a longer one was cut, QA)
            said = " ".join(part for part in (f"{STEP_SAID}{self.index + 1} shows the model as step {trained_at + 1} "
                                              f"trained it, to step {self._target(trainer):,}.", said) if part)
        if said:  # (after "Preparing the model…"; one message: a second replaced the first, review)
            self.main.statusBar().showMessage(said, STATUS_MS)
        if set_aside:  # (after "Preparing the model…")
            back = "Next (or Ctrl+Z, here) brings the trained one back" if self._comes_back(set_aside) else \
                "Ctrl+Z brings the trained one back (it trained past the lesson's next step)"
            self.main.statusBar().showMessage(f"{STEP_SAID}{self.index + 1} shows the model before training, as its text "
                                              f"says: {back}.", STATUS_MS)

    def leave(self) -> None:
        """Hide the bar, put every control back as the spec shows it, and the ablations as the lesson found them (a
        change rebuilds the model as the same control would: the lesson's run is kept as a past run)."""
        self._leave(restore_settings=True)

    def _leave(self, restore_settings: bool) -> None:
        """`leave`, with the ablations put back or not (not a parameter of `leave`: Qt passes a button's `checked`)."""
        was_playing = self.lesson is not None
        self.lesson = None
        self._training = None
        self._poll.stop()
        self._restore_controls()
        if was_playing:
            self.main.config.set_spec(self.main.spec)
            changed = {key: value for key, value in self._base.items() if _ablation(self.main.spec, key) != value}
            if changed and restore_settings and not self.main.bring_back_model_of(self.main.spec.updated(changed)):
                self.main.config.apply(changed, "Leaving the lesson: " + _listed(self.main.spec, changed))
            # Try it enlarged again if the user left it so (a step about its prediction showed it not enlarged).
            enlarged = self.main.settings.value(ENLARGED_KEY, False, type=bool)
            self.main.runTools.tryIt.set_enlarged(enlarged, remember=False)
        self._give_back_room()
        self.main.inside.steps.show_stage(None)
        self.main.architecture.show_block(False)
        self.hide()
        self._update_actions()

    def _show_text(self, step: LessonStep) -> None:
        assert self.lesson is not None
        self.counterLabel.setText(f"<b>{html.escape(self.lesson.title)}</b> · step {self.index + 1} of "
                                  f"{len(self.lesson.steps)}")
        self.textLabel.setText(step.text)
        self.textScroll.updateGeometry()
        self.backButton.setEnabled(self.index > 0)
        self.nextButton.setEnabled(self.index + 1 < len(self.lesson.steps))

    def _update_actions(self) -> None:
        has_lesson = self.main.spec.lesson is not None
        self.playAction.setEnabled(has_lesson)
        self.playAction.setText("&Play the Preset's Lesson" + ("" if has_lesson else " (this preset has none)"))
        for action in (self.nextAction, self.backAction, self.leaveAction):
            action.setEnabled(self.playing)
        for key in self._settingsKeys:  # (the window's Next and Previous take the keys while a lesson plays)
            key.setEnabled(not self.playing)
        self.editAction.setEnabled(self.main.spec.lesson is not None)

    # ----- a step's parts -----------------------------------------------------------------------
    def _apply_settings(self) -> None:
        """The ablations as they stand at this step (a later step's undone on the way back); a change rebuilds
        the model as the same control would."""
        assert self.lesson is not None
        wanted = self.lesson.settings_at(self.index, self._base)
        spec = self.main.spec
        changes = {key: value for key, value in wanted.items() if _ablation(spec, key) != value}
        # Back (or Next again) to a step whose model was trained before: that model, not a new one trained again
        # from step 0 (QA: lesson 19.4's Back retrained, and each round trip added runs to step 5's comparison).
        if changes and not self.main.bring_back_model_of(spec.updated(changes)):
            self.main.config.apply(changes, "Lesson: " + _listed(spec, changes))

    def _show_views(self, step: LessonStep, back: bool) -> None:
        """The step's tab, view, head and input; `back` from a later step, the layer and head as they stood at this
        one going forward (a step without its own keeps the user's pick going forward: 19.2's step 7 asks for one)."""
        assert self.lesson is not None
        window = self.main
        tab = step.shown_tab
        if tab is not None:
            widget = tab_widget(window, tab)
            if tab == "try_it":  # not enlarged: the steps point at the prediction's bars beside the head views
                window.runTools.tryIt.set_enlarged(False, remember=False)
            if window.tabs.isTabVisible(window.tabs.indexOf(widget)):
                window.tabs.setCurrentWidget(widget)
            else:
                window.statusBar().showMessage(f"Lesson: this model has no {TABS[tab]} tab.", 6000)
            if tab == "runs":  # the runs the step compares, drawn together (listed as the tab was shown)
                window.runTools.runs.select_newest_of(window.spec.name)
        if self._overlaid and tab != "runs":  # (QA: back at 19.4's step 2, the ablations of step 5 stayed drawn)
            window.runTools.runs.table.clearSelection()
        self._overlaid = tab == "runs"
        if step.view is not None:
            window.inside.tabs.setCurrentWidget(view_widget(window, step.view))
        if step.sort is not None:  # (QA: 19.3 said "sort by mean distance", which took a click on a column title)
            window.inside.roles.sort_by(step.sort)
        # the step's own model, not a snapshot the user dragged the timeline back to (lecturer QA: Back to 19.3's
        # "After 400 steps" showed the roles at step 120)
        window.inside.roles.show_live()
        self._make_room(step)
        at_layer, at_head = self.lesson.head_at(self.index) if back else (step.layer, step.head)
        if at_layer is not None or at_head is not None:
            inside = window.inside
            layer = min((at_layer or inside.layer + 1) - 1, inside.layerCombo.count() - 1)
            head = min((at_head or inside.head + 1) - 1, inside.headCombo.count() - 1)
            inside.open_head(max(layer, 0), max(head, 0))
        if step.probe is not None:
            if tab == "try_it":
                window.runTools.tryIt.set_sentence(step.probe)
                window.runTools.tryIt.predict()
            else:
                window.inside.set_input(step.probe)
        window.inside.steps.show_stage(step.stage)
        window.architecture.show_block(tab == "architecture" and not BLOCK_CONTROLS.isdisjoint(step.highlighted))

    def _make_room(self, step: LessonStep) -> None:
        """A step about one of Inside attention's views, Try it or the architecture gives it the loss plot's height:
        all of it when the step does not train (the plot has nothing new to show), all but a short plot when it does
        (with the lesson's text above the views at 1280x720, Step by step showed a 150 px strip of its figure, 139 px
        in presentation mode; Try it's head views were 210x230 px with 7 px labels; the architecture was cut off at
        the bottom even at 100 %); so does any step on a model that has not trained, whose plot is empty (QA: 19.6's
        first step gave a third of the height to "The loss curves appear here"), until the model trains. A step about
        the Runs tab gives the plot most of the height instead. Other steps show the heights as the lesson found
        them."""
        splitter = self.main.centreSplitter
        worker = self.main.worker
        empty = step.train_until is None and (worker is None or worker.step == 0)  # a plot with no curve yet
        sized = step.view is not None or step.shown_tab in ROOMY_TABS + CURVES_TABS  # heights the step itself sets
        if step.train_until is not None or step.shown_tab in CURVES_TABS:  # a step about the curves: not hidden by
            self.main.set_loss_plot_shown(True, quiet=True)  # an earlier F8 (other steps leave the user's F8 as it is)
        if not sized and not empty:
            self._give_back_room()
            return
        if self._splitter is None:
            self._splitter = splitter.saveState()
        total = sum(splitter.sizes())
        if step.shown_tab in CURVES_TABS:
            loss = round(total * CURVES_SHARE)  # (QSplitter keeps the table's least height)
        else:
            loss = 0 if step.train_until is None else plot_height(total, splitter.widget(0).minimumSizeHint().height())
        splitter.setCollapsible(0, loss == 0)
        splitter.setSizes([loss, total - loss])
        if sized:  # (QA: 19.3's watch, started at its first step, gave back the room of step 3's view as it trained)
            self._emptyWatch.stop()
        else:
            self._emptyWatch.start()  # the plot only because it was empty: back when the model trains (review)

    def _watch_empty(self) -> None:
        worker = self.main.worker
        if worker is not None and worker.step > 0:
            self._give_back_room()

    def _give_back_room(self) -> None:
        self._emptyWatch.stop()
        if self._splitter is not None:
            self.main.centreSplitter.setCollapsible(0, False)
            self.main.centreSplitter.restoreState(self._splitter)
            self._splitter = None

    def centre_state(self) -> QByteArray:
        """The centre splitter's state to remember when the window closes: as the lesson found it while a step
        squeezes the loss plot."""
        return self._splitter if self._splitter is not None else self.main.centreSplitter.saveState()

    def _train(self, step: LessonStep) -> str:
        """Train up to the step's `train_until` (the run's last step at most) with single steps on the worker, as
        the Step key does; a model already past it stays as it is. What the status bar should say of it ("": none)."""
        self.statusLabel.setText("")
        if step.train_until is None:
            return ""
        window = self.main
        worker = window.ensure_worker()
        asked = self._asked(worker)
        already = max(worker.step, asked)
        target = self._target(step)
        if worker.done or target <= already:
            self._training = (worker, max(target, asked))
            self._follow_training()
            return ""
        window.clear_before_training()  # (keyboard QA: "… press Play to continue it" stood while the lesson trained)
        if not worker.playing:
            for _ in range(target - already):
                worker.step_once()
            window.pause_compare()  # one training at a time (review: a lesson's trained beside Compare A/B's)
        said = [self._changed_from_preset()]
        if already:  # a model brought back where it stopped: not "press Play to continue it" (QA)
            said.insert(0, f"The lesson trains this model on from step {already:,} to step {target:,}, where its text "
                           f"looks at it.")
        self._training = (worker, target)
        window.show_training(True)
        self._follow_training()
        self._poll.start()
        return " ".join(part for part in said if part)

    def training(self) -> bool:
        """Whether the lesson's own steps are training the model on screen to its step now."""
        worker = self.main.worker
        return (self._training is not None and worker is not None and self._training[0] is worker and worker.stepping
                and worker.step < self._training[1])

    def train_on(self) -> bool:
        """Play, where the lesson's training to its step was paused short of it: the model trains on to that step,
        which the step's text looks at, not to the run's end; whether it did."""
        if self._training is None or self._training[0] is not self.main.worker:
            return False
        worker, target = self._training
        if worker.done or worker.step >= target:
            return False
        worker.pause_at(target)
        self._poll.start()
        return True

    def _target(self, step: LessonStep) -> int:
        """The step `step` trains the model to: its `train_until`, within the run's length and the tests' cap."""
        assert step.train_until is not None
        target = min(step.train_until, self.main.spec.train.max_steps)
        return target if self.train_cap is None else min(target, self.train_cap)

    def _asked(self, worker: TrainingWorker) -> int:
        """The step the lesson asked `worker` to train to (0: none), which it may not have reached yet."""
        return self._training[1] if self._training and self._training[0] is worker else 0

    def _set_trained_aside(self) -> int:
        """A new model at step 0 in place of one trained (or training) for a later step; the trained one is kept
        for Undo and for the next step that trains (`_bring_back_trained`). The step of the one set aside (0: none)."""
        worker = self.main.worker
        if worker is None or (worker.step == 0 and not self._asked(worker)):
            return 0
        self.main.reset()
        return worker.step

    def _comes_back(self, step: int) -> bool:
        """Whether the next step that trains brings back a model set aside at `step` (one trained further is not)."""
        assert self.lesson is not None
        later = [s for s in self.lesson.steps[self.index + 1:] if s.train_until is not None]
        return bool(later) and step <= self._target(later[0])

    def _bring_back_trained(self, step: LessonStep) -> None:
        """Before a step that trains a model still at step 0: the model trained for it before (set aside by Back, or
        another of these settings no further than the step), rather than training it again in front of the class."""
        if self._at_step_zero():
            self.main.bring_back_model_of(self.main.spec, up_to=self._target(step))

    def _at_step_zero(self) -> bool:
        """Whether the model on screen (if any) is untrained and nothing trains it."""
        worker = self.main.worker
        return worker is None or (worker.step == 0 and not worker.playing and not self._asked(worker))

    def _trainer_index(self) -> int:
        """The step whose training the step shown looks at: itself, or the last step before it that trained, where
        it trains nothing and changes no setting but finds the model at step 0 (QA: Reset mid-lesson, then Next,
        showed the next step's text about the trained model over an untrained one, with no hint)."""
        assert self.lesson is not None
        steps = self.lesson.steps[:self.index + 1]
        trained = [i for i, s in enumerate(steps) if s.train_until is not None]
        if not trained or not self._at_step_zero() or any(s.settings for s in steps[trained[-1] + 1:]):
            return self.index
        return trained[-1]

    def follow_model(self, worker: TrainingWorker | None) -> None:
        """A new model on screen (None: the last one reset): the line beside the step counter says how far it is
        trained, or nothing (QA: "trained to step 200" stayed over a model reset to step 0)."""
        if self._training is not None and self._training[0] is worker:
            return  # the run this lesson trains says so itself
        self._say_trained(worker.step if worker is not None else 0, training=False)

    def follow_steps(self, step: int, training: bool) -> None:
        """The model on screen trained on past the lesson's step (Play): the line says how far (QA: "trained to step
        300" stayed beside a model at step 358). Not while the lesson trains it itself: its poll says that."""
        if not self.playing:
            return
        if not self._poll.isActive():
            self._say_trained(step, training)
        elif self._training is not None and step < self._training[1]:
            # The train bar's step, as a step (lecturer QA: "training to step 200: 98" beside "step 100 / 200"); held
            # by Space or a question, as the button says (review: "training" beside Play). The lesson's stop is no
            # total (QA: "step 54 of 300" beside the bar's "step 54 / 600")
            doing = "training" if training else "paused"
            self.statusLabel.setText(f"{doing}: step {step:,}, stops at {self._training[1]:,}")
        else:
            self._follow_training()  # the bar shows the target: "trained to step N" with it, not at the next poll

    def _say_trained(self, step: int, training: bool) -> None:
        """The line beside the step counter for a model at `step`: nothing at step 0."""
        text = (f"training: step {step:,}" if training else f"trained to step {step:,}") if step else ""
        if self.statusLabel.text() != text:
            self.statusLabel.setText(text)

    def _follow_training(self) -> None:
        """The training status beside the step counter; at the target, Try it asks the trained model again."""
        if self._training is None or self._training[0] is not self.main.worker:
            self._poll.stop()  # the run was reset or replaced: nothing to follow
            return
        worker, target = self._training
        if (worker.step < target and not worker.done) or self.main.progressBar.value() < worker.step:
            return  # follow_steps says how far, as the train bar does; "trained" once the bar shows the last step
        self._poll.stop()
        if not worker.playing:
            self.main.show_training(False)
        self.statusLabel.setText(f"trained to step {worker.step:,}")
        step = self.step
        tries = self.main.runTools.tryIt
        if step is not None and step.shown_tab == "try_it" and step.probe is not None and not tries.pending:
            tries.predict()  # "now", next to "before fine-tuning" (unless Try it asked itself, as training stopped)

    # ----- controls -----------------------------------------------------------------------------
    def _apply_controls(self) -> None:
        """Hide, lock and highlight the step's controls (again after every sync of the settings panel)."""
        step = self.step
        if step is None:
            return
        for name in step.hidden:
            widget, form = find_control(self.main, name)
            _set_visible(widget, form, False)
            self._hidden[widget] = form
        for name in step.locked:
            widget, form = find_control(self.main, name)
            widget.setEnabled(False)
            self._locked.add(widget)
            label = form.labelForField(widget) if form is not None else None
            # Why it is greyed, wherever the pointer rests on it (QA, 19.2's mask, highlighted and locked: its tip said
            # "Untick it and the decoder cheats"; review: a slider's groove and its row's name kept their own tips)
            for part in [widget, *widget.findChildren(QWidget), *([label] if label is not None else [])]:
                own = self._tips.setdefault(part, part.toolTip())
                part.setToolTip(f"{LOCKED_TIP} {own}".strip())
        if step.highlighted:
            self.main.set_settings_shown(True)  # the class is to look at these settings
        for name in step.highlighted:
            widget, form = find_control(self.main, name)
            target = (form.labelForField(widget) if form is not None else None) or widget
            if target not in self._highlighted:
                own = target.palette() if target.testAttribute(Qt.WidgetAttribute.WA_SetPalette) else None
                self._highlighted[target] = (own, target.autoFillBackground())
            _paint(target, HIGHLIGHT)

    def _reveal_highlighted(self, step: LessonStep) -> None:
        """The settings scrolled to the step's highlighted ones, or to their top, under this step's text (laid out
        first: the text's height sets how much of the settings is in view)."""
        self.parentWidget().layout().activate()
        self.main.config.keep_in_view([find_control(self.main, name)[0] for name in step.highlighted])
        if not step.highlighted:  # from the top: the last step's place cut the Model group's title in half (QA)
            self.main.config.scroll_to_top()

    def _restore_controls(self) -> None:
        for widget, form in self._hidden.items():
            _set_visible(widget, form, True)
        for widget in self._locked:
            widget.setEnabled(True)
        for part, tip in self._tips.items():
            part.setToolTip(tip)
        for widget, (palette, filled) in self._highlighted.items():
            widget.setPalette(palette if palette is not None else QPalette())  # an empty palette: inherit again
            widget.setAutoFillBackground(filled)
        self._hidden, self._locked, self._tips, self._highlighted = {}, set(), {}, {}
        self.main.config.keep_in_view([])

    # ----- making a lesson ----------------------------------------------------------------------
    def edit(self, add_state: bool = False) -> LessonEditor:
        """Open the lesson editor on this preset's lesson (a new one if none), with the window's state added as a
        step when `add_state`; its Save puts the lesson into the spec and saves the preset."""
        from playground.ui.lesson_editor import LessonEditor

        spec = self.main.spec
        self.editor = LessonEditor(spec.lesson, spec.name, lambda: capture_step(self.main), self.save_lesson,
                                   self.main, row=self.index if self.playing else 0)
        if add_state:
            self.editor.add_state(after=self.index if self.playing else None)
        self.editor.open()
        return self.editor

    def save_lesson(self, lesson: Lesson, index: int = 0) -> str:
        """Put `lesson` into the preset, save it (the window's atomic preset save), and play it from step `index`: on
        an untrained model where a later step, not one up to it, trains (QA: saved from step 1, steps 1-5's
        "untrained" views showed the model trained to step 200; Next or Ctrl+Z brings it back). Returns "" once
        saved; else why not, the window's settings as they were (the lesson stays in the editor)."""
        window = self.main
        path, before, spec = window.preset_path, window.spec.lesson, window.spec
        window.config.set_spec(spec.updated({"lesson": lesson.to_dict()}))
        shown = window.config.error_shown()  # (the data's, which the settings say again: not the save's, review)
        # (the editor is modal: File > Save Preset As, the window's advice, cannot be reached from it, QA)
        if not window.save("Save the preset with its lesson", again="press Save again to choose another file"):
            refusal = window.config.error_shown()
            refusal = "" if refusal == shown else refusal
            window.config.set_spec(spec)  # (the refusal said in the editor alone: under the settings it stayed after
            # the edits were discarded, QA)
            return (f"Not saved: {refusal}" if refusal else
                    "Not saved: no file was chosen. Save again to choose one, or Cancel to leave the lesson as it was.")
        window.relesson(path, before, lesson)  # (the models set aside under its text before, review)
        window.setWindowModified(window.is_modified())
        # (a lesson that trains nowhere shows the user's own model, review)
        before_training = not lesson.trained_by(index) and lesson.trained_by(len(lesson.steps) - 1)
        self.start(lesson, index, untrained=before_training)
        return ""


def plot_height(total: int, smallest: int) -> int:
    """The loss plot's height beside a view in a step that trains: a share of the centre's `total`, `smallest` at
    least (QA: at its smallest, 45-65 px of curve under "watch the loss curve", and overlapping accuracy ticks)."""
    return max(smallest, round(total * TRAINING_PLOT_SHARE))


def tab_widget(window: Host, name: str) -> QWidget:
    """The centre tab a lesson names."""
    tools = window.runTools
    return {"attention": window.attention, "samples": window.samples, "inside": window.inside,
            "architecture": window.architecture, "try_it": tools.tryIt, "confusion": tools.confusion,
            "runs": tools.runs}[name]


def view_widget(window: Host, name: str) -> QWidget:
    """The Inside attention view a lesson names."""
    inside = window.inside
    return {"steps": inside.steps, "head_view": inside.headView, "roles": inside.roles, "vit": inside.vit,
            "embeddings": inside.embeddings}[name]


def find_control(window: Host, name: str) -> tuple[QWidget, QFormLayout | None]:
    """A settings group (by its title) or the widget of a dotted setting, with the form row it sits in."""
    config = window.config
    if name in GROUPS:
        return next(b for b in config.findChildren(QGroupBox) if b.title() == GROUPS[name]), None
    widget = config.control(name)
    form = widget.parentWidget().layout()
    return widget, form if isinstance(form, QFormLayout) else None


def capture_step(window: Host) -> LessonStep:
    """The window's state as a lesson step: tab, view, the input typed, layer and head, the ablations, and the
    training step the model is at."""
    tab = next(name for name in TABS if tab_widget(window, name) is window.tabs.currentWidget())
    inside = window.inside
    fields: dict[str, Any] = {"text": "Say what the class should look at here.", "tab": tab}
    if tab == "inside":
        view = next(name for name in VIEWS if view_widget(window, name) is inside.tabs.currentWidget())
        fields.update(view=view, probe=inside.inputEdit.text(), layer=inside.layer + 1, head=inside.head + 1)
        if view == "steps":
            fields["stage"] = inside.steps.stage_in_view()
        elif view == "roles" and inside.roles.sorted_by() is not None:
            fields["sort"] = inside.roles.sorted_by()
    elif tab == "try_it":
        fields["probe"] = window.runTools.tryIt.input.text()
    if window.worker is not None and window.worker.step > 0:
        fields["train_until"] = window.worker.step
    # Every ablation, so the step shows the same model whichever step the class comes from.
    fields["settings"] = {key: _ablation(window.spec, key) for key in ABLATION_VALUES}
    return LessonStep(**fields)


def _set_visible(widget: QWidget, form: QFormLayout | None, visible: bool) -> None:
    if form is not None:
        form.setRowVisible(widget, visible)
    else:
        widget.setVisible(visible)


def _paint(widget: QWidget, colour: QColor) -> None:
    """`widget` (and the text of its children) on `colour`."""
    palette = widget.palette()
    palette.setColor(widget.backgroundRole(), colour)  # Window for a label, Button for a check box
    palette.setColor(widget.foregroundRole(), TEXT_COLOUR)
    palette.setColor(QPalette.ColorRole.WindowText, TEXT_COLOUR)  # the labels inside a group or the bar
    widget.setPalette(palette)
    widget.setAutoFillBackground(True)
