"""Reading and checking the student's own files: text, CSV, a folder of images. Torch-free.

Every problem becomes a DataError that names the file and says what to do. Reading is cached by
path, modification time and size, so the window can call `describe()` on every slider move.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import stat
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.core.files import UnreadableFile, elide, listed_names, read_bytes, unreadable_byte, with_article
from playground.data.base import DataError
from playground.data.vocab import word_tokens

if TYPE_CHECKING:
    from PIL.Image import Image as PilImage

CsvReader = Any  # the csv module's reader type (_csv.reader) has no public name
MAX_FILE_BYTES = 200_000_000
MAX_DISTINCT_CHARS = 2000
MAX_WORDS = 20_000
MAX_CLASSES = 100
MAX_IMAGES = 100_000
COLOUR_SPREAD = 24  # a pixel whose red, green and blue stray this far (of 255) from their mean is a colour
MAX_IMAGE_BYTES = 50_000_000  # one image file; larger ones are skipped as unreadable
# Pixels of one image as decoded (a JPEG is decoded at 1/2 to 1/8 scale first where that still covers the model's
# image size): a 12000 x 12000 PNG took about 1 GB to decode. Below Pillow's own decompression-bomb limits.
MAX_IMAGE_PIXELS = 25_000_000
SHRUNK_FROM = 3  # images this many times the model's side or more are said to be shrunk (a third of their detail)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")  # (as Try it's Image… offers)
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
    """(resolved path, mtime, size): the cache key of a regular file; a clear DataError for anything else."""
    p = Path(path).expanduser()
    shown = elide(p)
    try:
        st = p.stat()
        resolved = str(p.resolve())
    except FileNotFoundError:
        raise DataError(f"no {what} at {shown}: check the path") from None
    except (OSError, ValueError) as err:  # too long a name, a NUL byte, a link loop, no permission
        raise DataError(f"cannot read the {what} {shown}: {getattr(err, 'strerror', None) or 'not a usable path'}: "
                        f"check the path") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"{shown} is a folder, not {with_article(what)}: pick the file inside it")
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{shown} is not a regular file (a device, pipe or socket): pick {with_article(what)} saved on "
                        f"disk")
    return resolved, st.st_mtime_ns, st.st_size


def check_not_binary(name: str, raw: bytes, kind: str) -> None:
    """Refuse a file whose first bytes (`raw`) are another format's or hold NUL bytes, saying which (an Excel file
    renamed .csv, a text saved as UTF-16); `kind`: what it should hold ("text", "CSV")."""
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise DataError(f"{name} is not UTF-8 text (it looks like {with_article(what)}): export or save it as plain {kind}")
    if b"\x00" in raw[:1_000_000]:
        raise DataError(
            f"{name} is not UTF-8 text (it contains NUL bytes: a binary file, or text saved as UTF-16): "
            f"save it as UTF-8 {kind}"
        )


def _decode(name: str, raw: bytes, kind: str) -> str:
    if not raw.strip():  # (QA: a file of blank lines was said to be empty)
        raise DataError(f"{name} {'is empty' if not raw else 'holds only blank lines'}: put some {kind} in it")
    check_not_binary(name, raw, kind)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{name} is not UTF-8 text ({unreadable_byte(err)}): re-save it with UTF-8 encoding") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read(key: tuple[str, int, int], kind: str) -> str:
    path, _mtime, size = key
    name = elide(Path(path).name, 60)
    if size > MAX_FILE_BYTES:
        raise DataError(  # (the size in bytes past the limit's: "200 MB: the limit is 200 MB", newcomer QA)
            f"{name} is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} ({MAX_FILE_BYTES // 1_000_000} MB): use "
            f"a part of it"
        )
    try:  # the cap again on the bytes read: the file may have grown since, or report a wrong size
        raw = read_bytes(path, max_bytes=MAX_FILE_BYTES, what=f"{kind} file")
    except UnreadableFile as err:
        raise DataError(str(err)) from None
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
            f"{elide(Path(key[0]).name, 60)} has {distinct} different characters; a character-level model handles at most "
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
    overfull: tuple[int, ...] = ()  # the lines of rows with more cells than the header (skipped too)
    left_out: str = ""  # every row skipped, as a refusal says it: "2 rows were left out (line 4: no label, ...)"


def _left_out_rows(reasons: Mapping[int, str]) -> str:
    """'2 rows were left out (line 4: no label, line 5: no text)', or "" for none: a refusal counts only the rows
    kept, so it says which were not (QA: "every row has the label 'a'" of a file whose 'b' row had no text)."""
    if not reasons:
        return ""
    lines = sorted(reasons)
    shown = ", ".join(f"line {line}: {reasons[line]}" for line in lines[:3]) + (", …" if len(lines) > 3 else "")
    verb = "row was" if len(lines) == 1 else "rows were"
    return f"{len(lines):,} {verb} left out ({shown})"


def read_csv_file(path: str, text_column: str, label_column: str) -> CsvTable:
    return _read_csv(_file_key(path, "CSV file"), text_column, label_column)


def sniff_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """The delimiter (comma, semicolon or tab) and quoting sniffed from a CSV text's start; plain commas where
    there is one column, or nothing to sniff (the window's column chooser reads a file's header the same way)."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


