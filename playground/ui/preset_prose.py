"""File > Name and Description: the preset's name (the window's title) and what it shows, in the lecturer's words.

The description is what a class reads under the settings as the preset opens. Without this dialog a preset saved for
a demo kept the built-in's words, or a list of the settings changed, whatever it was for (QA: a saved preset's
description no longer fitted its settings, and only editing the JSON could change it).
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from playground.core.spec import prose_problem
from playground.ui.screen_fit import resize_within_screen
from playground.ui.status_bar import capitalised
from playground.ui.theme import ring_focused_button, tint

ABOUT = ("The name is the window's title. The description's first sentence shows under the settings as the preset "
         "opens, all of it on hover and in Recent Messages (Ctrl+I): say what to watch for. Save the preset (Ctrl+S) "
         "to keep them.")
# Fusion marks a focused text box with a thin line: the description's box showed none at all (QA)
FOCUSED_BOX = "QPlainTextEdit:focus { border: 2px solid palette(highlight); }"
WIDTH_CHARS = 80  # the dialog's width, in average characters: a sentence of the description per line
DESCRIPTION_LINES = 8


class PresetProseDialog(QDialog):
    """OK (or Enter in the name) with a name or description no preset may have keeps the dialog open and says why,
    in place of the note above the boxes; typing takes the reason away (as the Runs tab's rename does)."""

    def __init__(self, parent: QWidget | None, name: str, description: str) -> None:
        super().__init__(parent)
        self.setObjectName("presetProseDialog")
        self.setWindowTitle("Name and Description")  # (as the File menu names it: QA)
        self.note = QLabel(ABOUT, self)
        self.note.setObjectName("proseNote")
        self.note.setWordWrap(True)
        self.nameEdit = QLineEdit(name, self)
        self.nameEdit.setObjectName("proseName")
        self.descriptionEdit = QPlainTextEdit(description, self)
        self.descriptionEdit.setObjectName("proseDescription")
        self.descriptionEdit.setTabChangesFocus(True)  # Tab goes on to OK, as in the rest of the window
        self.descriptionEdit.setStyleSheet(FOCUSED_BOX)
        lines = self.descriptionEdit.fontMetrics().lineSpacing() * DESCRIPTION_LINES
        self.descriptionEdit.setMinimumHeight(lines)
        form = QFormLayout()
        form.addRow("&Name:", self.nameEdit)
        form.addRow("&Description:", self.descriptionEdit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        ring_focused_button(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(buttons)
        for edit in (self.nameEdit, self.descriptionEdit):
            edit.textChanged.connect(self._say_about)
        hint = self.sizeHint()
        resize_within_screen(self, QSize(max(hint.width(), WIDTH_CHARS * self.fontMetrics().averageCharWidth()),
                                         hint.height()))

    def prose(self) -> tuple[str, str]:
        """The name and description as typed, without the spaces and blank lines around them."""
        return self.nameEdit.text().strip(), self.descriptionEdit.toPlainText().strip()

    def done(self, result: int) -> None:
        name, description = self.prose()
        problem = prose_problem(name, description) if result == QDialog.DialogCode.Accepted else ""
        if problem:
            self.note.setText(f"{capitalised(problem)}.")
            tint(self.note, "error")
            # in the box to fix (QA: OK clicked with a blank name kept the focus, and what was typed next was lost)
            (self.nameEdit if prose_problem(name, "") else self.descriptionEdit).setFocus()
            return
        super().done(result)

    def _say_about(self) -> None:
        self.note.setText(ABOUT)
        tint(self.note, None)
