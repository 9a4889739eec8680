"""The plain training step: forward, loss, backward, clipping, torch.optim.AdamW. The session calls it per batch.

This is the textbook loop. Every faster way to take the same step (the compiled whole step, the thread count)
is chosen and built in playground.training.fastpath, which falls back to this step.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from playground.data.base import Batch
from playground.training.device import Placement

ForwardLoss = Callable[[Batch], tuple[torch.Tensor, torch.Tensor]]


class EagerStep:
    """One optimizer step on one batch, in the placement's precision (autocast)."""

    compiled = False
    compile_seconds: float | None = None

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, placement: Placement,
                 grad_clip: float, forward_loss: ForwardLoss) -> None:
        self.model = model
        self.optimizer = optimizer
        self.placement = placement
        self.grad_clip = grad_clip
        self.forward_loss = forward_loss

    def __call__(self, batch: Batch, lr: float) -> float:
        """Train on one batch at learning rate `lr`; returns the loss. A non-finite loss updates nothing."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        with self.placement.autocast_context():
            loss, _ = self.forward_loss(batch)
        loss_value = loss.item()
        if math.isfinite(loss_value):
            loss.backward()
            if self.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss_value

    def retune(self, grad_clip: float) -> None:
        """The run's settings changed between two steps: clip at `grad_clip` from the next step on (the model's
        dropout, the optimizer's weight decay and the batch size are read where they live)."""
        self.grad_clip = grad_clip

    def notes(self) -> list[str]:
        """Status lines for the user since the last call: the plain step has none."""
        return []

    def device_description(self) -> str:
        """The status bar's device text."""
        return self.placement.description
