"""A ring around the control that Tab or Shift+Tab moved the keyboard focus to.

Fusion marks keyboard focus with a thin line in the control's own frame: from the back of a room a lecturer
tabbing through the sliders could not tell which one the arrow keys would move. A click draws no ring (the pointer
shows where the user is), and the ring follows its control when the settings scroll or a splitter moves.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget
from shiboken6 import isValid

RING_PX = 3  # the ring's width: as wide as a slider's groove, seen from the back of a room
GAP_PX = 1  # between the control and its ring


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
        self._lent_to_popup: QWidget | None = None  # the ringed control while its popup (a combo box's list) is open
        self.hide()
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.focusChanged.connect(self._on_focus_changed)

    def follow(self, widget: QWidget | None) -> None:
        """Ring `widget` (None: no ring) and keep following it until the focus leaves it or a click lands."""
        for watched in self._watched:
            if isValid(watched):  # (a dataset change rebuilds its options: the ringed box was deleted)
                watched.removeEventFilter(self)
        self._watched, self.target = [], widget
        chain = widget
        while chain is not None and chain is not self.parentWidget():
            chain.installEventFilter(self)
            self._watched.append(chain)
            chain = chain.parentWidget()
        self._place()

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and new is self._lent_to_popup:  # a combo box's list closed: the focus is back
            self._lent_to_popup = None
            self.follow(new)
        elif new is not self.target:  # a click or the program moved it: the window's Tab handler rings it again
            opens_popup = new is not None and new.window().windowType() == Qt.WindowType.Popup
            self._lent_to_popup = self.target if opens_popup else None
            self.follow(None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.MouseButtonPress:  # the pointer now shows where the user is
            self.follow(None)
        elif event.type() in self.PLACING:
            self._place()
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
