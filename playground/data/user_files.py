"""Reading and checking the student's own files: text, CSV, a folder of images. Torch-free.

Every problem becomes a DataError that names the file and says what to do. Reading is cached by
path, modification time and size, so the window can call `describe()` on every slider move.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground.data.base import DataError
from playground.data.vocab import word_tokens

MAX_FILE_BYTES = 200_000_000
MAX_DISTINCT_CHARS = 2000
MAX_WORDS = 20_000
MAX_CLASSES = 100
MAX_IMAGES = 100_000
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
# Leading bytes of formats students rename to .txt or .csv by mistake.
_MAGIC = {
    b"%PDF": "PDF",
    b"PK\x03\x04": "ZIP archive (a Word, Excel or OpenDocument file is one)",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"\x1f\x8b": "gzip archive",
    b"\xd0\xcf\x11\xe0": "old Microsoft Office document",
    b"{\\rtf": "RTF document",
}


def _file_key(path: str, what: str) -> tuple[str, int, int]:
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"no {what} at {p}: check the path")
    if not p.is_file():
        raise DataError(f"{p} is a folder, not a {what}: pick the file inside it")
    st = p.stat()
    return str(p.resolve()), st.st_mtime_ns, st.st_size


def _decode(name: str, raw: bytes, kind: str) -> str:
    if not raw.strip():
        raise DataError(f"{name} is empty: put some {kind} in it")
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise DataError(f"{name} is not UTF-8 text (it looks like a {what}): export or save it as plain {kind}")
    if b"\x00" in raw[:1_000_000]:
        raise DataError(
            f"{name} is not UTF-8 text (it contains NUL bytes: a binary file, or text saved as UTF-16): "
            f"save it as UTF-8 {kind}"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(
            f"{name} is not UTF-8 text (byte {err.start} cannot be read): re-save it with UTF-8 encoding"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read(key: tuple[str, int, int], kind: str) -> str:
    path, _mtime, size = key
    name = Path(path).name
    if size > MAX_FILE_BYTES:
        raise DataError(
            f"{name} is {size / 1e6:.0f} MB: the limit is {MAX_FILE_BYTES // 1_000_000} MB, use a part of it"
        )
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise DataError(f"cannot read {name}: {err.strerror or err}") from None
    return _decode(name, raw, kind)


def read_text_file(path: str) -> str:
    """A whole UTF-8 text file, checked for being text with a usable character set."""
    return _read_text(_file_key(path, "text file"))


@functools.lru_cache(maxsize=4)
def _read_text(key: tuple[str, int, int]) -> str:
    text = _read(key, "text")
    distinct = len(set(text))
    if distinct > MAX_DISTINCT_CHARS:
        raise DataError(
            f"{Path(key[0]).name} has {distinct} different characters; a character-level model handles at most "
            f"{MAX_DISTINCT_CHARS}: use text in one language, or a CSV file for a word-level classifier"
        )
    return text


@dataclass(frozen=True)
class CsvTable:
    texts: tuple[str, ...]
    labels: tuple[int, ...]  # index into class_names
    class_names: tuple[str, ...]
    words: tuple[str, ...]  # the most frequent words, most frequent first
    skipped: int  # rows without text or label


def read_csv_file(path: str, text_column: str, label_column: str) -> CsvTable:
    return _read_csv(_file_key(path, "CSV file"), text_column, label_column)


@functools.lru_cache(maxsize=4)
def _read_csv(key: tuple[str, int, int], text_column: str, label_column: str) -> CsvTable:
    name = Path(key[0]).name
    text = _read(key, "CSV")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # one column, or nothing to sniff: plain commas
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [h.strip() for h in next(reader)]
        wanted = {"text_column": text_column, "label_column": label_column}
        for option, column in wanted.items():
            if column not in header:
                found = ", ".join(repr(h) for h in header)
                raise DataError(
                    f"{name} has no column '{column}' (columns found: {found}): rename the column or set the "
                    f"option {option}"
                )
        ti, li = header.index(text_column), header.index(label_column)
        rows, skipped = [], 0
        for row in reader:
            t = row[ti].strip() if ti < len(row) else ""
            lab = row[li].strip() if li < len(row) else ""
            if t and lab:
                rows.append((t, lab))
            elif any(cell.strip() for cell in row):
                skipped += 1
    except csv.Error as err:
        raise DataError(f"{name} is not a readable CSV file (line {reader.line_num}: {err})") from None
    except StopIteration:
        raise DataError(f"{name} is empty: it needs a header row and one row per example") from None
    if not rows:
        raise DataError(f"{name} has no rows with both a '{text_column}' and a '{label_column}': add some examples")
    names = sorted({lab for _t, lab in rows}, key=_natural)
    if len(names) < 2:
        raise DataError(
            f"every row of {name} has the label '{names[0]}': a classifier needs at least two classes"
        )
    if len(names) > MAX_CLASSES:
        raise DataError(
            f"column '{label_column}' of {name} has {len(names)} different labels; the limit is {MAX_CLASSES} "
            f"classes: is it the right column? Set the option label_column"
        )
    index = {lab: i for i, lab in enumerate(names)}
    counts = Counter(w for t, _lab in rows for w in word_tokens(t))
    # Most frequent first; ties alphabetically so the vocabulary never depends on dict order.
    words = sorted(counts, key=lambda w: (-counts[w], w))[:MAX_WORDS]
    return CsvTable(
        texts=tuple(t for t, _ in rows),
        labels=tuple(index[lab] for _, lab in rows),
        class_names=tuple(names),
        words=tuple(words),
        skipped=skipped,
    )


def _natural(label: str) -> tuple[int, float, str]:
    # Numeric labels sort as numbers ("2" before "10"), the rest alphabetically after them.
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


@dataclass(frozen=True)
class ImageTable:
    images: np.ndarray  # (N, H, W, C) uint8, already at the model's image size
    labels: np.ndarray  # (N,) int64
    class_names: tuple[str, ...]
    notes: tuple[str, ...]


def read_image_folder(path: str, image_size: int, channels: int) -> ImageTable:
    """One sub-folder per class; images converted to `channels` and resized to `image_size` squares."""
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(f"no folder at {root}: check the path")
    if not root.is_dir():
        raise DataError(f"{root.name} is a file: pick the folder that holds one sub-folder per class")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = [p for p in root.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS]
    if not classes:
        if loose:
            raise DataError(
                f"{root.name} holds images but no class folders: put them in one sub-folder per class "
                f"(e.g. {root.name}/cats/, {root.name}/dogs/)"
            )
        raise DataError(f"{root.name} is empty: add one sub-folder of images per class")
    if len(classes) < 2:
        raise DataError(
            f"{root.name} has only one class folder ('{classes[0].name}'): a classifier needs at least two"
        )
    files: list[tuple[str, int, int, int]] = []
    for label, folder in enumerate(classes):
        found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
        if not found:
            raise DataError(
                f"class folder '{folder.name}' has no images ({', '.join(IMAGE_EXTENSIONS)}): add some or remove it"
            )
        for p in found:
            st = p.stat()
            files.append((str(p), st.st_mtime_ns, st.st_size, label))
    if len(files) > MAX_IMAGES:
        raise DataError(f"{root.name} has {len(files)} images; the limit is {MAX_IMAGES}: use a part of them")
    return _decode_images(tuple(files), tuple(c.name for c in classes), image_size, channels)


@functools.lru_cache(maxsize=2)
def _decode_images(
    files: tuple[tuple[str, int, int, int], ...], class_names: tuple[str, ...], image_size: int, channels: int
) -> ImageTable:
    images, labels, bad = [], [], []
    for path, _mtime, _size, label in files:
        try:
            images.append(load_image(path, image_size, channels))
            labels.append(label)
        except DataError:
            bad.append(os.path.basename(path))
    if not images:
        raise DataError(f"none of the {len(files)} images could be read: are they really png, jpg, bmp or gif files?")
    present = set(labels)
    for label, name in enumerate(class_names):
        if label not in present:
            raise DataError(f"no image in class folder '{name}' could be read: replace the broken files")
    notes = ()
    if bad:
        shown = ", ".join(bad[:5]) + (" ..." if len(bad) > 5 else "")
        notes = (f"skipped {len(bad)} unreadable image(s): {shown}",)
    return ImageTable(np.stack(images), np.array(labels, dtype=np.int64), class_names, notes)


def load_image(path: str, image_size: int, channels: int) -> np.ndarray:
    """One image file as an (image_size, image_size, channels) uint8 array (non-square images are squashed)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = im.convert("L" if channels == 1 else "RGB").resize((image_size, image_size), Image.BILINEAR)
            return np.array(im, dtype=np.uint8).reshape(image_size, image_size, channels)
    except FileNotFoundError:
        raise DataError(f"no image at {path}: check the path") from None
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        raise DataError(f"{os.path.basename(path)} is not a readable image ({err.__class__.__name__})") from None
