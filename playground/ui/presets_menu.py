"""The Presets menu (built-ins) and File > Open Recent."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QSettings, Signal
from PySide6.QtGui import QAction, QHelpEvent
from PySide6.QtWidgets import QMenu, QToolTip, QWidget

from playground.core.presets import PresetError, PresetInfo, builtin_presets
from playground.core.spec import FAMILY_TITLES
from playground.ui.settings import recent_files


class UnderTipMenu(QMenu):
    """A menu whose entries' tooltips open under it: under the pointer, a preset's description covered the entries
    below it (QA: lessons 19.4-19.7 unreadable while one was hovered), and beside it a description 870 px wide was
    pushed back over the menu by the screen's edge."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            action = self.actionAt(event.pos())
            if action is not None and action.toolTip() and action.toolTip() != action.text():
                QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())), action.toolTip(), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)


class PresetsMenu(QMenu):
    """One entry per built-in preset, in a submenu per family and one for the lessons; emits the preset's path.
    Submenus, not sections: flat, the 25 presets made a menu 800 px tall, which a 1280x720 projector showed in two
    columns with three lessons alone in the second."""

    sigOpen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("&Presets", parent)
        self.setObjectName("presetsMenu")
        self.setToolTipsVisible(True)
        self._lessons: list[PresetInfo] = []
        try:
            infos = builtin_presets()
        except PresetError as err:  # a broken shipped preset must not stop the window
            self.addAction(f"(presets unavailable: {err})").setEnabled(False)
            return
        self._lessons = [info for info in infos if info.lesson]
        for family, title in FAMILY_TITLES.items():
            self._add_group(title, [info for info in infos if info.family == family and not info.lesson])
        self._add_group("Lessons (Page Down: next step)", self._lessons)

    def lessons_menu(self, title: str, parent: QWidget) -> QMenu:
        """The built-in lessons again, under `title` (the Lesson menu's: a student looked there for the first one,
        and found only "Play the Preset's Lesson", greyed on the default preset)."""
        group = UnderTipMenu(title, parent)
        self._fill(group, self._lessons)
        if not self._lessons:  # (the built-in presets could not be read: the Presets menu says why)
            group.addAction("(none: see the Presets menu)").setEnabled(False)
        return group

    def _add_group(self, title: str, infos: list[PresetInfo]) -> None:
        if not infos:
            return
        group = UnderTipMenu(f"&{title}", self)
        self.addMenu(group)
        self._fill(group, infos)

    def _fill(self, group: QMenu, infos: list[PresetInfo]) -> None:
        for info in infos:
            # A lesson by its title, as the lecture numbers it (its file name, "lesson-19.4-encoder-block", said
            # less); a preset by the name `playground NAME` opens
            text = info.title.removeprefix("Lesson ") if info.lesson else info.name
            action = group.addAction(text.replace("&", "&&"))
            action.setObjectName(f"preset:{info.name}")
            action.setToolTip(info.description)
            action.setStatusTip(info.description.splitlines()[0] if info.description else "")
            action.triggered.connect(lambda _=False, p=str(info.path): self.sigOpen.emit(p))

    def mark(self, name: str | None) -> None:
        """The built-in preset `name` (the one the window opened last) in bold; none for another file. Bold, not a
        check: checkable entries each showed an empty box."""
        for action in self.findChildren(QAction):
            if action.objectName().startswith("preset:"):
                font = action.font()
                font.setBold(action.objectName() == f"preset:{name}")
                action.setFont(font)


class RecentMenu(QMenu):
    sigOpen = Signal(str)

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__("Open &Recent", parent)
        self.setObjectName("recentMenu")
        self._settings = settings
        # Listed as it opens, not at launch: each file is looked for, and a network share that does not answer would
        # hold the window back before it paints
        self.aboutToShow.connect(self.refresh)

    def refresh(self) -> None:
        self.clear()
        files = recent_files(self._settings)
        if not files:
            self.addAction("(no recent presets)").setEnabled(False)
            return
        names = [Path(path).name for path in files]
        for i, path in enumerate(files, start=1):
            name = Path(path).name
            # two of one name told apart by their folders (data QA: "1 lecture-week3.json", "2 lecture-week3.json")
            where = f"  ({Path(path).parent})" if names.count(name) > 1 else ""
            shown = f"{name}{where}".replace("&", "&&")  # (a "&" in a name is no shortcut)
            # one moved or deleted is greyed, not dropped: a drive may come back (QA); os.path.isfile is False on any
            # OSError, where Path.is_file raised for a folder the user may not enter (review)
            there = os.path.isfile(path)
            action = self.addAction(f"&{i} {shown}" + ("" if there else "  (not found)"))
            action.setEnabled(there)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.sigOpen.emit(p))