@functools.lru_cache(maxsize=4)
def _read_csv(key: tuple[str, int, int], text_column: str, label_column: str) -> CsvTable:
    name = elide(Path(key[0]).name, 60)
    text = _read(key, "CSV")
    reader = csv.reader(io.StringIO(text), sniff_dialect(text))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as err:
        raise DataError(_csv_problem(name, 1, err)) from None
    except StopIteration:
        raise DataError(f"{name} is empty: it needs a header row and one row per example") from None
    wanted = {"text_column": text_column, "label_column": label_column}
    for option, column in wanted.items():
        if column not in header:
            found = elide(", ".join(repr(h) for h in header), 100)
            raise DataError(
                f"{name} has no column '{elide(column, 40)}' (columns found: {found}): rename the column or "
                f"set the option {option}"
            )
    rows, missing, stray, overfull = _labelled_rows(name, text, reader, header.index(text_column),
                                                    header.index(label_column), len(header))
    left_out = _left_out_rows({**missing, **dict.fromkeys(overfull, "too many cells")})
    if not rows and overfull and not missing:
        raise DataError(f"every row of {name} has more cells than its header (line {overfull[0]} first): a comma in "
                        f"each text? Put the texts in double quotes")
    if not rows:
        raise DataError(f"{name} has no rows with both a '{elide(text_column, 40)}' and a '{elide(label_column, 40)}'"
                        + (f": {left_out}: fix them, or add examples" if left_out else ": add some examples"))
    names = sorted({lab for _t, lab in rows}, key=_natural)
    if len(names) < 2:
        label = elide(names[0], 40)
        if not left_out:
            raise DataError(f"every row of {name} has the label '{label}': a classifier needs at least two classes: "
                            f"add rows with another label")
        kept = "the only row kept has" if len(rows) == 1 else f"the {len(rows):,} kept all have"
        # Fixing them adds no class where each only lacks its text and has this label (review: advised so)
        useless = not overfull and set(missing.values()) == {"no text"} and stray == {names[0]}
        fix = "add rows with another label" if useless else "fix the rows left out, or add rows with another label"
        raise DataError(f"{name}: {left_out}; {kept} the label '{label}': a classifier needs at least two classes "
                        f"among the rows kept: {fix}")
    if len(names) > MAX_CLASSES:
        raise DataError(
            f"column '{elide(label_column, 40)}' of {name} has {len(names)} different labels; the limit is {MAX_CLASSES} "
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
        skipped=len(missing),
        overfull=overfull,
        left_out=left_out,
    )


def _labelled_rows(name: str, text: str, reader: CsvReader, ti: int, li: int,
                   columns: int) -> tuple[list[tuple[str, str]], dict[int, str], set[str], tuple[int, ...]]:
    """(text, label) of every row that has both, what the other non-empty rows lack by line ("no text"), the labels
    of the rows without a text, and the lines of the rows skipped for having more cells than the header's `columns`:
    "the plot was slow, the acting great,pos" is a text with an unquoted comma, whose label would be "the acting
    great" (QA: read as a fourth class, unsaid)."""
    rows: list[tuple[str, str]] = []
    missing: dict[int, str] = {}
    stray: set[str] = set()
    overfull, last_start = [], 1
    for start, row in _numbered(name, reader):
        last_start = start  # an unclosed quote makes the last row: its start is the line to fix
        if any(cell.strip() for cell in row[columns:]):
            overfull.append(start)
            continue
        t = row[ti].strip() if ti < len(row) else ""
        lab = row[li].strip() if li < len(row) else ""
        if t and lab:
            rows.append((t, lab))
        elif any(cell.strip() for cell in row):
            missing[start] = "no label" if t else "no text" if lab else "no text or label"
            stray |= {lab} - {""}
    if _last_row_left_open(text, reader, last_start):
        raise DataError(f"{name} has an unclosed quote (line {last_start}): every row after it was read as one text. "
                        f"Close the quote, or remove it")
    return rows, missing, stray, tuple(overfull)


