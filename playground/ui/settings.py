"""Where the window keeps its settings and run folders; both can be redirected (tests do)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

ORGANISATION = "TransformerPlayground"
APPLICATION = "Transformer Playground"
SETTINGS_ENV = "PLAYGROUND_SETTINGS"  # path of an .ini file to use instead of the user's settings
RUNS_ENV = "PLAYGROUND_RUNS_DIR"  # folder for run folders instead of the user's data folder
MAX_RECENT = 8
LAST_RUN_KEY = "session/lastRun"  # the run folder last trained in the window
LAST_RUN_PRESET_KEY = "session/lastRunPreset"  # the preset file it was trained from


def make_settings() -> QSettings:
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, "playground")


def runs_root() -> Path:
    env = os.environ.get(RUNS_ENV)
    if env:
        return Path(env)
    from playground.training.runs import default_runs_dir

    return default_runs_dir()


def recent_files(settings: QSettings) -> list[str]:
    value = settings.value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or []) if v]


def add_recent(settings: QSettings, path: str | os.PathLike[str]) -> list[str]:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files(settings) if f != path]
    files = files[:MAX_RECENT]
    settings.setValue("recent", files)
    return files


def remember_last_run(settings: QSettings, folder: str | os.PathLike[str], preset: Path | None = None) -> None:
    """The run folder last trained in the window, and the preset file on screen as it stopped (None: none)."""
    settings.setValue(LAST_RUN_KEY, str(Path(folder).resolve()))
    settings.setValue(LAST_RUN_PRESET_KEY, str(preset.resolve()) if preset is not None else "")


def last_run_preset(settings: QSettings) -> Path | None:
    """The preset file on screen as the last run stopped (None: none, or a built-in)."""
    value = settings.value(LAST_RUN_PRESET_KEY, "")
    return Path(value) if isinstance(value, str) and value else None


def last_run(settings: QSettings) -> Path | None:
    """The run folder last trained in the window, where it still holds a checkpoint to resume."""
    from playground.training.runs import has_checkpoint

    value = settings.value(LAST_RUN_KEY, "")
    if not isinstance(value, str) or not value:
        return None
    folder = Path(value)
    return folder if has_checkpoint(folder) else None
