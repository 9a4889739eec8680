"""Generated text from the decoder, newest first, so students see it go from noise to words."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from playground.training.events import SampleEvent
from playground.ui.tooltips import TIPS

MAX_SAMPLES = 50


class SamplesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("samplesPanel")
        self.setToolTip(TIPS["samples"])
        self.samples: list[SampleEvent] = []
        self.header = QLabel("Samples appear every few hundred steps while a decoder trains on text.", self)
        self.header.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("samplesText")
        self.text.setReadOnly(True)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.text, 1)

    def add_samples(self, events: list[SampleEvent]) -> None:
        if not events:
            return
        self.samples = (self.samples + events)[-MAX_SAMPLES:]
        blocks = [f"──── step {e.step:,} ────\n{e.prompt}{e.text}" for e in reversed(self.samples)]
        self.text.setPlainText("\n\n".join(blocks))
        self.header.setText(f"{len(self.samples)} sample(s), newest first: the decoder continues from a "
                            f"single character, sampling one token at a time (temperature 0.8).")

    def clear(self) -> None:
        self.samples = []
        self.text.clear()
