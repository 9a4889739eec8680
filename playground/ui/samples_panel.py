"""Generated text from the decoder, newest first, so students see it go from noise to words.

The prompt box sets the start of the text the samples continue. The live run's session takes it on the training
thread (`TrainingWorker.submit`, `PromptJob`), which checks it against the vocabulary first, so a character the
model never saw is refused in the panel instead of stopping training; Enter or "Sample now" brings a sample of
it at once, and the periodic samples continue it too.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from playground.core.messages import one_line
from playground.training.events import SAMPLE_TEMPERATURE, SampleEvent
from playground.ui.plotting import follow_font, keep_lines, point_size
from playground.ui.range_spin import RangeDoubleSpinBox
from playground.ui.theme import tint
from playground.ui.tooltips import TIPS

MAX_SAMPLES = 50
JOB_KEY = "samples-prompt"
WAITING = ("A sample comes after the first step, then every few hundred steps while a decoder trains on text. "
           "Type the start of a text below to have the samples continue it.")
EDITED = "Enter (or Sample now) makes the prompt as it is now the one the samples continue."
PROMPT_TIP = ("The start of the text the decoder continues, one sampled token at a time. Empty: it starts from the "
              "first character of a validation text. Enter (or Sample now) samples it at once.")
MAX_TEMPERATURE = 2.0  # past 2 every model's text is noise: nothing more to see
TEMPERATURE_TIP = ("How the next token is drawn: the model's scores (logits) are divided by the temperature before "
                   "the softmax, softmax(logits / T). 0 always takes the likeliest token, so the text is the same each "
                   "time; 1 draws with the odds the model learned; above 1 the odds flatten and the text gets wilder. "
                   "A change samples at once; the samples during training are drawn at it too.")


@dataclass(frozen=True)
class PromptJob:
    """Run on the training thread: make `prompt` what the session's samples continue, drawn at `temperature`, and,
    with `sample_now`, sample it. Returns the SampleEvent (or None), or a one-line message when the vocabulary lacks
    a character."""

    prompt: str
    temperature: float = SAMPLE_TEMPERATURE
    sample_now: bool = True

    def __call__(self, session: Any) -> SampleEvent | str | None:
        session.sample_temperature = self.temperature
        try:
            if self.prompt:
                session.dataset.encode(self.prompt)  # refused here: a bad prompt must never reach the run's loop
            session.sample_prompt = self.prompt
            return session.sample_event(self.prompt) if self.sample_now else None
        except ValueError as err:  # the dataset's DataError: a character this vocabulary lacks, or no text at all
            return one_line(err)


class SamplesPanel(QWidget):
    """`get_worker()` returns the live TrainingWorker, starting one if there is none (as Try it's does)."""

    def __init__(self, get_worker: Callable[[], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("samplesPanel")
        self.setToolTip(TIPS["samples"])
        self.get_worker = get_worker
        self.samples: list[SampleEvent] = []
        self.context = 0  # the live run's context in characters: a longer prompt is read from its end only
        self._refused = False  # the status says the last prompt was not used
        self._asked = 0  # samples asked for so far (a click samples only if committing the temperature did not)
        # The prompt and temperature `restore` put in the boxes, while they hold them (None: the user's, or none)
        self._restored: tuple[str | None, float | None] = (None, None)
        self._temperature_refusal = ""  # the status while it says a typed temperature was refused
        self.header = QLabel(WAITING, self)
        self.header.setObjectName("samplesHeader")
        self.header.setWordWrap(True)
        # At least two lines, as long as the intro before the first sample: a line shorter after it moved the Prompt
        # box under a click aimed at it (QA: the typing then went nowhere, and its space started training)
        self.header.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        keep_lines(self.header, 2)
        self.promptEdit = QLineEdit(self)
        self.promptEdit.setObjectName("samplePrompt")
        self.promptEdit.setPlaceholderText("Start of the text to continue, e.g. def  (empty: the model's choice)")
        self.promptEdit.setToolTip(PROMPT_TIP)
        self.promptEdit.setClearButtonEnabled(True)
        self.promptEdit.returnPressed.connect(self.sample_now)
        self.promptEdit.textEdited.connect(self._after_refusal)
        self.promptEdit.textEdited.connect(lambda _text: self._forget_restored(prompt=True))
        self.temperatureBox = RangeDoubleSpinBox(self)
        self.temperatureBox.sigRefused.connect(self._refuse_temperature)
        self.temperatureBox.sigTaken.connect(self._temperature_taken)
        self.temperatureBox.valueChanged.connect(lambda _value: self._forget_restored(prompt=False))
        self.temperatureBox.setObjectName("sampleTemperature")
        self.temperatureBox.setRange(0.0, MAX_TEMPERATURE)
        self.temperatureBox.setDecimals(1)
        self.temperatureBox.setSingleStep(0.1)
        self.temperatureBox.setValue(SAMPLE_TEMPERATURE)
        self.temperatureBox.setToolTip(TEMPERATURE_TIP)
        self.temperatureBox.setKeyboardTracking(False)  # typed "1.5" is one change at Enter, not 1.0 then 1.5
        self.temperatureBox.valueChanged.connect(self.sample_now)
        self.sampleButton = QPushButton("Sample now", self)
        self.sampleButton.setObjectName("sampleButton")
        self.sampleButton.setToolTip(PROMPT_TIP)
        # A click leaves the focus, and so a typed temperature not yet committed, where it was: _sample_clicked commits
        # it, and its commit's sample is the click's (lecturer QA: typed, then clicked, two samples came)
        self.sampleButton.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.sampleButton.clicked.connect(self._sample_clicked)
        self.status = QLabel(self)
        self.status.setObjectName("samplesStatus")
        self.status.setWordWrap(True)
        self.status.hide()
        self.text = QTextBrowser(self)
        self.text.setObjectName("samplesText")
        row = QHBoxLayout()
        row.addWidget(QLabel("Prompt:", self))
        row.addWidget(self.promptEdit, 1)
        temperature = QLabel("Temperature:", self)
        temperature.setToolTip(TEMPERATURE_TIP)
        row.addWidget(temperature)
        row.addWidget(self.temperatureBox)
        row.addWidget(self.sampleButton)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.text, 1)
        follow_font(self, self._follow_font)

    @property
    def prompt(self) -> str:
        return self.promptEdit.text()

    @property
    def temperature(self) -> float:
        return self.temperatureBox.value()

    def _follow_font(self) -> None:
        # A fixed-width font keeps the generated columns of code aligned; at the application's (zoomed) size.
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(point_size())
        self.text.setFont(font)

    def attach(self, worker: Any) -> None:
        """A new live run: its samples continue the prompt typed so far."""
        self.context = worker.spec.model.block_size
        if self.samples:  # a resumed run's, shown before it came: said with its own context (data QA: an
            self._show()  # encoder's 5 tokens were said of a decoder's samples)
        self._send_prompt(worker)

    def _send_prompt(self, worker: Any) -> None:
        """What `worker`'s samples continue from now: the prompt and the temperature (none drawn now)."""
        worker.submit(JOB_KEY, PromptJob(self.prompt, self.temperature, sample_now=False))

    def default_temperature(self, worker: Any | None) -> None:
        """The temperature back at its default, where a lesson's text describes the samples drawn at it (QA: a 1.5
        typed before lesson 19.6 drew noise beside "word-like fragments"); `worker`'s next samples take it, and none
        is drawn now."""
        if self.temperature == SAMPLE_TEMPERATURE:
            return
        with QSignalBlocker(self.temperatureBox):
            self.temperatureBox.setValue(SAMPLE_TEMPERATURE)
        if worker is not None:
            self._send_prompt(worker)

    def sample_now(self) -> None:
        """The prompt and the temperature become what the samples continue and are drawn at, and one is sampled
        from the current weights now."""
        if self.get_worker is None:
            return
        self._asked += 1
        self.get_worker().submit(JOB_KEY, PromptJob(self.prompt, self.temperature))
        self._say("Sampling…", error=False)

    def _sample_clicked(self) -> None:
        if self.temperatureBox.finish_edit():  # a refused temperature is said, not a sample at the old one (review)
            return
        asked = self._asked
        self.temperatureBox.interpretText()  # a typed temperature: its change samples (valueChanged)
        if self._asked == asked:
            self.sample_now()

    def take(self, box: Any) -> None:
        """The periodic samples of a drained buffer, and the answer to the prompt, if any."""
        self.add_samples(box.samples)
        answer = box.results.get(JOB_KEY) if box.results else None
        if isinstance(answer, SampleEvent):
            self._say("", error=False)
            self.add_samples([answer])
        elif isinstance(answer, str):
            self._say(f"Prompt not used: {answer}", error=True)

    def _refuse_temperature(self, typed: float | str) -> None:
        # (the box takes no digit past a refused number: "99" typed stays 9, QA, hence "and up")
        refused = f"“{typed}” is not a number" if isinstance(typed, str) else \
            f"{typed:g} and up are out of range" if typed > MAX_TEMPERATURE else f"{typed:g} is out of range"
        self._temperature_refusal = (f"Temperature {refused}: type 0 to {MAX_TEMPERATURE:g} (0 always takes the "
                                     f"likeliest token; past {MAX_TEMPERATURE:g} every model's text is noise). It "
                                     f"stays {self.temperature:g}.")
        self._say(self._temperature_refusal, error=True)

    def _temperature_taken(self) -> None:
        """A temperature typed and taken: a refusal of the one before is past (QA: it stood on)."""
        if self._temperature_refusal and self.status.text() == self._temperature_refusal:
            self._say("", error=False)
        self._temperature_refusal = ""

    def _say(self, text: str, error: bool) -> None:
        self.status.setText(text)
        tint(self.status, "error" if error else None)
        self.status.setVisible(bool(text))
        self._refused = error and bool(text)

    def _after_refusal(self, _text: str) -> None:
        """The refused prompt edited: its refusal is past (data QA: it stood over a field cleared since), and the new
        one counts from Enter on."""
        if self._refused:
            self._say(EDITED, error=False)

    def restore(self, events: list[SampleEvent]) -> None:
        """A run's saved samples, shown again (Resume, Undo); where the boxes hold nothing of the user's, they take the
        newest sample's prompt and temperature, which its run's next samples continue (QA: after Resume the header
        said the decoder "continues “def function…”" over an empty Prompt box, and Sample now started from one
        character). Before the run is attached: it takes them from the boxes."""
        self.add_samples(events)
        if not events:
            return
        newest = events[-1]
        prompt, temperature = self._restored
        if self.prompt in ("", prompt):
            self.promptEdit.setText(newest.prompt)
            prompt = newest.prompt
        if self.temperature in (SAMPLE_TEMPERATURE, temperature):
            with QSignalBlocker(self.temperatureBox):
                self.temperatureBox.setValue(newest.temperature)
            temperature = newest.temperature
        self._restored = (prompt, temperature)

    def _forget_restored(self, prompt: bool) -> None:
        """The user's own prompt (or temperature) now: no later `restore` or `clear` changes it."""
        restored_prompt, restored_temperature = self._restored
        self._restored = (None, restored_temperature) if prompt else (restored_prompt, None)

    def add_samples(self, events: list[SampleEvent]) -> None:
        if not events:
            return
        self.samples = (self.samples + events)[-MAX_SAMPLES:]
        self._show()

    def _show(self) -> None:
        # The prompt in bold, the generated text plain: students see where the model took over.
        blocks = [f"<b>──── step {e.step:,}, temperature {e.temperature:.1f} ────</b>\n"
                  f"<b><u>{html.escape(e.prompt)}</u></b>{html.escape(e.text)}" for e in reversed(self.samples)]
        body = "\n\n".join(blocks)
        self.text.setHtml(f"<div style='white-space: pre-wrap'>{body}</div>")
        newest = self.samples[-1]
        prompt = newest.prompt
        start = f"continues “{prompt}”" if prompt else "starts from one character"
        if self.context and len(prompt) > self.context:  # said, since the text may not follow its start
            start += f" (it reads only the last {self.context} characters: its context)"
        count = f"{len(self.samples)} sample{'' if len(self.samples) == 1 else 's'}"
        # (QA: "3 samples, newest first: the decoder continues “def ”" over two drawn before "def " was typed)
        if all(e.prompt == prompt for e in self.samples):
            said = f"the decoder {start}"
        else:
            said = f"the newest {start} (those before, another start)"
        self.header.setText(f"{count}, newest first: {said}, sampling one token at a time (temperature "
                            f"{newest.temperature:.1f}).")

    def clear(self) -> None:
        """No model: no samples and no context. The prompt the user typed stays, for the next model; one a run's
        samples brought back goes with them (review: a resumed run's "def " was refused by the next dataset)."""
        self.samples = []
        self.context = 0
        self.text.clear()
        self.header.setText(WAITING)
        self._say("", error=False)
        prompt, temperature = self._restored
        if prompt is not None and self.prompt == prompt:
            self.promptEdit.clear()
        if temperature is not None and self.temperature == temperature:
            with QSignalBlocker(self.temperatureBox):
                self.temperatureBox.setValue(SAMPLE_TEMPERATURE)
        self._restored = (None, None)

