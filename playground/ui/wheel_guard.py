"""A settings panel scrolls under the mouse wheel; a setting changes by the wheel only once it has the keyboard focus
(clicked or tabbed to). Turned over the panel, the wheel went to whichever slider, box or number the pointer crossed
(QA: scrolling the settings changed the learning rate from 2e-3 to 1e-5 and the batch size from 64 to 1, applied from
the next step)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QComboBox, QWidget

TURNED_BY_WHEEL = (QAbstractSlider, QAbstractSpinBox, QComboBox)


class WheelGuard(QObject):
    """The event filter: a wheel event on a control without the focus is left to its parents (the scroll area)."""

    def eventFilter(self, watched: Any, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Wheel and not watched.hasFocus():
            event.ignore()  # (ignored, a wheel event goes on to the parent widget: the panel scrolls)
            return True
        return False

    def guard(self, control: QWidget) -> None:
        """`control`, and the sliders, boxes and number fields inside it, turned by the wheel only when focused."""
        for widget in [control, *control.findChildren(QWidget)]:
            if isinstance(widget, TURNED_BY_WHEEL):
                # Not focused by the wheel either (a combo box or a number field is, by default, before the event)
                if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
                widget.installEventFilter(self)
