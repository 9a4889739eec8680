"""Inductor's C++ for tanh with a cheaper exp, while a bfloat16 training step compiles on the CPU.

With `cpp.use_decompose_tanh` (step.COMPILE_OPTIONS) inductor writes tanh(u) as 2 / (1 + exp(-2u)) - 1, with
Sleef's exp (1 ULP). GPT-2's tanh-GELU is the only tanh in our models, and those exps were most of its
kernels' time: the forward and backward GELU kernels were ~18 % of the default decoder's step on the 2-core
Xeon. ATen's `fexp_u20` (the vectorised exp inductor's own flash-attention template was written around: a
degree-3 polynomial on the fraction of x * log2(e), added into the float's exponent bits) takes a quarter off
each kernel: 367 -> 275 µs forward, 427 -> 340 µs backward at the default decoder's (2048, 512), 2 threads.
Its error in the GELU is at most 1.5e-5 (2.7e-5 in its gradient) on [-8, 8]: some 250x below bfloat16's
rounding of the GELU's output, so it is used only where the step computes in bfloat16. Whole step: 1.038x,
alternated in one process, the same losses to 4 decimals.

Inductor has no setting for this, so the C++ it writes for a vectorised tanh is swapped for the duration of a
compiled call (every call: dynamo may compile again at any step, e.g. for a new thread count). The choice is
part of the compile's cache key through CpuTrainingPasses(fast_tanh=...).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def _fast_tanh(x: str) -> str:
    """The C++ expression for tanh of the vector `x`: inductor's decomposition with fexp_u20 for exp."""
    one, two, minus_two = (f"decltype({x})({k})" for k in (1, 2, -2))
    return f"{two} / ({one} + ({minus_two} * {x}).fexp_u20()) - {one}"


@contextlib.contextmanager
def fast_tanh(enabled: bool = True) -> Iterator[None]:
    """While inside, inductor's vectorised C++ tanh uses fexp_u20 (when enabled)."""
    if not enabled:
        yield
        return
    from torch._inductor.codegen.cpp import CppVecOverrides  # inductor's codegen: imported once compiling is on

    before = vars(CppVecOverrides)["tanh"]  # the staticmethod itself, to put back as it was
    CppVecOverrides.tanh = staticmethod(_fast_tanh)  # type: ignore[method-assign]
    try:
        yield
    finally:
        CppVecOverrides.tanh = before  # type: ignore[method-assign]
