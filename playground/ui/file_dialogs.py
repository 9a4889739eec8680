"""File dialogs that cannot freeze the window: Qt's static `QFileDialog.get…` functions, as dialogs of our own.

Why (QA, typing /proc into Save As hung the app for good): where the system offers no native dialog (a bare Linux
desktop), Qt's own dialog names each file's type from its content, reading its first bytes on the GUI thread, and
/proc/kmsg never answers a read. These dialogs name a file's type from its name alone (`TypesByName`); a native
dialog, where there is one, is used as the static functions would. A dialog given no folder starts in the folder of
the last file or folder chosen (kept in the window's settings across launches), else in the user's documents folder,
not the working folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileInfo, QMimeDatabase, QMimeType, QSize, QStandardPaths
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFileDialog, QFileIconProvider, QWidget

from playground.core.presets import PRESETS_DIR
from playground.ui.screen_fit import resize_within_screen
from playground.ui.settings import make_settings
from playground.ui.text_dialog import ask_go_or_keep

LAST_FOLDER_KEY = "dialogs/last_folder"
TITLE_BAR_EXTRAS_PX = 200  # a title bar's icon, buttons and margins, and its bold font's extra width
_MIMES = QMimeDatabase()


class TypesByName(QFileIconProvider):
    """A file's type and icon from its name, never its content (directories as Qt names them)."""

    def type(self, info: QFileInfo) -> str:
        if info.isFile():
            return _mime_by_name(info).comment()
        return super().type(info)

    def icon(self, what: QFileInfo | QFileIconProvider.IconType) -> QIcon:
        if isinstance(what, QFileInfo) and what.isFile():
            return QIcon.fromTheme(_mime_by_name(what).iconName(), super().icon(QFileIconProvider.IconType.File))
        return super().icon(what)


def _mime_by_name(info: QFileInfo) -> QMimeType:
    return _MIMES.mimeTypeForFile(info, QMimeDatabase.MatchMode.MatchExtension)


_PROVIDER: TypesByName | None = None  # one for every dialog: Qt does not take ownership of it


def _dialog(parent: QWidget | None, caption: str, start: str, filters: str) -> QFileDialog:
    global _PROVIDER
    if _PROVIDER is None:
        _PROVIDER = TypesByName()
    dialog = QFileDialog(parent, caption, _in_last_folder(start), filters)
    dialog.setIconProvider(_PROVIDER)
    _widen_to_caption(dialog, caption)
    return dialog


def _widen_to_caption(dialog: QFileDialog, caption: str) -> None:
    """Wide enough for its title bar to show `caption` whole, within the screen: QA, the HF export's caption lost the
    name of the folder it makes ("…as a Hugging Face fold…3342-Decoder-…-hf") in a 630-px dialog at 1280x720."""
    wide = dialog.fontMetrics().horizontalAdvance(caption) + TITLE_BAR_EXTRAS_PX
    hint = dialog.sizeHint()
    if wide > hint.width():
        resize_within_screen(dialog, QSize(wide, hint.height()))


def last_folder() -> str:
    """The folder the last file dialog chose in ("" for none)."""
    return str(make_settings().value(LAST_FOLDER_KEY, "") or "")


def set_last_folder(folder: str) -> None:
    """The folder the next file dialog starts in (as `last_folder` said it, "" for none)."""
    make_settings().setValue(LAST_FOLDER_KEY, folder)


def _in_last_folder(start: str) -> str:
    """`start` where it names a folder; a bare file name (or nothing) in the last folder chosen, if it still exists
    and is not the built-in presets', else in the user's documents folder."""
    if os.path.dirname(start):
        return start
    last = last_folder()
    # not the package's presets (QA: Save As after a built-in opened from there started where it is refused)
    folder = last if os.path.isdir(last) and Path(last).resolve() != PRESETS_DIR.resolve() else documents()
    return os.path.join(folder, start) if start else folder


def documents() -> str:
    """The user's Documents folder (home where there is none): not the working folder, which for a newcomer who
    launched from a clone is the repository (lecturer QA: the first export offered to save into it)."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return documents if documents and os.path.isdir(documents) else os.path.expanduser("~")


def _exec(dialog: QFileDialog) -> tuple[str, str]:
    """The file or folder chosen (remembered as the last folder) and the filter, or two empty strings."""
    if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return "", ""
    chosen = dialog.selectedFiles()[0]
    folder_mode = dialog.fileMode() == QFileDialog.FileMode.Directory
    set_last_folder(chosen if folder_mode else os.path.dirname(chosen))
    return chosen, dialog.selectedNameFilter()


def _ask(dialog: QFileDialog) -> tuple[str, str]:
    try:
        return _exec(dialog)
    finally:
        dialog.deleteLater()


def open_file(parent: QWidget | None, caption: str, start: str = "", filters: str = "") -> tuple[str, str]:
    """As `QFileDialog.getOpenFileName`: the chosen file and filter, or two empty strings."""
    dialog = _dialog(parent, caption, start, filters)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    return _ask(dialog)


def save_file(parent: QWidget | None, caption: str, start: str = "", filters: str = "",
              refused: Callable[[str], bool] = lambda _path: False) -> tuple[str, str]:
    """As `QFileDialog.getSaveFileName` (`start` may name the file): the path and filter, or two empty strings. A
    name without one of `filters`' suffixes gets the chosen filter's (`with_filter_suffix`), and a file of the name
    that will be written is replaced only once the user says so. Qt's own question was about the name typed: "other"
    replaced other.json unasked, and "plot.png" for a CSV asked about plot.png and replaced plot.csv (QA). A path
    the caller will refuse (`refused`, which the caller then says) is returned unasked (QA: "Replace the file?",
    then "Not saved" of a built-in preset)."""
    dialog = _dialog(parent, caption, start, filters)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setOption(QFileDialog.Option.DontConfirmOverwrite, True)
    try:
        while True:
            chosen, name_filter = _exec(dialog)
            if not chosen:
                return "", ""
            path = with_filter_suffix(chosen, filters, name_filter)
            if refused(path) or not os.path.exists(path) or ask_go_or_keep(
                    parent, "Replace the file?", f"{os.path.basename(path)} already exists in "
                    f"{os.path.dirname(path)}. Replace it?", "&Replace", "&Cancel", go_name="replaceButton"):
                return path, name_filter
            dialog.selectFile(path)  # No: the dialog again, on the name it would have written
    finally:
        dialog.deleteLater()


def with_filter_suffix(path: str, filters: str, chosen_filter: str) -> str:
    """`path` as it is where it ends in a suffix one of `filters` names ("PNG image (*.png);;SVG …"), else with the
    chosen filter's suffix added: "notes.txt" saved as CSV is "notes.txt.csv", not notes.csv, another file."""
    allowed = [suffix.lower() for suffix in re.findall(r"\*\.(\w+)", filters)]
    if not allowed or os.path.splitext(path)[1].lower().lstrip(".") in allowed:
        return path
    own = re.findall(r"\*\.(\w+)", chosen_filter) or allowed
    return f"{path}.{own[0].lower()}"


def existing_folder(parent: QWidget | None, caption: str, start: str = "") -> str:
    """As `QFileDialog.getExistingDirectory`: the chosen folder, or an empty string."""
    dialog = _dialog(parent, caption, start, "")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    return _ask(dialog)[0]
