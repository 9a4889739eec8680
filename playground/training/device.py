"""Which device, precision and attention path a run uses, and how to say it to the user.

Nothing here is assumed from the CPU's name: on a CPU, `auto` precision asks the hardware (oneDNN's
bf16 support) and then *measures* a bf16 and an fp32 matmul, and the fused and explicit attention
paths, once per machine. The answer is cached as JSON in the user cache folder
(`platformdirs.user_cache_dir("transformer-playground")/capability-*.json`), so later runs start at once.

Measured on a 2-core Xeon with AVX512-BF16/AMX (issue 8): bf16 autocast with explicit attention trains
~2x faster than fp32; bf16 with the fused kernel only 1.3x, because PyTorch's CPU fused attention
backward is slow in bf16. A CPU without fast bf16 keeps float32.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from playground.core.spec import TrainSpec

CAPABILITY_VERSION = 1
BF16_MIN_SPEEDUP = 1.3  # bf16 must beat fp32 matmuls by this much to be worth its rounding


class DeviceError(ValueError):
    """A device the user asked for that this machine does not have."""


@dataclass(frozen=True)
class Placement:
    device: torch.device
    dtype: torch.dtype  # autocast dtype; float32 means no autocast
    where: str  # "CPU (1 thread)", "CUDA: NVIDIA H100"
    attention: str = "sdpa"  # the attention path training uses: "sdpa" (fused) or "explicit"

    @property
    def autocast(self) -> bool:
        return self.dtype != torch.float32

    def autocast_context(self) -> torch.autocast:
        """Mixed precision for a forward pass (a no-op context in float32)."""
        return torch.autocast(self.device.type, dtype=self.dtype, enabled=self.autocast)

    @property
    def description(self) -> str:
        """The status bar's device text: "CPU (1 thread), bfloat16, explicit attention"."""
        return self.described_as(self.where)

    def described_as(self, where: str) -> str:
        """The description with another `where` (the compiled CPU path's current thread count)."""
        precision = "bfloat16" if self.dtype == torch.bfloat16 else "float32"
        path = "fused attention" if self.attention == "sdpa" else "explicit attention"
        return f"{where}, {precision}, {path}"


@dataclass(frozen=True)
class CpuCapability:
    """What one short measurement said about this CPU (cached per machine, torch version and threads)."""

    bf16_supported: bool  # oneDNN reports native bf16 (AVX512-BF16 / AMX)
    bf16_speedup: float  # fp32 matmul time / bf16 matmul time (0 when not measured)
    attention_bf16: str  # faster attention path (forward + backward) under bf16 autocast
    attention_fp32: str  # faster attention path in float32
    seconds: float  # how long the measurement took

    @property
    def fast_bf16(self) -> bool:
        return self.bf16_supported and self.bf16_speedup >= BF16_MIN_SPEEDUP


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device 'cuda' was asked for but no CUDA GPU is visible: use --device cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DeviceError("device 'mps' was asked for but Apple's Metal backend is not available: use cpu or auto")
    return torch.device(name)


def choose_precision(train: TrainSpec, device: torch.device) -> torch.dtype:
    """bf16 autocast where the hardware does it well (CUDA; a CPU whose measured bf16 pays); else float32."""
    if train.precision == "fp32":
        return torch.float32
    if train.precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    if device.type == "cpu" and cpu_capability().fast_bf16:
        return torch.bfloat16
    return torch.float32


def choose_attention(device: torch.device, dtype: torch.dtype) -> str:
    """The attention path for training: the fused kernel on GPUs; on a CPU whichever measured faster."""
    if device.type != "cpu":
        return "sdpa"
    cap = cpu_capability()
    return cap.attention_bf16 if dtype == torch.bfloat16 else cap.attention_fp32


def configure_threads() -> int:
    """Leave one core free: torch's CPU threads = usable cores - 1 (at least 1), unless OMP_NUM_THREADS is set.

    This is the fixed setting of the eager (uncompiled) path, which must give the same curve for the same
    seed (a thread count changes the rounding of parallel reductions). The compiled path adapts instead:
    it uses every core while that measures faster and drops to one thread when another process takes a
    core (`playground.training.step.AdaptiveThreads`, bounded by `adaptive_thread_limit`).

    OpenMP threads spin at every barrier; when another process (the user's browser, a second run) holds
    one of them, a step waits for it and a 2-thread step gets 10-50x slower (issue 8). Passive waiting
    avoids that but costs small models dearly (measured here: 2 passive threads 6x slower than 1). With
    one core left over, a busy neighbour takes that core and training keeps its speed; the window's
    thread gets it too. On a 2-core machine this is one thread (tiny models are faster on one anyway).
    """
    if not threads_pinned():
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
    """The most threads the compiled CPU path may try (every usable core), or 0 when the count is pinned."""
    if threads_pinned() or os.environ.get("PLAYGROUND_THREADS") == "fixed":
        return 0
    most = min(usable_cores(), _TORCH_DEFAULT_THREADS)  # torch's default: physical cores, not hyperthreads
    return most if most > 1 else 0


_TORCH_DEFAULT_THREADS = torch.get_num_threads()  # before configure_threads lowers it


