"""The lesson editor (issue 25): a teacher makes a lesson without editing JSON.

"Add this state" captures the window's tab, view, input, layer and head, ablations and training step as a new step;
the teacher types its text (rich text: <b>, <i>, <br>), ticks the controls it hides, locks or highlights, reorders
and deletes steps, and saves: the lesson goes into the preset through the window's atomic preset save.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.lessons import CONTROLS, GROUPS, TABS, VIEWS, Lesson, LessonStep, parse_lesson
from playground.core.spec import FIELD_TITLES
from playground.ui.text_dialog import ask_go_or_keep
from playground.ui.theme import tint

MARKS = ("hidden", "locked", "highlighted")  # the controls table's columns, as a step's fields
TEXT_TIP = ("What the class should look at, in a few lines. Rich text: <b>bold</b>, <i>italic</i>, <br> for a new "
            "line, &lt; for <.")


def control_title(name: str) -> str:
    """A control as the editor lists it: "Ablations group", "embedding dimension (model.n_embd)"."""
    return f"{GROUPS[name]} group" if name in GROUPS else f"{FIELD_TITLES[name]} ({name})"


def ask_discard_edits(parent: QWidget) -> bool:
    """Discard the lesson's edits? Keeping them is the default and the Escape; a function so tests can answer it."""
    return ask_go_or_keep(parent, "Discard the edits?", "The lesson has changes that are not saved. Discard them?",
                          "&Discard", "&Keep editing")


