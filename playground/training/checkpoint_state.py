"""What a checkpoint folder's state.json says, read and checked without PyTorch: the window checks a run before
it lets the model on screen go (`check_resumable`), and importing torch on its thread would freeze it.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

from playground.core.files import elide, read_text
from playground.core.messages import retrain_command
from playground.core.presets import spec_from_dict
from playground.core.spec import RunSpec

STATE_FILE = "state.json"
MAX_STATE_BYTES = 4_000_000  # a state.json is a few kB, plus a few bytes per parameter tensor
TENSOR_FILES = ("model_file", "optimizer_file")  # the state.json keys naming the checkpoint's safetensors files


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; `str()` says why and what to do."""


def check_resumable(folder: Path) -> None:
    """Refuse, before anything is loaded, what resuming the checkpoint in `folder` would refuse of its data: gone
    from where the run trained, or reading differently (the window checks this before the model on screen goes)."""
    from playground.data.registry import plan

    folder = Path(folder)
    state = read_state(folder)
    spec = state_spec(folder, state)
    check_data_there(spec)
    try:
        fingerprint = plan(spec.data, spec.model).fingerprint()
    except ValueError as err:
        raise CheckpointError(f"this run's data cannot be read now ({elide(err, 160)})") from None
    check_same_data(spec, state, fingerprint)
    check_tensor_files(folder, state)  # (QA: a damaged weights file was found once the model on screen had gone)


def check_tensor_files(folder: Path, state: dict[str, Any]) -> None:
    """Refuse the checkpoint in `folder` (its `state`) where a safetensors file is missing, cut short or not one at
    all: their headers are read, not their tensors (nor PyTorch)."""
    for key in TENSOR_FILES:
        path = tensor_file(folder, state, key)
        try:
            with safe_open(str(path), "numpy"):
                pass
        except SafetensorError:
            raise damaged_tensor_file(folder, path, key) from None
        except OSError as err:
            raise CheckpointError(f"cannot read {elide(path)}: {err.strerror or err}") from None


def tensor_file(folder: Path, state: dict[str, Any], key: str) -> Path:
    """The safetensors file state.json names under `key`, refused where it is missing or not a regular file (a
    link, pipe or device)."""
    path = folder / state[key]
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise CheckpointError(f"{_short_name(folder, path)} is missing: {_lost(folder, key)}") from None
    except OSError as err:
        raise CheckpointError(f"cannot read {elide(path)}: {err.strerror or err}") from None
    if not stat.S_ISREG(info.st_mode):
        raise CheckpointError(f"{elide(path)} is not a regular file (a link, pipe or device): a checkpoint holds its "
                              f"safetensors files itself; use a checkpoint the playground saved")
    return path


def damaged_tensor_file(folder: Path, path: Path, key: str) -> CheckpointError:
    return CheckpointError(f"{_short_name(folder, path)} is damaged: {_lost(folder, key)}")


def _short_name(folder: Path, path: Path) -> str:
    return elide(Path(folder.name, path.name), 80)  # short, so the run's whole path fits in the fix _lost gives


def _lost(folder: Path, key: str) -> str:
    """What a missing or damaged tensor file of the checkpoint in `folder` costs, and the fix that exists."""
    if key == "optimizer_file":
        return f"resume needs it (sample, export and attention do not); to train on, start again: {retrain_hint(folder)}"
    return f"the trained weights are lost; train them again: {retrain_hint(folder)}"


def state_spec(folder: Path, state: dict[str, Any]) -> RunSpec:
    """The run description `read_state` gave of the checkpoint in `folder`; one that does not read is said as that
    file's (QA: a wrong type in it was said as if the user had just typed the setting), not as damage: another
    version's limits or options read so too (review)."""
    try:
        return spec_from_dict(state["spec"])
    except ValueError as err:
        raise CheckpointError(f"{elide(folder / STATE_FILE, 60)} holds settings this version cannot read "
                              f"({elide(err, 160)}): {train_again(folder)}") from None


