"""Spin boxes that say when a typed number was out of their range, or what was typed was no number.

QSpinBox and QDoubleSpinBox drop such a keystroke silently (99999 for "Symbols" stayed "9", and 9 was taken; a
temperature of 5 stayed empty and the old one was kept, unsaid; "12abc" pasted did nothing, an earlier refusal's
message staying). These put back the value from before the edit once it is finished (typing is not taken while
typing: keyboard tracking is off) and emit what they refused: the number, or the text that was no number.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox, QWidget

from playground.ui.focus_ring import idle_undo

# ASCII digits only: str.isdigit() takes "²", which int() refuses, and an exception in a Qt override aborts
# (18 digits at most: int() refuses 4,301 and more, and nothing here is near 18)
_WHOLE = r"-?[0-9]{1,18}"
SHOWN_TEXT = 24  # characters of refused text said back (a whole clipboard may have been pasted)
DIGITS = frozenset("0123456789")
SHOWN_DIGITS = 18  # of a refused number said back: the digits typed past them are not counted


class _SaysRefused:
    """What both boxes share (mixed in before the Qt class); `_NUMBER` is the pattern a typed number must match to be
    said, `_read` reads it."""

    _NUMBER = _WHOLE
    # A class default as well: Qt may send a focus-out to a box whose Python object is being torn down, its instance
    # attributes gone (an AttributeError in a Qt override, seen once at a test's teardown in a full run)
    _refused: int | float | str | None = None

    _typed = False  # typed into since the last edit ended

    def _init_refusal(self) -> None:
        self._refused = None
        # A refused keystroke edits nothing. (A lambda, not the bound method: PySide could not find a mixin's method
        # as a slot when the box was torn down, "Slot 'RangeDoubleSpinBox::' not found", in a full test run.)
        self.lineEdit().textEdited.connect(lambda _text: self._forget_refused())
        self.lineEdit().textEdited.connect(lambda _text: setattr(self, "_typed", True))
        self.valueChanged.connect(lambda _value: self._forget_refused())  # (an arrow key after it: QA review)

    @staticmethod
    def _read(typed: str) -> int | float:
        return int(typed)

    def event(self, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and self._not_ours(event):
            return True  # not accepted: the window's shortcut runs
        return super().event(event)

    def _not_ours(self, key: QKeyEvent) -> bool:
        """A key the box's line edit would take from the window's shortcut with nothing to do with it: Space (a number
        has no space; the line edit took it and blanked the box), an `idle_undo`, and Ctrl+E, the end of the line on
        Linux, as End is (QA: Compare's Export did nothing from a focused Symbols box)."""
        ctrl_e = key.key() == Qt.Key.Key_E and key.modifiers() == Qt.KeyboardModifier.ControlModifier
        return key.key() == Qt.Key.Key_Space or ctrl_e or idle_undo(self.lineEdit(), key)

    def _minus(self) -> str:
        """What a minus sign may have after it while typed: as many digits as the maximum has (no digit past a
        refused number, review)."""
        return rf"-[0-9]{{0,{len(str(int(self.maximum())))}}}"

    def validate(self, text: str, pos: int) -> object:  # Qt override
        if self.minimum() >= 0 and re.fullmatch(self._minus(), self._number_in(text).strip()):
            # Let a minus sign stand as typed, to be refused whole when the edit ends (QA: the box dropped the
            # sign of "-5" and took 5, silently)
            return QValidator.State.Intermediate, text, pos
        result = super().validate(text, pos)
        state = result[0] if isinstance(result, tuple) else result
        if state == QValidator.State.Invalid:
            self._note_refused(text)
        return result

    def _number_in(self, text: str) -> str:
        locale = self.locale()  # "1.234,5" in German: the group separator goes, the decimal comma is read as a point
        return text.removeprefix(self.prefix()).removesuffix(self.suffix()).replace(
            locale.groupSeparator(), "").replace(locale.decimalPoint(), ".")

    def _note_out_of_range(self, text: str) -> bool:
        """Remember the number in `text` if it is one and out of range; whether `text` is a number."""
        typed = self._number_in(text).strip()
        if not re.fullmatch(self._NUMBER, typed):
            return False
        number = self._read(typed)
        if not self.minimum() <= number <= self.maximum():
            self._refused = number
        return True

    def _note_refused(self, text: str) -> None:
        """Remember what the box refused to take as `text`: the number if it is one out of range, else the text typed
        or pasted, as typed (a number in range is refused only for a digit too many, as a box always did, unsaid)."""
        if self._note_out_of_range(text):
            return
        if text not in (self.specialValueText(), self.prefix() + self.textFromValue(self.value()) + self.suffix()):
            # (not the box's own text, which Qt validates as it puts it back: QA, "auto (12)" said as typed)
            self._refuse_text(text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip())

    def _refuse_text(self, typed: str) -> None:
        self._refused = typed if len(typed) <= SHOWN_TEXT else typed[:SHOWN_TEXT - 1] + "…"

    # The edit ends at Enter and at a focus-out (where Qt emits editingFinished): what was refused is said then.
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        ends = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if ends:
            self._put_back_if_refused()
        before, shown = self._refused, self.lineEdit().text()
        typed_over = self.lineEdit().hasSelectedText()  # a fresh start, not the rest of what was refused
        at_end = self.lineEdit().cursorPosition() >= len(shown.removesuffix(self.suffix()))
        super().keyPressEvent(event)
        key = event.text()
        if (isinstance(before, int) and isinstance(self._refused, int) and key in DIGITS and at_end
                and self.lineEdit().text() == shown and abs(before) < 10 ** (SHOWN_DIGITS - 1)):
            # a digit past a refused number at its end, dropped by the box as that one was: the number typed grows by
            # it (QA: 99999 typed into Sequence length was said as "9,999 and up"; typed elsewhere, review: "95,008")
            self._refused = before * 10 + (int(key) if before >= 0 else -int(key))
        refused_too = isinstance(self._refused, str)
        if isinstance(before, str) and key and key.isprintable() and (refused_too or not typed_over):  # a key after
            # a refused one, taken or not: all of it is said and refused, as typed (QA: "warm" as "m"; "1e3" became
            # 13 unsaid)
            self._refuse_text(before.removesuffix("…") + key)
        if ends:
            self._say_refused()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt override)
        self._put_back_if_refused()
        super().focusOutEvent(event)
        self._say_refused()

    def _put_back_if_refused(self) -> None:
        """The value before the edit, not what was left of the typed number, is what the edit ends on. A number
        below the minimum is still "intermediate" as typed (1 may become 12): ending there refuses it too (Tab put
        the old value back silently)."""
        if self._refused is None:  # (one refused already is what was typed: "-12" is left of "-123456789012")
            self._note_out_of_range(self.lineEdit().text())
        if self._refused is not None:
            self.setValue(self.value())  # writes the text again without a change

    def finish_edit(self) -> bool:
        """End the edit now, as Enter would (a click elsewhere that takes no focus ends none): True if what was typed
        was refused, and said."""
        self._put_back_if_refused()
        refused = self._refused is not None
        self._say_refused()
        return refused

    def _forget_refused(self) -> None:
        self._refused = None

    def _say_refused(self) -> None:
        """At the end of an edit: what it refused (`sigRefused`), or that what was typed was taken (`sigTaken`), even
        where it left the value as it was (QA: "-5 is out of range" stood on after 0 set "auto", which it was)."""
        typed, self._typed = self._typed, False
        if self._refused is not None:
            refused, self._refused = self._refused, None
            self.sigRefused.emit(refused)
        elif typed:
            self.sigTaken.emit()


