"""What every command that writes a file shares: one-line refusals (CliError), never replacing a user's file
unasked (--overwrite), and an OS failure said as the path the user gave (imported by cli.py and the commands'
own modules, so none of them imports another)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

OVERWRITE_HINT = "add --overwrite to replace it, or choose another --out"
EXIT_INTERRUPTED = 130  # the shell's status for a process ended by Ctrl-C


class CliError(Exception):
    """An expected failure: printed as one line; `problems`, a run description's, listed below it where it counts
    them (as a SpecError's)."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


def out_path(text: str) -> Path:
    """--out's value: an empty one is refused, not taken as the working folder (QA: `--out ""` wrote there)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("it is empty: give a file or folder name")
    return Path(text)


def add_overwrite_argument(parser: argparse.ArgumentParser) -> None:
    """The --overwrite flag of a command that writes --out."""
    parser.add_argument("--overwrite", action="store_true",
                        help="write over the file (or into the non-empty folder) --out names; without it an "
                             "existing one is refused")


# ----- writing what the user asked for ----------------------------------------------------------------
def check_new_output(path: Path, overwrite: bool, option: str = "--out") -> None:
    """Refuse an --out (or `option`) that is an existing file, or a folder already holding files, unless
    `overwrite`: no command replaces a user's file without being asked to."""
    if overwrite or not os.path.lexists(path):
        return
    from playground.core.files import elide, listed_names

    hint = OVERWRITE_HINT.replace("--out", option)  # (review: bench --json was told to choose another --out)
    if path.is_dir() and not path.is_symlink():
        names = sorted(entry.name for entry in path.iterdir())
        if names:
            raise CliError(f"the folder {elide(path)} already holds files ({listed_names(names, 60)}): "
                           f"{hint.replace('replace it', 'write into it')}")
        return
    raise CliError(f"{elide(path)} already exists: {hint}")


def check_can_write_file(path: Path) -> None:
    """Make and delete a temporary file beside `path` (named as core/atomic.py names one), or in its nearest
    existing folder when the save will make the missing ones: the only sure test that the file can be written
    later, where os.access is fooled (root on /proc). Raises OSError; callers wrap it in `writing`."""
    import tempfile

    from playground.core.files import existing_ancestor

    folder = existing_ancestor(Path(os.path.abspath(path)).parent)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".tmp"):
        pass


def check_not_in_run(folder: Path, example: str) -> None:
    """Refuse to export into a checkpoint folder, even with --overwrite: its next save deletes the other
    weights files there; or into a run folder, whose files the export's would stand among, outliving a run trained
    there again with --overwrite (newcomer QA: a 5-step run beside the export of an earlier run's step 310).
    `example`: an --out to suggest instead."""
    from playground.core.files import elide
    from playground.training.runs import STATE_FILE, is_run_dir

    if (folder / STATE_FILE).exists():
        raise CliError(f"{elide(folder)} is a checkpoint folder, whose next save deletes other files' weights: "
                       f"choose another --out")
    if is_run_dir(folder):
        raise CliError(f"{elide(folder)} is a run folder: export into a place of its own, e.g. --out {elide(example)}")


@contextmanager
def writing(path: Path, option: str = "--out") -> Iterator[None]:
    """Turn an OSError while making `path` into one line that names it (never a temporary file written beside
    it) and the option to change."""
    try:
        yield
    except OSError as err:
        from playground.core.files import elide, why_not_written

        raise CliError(f"cannot write {elide(path)}: {why_not_written(path, err)}; choose another {option}") from None
