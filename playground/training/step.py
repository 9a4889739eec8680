"""One optimizer step: forward, loss, backward, clipping, AdamW. The session calls it once per batch.

Kept apart from the session so the fast paths live in one place. Two ways to take the same step:

- eager: the session's forward_loss (under the placement's autocast), `loss.backward()`, `clip_grad_norm_`,
  `optimizer.step()`;
- compiled (`torch.compile`, when `device.should_compile` says it pays): the whole step is one graph.
  `torch.func.grad_and_value` differentiates the forward + loss with respect to the trainable weights,
  and clipping and the AdamW update follow in the same graph, so inductor sees forward, backward and
  update at once: no autograd engine, no `.grad` tensors, one call and one guard check per step instead
  of three compiled graphs (forward, its backward, the update). Measured at the default decoder on a 2-core AMD EPYC:
  ~11 % faster than the three-graph step, alternated in one process, the same losses to 4 decimals.
  The update reads and writes the optimizer's own state tensors (`exp_avg`, `exp_avg_sq`, `step`),
  so checkpoints, resume and `optimizer.state_dict()` are exactly the eager ones, and the model itself
  is never wrapped: its state_dict keys stay clean, and attention snapshots, evaluation and sampling
  run the plain module. The learning rate enters the graph as a tensor, so changing it live (`set_lr`,
  warm-up, cosine) never recompiles.

Precision (bf16 autocast) and the attention path come from the Placement (see device.py). Autocast is
entered around the compiled step, not inside it: a graph that enters autocast itself is never stored in
AOT-autograd's cache, and a warm start then re-runs its graph passes (6.6 instead of 4.5 s on the Xeon).
"""

from __future__ import annotations

import math
import os
import statistics
import time
import warnings
from collections import deque
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, grad_and_value

from playground.data.base import Batch
from playground.training.compile_passes import CpuTrainingPasses
from playground.training.cpu_codegen import fast_tanh
from playground.training.device import (
    Placement,
    adaptive_thread_limit,
    configure_threads,
    enable_compile_cache,
    should_compile,
)

ForwardLoss = Callable[[Batch], tuple[torch.Tensor, torch.Tensor]]

# Inductor settings for the step's graph (they are part of its cache key):
# - use_decompose_tanh: GPT-2's tanh-GELU through exp. Sleef's tanh, which inductor calls otherwise, made
#   the GELU kernels 2 ms each at the default decoder (4x a plain exp); measured 10 % of the whole step.
# Not cpp.dynamic_threads (kernels that read the thread count when they run, so one compile would serve every
# count): with it, compiled steps drift from the eager ones, 0.5 % on the Xeon; on the AMD EPYC with the count
# switching every step, 0.06-0.15 % by the sixth step of the tiny test decoder (a test checks 1e-4 without it).
# The kernels bake in the thread count instead, and dynamo guards on it, so AdaptiveThreads' first step at a
# new count compiles that count's graph once (from inductor's cache after the first run on a machine).
# - post_grad_custom_post_pass: a Linear's bias added in the next fused kernel, not copied into addmm's output
#   first (~2.5 % of the default decoder's step); the embedding's gradient summed by aten, not with atomic adds
#   (compile_passes.py).
# - cpp_wrapper (CPU only, where it was measured): the step's ~570 kernel calls made from generated C++, not
#   from a generated Python function (its own Python, the tensor reinterprets, allocations and size checks took
#   ~1.7 ms of a 28 ms step). 1.05x at the default decoder on the 2-core Xeon with AMX, each of 8 alternated
#   rounds 1.035-1.10x (1.02x on the AMD EPYC, whose slower matmuls left the wrapper a smaller share). The
#   first compile of a shape takes longer: 92 instead of 61 s there, 69 instead of 52 s for one thread.
# - the tanh of a bfloat16 step on the CPU (its GELU's) written with a cheaper exp: cpu_codegen.py (1.04x there).
# The dicts (and their pass objects) are made once: dynamo reuses a compiled step for a new session of the same
# shape only when the options compare equal, and a pass object equals only itself.
COMPILE_OPTIONS = {"cpp.use_decompose_tanh": True, "post_grad_custom_post_pass": CpuTrainingPasses()}
CPU_COMPILE_OPTIONS = {**COMPILE_OPTIONS, "cpp_wrapper": True}
CPU_BF16_COMPILE_OPTIONS = {**CPU_COMPILE_OPTIONS, "post_grad_custom_post_pass": CpuTrainingPasses(fast_tanh=True)}


