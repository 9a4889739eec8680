"""The chosen dataset's options (the registry's `Option`s) as rows of the config panel's Data form.

One control per option, built from its definition: a combo box for choices, a check box for a yes/no, a
line edit for a name, a spin box over [low, high] for a count. An option whose default is worked out from
the model (the procedural sequence length) gets an "auto" step below its range, labelled with the value
the data layer worked out. Controls only report a wish (`sigOptionChanged`); the panel validates it like
every other change and puts the controls back with `show_options` if it is refused. A value equal to the
option's default ("auto", the registry's default, or an emptied name box) is reported as None, so the option
leaves the spec's `data.options` instead of staying there as an explicit copy of the default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from playground.data.registry import REGISTRY, Option, option_title
from playground.ui.focus_ring import tab_through
from playground.ui.range_spin import RangeSpinBox
from playground.ui.tooltips import TIPS
from playground.ui.wheel_guard import WheelGuard

CHOICE_TITLES = {("channels", 1): "1 (grayscale)", ("channels", 3): "3 (colour)"}
INT_LIMIT = 2**31 - 1  # QSpinBox's range


def in_data_words(message: str) -> str:
    """`message` naming an option as the Data settings show it (QA: "set the option label_column" beside a field
    called "Label column"); the CLI says it as a --set."""
    return re.sub(r"\bset the option (\w+)", lambda found: f"set {option_title(found[1])} under Data", message)


def option_tip(name: str, option: Option) -> str:
    """What the option does (the registry's help, then the lesson), its range and default, its preset path."""
    if option.choices:
        allowed = "one of " + ", ".join(str(c) for c in option.choices)
    elif option.low is not None and option.high is not None:
        allowed = f"{option.low:,g} to {option.high:,g}"
    else:
        allowed = ""
    default = "worked out from the model (auto)" if option.default is None else f"{option.default}"
    lesson = TIPS.get(f"data.options.{name}", "")
    facts = "; ".join(x for x in (f"allowed: {allowed}" if allowed else "", f"default: {default}") if x)
    return (f"<b>{option_title(name)}</b>: {option.help}. {lesson}<br><i>{facts[0].upper() + facts[1:]}. In a "
            f"preset or on the command line: <tt>data.options.{name}</tt>.</i>")


def _refused(title: str, typed: int | str) -> str:
    """What was refused, as typed (the box counts the digits it drops past a refused number, `RangeSpinBox`: QA, "Symbols
    99 is out of range" for 999999999, then "5,000 and up are out of range" for 5000); text is no number at all."""
    if isinstance(typed, str):
        return f"{title} “{typed}” is not a whole number"
    return f"{title} {typed:,} is out of range"


def _spin_position(spin: QSpinBox, value: Any) -> int:
    """Where `spin` stands for `value`: its lowest step ("auto", or the range's start) for no value or one that is
    no whole number, clamped into its range otherwise. The data layer refuses a bad value in the message line;
    the box must never raise on one (int("x") once crashed the window's handler)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return spin.minimum()
    return min(max(value, spin.minimum()), spin.maximum())


class DataOptionsForm(QObject):
    """Rows for one dataset's options, inserted under the Dataset row of `form`, rebuilt when the dataset changes."""

    sigOptionChanged = Signal(str, object)  # option name, value (None: back to the default, or to "auto")
    sigRefused = Signal(str)  # why a typed value was not taken, and what is
    sigRefusalPast = Signal(str)  # that refusal, no longer so: the next edit of its box took what was typed

    def __init__(self, form: QFormLayout, after: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._form = form
        self._after = after  # the row the options follow
        self._dataset: str | None = None
        self.controls: dict[str, QWidget] = {}
        self._options: dict[str, Option] = {}
        self._values: dict[str, Any] = {}  # what each control shows (None: the default); a mere focus change is no edit
        self._wheelGuard = WheelGuard(self)  # the wheel scrolls the panel; an option turns by it once focused

    def show_options(self, dataset: str, given: Mapping[str, Any], resolved: Mapping[str, Any]) -> None:
        """Show `dataset`'s options: the spec's values (`given`), else the defaults; `resolved` fills in 'auto'."""
        if dataset != self._dataset:
            self._rebuild(dataset)
        entry = REGISTRY.get(dataset)
        if entry is None:
            return
        for name, option in entry.options.items():
            self._show(name, option, given.get(name, option.default), resolved.get(name))

    # ----- building -----------------------------------------------------------------------------
    def _rebuild(self, dataset: str) -> None:
        for control in self.controls.values():
            control.blockSignals(True)  # a line edit losing focus as it goes must not report an edit
            self._form.removeRow(control)
        self.controls.clear()
        self._options.clear()
        self._values.clear()
        self._dataset = dataset
        entry = REGISTRY.get(dataset)
        if entry is None:
            return
        row = self._form.getWidgetPosition(self._after)[0] + 1
        parent = self._form.parentWidget()
        for name, option in entry.options.items():
            control = self._control(name, option, parent)
            control.setObjectName(f"dataOption:{name}")
            tip = option_tip(name, option)
            control.setToolTip(tip)
            label = QLabel(option_title(name), parent)
            label.setToolTip(tip)
            label.setBuddy(control)
            self._form.insertRow(row, label, control)
            self._wheelGuard.guard(control)
            row += 1
            self.controls[name] = control
            self._options[name] = option
        tab_through(self._after, self.controls.values())  # made last, but Tab reaches them from the row above

    def _control(self, name: str, option: Option, parent: QWidget | None) -> QWidget:
        if option.choices:
            combo = QComboBox(parent)
            for choice in option.choices:
                combo.addItem(CHOICE_TITLES.get((name, choice), str(choice)), choice)
            combo.activated.connect(lambda index, n=name, c=combo: self._report(n, c.itemData(index)))
            return combo
        if isinstance(option.default, bool):
            box = QCheckBox(parent)
            box.toggled.connect(lambda on, n=name: self._report(n, on))
            return box
        if isinstance(option.default, str):
            edit = QLineEdit(parent)
            edit.setPlaceholderText(option.default)
            edit.editingFinished.connect(lambda n=name, e=edit: self._report(n, e.text().strip()))
            return edit
        spin = RangeSpinBox(parent)
        low = int(option.low) if option.low is not None else 0
        high = int(option.high) if option.high is not None else INT_LIMIT
        auto = option.default is None
        said: list[str] = []  # the box's last refusal

        def refuse(typed: int | str) -> None:
            said[:] = [f"{_refused(option_title(name), typed)}: type {low:,} to {high:,}"
                       + (f", or step below {low:,} to “auto” (worked out from the model)." if auto else ".")]
            self.sigRefused.emit(said[0])

        def taken() -> None:
            if said:
                self.sigRefusalPast.emit(said.pop())

        spin.sigRefused.connect(refuse)
        spin.sigTaken.connect(taken)
        spin.setRange(low - 1 if auto else low, high)  # the step below the range is "auto"
        spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)  # 1s up to 10, 10s up to 100, …
        spin.setKeyboardTracking(False)  # typing "12" reports 12 on Enter, not 1 then 12
        spin.setAccelerated(True)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)  # like the sliders' values
        spin.setGroupSeparatorShown(high >= 10_000)  # 2,000 images, as the steps slider writes 2,000 steps
        spin.valueChanged.connect(
            lambda value, n=name, s=spin, a=auto: self._report(n, None if a and value == s.minimum() else value))
        return spin

    # ----- values -------------------------------------------------------------------------------
    def is_auto(self, name: str) -> bool:
        """Whether option `name`'s default is worked out from the model (shown as "auto")."""
        option = self._options.get(name)
        return option is not None and option.default is None

    def _explicit(self, name: str, value: Any) -> Any:
        """`value`, or None where it is the option's default: nothing the spec needs to carry."""
        return None if value in (None, "") or value == self._options[name].default else value

    def _show(self, name: str, option: Option, value: Any, resolved: Any) -> None:
        control = self.controls[name]
        self._values[name] = self._explicit(name, value)
        with QSignalBlocker(control):
            if isinstance(control, QComboBox):
                control.setCurrentIndex(control.findData(value))
            elif isinstance(control, QCheckBox):
                control.setChecked(bool(value))
            elif isinstance(control, QLineEdit):
                control.setText("" if value is None else str(value))
            elif isinstance(control, QSpinBox):
                if option.default is None:
                    control.setSpecialValueText("auto" if resolved is None else f"auto ({resolved})")
                control.setValue(_spin_position(control, value))

    def _report(self, name: str, value: Any) -> None:
        value = self._explicit(name, value)
        if value != self._values.get(name):
            self._values[name] = value
            self.sigOptionChanged.emit(name, value)
