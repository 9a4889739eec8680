"""The attention path for this run's shape: the fused kernel or the explicit softmax(QK^T/sqrt d)V, whichever trains
this model's attention faster on this machine.

The machine's own measurement (device.py) times one small causal batch; which path wins depends on the shape
(context, head size, batch, a padding mask): on the AMD EPYC the explicit path made vit-digits' eager step 15 %
faster while the fused one suited the decoder (docs/performance.md). So the run's first step notes the shape its
first attention layer sees, and both paths are timed on that layer at that shape before the second step.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from playground.data.base import Batch
from playground.models.attention import MultiHeadAttention
from playground.training.device import Placement, attention_times
from playground.training.step import EagerStep

# The path measured for each shape in this process: a second session of a shape (Reset, Compare's two sides, a
# test's second run of a seed) takes the first one's, so the same settings draw the same curve.
_CHOSEN: dict[tuple, str] = {}


def forget_attention_choices() -> None:
    """Forget the path chosen for each shape in this process: the next run of a shape measures again."""
    _CHOSEN.clear()


class MeasuredAttention:
    """`step` (an eager CPU step) with the attention path measured at this run's shape before its second step.

    The measurement times one layer's forward and its backward to the layer's input on random numbers, so the
    weights' gradients, the optimizer and the random stream are untouched: the curve is the one either path
    would draw, to float rounding. With attention dropout the machine's path stays: the two paths draw its
    random masks differently, and a run must not change its curve with a timing."""

    compiled = False
    compile_seconds: float | None = None

    def __init__(self, step: Any, eager: EagerStep) -> None:
        self.step, self.eager = step, eager
        self.model, self.optimizer = eager.model, eager.optimizer
        self.times: dict[str, float] | None = None  # each path's best time ({} where not measured)
        self._seen: tuple[torch.Size, torch.Tensor | None] | None = None
        self._layer = first_attention(self.model)

    @property
    def placement(self) -> Placement:
        return self.eager.placement

    @property
    def threads(self) -> Any:
        return getattr(self.step, "threads", None)

    def __call__(self, batch: Batch, lr: float) -> float:
        if self._seen is not None and self.times is None:
            self._choose(*self._seen)  # before the second step: the first loss point is not delayed
        if self.times is not None or self._layer is None:
            return self.step(batch, lr)
        hook = self._layer.register_forward_pre_hook(self._note_shape, with_kwargs=True)
        try:
            return self.step(batch, lr)
        finally:
            hook.remove()

    def _note_shape(self, _module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        if self._seen is None and self._layer is not None and self._layer.training:
            x = args[0]
            key_mask = args[1] if len(args) > 1 else kwargs.get("key_mask")
            self._seen = (x.shape, None if key_mask is None else key_mask.detach().clone())

    def _choose(self, shape: torch.Size, key_mask: torch.Tensor | None) -> None:
        assert self._layer is not None
        layer, placement = self._layer, self.placement
        if layer.attn_dropout > 0:  # the two paths draw attention dropout differently: the machine's path, always
            self.times = {}
            return
        key = (tuple(shape), key_mask is not None, layer.causal, layer.n_head, placement.dtype,
               torch.get_num_threads())
        if key not in _CHOSEN:
            x = torch.randn(shape, device=placement.device)
            self.times = attention_times(layer, x, key_mask, placement.dtype)
            _CHOSEN[key] = min(self.times, key=self.times.__getitem__)
        else:
            self.times = {}
        self.model.set_attention_impl(_CHOSEN[key])  # type: ignore[operator]
        self.eager.placement = replace(placement, attention=_CHOSEN[key])

    def retune(self, grad_clip: float) -> None:
        self.step.retune(grad_clip)

    def notes(self) -> list[str]:
        return self.step.notes()

    def device_description(self) -> str:
        return self.step.device_description()


def first_attention(model: torch.nn.Module) -> MultiHeadAttention | None:
    """The model's first self-attention layer (None for a model without one)."""
    return next((m for m in model.modules() if isinstance(m, MultiHeadAttention)), None)
