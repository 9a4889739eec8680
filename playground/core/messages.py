"""Any failure as the one line a user sees: short, no class names, no traceback."""

from __future__ import annotations

import errno
import os
import re
import shlex

from playground.core.files import elide

MAX_LINE = 300  # characters of an error line, the longest a user reads in one go
EXPECTED: tuple[type[BaseException], ...] = (ValueError, OSError)  # the project's errors are ValueErrors
MAX_PROBLEMS = 3  # problems named in one message; the rest are counted
MAX_EXPLAINED = 200  # characters of problems, leaving room in a 300-character line for the file's name


def one_line(err: BaseException, expected: tuple[type[BaseException], ...] = EXPECTED, width: int = MAX_LINE) -> str:
    """`err` as one line of at most `width` characters; an unexpected error says how to see its traceback."""
    text = " ".join(str(err).split())
    if isinstance(err, MemoryError):
        text = "out of memory: use a smaller model, batch size or data file"
    elif isinstance(err, RecursionError):
        text = "the input is nested too deeply: use plain settings, lists and objects a few levels deep"
    elif isinstance(err, OSError) and err.errno == errno.ENAMETOOLONG:
        text = _name_too_long(err)
    elif not isinstance(err, expected):
        detail = elide(text, width - 110) + ": " if text else ""
        text = f"unexpected problem: {detail}please report it (set PLAYGROUND_DEBUG=1 to see where it happened)"
    return elide(text or "something went wrong with no explanation: set PLAYGROUND_DEBUG=1 to see where", width)


NAME_BYTES = 255  # the longest name of a file or folder most file systems take


def _name_too_long(err: OSError) -> str:
    """A name the file system refuses as too long, said by its own part (newcomer QA: "[Errno 36] File name too long:"
    and a 300-character path, inside the package's presets folder where a preset was looked for): the first part of
    the path over NAME_BYTES, else the path as a whole (review: a long folder's was said of the file in it)."""
    path = os.fsdecode(err.filename) if err.filename else ""
    long = next((part for part in path.split(os.sep) if len(os.fsencode(part)) > NAME_BYTES), None)
    if long is None:
        shown = f"the path {elide(path, 60)}" if path else "a name"
        return f"{shown} is too long for the file system: use a shorter one"
    return (f"the name {elide(long, 60)} is too long for the file system (most allow {NAME_BYTES} bytes a name): use "
            f"a shorter one")


def cut_at_word(text: str, width: int) -> str:
    """`text` whole where it has at most `width` characters, else cut at its last space within them, with "…" (after
    a space where the cut follows a sentence's end: "quotes.…" read as a typo)."""
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    head = text[:cut if cut > 0 else width].rstrip(",;:")  # (no space: a long word or address)
    return head + (" …" if head.endswith((".", "?", "!")) else "…")


def loss_text(loss: float) -> str:
    """A loss as the app prints it: four decimals, or two significant digits below 0.001, where four decimals read
    0.0000 for runs trained to 1.6e-06 and 4.1e-08 alike (QA, the Runs tab)."""
    return f"{loss:.2g}" if 0 < abs(loss) < 1e-3 else f"{loss:.4f}"


def counted(n: int, noun: str) -> str:
    """'1 layer', '2 layers', '1,024 characters' (QA: "1 characters", "1 layers")."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def one_line_of(problems: list[str]) -> str:
    """The first of `problems` (up to MAX_PROBLEMS, within MAX_EXPLAINED characters) in one line, the rest counted."""
    lines = problems[:1]
    for line in problems[1:MAX_PROBLEMS]:
        if len("; ".join(lines)) + len(line) > MAX_EXPLAINED:
            break
        lines.append(line)
    if len(problems) > len(lines):
        lines.append(f"and {counted(len(problems) - len(lines), 'more problem')}")
    return "; ".join(lines)


def counted_not_named(problems: list[str], message: str) -> list[str]:
    """The `problems` that `message` (an `one_line_of` line, perhaps elided) counts rather than names."""
    return [problem for problem in problems if problem not in message]


def retrain_command(preset: str) -> str:
    """The command that trains a run again from its `preset` file, quoted for a shell (a path may hold spaces)."""
    return f"playground train {shlex.quote(preset)} --out NEW_FOLDER"


_RETRAIN = re.compile(r"playground train ('[^']*'|\S+) --out NEW_FOLDER")


def in_window_words(message: str) -> str:
    """`message` with `retrain_command`'s command as the window does it (QA: a Resume in the Runs tab told a window
    user to run `playground train … --out NEW_FOLDER`)."""
    return _RETRAIN.sub(lambda found: f"open {_shell_word(found[1])} (File > Open Preset…) and press Play", message)


def _shell_word(path: str) -> str:
    try:
        return shlex.split(path)[0]
    except (ValueError, IndexError):  # a quote the line's length cut open (review)
        return path.strip("'")
