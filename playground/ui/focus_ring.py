"""A ring around the control that Tab or Shift+Tab moved the keyboard focus to; that control keeps its keys.

Fusion marks keyboard focus with a thin line in the control's own frame: from the back of a room a lecturer
tabbing through the sliders could not tell which one the arrow keys would move. A click draws no ring (the pointer
shows where the user is), and the ring follows its control when the settings scroll or a splitter moves.

Space plays and Right trains a step from anywhere in the window, but a keyboard user who tabbed to a check box
expects Space to tick it, and one on the tab bar expects Right to open the next tab: the ringed control keeps the
keys it uses itself (`own_keys`). Clicked, it does not: after a click on a box, Space still plays. (The attention
grid keeps its arrows however it was focused: after a click on a head, Left chose another and Right trained.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QPainter, QPaintEvent, QPalette, QPen, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMainWindow,
    QMenuBar,
    QPlainTextEdit,
    QTabBar,
    QTabWidget,
    QTextEdit,
    QToolButton,
    QWidget,
)
from shiboken6 import isValid

TEXT_ENTRIES = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)  # widgets that take Space as typing
RING_PX = 3  # the ring's width: as wide as a slider's groove, seen from the back of a room
GAP_PX = 1  # between the control and its ring

Key = Qt.Key
# Page Up / Down are no control's: a presenter's clicker sends them for the lesson's steps.
OWN_KEYS: tuple[tuple[type[QWidget], frozenset[Key]], ...] = (
    (QAbstractSlider, frozenset({Key.Key_Left, Key.Key_Right})),  # as Up and Down move it (clicked, Right steps)
    (QAbstractButton, frozenset({Key.Key_Space})),  # press it (its arrows would walk the focus on to a slider)
    (QComboBox, frozenset({Key.Key_Space})),  # open the list
    (QTabBar, frozenset({Key.Key_Left, Key.Key_Right})),  # the next tab
    (QAbstractItemView, frozenset({Key.Key_Space, Key.Key_Left, Key.Key_Right})),  # select, move along a row
)


def widget_shortcut(key: QKeySequence | str, widget: QWidget, slot: Callable[[], None]) -> QShortcut:
    """A shortcut active only while the focus is in `widget` or its children. Set apart from the constructor: PySide6's
    QShortcut(key, parent, slot, context=...) leaves its context the whole window (the settings' Page Down took the key
    from every table: review)."""
    shortcut = QShortcut(QKeySequence(key), widget)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut.activated.connect(slot)
    return shortcut


@runtime_checkable
class KeepsKeys(Protocol):
    """A widget that says which keys it uses itself, now (the attention grid: its arrows once it has heads)."""

    def keeps_keys(self) -> frozenset[Qt.Key]: ...


def own_keys(widget: QWidget) -> frozenset[Key]:
    """The unmodified keys `widget` uses itself, which no window shortcut takes while it has the ring: by its
    kind, or as it says (`KeepsKeys`)."""
    says = isinstance(widget, KeepsKeys) and callable(widget.keeps_keys)  # (not an attribute of that name)
    kept = widget.keeps_keys() if says else frozenset()
    return kept.union(*(keys for kind, keys in OWN_KEYS if isinstance(widget, kind)))


def tab_through(anchor: QWidget, widgets: Iterable[QWidget]) -> None:
    """Tab goes from `anchor` through `widgets` in their order: for controls made after the ones Tab reaches
    before them on the screen (Qt's Tab order is the order widgets were made in)."""
    for widget in widgets:
        QWidget.setTabOrder(anchor, widget)
        anchor = widget


def tab_bar_first(tabs: QTabWidget) -> None:
    """Tab reaches `tabs`' bar before the controls of its pages, as it stands above them: pages made before the bar
    took its place in the chain came first, and a keyboard user walked through the shown page to change it. Call
    once the pages are added; then focus `tabs.tabBar()`, never `tabs` (no longer its proxy)."""
    bar = tabs.tabBar()
    before = bar.previousInFocusChain()
    while before is not bar and (tabs.isAncestorOf(before) or not before.focusPolicy() & Qt.FocusPolicy.TabFocus):
        before = before.previousInFocusChain()  # back past the pages' controls (and containers, no Tab stops)
    if before is not bar:
        QWidget.setTabOrder(before, bar)
    # Qt reaches a focus proxy at its owner's place in the chain: the tab widget's, after the pages made before it.
    # Without the proxy the bar is a stop of its own, where it was put above.
    tabs.setFocusProxy(None)
    tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)


