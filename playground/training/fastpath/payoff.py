"""Whether compiling the training step pays for this run, from what compiling measured on this machine before.

A compiled step is faster by a factor that depends on the CPU (3x on the Xeon with AMX, 1.2x on the AVX2 AMD EPYC:
docs/performance.md). Compiling costs twice: while the worker compiles (a minute or two for a shape new to this
machine, seconds once inductor's cache holds it), the eager step trains on one thread beside it, `slowdown` times
slower; then this process traces the step and loads it from the cache, and training pauses for that (`take_over`,
about 12 s for the default decoder on the AMD EPYC at the one thread count it starts on). So compiling pays only where

    (steps left after the compile) x (eager step) x (1 - 1/gain)
        >  MARGIN x ((worker's compile time) x (1 - 1/slowdown) + take_over)

Kept per machine in the user cache folder (compile-history-*.json, next to the capability measurements, forgotten with
them by `playground bench --reset-choices`): the compiled step's measured gains and the eager step's slowdowns
while it compiled (taken on a quiet machine; the medians decide), the worker's compile times, cold and from the
cache, the take-over pauses, and which shapes this machine has compiled. Until a gain was measured here, the gain
measured on a CPU of the same kind is assumed (PRIOR_GAIN); until a slowdown was, the larger of PRIOR_SLOWDOWN and
this run's one-thread step over its all-core step.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from playground.training import device

# Until a compiled step was measured on this machine: the default decoder's compiled gain over the eager step, both
# at two threads and alternated in one process, on a CPU with fast bf16 (the Xeon with AMX, 1.65x in session 17;
# until then 3.0x, its gain over the textbook loop) and without (the AVX2 AMD EPYC, 1.17x in session 14).
PRIOR_GAIN = {True: 1.65, False: 1.17}
# decoder-pydoc's eager step on the AMD EPYC: 143 ms at two threads, 248 ms on one beside the compiling worker.
PRIOR_SLOWDOWN = 1.75
PRIOR_COLD_S = 90.0  # a first compile of the default decoder took 84-97 s on 2 cores
PRIOR_CACHED_S = 15.0  # the worker's start, torch's import and a compile from the cache
PRIOR_TAKE_OVER_S = 12.0  # the default decoder traced and loaded at one thread count in this process: 11-14 s
KEPT = 5  # the latest gains and compile times kept of each kind
VERSION = 2  # of the kept file's fields
MARGIN = 2.0  # the saving must be clear: it is estimated from a few steps and a few compiles, and a slow start shows


@dataclass
class CompileHistory:
    gains: list[float] = field(default_factory=list)  # eager step / compiled step, same thread count, quiet
    slowdowns: list[float] = field(default_factory=list)  # eager step while compiling / before, quiet
    cold_s: list[float] = field(default_factory=list)  # compiles of a shape new to this machine
    cached_s: list[float] = field(default_factory=list)  # compiles of a shape compiled here before
    take_over_s: list[float] = field(default_factory=list)  # this process's trace and load: training pauses
    shapes: list[str] = field(default_factory=list)  # the shapes compiled here (compile_key)

    @classmethod
    def load(cls) -> CompileHistory:
        try:
            return cls(**json.loads(_file().read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return cls()  # none yet, damaged, or from another version

    def save(self) -> None:
        try:
            from playground.core.atomic import atomic_write_text

            _file().parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(_file(), json.dumps(asdict(self), indent=1))
        except OSError:
            pass  # a read-only home still trains; it just decides from the priors

    def gain(self) -> float:
        return statistics.median(self.gains) if self.gains else prior_gain()

    def slowdown(self, one_thread: float) -> float:
        """How much slower the eager step trains while the worker compiles (`one_thread`: this run's one-thread
        step over its all-core step, a floor where nothing was measured here yet)."""
        return statistics.median(self.slowdowns) if self.slowdowns else max(PRIOR_SLOWDOWN, one_thread)

    def expected_seconds(self, shape: str) -> tuple[float, float]:
        """The worker's compile of `shape` and the take-over's pause, as measured here (else the priors)."""
        if shape in self.shapes:
            worker = statistics.median(self.cached_s) if self.cached_s else PRIOR_CACHED_S
        else:
            worker = statistics.median(self.cold_s) if self.cold_s else PRIOR_COLD_S
        return worker, statistics.median(self.take_over_s) if self.take_over_s else PRIOR_TAKE_OVER_S

    def add_compile(self, shape: str, worker_s: float, take_over_s: float) -> None:
        kind = self.cached_s if shape in self.shapes else self.cold_s
        kind[:] = [*kind, round(worker_s, 1)][-KEPT:]
        self.take_over_s = [*self.take_over_s, round(take_over_s, 1)][-KEPT:]
        if shape not in self.shapes:
            self.shapes.append(shape)

    def add_gain(self, gain: float, slowdown: float) -> None:
        self.gains = [*self.gains, round(gain, 3)][-KEPT:]
        self.slowdowns = [*self.slowdowns, round(slowdown, 3)][-KEPT:]

    def describe(self) -> str:
        gain = f"{self.gain():.2f}x (median of {len(self.gains)})" if self.gains else f"{prior_gain()}x assumed"
        cold = f"{statistics.median(self.cold_s):.0f} s" if self.cold_s else f"{PRIOR_COLD_S:.0f} s assumed"
        pause = (f"{statistics.median(self.take_over_s):.0f} s" if self.take_over_s
                 else f"{PRIOR_TAKE_OVER_S:.0f} s assumed")
        return (f"compiled step {gain}, a first compile {cold}, a {pause} pause to take over, {len(self.shapes)} "
                "shapes in the cache")


def compile_pays(steps_left: int, eager_s: float, compile_s: tuple[float, float], gain: float,
                 slowdown: float) -> tuple[bool, str]:
    """The formula of the module's docstring (`compile_s`: the worker's compile and the take-over's pause), and the
    figures behind it for the user."""
    worker, take_over = compile_s
    during = worker / (eager_s * slowdown)  # steps trained beside the compiling worker
    saved = max(0.0, steps_left - during) * eager_s * (1 - 1 / gain)
    lost = worker * (1 - 1 / slowdown) + take_over
    pays = saved > MARGIN * lost
    # The verdict's figures first, in words a student follows (QA: "… 1.75x slower meanwhile … ~29 s won back against
    # ~15 s lost" did not say why that was not compiled)
    why = (f"over the {steps_left:,} steps left ({1000 * eager_s:.0f} ms each, compiled {gain:.2f}x faster) it would "
           f"win back ~{saved:.0f} s and cost ~{lost:.0f} s: a ~{worker:.0f} s compile in the background, the steps "
           f"{slowdown:.2f}x slower meanwhile, then a ~{take_over:.0f} s pause to take over")
    return pays, why if pays else f"{why}; it must win back {MARGIN:g} times what it costs"


def prior_gain() -> float:
    return PRIOR_GAIN[device.cpu_capability().fast_bf16]


def _file() -> Path:
    return device.capability_file().with_name(f"compile-history-v{VERSION}-{device.machine_key()}.json")