def compile_options(placement: Placement) -> dict[str, Any]:
    """Inductor's options for a step on `placement`: a bfloat16 CPU step's C++ uses cpu_codegen.fast_tanh (its
    error is far below bfloat16's rounding), which its pass object puts in the cache key."""
    if placement.device.type != "cpu":
        return COMPILE_OPTIONS
    return CPU_BF16_COMPILE_OPTIONS if placement.dtype == torch.bfloat16 else CPU_COMPILE_OPTIONS


COMPILING_NOTE = ("compiling the training step (the first time for a model shape on this machine a minute or two;"
                  " a few seconds once it is cached)...")
ONE_THREAD_NOTE = ("compiling the training step for one thread as well (the pace it takes when another program"
                   " needs a core; once per model shape on this machine)...")


class TrainStep:
    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, placement: Placement,
                 grad_clip: float, forward_loss: ForwardLoss, *, compile_mode: str = "off",
                 flops_per_step: float = 0.0, max_steps: int = 0) -> None:
        self.model = model
        self.optimizer = optimizer
        self.placement = placement
        self.grad_clip = grad_clip
        self.forward_loss = forward_loss
        if hasattr(model, "set_attention_impl"):
            model.set_attention_impl(placement.attention)  # type: ignore[operator]
        self.compiled = should_compile(compile_mode, placement.device, flops_per_step, max_steps) and _plain_adamw(
            optimizer
        )
        self.compile_seconds: float | None = None  # wall time of the first (compiling) compiled step
        self._notes: list[str] = [COMPILING_NOTE] if self.compiled else []
        self._lr = torch.zeros((), dtype=torch.float32, device=placement.device)
        self._loss_of = _LossOf(model, forward_loss)
        self._names = {id(p): f"model.{name}" for name, p in model.named_parameters()}  # as _LossOf calls them
        self._compiled_whole: Callable[..., torch.Tensor] | None = None
        self._options = compile_options(placement)
        passes: CpuTrainingPasses = self._options["post_grad_custom_post_pass"]
        self._fast_tanh = passes.fast_tanh  # the code as its cache key says
        most = adaptive_thread_limit() if self.compiled and placement.device.type == "cpu" else 0
        self.threads: AdaptiveThreads | None = AdaptiveThreads(most) if most > 1 else None
        self._thread_counts: set[int] = set()  # counts the compiled step has run at (each compiles once)

    def notes(self) -> list[str]:
        """Status lines for the user since the last call ("compiling...", "compiled in 9.1 s")."""
        notes, self._notes = self._notes, []
        return notes

    def __call__(self, batch: Batch, lr: float) -> float:
        """Train on one batch at learning rate `lr`; returns the loss. A non-finite loss updates nothing."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr  # the float stays the optimizer's (checkpoints); the compiled path reads _lr
        if self.compiled:
            try:
                if self.threads is None or self._compiled_whole is None:  # the first step compiles: not timed
                    if self.threads is not None:  # the count the policy starts on, compiled first
                        torch.set_num_threads(self.threads.most)
                        self._thread_counts.add(self.threads.most)
                    return self._compiled_step(batch, lr)
                self.threads.before_step()
                started = time.perf_counter()
                loss_value = self._compiled_step(batch, lr)
                self.threads.after_step(time.perf_counter() - started)
                self._thread_counts.add(self.threads.current)
                if self.threads.plan and self.threads.plan[0] not in self._thread_counts:
                    self._notes.append(ONE_THREAD_NOTE)  # said before the step that compiles it
                return loss_value
            except Exception as err:  # noqa: BLE001 - a compiler problem must never stop a lesson
                self._fall_back(err)
        return self._eager_step(batch)

    # ----- eager ----------------------------------------------------------------------------------------
    def _eager_step(self, batch: Batch) -> float:
        if self.placement.device.type == "cpu":
            configure_threads()  # the fixed count: an adaptive run in this process may have changed it
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

    # ----- compiled -------------------------------------------------------------------------------------
    def _compiled_step(self, batch: Batch, lr: float) -> float:
        first = self._compiled_whole is None
        started = time.perf_counter()
        if first:
            enable_compile_cache()
            _allow_many_sessions()
            self._compiled_whole = torch.compile(_whole_step, dynamic=False, options=self._options)
        assert self._compiled_whole is not None
        self._lr.fill_(lr)
        names, state, decays = self._update_state()
        group = self.optimizer.param_groups[0]
        beta1, beta2 = group["betas"]
        with self.placement.autocast_context(), fast_tanh(self._fast_tanh):
            loss = self._compiled_whole(self._loss_of, names, *state, self._lr, batch, decays, float(beta1),
                                        float(beta2), float(group["eps"]), float(self.grad_clip))
        loss_value = loss.item()
        if first:
            self.compile_seconds = time.perf_counter() - started
            self._notes.append(f"compiled the training step in {self.compile_seconds:.1f} s")
        return loss_value

    def _update_state(self) -> tuple[tuple[str, ...], tuple[list[torch.Tensor], ...], tuple[float, ...]]:
        """The trainable weights (by their name in the model) and torch.optim.AdamW's state for each, as the
        compiled step takes them: parameters detached (the graph updates them in place, outside autograd)."""
        names, params, exp_avgs, exp_avg_sqs, steps, decays = [], [], [], [], [], []
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                if not p.requires_grad:
                    continue
                state = self.optimizer.state[p]
                if not state:  # what torch.optim.AdamW creates on its first step
                    state["step"] = torch.tensor(0.0, dtype=torch.float32)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                names.append(self._names[id(p)])
                params.append(p.detach())
                exp_avgs.append(state["exp_avg"])
                exp_avg_sqs.append(state["exp_avg_sq"])
                steps.append(state["step"])
                decays.append(float(group["weight_decay"]))
        return tuple(names), (params, exp_avgs, exp_avg_sqs, steps), tuple(decays)

    def _fall_back(self, err: Exception) -> None:
        self.compiled = False
        message = f"compiling the training step failed ({type(err).__name__}: {err}); training uncompiled"
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        self._notes.append(message)
        self.optimizer.zero_grad(set_to_none=True)


# Dynamo keeps compiled code per code object: every model shape a process trains (sliders moved between runs in
# the window, the bench's cases) adds entries for the forward and the update, one per thread count. Past
# dynamo's default of 8 it silently trained uncompiled (seen in the full bench). Entries of finished runs sit
# behind the newer ones and are not tried first, so a higher cap costs no guard time.
RECOMPILE_LIMIT = 512


def _allow_many_sessions() -> None:
    config = torch._dynamo.config
    config.recompile_limit = max(config.recompile_limit, RECOMPILE_LIMIT)
    config.accumulated_recompile_limit = max(config.accumulated_recompile_limit, 4 * RECOMPILE_LIMIT)


def _plain_adamw(optimizer: torch.optim.Optimizer) -> bool:
    """The compiled update reproduces torch.optim.AdamW's default algorithm, and only that."""
    if type(optimizer) is not torch.optim.AdamW:
        return False
    groups = optimizer.param_groups
    return all(
        not g.get("amsgrad") and not g.get("maximize") and g["betas"] == groups[0]["betas"] and g["eps"] == groups[0]["eps"]
        for g in groups
    )