class PageTabs(QTabWidget):
    """Tabs whose page, however it is switched (the program, Ctrl+Tab, a tab hidden under the focus), leaves no
    text box holding the focus. Qt hands the focus on a page it hides to the new page's first control: a text box
    there took Space (Play) as a typed space and Right as a move of its cursor (QA: Presets > vit-digits after a
    click on the attention grid put it in Inside attention's Input box; lesson 19.6's step 2 in Samples' prompt).
    The focus goes to the tab bar instead: the window's shortcuts answer the keys, and Tab walks on into the page
    (review: with no focus at all it started again from the top of the settings)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(self._keep_keys_for_the_window)  # (after Qt moved the focus)

    def _keep_keys_for_the_window(self, _index: int) -> None:
        now, page = QApplication.focusWidget(), self.currentWidget()
        takes_text = isinstance(now, TEXT_ENTRIES) or isinstance(now, QComboBox) and now.isEditable()
        if takes_text and page is not None and page.isAncestorOf(now):
            self.tabBar().setFocus(Qt.FocusReason.OtherFocusReason)


def tabs_without_arrow_stops(tabs: QTabWidget) -> QTabWidget:
    """`tabs`, whose bar's scroll arrows (shown where the tabs overflow: at a projector's zoom) are no Tab stops: Left
    and Right on the ringed bar reach every tab, and two more stops after it only slowed the walk."""
    for arrow in tabs.tabBar().findChildren(QToolButton):
        arrow.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return tabs


def plain_key(event: QKeyEvent) -> bool:
    """No modifier held: the keypad's arrows count (they carry KeypadModifier, on macOS every arrow does)."""
    return event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier


def idle_undo(edit: QLineEdit, key: QKeyEvent) -> bool:
    """`key` is Undo or Redo and `edit` has no typing to take back or redo: the window's Undo is meant (keyboard QA:
    Ctrl+Z in a box did nothing while the status bar said "Undo (Ctrl+Z) brings back the trained model")."""
    return (key.matches(QKeySequence.StandardKey.Undo) and not edit.isUndoAvailable()) or \
        (key.matches(QKeySequence.StandardKey.Redo) and not edit.isRedoAvailable())


