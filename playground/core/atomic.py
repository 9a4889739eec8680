"""Atomic file writes: a crash or a closed laptop lid mid-save leaves the previous file intact.

A new file gets the permissions any program's new file gets (0o666 less the umask), a replaced file keeps the ones it
had: tempfile's private 0o600 would hide an exported script or page from the user's other accounts and tools.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_beside(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        replace_keeping_mode(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_file(path: str | os.PathLike[str], write: Callable[[Path], object]) -> None:
    """As `atomic_write_bytes`, for a writer that takes a file name (a library's save function): `write` makes the
    file it is given inside a hidden staging folder beside `path` (named as a temporary file is: a kill leaves it to
    the run folder's clean-up, and safetensors' own temporary inside it too), then it is flushed and renamed over
    `path` with the permissions any new file gets."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        fd, probe = _create_beside(staging / target.name)
        mode = stat.S_IMODE(os.fstat(fd).st_mode)  # 0o666 less the umask, without changing the umask
        os.close(fd)
        probe.unlink()
        written = staging / target.name
        write(written)
        os.chmod(written, mode)  # (safetensors' save_file makes its file private to its owner)
        _flush_to_disk(written)
        replace_keeping_mode(written, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _flush_to_disk(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))  # (Windows flushes only a file open for writing)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def replace_keeping_mode(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Rename the finished file `source` over `target` (atomically, on the same file system); when `target` exists,
    `source` takes its permission bits first, so replacing a file does not change who may read or run it."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    if mode is not None:
        os.chmod(source, mode)
    os.replace(source, target)


def _create_beside(target: Path) -> tuple[int, Path]:
    """A new, empty hidden file in `target`'s folder, opened for writing. Created with mode 0o666 so that the
    umask applies as for any new file (reading the umask would mean changing it, for the whole process)."""
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, _FLAGS, 0o666), tmp
        except FileExistsError:  # another writer's name, by a 1 in 4 billion chance
            continue
