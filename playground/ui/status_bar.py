"""The window's status bar: a message too long for the room left of the device label shows its headline, and the
whole of it on hover. Cut mid-word, the compile decision's reasons and "Finished … Run folder: …" ran into the device
label at 1280x720. It keeps the recent messages whole, for Help > Recent Messages (Ctrl+I, or a click on the bar):
hover is no keyboard's, and a passing message is gone after a few seconds."""

from __future__ import annotations

import re
import time
from collections import deque

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QFontMetrics, QHelpEvent, QMouseEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QStatusBar, QToolTip, QWidget

from playground.ui.tooltips import RECENT_KEY

STATUS_MS = 8000  # how long a passing message stays in the status bar
RECENT = 40  # messages kept for Recent Messages
MORE = f"({RECENT_KEY} for more)"  # a cut headline's pointer to the whole message (hovering shows it too)
RECENT_TIP = f"Click here or press {RECENT_KEY} (Help > Recent Messages) to read the recent messages in full."


class HeadlineStatusBar(QStatusBar):
    """Every message shown from Python goes through `showMessage` here, and Qt's own (a menu item's status tip, which
    QMainWindow shows past this override) is fitted as it arrives. The message is fitted again when the room changes:
    the bar shown or resized, or the device label's text grown."""

    sigRecentAsked = Signal()  # a click on the bar: show the recent messages

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._permanent: list[QWidget] = []
        self._full = ""  # the message as given
        self._deadline: float | None = None  # when it goes (monotonic seconds; None: it stays)
        self._headline = ""  # the message shown cut short, whose whole text is the tooltip
        self._until_training = ""  # the message shown `until_training`, if it is one
        self.recent: deque[tuple[str, str]] = deque(maxlen=RECENT)  # (clock time, message), oldest first
        self.setToolTip(RECENT_TIP)
        self.messageChanged.connect(self._on_message_changed)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802 (Qt's name)
        self._permanent.append(widget)
        widget.installEventFilter(self)  # its resizes change the room
        super().addPermanentWidget(widget, stretch)

    def showMessage(self, message: str, timeout: int = 0, until_training: bool = False) -> None:  # noqa: N802 (Qt's)
        """`message` for `timeout` ms (0: until the next); one `until_training` asks for Play or Step and goes when
        training starts (`clear_before_training`), as the settings panel's message of that kind does."""
        self.remember(message)
        self._set(message, timeout, until_training)

    def restate(self, message: str, timeout: int) -> None:
        """`message` in place of the one shown, which it brings up to date: Recent Messages forgets that one (review:
        it kept "…, fused attention" beside "…, explicit attention")."""
        for said in [said for said in self.recent if said[1] == self._full]:
            self.recent.remove(said)
        self.showMessage(message, timeout)

    def remember(self, message: str) -> None:
        """Keep `message` for Recent Messages (the status bar's own, and the settings panel's); said again, it moves
        to the end at its new time (F9 twice must not push older ones out)."""
        if message:
            for said in [said for said in self.recent if said[1] == message]:
                self.recent.remove(said)
            self.recent.append((time.strftime("%H:%M:%S"), message))

    def _set(self, message: str, timeout: int, until_training: bool = False) -> None:
        self._full = message
        self._until_training = message if until_training else ""
        self._deadline = time.monotonic() + timeout / 1000 if timeout else None
        self._show(timeout)

    def message(self) -> str:
        """The message shown now, whole ("" for none): its headline may be all that fits."""
        shown = self.currentMessage()
        return (self._full or shown) if shown else ""  # (a menu's status tip that fits is not kept in _full)

    def passing(self) -> bool:
        """A message with a time to go is shown (what an action did), not one that stays (work under way) or none."""
        return bool(self.currentMessage()) and self._deadline is not None

    def clear_before_training(self) -> None:
        """Training starts: a message that asked for it is past (keyboard QA: "… press Play to continue it" stood in
        the status bar while the model trained)."""
        if self._until_training and self._full == self._until_training and self.currentMessage():
            self.clearMessage()

    def refit(self) -> None:
        """The message shown again for the room there is now, for the time it had left."""
        if not self._full or not self.currentMessage() or self.headline(self._full) == self.currentMessage():
            return
        self._show(0 if self._deadline is None else max(1, round((self._deadline - time.monotonic()) * 1000)))

    def room(self) -> int:
        """The width a message is drawn in, as QStatusBar lays it out: from 6 px to 2 px short of the first
        permanent widget (or 12 px short of the bar's end), less a character's margin. The bar's width less the
        widgets' and a margin left out the size grip and the spacing: the message's last word ran under the
        device label (lecturer QA)."""
        shown = [w.x() for w in self._permanent if w.isVisible()]
        right = min(shown) - 2 if shown else self.width() - 12
        return right - 6 - self.fontMetrics().averageCharWidth()

    def headline(self, message: str) -> str:
        """`message`, or where it does not fit, the words before its first detail (": ", "; " or " (") and a pointer
        to the whole; where that head is still too long it loses words from its middle (`_between_words`), as does a
        message with no such break, the pointer after it where the room holds both (QA: a cut path said nothing of
        Ctrl+I; "Brought back “Lesson 19.4: the encoder …” (Ctrl+R) trains a new one.", the middle of the whole
        message cut, lost its step and what Ctrl+R was for)."""
        metrics, room = self.fontMetrics(), self.room()
        if not self.isVisible() or metrics.horizontalAdvance(message) <= room:
            return message  # (a hidden bar has no width yet to cut to: it is fitted when shown)
        cuts = [i for i in (_unquoted(message, mark) for mark in (": ", "; ", " (")) if i > 0]
        if cuts:
            head = capitalised(message[:min(cuts)])
            said = f"{head} {MORE}{'...' if message.endswith('...') else ''}"
            if metrics.horizontalAdvance(said) <= room:
                return said
            message = head
        pointer = f" {MORE}"
        left = room - metrics.horizontalAdvance(pointer)
        return _between_words(message, metrics, left) + pointer if left >= room / 2 else \
            _between_words(message, metrics, room)

    def _show(self, timeout: int) -> None:
        shown = self.headline(self._full)
        self._headline = shown if shown != self._full else ""
        self.setToolTip(self._full if self._headline else RECENT_TIP)
        super().showMessage(shown, timeout)

    def _on_message_changed(self, text: str) -> None:
        """Any other message (or none) ends this one: its tooltip goes with it."""
        if text not in (self._headline, self._full):
            self._full = self._headline = ""
            self.setToolTip(RECENT_TIP)
            if text and self.headline(text) != text:  # QA: a preset's description, hovered in the Presets menu,
                self._set(text, 0)  # ran into the device label (a menu's tip: not a message to keep)

    # The message's area only: the device label beside it is no part of it (review: a click on the label, which
    # passes its press on, opened the messages, and hovering it showed their hint)
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        event.accept()  # (the release then comes here, not to the window)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        at = event.position().toPoint()
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(at) and not self._on_permanent(at):
            self.sigRecentAsked.emit()

    def event(self, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent) and self._on_permanent(event.pos()):
            QToolTip.hideText()
            return True
        return super().event(event)

    def _on_permanent(self, at: QPoint) -> bool:
        return any(widget.isVisible() and widget.geometry().contains(at) for widget in self._permanent)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.refit()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.refit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Resize:
            self.refit()
        return super().eventFilter(watched, event)


def capitalised(text: str) -> str:
    """`text` with its first letter a capital (a training status starts in lower case), unless it starts with a
    file's name or path, which keeps its case (QA: Recent Messages said "Onecol.csv needs a header" of onecol.csv)."""
    first = text.split(" ", 1)[0].rstrip(":,;")
    if "/" in first or "\\" in first or re.search(r"\w\.[A-Za-z]\w*$", first):
        return text
    return text[:1].upper() + text[1:]


def _unquoted(message: str, mark: str) -> int:
    """Where `mark` first stands outside “quotes” in `message` (-1: nowhere): a cut inside a quoted run name left
    'Brought back “Lesson 19.4 (hover for more)', its quote open (QA)."""
    start = message.find(mark)
    while start > 0 and message.count("“", 0, start) > message.count("”", 0, start):
        start = message.find(mark, start + 1)
    return start


def _between_words(message: str, metrics: QFontMetrics, room: int) -> str:
    """`message` with whole words taken out of its middle, "…" in their place, to fit `room` px: Qt's own middle cut
    fell inside words ("the run's ch…kpoint"). Where a path takes half the room, or not even the first word fits
    beside the last, Qt's cut, which keeps both of a path's ends."""
    words = message.split(" ")
    if any(("/" in word or "\\" in word) and metrics.horizontalAdvance(word) > room / 2 for word in words):
        return metrics.elidedText(message, Qt.TextElideMode.ElideMiddle, room)
    head, tail = 0, len(words)  # words[:head] and words[tail:] are kept

    def shown(head: int, tail: int) -> str:
        kept = " ".join(words[:head])
        # a quote opened before the cut and closed inside it is closed after it (QA: 'Brought back “Lesson 19.6: the
        # decoder block, the … at step 300', its quote left open)
        closes = kept.count("“") > kept.count("”") and "”" in " ".join(words[head:tail])
        return " ".join([*words[:head], "…”" if closes else "…", *words[tail:]])

    grew = True
    while grew and head < tail:
        grew = False
        if metrics.horizontalAdvance(shown(head + 1, tail)) <= room:
            head, grew = head + 1, True
        if head < tail and metrics.horizontalAdvance(shown(head, tail - 1)) <= room:
            tail, grew = tail - 1, True
    if head == 0:
        return metrics.elidedText(message, Qt.TextElideMode.ElideMiddle, room)
    opening = next((i for i, word in enumerate(words) if "“" in word), len(words))
    closing = next((i for i in range(max(head, opening), tail) if "”" in words[i]), None)
    if closing is not None and closing + 1 < tail:
        # a cut past a quote's end: inside the quote instead, what follows it kept (QA: 'Brought back “Decoder on
        # Python's help … 111: press Play', its "at step" cut out)
        inside = max((h for h in range(opening + 1, closing + 1)
                      if metrics.horizontalAdvance(shown(h, closing + 1)) <= room), default=0)
        if inside:
            return shown(inside, closing + 1)
    return shown(head, tail)
