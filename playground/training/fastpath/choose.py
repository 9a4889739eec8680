"""The session's interface to the fast path: where and in what precision a run trains, and which step it takes."""

from __future__ import annotations

import functools
import os
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import torch

from playground.core.spec import RunSpec
from playground.training import device
from playground.training.device import Placement
from playground.training.fastpath import warm
from playground.training.fastpath.attention import MeasuredAttention, forget_attention_choices
from playground.training.fastpath.compiled import BackgroundStep, CompiledStep, Warm, compiles_adamw
from playground.training.fastpath.threads import (
    AdaptiveThreads,
    PacedStep,
    adaptive_thread_limit,
    configure_eager_threads,
    usable_cores,
)
from playground.training.step import EagerStep, ForwardLoss

TrainStep = EagerStep | PacedStep | MeasuredAttention | CompiledStep | BackgroundStep

# FLOPs a run must do (per-step FLOPs x steps) before `auto` compiles on a CPU: the threshold measured on the Xeon;
# where the process manages threads, runs from PAYOFF_MIN_WORK on are weighed by payoff.py instead, from this
# machine's measured gain and compile times (nanoGPT's CPU run, 8e12, compiled 1.45x faster than eager on the AMD
# EPYC, and pays once the cache holds its graph).
COMPILE_MIN_WORK = 1e13
PAYOFF_MIN_WORK = 5e12


def place(spec: RunSpec) -> Placement:
    """The device, precision and attention path (device.py measures them, at this run's block shape), after the
    eager thread count is set (where the process opted in), so the placement's description names it."""
    if device.resolve_device(spec.train.device).type == "cpu":
        configure_eager_threads()
    return device.place(spec.train, device.BlockShape.of(spec))


def worker_warm(spec: RunSpec, placement: Placement) -> Warm:
    """What compiles `spec`'s step in a worker process (BackgroundStep's `warm`), ending every other worker no run
    waits for: an ended run's compile, unless it is of this spec (Reset and Play takes it over), or the graph of
    settings this run has just changed."""
    # The worker compiles this run's graph in this run's precision: measuring for itself, at its own thread count on
    # a machine this run keeps busy, it could choose the other (a fresh machine's first compile then missed the
    # cache, and this process compiled for a minute while training waited).
    spec = spec.updated({"train.precision": "bf16" if placement.dtype == torch.bfloat16 else "fp32"})
    warm.end_lingering(keep=spec)
    return functools.partial(warm.compile_in_worker, spec)


def make_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, placement: Placement, grad_clip: float,
              forward_loss: ForwardLoss, *, compile_mode: str = "off", flops_per_step: float = 0.0,
              max_steps: int = 0, spec: RunSpec | None = None,
              model_lock: threading.RLock | None = None) -> TrainStep:
    """The step for this run: compiled where `should_compile` says it pays and the optimizer is plain AdamW (with
    `auto`, prepared in the background while the eager step trains, in a worker process given the run's `spec`;
    with `on`, from the first step; `model_lock` is held by whoever else uses the model meanwhile), else the
    plain eager step; on a CPU where the process manages threads, either at the count AdaptiveThreads
    measures faster. Sets the model's attention path to the placement's (explicit where a CPU step compiles)."""
    most = adaptive_thread_limit() if placement.device.type == "cpu" else 0
    threads = AdaptiveThreads(most) if most > 1 else None
    compiling = should_compile(compile_mode, placement.device, flops_per_step, max_steps,
                               weighed=threads is not None) and compiles_adamw(optimizer)
    if compiling and compile_mode == "auto" and placement.device.type == "cpu" and threads is None \
            and torch.get_num_threads() >= usable_cores():
        # A worker compiling beside steps whose threads fill every core stalls them at each barrier, and this
        # process may not lower its count (it did not opt in, or the user pinned it): `auto` stays uncompiled.
        compiling = False
    if compiling and placement.device.type == "cpu":
        # In one compiled graph the explicit path's scaling, mask and softmax fuse with their neighbours, while the
        # fused kernel stays an opaque call: explicit measured faster there on both CPUs tried (docs/performance.md).
        placement = replace(placement, attention="explicit")
    if hasattr(model, "set_attention_impl"):
        model.set_attention_impl(placement.attention)  # type: ignore[operator]
    background = compiling and compile_mode == "auto" and spec is not None
    warmed = worker_warm(spec, placement) if background and spec is not None else None
    if warmed is None:
        warm.end_lingering()  # an ended run's compile (`worker_warm` keeps the one this run may take over)
    eager = EagerStep(model, optimizer, placement, grad_clip, forward_loss)
    if compiling:
        compiled = CompiledStep(eager, threads)
        if compile_mode != "auto":
            return compiled
        return BackgroundStep(eager, compiled, warmed, max_steps=max_steps, model_lock=model_lock)
    paced = PacedStep(eager, threads) if threads is not None else eager
    return MeasuredAttention(paced, eager) if placement.device.type == "cpu" else paced


def forget_choices() -> list[Path]:
    """Forget every measured choice (`playground bench --reset-choices`, the window's Measure This Computer Again):
    the kept files, and this process's precision and attention path per shape. Returns the files deleted."""
    forget_attention_choices()
    return device.forget_capability()


def eager_threads(step: TrainStep) -> AdaptiveThreads | None:
    """The thread policy of `step`'s eager training, from its first step (a compiled step's own policy counts its
    steps from its take-over); None where the count is fixed."""
    inner = step.step if isinstance(step, MeasuredAttention) else step
    if isinstance(inner, BackgroundStep):
        inner = inner.paced
    policy = getattr(inner, "threads", None)
    return policy if isinstance(policy, AdaptiveThreads) else None


def compiler_available(target: torch.device) -> bool:
    """torch.compile's CPU backend writes C++: it needs a compiler on PATH (CUDA needs Triton)."""
    if target.type == "cpu":
        return any(shutil.which(cc) for cc in ("g++", "c++", "clang++"))
    if target.type == "cuda":
        try:
            import triton  # noqa: F401
        except ImportError:
            return False
        return True
    return False


def should_compile(mode: str, target: torch.device, flops_per_step: float, max_steps: int,
                   weighed: bool = False) -> bool:
    """TrainSpec.compile: 'off' never, 'on' whenever a compiler exists, 'auto' when the run is long and heavy
    enough that the first compile (a minute or two, seconds from the cache) may be won back by faster steps
    (`weighed`: payoff.py decides after the first steps, so lighter runs are considered too)."""
    if mode == "off" or os.environ.get("PLAYGROUND_COMPILE") == "off":
        return False
    if not compiler_available(target):
        return False
    if mode == "on":
        return True
    return flops_per_step * max_steps >= (PAYOFF_MIN_WORK if weighed else COMPILE_MIN_WORK)
