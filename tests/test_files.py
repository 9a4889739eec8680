"""Bounded, regular-file-only reads of a user's file (core/files.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from playground.core.files import UnreadableFile, elide, read_bytes, read_text


def test_a_regular_file_is_read_whole(tmp_path: Path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"abc" * 100)
    assert read_bytes(f, max_bytes=300) == b"abc" * 100


def test_the_cap_counts_the_bytes_read_not_the_reported_size(tmp_path: Path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"x" * 301)
    with pytest.raises(UnreadableFile, match="larger than 300 bytes"):
        read_bytes(f, max_bytes=300)
    with pytest.raises(UnreadableFile, match="the limit for an image: use a smaller one"):  # (review: "a image")
        read_bytes(f, max_bytes=300, what="image")


@pytest.mark.parametrize(("path", "kind"), [("/dev/zero", "a device"), ("/dev/null", "a device")])
def test_special_files_are_refused_by_name(path: str, kind: str):
    with pytest.raises(UnreadableFile, match=f"{path} is {kind}, not a preset file"):
        read_bytes(path, max_bytes=10, what="preset")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableFile, match=r"a pipe \(FIFO\)"):
        read_bytes(fifo, max_bytes=10)


def test_a_folder_and_a_missing_file_are_named(tmp_path: Path):
    with pytest.raises(UnreadableFile, match="is a folder"):
        read_bytes(tmp_path, max_bytes=10)
    with pytest.raises(UnreadableFile, match="is a folder, not an image file: pick a file"):  # (QA: "not a image")
        read_bytes(tmp_path, max_bytes=10, what="image")
    with pytest.raises(UnreadableFile, match="no data file at .*nothing.csv: check the path"):
        read_bytes(tmp_path / "nothing.csv", max_bytes=10, what="data file")


def test_text_accepts_a_byte_order_mark_and_refuses_other_encodings(tmp_path: Path):
    f = tmp_path / "bom.json"
    f.write_bytes(b"\xef\xbb\xbf{}")
    assert read_text(f, max_bytes=10) == "{}"
    f.write_bytes("é".encode("latin-1"))
    with pytest.raises(UnreadableFile, match="not UTF-8 text"):
        read_text(f, max_bytes=10)


def test_elide_keeps_both_ends_within_the_width():
    long = "start-" + "x" * 10_000 + "-end"
    short = elide(long, 40)
    assert len(short) == 40 and short.startswith("start-") and short.endswith("-end") and "…" in short
    assert elide("a\nb   c") == "a b c"


# ----- atomic writes (core/atomic.py) ------------------------------------------------------------------------
def test_an_atomic_write_gives_a_new_file_the_umasks_mode_and_keeps_a_replaced_ones(tmp_path: Path):
    from playground.core.atomic import atomic_write_bytes, atomic_write_text

    old = os.umask(0o027)  # neither tempfile's 0o600 nor the usual 0o644: the umask itself must show
    try:
        atomic_write_text(tmp_path / "new.py", "print(1)\n")
    finally:
        os.umask(old)
    assert (tmp_path / "new.py").stat().st_mode & 0o777 == 0o640

    kept = tmp_path / "kept.sh"
    kept.write_text("old")
    kept.chmod(0o754)  # the user made it executable and group-readable
    atomic_write_bytes(kept, b"new")
    assert kept.read_bytes() == b"new" and kept.stat().st_mode & 0o777 == 0o754
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.sh", "new.py"]  # no temporary left


def test_a_retrain_command_is_quoted_for_a_shell_and_read_back_for_the_window():
    """Review: a path with spaces was cut at its first space, and the window kept the command line's wording."""
    from playground.core.messages import in_window_words, retrain_command

    command = retrain_command("/home/Jo Smith/My Runs/r1/preset.json")
    assert command == "playground train '/home/Jo Smith/My Runs/r1/preset.json' --out NEW_FOLDER"
    assert in_window_words(f"it is damaged; train again: {command}") == (
        "it is damaged; train again: open /home/Jo Smith/My Runs/r1/preset.json (File > Open Preset…) and press Play")