class _LossOf(nn.Module):
    """forward_loss as a module whose weights `functional_call` can swap for the ones being differentiated.

    forward_loss reaches the model through its own references (the session's), which are this module's
    `model`: swapping `model.<name>` here swaps it there."""

    def __init__(self, model: nn.Module, forward_loss: ForwardLoss) -> None:
        super().__init__()
        self.model = model
        self.forward_loss = forward_loss

    def forward(self, batch: Batch) -> torch.Tensor:
        loss, _ = self.forward_loss(batch)
        return loss


def _whole_step(loss_of: _LossOf, names: tuple[str, ...], params: list[torch.Tensor], exp_avgs: list[torch.Tensor],
                exp_avg_sqs: list[torch.Tensor], steps: list[torch.Tensor], lr: torch.Tensor, batch: Batch,
                decays: tuple[float, ...], beta1: float, beta2: float, eps: float, max_norm: float) -> torch.Tensor:
    """Forward, loss, backward, clipping and the AdamW update: the function torch.compile makes one graph of."""

    def loss_at(weights: list[torch.Tensor]) -> torch.Tensor:
        return functional_call(loss_of, dict(zip(names, weights)), (batch,))

    grads, loss = grad_and_value(loss_at)(params)
    with torch.no_grad():
        _clip_and_adamw(params, grads, exp_avgs, exp_avg_sqs, steps, lr, decays, beta1, beta2, eps, max_norm,
                        keep=torch.isfinite(loss))
    return loss


