"""Run folders: every training run, from the window or the CLI, keeps its preset, metrics and checkpoint.

One process at a time trains in a run folder: it holds an OS lock on the folder's lock file (`lock_run_dir`),
which the OS drops when the process ends however it ends, so a crash never leaves a folder locked. Nothing
here imports torch, pydantic or filelock at load: the CLI checks a folder in a moment, and claims it before
training loads.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import shlex
import shutil
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_data_dir

from playground.core.atomic import atomic_write_text
from playground.core.files import UnreadableFile, elide, existing_ancestor, file_words, read_text
from playground.core.messages import counted, retrain_command
from playground.training.events import SAMPLE_TEMPERATURE, Event, MetricsEvent, SampleEvent

if TYPE_CHECKING:
    from filelock import BaseFileLock

    from playground.core.spec import RunSpec

METRICS_FILE = "metrics.csv"
PRESET_FILE = "preset.json"
RUN_FILE = "run.json"
CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "state.json"  # the checkpoint's commit point (checkpoint.py)
LOCK_FILE = ".lock"
# What a run writes in its folder (besides the lock): --overwrite removes these and nothing else, so a user's
# own notes or plots kept beside a run stay.
SAMPLES_FILE = "samples.jsonl"  # the decoder's samples, one JSON object a line: shown again when the run comes back
RUN_ENTRIES = frozenset({PRESET_FILE, RUN_FILE, METRICS_FILE, SAMPLES_FILE, CHECKPOINT_DIR, "attention", "changes.json",
                         "cluster-preset.json"})
MAX_INFO_BYTES = 1_000_000  # run.json and preset.json are a few kB
MAX_SAMPLES_BYTES = 50_000_000  # a sample is a few hundred characters, one every 250 steps by default
MAX_METRICS_BYTES = 500_000_000  # a row is ~60 bytes: millions of steps
TEMPORARY_PATTERN = ".*.tmp"  # what core/atomic.py names a file while it is written; a kill can leave one
TENSORBOARD_PATTERN = "events.out.tfevents.*"
RUN_ENTRY_PATTERNS = (TENSORBOARD_PATTERN, TEMPORARY_PATTERN)  # TensorBoard's events, a killed save's leftovers
RUNS_ENV = "PLAYGROUND_RUNS_DIR"  # a runs folder to use instead of the user's data folder (tests set it)
METRIC_COLUMNS = ("step", "train_loss", "val_loss", "val_accuracy", "lr", "throughput", "elapsed_s")


class RunsError(ValueError):
    """A run management request that was refused; `str()` says why."""


def default_runs_dir() -> Path:
    env = os.environ.get(RUNS_ENV)
    if env:
        return Path(env)
    return Path(user_data_dir("transformer-playground", appauthor=False)) / "runs"


def new_run_dir(runs_root: Path, spec: RunSpec) -> Path:
    """A fresh, uniquely named folder `YYYYmmdd-HHMMSS-<preset name>` holding the preset."""
    slug = file_words(spec.name)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    check_can_create(runs_root, "the runs folder")
    for suffix in range(1, 10_000):
        folder = runs_root / (f"{stamp}-{slug}" if suffix == 1 else f"{stamp}-{slug}-{suffix}")
        try:
            folder.mkdir(parents=True)  # not exist_ok: of two processes starting this second, each gets its own
        except FileExistsError:
            continue
        prepare_run_dir(folder, spec)
        return folder
    raise RunsError(f"{elide(runs_root)} already holds 10,000 runs named {stamp}-{slug}: choose another folder")


def prepare_run_dir(folder: Path, spec: RunSpec) -> None:
    from playground.core.presets import to_json  # pydantic: loaded when a run starts, not to check a folder

    folder.mkdir(parents=True, exist_ok=True)
    text = to_json(spec)
    atomic_write_text(folder / PRESET_FILE, text)
    family = family_shown(spec.model.family, spec.model.pretrained)
    write_run_info(folder, {"name": spec.name, "family": family, "created": time.time(), "preset_sha256": _digest(text)})


def preset_edited(folder: Path) -> bool:
    """Whether the run folder's preset.json was changed since the run wrote it: a resume trains on with the
    checkpoint's settings, so a user who edited the file must be told that the edits do not apply."""
    from playground.core.presets import PresetError, load_preset, to_json

    written = read_run_info(folder).get("preset_sha256")
    if not isinstance(written, str) or not (folder / PRESET_FILE).exists():
        return False  # a run folder from before the digest was kept, or no file to edit: nothing to compare
    try:  # untouched (the bytes as written, by this version or an older one), or the same settings after an
        # editor's reindent or newline
        raw = read_text(folder / PRESET_FILE, max_bytes=MAX_INFO_BYTES, what="preset")
        return _digest(raw) != written and _digest(to_json(load_preset(folder / PRESET_FILE))) != written
    except (PresetError, UnreadableFile):
        return True  # edited into a file that no longer reads as a preset


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def family_shown(family: str, pretrained: str | None) -> str:
    """The family as the runs list shows it: a fine-tuned packaged model is not a scratch encoder."""
    return f"pretrained {pretrained}" if pretrained else family


