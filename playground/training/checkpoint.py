"""Checkpoints as safetensors + JSON: weights, optimizer state, random states, the run description and step.

Nothing here ever unpickles: a checkpoint from a stranger can hold numbers, never code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from playground.core.atomic import atomic_write_bytes, atomic_write_text
from playground.core.presets import spec_from_dict
from playground.core.spec import RunSpec

MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
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
    """Write the three files atomically; state.json last, so a folder whose state loads is complete."""
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / MODEL_FILE, save(_contiguous(ckpt.model)))
    atomic_write_bytes(folder / OPTIMIZER_FILE, save(_contiguous(ckpt.optimizer)))
    state = {**ckpt.state, "step": ckpt.step, "spec": ckpt.spec.to_dict()}
    atomic_write_text(folder / STATE_FILE, json.dumps(state, indent=1))
    return folder


def load_checkpoint(folder: Path) -> Checkpoint:
    folder = Path(folder)
    if folder.is_file():
        refuse_pickle(folder)
        raise CheckpointError(f"{folder.name} is a file: a checkpoint is a folder holding {MODEL_FILE} and {STATE_FILE}")
    for name in (MODEL_FILE, STATE_FILE):
        if not (folder / name).exists():
            pickles = [p.name for p in folder.glob("*") if p.suffix in PICKLE_SUFFIXES]
            hint = f" ({', '.join(pickles)} is a pickle and is never loaded)" if pickles else ""
            raise CheckpointError(f"no checkpoint in {folder}: {name} is missing{hint}")
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        spec = spec_from_dict(state["spec"])
        model = load_file(str(folder / MODEL_FILE))
        optimizer = load_file(str(folder / OPTIMIZER_FILE)) if (folder / OPTIMIZER_FILE).exists() else {}
    except (json.JSONDecodeError, KeyError, UnicodeDecodeError) as err:
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
