"""Training settings changed mid-run (issue 24): which ones may change, the record of a change, and the run
folder's changes.json, from which `resume` replays them.

A change takes effect between two steps: `SettingChange.step` steps were trained before it, so step `step + 1`
is the first trained with the new value. The learning rate's value is the schedule's peak: a change rescales
the warm-up and cosine schedule from that step on, so the rate at any later step is new peak x the schedule's
factor there (`TrainingSession.lr_at`). The training steps are only raised, and the schedule keeps its end: the
run goes on past it at the final learning rate.

Torch-free and Qt-free: the window reads a past run's changes to draw its markers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playground.core.atomic import atomic_write_text
from playground.core.differences import short_number
from playground.core.files import UnreadableFile, elide, read_text
from playground.core.spec import MAX_STEPS

if TYPE_CHECKING:
    from playground.core.spec import RunSpec

CHANGES_FILE = "changes.json"
MAX_CHANGES_BYTES = 1_000_000  # a change is about 60 bytes
DELETE_FIX = "delete it to resume without the changes after the checkpoint"
MAX_VALUE = 65536  # no live setting but the training steps goes higher (TrainSpec's batch size limit)
# The settings a run can change without a reset, and the short name a marker on the loss curve gives each.
LIVE_SETTINGS = {
    "train.lr": "lr",
    "model.dropout": "dropout",
    "train.weight_decay": "weight decay",
    "train.batch_size": "batch",
    "train.grad_clip": "clip",
    "train.max_steps": "steps",  # raised only: the run goes on past its end (`TrainingSession.extend`)
}


class ChangesError(ValueError):
    """A changes record that cannot be used; `str()` names the file and the fix."""


@dataclass(frozen=True)
class SettingChange:
    """`key` went from `old` to `new` after `step` steps (the learning rate's values are the schedule's peak)."""

    step: int
    key: str
    old: float
    new: float

    @property
    def label(self) -> str:
        """The loss curve's marker text, e.g. "lr 3e-3→1e-3"."""
        return f"{LIVE_SETTINGS[self.key]} {short_number(self.old)}→{short_number(self.new)}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def setting(spec: RunSpec, key: str) -> Any:
    """The value of the dotted setting `key` ("train.lr"), or of a top-level one ("name"), in `spec`."""
    if "." not in key:
        return getattr(spec, key)
    section, name = key.split(".")
    return getattr(getattr(spec, section), name)


def spec_after(spec: RunSpec, changes: list[SettingChange], step: int) -> RunSpec:
    """The settings a run trains with after `step` steps: `spec` (its preset) with the changes made by then."""
    latest = {change.key: change.new for change in changes if change.step <= step}  # the last of each setting
    return spec.updated(latest) if latest else spec


def parse_changes(raw: object, source: str, fix: str) -> list[SettingChange]:
    """The changes in `raw` (a JSON list), checked: a whole step >= 0, a live setting, finite numbers. A damaged
    record is refused with `source` (where it came from) and `fix` (what to do) in the message."""
    damaged = f"{source} is damaged"
    if not isinstance(raw, list):
        raise ChangesError(f"{damaged}: its changes are not a list; {fix}")
    changes = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"step", "key", "old", "new"}:
            raise ChangesError(f"{damaged}: a change {elide(repr(item), 60)} is not {{step, key, old, new}}; {fix}")
        step, key, old, new = item["step"], item["key"], item["old"], item["new"]
        steps = key == "train.max_steps"  # (whole and at least 1, as a run's training steps are)
        limit = MAX_STEPS if steps else MAX_VALUE
        if not _whole(step) or key not in LIVE_SETTINGS or not (_number(old, limit) and _number(new, limit)) or \
                steps and not (_whole(old) and _whole(new) and min(old, new) >= 1):
            raise ChangesError(f"{damaged}: the change {elide(repr(item), 40)} is not a step, a live setting "
                               f"({', '.join(LIVE_SETTINGS.values())}) and two numbers; {fix}")
        changes.append(SettingChange(step, key, old, new))
    return changes


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: object, limit: int) -> bool:
    # A setting's value is finite and at most its limit: NaN and inf fail the comparison.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) <= limit


def read_changes(run_dir: Path) -> list[SettingChange]:
    """The run folder's recorded changes, by step (none when it has no changes.json)."""
    path = Path(run_dir) / CHANGES_FILE
    if not path.exists():
        return []
    try:
        raw = json.loads(read_text(path, max_bytes=MAX_CHANGES_BYTES, what="changes record"))
    except (UnreadableFile, json.JSONDecodeError, RecursionError) as err:
        raise ChangesError(f"{elide(path, 60)} cannot be read ({elide(err, 80)}): {DELETE_FIX}") from None
    return sorted(parse_changes(raw, elide(path, 60), DELETE_FIX), key=lambda change: change.step)


def recorded_changes(run_dir: Path) -> list[SettingChange]:
    """The run folder's recorded changes, or none where the record is damaged (resuming the run says so)."""
    try:
        return read_changes(run_dir)
    except ChangesError:
        return []


def write_changes(run_dir: Path, changes: list[SettingChange]) -> None:
    """Record `changes` as the run folder's changes.json (atomically)."""
    lines = ",\n ".join(json.dumps(change.to_json()) for change in changes)  # one change a line
    atomic_write_text(Path(run_dir) / CHANGES_FILE, f"[{lines}]\n")
