"""The compiled training step: forward, backward, clipping and the AdamW update as one torch.compile graph.

`torch.func.grad_and_value` differentiates the forward + loss with respect to the trainable weights, and
clipping and torch.optim.AdamW's update follow in the same function, so inductor sees forward, backward and
update at once: no autograd engine, no `.grad` tensors, one call and one guard check per step. The update reads
and writes the optimizer's own state tensors (`exp_avg`, `exp_avg_sq`, `step`), so checkpoints, resume and
`optimizer.state_dict()` are exactly the eager step's, and the model itself is never wrapped (clean state_dict
keys; snapshots, evaluation and sampling run the plain module). The learning rate enters the graph as a
tensor, so changing it live never recompiles.

When anything about compiling fails, the step says so (a note the CLI prints and the window's status bar shows,
and a CompileFallbackWarning) and goes on with the plain step.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import statistics
import subprocess
import threading
import time
import types
import warnings
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, grad_and_value

from playground.core.files import elide
from playground.data.base import Batch
from playground.training.compile_passes import CpuTrainingPasses
from playground.training.device import Placement
from playground.training.fastpath import machine, payoff, warm
from playground.training.fastpath.threads import AdaptiveThreads, PacedStep, configure_eager_threads
from playground.training.step import EagerStep, ForwardLoss

# Inductor's options (torch.compile's documented `options`; their measurements are in docs/performance.md):
# - cpp.use_decompose_tanh: GPT-2's tanh-GELU through exp, which vectorises far better than Sleef's tanh;
# - post_grad_custom_post_pass: the CPU graph rewrites of compile_passes.py (inductor's custom-pass hook);
# - cpp_wrapper (CPU only): the step's hundreds of kernel calls made from generated C++, not Python.
# Made once: a new session of a shape reuses the compiled step only when the options compare equal.
COMPILE_OPTIONS = {"cpp.use_decompose_tanh": True, "post_grad_custom_post_pass": CpuTrainingPasses()}
CPU_COMPILE_OPTIONS = {**COMPILE_OPTIONS, "cpp_wrapper": True}

COMPILING_NOTE = ("compiling the training step (the first time for a model shape on this machine a minute or two;"
                  " a few seconds once it is cached)...")
BACKGROUND_NOTE = ("compiling the training step in the background (the first time for a model shape on this"
                   " machine a minute or two, a few seconds once cached); training goes on uncompiled meanwhile...")
RECOMPILING_NOTE = ("compiling the training step for the changed settings (seconds if this model has trained with"
                    " them before, else a minute or two)...")
LOADING_NOTE = ("loading the compiled training step into this process; training waits meanwhile (about {seconds:.0f} s"
                " here)...")
ONE_THREAD_NOTE = ("compiling the training step for one thread as well (the pace it takes when another program"
                   " needs a core; once per model shape on this machine)...")
# What prepares a background compile: the step compiled at each thread count in a worker process (warm.py), given up
# once the event is set
Warm = Callable[[tuple[int, ...], threading.Event], None]


def times_faster(before: float, after: float) -> str:
    """"3.0x faster" where `after` takes less time than `before`, "2.9x slower" where it takes more (QA: "0.3x
    faster")."""
    return f"{before / after:.1f}x faster" if after <= before else f"{after / before:.1f}x slower"


class CompileFallbackWarning(RuntimeWarning):
    """The compiled step failed and training went on uncompiled (tests turn it into an error)."""


def compile_options(placement: Placement) -> dict[str, Any]:
    return CPU_COMPILE_OPTIONS if placement.device.type == "cpu" else COMPILE_OPTIONS


def compiles_adamw(optimizer: torch.optim.Optimizer) -> bool:
    """The compiled update reproduces torch.optim.AdamW's default algorithm, and only that."""
    if type(optimizer) is not torch.optim.AdamW:
        return False
    groups = optimizer.param_groups
    shared = (groups[0]["betas"], groups[0]["eps"])
    return all(not g.get("amsgrad") and not g.get("maximize") and (g["betas"], g["eps"]) == shared for g in groups)


class CompiledStep:
    """The same step as `eager`, compiled; `eager` takes over (with a note) if compiling fails."""

    def __init__(self, eager: EagerStep, threads: AdaptiveThreads | None) -> None:
        self.eager = eager
        self.model, self.optimizer, self.placement = eager.model, eager.optimizer, eager.placement
        self.threads = threads
        self.compiled = True
        self.compile_seconds: float | None = None  # wall time of the first (compiling) step
        self._notes: list[str] = [COMPILING_NOTE]
        self._lr = torch.zeros((), dtype=torch.float32, device=self.placement.device)
        self._loss_of = _LossOf(self.model, eager.forward_loss)
        self._names = {id(p): f"model.{name}" for name, p in self.model.named_parameters()}  # as _LossOf calls them
        self._whole: Callable[..., torch.Tensor] | None = None
        self._thread_counts: set[int] = set()  # counts the compiled step has run at (each compiles once)

    def notes(self) -> list[str]:
        """Status lines for the user since the last call ("compiling...", "compiled in 9.1 s", a fallback)."""
        notes, self._notes = self._notes, []
        return notes

    def device_description(self) -> str:
        """The status bar's device text, with the thread count the adaptive policy uses right now."""
        if self.threads is None or not self.compiled:
            return self.placement.description
        return self.placement.described_as(self.threads.where())

    def __call__(self, batch: Batch, lr: float) -> float:
        """Train on one batch at learning rate `lr`; returns the loss. A non-finite loss updates nothing."""
        if not self.compiled:
            return self.eager(batch, lr)
        for group in self.optimizer.param_groups:
            group["lr"] = lr  # the float stays the optimizer's (checkpoints); the graph reads self._lr
        try:
            return self._paced_step(batch, lr)
        except Exception as err:  # noqa: BLE001 - a compiler problem must not stop a lesson; the user is told
            self._fall_back(err)
        return self.eager(batch, lr)

    def _paced_step(self, batch: Batch, lr: float) -> float:
        """The compiled step at the thread count the adaptive policy picks (the first, compiling step untimed)."""
        if self.threads is None or self._whole is None:
            if self.threads is not None:  # the count the policy starts on is compiled first
                torch.set_num_threads(self.threads.most)
                self._thread_counts.add(self.threads.most)
            return self._step(batch, lr)
        self.threads.before_step()
        count = self.threads.current
        started = time.perf_counter()
        loss_value = self._step(batch, lr)
        took = time.perf_counter() - started
        self.threads.after_step(took)
        if count not in self._thread_counts:  # this step compiled it: ONE_THREAD_NOTE is answered
            self._thread_counts.add(count)
            took_text = f"{took:.1f} s" if took >= 0.05 else "under 0.1 s"  # (QA: "in 0.0 s" read as a bug)
            self._notes.append(f"compiled the training step for {count} thread{'' if count == 1 else 's'} in "
                               f"{took_text}")
        if self.threads.next_count == 1 and 1 not in self._thread_counts:
            self._notes.append(ONE_THREAD_NOTE)  # said before the step that compiles it (the plan's, or a neighbour's)
        return loss_value

    def _hyper(self, decays: tuple[float, ...]) -> tuple[Any, ...]:
        group = self.optimizer.param_groups[0]
        beta1, beta2 = (float(b) for b in group["betas"])
        return decays, beta1, beta2, float(group["eps"]), float(self.eager.grad_clip)

    def _function(self, names: tuple[str, ...], params: list[torch.Tensor], batch: Batch,
                  hyper: tuple[Any, ...]) -> Callable[..., torch.Tensor]:
        return _compiled_whole_step(_shape_key(self.model, names, params, batch, self.placement, hyper),
                                    compile_options(self.placement))

    def cache_key(self, batch: Batch) -> str:
        """A name for the graph this step compiles for `batch` into this inductor cache folder (the same in every
        process): whether this machine has compiled it there before, so the cache holds it (payoff.CompileHistory)."""
        weights = [(name, tuple(p.shape)) for name, p in self.model.named_parameters() if p.requires_grad]
        data = [None if t is None else tuple(t.shape) for t in (batch.x, batch.y, batch.mask)]
        decays = tuple(float(g["weight_decay"]) for g in self.optimizer.param_groups)
        cache = os.environ.get("TORCHINDUCTOR_CACHE_DIR", "")  # the bench's cold runs compile into an empty one
        text = repr((repr(self.model), weights, data, str(self.placement.dtype), self._hyper(decays), cache))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def prepare(self, batch: Batch, thread_counts: tuple[int, ...]) -> None:
        """Compile the step, and run it once at each thread count, on copies of the weights, of a fresh AdamW state
        and of `batch`: no weight or optimizer state changes. Dynamo reads the live modules as it traces, so
        BackgroundStep, which calls this on its thread, holds the model lock meanwhile (seconds from inductor's
        cache). The step then starts from the compiled code."""
        started = time.perf_counter()
        names, params, decays = [], [], []
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                if p.requires_grad:
                    names.append(self._names[id(p)])
                    params.append(p.detach().clone())
                    decays.append(float(group["weight_decay"]))
        state = (params, [torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params],
                 [torch.tensor(0.0, dtype=torch.float32) for _ in params])
        hyper = self._hyper(tuple(decays))
        copy = Batch(batch.x.clone(), batch.y.clone(), None if batch.mask is None else batch.mask.clone())
        whole = self._function(tuple(names), params, copy, hyper)
        lr = torch.zeros((), dtype=torch.float32, device=self.placement.device)
        # The graph is the training step's whatever mode an evaluation left: dynamo bakes the modules' `training`
        # flag (dropout) into the graph and guards it, so an eval-mode trace would recompile at the first step.
        was_training = self.model.training
        self.model.train()
        try:
            with _COMPILING:
                for count in thread_counts:
                    torch.set_num_threads(count)  # this thread's count only (OpenMP's is per thread): compiles once
                    with self.placement.autocast_context():
                        whole(self._loss_of, tuple(names), *state, lr, copy, *hyper).item()
                    self._thread_counts.add(count)
        finally:
            self.model.train(was_training)
        self._whole = whole
        self.compile_seconds = time.perf_counter() - started
        self._notes.clear()  # "compiling..." was said by whoever prepared it

    def _step(self, batch: Batch, lr: float) -> float:
        started = time.perf_counter()
        names, state, decays = self._update_state()
        hyper = self._hyper(decays)
        first = self._whole is None
        if first:
            self._whole = self._function(names, state[0], batch, hyper)
        assert self._whole is not None
        self._lr.fill_(lr)
        # Autocast is entered around the compiled call, not inside it: AOT-autograd's cache skips graphs that
        # enter autocast themselves.
        with _COMPILING if first else contextlib.nullcontext(), self.placement.autocast_context():
            loss = self._whole(self._loss_of, names, *state, self._lr, batch, *hyper)
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

    def retune(self, grad_clip: float) -> None:
        """The run's settings changed between two steps: the graph baked in the old clipping, weight decay,
        dropout or batch shape, so the next step takes (or compiles) the graph of the new ones."""
        self.eager.retune(grad_clip)
        if self.compiled:
            self.forget()
            self._notes.append(RECOMPILING_NOTE)

    def forget(self) -> None:
        """Drop the graph: the next step takes (or compiles) the one of the settings then."""
        self._whole = None
        self._thread_counts.clear()

    def _fall_back(self, err: Exception) -> None:
        self.compiled = False
        message = (f"compiling the training step failed ({elide(err, 160)}), so training goes on uncompiled "
                   "(slower); set train.compile to off to skip compiling")
        self._notes.append(message)
        self.optimizer.zero_grad(set_to_none=True)
        configure_eager_threads()  # the eager step's fixed count, not the one the adaptive policy left
        warnings.warn(message, CompileFallbackWarning, stacklevel=3)


class BackgroundStep:
    """Training starts at once on the eager step while `compiled` is prepared on a background thread: `warm` (a
    worker process, warm.py) fills inductor's disk cache, then the step is compiled from there and run once on
    copies; at the first step boundary after that, the compiled step takes over on the same curve, since it reads
    and writes torch.optim.AdamW's own state. Where the process manages threads, the eager step's thread plan runs
    first and the compile starts only if it pays for this run (payoff.py); the eager step then runs on one thread
    meanwhile, leaving the other cores to the compiler."""

    TELL_AFTER = 8  # compiled steps timed before the note says how much faster they are

    def __init__(self, eager: EagerStep, compiled: CompiledStep,
                 warm: Warm | None = None, max_steps: int | None = None,
                 model_lock: threading.RLock | None = None) -> None:
        self.eager, self.compiled_step, self.warm = eager, compiled, warm
        self.model, self.optimizer, self.placement = eager.model, eager.optimizer, eager.placement
        self.taken_over_at: int | None = None  # the step the compiled step took over at
        self._notes: deque[str] = deque()  # the compile thread adds to it: drained one by one, never swapped
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()  # set by close()
        self._cancel = threading.Event()  # set by close() or a change of the settings: the preparation under way stops
        self._error: Exception | None = None
        self._worker_error: str | None = None  # said at the take-over: the worker failed, this process compiled
        self._worker_seconds: float | None = None  # how long the worker compiled (payoff.CompileHistory)
        self._steps = 0
        self._retuned = False  # settings changed while a graph was prepared: it is stale (`_check`)
        self._make_warm: Callable[[], Warm] | None = None  # `rewarm`
        self._first_graph = True  # the graph of the run's first settings (`_tell_gain` keeps its gain)
        self._quiet = False  # weighing again after a change of a run that declined: a decline again goes unsaid
        self._eager_times: list[float] = []
        self._compiled_times: list[float] = []
        # With a thread policy and a known length, the first steps train eager at the measured thread count and
        # then decide whether compiling pays (payoff.py); else the compile starts with the first step.
        policy = compiled.threads
        self._max_steps = max_steps if policy is not None else None
        self.paced = PacedStep(eager, AdaptiveThreads(policy.most)) if self._max_steps is not None and policy else None
        self.declined = False  # decided that compiling does not pay: the paced eager step trains throughout
        if self.paced is None:
            self._notes.append(BACKGROUND_NOTE)
        self._shape = ""  # the compiled step's cache key (payoff.CompileHistory)
        self._neighbours_at_take_over: machine.Reading | None = None
        # Held by the compile thread while dynamo traces the live modules, and by whatever else uses the model (an
        # eager step here; the session's evaluations, snapshots and samples when it passes its own lock): a step
        # or a mode switch (eval for a snapshot) in mid-trace would end up in the graph.
        self._model_lock = model_lock or threading.RLock()

    @property
    def compiled(self) -> bool:
        return self.taken_over_at is not None and self.compiled_step.compiled

    @property
    def compile_seconds(self) -> float | None:
        return self.compiled_step.compile_seconds

    @property
    def threads(self) -> AdaptiveThreads | None:
        """The thread policy of the step that trains: the compiled step's once it does, else the eager one's."""
        if self.compiled:
            return self.compiled_step.threads
        return self.paced.threads if self._pacing else None

    @property
    def _pacing(self) -> bool:
        """The paced eager step trains: its thread plan runs, or compiling was found not to pay."""
        return self.paced is not None and (self.declined or self._thread is None)

    def __call__(self, batch: Batch, lr: float) -> float:
        """One step: eager until the compiled step is ready, compiled from the step boundary after."""
        self._check()  # (first: a graph of settings changed meanwhile is dropped, and the new one started below)
        if self._thread is None and not self.declined:
            if self.paced is not None and self.paced.threads.plan:
                self._steps += 1
                return self.paced(batch, lr)  # measuring the eager step at each thread count first
            if self.paced is not None and not self._compile_pays(batch):
                self.declined = True
            else:
                self._start(batch)
        if self.declined:
            self._steps += 1
            return self.paced(batch, lr)  # type: ignore[misc]
        self._steps += 1
        if self.taken_over_at is None or not self.compiled_step.compiled:
            if self.compiled_step.threads is not None and self.taken_over_at is None:
                torch.set_num_threads(1)  # the other core compiles
            with self._model_lock:
                return self._timed(self.eager, batch, lr, self._eager_times)
        loss_value = self._timed(self.compiled_step, batch, lr, self._compiled_times)
        if len(self._compiled_times) == self.TELL_AFTER:
            self._tell_gain()
        return loss_value

    def end_at(self, step: int) -> None:
        """This process trains to `step` only (`resume --steps 20` of a 20,000-step run): compiling is weighed
        against the steps to there, not to the run's end (it said "19973 steps left" and compiled for nothing). A run
        trained on past its end is weighed again at its next step: declined for 200 steps, it may pay for 3,000."""
        if self._max_steps is not None:
            if step > self._max_steps:
                self.declined = False
            self._max_steps = step

    def _compile_pays(self, batch: Batch) -> bool:
        """After the eager step's thread plan: whether compiling wins back its cost in this run (payoff.py)."""
        assert self.paced is not None and self._max_steps is not None
        times = self.paced.threads.times
        most, one = min(times[self.paced.threads.most]), min(times[1])
        history = payoff.CompileHistory.load()
        self._shape = self.compiled_step.cache_key(batch)
        pays, why = payoff.compile_pays(self._max_steps - self._run_steps(), most, history.expected_seconds(self._shape),
                                        history.gain(), history.slowdown(one / most))
        # The compiling note ends in "...": work under way, which the window keeps in view until the take-over.
        if pays or not self._quiet:
            self._notes.append(f"{BACKGROUND_NOTE[:-3]} ({why})..." if pays else f"not compiling the training step: {why}")
        self._quiet = False
        if not pays:
            warm.end_lingering()  # an ended run's worker of this spec, kept for this run, would only take a core
        return pays

    def _run_steps(self) -> int:
        """The run's steps so far, a resumed run's earlier ones included: AdamW counts them in its state, restored
        from the checkpoint (self._steps counts only this process's, so a resume at step 26 of 500 said 492 left)."""
        counts = (state["step"] for state in self.optimizer.state.values() if "step" in state)
        return max(self._steps, int(next(counts, 0)))

    def _tell_gain(self) -> None:
        """How much faster the compiled step is; its gain at the policy's every-core count is kept when the
        machine was quiet meanwhile (payoff.CompileHistory)."""
        if self._eager_times:
            compiled_ms, eager_ms = (1000 * statistics.median(t) for t in (self._compiled_times, self._eager_times))
            self._notes.append(f"compiled steps take {compiled_ms:.0f} ms, uncompiled ones took {eager_ms:.0f} ms "
                               f"while it compiled: {times_faster(eager_ms, compiled_ms)}")
        policy = self.compiled_step.threads
        if self.paced is None or policy is None or not policy.times[policy.most] or not self._first_graph:
            return  # (a later graph's: its policy's times and the eager plan's are of other settings, review)
        before = min(self.paced.threads.times[policy.most])
        gain, slowdown = before / min(policy.times[policy.most]), statistics.median(self._eager_times) / before
        used = machine.cores_used(self._neighbours_at_take_over, machine.reading())
        if used is not None and used < machine.NEIGHBOUR_CORES:
            history = payoff.CompileHistory.load()
            history.add_gain(gain, slowdown)
            history.save()

    def retune(self, grad_clip: float) -> None:
        """The run's settings changed between two steps: the eager step takes them now. A compiled graph, prepared
        or training, baked in the old ones: the eager step trains again while the new one is prepared in the
        background, as at the start (compiled in this process, a dropout changed live stopped training for 100 s
        on 2 cores: QA). `rewarm` first, so the worker compiles the new settings' graph."""
        self.eager.retune(grad_clip)
        if self._thread is not None and self.taken_over_at is None and self._prepared() and self._error is not None:
            self._take_over()  # a compile that failed falls back, said, not tried again unsaid (review)
        if self.declined:
            self.declined = False  # weighed again for the new settings (QA: declined for dropout 0.1, dropout back
            # to 0, whose graph this process had compiled, stayed uncompiled, 1.5x slower, unsaid)
            self._quiet = True  # declined again, it is not said again at every change
        if self._thread is None or not self.compiled_step.compiled or self._stop.is_set():
            return  # nothing prepared yet (it starts from the new settings), compiling failed, or the run ended
        self._retuned = True
        self._cancel.set()  # a worker compiling the old graph is no longer waited for
        if not self._thread.is_alive():
            self._again()

    def rewarm(self, make: Callable[[], Warm]) -> None:
        """What compiles the next graph in a worker process, made (`make`) when that graph is prepared: the run's
        settings changed (kept None without one). Made only then, since making it ends every other lingering worker
        (review: a change in Compare's B, which prepared nothing, ended the main window's)."""
        if self.warm is not None:
            self._make_warm = make

    def _again(self) -> None:
        """Uncompiled again from the next step, whose call prepares the changed settings' graph in the background."""
        self.compiled_step.forget()
        self._thread, self.taken_over_at, self._retuned = None, None, False
        self._cancel = threading.Event()
        self._error = self._worker_error = self._worker_seconds = None
        self._eager_times.clear()
        self._compiled_times.clear()  # how much faster is said again, of the new graph
        self._first_graph = False
        if self.paced is None:
            self._notes.append(BACKGROUND_NOTE)  # (else said as the compile is weighed again)

    def close(self) -> None:
        """The run ended (Reset, a new shape, the window closed): what its worker compiles is not loaded into this
        process (the next run would lose Python's lock to it for seconds). The worker lingers for a next run of the
        same spec to take over (warm.py); the next run of another spec, or the process's end, ends it."""
        self._stop.set()
        self._cancel.set()

    def wait(self) -> None:
        """Block until the compiled step is prepared (tests)."""
        if self._thread is not None:
            self._thread.join()

    def _timed(self, step: Callable[[Batch, float], float], batch: Batch, lr: float, times: list[float]) -> float:
        started = time.perf_counter()
        loss_value = step(batch, lr)
        times.append(time.perf_counter() - started)
        return loss_value

    def _start(self, batch: Batch) -> None:
        policy = self.compiled_step.threads
        counts = (policy.most, 1) if policy is not None else (torch.get_num_threads(),)  # this thread's count
        loaded = counts  # the counts this process traces while training waits (11-14 s each, default decoder)
        if policy is not None and self.paced is not None:
            # The eager plan measured this shape's counts: the compiled step starts at the faster one and loads
            # the other (which the worker compiled too) only if a neighbour makes it switch (ONE_THREAD_NOTE).
            policy.start_at(self.paced.threads.chosen)
            loaded = (self.paced.threads.chosen,)

        cancel = self._cancel  # this preparation's: a change of the settings starts another
        if self._make_warm is not None:
            self.warm, self._make_warm = self._make_warm(), None

        def prepare() -> None:
            try:
                if self.warm is not None:
                    started = time.perf_counter()
                    try:
                        self.warm(counts, cancel)  # waits on another process: training keeps Python's lock
                        self._worker_seconds = time.perf_counter() - started
                    except (RuntimeError, OSError, subprocess.SubprocessError) as err:
                        self._worker_error = f"{err}; compiling in this process instead, slower meanwhile"
                if cancel.is_set():
                    return  # the run ended, or its settings changed: no step of it will take this graph
                worker_s, pause = payoff.CompileHistory.load().expected_seconds(self._shape)
                if self._worker_error or self.warm is None:
                    pause += worker_s  # this process compiles what no worker did
                if self._worker_error:
                    self._notes.append(self._worker_error)
                self._notes.append(LOADING_NOTE.format(seconds=pause))  # the curve stops meanwhile: say why
                with self._model_lock:  # a step or a mode switch in mid-trace would end up in the graph
                    if cancel.is_set():  # changed while it waited for the lock: the new settings' graph, which no
                        return  # worker compiled, would be compiled here for minutes while training waits (review)
                    self.compiled_step.prepare(batch, loaded)
            except Exception as err:  # noqa: BLE001 - told at the step boundary, on the training thread
                self._error = err

        self._thread = threading.Thread(target=prepare, name="playground-compile", daemon=True)
        self._thread.start()

    def _check(self) -> None:
        """Take over at this step boundary if the background thread has finished (or, where the settings changed
        meanwhile, prepare their graph instead)."""
        if self.taken_over_at is None and self._prepared() and not self._stop.is_set():
            if self._retuned:
                self._again()
            else:
                self._take_over()

    def _prepared(self) -> bool:
        """The background thread has finished: the compiled step (or why it failed) waits for a step boundary."""
        return self._thread is not None and not self._thread.is_alive()

    def _take_over(self) -> None:
        if self._error is not None:
            self.compiled_step._fall_back(self._error)
            self.taken_over_at = self._steps
            return
        self.taken_over_at = self._steps
        self._neighbours_at_take_over = machine.reading()
        if self._shape and self.compile_seconds is not None and self._worker_seconds is not None:
            history = payoff.CompileHistory.load()
            history.add_compile(self._shape, self._worker_seconds, self.compile_seconds)  # training paused for the latter
            history.save()
        worker = "" if self._worker_seconds is None else f" in {self._worker_seconds:.0f} s"
        self._notes.append(f"compiled the training step in the background{worker}, then loaded it in "
                           f"{self.compile_seconds:.1f} s (training waited); the compiled step trains from step "
                           f"{self._steps + 1}")

    def notes(self) -> list[str]:
        """Status lines since the last call: compiling in the background, the take-over, how much faster."""
        self._check()  # the driver asks before each step: the take-over is said before the step it applies to
        notes = [self._notes.popleft() for _ in range(len(self._notes))]
        return notes + (self.compiled_step.notes() if self.taken_over_at is not None else [])

    def device_description(self) -> str:
        if self._pacing:
            return self.paced.device_description()  # type: ignore[union-attr]
        if self.taken_over_at is not None:
            return self.compiled_step.device_description()
        if self.compiled_step.threads is not None:
            # Prepared while paused (data QA: the bar said compiling until the next step); a failed compile falls
            # back at that step and says so then.
            if self._prepared() and self._error is None and not self._stop.is_set() and not self._retuned:
                return self.placement.described_as("CPU (compiled step ready for the next step)")
            return self.placement.described_as("CPU (1 thread while the step compiles)")
        return self.placement.description


# Held while a step compiles: dynamo compiles one function at a time, and an earlier session's background compile
# may still run when a new session starts (Reset and Play).
_COMPILING = threading.Lock()

# One compiled function per model and batch shape. Dynamo keeps compiled code, and counts recompiles against its
# limit (8 by default), per code object: every shape sharing one function would reach it after a few slider
# moves and, with fullgraph=True, fail. A fresh code object per shape keeps each one's count at its thread
# counts, and a new session of a shape (Reset and Play) finds its compiled step here.
_COMPILED: dict[Hashable, Callable[..., torch.Tensor]] = {}


def _compiled_whole_step(key: Hashable, options: dict[str, Any]) -> Callable[..., torch.Tensor]:
    if key not in _COMPILED:
        name = f"whole_step_{len(_COMPILED)}"
        code = _whole_step.__code__.replace(co_name=name, co_qualname=name)
        function = types.FunctionType(code, _whole_step.__globals__, name)
        _COMPILED[key] = torch.compile(function, dynamic=False, fullgraph=True, options=options)
    return _COMPILED[key]


def _shape_key(model: nn.Module, names: tuple[str, ...], params: list[torch.Tensor], batch: Batch,
               placement: Placement, hyper: tuple[Any, ...]) -> Hashable:
    """What the compiled step's guards depend on: the model's structure, the weights' and the batch's shapes."""
    weights = tuple((name, tuple(p.shape), p.dtype) for name, p in zip(names, params))
    data = tuple(None if t is None else (tuple(t.shape), t.dtype) for t in (batch.x, batch.y, batch.mask))
    return repr(model), weights, data, placement, hyper


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