def _clip_and_adamw(params: list[torch.Tensor], grads: list[torch.Tensor], exp_avgs: list[torch.Tensor],
                    exp_avg_sqs: list[torch.Tensor], steps: list[torch.Tensor], lr: torch.Tensor,
                    decays: tuple[float, ...], beta1: float, beta2: float, eps: float, max_norm: float,
                    keep: torch.Tensor) -> None:
    """clip_grad_norm_ then torch.optim.AdamW's update, written out so the step's graph holds all of it.

    keep (a bool scalar: the loss was finite) decides inside the graph whether anything is written: a
    non-finite loss updates nothing, as in the eager step, which checks it before calling backward."""
    if max_norm > 0:
        total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, 2.0) for g in grads]), 2.0)
        coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
        grads = [g * coef for g in grads]
    for p, g, m, v, step, decay in zip(params, grads, exp_avgs, exp_avg_sqs, steps, decays):
        new_step = step + 1
        new_m = m.lerp(g, 1 - beta1)
        new_v = v * beta2 + (1 - beta2) * g * g
        bias_correction1 = 1 - beta1**new_step
        bias_correction2_sqrt = (1 - beta2**new_step).sqrt()
        denom = new_v.sqrt() / bias_correction2_sqrt + eps
        decayed = p * (1 - lr * decay) if decay else p
        new_p = decayed - (lr / bias_correction1) * new_m / denom
        for old, new in ((step, new_step), (m, new_m), (v, new_v), (p, new_p)):
            old.copy_(torch.where(keep, new, old))