class RangeSpinBox(_SaysRefused, QSpinBox):
    """A whole-number spin box that says a typed number out of its range, or text that is no number
    (`sigRefused`)."""

    # the number typed (a Python int: one past C's int would overflow in Qt), or the str typed that is no number
    sigRefused = Signal(object)
    sigTaken = Signal()  # an edit ended on what was typed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._init_refusal()


class RangeDoubleSpinBox(_SaysRefused, QDoubleSpinBox):
    """A decimal spin box that says a typed number out of its range, or text that is no number (`sigRefused`)."""

    sigRefused = Signal(object)  # a float, or the str typed that is no number
    sigTaken = Signal()  # an edit ended on what was typed
    _NUMBER = rf"{_WHOLE}(?:\.[0-9]*)?"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._init_refusal()

    @staticmethod
    def _read(typed: str) -> float:
        return float(typed)

    # Either mark is a decimal point where the box stays under a thousand (no group separator to mistake it for):
    # "0,5" in an English locale was read as 5, its comma a thousands separator. The line edit shows the text
    # validate returns, so the typed mark becomes the locale's at once.
    def validate(self, text: str, pos: int) -> object:  # Qt override
        return super().validate(self._locale_decimal(text), pos)

    def _locale_decimal(self, text: str) -> str:
        prefix, suffix = self.prefix(), self.suffix()
        if self.maximum() >= 1000 or not (text.startswith(prefix) and text.endswith(suffix)):
            return text
        number = text[len(prefix):len(text) - len(suffix)]  # (only the number's: a suffix may hold a point)
        point = self.locale().decimalPoint()
        return prefix + number.replace("," if point == "." else ".", point) + suffix

    def _minus(self) -> str:
        return rf"{super()._minus()}(?:\.[0-9]{{0,{self.decimals()}}})?"
