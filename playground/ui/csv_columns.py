"""After choosing a CSV file: which column holds the text and which the label (written to data.options).

The header is read here only to offer its columns; every other check (missing column, too many classes,
empty rows) is the data layer's, and its DataError message appears in the config panel's message line.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import stat
from pathlib import Path
from typing import NamedTuple

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from playground.core.files import elide, unreadable_byte
from playground.data.base import DataError
from playground.data.user_files import check_not_binary, sniff_dialect, unclosed_quote_line
from playground.ui.theme import tint

HEADER_BYTES = 64 * 1024
QUOTED_WIDTH = 40  # characters of a column name quoted in a message


class CsvHeaderError(ValueError):
    """The file's header row cannot be offered as columns; `str()` is a message for the user."""


def read_header(path: str | Path) -> list[str]:
    """The column names of a CSV file's first row (delimiter sniffed like the data layer does)."""
    name = elide(Path(path).name, 60)
    text = _read_start(path)
    if not text.strip():
        raise CsvHeaderError(f"{name} is empty: it needs a header row and one row per example")
    try:
        header = [h.strip() for h in next(csv.reader(io.StringIO(text), sniff_dialect(text)))]
    except (csv.Error, StopIteration):
        raise CsvHeaderError(f"{name} has no readable header row") from None
    header = [h for h in header if h]
    if len(header) < 2:  # a column cut short: a 70,000-character one once made a 65,000-character message
        found = ", ".join(repr(elide(h, QUOTED_WIDTH)) for h in header) or "none"
        raise CsvHeaderError(f"{name} needs a header with at least two columns, a text and a label "
                             f"(columns found: {found})")
    return header


def _read_start(path: str | Path) -> str:
    """The first HEADER_BYTES of a regular file, as text. A pipe or device is refused before it is opened: opening
    a FIFO waits for a writer, and that froze the window for good."""
    name = elide(Path(path).name, 60)
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError) as err:  # missing, no permission, a NUL byte in the name
        why = getattr(err, "strerror", None) or "not a usable path"
        raise CsvHeaderError(f"cannot read {name}: {why}: check the path") from None
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device, pipe or socket)"
        raise CsvHeaderError(f"{name} is {what}: pick a CSV file saved on disk")
    try:  # non-blocking as well: a FIFO swapped in after the check still cannot make the read wait
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        try:
            raw = os.read(fd, HEADER_BYTES)
        finally:
            os.close(fd)
    except OSError as err:
        raise CsvHeaderError(f"cannot read {name}: {err.strerror or err}: check the file's permissions") from None
    try:  # which format it is, as the data's reader says it (QA: an Excel file was only "not UTF-8 text")
        check_not_binary(name, raw, "CSV")
    except DataError as err:
        raise CsvHeaderError(str(err)) from None
    try:  # final=False: a character cut by the byte limit is left out, not taken for a decoding error
        return codecs.getincrementaldecoder("utf-8-sig")().decode(raw, final=False)
    except UnicodeDecodeError as err:
        raise CsvHeaderError(f"{name} is not UTF-8 text ({unreadable_byte(err)}): save it as UTF-8 CSV") from None


FEW_ROWS = 20  # fewer examples than this: too few to train on, and validation takes some of them


class RowsNote(NamedTuple):
    """What the column dialog says of a file's rows."""

    text: str = ""  # "" where there is nothing to say
    refused: bool = False  # the data would refuse the file as it is: the dialog offers no OK


def rows_note(path: str | Path) -> RowsNote:
    """What the column dialog says of the file's rows, in the first HEADER_BYTES of it: a quote never closed, which
    took every row after it into one text (newcomer QA: "Only 5 example rows… add more rows" came first, the quote
    only after OK; then OK led to "Not used"), or too few rows to learn from; nothing when neither (or the file
    cannot be read)."""
    try:
        text = _read_start(path)
        whole = os.stat(path).st_size <= HEADER_BYTES
    except (CsvHeaderError, OSError):
        return RowsNote()
    rows = max(0, sum(1 for row in csv.reader(io.StringIO(text), sniff_dialect(text)) if any(c.strip() for c in row))
               - 1)
    if whole or rows < FEW_ROWS:  # (a longer file's start: its rows to the last line read, a quote open or not)
        line = unclosed_quote_line(text if whole else text[:text.rfind("\n") + 1])
        if line is not None:  # certain in a whole file; in a longer one's start, a long quoted text may close later
            return RowsNote(f"Line {line} opens a quote it never closes: every row after it is read as part of its "
                            f"text. Close the quote, or remove it{', then choose the file again' if whole else ''}.",
                            refused=whole)
    if rows >= FEW_ROWS or not whole:  # (few rows in the first 64 KB of a longer file: long texts, not few)
        return RowsNote()
    if rows == 0:  # (QA: "Only 0 example rows…, part of them is kept for validation")
        return RowsNote(f"It has a header row and no examples: add one row per example under it, at least {FEW_ROWS}.")
    return RowsNote(f"Only {rows} example row{'s' if rows != 1 else ''}: too few to learn from (part of them is kept "
                    f"for validation). Add more rows, at least {FEW_ROWS}.")