def unclosed_quote_line(text: str) -> int | None:
    """The line of the row that opens a quote it never closes, in `text`, a whole CSV file: the reader takes every
    row after it as that row's text. None where there is none (or the file is unreadable as CSV)."""
    reader = csv.reader(io.StringIO(text), sniff_dialect(text))
    try:
        last_start = max((start for start, _row in _numbered("", reader)), default=1)
    except DataError:
        return None
    return last_start if _last_row_left_open(text, reader, last_start) else None


def _last_row_left_open(text: str, reader: CsvReader, last_start: int) -> bool:
    """Whether `reader`, read to its end, took its last row (from line `last_start`) over several lines because it
    opens a quote it never closes."""
    return reader.line_num > last_start and _unclosed_from(text, last_start, reader.dialect)


def _numbered(name: str, reader: CsvReader) -> Iterator[tuple[int, list[str]]]:
    """(the line a row starts on, its cells) for each row left in `reader`; a csv.Error becomes a DataError."""
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataError(_csv_problem(name, start, err)) from None
        yield start, row


def _csv_problem(name: str, line: int, err: csv.Error) -> str:
    """The csv module's error in the student's words; its field-limit message suggested re-saving as CSV."""
    if "field larger than field limit" in str(err):
        return (f"{name} has a field longer than {csv.field_size_limit():,} characters (line {line}), likely an "
                f"unclosed quote: close the quote, or shorten the field")
    return f"{name} is not a readable CSV file (line {line}: {elide(err, 80)}): save it as CSV with a header row"


def _unclosed_from(text: str, line: int, dialect: Any) -> bool:
    """Whether the row starting on `line` (the last one, spanning several lines) opens a quote it never closes.
    Only strict parsing says so; the lenient reader takes everything up to the end of the file as one field."""
    offset = 0
    for _ in range(line - 1):
        offset = text.index("\n", offset) + 1
    try:
        for _row in csv.reader(io.StringIO(text[offset:]), dialect, strict=True):
            pass
    except csv.Error as err:
        return "unexpected end of data" in str(err)
    return False


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
    name = elide(root.name, 60)
    try:
        is_dir = root.is_dir()
        exists = is_dir or root.exists()
        entries = sorted(root.iterdir()) if is_dir else []
        classes = [p for p in entries if p.is_dir() and not p.name.startswith(".")]
    except (OSError, ValueError):  # too long a name, a NUL byte, no permission
        raise DataError(f"cannot read the folder {elide(root)}: check the path and its permissions") from None
    if not exists:
        raise DataError(f"no folder at {elide(root)}: check the path")
    if not is_dir:
        raise DataError(f"{name} is a file: pick the folder that holds one sub-folder per class")
    loose = [p for p in entries if p.suffix.lower() in IMAGE_EXTENSIONS]
    if not classes:
        if loose:
            raise DataError(
                f"{name} holds images but no class folders: put them in one sub-folder per class "
                f"(e.g. {name}/cats/, {name}/dogs/)"
            )
        # (QA: a folder named "empty" read "empty is empty", then "the folder empty holds…": quoted)
        raise DataError(f"the folder '{name}' holds no class folders: add one sub-folder of images per class")
    if len(classes) < 2:
        raise DataError(
            f"{name} has only one class folder ('{elide(classes[0].name, 40)}'): a classifier needs at least two"
        )
    if len(classes) > MAX_CLASSES:
        raise DataError(f"{name} has {len(classes)} class folders; the limit is {MAX_CLASSES}: is it the right folder?")
    files: list[tuple[str, int, int, int]] = []
    for label, folder in enumerate(classes):
        found = _images_in(folder, MAX_IMAGES + 1 - len(files))
        if not found:
            raise DataError(
                f"class folder '{elide(folder.name, 40)}' has no images ({', '.join(IMAGE_EXTENSIONS)}): add some or "
                f"remove it"
            )
        files += [(str(p), st.st_mtime_ns, st.st_size, label) for p, st in found]
        if len(files) > MAX_IMAGES:
            raise DataError(f"{name} has more than {MAX_IMAGES} images, the limit: use a part of them")
    return _decode_images(tuple(files), tuple(c.name for c in classes), image_size, channels)


