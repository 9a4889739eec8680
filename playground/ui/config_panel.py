"""The left panel: family, dataset and sliders, with live estimates and a message line.

Every move goes through `RunSpec.updated()`, so an impossible combination is refused on the spot with
the spec's own student-friendly message, and the last valid spec is kept. Heads snap to divisors of
the embedding dimension and patch sizes to divisors of the image size, so most refusals never happen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from playground.core.differences import short_number
from playground.core.messages import counted, cut_at_word
from playground.core.presets import OTHER_MODEL_KEYS, PRETRAINED_TITLE, with_changes
from playground.core.spec import (
    FAMILIES,
    FAMILY_TITLES,
    FIELD_TITLES,
    PRETRAINED_ARCHITECTURES,
    PRETRAINED_DEFAULTS,
    ModelSpec,
    RunSpec,
    SpecError,
    divisors,
)
from playground.ui import file_dialogs, theme
from playground.ui.data_options import DataOptionsForm, in_data_words, option_title
from playground.ui.sliders import ValueSlider
from playground.ui.tooltips import RECENT_KEY, TIPS
from playground.ui.wheel_guard import WheelGuard

MAX_HEADS = 16
# Characters of a warning under the settings, the rest on hover: a CSV's warnings took 13 lines at 1280x720, squeezing
# the settings into a scroll box (QA).
MESSAGE_CHARS = 240
WHOLE_ELSEWHERE = f" (the rest: {RECENT_KEY})"  # said after a cut description (QA: a class cannot hover)
# A ViT's tokens a picture from which a step takes seconds on a CPU (measured on a 2-core Zen 3: 257 tokens 0.6-1.7 s,
# 1,025 about 70 s; 65 tokens 0.1-0.2 s)
SLOW_TOKENS = 257
LR_CHOICES = [m * 10.0**e for e in range(-5, 0) for m in (1, 2, 3, 5)]  # 1e-5 to 0.5
BATCH_CHOICES = [2**k for k in range(0, 10)]
STEPS_CHOICES = [10, 20, 50, 100, 200, 300, 500, 1000, 1500, 2000, 3000, 5000, 10_000, 20_000, 50_000]
NOTE_KEPT_S = 2.0  # a slider's note stays while it is held, or its next stop comes within this long (`_on_slider`)
WARMUP_CHOICES = [0, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]
DROPOUT_CHOICES = [round(0.05 * k, 2) for k in range(11)]
WEIGHT_DECAY_CHOICES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
CLIP_CHOICES = [0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0]  # 0: no clipping
OPEN_ITEMS = {
    "text_file": "Open text file (.txt)…",
    "csv_file": "Open CSV file (text,label)…",
    "image_folder": "Open image folder…",
}
OPEN_FILTERS = {"text_file": "Text files (*.txt);;All files (*)", "csv_file": "CSV files (*.csv);;All files (*)"}
# The built-in preset whose data and sizes a family switch borrows.
FAMILY_PRESETS = {"decoder": "decoder-pydoc", "encoder": "encoder-reverse", "vit": "vit-digits"}
ARCHITECTURE_KEYS = {"model.n_embd", "model.n_head", "model.n_layer", "model.d_ff"}
# Issue 6: fine-tuning a packaged pretrained BERT is a fourth choice of the family selector.
PRETRAINED_ITEM = "pretrained"
PRETRAINED_TIP = ("<b>Pretrained BERT (fine-tune)</b>: fine-tune the packaged pretrained MiniLM (a real 6-layer, "
                  "12-head BERT) on a sentence classification task. Its architecture is fixed; its weights change.")
PRETRAINED_PRESET = "bert-pronoun"
# Settings that make the model another one, not a variant of the last: its name follows them, and the window's
# views forget the last one's data.
PRETRAINED_MAX_CONTEXT = 512  # MiniLM's position table
SLIDER_MAX_CONTEXT = 256  # a model of the user's: longer contexts are the command line's (--set model.block_size)
DEFAULT_CONTEXT = ModelSpec.model_fields["block_size"].default
# Issue 24: the ablations, each a combo or a check box (model.causal shown for the decoder only).
NORM_TITLES = {"pre": "pre (GPT-2, ViT)", "post": "post (BERT)", "none": "none"}
POSITION_TITLES = {"learned": "learned", "sinusoidal": "sinusoidal", "none": "none (order-blind)"}
ABLATIONS_LOCKED_TIP = ("Locked: the pretrained MiniLM was trained with residual connections, LayerNorm after each "
                        "sub-layer, learned positions and scaled scores; its weights only work with them. Choose a "
                        "from-scratch family to take a piece out.")
TRAIN_PRESET_KEYS = ("train.lr", "train.batch_size", "train.max_steps", "train.warmup_steps", "train.eval_interval",
                     "train.snapshot_interval")


def locked_tip(pretrained: str) -> str:
    """Why an architecture slider is disabled for a pretrained model."""
    a = PRETRAINED_ARCHITECTURES[pretrained]
    return (f"Locked: the pretrained model's architecture is fixed ({a['n_layer']} layers x {a['n_head']} heads x "
            f"{a['n_embd']} dimensions, feed-forward {a['d_ff']}). Its weights were learned for exactly this shape; "
            f"fine-tuning changes the weights, not the shape. Choose a from-scratch family to change it.")


def _fmt_steps(v: float) -> str:
    return f"{int(v):,}"


CONFIG_WIDTH = 310  # the settings panel's fields' least width at normal size, in pixels (more as the zoom grows)


class ConfigPanel(QWidget):
    """Emits `sigSpecChanged(spec, changed_keys)` after every accepted change (`before`: the spec it changed)."""

    sigSpecChanged = Signal(object, object)
    sigControlsSynced = Signal()  # every control shows the spec again (a lesson hides and locks its own after it)
    sigMessage = Signal(str, str)  # a message was shown: its level ("info", "warning", "error") and its whole text

    def __init__(self, spec: RunSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("configPanel")
        self._spec = spec
        self.before = spec  # the spec the last change was made to
        self.by_user = True  # the change being made is the user's (not a lesson's: `apply`)
        self._zoom = 1.0  # the zoom its width was fitted to (`fit_width`)
        # The heads and patch size the user chose, which a slider that forced another (n_embd, image size) gives
        # back once they fit again (QA: arrowing the image size through 17 px left the patch at 1 for good).
        self._chosen: dict[str, int] = {}
        # Whether the model on screen trains on to a number of training steps (the window's run), not rebuilt
        self.trains_on_to: Callable[[int], bool] = lambda steps: False
        self._noted: tuple[str, str, float] = ("", "", 0.0)  # (a slider, what its stop said, when) (`_on_slider`)
        self._info: Any = None
        self._resolved: dict[str, Any] = {}  # the data options as the data layer worked them out (auto filled in)
        self._data_warnings: tuple[str, ...] = ()  # the described data's warnings (rows or images skipped, texts cut)
        self._unsaid = ""  # those warnings, waiting for an info message to carry them
        self._until_training = False  # the message shown goes as training starts
        self._fade = QTimer(self)  # ... or when its time is up (`show_message`'s fade_ms)
        self._fade.setSingleShot(True)
        self._fade.timeout.connect(lambda: self.messageLabel.hide())  # (not show_message: data warnings would show)
        self.sliders: dict[str, ValueSlider] = {}
        self._rows: dict[str, tuple[QFormLayout, QWidget]] = {}
        self._wheelGuard = WheelGuard(self)  # the wheel scrolls the panel; a setting turns by it once focused

        self.messageLabel = QLabel(self)
        self.messageLabel.setObjectName("messageLabel")
        self.messageLabel.setWordWrap(True)
        self.messageLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.messageLabel.setMinimumHeight(self.fontMetrics().height() * 2 + 10)
        self.messageLabel.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.messageLabel.setVisible(False)  # its room is the settings' while it says nothing (QA: a cut "Epochs" row
        # above two empty lines at 1280x720)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(4, 4, 4, 4)
        body_layout.addWidget(self._model_group())
        body_layout.addWidget(self._ablations_group())
        body_layout.addWidget(self._data_group())
        body_layout.addWidget(self._train_group())
        body_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("configScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no Tab stop of its own: it scrolls to the focused setting
        scroll.setWidget(body)
        self._scroll = scroll
        self._keep_fields_width(False)  # (a scroll bar shown with the panel says so: its Show event)
        self._kept: list[QWidget] = []  # settings kept in view (keep_in_view)
        scroll.viewport().installEventFilter(self)
        scroll.verticalScrollBar().installEventFilter(self)  # shown and hidden: the fields keep their width
        scroll.verticalScrollBar().actionTriggered.connect(self._stop_keeping)  # the user's scrolling (and wheel)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.focusChanged.connect(self._show_focused)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        # Outside the scroll area, the estimates and a refusal are always in view: at 1280x720 the settings once
        # grew taller than the panel and the estimates were scrolled out of it. The message above the estimates: they
        # stay at the bottom as it comes and goes (QA: below them, they jumped 45 px each time).
        layout.addWidget(self.messageLabel)
        footer = QVBoxLayout()
        footer.setContentsMargins(4, 0, 4, 0)
        footer.addWidget(self._estimates_group())
        layout.addLayout(footer)
        self.set_spec(spec)

    def fit_width(self, zoom: float) -> None:
        """Its least width at `zoom`: its fields' room (CONFIG_WIDTH, more as the zoom grows), or what they need in
        the font they have now where that is more (QA: a desktop's 11-pt font cut the values to "6" and "3e-"), and
        the scroll bar's, which comes out of the fields when the settings scroll (from 130 % at 720 px: "Encoder
        (BERT-like)" lost its ")")."""
        self._zoom = zoom
        body = self._scroll.widget()
        left, _top, right, _bottom = body.layout().getContentsMargins()
        fields = body.minimumSizeHint().width() - (right - left)  # (less the scroll bar's room kept while it is hidden)
        self.setMinimumWidth(max(round(CONFIG_WIDTH * max(1.0, zoom)), fields) + self._scroll_bar_width())

    def _show_focused(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Scroll a setting the focus reaches into view, however it came: QScrollArea does so only for Tab
        inside it, and Tab coming round from the tabs (or Shift+Tab from Play) left it scrolled out of sight."""
        body = self._scroll.widget()
        if new is not None and body is not None and body.isAncestorOf(new):
            self._stop_keeping()  # the focused setting is the one to show now
            self._scroll.ensureWidgetVisible(new)

    # ----- building -----------------------------------------------------------------------------
    def _model_group(self) -> QGroupBox:
        box = QGroupBox("Model", self)
        form = self._form(box)
        self.familyCombo = QComboBox(box)
        self.familyCombo.setObjectName("familyCombo")
        for family in FAMILIES:
            self.familyCombo.addItem(FAMILY_TITLES[family], family)
        self.familyCombo.addItem(PRETRAINED_TITLE, PRETRAINED_ITEM)
        self.familyCombo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.familyCombo.setMinimumContentsLength(12)  # the longest title must not widen the whole panel
        self.familyCombo.setItemData(self.familyCombo.count() - 1, PRETRAINED_TIP, Qt.ItemDataRole.ToolTipRole)
        self.familyCombo.setToolTip(TIPS["model.family"])
        self.familyCombo.activated.connect(self._on_family)
        self._add_row(form, "model.family", "Family", self.familyCombo)
        self._slider(form, "model.n_embd", "dimSlider", range(8, 513, 8), direct=True)
        self._slider(form, "model.n_head", "headsSlider", [1, 2, 4], direct=True)
        self._slider(form, "model.n_layer", "layersSlider", range(1, 13), direct=True)
        self._slider(form, "model.d_ff", "ffSlider", range(16, 2049, 16), direct=True)
        self._slider(form, "model.dropout", "dropoutSlider", DROPOUT_CHOICES, fmt=lambda v: f"{v:.2f}")
        freeze = self._slider(form, "model.freeze_layers", "freezeSlider", range(7), direct=True)
        tip = ("Freeze the lower N blocks (and the embeddings when N > 0): their weights stay as pretrained. "
               "Fewer weights to update means faster steps and less forgetting of what the model knew.")
        freeze.setToolTip(tip)
        freeze.slider.setToolTip(tip)
        form.labelForField(freeze).setText("Frozen layers")  # short: the label column sets the panel's width
        return box

    def _ablations_group(self) -> QGroupBox:
        box = QGroupBox("Ablations", self)
        box.setToolTip(TIPS["ablations"])
        form = self._form(box)
        self.ablationControls: dict[str, QComboBox | QCheckBox] = {}
        self._choice(form, "model.norm", "normCombo", "LayerNorm", NORM_TITLES)
        self._choice(form, "model.pos_encoding", "positionsCombo", "Positions", POSITION_TITLES)
        self._check(form, "model.residual", "residualCheck", "Residual connections")
        self._check(form, "model.causal", "causalCheck", "Causal mask")
        self._check(form, "model.scale_scores", "scaleCheck", "Scale scores by 1/√d")
        return box

    def _data_group(self) -> QGroupBox:
        box = QGroupBox("Data", self)
        form = self._form(box)
        self.datasetCombo = QComboBox(box)
        self.datasetCombo.setObjectName("datasetCombo")
        self.datasetCombo.setToolTip(TIPS["data.name"])
        self.datasetCombo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.datasetCombo.setMinimumContentsLength(12)
        self.datasetCombo.activated.connect(self._on_dataset)
        self._add_row(form, "data.name", "Dataset", self.datasetCombo)
        self.dataOptions = DataOptionsForm(form, self.datasetCombo, self)  # the chosen dataset's own settings
        self.dataOptions.sigOptionChanged.connect(self._on_data_option)
        self.dataOptions.sigRefused.connect(lambda why: self.show_message(why, "error"))
        self.dataOptions.sigRefusalPast.connect(self._forget_refusal)
        self._slider(form, "model.block_size", "contextSlider", range(4, 257), direct=True)
        self._slider(form, "model.image_size", "imageSizeSlider", range(4, 65), direct=True,
                     fmt=lambda v: f"{int(v)} px")
        self._slider(form, "model.patch_size", "patchSlider", [1, 2, 4], direct=True, fmt=lambda v: f"{int(v)} px")
        return box

    def _train_group(self) -> QGroupBox:
        box = QGroupBox("Training", self)
        form = self._form(box)
        # (as the loss plot's markers write them: "0.003" on the slider, "3e-3" on its marker, QA)
        self._slider(form, "train.lr", "lrSlider", LR_CHOICES, fmt=short_number)
        self._slider(form, "train.batch_size", "batchSlider", BATCH_CHOICES)
        self._slider(form, "train.weight_decay", "weightDecaySlider", WEIGHT_DECAY_CHOICES, fmt=short_number)
        self._slider(form, "train.grad_clip", "clipSlider", CLIP_CHOICES, fmt=lambda v: f"{v:g}" if v else "off")
        self._slider(form, "train.max_steps", "stepsSlider", STEPS_CHOICES, fmt=_fmt_steps)
        self._slider(form, "train.warmup_steps", "warmupSlider", WARMUP_CHOICES, fmt=_fmt_steps)
        self.epochsLabel = QLabel(box)
        self.epochsLabel.setObjectName("epochsLabel")
        self.epochsLabel.setWordWrap(True)  # one line made the settings wider than their panel at 175 % (values cut)
        self.epochsLabel.setToolTip("Passes over the training examples: steps x batch size / training examples.")
        self._add_row(form, "train.epochs", "Epochs", self.epochsLabel)
        return box

    def _estimates_group(self) -> QGroupBox:
        box = QGroupBox("Estimates", self)  # worked out from the settings (the tooltip says so), model or not
        box.setToolTip(TIPS["estimates"])
        form = self._form(box)
        self.paramCountLabel = QLabel(box)
        self.paramCountLabel.setObjectName("paramCountLabel")
        self.paramCountLabel.setToolTip(TIPS["params"])
        self.flopsLabel = QLabel(box)
        self.flopsLabel.setObjectName("flopsLabel")
        self.flopsLabel.setToolTip(TIPS["flops"])
        self.memoryLabel = QLabel(box)
        self.memoryLabel.setObjectName("memoryLabel")
        self.memoryLabel.setToolTip(TIPS["memory"])
        for title, label in (("Parameters", self.paramCountLabel), ("FLOPs / step", self.flopsLabel),
                             ("Memory", self.memoryLabel)):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(title, label)
        return box

    @staticmethod
    def _form(box: QGroupBox) -> QFormLayout:
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(6, 2, 6, 2)
        form.setVerticalSpacing(2)
        return form

    def _add_row(self, form: QFormLayout, key: str, title: str, field: QWidget) -> None:
        self._wheelGuard.guard(field)
        label = QLabel(title)
        label.setToolTip(TIPS.get(key, ""))
        label.setBuddy(field)
        form.addRow(label, field)
        self._rows[key] = (form, field)

    def _slider(self, form: QFormLayout, key: str, name: str, choices: Any, direct: bool = False,
                fmt: Callable[[float], str] = lambda v: str(int(v))) -> ValueSlider:
        slider = ValueSlider(name, list(choices), _get(self._spec, key), direct=direct, fmt=fmt, parent=form.parentWidget())
        tip = TIPS.get(key, "")
        slider.setToolTip(tip)
        slider.slider.setToolTip(tip)
        slider.sigValueChanged.connect(lambda value, key=key: self._on_slider(key, value))
        title = FIELD_TITLES[key]
        self._add_row(form, key, title[0].upper() + title[1:], slider)
        self.sliders[key] = slider
        return slider

    def _choice(self, form: QFormLayout, key: str, name: str, title: str, items: dict[str, str]) -> None:
        combo = QComboBox(form.parentWidget())
        combo.setObjectName(name)
        for value, text in items.items():
            combo.addItem(text, value)
        combo.setToolTip(TIPS[key])
        combo.activated.connect(lambda index, key=key, combo=combo: self._request({key: combo.itemData(index)}))
        self._add_row(form, key, title, combo)
        self.ablationControls[key] = combo

    def _check(self, form: QFormLayout, key: str, name: str, title: str) -> None:
        check = QCheckBox(title, form.parentWidget())
        check.setObjectName(name)
        check.setToolTip(TIPS[key])
        check.clicked.connect(lambda on, key=key: self._request({key: on}))  # clicked: the user's, not set_spec's
        form.addRow(check)
        self._rows[key] = (form, check)
        self.ablationControls[key] = check

    # ----- public -------------------------------------------------------------------------------
    def spec(self) -> RunSpec:
        return self._spec

    def info(self) -> Any:
        """The DataInfo of the current spec (None if the data could not be described)."""
        return self._info

    def describe_data_again(self) -> bool:
        """The data described again where it could not be (a missing file put back since): the estimates, the data's
        warnings and the message follow. True where it is described now and was not before."""
        if self._info is not None or self._update_estimates() is not None:
            return False
        self._take_warnings(say_again=True)
        self._sync_controls()
        self.show_message("", "info")  # the error said of it no longer holds (its warnings, if any, are said)
        return True

    def slider(self, key: str) -> ValueSlider:
        return self.sliders[key]

    def control(self, key: str) -> QWidget:
        """The widget that sets `key` (a dotted setting, e.g. "model.residual"): a lesson hides, locks or highlights it."""
        return self._rows[key][1]

    def keep_in_view(self, widgets: list[QWidget]) -> None:
        """Scroll the settings so that `widgets` are in view, the first of them at least, now and whenever the
        settings' height changes, until the user scrolls them or moves the focus into them; [] stops. A lesson's
        highlighted settings: under the lesson's text at 175 % the Ablations group was scrolled out of sight, and a
        message or a status line appearing later pushed it half out."""
        self._kept = list(widgets)
        self._reveal_kept()

    def scroll_to_top(self) -> None:
        self._scroll.verticalScrollBar().setValue(0)

    def _stop_keeping(self, *_action: int) -> None:
        self._kept = []

    def _reveal_kept(self) -> None:
        if self._kept:
            self._scroll.widget().layout().activate()  # rows just shown have their places now, not at the next pass
            for widget in reversed(self._kept):
                self._scroll.ensureWidgetVisible(widget)

    def eventFilter(self, watched: Any, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and self._kept and watched is self._scroll.viewport():
            QTimer.singleShot(0, self, self._reveal_kept)  # the scroll range follows after this event
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide) and watched is self._scroll.verticalScrollBar():
            self._keep_fields_width(event.type() == QEvent.Type.Show)
        return False

    def _keep_fields_width(self, scrolling: bool) -> None:
        """The fields as wide with the scroll bar as without: its room kept empty while it is hidden (QA: the sliders
        and boxes jumped sideways by its width as a message under the settings came and went, after Undo or a
        Resume)."""
        body = self._scroll.widget().layout()
        left, top, _right, bottom = body.getContentsMargins()
        body.setContentsMargins(left, top, left if scrolling else left + self._scroll_bar_width(), bottom)

    @staticmethod
    def _scroll_bar_width() -> int:
        """The settings' scroll bar's width in the application's style (its size hint follows its font: Compare's B
        panel, made at 130 %, was then 4 px wider than the main window's)."""
        return QApplication.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)

    def apply(self, changes: dict[str, Any], note: str = "") -> bool:
        """Change settings as the user's controls do (a lesson step's ablations); False when refused (said why).
        Meanwhile `by_user` is False: the window's Undo leaves a lesson's own changes alone."""
        by_user, self.by_user = self.by_user, False
        try:
            return self._request(changes, note)
        finally:
            self.by_user = by_user

    def set_spec(self, spec: RunSpec) -> None:
        """Show `spec` in every control (no sigSpecChanged)."""
        self._spec = spec
        self._chosen = {}
        error = self._update_estimates()
        self._take_warnings(say_again=True)  # a preset opened: its data's warnings are news, even if the same
        self._sync_controls()
        self.show_message(error or "", "error" if error else "info")

    def set_prose(self, name: str, description: str) -> None:
        """The preset's name and description, which no control shows: the settings, their message and what the user
        chose for them stay (review: `set_spec` said the data's warnings again and took an error away)."""
        self._spec = self._spec.updated({"name": name, "description": description})

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """A widget with a style sheet keeps the font it had when the sheet was set: a message shown at 130 % stayed
        large at 100 % (7 lines, the settings pushed into a scroll box), one shown at 100 % small at 200 %. (Not
        plotting.follow_font: this panel paints before pyqtgraph is imported.)"""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._style_message()  # (View > Colours, or the system switched)
        if event.type() == QEvent.Type.FontChange:
            self.messageLabel.setFont(self.font())
            QTimer.singleShot(0, self, self._refit)  # once laid out at the new size

    def _refit(self) -> None:
        """Fitted to its fields in their new font (measured before they had it, they read the old font's width), and
        the focused setting shown again."""
        self.fit_width(self._zoom)
        self._reveal_focused()

    def _reveal_focused(self) -> None:
        """The setting that has the keyboard focus in view again after a zoom moved it (QA: Ctrl+= scrolled a tabbed-to
        slider out of sight, and the next Right changed it unseen, rebuilding a trained model)."""
        focused, body = QApplication.focusWidget(), self._scroll.widget()
        if not self._kept and focused is not None and body is not None and body.isAncestorOf(focused):
            body.layout().activate()
            self._scroll.ensureWidgetVisible(focused)

    def show_message(self, text: str, level: str = "info", more: str = "", until_training: bool = False,
                     whole: str = "", fade_ms: int = 0) -> None:
        """`text` under the settings, tinted by `level`; `more`, the rest of it, on hover; `whole`, the message as
        Recent Messages keeps it (default: `text`). New data warnings ride on an info message or a warning, as a
        warning; an empty one keeps them for the next (the window says which preset opened right after showing it).
        A long warning shows its first MESSAGE_CHARS, and all of it on hover and in Recent Messages. A message
        `until_training` (press Play to continue, train a step first) goes as training starts; an info message that
        `fade_ms` (a file saved), after that long, as its twin in the status bar does (QA: "Saved the metrics…" stood
        under the settings beside a newer message in the status bar; Recent Messages keeps both)."""
        whole = whole or text  # (before a long warning is cut to its head)
        if level in ("info", "warning") and self._unsaid:  # (a preset's own warning had dropped its data's)
            text, whole, level = f"{text} {self._unsaid}".strip(), f"{whole} {self._unsaid}".strip(), "warning"
            if text != self._unsaid:
                self._unsaid = ""
        # Only warnings (the data's): an error or what an action did ends in what to do, which a cut took away
        # (review: "…Lesson > Play the Preset's Lesson starts its… (all of it on hover)")
        if level == "warning" and len(text) > MESSAGE_CHARS:
            text = text.replace(WHOLE_ELSEWHERE, "")  # (all of it is, now)
            more = "\n\n".join(part for part in (text, more) if part)
            text = cut_at_word(text, MESSAGE_CHARS) + WHOLE_ELSEWHERE  # (a class cannot hover: QA)
        self.messageLabel.setText(text)
        self.messageLabel.setToolTip(more)
        self._until_training = until_training and bool(text)
        self.messageLabel.setProperty("level", level)
        self._style_message()
        self.messageLabel.setVisible(bool(text))
        self._fade.stop()
        if fade_ms and text and level == "info":
            self._fade.start(fade_ms)
        self.sigMessage.emit(level, whole)

    def _style_message(self) -> None:
        """The message's colours for its level, in the look chosen now (QA: a light-blue box in the dark look)."""
        level, text = self.messageLabel.property("level"), self.messageLabel.text()
        kind = level if level in theme.TINTS else "info"
        self.messageLabel.setStyleSheet(f"color: {theme.colour(kind)}; background: {theme.background(kind)}; "
                                        f"border-radius: 4px; padding: 4px;" if text else "")

    def error_shown(self) -> str:
        """The error under the settings, or "" (none: an info message or a warning)."""
        return self.messageLabel.text() if self.messageLabel.property("level") == "error" else ""

    def clear_error(self) -> None:
        """Take an error message away (QA: "Could not save …" stood under the settings after the next save worked);
        warnings about the data stay."""
        if self.error_shown():
            self.show_message("")

    def _forget_refusal(self, why: str) -> None:
        """A refusal of a typed value goes with the next value typed into its box (QA: "Sequence length -5 is out of
        range" stood beside the "auto (12)" typed since); another message shown since stays."""
        if self.error_shown() == why:
            self.show_message("")

    def drop_request(self) -> None:
        """The model a message asked to train is gone (a Reset): the message goes too (QA: "Resuming … press Play to
        continue" stood beside the new untrained model)."""
        if self._until_training:
            self.show_message("")

    def clear_before_training(self) -> None:
        """Training starts: an error is past (QA: "Could not save …" stood under the settings through a whole run),
        and so is a message that asked for it (QA: "Resuming … press Play to continue" stood there at step 68)."""
        if self.error_shown() or self._until_training:
            self.show_message("")

    # ----- syncing ------------------------------------------------------------------------------
    def _sync_controls(self) -> None:
        spec = self._spec
        with QSignalBlocker(self.familyCombo):
            self.familyCombo.setCurrentIndex(self.familyCombo.findData(_family_item(spec)))
        self._fill_datasets()
        self.dataOptions.show_options(spec.data.name, spec.data.options, self._resolved)
        self._sync_pretrained()
        self._sync_ablations()
        self.sliders["model.n_head"].set_choices(_head_choices(spec.model.n_embd), spec.model.n_head)
        self.sliders["model.patch_size"].set_choices(_patch_choices(spec.model.image_size), spec.model.patch_size)
        for key, slider in self.sliders.items():
            slider.set_value(_get(spec, key))
        vit = spec.model.family == "vit"
        for key, visible in (("model.block_size", not vit), ("model.image_size", vit), ("model.patch_size", vit)):
            form, field = self._rows[key]
            form.setRowVisible(field, visible)
        self.sigControlsSynced.emit()

    def _sync_pretrained(self) -> None:
        """Pretrained mode: architecture sliders locked (with the reason), freezing shown, longer context."""
        pretrained = self._spec.model.pretrained
        for key in sorted(ARCHITECTURE_KEYS):
            slider = self.sliders[key]
            tip = locked_tip(pretrained) if pretrained else TIPS.get(key, "")
            slider.setEnabled(not pretrained)
            slider.setToolTip(tip)
            slider.slider.setToolTip(tip)
            form, field = self._rows[key]
            label = form.labelForField(field)
            if label is not None:
                label.setToolTip(tip)
        n_layer = self._spec.model.n_layer
        self.sliders["model.freeze_layers"].set_choices(range(n_layer + 1), self._spec.model.freeze_layers)
        form, field = self._rows["model.freeze_layers"]
        form.setRowVisible(field, bool(pretrained))
        top = context_top(self._spec)
        self.sliders["model.block_size"].set_choices(range(4, top + 1), self._spec.model.block_size)

    def _sync_ablations(self) -> None:
        """Each ablation control shows the spec's value; locked for a pretrained model; the mask for the decoder."""
        model = self._spec.model
        for key, control in self.ablationControls.items():
            with QSignalBlocker(control):
                if isinstance(control, QCheckBox):
                    control.setChecked(_get(self._spec, key))
                else:
                    control.setCurrentIndex(control.findData(_get(self._spec, key)))
            control.setEnabled(not model.pretrained)
            control.setToolTip(ABLATIONS_LOCKED_TIP if model.pretrained else TIPS[key])
        form, field = self._rows["model.causal"]
        form.setRowVisible(field, model.family == "decoder")

    def _update_epochs(self) -> None:
        info, train = self._info, self._spec.train
        show = bool(info is not None and info.task == "classify" and info.n_train)
        form, field = self._rows["train.epochs"]
        form.setRowVisible(field, show)
        if show:
            self.epochsLabel.setText(f"{train.max_steps * train.batch_size / info.n_train:.2f} passes over "
                                     f"{info.n_train:,} examples")  # "(of 4,000)" read as unclear (QA)

    def _fill_datasets(self) -> None:
        from playground.data import REGISTRY, builtin_datasets

        spec = self._spec
        family = spec.model.family
        combo = self.datasetCombo
        with QSignalBlocker(combo):
            combo.clear()
            for key, title, families, description in builtin_datasets():
                if family in families and _offered(spec, key):
                    combo.addItem(title, key)
                    combo.setItemData(combo.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
            if spec.data.path:
                title = REGISTRY[spec.data.name].title if spec.data.name in REGISTRY else spec.data.name
                combo.addItem(f"{title}: {Path(spec.data.path).name}", ("file", spec.data.name, spec.data.path))
                combo.setItemData(combo.count() - 1, spec.data.path, Qt.ItemDataRole.ToolTipRole)
            combo.insertSeparator(combo.count())
            for key, text in OPEN_ITEMS.items():
                if key in REGISTRY and family in REGISTRY[key].families and _offered(spec, key):
                    combo.addItem(text, ("open", key))
            index = self._current_dataset_index()
            combo.setCurrentIndex(index)

    def _current_dataset_index(self) -> int:
        data = self._spec.data
        for i in range(self.datasetCombo.count()):
            item = self.datasetCombo.itemData(i)
            if data.path and item == ("file", data.name, data.path):
                return i
            if not data.path and item == data.name:
                return i
        return -1

    def _update_estimates(self, data_plan: Any = None) -> str | None:
        """Refresh the data facts and the estimate labels of the current spec; returns the data's error message
        if it cannot be described. `data_plan`: the spec's plan, when the caller has already worked it out."""
        from playground.core import estimates
        from playground.data import DataError
        from playground.data.registry import plan

        spec = self._spec
        error = None
        if data_plan is None:
            try:
                data_plan = plan(spec.data, spec.model)  # what describe() returns, plus the options worked out
            except DataError as err:
                error = data_error_text(err, spec)
        self._info = data_plan.info if data_plan else None
        self._resolved = dict(data_plan.options) if data_plan else {}  # shown by _sync_controls: "auto (8)"
        self._update_epochs()
        if data_plan is None:
            for label in (self.paramCountLabel, self.flopsLabel, self.memoryLabel):
                label.setText("–")
            return error
        params = estimates.count_parameters(spec.model, self._info)
        flops = estimates.flops_per_step(spec, self._info)
        memory = estimates.memory_estimate(spec, self._info)
        self.paramCountLabel.setText(f"{estimates.format_count(params)}  ({params:,})")
        self.flopsLabel.setText(estimates.format_count(flops))
        self.memoryLabel.setText(estimates.format_bytes(memory.total))
        return None

    def _take_warnings(self, say_again: bool) -> None:
        """Keep the described data's warnings; new ones (all of them when `say_again`) wait to be said, once."""
        warnings = self._info.warnings if self._info is not None else ()
        if warnings != self._data_warnings or say_again:
            self._unsaid = " ".join(f"{w[0].upper()}{w[1:]}." for w in warnings)
        self._data_warnings = warnings

    # ----- user changes -------------------------------------------------------------------------
    def _request(self, changes: dict[str, Any], note: str | None = "") -> bool:
        """Apply changes if they make a valid spec; otherwise say why and keep the last valid one. `note` replaces
        the message under the settings (None: the one shown stays)."""
        from playground.data import DataError
        from playground.data.registry import plan

        try:
            spec = with_changes(self._spec, changes)
            if OTHER_MODEL_KEYS & changes.keys():
                self._chosen = {}  # another family's heads or patches
            data_plan = plan(spec.data, spec.model)  # the data must work out too; worked out once, reused below
        except (SpecError, DataError) as err:
            self._sync_controls()  # put every control back on the last valid spec
            # Said as not applied: the control is back at its last valid value beside the message (QA); a file or
            # dataset refused leaves the data that was there (QA: "the last valid value" of a file chosen).
            lead = "Not used, the data stays as it was" if {"data.name", "data.path"} & changes.keys() else \
                "Not applied, the last valid value is back"
            said = data_error_text(err, spec) if isinstance(err, DataError) else str(err)  # (DataError: `spec` was made)
            self.show_message(f"{lead}: {in_data_words(said)}", "error")
            return False
        old = self.before = self._spec
        self._spec = spec
        self._update_estimates(data_plan)
        self._take_warnings(say_again=False)
        self._sync_controls()
        if note is not None or self._unsaid:  # (kept, it carries new data warnings all the same: review)
            self.show_message(self.messageLabel.text() if note is None else note, "info")
        changed = {key for key in changes if _get(old, key) != _get(spec, key)}
        if changed:
            self.sigSpecChanged.emit(spec, changed)
        return True

    def _fitted(self, key: str, allowed: list[int]) -> tuple[int, int]:
        """(the value `key` has, the one it is to have): what the user chose for it where that fits again, else the
        value it has where that fits (review: 10 heads became 15 at n_embd 120, "must divide"), else the allowed
        value nearest to the user's."""
        now = int(_get(self._spec, key))
        chosen = self._chosen.setdefault(key, now)
        if chosen in allowed or now in allowed:
            return now, chosen if chosen in allowed else now
        return now, min(allowed, key=lambda v: (abs(v - chosen), v))

    def _fitted_warmup(self, steps: int) -> tuple[int, int]:
        """(the warm-up the run has, the one it is to have at `steps` steps): the user's where it is shorter than the
        run (QA: 10 steps shortened 50 to 0, and 1,500 again left it at 0), else the present one where that is, else
        a choice under a fifth of the run."""
        now = self._spec.train.warmup_steps
        chosen = self._chosen.setdefault("train.warmup_steps", now)
        if chosen < steps or now < steps:
            return now, chosen if chosen < steps else now
        return now, max([w for w in WARMUP_CHOICES if w < steps // 5] or [0])

    def _on_slider(self, key: str, value: float) -> None:
        changes: dict[str, Any] = {key: value}
        note = ""
        if key in ("model.n_head", "model.patch_size", "train.warmup_steps"):
            self._chosen[key] = int(value)
        if key == "model.n_embd":
            heads, new = self._fitted("model.n_head", _head_choices(int(value)))
            if new != heads:
                changes["model.n_head"] = new
                note = (f"Heads {heads} → {new}: each head gets n_embd / n_head dimensions, so the number of "
                        f"heads must divide {int(value)}." if new != self._chosen.get("model.n_head") else
                        f"Heads {heads} → {new} again: {new} divides {int(value)}.")
        elif key == "model.image_size":
            patch, new = self._fitted("model.patch_size", _patch_choices(int(value)))
            if new != patch:
                changes["model.patch_size"] = new
                # (no size: the note stays as the slider moves on, and "the 62-pixel image" stood beside 64: QA)
                note = (f"Patch size {patch} → {new}: patches must tile the image exactly."
                        if new != self._chosen.get("model.patch_size") else
                        f"Patch size {patch} → {new} again: it tiles the image.")
        elif key == "train.max_steps":
            warmup, new = self._fitted_warmup(int(value))
            if new > warmup and self.trains_on_to(int(value)):
                new = warmup  # a run that goes on is past its warm-up: given back, it rebuilt the model (QA)
            if new != warmup:
                changes["train.warmup_steps"] = new
                note = (f"Warm-up shortened to {new} steps: it must be shorter than the run." if new < warmup else
                        f"Warm-up {warmup} → {new} steps again: the run is long enough for it.")  # (no count:
                # the note stays as the slider moves on, and "the 100-step run" stood beside 200: QA)
        elif key == "model.n_head":
            note = f"{counted(int(value), 'head')} of {self._spec.model.n_embd // int(value)} dimensions each."
        if key in ("model.image_size", "model.patch_size"):
            note = " ".join(filter(None, [note, self._slow_patches(changes)]))
        shown = "" if self.messageLabel.isHidden() else self.messageLabel.text()
        # What a stop of this slider did to another setting stays said while the slider moves on at once without a
        # word of its own (QA: "Warm-up 0 → 50 again" at the 100-step stop was wiped by the next stops of a drag)
        noted_key, noted, at = self._noted
        moving = self.sliders[key].slider.isSliderDown() or time.monotonic() - at < NOTE_KEPT_S  # (a slow drag too: QA)
        keep = not note and shown and (noted_key, noted) == (key, shown) and moving
        if self._request(changes, None if keep else note):
            self._noted = (key, self.messageLabel.text(), time.monotonic()) if note or keep else ("", "", 0.0)

    def _slow_patches(self, changes: dict[str, Any]) -> str:
        """Where an image cut into patches makes SLOW_TOKENS tokens or more, why each step will be slow, said before
        Play (QA: a 64-px ViT in 2-px patches took ~70 s a step, and nothing said so until a step was under way)."""
        model = self._spec.model.model_copy(update={key.removeprefix("model."): int(value) for key, value in
                                                    changes.items() if key in ("model.image_size", "model.patch_size")})
        tokens = model.n_patches + 1  # and [CLS]
        if tokens < SLOW_TOKENS:
            return ""
        side = model.image_size // model.patch_size
        return (f"{side} x {side} patches and [CLS]: {tokens:,} tokens a picture, and attention weighs every pair "
                f"({tokens * tokens:,} a head), so each step takes seconds or more on a CPU; larger patches make "
                f"fewer tokens.")

    def _on_data_option(self, name: str, value: Any) -> None:
        options = dict(self._spec.data.options)
        if value is None:
            options.pop(name, None)
        else:
            options[name] = value
        if self._request({"data.options": options}) and value is None and self.dataOptions.is_auto(name):
            self.show_message(f"{option_title(name)} is auto again: {self._resolved.get(name, '?')}, worked out from "
                              f"the model.")

    def _on_family(self, index: int) -> None:
        family = self.familyCombo.itemData(index)
        if family == _family_item(self._spec):
            return
        if family == PRETRAINED_ITEM:
            self._to_pretrained()
            return
        from playground.core.presets import PresetError, load_preset

        try:
            base = load_preset(FAMILY_PRESETS[family])
        except PresetError as err:
            self._sync_controls()
            self.show_message(f"{err}", "error")
            return
        # The family's own dataset, input sizes, dropout, block layout and training settings: another family's
        # learning rate or step count rarely suits it. The sizes stay the user's, unless leaving a pretrained model.
        keep = set() if self._spec.model.pretrained else ARCHITECTURE_KEYS
        changes: dict[str, Any] = {f"model.{k}": v for k, v in base.model if f"model.{k}" not in keep}
        changes.update({"data.name": base.data.name, "data.path": None, "data.options": dict(base.data.options)})
        changes.update({k: _get(base, k) for k in TRAIN_PRESET_KEYS})
        self._request(changes, f"Switched to the {FAMILY_TITLES[family]}: dataset, dropout and training settings "
                               f"taken from the built-in preset '{FAMILY_PRESETS[family]}'.")

    def _to_pretrained(self) -> None:
        """The family selector's fine-tuning choice: the bert-pronoun preset's model, data and training."""
        from playground.core.presets import PresetError, load_preset

        try:
            base = load_preset(PRETRAINED_PRESET)
        except PresetError as err:
            self._sync_controls()
            self.show_message(f"{err}", "error")
            return
        changes: dict[str, Any] = {f"model.{k}": v for k, v in PRETRAINED_ARCHITECTURES[base.model.pretrained].items()}
        changes.update({
            "model.family": "encoder", "model.pretrained": base.model.pretrained,
            "model.freeze_layers": base.model.freeze_layers, "model.block_size": base.model.block_size,
            "model.dropout": base.model.dropout, "model.pos_encoding": base.model.pos_encoding,
            "data.name": base.data.name, "data.path": None, "data.options": dict(base.data.options),
        })
        changes.update({f"model.{k}": v for k, v in PRETRAINED_DEFAULTS.items()})  # its weights need its design
        changes.update({k: _get(base, k) for k in TRAIN_PRESET_KEYS})
        # (QA read "remain yours" as "keep your values": they are the preset's now, and stay adjustable.)
        self._request(changes, f"Fine-tuning the pretrained MiniLM with the settings of the built-in preset "
                               f"'{PRETRAINED_PRESET}'. Its architecture is fixed; every training setting, the "
                               f"dropout, the frozen layers and the context length can still be changed.")

    def _on_dataset(self, index: int) -> None:
        item = self.datasetCombo.itemData(index)
        if isinstance(item, str):
            if item != self._spec.data.name or self._spec.data.path:
                changes = {"data.name": item, "data.path": None, "data.options": {}}
                back = self._context_leaving_csv(changes)
                if back is not None:
                    changes["model.block_size"] = back[0]
                self._request(changes, back[1] if back is not None else "")
            return
        if isinstance(item, tuple) and item[0] == "open":
            path = self._ask_path(item[1])
            if not path:
                self._sync_controls()
                return
            options: dict[str, Any] = {}
            if item[1] == "csv_file":
                from playground.ui import csv_columns

                try:
                    columns = csv_columns.ask_columns(self, path)
                except csv_columns.CsvHeaderError as err:
                    self._sync_controls()
                    self.show_message(str(err), "error")
                    return
                if columns is None:
                    self._sync_controls()
                    return
                options = {"text_column": columns[0], "label_column": columns[1]}
            changes: dict[str, Any] = {"data.name": item[1], "data.path": path, "data.options": options}
            note = f"Using {Path(path).name}" + (f" (text: '{options['text_column']}', label: "
                                                  f"'{options['label_column']}')." if options else ".")
            fitted = self._context_for(changes)
            if fitted is not None:
                changes["model.block_size"], note = fitted[0], f"{note} {fitted[1]}"
            self._request(changes, note)

    def _context_for(self, changes: dict[str, Any]) -> tuple[int, str] | None:
        """A context length that holds 95 % of a classification file's texts whole (within the slider's range),
        and a sentence saying so: a context carried over from another dataset cut a file's texts unseen."""
        from playground.data import DataError
        from playground.data.registry import covering_context

        try:
            spec = self._spec.updated(changes)
            wanted = covering_context(spec.data, spec.model)
        except (SpecError, DataError):
            return None  # _request says what is wrong with the file
        if wanted is None:
            return self._context_leaving_csv(changes)
        top = context_top(spec)
        fitted = min(max(wanted, 4), top)
        cut = f"; longer texts are cut at {fitted} tokens" if wanted > top else ""
        return fitted, f"Context length set to {fitted}: it holds 95 % of the texts whole{cut}."

    def _context_leaving_csv(self, changes: dict[str, Any]) -> tuple[int, str] | None:
        """From a CSV file to another dataset that fits no context of its own (running text, a built-in set): a
        context fitted to the file's short texts goes back to the default, and a sentence says so (newcomer QA: a
        text file trained with the CSV's context of 5, unsaid). None where the context stays."""
        old = self._spec
        if old.data.name != "csv_file" or old.model.block_size >= DEFAULT_CONTEXT or old.model.family == "vit":
            return None
        if changes.get("data.name", old.data.name) == "csv_file":
            return None
        name = Path(old.data.path or "").name
        return DEFAULT_CONTEXT, f"Context length set back to {DEFAULT_CONTEXT}: {old.model.block_size} was fitted to " \
                                f"the short texts of {name}."

    def _ask_path(self, kind: str) -> str:
        if kind == "image_folder":
            return file_dialogs.existing_folder(self, "Open an image folder (one sub-folder per class)")
        path, _ = file_dialogs.open_file(self, OPEN_ITEMS[kind].rstrip("…"), "", OPEN_FILTERS[kind])
        return path


def context_top(spec: RunSpec) -> int:
    """The longest context the window's slider offers `spec`'s model."""
    return PRETRAINED_MAX_CONTEXT if spec.model.pretrained else SLIDER_MAX_CONTEXT


def data_error_text(err: Exception, spec: RunSpec) -> str:
    """The data's refusal of `spec` as the window says it: offering no context longer than its slider has (the
    command line's may)."""
    from playground.data.registry import ContextTooShort

    return err.within(context_top(spec)) if isinstance(err, ContextTooShort) else str(err)


def _get(spec: RunSpec, dotted: str) -> Any:
    node: Any = spec
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def _family_item(spec: RunSpec) -> str:
    """The family selector's entry for a spec: the family, or the fine-tuning entry for a pretrained model."""
    return PRETRAINED_ITEM if spec.model.pretrained else spec.model.family


def _offered(spec: RunSpec, dataset: str) -> bool:
    """A pretrained BERT fine-tunes on sentence classification only (pronoun, sentiment, a CSV file)."""
    if not spec.model.pretrained:
        return True
    from playground.data import REGISTRY

    return dataset in REGISTRY and REGISTRY[dataset].kind == "classify"


def _head_choices(n_embd: int) -> list[int]:
    return [d for d in divisors(n_embd) if d <= MAX_HEADS]


def _patch_choices(image_size: int) -> list[int]:
    return [d for d in divisors(image_size) if d < image_size] or [1]
