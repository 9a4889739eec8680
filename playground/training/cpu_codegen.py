"""Inductor's C++ for tanh with a cheaper exp, while a bfloat16 training step compiles on the CPU.

With `cpp.use_decompose_tanh` (step.COMPILE_OPTIONS) inductor writes tanh(u) as 2 / (1 + exp(-2u)) - 1, with
Sleef's exp (1 ULP). The tanh in GPT-2's GELU (the decoder's feed-forward; the encoder and the ViT use the exact
erf GELU) spent most of its kernels' time in those exps: the forward and backward GELU kernels were ~18 % of
the default decoder's step on the 2-core Xeon. ATen's `fexp_u20` (a degree-3 polynomial on the fraction of
x * log2(e), added into the float's exponent bits; flash attention's exp_u20 is its more careful sibling) takes
a quarter off each kernel: 367 -> 275 µs forward, 427 -> 340 µs backward at the default decoder's (2048, 512),
2 threads. Its error in the GELU is at most 1.5e-5 (2.7e-5 in its gradient) on [-8, 8]: some 250x below
bfloat16's rounding of the GELU's output, so it is used only where the step computes in bfloat16. Whole step:
1.038x before the NaN check below, alternated in one process, the same losses to 4 decimals. The only other
tanh, the BERT pooler's, gets it too.

fexp_u20 makes a NaN finite, so tanh(NaN) would be 1 and a NaN hidden state could reach a finite loss past the
divergence guard: a NaN input is passed through as it is. That check costs a third of the gain (the same
microbenchmark, alternated runs: forward 365 -> 279 µs without it, 307 with it; backward 425 -> 335 without,
360 with). The fast tanh is always the decomposed one (it does not read cpp.use_decompose_tanh, which the step
always sets).

Inductor has no setting for this: its vectorised C++ tanh (CppVecOverrides.tanh) is replaced once, by one that
writes inductor's own code unless the calling thread is inside `fast_tanh()` (inductor writes a graph's C++ in
the thread that calls the compiled function, so one window's worker compiling does not change another's; with
TORCHINDUCTOR_FX_COMPILE_MODE set to a subprocess or async mode it is written elsewhere, with Sleef's exp: slower,
still right). The choice is part of the compile's cache key through CpuTrainingPasses(fast_tanh=...).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar

_FAST = ContextVar("playground_fast_tanh", default=False)
_install_lock = threading.Lock()
_installed = False


def fast_tanh_code(x: str) -> str:
    """The C++ expression for tanh of the vector `x`: inductor's decomposition with fexp_u20 for exp, NaN kept."""
    one, two, minus_two = (f"decltype({x})({k})" for k in (1, 2, -2))
    fast = f"{two} / ({one} + ({minus_two} * {x}).fexp_u20()) - {one}"
    return f"decltype({x})::blendv({fast}, {x}, {x}.isnan())"


def _install() -> None:
    """Replace inductor's vectorised tanh, once per process, by one that reads this thread's choice."""
    global _installed
    if _installed:  # every compiled step enters fast_tanh: after the first, nothing to do
        return
    from torch._inductor.codegen.cpp import CppVecOverrides  # inductor's codegen: imported once compiling is on

    with _install_lock:
        if _installed:
            return
        inductor_tanh: Callable[[str], str] = vars(CppVecOverrides)["tanh"].__func__

        def tanh(x: str) -> str:  # named tanh: inductor's scalar fallback looks its ops up by __name__
            return fast_tanh_code(x) if _FAST.get() else inductor_tanh(x)

        CppVecOverrides.tanh = staticmethod(tanh)  # type: ignore[method-assign]
        _installed = True


@contextlib.contextmanager
def fast_tanh(enabled: bool = True) -> Iterator[None]:
    """While inside (when enabled), the C++ inductor writes in this thread computes tanh with fexp_u20."""
    if not enabled:
        yield
        return
    _install()
    token = _FAST.set(True)
    try:
        yield
    finally:
        _FAST.reset(token)
