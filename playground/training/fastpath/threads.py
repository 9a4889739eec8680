"""How many threads training uses on a CPU: the count AdaptiveThreads measures faster for this run's shape on this
machine, for the eager and the compiled step alike (a fixed count where the user asked for one).

Only a process that opted in (process.configure_process) has its thread count set; otherwise training runs at
whatever count torch has (a program using the playground as a library keeps its own setting).
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections import deque
from collections.abc import Callable

import torch

from playground.data.base import Batch
from playground.training.device import Placement
from playground.training.fastpath.machine import NEIGHBOUR_CORES, neighbour_cpu_seconds
from playground.training.fastpath.process import threads_managed
from playground.training.step import EagerStep

_TORCH_DEFAULT_THREADS = torch.get_num_threads()  # torch's default (physical cores), before anything lowers it


def configure_eager_threads() -> int:
    """The fixed count a step starts from (and keeps where it may not adapt), set when the process opted in:
    usable cores - 1 (at least 1), so a busy neighbour or the window's thread takes the spare core instead of one
    that training waits on at a barrier. OMP_NUM_THREADS or PLAYGROUND_THREADS_KEEP keeps the count the user chose."""
    if threads_managed() and not threads_pinned():
        fixed = max(1, min(_TORCH_DEFAULT_THREADS, usable_cores() - 1))
        if torch.get_num_threads() != fixed:  # also undoes what an adaptive compiled run left behind
            torch.set_num_threads(fixed)
    return torch.get_num_threads()


def threads_pinned() -> bool:
    """The user fixed the thread count (OMP_NUM_THREADS, or PLAYGROUND_THREADS_KEEP keeps torch's own)."""
    return bool(os.environ.get("OMP_NUM_THREADS") or os.environ.get("PLAYGROUND_THREADS_KEEP"))


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def adaptive_thread_limit() -> int:
    """The most threads a CPU step may try (every usable core), or 0 when it may not adapt: the process did not
    opt in, the user pinned the count, or PLAYGROUND_THREADS=fixed."""
    if not threads_managed() or threads_pinned() or os.environ.get("PLAYGROUND_THREADS") == "fixed":
        return 0
    most = min(usable_cores(), _TORCH_DEFAULT_THREADS)  # torch's default: physical cores, not hyperthreads
    return most if most > 1 else 0


class AdaptiveThreads:
    """A CPU step's thread count: every core while that is faster for this run's shape, one thread under contention.

    OpenMP threads spin at every barrier, so when another process takes one of the cores a multi-thread step
    waits on a descheduled thread and gets many times slower, while one thread keeps its speed; quiet, all
    cores are faster (docs/performance.md has the figures). So:

    - start: a few steps at all cores, a few at one; keep the one with the faster best step;
    - at all cores, a step slower than MUCH_SLOWER x the recent median, or SLOW_STEPS steps in a row slower
      than SLOWER x it, mean a neighbour took a core: drop to one thread. Where the machine's CPU time is known
      (Linux), a slow step counts only when other processes ran on at least NEIGHBOUR of a core during it:
      this process's own bursts (the window redrawing a snapshot) are not a neighbour;
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
    NEIGHBOUR = NEIGHBOUR_CORES
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
        self.steps_taken = 0
        self.counts: list[int] = []  # the count each step trained at, kept only while another policy follows this one
        self.followed = False
        self.leader: AdaptiveThreads | None = None

    def follow(self, leader: AdaptiveThreads) -> None:
        """Train each step at the count `leader`'s step of the same number takes instead of choosing (Compare A/B's
        B): a thread count changes the rounding of parallel reductions, so two sides choosing apart (one seeing a
        neighbour's burst a step before the other) part the same settings' curves. Call before either trains."""
        self.leader, leader.followed = leader, True

    def _leaders_count(self) -> int:
        """The count the leader's step of this number took; where this one is ahead, the count it will take."""
        leader = self.leader
        assert leader is not None
        if self.steps_taken < len(leader.counts):
            return leader.counts[self.steps_taken]
        ahead = self.steps_taken - len(leader.counts)
        return leader.plan[ahead] if ahead < len(leader.plan) else leader.next_count

    def before_step(self) -> None:
        if self.leader is not None:
            self.current = self._leaders_count()
        elif self.plan:
            self.current = self.plan[0]
        elif self.chosen == 1 and not self.probing:
            self.until_probe -= 1
            if self.until_probe <= 0:
                if self._neighbour_stayed():
                    self.skipped_probes += 1
                    self.until_probe = 1  # looking costs nothing: look again at the next step
                else:
                    self.probing = self.PROBE_STEPS
        if not self.plan and self.leader is None:
            self.current = self.most if self.probing else self.chosen
        if torch.get_num_threads() != self.current:
            torch.set_num_threads(self.current)
        self._step_began = self._clocks()
        if self._step_began is not None:
            self._recent.append(self._step_began)

    def after_step(self, seconds: float) -> None:
        n = self.current
        self.steps_taken += 1
        if self.followed:
            self.counts.append(n)
        planned = bool(self.plan)
        if planned:  # a follower's plan times count too: whether compiling pays reads them
            self.plan.pop(0)
            if self._step not in self.skip:
                self.times[n].append(seconds)
            self._step += 1
        if self.leader is not None:  # a follower chooses nothing
            self.chosen = n
            return
        if planned:
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

    @property
    def next_count(self) -> int:
        """The count the next step will most likely take (a probe that starts at it may still change it)."""
        return self.plan[0] if self.plan else self.most if self.probing else self.chosen

    def start_at(self, count: int) -> None:
        """Train at `count` (all cores or one) from the first step, without a plan of its own: another step already
        measured this run's counts. The other count is tried only when a neighbour or a probe calls for it."""
        self.plan = []
        self.current = self.chosen = count
        if count == 1:
            self._wait_at_one(self.FIRST_BACKOFF)

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

    def where(self) -> str:
        """The status bar's device text for the count used right now: "CPU (2 of 2 threads, adaptive)"."""
        return f"CPU ({self.current} of {self.most} threads, adaptive)"


class PacedStep:
    """The eager step at the thread count AdaptiveThreads picks: a few steps at all cores and at one thread decide
    for this run's shape on this machine (a tiny model is faster on one thread, nanoGPT's CPU shape on two here).

    A thread count changes the rounding of parallel reductions, so a curve drifts from another run of the same
    seed by float rounding (1e-7 relative over 60 steps here), as the compiled step does."""

    compiled = False
    compile_seconds: float | None = None

    def __init__(self, step: EagerStep, threads: AdaptiveThreads) -> None:
        self.step = step
        self.threads = threads
        self.model, self.optimizer = step.model, step.optimizer

    @property
    def placement(self) -> Placement:
        return self.step.placement  # the attention path may be chosen after the first step (MeasuredAttention)

    def __call__(self, batch: Batch, lr: float) -> float:
        """The eager step at the policy's count; its wall time tells the policy how that count fared."""
        self.threads.before_step()
        started = time.perf_counter()
        loss_value = self.step(batch, lr)
        self.threads.after_step(time.perf_counter() - started)
        return loss_value

    def retune(self, grad_clip: float) -> None:
        self.step.retune(grad_clip)

    def notes(self) -> list[str]:
        return self.step.notes()

    def device_description(self) -> str:
        return self.placement.described_as(self.threads.where())
