"""Refuse a model that would not fit before building it: the estimate against the memory free now."""

from __future__ import annotations

import torch

from playground.core.estimates import MemoryEstimate, format_bytes, memory_estimate
from playground.core.free_memory import HEADROOM, free_cpu_memory
from playground.core.spec import RunSpec
from playground.data.base import DataInfo


class TooLargeError(ValueError):
    """A run whose estimated memory exceeds what the device has free; `str()` suggests a smaller one."""


def free_memory(device: torch.device) -> int | None:
    """Bytes free on `device` now, or None where it cannot be known (then nothing is refused)."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    return free_cpu_memory() if device.type == "cpu" else None


def check_fits(spec: RunSpec, info: DataInfo, device: torch.device) -> None:
    free = free_memory(device)
    if free is None:
        return
    estimate = memory_estimate(spec, info)
    budget = int(free * HEADROOM)
    if estimate.total <= budget:
        return
    raise TooLargeError(
        f"this model needs about {format_bytes(estimate.total)} to train but {device.type.upper()} has "
        f"{format_bytes(free)} free: {_smaller(estimate, spec, budget)}"
    )


def _smaller(estimate: MemoryEstimate, spec: RunSpec, budget: int) -> str:
    """What to make smaller so the run fits `budget`: the largest batch size that does (only activations grow with
    it), else the model, whose weights, gradients and AdamW state alone may not fit (a newcomer followed "try batch
    size 20", then "try batch size 6", to learn at batch size 1 that no batch size would do)."""
    batch = spec.train.batch_size
    fixed = estimate.total - estimate.activations
    fits = int((budget - fixed) // max(estimate.activations / batch, 1.0))
    if fits >= 1:
        return f"try batch size {min(fits, batch - 1)}"
    if fixed >= budget:
        return (f"its weights, gradients and AdamW state alone need {format_bytes(fixed)}: try fewer layers or a "
                f"smaller embedding dimension")
    return f"even batch size 1 does not fit: try {_fewer_tokens(spec)}, fewer layers or a smaller embedding dimension"


def _fewer_tokens(spec: RunSpec) -> str:
    """What makes an example's tokens fewer: a ViT's are its patches (QA: told to shorten a context it has none of)."""
    return "a smaller image size or larger patches" if spec.model.family == "vit" else "a shorter context"


def out_of_memory_message(spec: RunSpec) -> str:
    return (f"the GPU ran out of memory at batch size {spec.train.batch_size}: lower the batch size or try "
            f"{_fewer_tokens(spec)}, and press Play again (nothing was lost: the last checkpoint is kept)")
