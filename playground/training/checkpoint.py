"""Checkpoints as safetensors + JSON: weights, optimizer state, random states, the run description and step.

Nothing here ever unpickles: a checkpoint from a stranger can hold numbers, never code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from playground.core.atomic import atomic_write_bytes, atomic_write_text
from playground.core.presets import spec_from_dict
from playground.core.spec import RunSpec

STATE_FILE = "state.json"
PICKLE_SUFFIXES = {".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt"}


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; `str()` says why and what to do."""


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
    atomic_write_bytes(folder / model_file, save(_contiguous(ckpt.model)))
    atomic_write_bytes(folder / optimizer_file, save(_contiguous(ckpt.optimizer)))
    state = {**ckpt.state, "step": ckpt.step, "spec": ckpt.spec.to_dict(),
             "model_file": model_file, "optimizer_file": optimizer_file}
    atomic_write_text(folder / STATE_FILE, json.dumps(state, indent=1))
    _remove_stale(folder, keep={model_file, optimizer_file})
    return folder


def _remove_stale(folder: Path, keep: set[str]) -> None:
    for path in folder.glob("*.safetensors"):
        if path.name not in keep:
            path.unlink(missing_ok=True)


def load_checkpoint(folder: Path) -> Checkpoint:
    folder = Path(folder)
    if folder.is_file():
        refuse_pickle(folder)
        raise CheckpointError(f"{folder.name} is a file: a checkpoint is a folder holding {STATE_FILE} and safetensors")
    if not (folder / STATE_FILE).exists():
        pickles = [p.name for p in folder.glob("*") if p.suffix in PICKLE_SUFFIXES]
        hint = f" ({', '.join(pickles)} is a pickle and is never loaded)" if pickles else ""
        raise CheckpointError(f"no checkpoint in {folder}: {STATE_FILE} is missing{hint}")
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        spec = spec_from_dict(state["spec"])
        model = load_file(str(folder / state["model_file"]))
        optimizer = load_file(str(folder / state["optimizer_file"]))
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{folder / STATE_FILE} is damaged ({err}): use an earlier checkpoint") from None
    except (SafetensorError, OSError) as err:
        raise CheckpointError(f"cannot read the weights in {folder}: {err}") from None
    return Checkpoint(spec=spec, step=int(state["step"]), model=model, optimizer=optimizer, state=state)


def refuse_pickle(path: Path) -> None:
    """Refuse any weights file that is not safetensors, without opening it as a pickle."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if path.suffix in PICKLE_SUFFIXES or head[:1] == b"\x80" or head[:2] == b"PK":
        raise CheckpointError(
            f"{path.name} looks like a PyTorch pickle: pickles can run code when loaded, so the playground "
            f"only loads safetensors. Convert it in a trusted script with safetensors.torch.save_file."
        )


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


def _contiguous(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # safetensors refuses shared or strided storage: tied weights and views get their own copy.
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
