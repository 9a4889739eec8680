"""Checkpoints as safetensors + JSON: weights, optimizer state, random states, the run description and step.

Nothing here ever unpickles: a checkpoint from a stranger can hold numbers, never code. Every file of a
checkpoint folder is read bounded: state.json through core.files.read_text, the safetensors files it names
(plain names inside the folder only) after a regular-file and size check.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from playground.core.atomic import atomic_write_text
from playground.core.files import elide
from playground.core.spec import RunSpec
from playground.core.tensor_files import write_safetensors
from playground.training.checkpoint_state import (
    STATE_FILE,
    CheckpointError,
    check_data_there,
    damaged_tensor_file,
    read_state,
    state_spec,
    tensor_file,
)
from playground.training.memory import free_memory

PICKLE_SUFFIXES = {".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt"}


@dataclass
class Checkpoint:
    spec: RunSpec
    step: int
    model: dict[str, torch.Tensor]
    optimizer: dict[str, torch.Tensor]
    state: dict[str, Any]  # JSON: step, lr, optimizer hyper-parameters, run bookkeeping


def save_checkpoint(folder: Path, ckpt: Checkpoint) -> Path:
    """Write the tensors under step-stamped names, then state.json (atomically) pointing at them.

    state.json is the commit point: a save killed at any moment leaves the previous state.json, whose
    files are still complete, so the folder always loads as one consistent checkpoint.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{ckpt.step:09d}-{os.getpid()}"
    model_file, optimizer_file = f"model-{stamp}.safetensors", f"optimizer-{stamp}.safetensors"
    write_safetensors(folder / model_file, ckpt.model)
    write_safetensors(folder / optimizer_file, ckpt.optimizer)
    state = {**ckpt.state, "step": ckpt.step, "spec": ckpt.spec.to_dict(),
             "model_file": model_file, "optimizer_file": optimizer_file}
    atomic_write_text(folder / STATE_FILE, json.dumps(state, indent=1))
    _remove_stale(folder, keep={model_file, optimizer_file})
    return folder


def _remove_stale(folder: Path, keep: set[str]) -> None:
    for path in folder.glob("*.safetensors"):
        if path.name not in keep:
            path.unlink(missing_ok=True)


def load_checkpoint(folder: Path, *, optimizer: bool = True) -> Checkpoint:
    """The checkpoint in `folder`; `optimizer=False` reads only the model weights (the optimizer dict is then
    empty), all that sampling, drawing and exporting need. Refused where the run's data file is gone
    (`check_data_there`): every use of a checkpoint reads its data."""
    folder = Path(folder)
    if folder.is_file():
        refuse_pickle(folder)
        raise CheckpointError(f"{folder.name} is a file: a checkpoint is a folder holding {STATE_FILE} and safetensors")
    if not os.path.lexists(folder / STATE_FILE):
        pickles = [p.name for p in folder.glob("*") if p.suffix in PICKLE_SUFFIXES]
        hint = f" ({', '.join(pickles)} is a pickle and is never loaded)" if pickles else ""
        raise CheckpointError(f"no checkpoint in {elide(folder)}: {STATE_FILE} is missing{hint}")
    state = read_state(folder)
    spec = state_spec(folder, state)
    check_data_there(spec)  # (before its tensors are read)
    model = _load_tensors(folder, state, "model_file")
    moments = _load_tensors(folder, state, "optimizer_file") if optimizer else {}
    return Checkpoint(spec=spec, step=state["step"], model=model, optimizer=moments, state=state)


def _load_tensors(folder: Path, state: dict[str, Any], key: str) -> dict[str, torch.Tensor]:
    """The safetensors file state.json names under `key`: a regular file (not a link, pipe or device) that fits
    in the memory free now, read by safetensors (numbers only)."""
    path = tensor_file(folder, state, key)
    try:
        size = path.stat().st_size
    except OSError as err:  # (gone since tensor_file looked)
        raise CheckpointError(f"cannot read {elide(path)}: {err.strerror or err}") from None
    free = free_memory(torch.device("cpu"))
    if free is not None and size > free:
        raise CheckpointError(f"{elide(path)} holds {size / 1e9:.1f} GB but {free / 1e9:.1f} GB of memory is free: "
                              f"close other programs or load it on a larger machine")
    try:
        return load_file(str(path))
    except SafetensorError:
        raise damaged_tensor_file(folder, path, key) from None
    except OSError as err:
        raise CheckpointError(f"cannot read {elide(path)}: {err.strerror or err}") from None


def refuse_pickle(path: Path) -> None:
    """Refuse any weights file that is not safetensors, without opening it as a pickle."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if path.suffix in PICKLE_SUFFIXES or head[:1] == b"\x80" or head[:2] == b"PK":
        raise CheckpointError(
            f"{path.name} looks like a PyTorch pickle: pickles can run code when loaded, so the playground "
            f"only loads safetensors. Convert it in a trusted script with safetensors.torch.save_file."
        )


def weights_misfit(model: torch.nn.Module, weights: dict[str, torch.Tensor]) -> str:
    """Why `weights` do not load into `model`, in words: the first difference by name and shape, and how many more;
    "" when they fit (QA: torch's "Error(s) in loading state_dict for Decoder: size mismatch for …" was shown)."""
    own = model.state_dict()
    problems = []
    for name, tensor in own.items():
        if name not in weights:
            problems.append(f"it has no {name}")
        elif weights[name].shape != tensor.shape:
            problems.append(f"its {name} is {_shape(weights[name])}, the model's {_shape(tensor)}")
    problems += [f"it has a {name} the model has not" for name in weights if name not in own]
    more = f", and {len(problems) - 1} more difference{'s' if len(problems) > 2 else ''}" if len(problems) > 1 else ""
    return problems[0] + more if problems else ""


def _shape(tensor: torch.Tensor) -> str:
    return " x ".join(str(n) for n in tensor.shape) or "a single number"


def optimizer_to_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer's state_dict into tensors (safetensors) and plain settings (JSON)."""
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    for index, slots in sd["state"].items():
        for key, value in slots.items():
            tensors[f"{index}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return tensors, {"param_groups": sd["param_groups"]}


def optimizer_from_tensors(tensors: dict[str, torch.Tensor], settings: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    return {"state": state, "param_groups": settings["param_groups"]}

