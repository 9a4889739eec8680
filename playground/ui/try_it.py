"""The "Try it" tab: type a sentence, see the classifier's prediction with its probabilities, and for
"it" the head view before fine-tuning and now, side by side, with the heads that changed most.

Every model call runs on the training thread (`TrainingWorker.submit`): `TryItJob` is called there with
the live session between two steps and returns numpy arrays only. The "before" weights are the run's
step-0 weights (the pretrained model, or the seeded random initialisation), rebuilt once per session.
"""

from __future__ import annotations

import html
import math
import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import (
    QHideEvent,
    QKeySequence,
    QMouseEvent,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.analysis.pronoun import LECTURE_SENTENCES, _word_positions
from playground.core.files import elide
from playground.data.vocab import CLS
from playground.training.events import AttentionSnapshot
from playground.ui import theme
from playground.ui.plotting import font_scale, rgb_qimage

if TYPE_CHECKING:
    from playground.viz.canvas import Figure

JOB_KEY = "try-it"
QUERY_WORD = "it"
CHANGED_TIPS = {  # the table's, where the sentence has a word the views follow, and where it has none
    True: "The heads whose attention from the word the head views follow changed most since step 0; Before and Now: "
          "where it looked most then and looks now.",
    False: f"The heads whose attention on this sentence changed most since step 0, over all of its words: it has no "
           f"'{QUERY_WORD}' the model reads to follow.",
}
ASK_HINT = "Type a sentence and press Enter: the model, at the step it has reached, classifies it."  # (trained too)
FIRST_LAYER = 3  # the head views' layer at a first answer (0-based): a middle one of MiniLM's six
FILL_STEP = 0.1  # an enlarged head view grows to its room in tenths of its size
ASPECT_STEP = 0.1  # a head view is made for its room's shape in steps of a tenth (of its log): again at each step
REBUILT = "The model was rebuilt"  # what Try it says once its answers' model is gone
PRONOUN_TASK = "pronoun"  # the dataset whose story is where "it" looks (data/registry.py)
TYPED_IT = re.compile(rf"\b{QUERY_WORD}\b", re.IGNORECASE)
REVIEW_SENTENCE = "the acting was not great but the music was wonderful"  # negation and contrast: only 'but' decides
TOP_CHANGED = 12
TABLE_SHARE = 0.6  # of the page at most, for the table whose columns need it; the head views keep the rest
# The change is of the row the views follow (a student asked of a 66.9 % change, then of every row, whose [CLS]
# row looked as before)
FOLLOWED = f"'{QUERY_WORD}' (or [CLS], in a sentence without it)"  # the word whose attention the views and table follow
CHANGE_TIP = (f"How far the attention of {FOLLOWED} moved in this head: 0 = unchanged, 100 % = all its weight moved to "
              f"other tokens. Where the model follows neither, averaged over every token's row.")
TIPS = {
    "tab": "Type a sentence: the model being fine-tuned classifies it, and you see where 'it' looks before "
           "fine-tuning and now.",
    "input": "A sentence to classify. For the pronoun task, type one with 'it' and two nouns, e.g. the lecture's "
             "'The animal didn't cross the street because it was too wide.' Press Enter.",
    "bars": "The model's probability for each class (softmax of its output for the [CLS] token); they sum to 100 %.",
    "lines": "Head view for the word 'it': a line from 'it' (left) to every word piece (right) it attends to; "
             "thicker = more weight. Left: the weights before fine-tuning (step 0). Right: the weights now.",
    "changed": f"Heads sorted by how much the attention of {FOLLOWED} on this sentence moved since step 0 (the "
               "total-variation distance of its row). The last columns say which word it attends to most in that "
               "head, before and now. Click a row to show that head beside.",
    "grid": "Show every layer and head for this sentence in the Attention tab (until the next training snapshot).",
    "enlarge": "Show the two head views over the whole right side of the window, to be read from the back of a "
               "room (double-click a head view or press Esc to go back).",
}
ENLARGE_TEXT = ("Enlarge", "Back")
# Drawn smaller than this (a window pixel for a figure pixel), a head view's 13-px token labels are under 7 px tall:
# the Enlarge button says so (QA: 3-px labels at 130 % in a short room, with no word of how to read them)
SMALL_SCALE = 0.8
ENLARGE_SMALL = "Enlarge to read"  # (a longer text took the sentence box's room)

_BEFORE_MODELS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class TryItResult:
    token: int
    step: int
    text: str
    probabilities: list[tuple[str, float]]
    snapshot: AttentionSnapshot  # now, on this sentence
    before: np.ndarray  # (L, H, T, T) the step-0 weights on the same sentence
    query: int | None  # position of the word the head view follows ("it", else [CLS]); None when neither
    query_word: str = QUERY_WORD
    length: int = 0  # the positions the whole sentence takes; more than the snapshot's: cut to the model's context
    changes: list[Any] = field(default_factory=list)  # analysis.roles.HeadChange, most changed first
    pretrained: bool = False  # step 0 is a pretrained model ("before fine-tuning"), not a random one
    pronoun_task: bool = False  # the model learns what "it" refers to (its answer to a sentence without one means little)
    unknown: tuple[str, ...] = ()  # typed words outside the model's vocabulary, read as [UNK]
    vocab_size: int = 0


@dataclass(frozen=True)
class TryItJob:
    token: int
    text: str

    def __call__(self, session: Any) -> TryItResult:
        from playground.analysis.roles import changed_most

        probabilities = session.predict(self.text)
        batch = session.dataset.example(self.text)
        snapshot = session.snapshot(batch)
        before = before_weights(session, batch)
        pronoun_task = session.info.name == PRONOUN_TASK
        query, word = followed_word(snapshot.labels, self.text, pronoun_task)
        changes = changed_most(before, snapshot.weights, query=query)  # the row Before and Now show (QA)
        return TryItResult(self.token, session.step, self.text, probabilities, snapshot, before, query, word,
                           session.dataset.input_length(self.text), changes, bool(session.spec.model.pretrained),
                           pronoun_task, tuple(session.dataset.unknown_words(self.text)), session.info.vocab_size)


def offered_sentence(info: Any) -> str:
    """The sentence Try it starts with: the lecture's for the pronoun task, a review whose last clause decides for
    sentiment (the lecture's "it" sentence is neither), none for your own CSV (its texts are yours to type)."""
    name = getattr(info, "name", None)
    return {PRONOUN_TASK: LECTURE_SENTENCES[1], "sentiment": REVIEW_SENTENCE}.get(name, "") if name else LECTURE_SENTENCES[1]


def before_title(pretrained: bool) -> str:
    """The title over the step-0 head view."""
    return f"<b>{'Before fine-tuning' if pretrained else 'Untrained'}</b> (step 0)"


def cut_at(result: TryItResult) -> int:
    """The positions the model read of the sentence, when it had to cut it (0 when the whole sentence fit)."""
    read = len(result.snapshot.labels)
    return read if result.length > read else 0


def no_it_note(result: TryItResult) -> str:
    """QA: the pronoun task's model named "the animal" at 99 % for a sentence without any "it": it answers anyway."""
    if not result.pronoun_task or TYPED_IT.search(result.text):
        return ""
    return (f" <span style='color:{theme.colour('warning')}'>There is no '{QUERY_WORD}' in this sentence: this model "
            f"learnt to say what '{QUERY_WORD}' refers to, so this answer means little.</span>")


def changed(result: TryItResult) -> list[Any]:
    """The heads whose attention changed enough to show (0.1 %), most first: none at step 0 (QA: a table of every head
    at 0.0 %)."""
    return [change for change in result.changes[:TOP_CHANGED] if round(change.change, 3) > 0]


def unchanged_note(result: TryItResult) -> str:
    if not result.changes or changed(result):
        return ""
    since = "from the pretrained model's" if result.pretrained else "since step 0"
    return f" No head's attention has changed {since} yet: the table of those that change fills as it trains."


def unknown_note(result: TryItResult) -> str:
    """QA: "at" and "all" showed as [UNK] in the head views without a word of why."""
    if not result.unknown:
        return ""
    words = ", ".join(f"'{html.escape(w)}'" for w in result.unknown[:6]) + (" …" if len(result.unknown) > 6 else "")
    return (f" <span style='color:{theme.colour('warning')}'>{words} {'is' if len(result.unknown) == 1 else 'are'} not "
            f"among the {result.vocab_size:,} tokens this model knows: it reads "
            f"{'it' if len(result.unknown) == 1 else 'them'} as [UNK].</span>")


def cut_note(result: TryItResult) -> str:
    """QA: a negative review longer than bert-sentiment's 12 positions was read as its first clause alone and
    called positive at 100 %, without a word."""
    read = cut_at(result)
    if not read:
        return ""
    return (f" <span style='color:{theme.colour('warning')}'>It read only the first {read} of the sentence's "
            f"{result.length} tokens: raise Context length ({read}) and train again to read longer ones.</span>")


def followed_word(labels: Sequence[str], text: str, pronoun_task: bool = True) -> tuple[int | None, str]:
    """The position the head view follows, and its word: the lecture's "it"; in a sentence without one (a review,
    your CSV's text), the [CLS] token the classifier reads its answer from. On the pronoun task an "it" typed but
    not read (past the context, unknown to the vocabulary) is None: the view says why rather than follow something
    else; any other classifier's story is [CLS]'s (a review "i loved it" reads "it" as unknown)."""
    positions = _word_positions(labels, QUERY_WORD)
    if positions:
        return positions[0], QUERY_WORD
    if labels and labels[0] == CLS and not (pronoun_task and TYPED_IT.search(text)):
        return 0, CLS
    return None, QUERY_WORD


def before_weights(session: Any, batch: Any) -> np.ndarray:
    """(L, H, T, T) attention of the run's step-0 weights on `batch` (the model is rebuilt once and kept)."""
    import torch

    model = _BEFORE_MODELS.get(session)
    if model is None:
        with torch.random.fork_rng():  # the training run's random stream is left untouched
            torch.manual_seed(session.spec.train.seed)
            model = session._build_model().to(session.placement.device)  # what reset() built at step 0
        model.eval()
        _BEFORE_MODELS[session] = model
    batch = batch.to(session.placement.device)
    with torch.no_grad():
        out = model(batch.x, batch.mask, output_attentions=True)
    return torch.stack([a[0] for a in out.attentions]).float().cpu().numpy()


class ImageLabel(QLabel):
    """A QLabel showing a figure at the application font's scale (larger in presentation mode), smaller where its room
    is, keeping the aspect ratio; drawn again at the size shown, so its text stays sharp (scaled down as a picture, a
    sentence's 13-px token labels were a blur 4-5 px tall at 1280x720, QA). A figure of `ratio` pixels to a window
    pixel keeps its window size, only sharper. A figure made for the room's shape (`set_figure_for_room`) is made again
    when that shape changes."""

    sigDoubleClicked = Signal()
    sigScaled = Signal(float)  # the scale the figure is drawn at, a window pixel for a figure pixel, as it changes

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setWordWrap(True)  # the placeholder text: its width is ignored by the layout, so it must wrap, not clip
        self.original = QPixmap()  # the figure at its own size
        self.figure: Figure | None = None
        self._drawn: tuple[float, QPixmap] | None = None  # the figure drawn at a scale, for the room it had
        self.fills = False  # grown to fill its room (enlarged), not only to the application font's scale
        self.make: Callable[[float], Figure] | None = None  # the figure for a room's width / height
        self._made_for = 0.0  # the width / height it was last made for
        self._ratio = 1.0
        self.scale = 1.0  # drawn at, a window pixel for a figure pixel

    def set_figure(self, figure: Figure, ratio: float = 1.0) -> None:
        """Show `figure`, drawn with `ratio` of its pixels to a window pixel (the screen's, 2 on HiDPI: sharp text)."""
        self.make = None
        self._show(figure, ratio)

    def set_figure_for_room(self, make: Callable[[float], Figure], ratio: float = 1.0) -> None:
        """Show the figure `make` draws for the room's width / height, drawn again when that changes (as
        `set_figure`'s `ratio`)."""
        self.make, self._made_for = make, self._aspect()
        self._show(make(self._made_for), ratio)

    def _show(self, figure: Figure, ratio: float) -> None:
        self.figure, self._drawn, self._ratio = figure, None, ratio
        self.original = _pixmap(figure, ratio)
        self._fit()

    def _aspect(self) -> float:
        """The room's width / height, in ASPECT_STEP steps: a room of the same shape gets the same figure."""
        shape = max(50, self.width()) / max(50, self.height())
        return math.exp(round(math.log(shape) / ASPECT_STEP) * ASPECT_STEP)

    def set_fills(self, fills: bool) -> None:
        """Grown to fill its room (enlarged), or only to the application font's scale."""
        self.fills = fills
        self._fit()

    def clear_image(self, text: str = "") -> None:
        self.original, self.figure, self._drawn, self.make = QPixmap(), None, None, None
        self.clear()
        self.setText(text)
        self._set_scale(1.0)

    def _set_scale(self, scale: float) -> None:
        if scale != self.scale:
            self.scale = scale
            self.sigScaled.emit(scale)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        aspect = self._aspect()
        if self.make is not None and aspect != self._made_for:
            self._made_for = aspect
            self._show(self.make(aspect), self._ratio)
        else:
            self._fit()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mouseDoubleClickEvent(event)
        self.sigDoubleClicked.emit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presentation mode: the rendered labels grow with the text
            self._fit()

    def _fit(self) -> None:
        if self.original.isNull() or self.figure is None:
            return
        size = self.original.deviceIndependentSize()  # in window pixels
        room = min(max(50, self.width()) / size.width(), max(50, self.height()) / size.height())
        # Filling its room, in steps of FILL_STEP: drawn again at each step (20-60 ms), not at each pixel of a drag
        scale = math.floor(room / FILL_STEP) * FILL_STEP if self.fills else min(max(1.0, font_scale()), room)
        scale = round(scale, 2)
        self._set_scale(scale)
        if scale == 1:
            self.setPixmap(self.original)
            return
        if self._drawn is None or self._drawn[0] != scale:
            ratio = self.original.devicePixelRatio()
            self._drawn = scale, _pixmap(self.figure, ratio, scale)
        self.setPixmap(self._drawn[1])


def _pixmap(figure: Figure, ratio: float, scale: float = 1.0) -> QPixmap:
    """`figure` drawn `scale` times its size, in `ratio` pixels a window pixel."""
    return QPixmap.fromImage(rgb_qimage(np.asarray(figure.to_image(ratio * scale).convert("RGB")), ratio))


class TryItPanel(QWidget):
    """`get_worker()` returns the live TrainingWorker (starting one if needed); results come back through
    `on_result`, which the window calls with `Drained.results[JOB_KEY]`."""

    sigShowSnapshot = Signal(object, int, int)  # an AttentionSnapshot for the Attention tab, the layer and head picked
    sigEnlarged = Signal(bool)  # the head views take the whole Try it area (the window may give it more room)

    def __init__(self, get_worker: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tryItPanel")
        self.get_worker = get_worker
        self.token = 0
        self.pending = False
        self.result: TryItResult | None = None
        self.probabilities: list[tuple[str, float]] = []
        self.bars: list[QWidget] = []  # the prediction's labels, bars and percentages, rebuilt per answer
        self._asked_at: int | None = None  # the model's step `follow` last asked at (kept past a failed answer)
        self._offered = LECTURE_SENTENCES[1]  # the sentence the panel put in the box (`_ask_offered`)
        self._answer_said = ""  # the status line of the answer shown
        self._typed_while_asked = False  # the box was typed in while the model was asked
        self._typed_over = False  # another sentence is typed over the one answered

        self.input = QLineEdit(self)
        self.input.setObjectName("tryInput")
        self.set_sentence(LECTURE_SENTENCES[1])
        self.input.setPlaceholderText("Type a sentence and press Enter")
        self.input.setToolTip(TIPS["input"])
        self.input.returnPressed.connect(self.predict)
        self.input.textEdited.connect(self._say_whose_answer)
        self.button = QPushButton("Predict", self)
        self.button.setObjectName("tryButton")
        self.button.setToolTip(TIPS["input"])
        self.button.clicked.connect(self.predict)
        self.gridButton = QPushButton("Show in Attention tab", self)
        self.gridButton.setObjectName("showInGridButton")
        self.gridButton.setToolTip(TIPS["grid"])
        self.gridButton.setEnabled(False)
        self.gridButton.clicked.connect(self._show_in_grid)
        self.status = QLabel(ASK_HINT, self)
        self.status.setObjectName("tryStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)

        self.barsBox = QWidget(self)
        self.barsBox.setObjectName("tryBars")
        self.barsBox.setToolTip(TIPS["bars"])
        self.barsLayout = QGridLayout(self.barsBox)
        self.barsLayout.setContentsMargins(0, 0, 0, 0)
        self.barsLayout.setColumnStretch(1, 1)

        # No group box around the head views: its title said what the two titles above the pictures say,
        # and every line of height goes to the pictures (a projector's 720 px are not many).
        self.linesBox = QWidget(self)
        self.linesBox.setObjectName("tryLines")
        self.linesBox.setToolTip(TIPS["lines"])
        self.layerCombo = QComboBox(self)
        self.layerCombo.setObjectName("itLayerCombo")
        self.headCombo = QComboBox(self)
        self.headCombo.setObjectName("itHeadCombo")
        for combo in (self.layerCombo, self.headCombo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.activated.connect(lambda _i: self._render_lines())
        self.enlargeButton = QPushButton(ENLARGE_TEXT[0], self)
        self.enlargeButton.setObjectName("enlargeButton")
        self.enlargeButton.setCheckable(True)
        self.enlargeButton.setToolTip(TIPS["enlarge"])
        self.enlargeButton.toggled.connect(self._enlarge)
        self.beforeImage = ImageLabel("beforeImage", self.linesBox)
        self.nowImage = ImageLabel("nowImage", self.linesBox)
        for image in (self.beforeImage, self.nowImage):
            image.sigDoubleClicked.connect(self.enlargeButton.toggle)
            image.sigScaled.connect(lambda _scale: self._name_enlarge())
        # The window's key: a double-click enlarges the views without moving the focus into this panel, and Esc gives
        # the room back wherever the focus is (the context it was once given, this panel alone, PySide6 dropped:
        # `widget_shortcut`)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, lambda: self.set_enlarged(False))
        self.beforeTitle = QLabel(before_title(True), self.linesBox)
        self.nowTitle = QLabel("<b>Now</b>", self.linesBox)
        self.nowTitle.setObjectName("nowTitle")
        for title in (self.beforeTitle, self.nowTitle):
            title.setWordWrap(True)  # in presentation mode a title wraps, not widens its picture's column
            title.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)  # (one of one line stood
            # lower, beside one wrapped: QA)
        images = QGridLayout()
        images.addWidget(self.beforeTitle, 0, 0)
        images.addWidget(self.nowTitle, 0, 1)
        images.addWidget(self.beforeImage, 1, 0)
        images.addWidget(self.nowImage, 1, 1)
        images.setRowStretch(1, 1)
        images.setColumnStretch(0, 1)
        images.setColumnStretch(1, 1)
        images.setContentsMargins(0, 0, 0, 0)
        self.linesBox.setLayout(images)

        self.changedTable = QTableWidget(0, 5, self)
        self.changedTable.setObjectName("changedTable")
        self.changedTable.setToolTip(TIPS["changed"])
        self.changedTable.setTabKeyNavigation(False)  # Tab leaves the table (arrow keys move in it)
        # Short titles, the whole on hover: "'it' → before" was cut to "→ befc" at 130 %.
        for col, (title, tip) in enumerate((
                ("Layer", ""), ("Head", ""), ("Change", CHANGE_TIP),
                ("Before", f"What {FOLLOWED} looked at most at step 0."),
                ("Now", f"What {FOLLOWED} looks at most now."))):
            item = QTableWidgetItem(title)
            item.setToolTip(tip)
            self.changedTable.setHorizontalHeaderItem(col, item)
        self.changedTable.verticalHeader().setVisible(False)
        self.changedTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.changedTable.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.changedTable.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.changedTable.horizontalHeader()
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for col in (3, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.changedTable.cellClicked.connect(self._on_changed_row)
        # the arrow keys too: the highlighted row is the head shown (review: Down moved it, not the head views)
        self.changedTable.currentCellChanged.connect(lambda row, col, _row, _col: self._on_changed_row(row, col))
        # A short title: a group box is never narrower than its title, and the long one widened the window when zoomed.
        self.changedBox = changed_box = QGroupBox("Heads changed most", self)
        changed_box.setToolTip(CHANGED_TIPS[True])
        changed_layout = QVBoxLayout(changed_box)
        changed_layout.setContentsMargins(4, 4, 4, 4)
        changed_layout.addWidget(self.changedTable)

        top = QHBoxLayout()
        top.addWidget(self.input, 1)
        top.addWidget(self.button)
        top.addWidget(self.gridButton)
        top.addWidget(self.enlargeButton)  # here, not beside the pickers: that row set the page's width at 175 %
        self.left = QWidget(self)
        left_layout = QVBoxLayout(self.left)
        left_layout.setContentsMargins(0, 0, 8, 0)  # the percentages keep clear of the titles beside them
        left_layout.addWidget(self.barsBox)
        left_layout.addWidget(changed_box, 1)
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("trySplitter")
        splitter.addWidget(self.left)
        splitter.addWidget(self.linesBox)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([380, 620])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        # The status above the head view's pickers (they stay when the pictures are enlarged): beside them it
        # took two lines at 100 % anyway, and at 175 % it wrapped a word a line, its page then as wide as both
        # (a Try it tab never opened made the window 1,328 px wide on a 1280-px screen).
        pickers = QHBoxLayout()
        self.pickerLabel = QLabel(f"Head view of '{QUERY_WORD}': layer", self)
        pickers.addWidget(self.pickerLabel)
        pickers.addWidget(self.layerCombo)
        pickers.addWidget(QLabel("heads", self))
        pickers.addWidget(self.headCombo)
        pickers.addStretch(1)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addLayout(pickers)
        layout.addWidget(splitter, 1)
        self.clear()

    # ----- requests ------------------------------------------------------------------------------
    def predict(self) -> bool:
        text = self.input.text().strip()
        if not text:
            self.clear()  # the answers shown were to a sentence no longer in the box
            self.status.setText("Type a sentence first.")
            return False
        worker = self.get_worker()
        if worker is None:
            self.status.setText("No model to ask: choose a text classifier (pretrained BERT, sentiment, pronoun).")
            return False
        self.token += 1
        self.pending = True
        worker.submit(JOB_KEY, TryItJob(self.token, text))
        # (QA: "between two training steps" while nothing trained, as a lesson's model loaded)
        self.status.setText("Asking the model… (between two training steps)" if worker.playing else
                            "Asking the model…")
        return True

    def follow(self, step: int, training: bool) -> None:
        """The answer shown is the model's at its step: once the model has trained past it and stopped, ask again
        (QA: "Now (step 0)" stayed beside a model fine-tuned to step 300); while it trains, say how far it is."""
        if self.result is None and not self.pending:
            if not training:
                self._ask_offered(step)  # (first: a rebuilt model's panel, hidden then, asks it too, review)
            if not self.pending and step and self.status.text().startswith(REBUILT):
                # The rebuilt model has trained since: "the new one" is this one, at its step (QA: it said "rebuilt"
                # beside a model trained on)
                self.status.setText(f"{REBUILT}, and trained to step {step:,}: press Enter to ask it.")
            return
        if self.result is None or self.pending or step == self.result.step:
            return
        if not training:
            # About the sentence it answered: not one being typed (review).
            if self.isVisible() and self.input.text().strip() == self.result.text and step != self._asked_at:
                self._asked_at = step  # once per step: a step the answer never reports is not asked for again
                self.predict()
            return
        # Its view is of that step too: not "Now" beside a model trained on (lecturer QA: "Now (step 0)" at 24)
        self.nowTitle.setText(f"<b>At step {self.result.step:,}</b>")
        if self._typed_over:
            return  # (another sentence typed: the line says whose the answer is, review)
        best = self.probabilities[0][0] if self.probabilities else "?"
        said = (f"At step {self.result.step:,} the model said <b>{html.escape(best)}</b>; training, it is at step "
                f"{step:,} now: Enter asks it again (it answers by itself when training pauses).")
        if self.status.text() != said:
            self.status.setText(said)

    def _ask_offered(self, step: int) -> None:
        """The sentence the panel offered, untouched, asked of a model that stands still, once per step, while the
        panel shows: it answered only after an Enter (QA: bert-sentiment fine-tuned for 200 steps, and "No prediction
        yet" beside its own sentence). A sentence of the user's is asked when they press Enter."""
        offered = self.input.text().strip()
        if self.isVisible() and offered and offered == self._offered and step != self._asked_at:
            self._asked_at = step
            self.predict()

    def clear_pending(self) -> None:
        """The run was reset: an answer still on its way, and every answer shown, came from a model that is gone."""
        had = self.pending or self.result is not None
        self._forget_model()
        if had:
            self.status.setText(f"{REBUILT}: press Enter to ask the new one.")

    def clear(self) -> None:
        """No model's answer on screen: no bars, no head views, no table, nothing pending."""
        self.pending = False
        self.result = None
        self.probabilities = []
        self._show_bars([])
        self.changedTable.setRowCount(0)
        self.gridButton.setEnabled(False)
        self.beforeImage.clear_image("The head view appears after a prediction.")
        self.pickerLabel.setText("Head view: layer")  # whose, the next answer says ('it', or [CLS])
        self.nowImage.clear_image("")
        self.nowTitle.setText("<b>Now</b>")
        self.status.setText(ASK_HINT)

    def _forget_model(self) -> None:
        """Another model: nothing of the last one's, its answers, steps, layers and heads (QA: "all, 1, 2, 3, 4" beside
        "No prediction yet" after 4 heads became 8): the next answer offers the new model's."""
        self.clear()
        self._asked_at = None  # the new model's steps count from 0 again
        self.layerCombo.clear()
        self.headCombo.clear()

    def show_model(self, info: Any, pretrained: bool) -> None:
        """Another model or dataset: forget the last one's answers and offer its sentence again; a `pretrained`
        model's step 0 is "before fine-tuning" (QA: a model trained from scratch was said to be fine-tuned)."""
        self._forget_model()
        self._offered = offered_sentence(info)
        self.set_sentence(self._offered)
        self.beforeTitle.setText(before_title(pretrained))

    def on_result(self, result: Any) -> None:
        if isinstance(result, Exception):
            self.clear()  # no answer to this sentence: the last one's, still shown, would read as its answer
            self.status.setText(f"<span style='color:{theme.colour('error')}'>"
                                f"{html.escape(str(result) or type(result).__name__)}"
                                f"</span>")
            return
        if not isinstance(result, TryItResult) or result.token != self.token:
            return  # an answer to an older request
        self.pending = False
        self.result = result
        self._typed_over = False
        self.probabilities = list(result.probabilities)
        self._show_bars(self.probabilities)
        best, p = self.probabilities[0]
        # The sentence is in the input box: echoed here too, it wrapped this line and took the pictures' height.
        self._answer_said = (f"Now (step {result.step:,}) the model says <b>{html.escape(best)}</b> ({p:.1%})."
                             + cut_note(result) + unknown_note(result) + no_it_note(result) + unchanged_note(result))
        self.status.setText(self._answer_said)
        self.gridButton.setEnabled(True)
        self._fill_pickers(result)
        self._fill_changed(result)
        QTimer.singleShot(0, self, self._fit_table)  # once the new rows are laid out: their widths are known then
        self.pickerLabel.setText(f"Head view of '{result.query_word}': layer")
        self._render_lines()
        if self._typed_while_asked:  # (review)
            self._typed_while_asked = False
            self._say_whose_answer(self.input.text())

    def _say_whose_answer(self, typed: str) -> None:
        """Another sentence typed over the one answered: the answer shown is said to be that one's, until Enter (QA:
        the old answer stood under the new text, nothing naming its sentence); typed back, the answer is said again."""
        self._typed_while_asked = self.pending  # said once the answer comes
        if self.result is None or self.pending:
            return
        self._typed_over = typed.strip() != self.result.text
        if not self._typed_over:
            self.status.setText(self._answer_said)
            return
        ask = "press Enter to ask about the sentence typed" if typed.strip() else "type a sentence and press Enter"
        self.status.setText(f"The answer below is to “{html.escape(elide(self.result.text, 60))}”: {ask}.")

    # ----- enlarging -----------------------------------------------------------------------------
    def set_enlarged(self, on: bool, remember: bool = True) -> None:
        """The two head views over the whole Try it area (the prediction and the table hidden), or back. Not to
        `remember` (a lesson step that points at the prediction): the button's toggled signal, which the window
        remembers as the user's choice, stays silent."""
        if remember:
            self.enlargeButton.setChecked(on)  # its toggled signal, only on a change, calls _enlarge
            return
        with QSignalBlocker(self.enlargeButton):
            self.enlargeButton.setChecked(on)
        self._enlarge(on)

    def _enlarge(self, on: bool) -> None:
        self.left.setVisible(not on)
        for image in (self.beforeImage, self.nowImage):  # as large as the room (QA: 280 px, 230 px empty below)
            image.set_fills(on)
        self._name_enlarge()
        if self.isVisible():  # hidden, the panel takes no room from the window until it shows
            self.sigEnlarged.emit(on)

    def _name_enlarge(self) -> None:
        """Enlarge, or where a head view shown is too small to read, Enlarge saying so; Back when enlarged."""
        on = self.enlargeButton.isChecked()
        small = any(image.figure is not None and image.scale < SMALL_SCALE for image in (self.beforeImage, self.nowImage))
        self.enlargeButton.setText(ENLARGE_SMALL if small and not on else ENLARGE_TEXT[on])

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not event.spontaneous() and self.enlargeButton.isChecked():
            self.sigEnlarged.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        if not event.spontaneous():  # another tab chosen: the room the enlarged views took is given back (the
            self.sigEnlarged.emit(False)  # button stays as the user left it, for when Try it shows again)

    # ----- showing -------------------------------------------------------------------------------
    def _show_bars(self, probabilities: list[tuple[str, float]]) -> None:
        for widget in self.bars:
            self.barsLayout.removeWidget(widget)
            widget.hide()  # at once: deleteLater waits for the event loop, and a nested one (a dialog) may hold it
            widget.deleteLater()
        self.bars = []
        if not probabilities:
            placeholder = QLabel("No prediction yet.", self.barsBox)
            self.barsLayout.addWidget(placeholder, 0, 0, 1, 3)
            self.bars.append(placeholder)
            return
        for row, (name, p) in enumerate(probabilities):
            label = QLabel(f"<b>{html.escape(name)}</b>" if row == 0 else html.escape(name), self.barsBox)
            label.setObjectName("probLabel")
            bar = QProgressBar(self.barsBox)
            bar.setObjectName("probBar")
            bar.setRange(0, 1000)
            bar.setValue(round(p * 1000))
            # The percentage in a column of its own: drawn on the bar, it straddled the bar's end ("4|7.2%").
            bar.setTextVisible(False)
            # It may shrink to a few characters: its hint was sized for a text it does not show, and at 175 % it
            # and the head views beside it made the window 1,299 px wide (QA, lesson 19.5).
            bar.setMinimumWidth(4 * bar.fontMetrics().averageCharWidth())
            bar.setToolTip(f"P({name}) = {p:.4f}")
            value = QLabel(f"{p:.1%}", self.barsBox)
            value.setObjectName("probValue")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setToolTip(bar.toolTip())
            self.barsLayout.addWidget(label, row, 0)
            self.barsLayout.addWidget(bar, row, 1)
            self.barsLayout.addWidget(value, row, 2)
            self.bars += [label, bar, value]

    def _fill_pickers(self, result: TryItResult) -> None:
        layers, heads = result.snapshot.weights.shape[:2]
        if self.layerCombo.count() != layers or self.headCombo.count() != heads + 1:
            self.layerCombo.clear()
            self.layerCombo.addItems([f"{layer + 1}" for layer in range(layers)])
            self.headCombo.clear()
            self.headCombo.addItem("all", None)
            for head in range(heads):
                self.headCombo.addItem(f"{head + 1}", head)
            self._pick_first_layer()
        if result.changes and result.changes[0].change > 0.01:
            top = result.changes[0]
            self.layerCombo.setCurrentIndex(top.layer)
            self.headCombo.setCurrentIndex(top.head + 1)

    def set_sentence(self, text: str) -> None:
        """`text` in the box, its start in view (lecturer QA, 150 %: the box opened on "…great but the music was
        wonderful", the cursor at the end of a sentence longer than the box)."""
        self.input.setText(text)
        self.input.setCursorPosition(0)

    def pick_as_written(self) -> None:
        """The head views as a first answer shows them, as a lesson was written (QA: a lesson 19.5 played again
        opened on layer 6, head 10, the head the last run had moved most)."""
        self._pick_first_layer()
        self._render_lines()

    def _pick_first_layer(self) -> None:
        """FIRST_LAYER, every head."""
        if self.layerCombo.count():
            self.layerCombo.setCurrentIndex(min(FIRST_LAYER, self.layerCombo.count() - 1))
            self.headCombo.setCurrentIndex(0)

    def _fill_changed(self, result: TryItResult) -> None:
        changes = changed(result)
        self.changedTable.setRowCount(len(changes))
        # Where the sentence has no 'it' the model reads, the change is over every word, and nothing is followed: no
        # Before and Now columns (QA: a table of changes beside columns of "–", its lesson speaking of 'it')
        for col in (3, 4):
            self.changedTable.setColumnHidden(col, result.query is None)
        # Change fills the table's width where they are hidden (QA: an empty white strip)
        fill = QHeaderView.ResizeMode.Stretch if result.query is None else QHeaderView.ResizeMode.ResizeToContents
        self.changedTable.horizontalHeader().setSectionResizeMode(2, fill)
        self.changedBox.setToolTip(CHANGED_TIPS[result.query is not None])
        labels = result.snapshot.labels
        before = "before fine-tuning" if result.pretrained else "at step 0"
        for row, change in enumerate(changes):
            cells = [f"{change.layer + 1}", f"{change.head + 1}", f"{change.change:.1%}"]
            tips = ["", "", ""]
            if result.query is not None:
                for weights, when, verb in ((result.before, before, "looked"),
                                            (result.snapshot.weights, f"at step {result.step:,}", "looks")):
                    w = weights[change.layer, change.head, result.query]
                    k = int(np.argmax(w))
                    cells.append(f"{labels[k]} ({w[k]:.0%})")
                    # The whole of it in words on hover: a cell at 175 % showed "it …" (QA)
                    tips.append(f"Layer {change.layer + 1}, head {change.head + 1} {when}: '{result.query_word}' "
                                f"{verb} most at '{labels[k]}', with {w[k]:.0%} of its attention.")
            else:
                cells += ["", ""]
                tips += ["", ""]
            for col, (text, tip) in enumerate(zip(cells, tips)):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if col < 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.changedTable.setItem(row, col, item)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self.result is not None:  # F5 after an answer: cells grow
            QTimer.singleShot(0, self, self._fit_table)

    def _select_shown_row(self) -> None:
        """The table's highlighted row is the head the views show, or none (QA: after Back and Next in lesson 19.5 the
        row the user had clicked stayed highlighted beside another head)."""
        assert self.result is not None
        shown = (self.layerCombo.currentIndex(), self.headCombo.currentData())
        rows = [row for row, change in enumerate(self.result.changes[:TOP_CHANGED]) if (change.layer, change.head) == shown]
        with QSignalBlocker(self.changedTable):  # (its current cell follows: not a pick of the user's)
            if rows:
                self.changedTable.selectRow(rows[0])
            else:
                self.changedTable.clearSelection()

    def _fit_table(self) -> None:
        """The table's columns whole, with width taken from the head views (up to TABLE_SHARE of the page): at 1280x720
        and 130 % its Before and Now read "tire…" and "[CL…", the cells a lesson step points at. Never narrower, and
        not while the head views are enlarged over it."""
        if self.left.isHidden():
            return
        table = self.changedTable
        header = table.horizontalHeader()
        needed = sum(max(table.sizeHintForColumn(col), header.sectionSizeHint(col)) for col in range(table.columnCount()))
        room = table.width() - 2 * table.frameWidth() - table.verticalScrollBar().sizeHint().width()
        left, right = self.splitter.sizes()
        move = min(needed - room, int((left + right) * TABLE_SHARE) - left)
        if move > 0:
            self.splitter.setSizes([left + move, right - move])

    def _on_changed_row(self, row: int, _col: int) -> None:
        if self.result is None or row >= len(self.result.changes):
            return
        change = self.result.changes[row]
        self.layerCombo.setCurrentIndex(change.layer)
        self.headCombo.setCurrentIndex(change.head + 1)
        self._render_lines()

    def _render_lines(self) -> None:
        result = self.result
        if result is None:
            return
        self._select_shown_row()
        # Set before the early return below: a sentence without 'it' once left an older answer's step here.
        self.nowTitle.setText(f"<b>Now</b> (step {result.step:,})")
        self.beforeTitle.setText(before_title(result.pretrained))
        if result.query is None:
            note = f"This sentence has no '{QUERY_WORD}': type one with '{QUERY_WORD}' to compare where it looks."
            if read := cut_at(result):
                note = f"'{QUERY_WORD}' comes after the {read} tokens this model reads."
            elif TYPED_IT.search(result.text):  # typed, but read as an unknown word
                note = (f"This model's vocabulary has no '{QUERY_WORD}': it reads the word as unknown. A model that "
                        f"knows it (bert-pronoun) compares where '{QUERY_WORD}' looks.")
            self.beforeImage.clear_image(note)
            self.nowImage.clear_image("")
            return
        from playground.viz.views import render_lines

        layer = max(0, self.layerCombo.currentIndex())
        head = self.headCombo.currentData()
        labels = list(result.snapshot.labels)
        ratio = self.devicePixelRatioF()  # drawn in the screen's pixels: a 1x picture blurred at QT_SCALE_FACTOR=2
        # No title and no explanation line in the figure: the pickers above say the layer and head, the titles
        # before and now, the tooltip how to read it; every pixel of height goes to the token labels.
        for image, weights in ((self.beforeImage, result.before), (self.nowImage, result.snapshot.weights)):
            # Its lines as narrow as the view's shape asks: fitted to the width of a tall view, the figure's labels
            # were scaled down with it (10 px in the enlarged views at 130 %, the views' lower third empty)
            image.set_figure_for_room(lambda aspect, weights=weights: render_lines(
                weights, labels, heads=head, layer=layer, highlight=result.query, title="", explain=False,
                aspect=aspect), ratio)

    def _show_in_grid(self) -> None:
        if self.result is not None:
            head = self.headCombo.currentData()  # None: all heads, shown from the layer's first
            self.sigShowSnapshot.emit(self.result.snapshot, max(0, self.layerCombo.currentIndex()), head or 0)