def _looks_like_data(header: list[str]) -> bool:
    """A header row with a number among its names: the file's first example, read as the names."""
    for name in header:
        try:
            float(name)
        except ValueError:
            continue
        return True
    return False


def _is_identifier(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("id", "index", "#", "no", "row") or lowered.endswith(("_id", " id"))


def _guess(header: list[str], names: tuple[str, ...], avoid: str | None = None) -> int:
    """The column named like one of `names`; else the last column that is neither `avoid` nor a row id (an
    `id` column is never a label to learn)."""
    lowered = [h.lower() for h in header]
    for name in names:
        if name in lowered and header[lowered.index(name)] != avoid:
            return lowered.index(name)
    candidates = [i for i, h in enumerate(header) if h != avoid and not _is_identifier(h)]
    return candidates[-1] if candidates else next(i for i, h in enumerate(header) if h != avoid)


class CsvColumnsDialog(QDialog):
    """Two combos over the header: the text column and the label column (they must differ)."""

    def __init__(self, path: str | Path, header: list[str], parent: QWidget | None = None,
                 rows: RowsNote = RowsNote()) -> None:  # noqa: B008 - a NamedTuple, immutable
        """`rows`: what to say of the file's rows (`rows_note`)."""
        super().__init__(parent)
        self._refused = rows.refused
        self.setObjectName("csvColumnsDialog")
        self.setWindowTitle("Choose the CSV columns")
        # Wide enough for its title: window managers cut a title the dialog's contents do not make room for.
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(self.windowTitle()) * 2 + 120)
        intro = QLabel(f"<b>{Path(path).name}</b> has {len(header)} columns. Which one holds the text to classify, "
                       f"and which one its label?", self)
        intro.setWordWrap(True)
        self.rowsNote = QLabel(self)
        self.rowsNote.setObjectName("csvRowsNote")
        self.rowsNote.setWordWrap(True)
        tint(self.rowsNote, "warning")
        self.rowsNote.setText(rows.text)
        self.rowsNote.setVisible(bool(rows.text))
        self.headerNote = QLabel(self)
        self.headerNote.setObjectName("csvHeaderNote")
        self.headerNote.setWordWrap(True)
        tint(self.headerNote, "warning")
        if _looks_like_data(header):  # (data QA: a file without one offered "0" as its text column, silently)
            shown = ", ".join(repr(elide(h, QUOTED_WIDTH)) for h in header)
            self.headerNote.setText(f"Its first row, {shown}, looks like an example, not the columns' names: it is "
                                    f"read as the names and not trained on. Add a first row that names the columns "
                                    f"(e.g. text,label).")
        self.headerNote.setVisible(bool(self.headerNote.text()))
        self.textCombo = QComboBox(self)
        self.textCombo.setObjectName("textColumnCombo")
        self.labelCombo = QComboBox(self)
        self.labelCombo.setObjectName("labelColumnCombo")
        for combo in (self.textCombo, self.labelCombo):
            combo.addItems(header)
        text = _guess(header, ("text", "sentence", "review", "content", "message"))
        self.textCombo.setCurrentIndex(text)
        self.labelCombo.setCurrentIndex(_guess(header, ("label", "class", "category", "sentiment", "target"),
                                               avoid=header[text]))
        self.textCombo.setToolTip("The column with the sentences: split into the pretrained model's word pieces.")
        self.labelCombo.setToolTip("The column with each row's class (at most the data layer's class limit).")
        self.note = QLabel(self)
        self.note.setObjectName("csvColumnsNote")
        tint(self.note, "error")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Text column", self.textCombo)
        form.addRow("Label column", self.labelCombo)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.rowsNote)
        layout.addWidget(self.headerNote)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        for combo in (self.textCombo, self.labelCombo):
            combo.currentIndexChanged.connect(self._check)
        self._check()

    def columns(self) -> tuple[str, str]:
        return self.textCombo.currentText(), self.labelCombo.currentText()

    def _check(self) -> None:
        same = self.textCombo.currentIndex() == self.labelCombo.currentIndex()
        self.note.setText("The text and the label must be different columns." if same else "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not same and not self._refused)


def ask_columns(parent: QWidget | None, path: str | Path) -> tuple[str, str] | None:
    """(text column, label column), or None when cancelled; raises CsvHeaderError for an unusable header, or a file
    the dialog refused. A function so tests can answer it."""
    rows = rows_note(path)
    dialog = CsvColumnsDialog(path, read_header(path), parent, rows=rows)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        if rows.refused:  # closed, the only way out: what to fix stays said under the settings (review)
            raise CsvHeaderError(f"{elide(Path(path).name, 60)}: {rows.text}")
        return None
    return dialog.columns()