_RUN_INFO = threading.Lock()  # one read-and-write of a run.json at a time: the window renames a run on its GUI thread
# while the run's own thread writes its step as it stops (the rename's copy lost the step, seen in a test)


def write_run_info(folder: Path, updates: dict[str, Any]) -> None:
    with _RUN_INFO:
        info = read_run_info(folder)
        if "name" not in info and "name" not in updates:  # a damaged run.json: what the folder still says, kept
            info = {**_told_by_folder(folder), **info}  # (QA: a resume wrote {"step", "status"} alone, the name lost)
        info.update(updates)
        atomic_write_text(folder / RUN_FILE, json.dumps(info, indent=1))


def _written_at(path: Path, otherwise: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return otherwise.stat().st_mtime


def _told_by_folder(folder: Path) -> dict[str, Any]:
    """A run's name, family and start as its preset.json (read once) and the folder's date tell them."""
    preset = _preset_data(folder)
    name = preset.get("name")
    # preset.json is written once, as the run starts: the folder's own date moves with every file made in it (review)
    told = {"family": _family_of(preset), "created": _written_at(folder / PRESET_FILE, folder)}
    return {**told, "name": name} if isinstance(name, str) and name.strip() else told


# ----- claiming a folder to train in ---------------------------------------------------------------------
def check_can_create(folder: Path, what: str = "the run folder") -> None:
    """Refuse at once a folder that could not be made or written: its nearest existing ancestor must be a
    folder this process may write in (a read-only disk, a missing parent under a file, no permission)."""
    ancestor = existing_ancestor(folder)
    if folder.exists() and not folder.is_dir():
        raise RunsError(f"{elide(folder)} is a file, not a folder: choose a new folder name for {what}")
    if not ancestor.is_dir():
        raise RunsError(f"cannot create {what} {elide(folder)}: {elide(ancestor)} is a file, not a folder; "
                        f"choose another path")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise RunsError(f"cannot write {what} {elide(folder)}: {elide(ancestor)} is read-only for you; "
                        f"choose a folder you can write to")


def check_output_folder(folder: Path, overwrite: bool = False) -> None:
    """Refuse, before anything heavy loads, a folder that cannot become a new run folder: a file, an unwritable
    place, a folder of other files, or an earlier run unless `overwrite` (which replaces only a run folder)."""
    check_can_create(folder)
    if not folder.is_dir():
        return
    if is_run_dir(folder):
        if not overwrite:
            raise RunsError(f"{elide(folder)} already holds a run: continue it with `playground resume`, choose "
                            f"another folder, or replace it with --overwrite")
    elif any(entry.name != LOCK_FILE for entry in _entries(folder)):
        raise RunsError(f"{elide(folder)} holds other files: a run needs a new or empty folder (--overwrite "
                        f"replaces only an earlier run folder)")


def training_now(folder: Path) -> bool:
    """Whether a process holds `folder`'s lock (`lock_run_dir`): a run training in it."""
    from filelock import FileLock, Timeout

    if not (folder / LOCK_FILE).exists():
        return False
    lock = FileLock(folder / LOCK_FILE, timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        return True
    except OSError:  # (a folder it cannot write in: no run trains there either)
        return False
    lock.release()
    return False


RESUME_READ_ONLY = "and a run saves its checkpoints in it: copy the whole folder where you can write and resume the copy"


def lock_run_dir(folder: Path, read_only: str = RESUME_READ_ONLY) -> BaseFileLock:
    """Take the run folder's lock, or refuse at once if another process (or session) trains in it, or if the folder
    is read-only for this user (`read_only` goes on to say what that means for the lock's purpose).

    Release it with `.release()`; the OS releases it too when the process ends, however it ends."""
    from filelock import FileLock, Timeout

    # (QA: "Permission denied: …tmp" mid-resume; a read-only checkpoint folder let a resume train, then not save)
    if any(part.is_dir() and not os.access(part, os.W_OK | os.X_OK) for part in (folder, folder / CHECKPOINT_DIR)):
        raise RunsError(f"the run folder {elide(folder)} is read-only for you, {read_only}")
    lock = FileLock(folder / LOCK_FILE, timeout=0, thread_local=False)  # any thread may release it
    try:
        lock.acquire()
    except Timeout:
        raise RunsError(f"{elide(folder)} is in use: a playground run is training in it now; wait for it to "
                        f"finish, or choose another folder") from None
    except OSError as err:
        raise RunsError(f"cannot lock the run folder {elide(folder)}: {err.strerror or err}; choose a folder "
                        f"you can write to") from None
    return lock


def claim_run_dir(folder: Path, spec: RunSpec, overwrite: bool = False) -> tuple[BaseFileLock, bool]:
    """Make `folder` this process's new run folder and return its lock, held, and whether an earlier run there is
    still to be replaced: refused (RunsError) when it is in use or already holds a run, unless `overwrite`. The
    earlier run is left as it is until `replace_earlier_run`, once the new run is built: a typo in the data, found
    as it loads, would otherwise have cost the earlier run for nothing."""
    check_output_folder(folder, overwrite)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunsError(f"cannot create the run folder {elide(folder)}: {err.strerror or err}; choose another "
                        f"folder") from None
    lock = lock_run_dir(folder)
    try:
        check_output_folder(folder, overwrite)  # again under the lock: another process may have just finished
        replacing = overwrite and is_run_dir(folder)
        if not replacing:
            prepare_run_dir(folder, spec)
    except BaseException:
        lock.release()
        raise
    return lock, replacing


def replace_earlier_run(folder: Path, spec: RunSpec) -> None:
    """--overwrite, the new run built: the earlier run's own files go and the new run's record is written, a user's
    other files staying. Under the folder's lock."""
    remove_run_entries(folder)
    prepare_run_dir(folder, spec)


def remove_temporaries(folder: Path) -> None:
    """Delete what a killed save left in `folder` and its sub-folders: files and staging folders named as
    core/atomic.py names them while writing. Only for a folder whose lock this process holds (no one else is
    writing there)."""
    for pattern in (TEMPORARY_PATTERN, f"*/{TEMPORARY_PATTERN}"):
        for path in folder.glob(pattern):
            if path.is_file() or path.is_symlink():
                path.unlink(missing_ok=True)
            elif path.is_dir():
                shutil.rmtree(path, ignore_errors=True)


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError as err:
        raise RunsError(f"cannot read the folder {elide(folder)}: {err.strerror or err}") from None


def is_run_entry(path: Path) -> bool:
    """Whether `path`, an entry of a run folder, is something a run wrote there (not the lock, not the user's)."""
    return path.name in RUN_ENTRIES or any(path.match(pattern) for pattern in RUN_ENTRY_PATTERNS)


def remove_run_entries(folder: Path) -> None:
    """Delete what a run wrote in `folder`, keeping the lock and the user's files. Only under the folder's lock."""
    for entry in _entries(folder):
        if is_run_entry(entry):
            _remove(entry)


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry)
    else:
        entry.unlink(missing_ok=True)


def checkpoint_folder(path: Path) -> Path:
    """The checkpoint folder of the run folder `path` (or `path` itself, a checkpoint folder), found without
    loading anything: a missing folder or checkpoint is refused at once with what to do."""
    shown = elide(path)
    if not path.exists():
        raise RunsError(f"no run folder at {shown}: check the path (`playground runs FOLDER` lists the runs in "
                        f"a folder)")
    if not path.is_dir():
        raise RunsError(f"{shown} is a file, not a run folder: give the folder `playground train --out` wrote")
    for folder in (path / CHECKPOINT_DIR, path):
        if os.path.lexists(folder / STATE_FILE):
            return folder
    if not is_run_dir(path):
        raise RunsError(f"{shown} is not a run folder (it has no {CHECKPOINT_DIR}/{STATE_FILE}): give a folder "
                        f"written by `playground train`")
    if read_run_info(path).get("status") == "diverged":
        raise RunsError(f"{shown} has no checkpoint: the run diverged before its first good one; train it again "
                        f"with a lower learning rate")
    if training_now(path):  # (QA: told to `train … --overwrite`, which is refused while it trains)
        raise RunsError(f"{shown} is training now and has saved no checkpoint yet: it saves one every "
                        f"train.checkpoint_interval steps and when it stops; try again then")
    saved = path / CHECKPOINT_DIR
    if saved.is_dir() and any(saved.iterdir()):  # (CLI QA: its weights there, it was told to --overwrite them)
        raise RunsError(f"{shown}'s checkpoint is damaged: {CHECKPOINT_DIR}/{STATE_FILE} is missing; train it again "
                        f"into a new folder: {retrain_command(elide(path / PRESET_FILE, 90))}")
    again = (f"playground train {shlex.quote(elide(path / PRESET_FILE, 70))} --out {shlex.quote(elide(path, 60))} "
             f"--overwrite")
    raise RunsError(f"{shown} has no checkpoint yet: a run saves one every train.checkpoint_interval steps and when "
                    f"it stops (one still training has it soon); to start it again, {again}")


def read_run_info(folder: Path) -> dict[str, Any]:
    try:
        info = json.loads(read_text(folder / RUN_FILE, max_bytes=MAX_INFO_BYTES, what="run description"))
    except (UnreadableFile, json.JSONDecodeError, RecursionError):
        return {}
    return info if isinstance(info, dict) else {}


class MetricsLog:
    """Appends one CSV row per step; on resume, rows past the checkpoint's step are dropped first."""

    def __init__(self, folder: Path, resume_from_step: int | None = None) -> None:
        self.path = folder / METRICS_FILE
        # On resume, the losses the file lacks, said: deleted or cut short, the curve went on without them unsaid (QA)
        self.note = ""
        if resume_from_step is not None and self.path.exists():
            self.note = self._truncate_after(resume_from_step)
        elif resume_from_step:
            self.note = (f"{METRICS_FILE} was missing: the loss curve goes on from step {resume_from_step + 1:,} without "
                         f"the losses of steps 1-{resume_from_step:,}")
        fresh = not self.path.exists() or resume_from_step is None
        try:
            self._handle = open(self.path, "w" if fresh else "a", newline="", encoding="utf-8")
        except OSError as err:  # (QA: a read-only metrics.csv ended a resume with Python's "[Errno 13] …")
            raise RunsError(f"cannot write {elide(self.path)} ({err.strerror or err}), where the run's losses are "
                            f"kept as it trains: make it writable, or copy the run folder where you can write and "
                            f"resume the copy") from None
        self._writer = csv.writer(self._handle, lineterminator="\n")  # as `_truncate_after` writes (QA: mixed)
        if fresh:
            self._writer.writerow(METRIC_COLUMNS)

    def __call__(self, event: Event) -> None:
        if not isinstance(event, MetricsEvent):
            return
        self._writer.writerow([_cell(getattr(event, column)) for column in METRIC_COLUMNS])
        if event.val_loss is not None:
            self._handle.flush()

    def flush(self) -> None:
        """Put the buffered rows on disk (rows of steps without an evaluation are otherwise only buffered)."""
        if not self._handle.closed:
            self._handle.flush()

    def close(self) -> None:
        self._handle.close()

    def _truncate_after(self, step: int) -> str:
        """Drop the rows of steps past `step` (trained after the checkpoint resumed from). A file with none is left as
        it is, and a column of the user's is kept (QA: opening a finished run rewrote a spreadsheet's save of the file
        to its header alone, and dropped a column added to it). Returns what the rows up to `step` lack, said."""
        try:
            rows = read_metrics(self.path.parent)
        except UnreadableFile:
            raise RunsError(f"{elide(self.path)} cannot be read: move it out of the run folder and resume again (a "
                            f"new one is started; the checkpoint does not need it)") from None
        lacks = _lacking(sorted({int(row["step"]) for row in rows if 1 <= int(row["step"]) <= step}), step)
        if all(int(row["step"]) <= step for row in rows) and self._takes_rows_as_written():
            return lacks
        extra = [c for c in (rows[0] if rows else {}) if c and c not in METRIC_COLUMNS]
        columns = [*METRIC_COLUMNS, *extra]  # ours first: the rows appended after them hold ours alone
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([row.get(column) or "" for column in columns] for row in rows if int(row["step"]) <= step)
        atomic_write_text(self.path, text.getvalue())
        return lacks


    def _takes_rows_as_written(self) -> bool:
        """Whether rows appended as this log writes them read right: the file's columns begin with ours, in our order,
        and its last row ends its line (review: a spreadsheet's save without a last newline joined the next row to
        it, and a column of the user's among ours took the next rows' losses)."""
        data = self.path.read_bytes()
        header = data.decode("utf-8-sig", errors="replace").splitlines()[0] if data else ""
        columns = [name.strip().lower() for name in header.split(",")]
        return data.endswith(b"\n") and columns[:len(METRIC_COLUMNS)] == list(METRIC_COLUMNS)


class SamplesLog:
    """Appends each sample a run draws to its samples file (made at the first); on resume, those past the checkpoint's
    step are dropped first, and a new run in the folder starts it again."""

    def __init__(self, folder: Path, resume_from_step: int | None = None) -> None:
        self.path = folder / SAMPLES_FILE
        if self.path.exists():
            kept = [] if resume_from_step is None else [e for e in read_samples(folder) if e.step <= resume_from_step]
            atomic_write_text(self.path, "".join(_sample_line(e) for e in kept))

    def __call__(self, event: Event) -> None:
        if isinstance(event, SampleEvent):
            with open(self.path, "a", encoding="utf-8") as handle:  # a few a run: opened for each
                handle.write(_sample_line(event))


def _sample_line(event: SampleEvent) -> str:
    return json.dumps({"step": event.step, "prompt": event.prompt, "text": event.text,
                       "temperature": event.temperature}, ensure_ascii=False) + "\n"


def read_samples(folder: Path) -> list[SampleEvent]:
    """The samples a run in `folder` recorded, oldest first; a damaged line (a killed write) is left out."""
    try:
        lines = read_text(folder / SAMPLES_FILE, max_bytes=MAX_SAMPLES_BYTES, what="samples file").splitlines()
    except UnreadableFile:
        return []
    samples = []
    for line in lines:
        try:
            item = json.loads(line)
            samples.append(SampleEvent(int(item["step"]), str(item["prompt"]), str(item["text"]),
                                       float(item.get("temperature", SAMPLE_TEMPERATURE))))  # (older runs': none)
        except (ValueError, TypeError, KeyError):
            continue
    return samples


def read_metrics(folder: Path) -> list[dict[str, str]]:
    """Every row `iter_metrics` gives, oldest first."""
    return list(iter_metrics(folder))


def _lacking(have: list[int], step: int) -> str:
    """What a metrics file with the losses of the steps `have` (sorted, within 1..`step`) lacks up to `step`, said;
    "" when nothing. A file begun after step 1 (a resume whose file had gone) is no damage: it starts later."""
    if step < 1:  # (a resume at step 0 lacks nothing: re-read, "no losses of steps 1-0")
        return ""
    if not have:
        return f"{METRICS_FILE} holds no losses of steps 1-{step:,}: the loss curve goes on from step {step + 1:,} alone"
    gaps = step - len(have) - (have[0] - 1)
    if gaps:
        first = next(s for s, t in zip(have, have[1:] + [step + 1]) if t != s + 1) + 1
        return (f"{METRICS_FILE} has no losses for {counted(gaps, 'step')} of steps {have[0]:,}-{step:,} (from step "
                f"{first:,}; damaged?): the loss curve has a gap there")
    if have[0] > 1:
        return f"{METRICS_FILE} starts at step {have[0]:,}: the losses of steps 1-{have[0] - 1:,} are not in it"
    return ""


def iter_metrics(folder: Path) -> Iterator[dict[str, str]]:
    """The rows of a run's metrics.csv whose step is a whole number, read as they come: a damaged file's garbled rows
    are left out and its undecodable bytes read as U+FFFD (QA: one bad byte hid every run from the Runs tab and
    from `playground runs`). UnreadableFile where it cannot be read at all (missing, not a regular file, too large),
    raised as the rows are asked for."""
    path = folder / METRICS_FILE
    try:
        info = path.stat()
    except OSError as err:
        raise _unreadable_metrics(path, err) from None
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"{elide(path)} is not a regular file")
    if info.st_size > MAX_METRICS_BYTES:
        raise UnreadableFile(f"{elide(path)} is larger than {MAX_METRICS_BYTES:,} bytes")
    try:
        # utf-8-sig: a spreadsheet's "CSV UTF-8" begins with a byte-order mark, which made the first column "\ufeffstep"
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None:  # a run just made, its header not written yet: no rows (the writer's header
                return  # arriving before the next read made DictReader raise TypeError, in a full test run)
            reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]  # ("Step", as a spreadsheet may)
            for row in reader:
                # ASCII digits, 18 at most: str.isdigit() takes "²", and int() refuses 4,301 digits (review)
                if re.fullmatch(r"[0-9]{1,18}", row.get("step") or ""):
                    yield row
    except csv.Error as err:
        raise UnreadableFile(f"{elide(path)} is damaged ({err}): move it out of the run folder (the run's "
                             f"checkpoint does not need it)") from None
    except OSError as err:  # (one the user may not read: the Runs tab must still list the others, review)
        raise _unreadable_metrics(path, err) from None