def neighbour_cpu_seconds() -> float | None:
    """Core-seconds that other processes have run: the machine's busy time since boot (Linux /proc/stat, in
    clock ticks) less this process's own CPU time (all its threads: training, the window, the logs). Only
    differences mean anything. None where the machine's time is unknown."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()  # "cpu  user nice system idle iowait irq softirq steal ..."
        user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[1:8])
        busy = (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None
    return busy - time.process_time()


class AdaptiveThreads:
    """The compiled CPU path's thread count: every core while that is faster, one thread under contention.

    OpenMP threads spin at every barrier, so when another process takes one of the cores a multi-thread step
    waits on a descheduled thread and gets 5-50x slower (issue 8; training/openmp.py shortens the spinning,
    which makes the first such step 3x cheaper), while one thread keeps its speed. Quiet,
    all cores are faster on the default decoder (measured here ~1.5x on 2 cores). So:

    - start: a few steps at all cores, a few at one; keep the one with the faster best step;
    - at all cores, a step slower than MUCH_SLOWER x the recent median, or SLOW_STEPS steps in a row slower
      than SLOWER x it, mean a neighbour took a core: drop to one thread. Where the machine's CPU time is known
      (Linux), a slow step counts only when other processes ran on at least NEIGHBOUR of a core during it:
      this process's own bursts are not a neighbour. The window is one: redrawing a new attention snapshot
      took ~30 ms of a core, and before this rule a few such steps kept window-driven training on one thread
      for most of a run (measured: 73 and 90 of 120 steps in two of four runs, 60 instead of 40 ms a step);
    - at one thread, probe all cores again after `backoff` steps. The first probe step warms the other
      thread up and is not judged; a judged probe step that is not faster than one thread ends the probe and
      doubles the backoff (up to MAX_BACKOFF steps), a fast probe resets it. Where the machine's CPU time is
      known, a due probe waits while other processes ran on NEIGHBOUR of a core or more over the last RECENT
      steps (the neighbour is still there, and a probe would cost more slow steps) and starts as soon as they
      did not: all cores come back a few steps after the neighbour leaves.
    """

    FIRST_STEPS = 3  # steps per setting when choosing, after one unmeasured step at each
    SLOWER, MUCH_SLOWER = 2.0, 4.0
    SLOW_STEPS = 2
    FIRST_BACKOFF, MAX_BACKOFF = 16, 512
    PROBE_STEPS = 3  # the first warms up, the others are judged
    HISTORY = 9
    NEIGHBOUR = 0.5  # cores used by other processes that mean another process wants ours
    RECENT = 8  # steps over which a neighbour is looked for before a probe (/proc/stat counts in 10 ms ticks)

    def __init__(self, most: int, neighbours: Callable[[], float | None] = neighbour_cpu_seconds,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.most = most
        self.neighbours = neighbours
        self.clock = clock
        self.times: dict[int, deque[float]] = {most: deque(maxlen=self.HISTORY), 1: deque(maxlen=self.HISTORY)}
        self.plan: list[int] = [most] * (self.FIRST_STEPS + 1) + [1] * (self.FIRST_STEPS + 1)
        self.skip = {0, self.FIRST_STEPS + 1}  # the first step at a new setting is not measured
        self.chosen = most
        self.current = most
        self.backoff = self.FIRST_BACKOFF
        self.until_probe = 0
        self.probing = 0  # probe steps left
        self.switches = 0  # how often it dropped to one thread because of slow steps
        self.skipped_probes = 0  # probes not tried because a neighbour was still running
        self.slow_in_a_row = 0
        self._step = 0
        self._step_began: tuple[float, float] | None = None  # (neighbours' CPU seconds, wall clock) at this step
        self._recent: deque[tuple[float, float]] = deque(maxlen=self.RECENT)  # ... at the last few steps

    def before_step(self) -> None:
        if self.plan:
            self.current = self.plan[0]
        elif self.chosen == 1 and not self.probing:
            self.until_probe -= 1
            if self.until_probe <= 0:
                if self._neighbour_stayed():
                    self.skipped_probes += 1
                    self.until_probe = 1  # looking costs nothing: look again at the next step
                else:
                    self.probing = self.PROBE_STEPS
        if not self.plan:
            self.current = self.most if self.probing else self.chosen
        if torch.get_num_threads() != self.current:
            torch.set_num_threads(self.current)
        self._step_began = self._clocks()
        if self._step_began is not None:
            self._recent.append(self._step_began)

    def after_step(self, seconds: float) -> None:
        n = self.current
        if self.plan:
            self.plan.pop(0)
            if self._step not in self.skip:
                self.times[n].append(seconds)
            self._step += 1
            if not self.plan:  # the fastest step of each: a burst of other work (the window opening) can only slow one
                self.chosen = min((1, self.most), key=lambda k: min(self.times[k], default=math.inf))
                if self.chosen == 1:
                    self._wait_at_one(self.backoff)
            return
        one = self._median(1)
        if self.probing:  # all cores, tried again while one thread is the choice
            self.probing -= 1
            if self.probing == self.PROBE_STEPS - 1:
                return  # the warm-up step after switching
            if one is not None and seconds >= one:
                self._stay_at_one()  # still contended (or one thread is simply faster here): back off
                return
            self.times[n].append(seconds)
            if not self.probing:
                self.chosen, self.backoff = self.most, self.FIRST_BACKOFF
            return
        usual = self._median(n)
        if n > 1 and usual is not None and seconds > self.SLOWER * usual:
            share = self._share(self._step_began)
            if share is not None and share < self.NEIGHBOUR:
                return  # slow, but no other process ran: this process's own burst (the window), not a neighbour
            self.slow_in_a_row += 1
            if self.slow_in_a_row >= self.SLOW_STEPS or seconds > self.MUCH_SLOWER * usual:
                self.switches += 1
                self.slow_in_a_row = 0
                self._wait_at_one(self.FIRST_BACKOFF)
            return  # a contended step says nothing about the quiet speed
        self.slow_in_a_row = 0
        self.times[n].append(seconds)

    def _stay_at_one(self) -> None:
        self._wait_at_one(min(self.MAX_BACKOFF, 2 * self.backoff))

    def _wait_at_one(self, backoff: int) -> None:
        self.chosen, self.probing = 1, 0
        self.backoff = self.until_probe = backoff

    def _clocks(self) -> tuple[float, float] | None:
        others = self.neighbours()
        return None if others is None else (others, self.clock())

    def _share(self, began: tuple[float, float] | None) -> float | None:
        """Cores other processes used on average since `began` (None where the machine's time is unknown)."""
        now = self._clocks()
        if now is None or began is None or now[1] <= began[1]:
            return None
        return (now[0] - began[0]) / (now[1] - began[1])

    def _neighbour_stayed(self) -> bool:
        """True when other processes used NEIGHBOUR of a core or more over the last RECENT steps."""
        share = self._share(self._recent[0] if self._recent else None)
        return share is not None and share >= self.NEIGHBOUR

    def _median(self, n: int) -> float | None:
        times = self.times[n]
        return statistics.median(times) if times else None

    def describe(self) -> str:
        return f"{self.chosen} of {self.most} threads (adaptive; {self.switches} contention drops)"