class IdleUndoToWindow(QObject):
    """Installed on a text box: an `idle_undo` key goes to the window's shortcut, not to the box."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # Not accepted: the shortcut runs
        return event.type() == QEvent.Type.ShortcutOverride and isinstance(watched, QLineEdit) and \
            isinstance(event, QKeyEvent) and idle_undo(watched, event)


class FocusRing(QWidget):
    """Drawn over `window`, around `target`: the widget the window's Tab navigation focused (`follow`)."""

    # the target moved, changed size or was shown or hidden (with an ancestor, as a scrolled settings panel)
    PLACING = (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("focusRing")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.target: QWidget | None = None
        self._watched: list[QWidget] = []
        self._lent: QWidget | None = None  # the ringed control while a dialog, menu or list has the focus
        self.hide()
        self._idle_undo = IdleUndoToWindow(self)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.focusChanged.connect(self._on_focus_changed)

    def follow(self, widget: QWidget | None) -> None:
        """Ring `widget` (None, or one of another window: no ring) and keep following it until the focus leaves it
        or a click lands."""
        for watched in self._watched:
            if isValid(watched):  # (a dataset change rebuilds its options: the ringed box was deleted)
                watched.removeEventFilter(self)
        if widget is not None and widget.window() is not self.window():
            widget = None
        self._watched, self.target = [], widget
        chain = widget
        while chain is not None and chain is not self.parentWidget():
            self._watched.append(chain)
            chain = chain.parentWidget()
        if widget is not None:  # a click lands on a part: a table's cells or header, a number box's text
            self._watched += widget.findChildren(QWidget)
        for watched in self._watched:
            watched.installEventFilter(self)
        self._place()

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if isinstance(new, QLineEdit) and new.window() is self.window():
            new.installEventFilter(self._idle_undo)  # (once: installing it again only moves it first)
        if new is not None and new is self._lent:  # back from a dialog, a menu or a combo box's list
            self._lent = None
            self.follow(new)
            return
        if new is self.target:
            return
        # Away to another window, a popup or the menu bar: the ring comes back with the focus. Anything else (a click,
        # the program) moved it here: the window's Tab handler rings what Tab reaches.
        away = new is None or new.window() is not self.window() or isinstance(new, QMenuBar)
        if not away:
            self._lent = None
        elif self.target is not None:
            self._lent = self.target
        self.follow(None)

    def after_tab(self, before: QWidget | None, moved: bool) -> None:
        """The window's Tab handler (`focusNextPrevChild`) moved the window's focus from `before` (when `moved`):
        ring where it went. Not where Qt moved it off a control it hid or disabled (a lesson's Next at its last step).
        """
        if moved and (before is None or before.isVisible() and before.isEnabled()):
            self.follow(self.window().focusWidget())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and watched is self.target:
            return self._keep_own_key(watched, event)
        if event.type() == QEvent.Type.MouseButtonPress:  # the pointer now shows where the user is
            self.follow(None)
        elif event.type() in self.PLACING:
            self._place()
        return False

    @staticmethod
    def _keep_own_key(target: QWidget, event: QEvent) -> bool:
        """Qt asks the focused widget before it triggers a shortcut: accepted, the key goes to the control."""
        if isinstance(event, QKeyEvent) and plain_key(event) and Key(event.key()) in own_keys(target):
            event.accept()
            return True
        return False

    def _place(self) -> None:
        target = self.target
        alive = target is not None and isValid(target) and target.isVisible()
        shown = self._shown() if alive else QRect()
        if shown.isEmpty():
            self.hide()
            return
        margin = RING_PX + GAP_PX
        # inside the central widget: around the whole settings panel it crossed the menu bar and the window's edge
        central = self.parentWidget().centralWidget() if isinstance(self.parentWidget(), QMainWindow) else None
        ring = shown.adjusted(-margin, -margin, margin, margin)
        self.setGeometry(ring & central.geometry() if central is not None else ring)
        self.raise_()
        self.show()

    def _shown(self) -> QRect:
        """The part of the target its ancestors show (a scroll area's viewport cuts it), in the window's pixels.
        (QWidget.visibleRegion read empty while a scroll area moved its contents.)"""
        window = self.parentWidget()
        shown = QRect()
        widget = self.target
        while widget is not None and widget is not window:
            rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
            shown = rect if widget is self.target else shown & rect
            widget = widget.parentWidget()
        return shown

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), RING_PX))
        half = RING_PX / 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(half, half, -half, -half), RING_PX, RING_PX)


class RingsTabFocus:
    """For a window with a `focusRing`: Tab and Shift+Tab anywhere in it end in `focusNextPrevChild`, and the
    control they focus gets the ring (and keeps its own keys). Listed before the Qt window class it extends."""

    focusRing: FocusRing

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802 - Qt override
        before = self.focusWidget()  # type: ignore[attr-defined]  # this window's, not another's (a dialog's)
        moved = bool(super().focusNextPrevChild(next))  # type: ignore[misc]
        self.focusRing.after_tab(before, moved)
        return moved
