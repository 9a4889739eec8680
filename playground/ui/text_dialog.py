"""A window of text (Help's shortcuts, About) as wide as its longest line where the screen has room.

A QMessageBox is at most about 500 px wide whatever the font: at a projector's 175 % it wrapped every row of the
shortcuts table, 1199 px tall on a 720-px screen. This one wraps only what the screen cannot hold, and scrolls
what is still too tall.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from playground.ui.theme import ring_focused_button

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's unbounded widget size
SCREEN_SHARE = 0.9  # of the screen's free area, at most: its edges stay visible around it
LINE_CHARS = 90  # the longest line, in average characters: the shortcuts' rows whole, About's prose readable


def ask_go_or_keep(parent: QWidget | None, title: str, text: str, go: str, keep: str, go_name: str = "") -> bool:
    """Ask `text`: True where `go` was pressed. `keep` is the default and the Escape, so a stray Enter or Escape loses
    nothing; the focused button ringed for a projector. `go_name`: the go button's object name (scripts press it)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    go_button = box.addButton(go, QMessageBox.ButtonRole.DestructiveRole)
    go_button.setObjectName(go_name)
    keep_button = box.addButton(keep, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep_button)
    box.setEscapeButton(keep_button)
    ring_focused_button(box)
    try:
        box.exec()
        return box.clickedButton() is go_button
    finally:
        box.deleteLater()


def show_table(parent: QWidget, title: str, rows: list[tuple[str, str]], name: str) -> QDialog:
    """`show_text` of a two-column table: a key (in bold) and what it does, one row each (rows are HTML)."""
    # (the gap in the key's cell: in the other, a description's wrapped lines started left of its first)
    cells = "".join(f"<tr><td><b>{key}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for key, what in rows)
    return show_text(parent, title, f"<table>{cells}</table>", name)


def show_text(parent: QWidget, title: str, html: str, name: str) -> QDialog:
    """Open (window-modal, without waiting) a dialog named `name` showing `html` under `title`; its text label is
    named `name + "Text"`."""
    dialog = QDialog(parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    label = QLabel(html, dialog)
    label.setObjectName(f"{name}Text")
    label.setTextFormat(Qt.TextFormat.RichText)
    # A run folder's path in Recent Messages can be copied (QA). By mouse only: the keys still scroll and close.
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    scroll = QScrollArea(dialog)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidgetResizable(True)
    scroll.setWidget(label)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(scroll, 1)
    layout.addWidget(buttons)
    dialog.ensurePolished()  # the window's style sheet sizes its scroll bars and text: measure after it applies
    longest = min(label.sizeHint().width(), LINE_CHARS * label.fontMetrics().averageCharWidth())  # unwrapped
    label.setWordWrap(True)
    dialog.resize(_fitted_size(dialog, label, scroll, longest))
    dialog.open()
    return dialog


def _fitted_size(dialog: QDialog, label: QLabel, scroll: QScrollArea, longest: int) -> QSize:
    """Lines `longest` px wide where the screen has room; else wrapped to the room there is, scrolling below."""
    room = dialog.screen().availableGeometry().size() * SCREEN_SHARE
    bar = scroll.verticalScrollBar().sizeHint().width()  # room kept for it: the text never wraps under it
    around = _dialog_size_around(dialog, scroll, QSize(0, 0))  # the margins, the buttons below
    width = min(longest + bar + around.width(), room.width())
    text = QSize(width - around.width(), label.heightForWidth(width - around.width() - bar))
    return _dialog_size_around(dialog, scroll, text).boundedTo(room)


def _dialog_size_around(dialog: QDialog, scroll: QScrollArea, inside: QSize) -> QSize:
    """The dialog's size with its scroll area exactly `inside` (as its layout makes it)."""
    scroll.setFixedSize(inside)
    dialog.layout().activate()
    size = dialog.sizeHint()
    scroll.setMinimumSize(0, 0)
    scroll.setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX)
    dialog.layout().activate()  # else the dialog keeps the fixed size's minimum: too tall to fit, never scrolling
    return size
