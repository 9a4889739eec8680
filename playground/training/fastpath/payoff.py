"""Whether compiling the training step pays for this run, from what compiling measured on this machine before.

A compiled step is faster by a factor that depends on the CPU (3x on the Xeon with AMX, 1.2x on the AVX2 AMD EPYC:
docs/performance.md), and its first compile of a shape takes a minute or two (seconds once inductor's cache holds
it). While the worker compiles, the eager step trains on one thread, slower. So compiling pays only where

    (steps left after the compile) x (eager step) x (1 - 1/gain)  >  MARGIN x (compile time) x (1 - eager step / one-thread step)

Kept per machine in the user cache folder (compiles-*.json, next to the capability measurements, forgotten with
them by `playground bench --reset-choices`): the compiled step's measured gains (taken on a quiet machine; the
median decides), the compile times, cold and from the cache, and which shapes this machine has compiled. Until a
gain was measured here, the gain measured on a CPU of the same kind is assumed (PRIOR_GAIN).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from playground.training import device

# Until a compiled step was measured on this machine: the default decoder's compiled gain on a CPU with fast bf16
# (the Xeon with AMX, 3.07x) and without (the AVX2 AMD EPYC, 1.26x; nanoGPT's CPU shape 1.45x).
PRIOR_GAIN = {True: 3.0, False: 1.25}
PRIOR_COLD_S = 90.0  # a first compile of the default decoder took 84-97 s on 2 cores
PRIOR_CACHED_S = 15.0  # the worker's start, torch's import and a compile from the cache
KEPT = 5  # the latest gains and compile times kept of each kind
MARGIN = 2.0  # the saving must be clear: it is estimated from a few steps and a few compiles, and a slow start shows


@dataclass
class CompileHistory:
    gains: list[float] = field(default_factory=list)  # eager step / compiled step, same thread count, quiet
    cold_s: list[float] = field(default_factory=list)  # compiles of a shape new to this machine
    cached_s: list[float] = field(default_factory=list)  # compiles of a shape compiled here before
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

    def expected_seconds(self, shape: str) -> float:
        if shape in self.shapes:
            return statistics.median(self.cached_s) if self.cached_s else PRIOR_CACHED_S
        return statistics.median(self.cold_s) if self.cold_s else PRIOR_COLD_S

    def add_compile(self, shape: str, seconds: float) -> None:
        kind = self.cached_s if shape in self.shapes else self.cold_s
        kind[:] = [*kind, round(seconds, 1)][-KEPT:]
        if shape not in self.shapes:
            self.shapes.append(shape)

    def add_gain(self, gain: float) -> None:
        self.gains = [*self.gains, round(gain, 3)][-KEPT:]

    def describe(self) -> str:
        gain = f"{self.gain():.2f}x (median of {len(self.gains)})" if self.gains else f"{prior_gain()}x assumed"
        cold = f"{statistics.median(self.cold_s):.0f} s" if self.cold_s else f"{PRIOR_COLD_S:.0f} s assumed"
        return f"compiled step {gain}, a first compile {cold}, {len(self.shapes)} shapes in the cache"


def compile_pays(steps_left: int, eager_s: float, eager_one_s: float, compile_s: float, gain: float) -> bool:
    """The formula of the module's docstring: the compile wins back more than the slower steps during it cost."""
    during = compile_s / eager_one_s  # steps trained on one thread while the worker compiles
    saved = max(0.0, steps_left - during) * eager_s * (1 - 1 / gain)
    lost = compile_s * max(0.0, 1 - eager_s / eager_one_s)
    return saved > MARGIN * lost


def prior_gain() -> float:
    return PRIOR_GAIN[device.cpu_capability().fast_bf16]


def _file() -> Path:
    return device.capability_file().with_name(device.capability_file().name.replace("capability-", "compiles-"))
