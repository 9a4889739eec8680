"""Presets: a RunSpec as readable, versioned JSON. Older schema versions are migrated, never refused."""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from playground.core.atomic import atomic_write_text
from playground.core.files import UnreadableFile, elide, read_bytes
from playground.core.spec import (
    FAMILY_TITLES,
    MAX_DESCRIPTION,
    MAX_PRESET_NAME,
    SCHEMA_VERSION,
    RunSpec,
    SpecError,
    make_spec,
    shown,
)

# The top-level presets/ folder, installed as the package playground.presets (pyproject.toml maps it), so a wheel
# and an editable install find the same files.
PRESETS_DIR = Path(str(files("playground.presets")))
DEFAULT_PRESET = "decoder-pydoc"
MAX_PRESET_BYTES = 1_000_000
MAX_LISTED = 150  # characters of preset names in a message


class PresetError(SpecError):
    """A preset file that cannot be read; `str()` names the file and the fix."""


@dataclass(frozen=True)
class PresetInfo:
    name: str
    family: str
    description: str
    path: Path
    lesson: bool = False  # it carries a lesson (issue 25)
    title: str = ""  # the spec's own name ("Lesson 19.2: self-attention, step by step")


def _migrate_v1(data: dict[str, Any]) -> dict[str, Any]:
    # Version 1 called the feed-forward width `ffn_width` and the context `context_length`.
    model = data.get("model", {})
    if not isinstance(model, dict):
        raise PresetError(f"this version 1 preset cannot be migrated: its model is {shown(model)}, not an object "
                          f"{{...}} of settings: fix 'model' or start from a built-in preset")
    model = dict(model)
    renames = {"ffn_width": "d_ff", "context_length": "block_size"}
    for old, new in renames.items():
        if old in model and new in model:
            raise PresetError(f"this version 1 preset cannot be migrated: it sets both '{old}' (the old name) "
                              f"and '{new}' (the new one): keep one of them")
        if old in model:
            model[new] = model.pop(old)
    return {**data, "model": model}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _migrate_v1}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a preset dict of any earlier schema version up to the current one."""
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise PresetError(f"schema_version must be a whole number, got {shown(version)}")
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


JSON_KINDS = {list: "a list [...]", str: "a string", int: "a number", float: "a number", bool: "true/false",
              type(None): "null"}


def spec_from_dict(data: Any) -> RunSpec:
    if not isinstance(data, dict):
        raise PresetError(f"a preset is a JSON object {{...}}, not {JSON_KINDS.get(type(data), type(data).__name__)}")
    old = data.get("schema_version", SCHEMA_VERSION)
    migrated = migrate(data)
    try:
        spec = make_spec(migrated)
    except SpecError as err:
        if old == SCHEMA_VERSION:
            raise
        raise PresetError(f"this version {old} preset cannot be migrated: {err}") from None
    _check_data_options(spec)
    return spec


def _check_data_options(spec: RunSpec) -> None:
    """Refuse an unknown dataset, or data options of the wrong type or range, as the preset loads, not at the first
    training step."""
    # Imported here: the data layer imports the spec module, and listing presets needs no data code.
    from playground.data.base import DataError
    from playground.data.registry import check_options

    try:
        check_options(spec.data, spec.model.family)
    except DataError as err:
        raise PresetError(str(err)) from None


def to_json(spec: RunSpec) -> str:
    return json.dumps(spec.to_dict(), indent=2, sort_keys=False) + "\n"


SECTIONS = ("model", "data", "train")


def sections_left_out(source: str | os.PathLike[str]) -> list[str]:
    """The sections of model, data and train settings a preset file leaves out, which their defaults fill in (QA: a
    hand-written preset without "model" trained the default decoder without a word). Empty for a file that cannot
    be read: `load_preset` says why."""
    try:
        data = json.loads(read_bytes(resolve_preset_path(source), max_bytes=MAX_PRESET_BYTES).decode("utf-8-sig"))
    except (PresetError, UnreadableFile, ValueError, RecursionError):
        return []
    return [section for section in SECTIONS if section not in data] if isinstance(data, dict) else []


def left_out_note(source: str | os.PathLike[str]) -> str:
    """'has no model settings: the defaults fill them in' (said of the file), or ''."""
    missing = sections_left_out(source)
    if not missing:
        return ""
    named = " and ".join(missing) if len(missing) < 3 else "model, data and train"
    return f"has no {named} settings: the defaults fill them in"


def load_preset(source: str | os.PathLike[str]) -> RunSpec:
    """Load a preset from a file path or a built-in name; every failure is a one-line PresetError."""
    path = resolve_preset_path(source)
    name = elide(path.name, 60)
    try:
        raw = read_bytes(path, max_bytes=MAX_PRESET_BYTES, what="preset")
        text = raw.decode("utf-8-sig")  # a byte-order mark, as Notepad writes, is accepted
    except UnreadableFile as err:
        raise PresetError(str(err)) from None
    except UnicodeDecodeError:
        raise PresetError(f"{name} is not a text file: a preset is JSON, saved as UTF-8") from None
    if not text.strip():  # (json says "Expecting value" at line 1, column 1)
        raise PresetError(f"{name} is empty: a preset is a JSON object of model, data and train settings; save one "
                          f"from the window (File > Save Preset As) to start from")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        # json's own words end mid-sentence ("Unterminated string starting at"): the place completes them (QA)
        at = "" if err.msg.endswith(" at") else " at"
        raise PresetError(f"{name} is not valid JSON: {err.msg[0].lower()}{err.msg[1:]}{at} line {err.lineno}, column "
                          f"{err.colno}: fix it there in a text editor") from None
    except RecursionError:
        raise PresetError(f"{name} is nested too deeply to be a preset: a preset has model, data and train "
                          f"objects of plain settings") from None
    except ValueError as err:  # e.g. a number longer than Python reads
        raise PresetError(_unreadable_value(name, err)) from None
    try:
        return data_path_from(spec_from_dict(data), path.parent)
    except SpecError as err:
        raise PresetError(f"{name}: {err}", err.problems) from None


OTHER_MODEL_KEYS = frozenset({"model.family", "model.pretrained", "data.name", "data.path"})
PRETRAINED_TITLE = "Pretrained BERT"  # short enough for the settings panel's default width


def run_name(spec: RunSpec) -> str:
    """What trains on what, e.g. "Encoder (BERT-like) on Reverse" or "Pretrained BERT on reviews.csv"."""
    from playground.data.registry import REGISTRY

    model = PRETRAINED_TITLE if spec.model.pretrained else FAMILY_TITLES[spec.model.family]
    entry = REGISTRY.get(spec.data.name)
    data = Path(spec.data.path).name if spec.data.path else (entry.title if entry else spec.data.name)
    # a file's long name elided to what a preset's name holds (newcomer QA: a 98-character file name was refused as
    # "preset name (name): string should have at most 120 characters", a setting never typed)
    room = MAX_PRESET_NAME - len(f"{model} on ")
    return f"{model} on {data if len(data) <= room else elide(data, room)}"


def with_changes(spec: RunSpec, changes: dict[str, Any]) -> RunSpec:
    """`spec` with `changes`. Where they make it another family's, model's or dataset's, its name says what trains
    on what and the preset's description and lesson, which no longer hold, go (QA: a ViT saved after switching from
    the decoder said "A GPT-like decoder learns to write Python documentation"; a run of `train --set
    data.path=mine.txt` was listed and exported as "Decoder on Python's help text"), unless a name is given too."""
    changed = spec.updated(changes)
    if not OTHER_MODEL_KEYS & changes.keys() or "name" in changes:
        return changed
    return changed.updated({"name": run_name(changed), "description": "", "lesson": None})


def data_path_from(spec: RunSpec, folder: Path) -> RunSpec:
    """`spec` with a user file named relative to `folder` (its preset's) as an absolute path: beside the preset
    first, else in the working folder, where such a path was read from before; found in neither, beside the preset,
    where the README says it is looked for (QA: the error named the working folder). Absolute, a run trained from it
    resumes and exports from any folder (a newcomer's `resume` elsewhere said "no text file at big.txt"), and a
    preset handed out in a folder with its data opens from anywhere."""
    given = spec.data.path
    if not given or given.startswith("~") or Path(given).is_absolute():
        return spec
    beside = folder / given
    found_elsewhere = not _exists(beside) and _exists(Path(given))
    return spec.updated({"data.path": os.path.abspath(given if found_elsewhere else beside)})


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for the system, say: the error comes where the file is read
        return False


def outside_note(spec: RunSpec, preset: Path) -> str:
    """'reads its data from /etc/shadow, outside its own folder: …' for a preset file whose data file lies outside
    the preset's folder, else "". A preset handed to you could name any file the account can read, and training
    shows its text in samples (QA: "path": "../../../../etc/shadow" trained without a word)."""
    given = spec.data.path
    if not given:
        return ""
    try:
        Path(given).expanduser().resolve().relative_to(preset.resolve().parent)
        return ""
    except ValueError:
        return (f"reads its data from {elide(given, 60)}, outside its own folder: make sure that is a file you mean "
                f"to train on")
    except OSError:
        return ""


def portable(spec: RunSpec, folder: Path) -> RunSpec:
    """`spec` as saved into `folder`: a data file inside that folder named relative to it, so the folder can be
    handed out with its data (an absolute path would name the lecturer's disk)."""
    given = spec.data.path
    if not given or not Path(given).is_absolute():
        return spec
    try:
        inside = Path(given).resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return spec
    return spec.updated({"data.path": inside.as_posix()})


def _unreadable_value(name: str, err: ValueError) -> str:
    """A one-line message for JSON that parses but holds a value Python refuses to read."""
    if "integer string conversion" in str(err):  # Python's digit limit: its message points at an interpreter setting
        return f"{name} has a number too long to read (over {sys.get_int_max_str_digits():,} digits): shorten it"
    return f"{name} is not a usable preset ({elide(err, 80)}): fix the value"


def save_preset(spec: RunSpec, path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    atomic_write_text(target, to_json(portable(spec, target.parent)))
    return target


def resolve_preset_path(source: str | os.PathLike[str]) -> Path:
    if not str(source).strip():  # (an empty argument is Path("."), which read ". is a folder, not a preset file")
        raise PresetError("no preset given: name a built-in preset (`playground presets` lists them) or a preset file")
    path = Path(source)
    try:
        as_file = path.suffix == ".json" or os.sep in str(source) or os.path.lexists(path)
        found = os.path.lexists(path) if as_file else (PRESETS_DIR / f"{source}.json").is_file()
    except (OSError, ValueError):  # a name too long for the file system, or with a NUL byte in it
        raise PresetError(f"{elide(source)} cannot be a preset file or name: check the path") from None
    if as_file and not found:
        builtin = path.stem if path.parent == Path() and (PRESETS_DIR / path.name).is_file() else ""
        # (QA: `playground train decoder-reverse.json` said only "check the path")
        hint = f"the built-in preset is named without .json: {builtin}" if builtin else "check the path"
        raise PresetError(f"no preset file at {elide(path)}: {hint}")
    if as_file:
        return path
    if found:
        return PRESETS_DIR / f"{source}.json"
    # Sorted by name, not file name ("-" sorts before ".json": 'decoder-reverse-no-positions' came first, newcomer QA)
    names = sorted(p.stem for p in PRESETS_DIR.glob("*.json"))
    # The names it begins, else those it is closest to ("lesson-19.2" was told 19.7 and 19.3 before 19.2's, QA),
    # whatever the letter case (newcomer QA: "Decoder-Reverse" was told 'encoder-reverse' first)
    typed = str(source).lower()
    close = [name for name in names if name.startswith(typed)][:2] or difflib.get_close_matches(typed, names, n=2)
    if close:  # a typo: the names it is closest to, as a mistyped dataset is answered (every caller: CLI, window)
        raise PresetError(f"no preset named '{elide(source, 60)}': did you mean {' or '.join(map(repr, close))}? "
                          f"(`playground presets` lists them all)")
    listed = names[:]
    while len(", ".join(listed)) > MAX_LISTED:  # the message stays one short line as presets are added
        listed.pop()
    more = f" and {len(names) - len(listed)} more (`playground presets` lists them)" if listed != names else ""
    raise PresetError(f"no preset named '{elide(source, 60)}': built-in presets are {', '.join(listed)}{more}")


def is_builtin(path: Path) -> bool:
    """`path` is one of the package's own presets (opened by name, never written to)."""
    return path.resolve().parent == PRESETS_DIR.resolve()


def builtin_holding(spec: RunSpec | None) -> str | None:
    """The name of the built-in preset whose settings `spec` are (as it opened), or None."""
    if spec is None:
        return None
    return next((path.stem for path in sorted(PRESETS_DIR.glob("*.json")) if load_preset(path) == spec), None)


def builtin_presets() -> list[PresetInfo]:
    return presets_in(PRESETS_DIR)[0]


def presets_in(folder: Path) -> tuple[list[PresetInfo], list[Path]]:
    """The presets in `folder` (its .json files, by name), and the .json files there that do not read as one."""
    infos, unread = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            spec = load_preset(path)
        except PresetError:
            unread.append(path)
            continue
        infos.append(PresetInfo(path.stem, spec.model.family, spec.description, path, spec.lesson is not None,
                                spec.name))
    return infos, unread


def named_after_file(spec: RunSpec, path: Path, opened: Path | None = None, named: bool = False) -> RunSpec:
    """A built-in preset saved with settings of the user's under a name of theirs: it takes the file's name, and its
    description says what was changed, since the built-in's no longer holds (QA: vit-digits saved with 1-pixel
    patches still said "cut into 16 patches of 2x2 pixels"). A name the user gave it is kept: one `named` in the
    window (File > Name and Description), or one the file it was `opened` from held that is neither the built-in's
    nor that file's. Any other spec is saved as it is."""
    from playground.core.differences import differences, setting_text  # (differences imports this module's spec)

    if not spec.description:
        return spec
    for source in sorted(PRESETS_DIR.glob("*.json")):
        builtin = load_preset(source)
        # its own description, or one said so before: what was changed is said again (QA: it kept the first save's)
        if spec.description == builtin.description or _described_from(spec.description, source.stem,
                                                                        builtin.description):
            break
    else:
        return spec
    if not (keys := differences(builtin, spec)):  # changed back: the built-in's own words hold again
        return spec.updated({"description": builtin.description})
    changed = ", ".join(setting_text(key, spec) for key in keys)
    text = f"{_FROM_BUILTIN.format(source.stem)}{changed}. {_ITS_DESCRIPTION}{builtin.description}"
    given = named or (opened is not None and spec.name not in {builtin.name, _file_name(opened)})
    return spec.updated({"name": spec.name if given else _file_name(path) or spec.name,
                         "description": elide(text, MAX_DESCRIPTION)})


def _file_name(path: Path) -> str:
    """The name a preset saved as `path` takes."""
    return path.stem[:MAX_PRESET_NAME]


_FROM_BUILTIN = "The built-in {} with "
_ITS_DESCRIPTION = "Its description: "


def _described_from(description: str, stem: str, builtin_description: str) -> bool:
    """Whether `description` is one `named_after_file` wrote for the built-in `stem`."""
    return description.startswith(_FROM_BUILTIN.format(stem)) and \
        description.endswith(f"{_ITS_DESCRIPTION}{builtin_description}")