def _unreadable_metrics(path: Path, err: OSError) -> UnreadableFile:
    return UnreadableFile(f"cannot read the metrics file {elide(path)}: {err.strerror or err}")


def _cell(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else f"{value:.6g}"


# ----- managing past runs -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSummary:
    """One past run, as the runs list shows it."""

    folder: Path
    name: str
    family: str
    steps: int
    val_loss: float | None  # the last validation loss logged, None before the first evaluation
    created: float  # seconds since the epoch
    status: str  # "saved", "diverged", "stopped" (mid-step, its last checkpoint kept), "" (running, or killed)
    has_checkpoint: bool


def is_run_dir(folder: Path) -> bool:
    return folder.is_dir() and ((folder / RUN_FILE).is_file() or (folder / PRESET_FILE).is_file())


def summarize_run(folder: Path) -> RunSummary:
    info = read_run_info(folder)
    steps, val_loss = _last_metrics(folder)
    created = info.get("created")
    if not isinstance(created, (int, float)):
        created = folder.stat().st_mtime
    return RunSummary(
        folder=folder,
        name=str(info.get("name") or folder.name),
        family=str(info.get("family") or _family_of(_preset_data(folder))),
        steps=int(info["step"]) if isinstance(info.get("step"), int) else steps,
        val_loss=val_loss,
        created=float(created),
        status=str(info.get("status", "")),
        has_checkpoint=has_checkpoint(folder),
    )


def has_checkpoint(folder: Path) -> bool:
    """Whether the run in `folder` holds a checkpoint to resume, sample or export (its commit point written)."""
    return (folder / CHECKPOINT_DIR / STATE_FILE).is_file()


def saved_step(folder: Path) -> int | None:
    """The step the run in `folder` last saved: its run.json's, or where that is gone or damaged, its checkpoint's (QA:
    a finished run opened at "step 0 / 60 … press Play to continue", and Play said it was finished)."""
    from playground.training.checkpoint_state import read_state

    step = read_run_info(folder).get("step")
    if isinstance(step, int):
        return step
    try:
        return int(read_state(folder / CHECKPOINT_DIR)["step"])
    except (ValueError, OSError):
        return None


def list_runs(root: Path | None = None) -> list[RunSummary]:
    """Every run folder directly inside `root` (default: the runs directory), newest first; links are skipped."""
    root = Path(root) if root is not None else default_runs_dir()
    if not root.is_dir():
        return []
    runs = [summarize_run(c) for c in root.iterdir() if is_run_dir(c) and not c.is_symlink()]
    return sorted(runs, key=lambda r: (r.created, r.folder.name), reverse=True)


MAX_RUN_NAME = 120  # characters


def run_name_problem(name: str) -> str:
    """Why `name` (stripped) cannot name a run, or "" where it can."""
    name = name.strip()
    if not name:
        return "a run needs a name: type at least one character"
    if len(name) > MAX_RUN_NAME:
        return f"a run name has at most {MAX_RUN_NAME} characters, this one has {len(name)}"
    return ""


def rename_run(folder: Path, new_name: str) -> RunSummary:
    """Change the run's display name (run.json); the folder keeps its name so paths stay valid."""
    folder = Path(folder)
    name = new_name.strip()
    problem = run_name_problem(name)
    if problem:
        raise RunsError(problem)
    if not is_run_dir(folder):
        raise RunsError(f"{folder} is not a run folder (it has no {RUN_FILE} or {PRESET_FILE})")
    try:
        write_run_info(folder, {"name": name})
    except OSError as err:  # (QA: a read-only run's rename raised in the window, unsaid)
        raise RunsError(f"cannot rename the run: its name is kept in {elide(folder / RUN_FILE)}, which cannot be "
                        f"written ({err.strerror or err})") from None
    return summarize_run(folder)


def discard_untrained_run(folder: Path, root: Path | None = None) -> bool:
    """Delete a run folder that holds only what a new run writes before its first step (its settings, an empty
    metrics file, TensorBoard's first event file, the lock); True when deleted. A folder holding anything else (a
    checkpoint, a cluster command's preset, a user's file) is kept."""
    fresh = {PRESET_FILE, RUN_FILE, METRICS_FILE, SAMPLES_FILE, LOCK_FILE}
    try:
        if any(e.name not in fresh and not e.match(TENSORBOARD_PATTERN) for e in Path(folder).iterdir()):
            return False
        delete_run(folder, root)
    except (OSError, RunsError):
        return False  # gone already, or another process holds it: an empty run stays listed, nothing is lost
    return True


def delete_run(folder: Path, root: Path | None = None) -> None:
    """Delete a run folder, but only a run folder strictly inside the runs directory `root`."""
    if Path(folder).is_symlink():
        raise RunsError(f"refusing to delete {folder}: it is a link, not a run folder")
    root = (Path(root) if root is not None else default_runs_dir()).resolve()
    target = Path(folder).resolve()
    if target == root or root not in target.parents:
        raise RunsError(f"refusing to delete {folder}: only run folders inside the runs directory {root} are deleted")
    if not is_run_dir(target):
        raise RunsError(f"refusing to delete {folder}: it is not a run folder (no {RUN_FILE} or {PRESET_FILE})")
    lock = lock_run_dir(target, "so it cannot be deleted from here")  # never delete a run that is training
    try:
        shutil.rmtree(target)
    finally:
        lock.release()


def _last_metrics(folder: Path) -> tuple[int, float | None]:
    steps = 0
    val_loss = None
    try:
        for row in iter_metrics(folder):  # row by row: the Runs tab reads every run's (review)
            steps = int(row["step"])
            try:
                value = float(row.get("val_loss") or "nan")
            except ValueError:
                continue
            val_loss = value if math.isfinite(value) else val_loss
    except UnreadableFile:
        return 0, None
    return steps, val_loss


def _preset_data(folder: Path) -> dict[str, Any]:
    """The run's preset.json as plain JSON ({} where it cannot be read as an object)."""
    try:
        data = json.loads(read_text(folder / PRESET_FILE, max_bytes=MAX_INFO_BYTES, what="preset"))
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _family_of(preset: dict[str, Any]) -> str:
    try:
        model = preset["model"]
        return family_shown(str(model["family"]), model.get("pretrained"))
    except (KeyError, TypeError, AttributeError):
        return "?"