def place(train: TrainSpec) -> Placement:
    device = resolve_device(train.device)
    if device.type == "cpu":
        configure_threads()
    dtype = choose_precision(train, device)
    attention = choose_attention(device, dtype)
    if device.type == "cuda":
        where = f"CUDA: {torch.cuda.get_device_name(device)}"
    elif device.type == "mps":
        where = "Apple GPU (MPS)"
    else:
        threads = torch.get_num_threads()
        where = f"CPU ({threads} thread{'' if threads == 1 else 's'})"
    return Placement(device, dtype, where, attention)


# ----- compilation ------------------------------------------------------------------------------------
COMPILE_MIN_WORK = 1e13  # FLOPs a run must do (per-step FLOPs x steps) before compiling pays on a CPU


def compiler_available(device: torch.device) -> bool:
    """torch.compile's CPU backend writes C++: it needs a compiler on PATH (CUDA needs Triton)."""
    if device.type == "cpu":
        return any(shutil.which(cc) for cc in ("g++", "c++", "clang++"))
    if device.type == "cuda":
        try:
            import triton  # noqa: F401
        except ImportError:
            return False
        return True
    return False


def should_compile(mode: str, device: torch.device, flops_per_step: float, max_steps: int) -> bool:
    """TrainSpec.compile: 'off' never, 'on' whenever a compiler exists, 'auto' when the run is long and
    heavy enough that compiling (15-90 s the first time here, ~5 s from the cache) is won back by faster steps."""
    if mode == "off" or os.environ.get("PLAYGROUND_COMPILE") == "off":
        return False
    if not compiler_available(device):
        return False
    if mode == "on":
        return True
    return flops_per_step * max_steps >= COMPILE_MIN_WORK


def enable_compile_cache() -> Path:
    """Keep inductor's FX-graph and AOT-autograd caches in the user cache folder (not /tmp), across runs.

    A TORCHINDUCTOR_CACHE_DIR the user set wins. Importing torch._dynamo already fills the variable in with
    inductor's /tmp default, so that value counts as unset."""
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    current = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    if current is None or os.path.abspath(current) == os.path.abspath(default_cache_dir()):
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(cache_dir() / "inductor")
    os.environ.setdefault("TORCHINDUCTOR_FX_GRAPH_CACHE", "1")
    os.environ.setdefault("TORCHINDUCTOR_AUTOGRAD_CACHE", "1")
    return Path(os.environ["TORCHINDUCTOR_CACHE_DIR"])


# ----- the cached CPU measurement ---------------------------------------------------------------------
_CAPABILITY: CpuCapability | None = None


def cache_dir() -> Path:
    override = os.environ.get("PLAYGROUND_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("transformer-playground", appauthor=False))


def _capability_file() -> Path:
    machine = f"{platform.machine()}-{torch.backends.cpu.get_cpu_capability()}-{_cpu_model()}"
    key = f"v{CAPABILITY_VERSION}-torch{torch.__version__}-{machine}-t{torch.get_num_threads()}"
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in key)[:150]
    return cache_dir() / f"capability-{safe}.json"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def cpu_capability(refresh: bool = False) -> CpuCapability:
    """This CPU's bf16 and attention facts: from the cache, or measured once (~1 s) and cached."""
    global _CAPABILITY
    if _CAPABILITY is not None and not refresh:
        return _CAPABILITY
    path = _capability_file()
    if not refresh and path.exists():
        try:
            _CAPABILITY = CpuCapability(**json.loads(path.read_text(encoding="utf-8")))
            return _CAPABILITY
        except (OSError, ValueError, TypeError):
            pass  # damaged or from another version: measure again
    _CAPABILITY = measure_cpu()
    try:
        from playground.core.atomic import atomic_write_text

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(asdict(_CAPABILITY), indent=1))
    except OSError:
        pass  # a read-only home still trains; it just measures again next time
    return _CAPABILITY


def bf16_supported_by_hardware() -> bool:
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def measure_cpu() -> CpuCapability:
    started = time.perf_counter()
    supported = bf16_supported_by_hardware()
    speedup = 0.0
    if supported:
        a, b = torch.randn(256, 512), torch.randn(512, 512)
        fp32 = _best_time(lambda: a @ b)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            bf16 = _best_time(lambda: a @ b)
        speedup = fp32 / bf16 if bf16 > 0 else 0.0
    attention_bf16 = _faster_attention(torch.bfloat16) if supported else "sdpa"
    attention_fp32 = _faster_attention(torch.float32)
    return CpuCapability(supported, round(speedup, 2), attention_bf16, attention_fp32,
                         round(time.perf_counter() - started, 2))


def _faster_attention(dtype: torch.dtype) -> str:
    """Forward + backward of causal attention on a small (8, 4, 64, 32) batch, fused against explicit."""
    from playground.models.attention import MultiHeadAttention

    torch.manual_seed(0)
    mha = MultiHeadAttention(128, 4, causal=True, max_len=64)
    x = torch.randn(8, 64, 128, requires_grad=True)
    times = {}
    for impl in ("sdpa", "explicit"):
        mha.set_attention_impl(impl)

        def run() -> None:
            with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
                out, _ = mha(x)
            out.float().sum().backward()

        times[impl] = _best_time(run)
    return "explicit" if times["explicit"] < times["sdpa"] else "sdpa"


def _best_time(fn, repeats: int = 7, inner: int = 3) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up (oneDNN primitive creation)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, time.perf_counter() - t)
    return best / inner
