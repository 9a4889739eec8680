"""Run folders: every training run, from the window or the CLI, keeps its preset, metrics and checkpoint."""

from __future__ import annotations

import csv
import json
import re
import time
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
METRIC_COLUMNS = ("step", "train_loss", "val_loss", "val_accuracy", "lr", "throughput", "elapsed_s")


def default_runs_dir() -> Path:
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
