"""Presets: a RunSpec as readable, versioned JSON. Older schema versions are migrated, never refused."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable

from playground.core.atomic import atomic_write_text
from playground.core.spec import SCHEMA_VERSION, RunSpec, SpecError, make_spec

# The top-level presets/ folder, installed as the package playground.presets (pyproject.toml maps it), so a wheel
# and an editable install find the same files.
PRESETS_DIR = Path(str(files("playground.presets")))
DEFAULT_PRESET = "decoder-pydoc"
MAX_PRESET_BYTES = 1_000_000


class PresetError(SpecError):
    """A preset file that cannot be read; `str()` names the file and the fix."""


@dataclass(frozen=True)
class PresetInfo:
    name: str
    family: str
    description: str
    path: Path


def _migrate_v1(data: dict[str, Any]) -> dict[str, Any]:
    # Version 1 called the feed-forward width `ffn_width` and the context `context_length`.
    model = dict(data.get("model", {}))
    renames = {"ffn_width": "d_ff", "context_length": "block_size"}
    for old, new in renames.items():
        if old in model:
            model[new] = model.pop(old)
    return {**data, "model": model}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _migrate_v1}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a preset dict of any earlier schema version up to the current one."""
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise PresetError(f"schema_version must be a whole number, got {version!r}")
    if version > SCHEMA_VERSION:
        raise PresetError(
            f"this preset was written by a newer Transformer Playground (schema {version}, "
            f"this one reads up to {SCHEMA_VERSION}): update the app"
        )
    if version < 1:
        raise PresetError(f"schema_version {version} does not exist: the first version is 1")
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return {**data, "schema_version": SCHEMA_VERSION}


def spec_from_dict(data: Any) -> RunSpec:
    if not isinstance(data, dict):
        raise PresetError(f"a preset is a JSON object {{...}}, not {type(data).__name__}")
    return make_spec(migrate(data))


def to_json(spec: RunSpec) -> str:
    return json.dumps(spec.to_dict(), indent=2, sort_keys=False) + "\n"


def load_preset(source: str | os.PathLike[str]) -> RunSpec:
    """Load a preset from a file path or a built-in name."""
    path = resolve_preset_path(source)
    try:
        if path.stat().st_size > MAX_PRESET_BYTES:
            raise PresetError(f"{path.name}: {path.stat().st_size} bytes is far too large for a preset")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PresetError(f"{path.name} is not a text file: a preset is JSON") from None
    except OSError as err:
        raise PresetError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise PresetError(f"{path.name} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    try:
        return spec_from_dict(data)
    except SpecError as err:
        raise PresetError(f"{path.name}: {err}") from None


def save_preset(spec: RunSpec, path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    atomic_write_text(target, to_json(spec))
    return target


def resolve_preset_path(source: str | os.PathLike[str]) -> Path:
    path = Path(source)
    if path.suffix == ".json" or path.exists() or os.sep in str(source):
        if not path.exists():
            raise PresetError(f"no preset file at {path}")
        return path
    builtin = PRESETS_DIR / f"{source}.json"
    if builtin.exists():
        return builtin
    names = ", ".join(p.name for p in builtin_presets())
    raise PresetError(f"no preset named '{source}': built-in presets are {names}")


def builtin_presets() -> list[PresetInfo]:
    infos = []
    for path in sorted(PRESETS_DIR.glob("*.json")):
        spec = load_preset(path)
        infos.append(PresetInfo(path.stem, spec.model.family, spec.description, path))
    return infos
