"""The bfloat16 CPU step's tanh: inductor's C++ with fexp_u20, close to the exact GELU, and only while asked."""

import threading

import pytest
import torch
import torch.nn.functional as F

from playground.training import device
from playground.training.compile_passes import CpuTrainingPasses
from playground.training.cpu_codegen import fast_tanh

needs_compiler = pytest.mark.skipif(not device.compiler_available(torch.device("cpu")),
                                    reason="no C++ compiler for inductor")


def _gelu(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


def _compiled_code(fn, *args):
    """fn compiled afresh (no cache: the codegen is what is tested), its result and its generated code."""
    from torch._inductor import config
    from torch._inductor.utils import fresh_cache, run_and_get_code

    torch._dynamo.reset()
    with fresh_cache(), config.patch({"cpp.use_decompose_tanh": True}):
        result, code = run_and_get_code(torch.compile(fn, dynamic=False), *args)
    return result, "\n".join(code)


@needs_compiler
def test_fast_tanh_writes_fexp_into_the_gelu_and_its_gradient_stays_close():
    x = torch.linspace(-8, 8, 4096)
    exact = _gelu(x.double())
    exact_grad = torch.func.grad(lambda t: _gelu(t).sum())(x.double())
    with fast_tanh():
        fast, code = _compiled_code(_gelu, x)
        fast_grad, grad_code = _compiled_code(torch.func.grad(lambda t: _gelu(t).sum()), x)
    assert "fexp_u20" in code and "fexp_u20" in grad_code
    error = (fast.double() - exact).abs().max().item()
    assert 2e-6 < error < 5e-5  # not float32's rounding (the cheaper exp is in use), far below bfloat16's 4e-3
    assert (fast_grad.double() - exact_grad).abs().max().item() < 1e-4


@needs_compiler
def test_outside_fast_tanh_and_when_disabled_inductor_writes_its_own_tanh():
    x = torch.linspace(-8, 8, 4096)
    with fast_tanh(enabled=False):
        _, disabled = _compiled_code(_gelu, x)
    result, outside = _compiled_code(_gelu, x)
    assert "fexp_u20" not in disabled and "fexp_u20" not in outside
    assert torch.allclose(result.double(), _gelu(x.double()), atol=1e-6)


@needs_compiler
def test_fast_tanh_keeps_nan_and_the_limits_of_tanh():
    """fexp_u20 makes a NaN finite: without care tanh(NaN) would be 1 and a NaN could reach a finite loss."""
    x = torch.tensor([float("nan"), float("inf"), -float("inf"), 0.0, 30.0, -30.0, 1e30, -1e30] * 4)
    with fast_tanh():
        result, code = _compiled_code(torch.tanh, x)
    assert "fexp_u20" in code
    assert torch.equal(result.isnan(), x.isnan())
    assert torch.allclose(result, torch.tanh(x), atol=5e-5, equal_nan=True)  # fexp_u20's error: 2.7e-5 at 0


def _inductors_tanh(x: str) -> str:
    from torch._inductor.codegen.cpp import CppVecOverrides

    return CppVecOverrides.tanh(x)


def test_fast_tanh_is_the_calling_threads_choice_and_ends_with_its_block_even_after_an_error():
    """Reset trains a new run on a new worker while the last one may still be compiling: one thread's choice
    never writes the other's code."""
    inside, leave = threading.Event(), threading.Event()
    seen = {}

    def other_worker():
        with fast_tanh():
            seen["inside"] = _inductors_tanh("v")
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert inside.wait(10)
    beside = _inductors_tanh("v")
    leave.set()
    thread.join()
    assert "fexp_u20" in seen["inside"] and "fexp_u20" not in beside
    with pytest.raises(RuntimeError), fast_tanh():
        assert "fexp_u20" in _inductors_tanh("v")
        raise RuntimeError("compile failed")
    assert "fexp_u20" not in _inductors_tanh("v")


def test_a_scalar_tanh_in_a_vector_kernel_falls_back_to_inductors_scalar_code():
    from torch._inductor.codegen.cpp import CppVecOverrides

    with fast_tanh():
        assert CppVecOverrides().tanh(1) == "std::tanh(1)"  # the fallback finds the scalar op by the op's name


@needs_compiler
def test_the_choice_of_tanh_is_part_of_the_compile_cache_key():
    """Compiled with the fast tanh and cached; the same graph compiled again without it is not that cache entry."""
    from torch._dynamo.utils import counters
    from torch._inductor.utils import fresh_cache, run_and_get_code

    def code(passes: CpuTrainingPasses, x: torch.Tensor) -> str:
        torch._dynamo.reset()
        options = {"cpp.use_decompose_tanh": True, "post_grad_custom_post_pass": passes, "fx_graph_cache": True}
        with fast_tanh(passes.fast_tanh):
            return "\n".join(run_and_get_code(torch.compile(_gelu, dynamic=False, options=options), x)[1])

    x = torch.linspace(-8, 8, 4096)
    with fresh_cache():
        assert "fexp_u20" in code(CpuTrainingPasses(fast_tanh=True), x)
        hits = counters["inductor"]["fxgraph_cache_hit"]
        assert "fexp_u20" in code(CpuTrainingPasses(fast_tanh=True), x)
        assert counters["inductor"]["fxgraph_cache_hit"] == hits + 1  # the cache serves the same choice
        assert "fexp_u20" not in code(CpuTrainingPasses(fast_tanh=False), x)
        assert counters["inductor"]["fxgraph_cache_hit"] == hits + 1

