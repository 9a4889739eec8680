"""Keys a focused control keeps from the window's one-key shortcuts.

Space plays and Right trains a step from anywhere in the window, but a keyboard user who tabbed to a check box
expects Space to tick it, and one on the tab bar expects Right to open the next tab. Qt asks the focused widget
first (a ShortcutOverride event); these controls don't claim their keys themselves, so this claims them for them.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QApplication, QComboBox, QTabBar, QWidget
from shiboken6 import isValid

Key = Qt.Key
# A slider is not here on purpose: Right trains a step even there (moving it would rebuild the model).
OWN_KEYS: tuple[tuple[type[QWidget], frozenset[Key]], ...] = (
    (QAbstractButton, frozenset({Key.Key_Space})),  # press the button, tick the box
    (QComboBox, frozenset({Key.Key_Space})),  # open the list
    (QTabBar, frozenset({Key.Key_Left, Key.Key_Right})),  # the next tab
    (QAbstractItemView, frozenset({Key.Key_Space, Key.Key_Left, Key.Key_Right})),  # select, move along a row
)


def own_keys(widget: QWidget) -> frozenset[Key]:
    """The unmodified keys `widget` uses itself, which no window shortcut takes while it has the focus."""
    return frozenset().union(*(keys for kind, keys in OWN_KEYS if isinstance(widget, kind)))


class FocusedKeys(QObject):
    """Lets the focused control inside `window` keep its own keys (`own_keys`) from the window's shortcuts."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._watched: QWidget | None = None
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.focusChanged.connect(self._on_focus_changed)

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._watched is not None and isValid(self._watched):  # (a rebuilt panel may have deleted it)
            self._watched.removeEventFilter(self)
        self._watched = new if new is not None and new.window() is self._window and own_keys(new) else None
        if self._watched is not None:
            self._watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(event, QKeyEvent) \
                or not isinstance(watched, QWidget):
            return False
        if event.modifiers() == Qt.KeyboardModifier.NoModifier and Key(event.key()) in own_keys(watched):
            event.accept()  # accepted: Qt delivers the key to the control instead of triggering the shortcut
            return True
        return False