class LessonEditor(QDialog):
    """Edits a copy of `lesson` (None: a new one titled `title`); Save hands it and the selected step to `save_to`,
    which returns "" once it is saved, else why not (the editor then stays open, saying so). `capture()` returns the
    window's state as a step. Cancel, Escape or closing asks before edits are discarded (QA: lost without a word)."""

    def __init__(self, lesson: Lesson | None, title: str, capture: Callable[[], LessonStep],
                 save_to: Callable[[Lesson, int], str], parent: QWidget | None = None, row: int = 0) -> None:
        super().__init__(parent)
        self.setObjectName("lessonEditor")
        self.setWindowTitle("Edit the lesson")
        self._capture = capture
        self._save_to = save_to
        self._steps: list[dict[str, Any]] = [s.model_dump(mode="json", exclude_defaults=True)
                                             for s in (lesson.steps if lesson else ())]
        self._row = -1  # the step shown in the fields on the right

        self.titleEdit = QLineEdit(lesson.title if lesson else title, self)
        self.titleEdit.setObjectName("lessonTitle")
        self.stepList = QListWidget(self)
        self.stepList.setObjectName("lessonSteps")
        self.stepList.currentRowChanged.connect(self._on_row)
        self.addButton = self._button("Add this state", "lessonAddState", lambda: self.add_state(self._row))
        self.upButton = self._button("Move up", "lessonUp", lambda: self.move(-1))
        self.downButton = self._button("Move down", "lessonDown", lambda: self.move(+1))
        self.deleteButton = self._button("Delete", "lessonDelete", self.delete)
        self.textEdit = QPlainTextEdit(self)
        self.textEdit.setObjectName("lessonStepText")
        self.textEdit.setToolTip(TEXT_TIP)
        self.textEdit.setPlaceholderText(TEXT_TIP)
        self.textEdit.textChanged.connect(self._on_text)
        self.summaryLabel = QLabel(self)
        self.summaryLabel.setObjectName("lessonStepSummary")
        self.summaryLabel.setWordWrap(True)
        self.controlsTable = QTableWidget(len(CONTROLS), len(MARKS), self)
        self.controlsTable.setObjectName("lessonControls")
        self.controlsTable.setHorizontalHeaderLabels([m.capitalize() for m in MARKS])
        self.controlsTable.setVerticalHeaderLabels([control_title(name) for name in CONTROLS])
        self.controlsTable.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.controlsTable.setTabKeyNavigation(False)  # Tab leaves the table (arrow keys move in it)
        self.controlsTable.setToolTip("The settings this step hides, locks (greyed out) or highlights in yellow.")
        for r in range(len(CONTROLS)):
            for c in range(len(MARKS)):
                item = QTableWidgetItem()
                item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.controlsTable.setItem(r, c, item)
        self.messageLabel = QLabel(self)
        self.messageLabel.setObjectName("lessonEditorMessage")
        self.messageLabel.setWordWrap(True)
        tint(self.messageLabel, "error")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setToolTip("Save the lesson into the preset file.")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self._layout()
        self._fill_list(min(row, max(len(self._steps) - 1, 0)))  # the step shown, whose Save shows it again (QA)
        self._opened = self._edited()

    def _button(self, text: str, name: str, slot: Callable[[], Any]) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def _layout(self) -> None:
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Steps", left))
        left_layout.addWidget(self.stepList, 1)
        for row in ((self.addButton, self.deleteButton), (self.upButton, self.downButton)):
            line = QHBoxLayout()
            for button in row:
                line.addWidget(button)
            left_layout.addLayout(line)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel("Text of the step", right))
        right_layout.addWidget(self.textEdit, 1)
        right_layout.addWidget(self.summaryLabel)
        right_layout.addWidget(self.controlsTable, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        form = QFormLayout()
        form.addRow("Lesson title", self.titleEdit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.messageLabel)
        layout.addWidget(self.buttons)
        self.resize(900, 600)

    # ----- the steps ----------------------------------------------------------------------------
    def add_state(self, after: int | None = None) -> None:
        """The window's state as a new step after step `after` (0-based; None: at the end), then selected."""
        self._store()
        row = len(self._steps) if after is None or after < 0 else min(after + 1, len(self._steps))
        self._steps.insert(row, self._capture().model_dump(mode="json", exclude_defaults=True))
        self._fill_list(row)
        self.textEdit.setFocus()
        self.textEdit.selectAll()

    def move(self, by: int) -> None:
        row = self._row
        if 0 <= row < len(self._steps) and 0 <= row + by < len(self._steps):
            self._store()
            self._steps.insert(row + by, self._steps.pop(row))
            self._fill_list(row + by)

    def delete(self) -> None:
        if 0 <= self._row < len(self._steps):
            self._steps.pop(self._row)
            self._row = -1  # nothing to store from the deleted step
            self._fill_list(min(self.stepList.currentRow(), len(self._steps) - 1))

    def lesson(self) -> Lesson:
        """The lesson as edited; a ValueError in the teacher's words when it is not a valid one: what this editor's
        fields lack said as the fields (QA: "lesson: title: string should have at least 1 character, got ''", and
        "… or remove 'lesson' from the preset"), the rest as the preset's file would be told."""
        self._store()
        title = self.titleEdit.text().strip()
        blank = [str(number) for number, step in enumerate(self._steps, start=1) if not step.get("text", "").strip()]
        lacking = [] if title else ["Give the lesson a title (the box at the top)."]
        if not self._steps:
            lacking.append("A lesson needs a step: “Add this state” adds the window as it is now.")
        elif blank:
            lacking.append(f"Step {blank[0]} has no text: type what the class should look at there." if len(blank) == 1
                           else f"Steps {', '.join(blank)} have no text: type what the class should look at in each.")
        if lacking:
            raise ValueError(" ".join(lacking))
        lesson = parse_lesson({"title": title, "steps": self._steps})
        assert lesson is not None
        return lesson

    def save(self) -> None:
        try:
            lesson = self.lesson()
        except ValueError as err:
            self.messageLabel.setText(str(err))
            return
        refused = self._save_to(lesson, max(self._row, 0))
        if refused:  # (QA: a save refused closed the editor and played the lesson, the error gone unseen)
            self.messageLabel.setText(refused)
            return
        self._opened = self._edited()
        self.accept()

    def reject(self) -> None:
        """Cancel, Escape and closing: the edits go only where the teacher agrees."""
        if self._edited() != self._opened and not ask_discard_edits(self):
            return
        super().reject()

    def _edited(self) -> str:
        """The title and steps as they are now, to tell whether anything was changed."""
        self._store()
        return json.dumps([self.titleEdit.text().strip(), self._steps])

    # ----- showing one step ---------------------------------------------------------------------
    def _fill_list(self, row: int) -> None:
        self._row = -1
        self.stepList.blockSignals(True)
        self.stepList.clear()
        for number, step in enumerate(self._steps, start=1):
            self.stepList.addItem(_list_text(number, step))
        self.stepList.blockSignals(False)
        self.stepList.setCurrentRow(row)
        self._on_row(self.stepList.currentRow())

    def _on_row(self, row: int) -> None:
        self._store()
        self._row = row
        step = self._steps[row] if 0 <= row < len(self._steps) else {}
        self.textEdit.blockSignals(True)
        self.textEdit.setPlainText(step.get("text", ""))
        self.textEdit.blockSignals(False)
        self.summaryLabel.setText(summary(step))
        for r, name in enumerate(CONTROLS):
            for c, mark in enumerate(MARKS):
                on = name in step.get(mark, ())
                self.controlsTable.item(r, c).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        for widget in (self.textEdit, self.controlsTable, self.deleteButton, self.upButton, self.downButton):
            widget.setEnabled(bool(step))

    def _on_text(self) -> None:
        if 0 <= self._row < len(self._steps):
            self._steps[self._row]["text"] = self.textEdit.toPlainText()
            self.stepList.item(self._row).setText(_list_text(self._row + 1, self._steps[self._row]))

    def _store(self) -> None:
        """The fields on the right back into the step they show."""
        if not 0 <= self._row < len(self._steps):
            return
        step = self._steps[self._row]
        step["text"] = self.textEdit.toPlainText()
        for c, mark in enumerate(MARKS):
            names = [name for r, name in enumerate(CONTROLS)
                     if self.controlsTable.item(r, c).checkState() == Qt.CheckState.Checked]
            if names:
                step[mark] = names
            else:
                step.pop(mark, None)


def summary(step: dict[str, Any]) -> str:
    """What a step shows besides its text, in one line."""
    parts = []
    if step.get("tab") or step.get("view"):
        shown = f"tab {TABS[step.get('tab') or 'inside']}"
        if step.get("view"):
            shown += f" / {VIEWS[step['view']]}" + (f", stage {step['stage']}" if step.get("stage") else "")
        parts.append(shown)
    if step.get("probe") is not None:
        parts.append(f"input “{step['probe']}”" if step["probe"] else "the probe input")
    if step.get("layer") or step.get("head"):
        parts.append(f"layer {step.get('layer', '-')}, head {step.get('head', '-')}")
    if step.get("sort"):
        parts.append(f"roles sorted by {step['sort']}")
    if step.get("train_until"):
        parts.append(f"trained to step {step['train_until']:,}")
    if step.get("settings"):
        parts.append(", ".join(f"{k} = {json.dumps(v)}" for k, v in step["settings"].items()))
    return "Shows: " + ("; ".join(parts) if parts else "the window as it is")


def _list_text(number: int, step: dict[str, Any]) -> str:
    plain = QTextDocumentFragment.fromHtml(step.get("text", "")).toPlainText().strip().splitlines()
    return f"{number}. {plain[0][:60] if plain else '(no text yet)'}"
