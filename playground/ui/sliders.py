"""A labelled slider that can only land on allowed values (divisors, powers of two, a log scale).

Two modes:
- direct: the QSlider's value *is* the setting (embedding dimension 96 is slider value 96); values in
  between are snapped to the nearest allowed one, in the direction the user moved.
- indexed: the QSlider moves over positions 0..n-1 of a list of choices (log-scale learning rate,
  powers of two); the label shows the choice.

Only `sigValueChanged` carries allowed values; listen to it, not to the QSlider.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QSlider, QStyle, QStyleOptionSlider, QWidget

from playground.ui.focus_ring import plain_key
from playground.ui.status_bar import STATUS_MS

# What the arrow keys do on a slider clicked (said when Left is pressed there)
CLICKED_ARROWS = "Up and Down move a clicked slider; Right trains a step (Tab to a slider to move it with Left and Right)."


class JumpSlider(QSlider):
    """A horizontal slider that a click on its groove moves to the place clicked, where a QSlider moves a page
    towards it (QA: a click in the middle of Head roles' timeline jumped to its last snapshot); the handle then
    follows a drag as usual."""

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        style = self.style()
        handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self)
        if event.button() == Qt.MouseButton.LeftButton and not handle.contains(event.position().toPoint()):
            groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                          QStyle.SubControl.SC_SliderGroove, self)
            x = round(event.position().x() - groove.x() - handle.width() / 2)
            self.setValue(QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), x,
                                                         groove.width() - handle.width(), option.upsideDown))
        super().mousePressEvent(event)  # on the handle now: a drag goes on from here


class ValueSlider(QWidget):
    sigValueChanged = Signal(object)

    def __init__(
        self,
        name: str,
        choices: Sequence[float],
        value: float,
        direct: bool = False,
        fmt: Callable[[float], str] = str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name.removesuffix("Slider") + "Control")
        self._direct = direct
        self._fmt = fmt
        self._choices: list[float] = sorted(set(choices))
        self._value = value
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName(name)
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.label = QLabel(self)
        self.label.setObjectName(name.removesuffix("Slider") + "Value")
        self._make_room()
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.slider.valueChanged.connect(self._on_slider)
        self.slider.installEventFilter(self)
        self.set_choices(self._choices, value)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Left on the slider focused by a click moves nothing: Right is the window's Step there (a lecturer clicks
        a slider, then trains a step), so Left moving it made the two arrows do unrelated things on one control
        (QA). Up and Down move it; tabbed to (ringed), Left and Right do too."""
        if watched is self.slider and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and \
                event.key() == Qt.Key.Key_Left and plain_key(event) and not self._ringed():
            window = self.window()
            if isinstance(window, QMainWindow):
                window.statusBar().showMessage(CLICKED_ARROWS, STATUS_MS)
            return True
        return False

    def _ringed(self) -> bool:
        ring = getattr(self.window(), "focusRing", None)
        return ring is not None and ring.target is self.slider

    def _make_room(self) -> None:
        """The value's room, in the label's font: made at 100 %, it cut "1536" to "153" at 175 %."""
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("0.0003") + 8)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._make_room()

    # ----- public -------------------------------------------------------------------------------
    def value(self) -> float:
        return self._value

    def choices(self) -> list[float]:
        return list(self._choices)

    def set_choices(self, choices: Sequence[float], value: float | None = None) -> None:
        """Replace the allowed values; keeps (or sets) the value, which is added if it is not among them."""
        value = self._value if value is None else value
        self._choices = sorted(set(choices) | {value})
        self._value = value
        with QSignalBlocker(self.slider):
            if self._direct:
                self.slider.setRange(int(self._choices[0]), int(self._choices[-1]))
                self.slider.setSingleStep(1)
                self.slider.setPageStep(max(1, int(self._choices[-1] - self._choices[0]) // 8))
            else:
                self.slider.setRange(0, len(self._choices) - 1)
                self.slider.setPageStep(max(1, len(self._choices) // 6))
            self.slider.setValue(self._position(value))
        self._show()

    def set_value(self, value: float) -> None:
        """Set from code (a preset, a snap): no sigValueChanged."""
        if value not in self._choices:
            self.set_choices(self._choices, value)
            return
        self._value = value
        with QSignalBlocker(self.slider):
            self.slider.setValue(self._position(value))
        self._show()

    def nearest(self, value: float) -> float:
        return min(self._choices, key=lambda c: (abs(c - value), c))

    # ----- internals ----------------------------------------------------------------------------
    def _position(self, value: float) -> int:
        return int(value) if self._direct else self._choices.index(value)

    def _show(self) -> None:
        self.label.setText(self._fmt(self._value))

    def _on_slider(self, position: int) -> None:
        if self._direct:
            wanted = self._snap(position)
        else:
            wanted = self._choices[max(0, min(position, len(self._choices) - 1))]
        if self._direct and wanted != position:
            with QSignalBlocker(self.slider):
                self.slider.setValue(int(wanted))
        if wanted == self._value:
            return
        self._value = wanted
        self._show()
        self.sigValueChanged.emit(wanted)

    def _snap(self, position: int) -> float:
        if position in self._choices:
            return position
        near = self.nearest(position)
        if near != self._value:
            return near
        # The nearest allowed value is where we were: move one allowed value in the user's direction,
        # or an arrow key on heads=4 (-> 5 -> nearest 4) would never get anywhere.
        i = bisect.bisect_left(self._choices, self._value)
        if position > self._value and i + 1 < len(self._choices):
            return self._choices[i + 1]
        if position < self._value and i > 0:
            return self._choices[i - 1]
        return self._value
