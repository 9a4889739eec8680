"""Which device and precision a run uses, and how to say it to the user."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from playground.core.spec import TrainSpec


class DeviceError(ValueError):
    """A device the user asked for that this machine does not have."""


@dataclass(frozen=True)
class Placement:
    device: torch.device
    dtype: torch.dtype  # autocast dtype; float32 means no autocast
    description: str  # "CPU (2 threads, float32)", "CUDA: NVIDIA H100 (bfloat16)"

    @property
    def autocast(self) -> bool:
        return self.dtype != torch.float32


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device 'cuda' was asked for but no CUDA GPU is visible: use --device cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DeviceError("device 'mps' was asked for but Apple's Metal backend is not available: use cpu or auto")
    return torch.device(name)


def choose_precision(train: TrainSpec, device: torch.device) -> torch.dtype:
    """bf16 autocast where the hardware does it well (CUDA); float32 otherwise unless asked."""
    if train.precision == "fp32":
        return torch.float32
    if train.precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def place(train: TrainSpec) -> Placement:
    device = resolve_device(train.device)
    dtype = choose_precision(train, device)
    precision = "bfloat16" if dtype == torch.bfloat16 else "float32"
    if device.type == "cuda":
        where = f"CUDA: {torch.cuda.get_device_name(device)}"
    elif device.type == "mps":
        where = "Apple GPU (MPS)"
    else:
        where = f"CPU ({torch.get_num_threads()} threads)"
    return Placement(device, dtype, f"{where}, {precision}")