def _images_in(folder: Path, limit: int) -> list[tuple[Path, os.stat_result]]:
    """Up to `limit` regular image files under `folder`, sorted, with their stat (special files are left out)."""
    found = []
    for p in folder.rglob("*"):
        if p.suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        try:
            st = p.stat()
        except OSError:
            continue  # a broken link: not an image
        if stat.S_ISREG(st.st_mode):
            found.append((p, st))
            if len(found) >= limit:
                break
    return sorted(found)


@functools.lru_cache(maxsize=2)
def _decode_images(
    files: tuple[tuple[str, int, int, int], ...], class_names: tuple[str, ...], image_size: int, channels: int
) -> ImageTable:
    images, labels, bad, large = [], [], [], []
    too_large: set[int] = set()  # the classes with an image too large
    coloured = 0  # images with colours, read in grey
    sides = []  # each image's shorter side, in the file
    for path, _mtime, _size, label in files:
        shown = f"{class_names[label]}/{os.path.basename(path)}"  # (every class has its bad.png, QA)
        try:
            image = read_image(path, image_size, channels)
            images.append(image.pixels)
            labels.append(label)
            coloured += image.colour
            sides.append(min(image.size))
        except ImageTooLarge as err:
            large.append(f"{shown} ({err.size})")
            too_large.add(label)
        except DataError:
            bad.append(shown)
    if not images:
        if large and not bad:
            raise DataError(f"all {len(files)} images are too large ({listed_names(large)}): {_too_large_fix('them')}")
        raise DataError(f"none of the {len(files)} images could be read: are they really images "
                        f"({', '.join(IMAGE_EXTENSIONS)})?")
    present = set(labels)
    for label, name in enumerate(class_names):
        if label not in present:
            fix = _too_large_fix("them") if label in too_large else "replace the broken files"
            raise DataError(f"no image in class folder '{elide(name, 40)}' could be used: {fix}")
    notes = []
    if bad:
        notes.append(f"skipped {len(bad)} unreadable image(s): {listed_names(bad)}")
    if large:
        notes.append(f"skipped {len(large)} image(s) too large to use: {listed_names(large)}: {_too_large_fix('them')}")
    if coloured:  # (QA: a folder of colour shapes was read in grey, without a word)
        notes.append(f"{coloured} of the {len(images)} images are in colour and read in grey: Channels 3 (colour; "
                     f"data.options.channels) keeps their colours")
    side = int(np.median(sides))
    if side >= SHRUNK_FROM * image_size:  # (QA: 32-pixel images trained as 8-pixel ones, without a word)
        notes.append(f"the images (about {side} pixels a side) are shrunk to {image_size} x {image_size}: a larger "
                     f"Image size (model.image_size) keeps more of what sets them apart")
    return ImageTable(np.stack(images), np.array(labels, dtype=np.int64), class_names, tuple(notes))


def _too_large_fix(it: str = "it") -> str:
    return f"shrink {it} below {MAX_IMAGE_PIXELS:,} pixels (5000 x 5000)"


class ImageTooLarge(DataError):
    """An image with more pixels than MAX_IMAGE_PIXELS (or Pillow's decompression-bomb limit): refused unread."""

    def __init__(self, name: str, size: tuple[int, int] | None) -> None:
        self.size = f"{size[0]} x {size[1]} pixels" if size else f"over {MAX_IMAGE_PIXELS:,} pixels"
        super().__init__(f"{name} is too large ({self.size}): {_too_large_fix()}")


@dataclass(frozen=True)
class UserImage:
    pixels: np.ndarray  # (image_size, image_size, channels) uint8
    filled: str | None = None  # "white" or "black": what a transparent background was filled with; None if opaque
    drawn: bool = True  # False: every pixel was fully transparent
    size: tuple[int, int] = (0, 0)  # the file's width and height in pixels
    colour: bool = False  # read in grey, the file has colours (a folder of them says Channels 3 keeps them)


