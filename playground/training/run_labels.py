"""Past runs' names as the Runs tab, the loss plot's legend and `playground runs` show them: a name that several runs
share followed by what tells each apart (its settings, else when it started).

No Qt: the CLI lists runs with the same labels as the window.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from playground.core.differences import NAME_SEPARATOR, apart_texts
from playground.core.presets import PresetError, load_preset
from playground.core.spec import RunSpec
from playground.training.changes import recorded_changes
from playground.training.runs import PRESET_FILE, RunSummary

WHOLE_DATE = "%Y-%m-%d %H:%M:%S"  # when a run started, in its tooltip and in the table for another year's


def started_text(created: float, now: float | None = None) -> str:
    """When a run started, as short as tells it apart: the time alone today, the day and time this year, else the
    whole date (at 175 % the whole date took the room of the runs' names, "Le…to"). To the second: two runs of one
    preset started in the same minute read alike (QA)."""
    when, today = time.localtime(created), time.localtime(now)
    if when.tm_year != today.tm_year:
        return time.strftime(WHOLE_DATE, when)
    return time.strftime("%H:%M:%S" if when.tm_yday == today.tm_yday else "%m-%d %H:%M:%S", when)


def run_spec(folder: Path) -> RunSpec | None:
    """The run's settings as it started, but for its training steps, as raised on the way (QA: "training steps 200"
    beside a run trained to 1,000 steps); its other changes stay out, since they tell apart runs that started alike."""
    try:
        spec = load_preset(folder / PRESET_FILE)
    except PresetError:
        return None
    ends = [change.new for change in recorded_changes(folder) if change.key == "train.max_steps"]
    try:
        return spec.updated({"train.max_steps": int(ends[-1])}) if ends else spec
    except ValueError:  # a record edited by hand (resuming the run says what is wrong with it)
        return spec


def _started(run: RunSummary) -> str:
    return f"started {started_text(run.created)}"


def _group_labels(runs: Sequence[RunSummary]) -> list[str]:
    """Runs of one name told apart by their settings (each run's preset.json), or when those are the same or
    unreadable, by the time each started; by both where settings leave two alike (QA: two runs started alike, one
    of which changed its dropout while training, both read "… — dropout 0" beside a third started at 0.1)."""
    specs = [run_spec(run.folder) for run in runs]
    readable = [spec for spec in specs if spec is not None]
    texts = iter(apart_texts(readable))
    aparts = [next(texts) if spec is not None else "" for spec in specs]
    alike = Counter(aparts)

    def apart_or_started(run: RunSummary, apart: str) -> str:
        if not apart:
            return _started(run)
        return apart if alike[apart] == 1 else f"{apart}, {_started(run)}"

    return [f"{run.name}{NAME_SEPARATOR}{apart_or_started(run, apart)}" for run, apart in zip(runs, aparts)]


def run_labels(runs: Sequence[RunSummary]) -> dict[Path, str]:
    """Each run's name as the Runs table and the loss plot's legend show it: a name no other of `runs` has as it
    is, one that others share followed by what sets it apart ("… — residual connections off"); QA could not tell
    lesson 19.4's three runs apart."""
    by_name: dict[str, list[RunSummary]] = defaultdict(list)
    for run in runs:
        by_name[run.name].append(run)
    labels = {run.folder: run.name for run in runs}
    for group in by_name.values():
        if len(group) > 1:
            labels.update(zip((run.folder for run in group), _group_labels(group)))
    return labels
