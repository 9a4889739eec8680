"""Reading a user's file safely: a regular file only, never more bytes than a cap, never a hang.

A path may name anything: a folder, a FIFO (whose open blocks until a writer comes), /dev/zero (endless, and
reporting size 0), a symlink to either. The file is opened without blocking, checked to be a regular file on
the open descriptor (so a swap between check and read changes nothing), and read up to `max_bytes + 1` bytes,
which enforces the cap on what is actually there rather than on the size the file system reports.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

MAX_SHOWN = 80  # characters of a path or value quoted in a message


class UnreadableFile(ValueError):
    """A file that cannot be read as asked; `str()` is one line naming the file and the fix."""


def elide(text: object, width: int = MAX_SHOWN) -> str:
    """`text` as one line of at most `width` characters, the middle replaced by an ellipsis."""
    flat = " ".join(str(text).split())
    if len(flat) <= width:
        return flat
    half = (width - 1) // 2
    return f"{flat[:half]}…{flat[-(width - 1 - half):]}"


def file_words(name: str, width: int = 40, empty: str = "run") -> str:
    """`name` as a file or folder name's part: letters (any language's), digits, _, - and a point inside a word
    ("19.4"), at most `width` of them, whole words of the name where it is longer ("…-resolves-it-fine-" was cut
    inside "fine-tuning"; a hyphen inside a word is no break); `empty` where none is left. No colon, comma or
    bracket: Windows refuses a colon in a file name, and a point at a name's end."""
    words = [word.strip(".") for word in re.split(r"[^\w.-]+", name) if word.strip("-_.")]
    slug = "-".join(words)
    if len(slug) > width:
        kept = ""
        for word in words:
            if len(kept) + bool(kept) + len(word) > width:
                break
            kept = f"{kept}-{word}" if kept else word
        slug = kept if len(kept) >= width // 2 else slug[:width]
    return slug.strip("-_.") or empty


def existing_ancestor(path: str | os.PathLike[str]) -> Path:
    """`path` made absolute, or its nearest folder above it that exists: where making it would start."""
    ancestor = Path(os.path.abspath(path))
    while not ancestor.exists() and ancestor.parent != ancestor:
        ancestor = ancestor.parent
    return ancestor


def why_not_written(target: str | os.PathLike[str], err: OSError) -> str:
    """Why `target` could not be written, in words: a file where one of its folders should be is not "File exists"
    (QA, the window's exports and the command line's --out alike)."""
    said = str(err.strerror or type(err).__name__)
    try:
        folder = existing_ancestor(target)
    except OSError:  # a name too long to look at is said as the error said it
        return said
    if folder != Path(os.path.abspath(target)) and not folder.is_dir():
        return f"{folder.name} is a file, not a folder"
    return said


def listed_names(names: list[str], width: int = 120) -> str:
    """Whole names while they fit `width` characters, then how many more (QA: cut mid-name, "2.p…els",
    "model…er.json")."""
    shown: list[str] = []
    for name in names:
        if shown and len(", ".join([*shown, name])) > width:
            break
        shown.append(elide(name, width))
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def with_article(noun: str) -> str:
    """"a preset", "an image file" (lecturer QA: "not a image file")."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: str | os.PathLike[str], *, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of the regular file at `path`; UnreadableFile if it is missing, special, or over `max_bytes`."""
    target = Path(path).expanduser()
    shown = elide(target)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(target, flags)
    except FileNotFoundError:
        raise UnreadableFile(f"no {what} at {shown}: check the path") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{shown} is a folder, not {with_article(what)}: pick a file") from None
    except OSError as err:
        raise UnreadableFile(f"cannot read the {what} {shown}: {err.strerror or err}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            noun = what if what.endswith("file") else f"{what} file"  # (QA: "a folder, not a regular preset")
            raise UnreadableFile(f"{shown} is {_kind(mode)}, not {with_article(noun)}: pick a file")
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as err:
        raise UnreadableFile(f"cannot read the {what} {shown}: {err.strerror or err}") from None
    finally:
        os.close(fd)
    if total > max_bytes:
        raise UnreadableFile(f"{shown} is larger than {_size(max_bytes)}, the limit for {with_article(what)}: use a smaller one")
    return b"".join(chunks)


def read_text(path: str | os.PathLike[str], *, max_bytes: int, what: str = "file") -> str:
    """The UTF-8 text of a regular file (a leading byte-order mark is accepted and dropped), bounded as read_bytes."""
    raw = read_bytes(path, max_bytes=max_bytes, what=what)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UnreadableFile(f"{elide(Path(path).name)} is not UTF-8 text ({unreadable_byte(err)}): save it as UTF-8") from None


def unreadable_byte(err: UnicodeDecodeError) -> str:
    """Which byte a UTF-8 decoding stopped at, as a person counts (QA: "byte 3" named the 4th)."""
    return f"byte {err.start + 1:,}, counted from 1, cannot be read"


def _size(n: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"