def check_data_there(spec: RunSpec) -> None:
    """Refuse a run whose data file (or folder) is gone from where it trained, saying that it is the run's own data
    (QA: a text file moved after training made resume, sample, attention and export say only "no text file at …:
    check the path", as if the user had just typed it)."""
    path = spec.data.path
    if path and not os.path.exists(os.path.expanduser(path)):  # (read as the data's reader reads it: "~" expanded)
        raise CheckpointError(f"this run trained on {elide(path)}, which is no longer there: put the file back at that "
                              f"path (a copy will do) to resume, sample, draw or export the run")


def check_same_data(spec: RunSpec, state: dict[str, Any], fingerprint: str) -> None:
    """Refuse a checkpoint (its `spec` and `state`) whose data now gives its ids other meanings (`ids_fingerprint`):
    an edited text file read "The " as "The uif uif" after '!' became '~', and a renamed CSV label swapped an
    export's classes (QA). Checkpoints from before the fingerprint was kept are not checked."""
    kept = state.get("data_fingerprint")
    if kept is None or kept == fingerprint:
        return
    data = spec.data
    if data.path:
        raise CheckpointError(f"{elide(data.path)} has changed since this run trained: its vocabulary or class names "
                              f"are no longer the ones the model learnt, so its ids would stand for other tokens; put "
                              f"the file back as it was, or train a new run on it")
    # A built-in dataset has no file to put back (review): pydoc's text is the running Python's own help
    raise CheckpointError(f"the dataset '{data.name}' reads differently here than where this run trained (another "
                          f"Python or playground version): its vocabulary or class names changed, so the model's ids "
                          f"would stand for other tokens; use the versions it trained with, or train a new run")


def read_state(folder: Path) -> dict[str, Any]:
    """state.json, checked: an object with a whole step >= 0, a run description and plain file names."""
    path = folder / STATE_FILE
    damaged = f"{elide(path, 60)} is damaged"  # (with the fix's own path, a long one made it 301 characters)
    try:
        state = json.loads(read_text(path, max_bytes=MAX_STATE_BYTES, what="checkpoint state"))
    except json.JSONDecodeError as err:  # (QA: elided, the error read "Expecting value: li…column 12 (char 500)")
        raise CheckpointError(f"{damaged} ({err.msg} at line {err.lineno}): {train_again(folder)}") from None
    except RecursionError:
        raise CheckpointError(f"{damaged} (nested too deep to read): {train_again(folder)}") from None
    if not isinstance(state, dict) or not isinstance(state.get("spec"), dict):
        raise CheckpointError(f"{damaged} (it is not an object with a spec): {train_again(folder)}")
    step = state.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise CheckpointError(f"{damaged}: its step {elide(step, 40)} is not a whole number >= 0; "
                              f"{train_again(folder)}")
    for key in TENSOR_FILES:
        name = state.get(key)
        if not is_plain_name(name):
            raise CheckpointError(f"{damaged}: its {key} {elide(repr(name), 60)} is not a plain file name inside the "
                                  f"checkpoint folder; use a checkpoint the playground saved")
    return state


def is_plain_name(name: object) -> bool:
    """A file name with no folder part: no separator, not '.' or '..', not empty (what state.json may name)."""
    separators = {"/", "\\", os.sep, os.altsep or "/", "\0"}
    return (isinstance(name, str) and name not in {"", ".", ".."} and not any(c in name for c in separators)
            and len(name) <= 255)


def train_again(folder: Path) -> str:
    """The fix for a checkpoint in `folder` that cannot be used: only one is kept, so there is no earlier one to
    fall back on (QA: "use an earlier checkpoint" where none was); the run's preset.json trains it again."""
    return f"no other checkpoint is kept; train again: {retrain_hint(folder)}"


def retrain_hint(folder: Path) -> str:
    """The command that trains the run of the checkpoint in `folder` again: with its preset.json where that reads as
    one (QA: offered for a damaged one, which the command then refused as "not valid JSON")."""
    from playground.core.presets import PresetError, load_preset

    preset = folder.parent / "preset.json"
    if not preset.is_file():
        return "playground train with the run's preset"
    try:
        load_preset(preset)
    except PresetError:
        return "playground train PRESET --out NEW_FOLDER with a preset of yours (its preset.json is damaged too)"
    return retrain_command(elide(preset, 90))
