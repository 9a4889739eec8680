"""Run folders: every training run, from the window or the CLI, keeps its preset, metrics and checkpoint."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from playground.core.atomic import atomic_write_text
from playground.core.presets import to_json
from playground.core.spec import RunSpec
from playground.training.events import Event, MetricsEvent

METRICS_FILE = "metrics.csv"
PRESET_FILE = "preset.json"
RUN_FILE = "run.json"
CHECKPOINT_DIR = "checkpoint"
RUNS_ENV = "PLAYGROUND_RUNS_DIR"  # a runs folder to use instead of the user's data folder (tests set it)
METRIC_COLUMNS = ("step", "train_loss", "val_loss", "val_accuracy", "lr", "throughput", "elapsed_s")


def default_runs_dir() -> Path:
    env = os.environ.get(RUNS_ENV)
    if env:
        return Path(env)
    return Path(user_data_dir("transformer-playground", appauthor=False)) / "runs"


def new_run_dir(runs_root: Path, spec: RunSpec) -> Path:
    """A fresh, uniquely named folder `YYYYmmdd-HHMMSS-<preset name>` holding the preset."""
    slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", spec.name).strip("-")[:40] or "run"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = runs_root / f"{stamp}-{slug}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = runs_root / f"{stamp}-{slug}-{suffix}"
    folder.mkdir(parents=True)
    prepare_run_dir(folder, spec)
    return folder


def prepare_run_dir(folder: Path, spec: RunSpec) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / PRESET_FILE, to_json(spec))
    write_run_info(folder, {"name": spec.name, "family": spec.model.family, "created": time.time()})


def write_run_info(folder: Path, updates: dict[str, Any]) -> None:
    info = read_run_info(folder)
    info.update(updates)
    atomic_write_text(folder / RUN_FILE, json.dumps(info, indent=1))


def read_run_info(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


class MetricsLog:
    """Appends one CSV row per step; on resume, rows past the checkpoint's step are dropped first."""

    def __init__(self, folder: Path, resume_from_step: int | None = None) -> None:
        self.path = folder / METRICS_FILE
        if resume_from_step is not None and self.path.exists():
            self._truncate_after(resume_from_step)
        fresh = not self.path.exists() or resume_from_step is None
        self._handle = open(self.path, "w" if fresh else "a", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
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

    def _truncate_after(self, step: int) -> None:
        rows = read_metrics(self.path.parent)
        kept = [r for r in rows if int(r["step"]) <= step]
        lines = [",".join(METRIC_COLUMNS)] + [",".join(r.get(c, "") for c in METRIC_COLUMNS) for r in kept]
        atomic_write_text(self.path, "\n".join(lines) + "\n")


def read_metrics(folder: Path) -> list[dict[str, str]]:
    with open(folder / METRICS_FILE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


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
    status: str  # "saved", "diverged", "" (still running or stopped without a save)
    has_checkpoint: bool


class RunsError(ValueError):
    """A run management request that was refused; `str()` says why."""


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
        family=str(info.get("family") or _preset_family(folder)),
        steps=int(info["step"]) if isinstance(info.get("step"), int) else steps,
        val_loss=val_loss,
        created=float(created),
        status=str(info.get("status", "")),
        has_checkpoint=(folder / CHECKPOINT_DIR / "state.json").is_file(),
    )


def list_runs(root: Path | None = None) -> list[RunSummary]:
    """Every run folder directly inside `root` (default: the runs directory), newest first; links are skipped."""
    root = Path(root) if root is not None else default_runs_dir()
    if not root.is_dir():
        return []
    runs = [summarize_run(c) for c in root.iterdir() if is_run_dir(c) and not c.is_symlink()]
    return sorted(runs, key=lambda r: (r.created, r.folder.name), reverse=True)


def rename_run(folder: Path, new_name: str) -> RunSummary:
    """Change the run's display name (run.json); the folder keeps its name so paths stay valid."""
    folder = Path(folder)
    name = new_name.strip()
    if not name:
        raise RunsError("a run needs a name: type at least one character")
    if len(name) > 120:
        raise RunsError(f"a run name has at most 120 characters, this one has {len(name)}")
    if not is_run_dir(folder):
        raise RunsError(f"{folder} is not a run folder (it has no {RUN_FILE} or {PRESET_FILE})")
    write_run_info(folder, {"name": name})
    return summarize_run(folder)


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
    shutil.rmtree(target)


def _last_metrics(folder: Path) -> tuple[int, float | None]:
    try:
        rows = read_metrics(folder)
    except (OSError, csv.Error):
        return 0, None
    steps = 0
    val_loss = None
    for row in rows:
        try:
            steps = int(row.get("step") or steps)
            if row.get("val_loss"):
                value = float(row["val_loss"])
                val_loss = value if math.isfinite(value) else val_loss
        except ValueError:
            continue
    return steps, val_loss


def _preset_family(folder: Path) -> str:
    try:
        return str(json.loads((folder / PRESET_FILE).read_text(encoding="utf-8"))["model"]["family"])
    except (OSError, ValueError, KeyError, TypeError):
        return "?"