def read_image(path: str, image_size: int, channels: int) -> UserImage:
    """One image file at the model's size (a non-square one squashed), a transparent background filled in so the
    drawing stays visible."""
    from PIL import Image, UnidentifiedImageError

    name = elide(os.path.basename(path), 60)
    try:
        raw = read_bytes(path, max_bytes=MAX_IMAGE_BYTES, what="image")
    except UnreadableFile as err:
        raise DataError(str(err)) from None
    try:
        # (Pillow warns of a "decompression bomb" past its own limit: the program turns that off, cli.quiet_libraries;
        # the image is refused below in words that say what to do)
        with Image.open(io.BytesIO(raw)) as im:
            size = im.size  # the file's own (a draft's is the smaller decode: review)
            im.draft("L" if channels == 1 else "RGB", (image_size, image_size))  # JPEG only: decode it smaller
            if im.width * im.height > MAX_IMAGE_PIXELS:
                raise ImageTooLarge(name, im.size)
            colour = channels == 1 and _in_colour(im)
            return replace(_to_pixels(_eight_bit(im), image_size, channels), size=size, colour=colour)
    except ImageTooLarge:
        raise
    except Image.DecompressionBombError:
        raise ImageTooLarge(name, _header_size(raw)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise DataError(f"{name} is not a readable image: save it as PNG or JPEG") from None


def _to_pixels(im: PilImage, image_size: int, channels: int) -> UserImage:
    from PIL import Image

    size, mode = (image_size, image_size), "L" if channels == 1 else "RGB"
    if not im.has_transparency_data:
        im = im.convert(mode).resize(size, Image.BILINEAR)
        return UserImage(np.array(im, dtype=np.uint8).reshape(image_size, image_size, channels))
    # Resized first (Pillow premultiplies alpha, so no dark fringe), then laid on a background.
    rgba = np.asarray(im.convert("RGBA").resize(size, Image.BILINEAR), dtype=np.float64) / 255
    colour, alpha = rgba[..., :3], rgba[..., 3:]
    if alpha.max() < 1 / 255:
        return UserImage(np.zeros((image_size, image_size, channels), np.uint8), "black", drawn=False)
    if alpha.min() > 254 / 255:  # an alpha channel that hides nothing
        return _to_pixels(im.convert("RGB"), image_size, channels)
    drawing = float((_luma(colour) * alpha[..., 0]).sum() / alpha.sum())  # the visible pixels' mean brightness
    background = 1.0 if drawing < 0.5 else 0.0  # a dark drawing on white, a light one on black
    flat = colour * alpha + background * (1 - alpha)
    if channels == 1:
        flat = _luma(flat)[..., None]
    pixels = np.rint(flat * 255).clip(0, 255).astype(np.uint8)
    return UserImage(pixels, "white" if background else "black")


def _in_colour(im: PilImage) -> bool:
    """Whether the picture has colours, not greys alone: some pixel's red, green and blue differ by COLOUR_SPREAD."""
    if im.mode in ("1", "L", "LA", "I", "I;16", "F"):
        return False
    small = np.asarray(im.convert("RGB").resize((16, 16)), dtype=np.int16)
    return bool(np.abs(small - small.mean(axis=2, keepdims=True)).max() > COLOUR_SPREAD)


def _luma(rgb: np.ndarray) -> np.ndarray:
    """Brightness as Pillow's convert("L") weighs red, green and blue (ITU-R 601-2)."""
    return rgb @ np.array([0.299, 0.587, 0.114])


def _header_size(raw: bytes) -> tuple[int, int] | None:
    """Width and height from the header of an image Pillow refuses to open for its size; None if unknown."""
    from PIL import BmpImagePlugin, GifImagePlugin, JpegImagePlugin, PngImagePlugin

    for kind in (PngImagePlugin.PngImageFile, JpegImagePlugin.JpegImageFile, GifImagePlugin.GifImageFile,
                 BmpImagePlugin.BmpImageFile):
        try:
            with kind(io.BytesIO(raw)) as im:  # the format's own reader: no size check, header only
                return im.size
        except Exception:  # noqa: BLE001 - not this format: try the next
            continue
    return None


WIDE_GRAY_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")  # 16-bit grayscale, as PNG and TIFF store it
SIXTEEN_BIT_TO_EIGHT = 257  # 65535 / 255


def _eight_bit(im: PilImage) -> PilImage:
    """`im`, with 16-bit grayscale scaled down to 8 bits: Pillow's convert("L") clips it (mid-grey became white)."""
    if im.mode not in WIDE_GRAY_MODES:
        return im
    from PIL import Image

    wide = np.asarray(im, dtype=np.float64)  # "I" holds 32-bit values: read as 16-bit samples, anything beyond clipped
    return Image.fromarray(np.rint(np.clip(wide, 0, 65535) / SIXTEEN_BIT_TO_EIGHT).astype(np.uint8))
