"""The window's status bar: a message too long for the room left of the device label shows its headline, and the
whole of it on hover. Cut mid-word, the compile decision's reasons and "Finished … Run folder: …" ran into the device
label at 1280x720."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar, QWidget


class HeadlineStatusBar(QStatusBar):
    """Every message shown from Python goes through `showMessage` here; Qt's own (menu status tips) are short."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._permanent: list[QWidget] = []
        self._headline = ""  # the message shown cut short, whose whole text is the tooltip
        self.messageChanged.connect(self._on_message_changed)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802 (Qt's name)
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch)

    def showMessage(self, message: str, timeout: int = 0) -> None:  # noqa: N802 (Qt's name)
        shown = self.headline(message)
        self._headline = shown if shown != message else ""
        self.setToolTip(message if self._headline else "")
        super().showMessage(shown, timeout)

    def room(self) -> int:
        """The width a message has: the bar's, less its permanent widgets and a margin."""
        taken = sum(w.width() for w in self._permanent if w.isVisible())
        return self.width() - taken - 4 * self.fontMetrics().averageCharWidth()

    def headline(self, message: str) -> str:
        """`message`, or where it does not fit, the words before its first detail (": " or " (") and a pointer to
        the tooltip; a message with no such break (or whose head is still too long) loses its middle instead."""
        metrics, room = self.fontMetrics(), self.room()
        if not self.isVisible() or metrics.horizontalAdvance(message) <= room:
            return message  # (a hidden bar has no width yet to cut to)
        cuts = [i for i in (message.find(": "), message.find(" (")) if i > 0]
        if cuts:
            head = message[:min(cuts)] + (" (hover for more)..." if message.endswith("...") else " (hover for more)")
            head = head[0].upper() + head[1:]
            if metrics.horizontalAdvance(head) <= room:
                return head
        return metrics.elidedText(message, Qt.TextElideMode.ElideMiddle, room)

    def _on_message_changed(self, text: str) -> None:
        """Any other message (or none) ends the cut one: its tooltip goes with it."""
        if text != self._headline:
            self._headline = ""
            self.setToolTip("")
