"""Which device, precision and attention path a run uses, and how to say it to the user.

Nothing here is assumed from the CPU's name: on a CPU, `auto` precision *measures* a bf16 and an fp32
matmul, and the fused and explicit attention paths. Only measurements taken while the machine was quiet
(other processes used under half a core, from /proc/stat) are kept, as JSON in the user cache folder
(`platformdirs.user_cache_dir("transformer-playground")/capability-*.json`); the choice is the median of up to
KEPT of them. One taken while other programs kept the machine busy decides that run only, and the next run
measures again. `playground bench` shows the choice; `playground bench --reset-choices` forgets it. Where bf16
matmuls pay on this machine, one transformer block at the run's own shape is timed in both precisions as the
run starts (kept per shape as the machine's measurements are): a small model can lose more to bf16's casts than its
matmuls gain.

A CPU without fast bf16 keeps float32 (docs/performance.md has what was measured where). The thread count
and whether to compile are the fast path's (playground.training.fastpath).
"""

from __future__ import annotations

import json
import math
import platform
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from playground.core.spec import RunSpec, TrainSpec
from playground.training.fastpath import machine
from playground.training.fastpath.process import cache_dir

CAPABILITY_VERSION = 3
BF16_MIN_SPEEDUP = 1.3  # bf16 must beat fp32 matmuls by this much to be worth its rounding
MEASURED_ROWS = 2048  # tokens of the run's batch a block is timed on: the shape's character at a bounded cost
# and no more rows than keep a call's weight products under this (one sequence at least): a 4096-wide block on 2048
# rows took 18-47 s to time
MEASURED_FLOPS = 3e10
BLOCK_SAMPLE_S = 0.03  # each precision's timed sample of a block lasts about this long (docs/performance.md)
# bf16 only where its block is clearly faster: it rounds the curve, and a small model's block measures close to 1x
# either way while its whole step is slower in bf16 (docs/performance.md)
BF16_MARGIN = 1.2
BUSY_CAVEAT = "chosen while the machine was busy: measured again next run"
KEPT = 3  # quiet measurements whose median decides; a run measures once more until there are this many


@dataclass(frozen=True)
class BlockShape:
    """One transformer block of a run's training step: the work its precision is measured on."""

    batch: int
    tokens: int
    width: int
    heads: int
    hidden: int  # the MLP's inner width (d_ff)
    causal: bool

    @classmethod
    def of(cls, spec: RunSpec) -> BlockShape:
        m = spec.model
        return cls(spec.train.batch_size, m.seq_len, m.n_embd, m.n_head, m.d_ff, m.family == "decoder")


class DeviceError(ValueError):
    """A device the user asked for that this machine does not have."""


@dataclass(frozen=True)
class Placement:
    device: torch.device
    dtype: torch.dtype  # autocast dtype; float32 means no autocast
    where: str  # "CPU (1 thread)", "CUDA: NVIDIA H100"
    attention: str = "sdpa"  # the attention path training uses: "sdpa" (fused) or "explicit"
    caveat: str = ""  # said after the description: a choice measured while the machine was busy

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
        return f"{where}, {precision}, {path}" + (f" ({self.caveat})" if self.caveat else "")


@dataclass(frozen=True)
class CpuCapability:
    """What short measurements said about this CPU (the quiet ones cached per machine, torch version and threads)."""

    bf16_speedup: float  # fp32 matmul time / bf16 matmul time (about 0.3 where the CPU emulates bf16)
    attention_bf16: str  # faster attention path (forward + backward) under bf16 autocast (measured if fast_bf16)
    attention_fp32: str  # faster attention path in float32
    seconds: float  # how long the measurement took
    neighbour_cores: float = 0.0  # cores other processes used meanwhile (0 where unknown)
    quiet_measurements: int = 1  # how many quiet measurements this is the median of (0: the machine was busy)

    @property
    def fast_bf16(self) -> bool:
        return self.bf16_speedup >= BF16_MIN_SPEEDUP

    @property
    def trusted(self) -> bool:
        """Taken while the machine was quiet, so kept for later runs."""
        return self.quiet_measurements > 0

    def describe(self) -> str:
        """One line for the user: what was chosen and how far to trust it."""
        bf16 = f"bf16 matmul {self.bf16_speedup:.2f}x fp32"
        how = (f"median of {self.quiet_measurements} measurement{'s' if self.quiet_measurements > 1 else ''} on a "
               "quiet machine" if self.trusted else
               f"measured while other programs used {self.neighbour_cores:.1f} cores: this run only")
        return (f"{'bfloat16' if self.fast_bf16 else 'float32'} ({bf16}), attention: {self.attention_fp32} in fp32,"
                f" {self.attention_bf16} in bf16; {how}")


OTHER_DEVICE = "use --device cpu or auto (train.device in a preset)"  # what a missing one is told


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    # (said alike: CLI QA found "use --device cpu or auto" for one and "use cpu or auto" for the other)
    if name == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device 'cuda' was asked for but no CUDA GPU is visible: {OTHER_DEVICE}")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DeviceError(f"device 'mps' was asked for but Apple's Metal backend is not available: {OTHER_DEVICE}")
    return torch.device(name)


def choose_precision(train: TrainSpec, device: torch.device, shape: BlockShape | None = None) -> torch.dtype:
    """bf16 autocast where the hardware does it well (CUDA; a CPU whose measured bf16 pays, and, given the run's
    `shape`, is measurably faster than float32 at that shape); else float32."""
    if train.precision == "fp32":
        return torch.float32
    if train.precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    if device.type == "cpu" and cpu_capability().fast_bf16:
        return torch.bfloat16 if shape is None or bf16_block_speedup(shape) >= BF16_MARGIN else torch.float32
    return torch.float32


def choose_attention(device: torch.device, dtype: torch.dtype) -> str:
    """The attention path for training: the fused kernel on GPUs; on a CPU whichever measured faster."""
    if device.type != "cpu":
        return "sdpa"
    cap = cpu_capability()
    return cap.attention_bf16 if dtype == torch.bfloat16 else cap.attention_fp32


def place(train: TrainSpec, shape: BlockShape | None = None) -> Placement:
    """Where and how a run trains; `shape` (the run's block) lets a CPU's precision be measured at that shape."""
    device = resolve_device(train.device)
    dtype = choose_precision(train, device, shape)
    attention = choose_attention(device, dtype)
    if device.type == "cuda":
        where = f"CUDA: {torch.cuda.get_device_name(device)}"
    elif device.type == "mps":
        where = "Apple GPU (MPS)"
    else:
        threads = torch.get_num_threads()
        where = f"CPU ({threads} thread{'' if threads == 1 else 's'})"
    caveat = "" if device.type != "cpu" or cpu_capability().trusted else BUSY_CAVEAT
    return Placement(device, dtype, where, attention, caveat)


# ----- the cached CPU measurement ---------------------------------------------------------------------
_CAPABILITY: CpuCapability | None = None


def _capability_file() -> Path:
    return cache_dir() / f"capability-v{CAPABILITY_VERSION}-{machine_key()}.json"


def machine_key() -> str:
    """This machine, torch version and thread count, as a file name part: what a kept measurement is valid for."""
    machine = f"{platform.machine()}-{torch.backends.cpu.get_cpu_capability()}-{_cpu_model()}"
    key = f"torch{torch.__version__}-{machine}-t{torch.get_num_threads()}"
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in key)[:140]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def cpu_capability(refresh: bool = False) -> CpuCapability:
    """This CPU's bf16 and attention facts: the median of the quiet measurements kept in the cache, to which a run
    adds one (~1 s) while fewer than KEPT are kept and the machine looks quiet; with none kept, one measurement,
    kept if the machine was quiet, else deciding this process only (the next run measures again)."""
    global _CAPABILITY
    if _CAPABILITY is not None and not refresh:
        return _CAPABILITY
    path = _capability_file()
    kept = [] if refresh else _read_kept(path)
    if not kept or (len(kept) < KEPT and machine_quiet()):
        measured = measure_cpu()
        if not measured.trusted and not kept:
            _CAPABILITY = measured
            return measured
        if measured.trusted:
            kept.append(measured)
            _write_kept(path, kept)
    _CAPABILITY = median_capability(kept)
    return _CAPABILITY


def machine_quiet(seconds: float = 0.2) -> bool:
    """Other processes used under half a core over the next `seconds` (True where the machine's time is unknown)."""
    began = machine.reading()
    time.sleep(seconds)
    used = machine.cores_used(began, machine.reading())
    return used is None or used < machine.NEIGHBOUR_CORES


def median_capability(measurements: list[CpuCapability]) -> CpuCapability:
    """The median bf16 speed-up and the attention path most measurements chose (the latest on a tie)."""
    def most(field: str) -> str:
        return Counter(getattr(m, field) for m in reversed(measurements)).most_common(1)[0][0]

    quiet = sum(m.trusted for m in measurements)
    return replace(measurements[-1], bf16_speedup=statistics.median(m.bf16_speedup for m in measurements),
                   attention_bf16=most("attention_bf16"), attention_fp32=most("attention_fp32"),
                   neighbour_cores=statistics.median(m.neighbour_cores for m in measurements),
                   quiet_measurements=quiet)


def forget_capability() -> list[Path]:
    """Delete every kept measurement, the compiled step's too, and forget this process's: the next run measures
    again."""
    global _CAPABILITY, _FORGOTTEN
    _CAPABILITY = None
    with _BLOCK_WRITE:  # not waiting for a block measurement under way: it keeps nothing once it sees this
        _FORGOTTEN += 1
        _BLOCK_SPEEDUP.clear()  # each shape's precision in this process
        folder = cache_dir()
        # the last kind: before session 14
        kinds = ("capability-*.json", "bf16-blocks-*.json", "compile-history-*.json", "compiles-*.json")
        removed = sorted(path for kind in kinds for path in folder.glob(kind)) if folder.is_dir() else []
        for path in removed:
            path.unlink(missing_ok=True)
    return removed


def capability_file() -> Path:
    """Where this machine's kept measurements are (what --reset-choices deletes)."""
    return _capability_file()


def _read_kept(path: Path) -> list[CpuCapability]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return [CpuCapability(**m) for m in saved["measurements"]][-KEPT:]
    except (OSError, ValueError, TypeError, KeyError):
        return []  # none yet, damaged, or from another version: measure again


def _write_kept(path: Path, kept: list[CpuCapability]) -> None:
    _write_json(path, {"measurements": [asdict(m) for m in kept]})


def _write_json(path: Path, saved: dict[str, object]) -> None:
    try:
        from playground.core.atomic import atomic_write_text

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(saved, indent=1))
    except OSError:
        pass  # a read-only home still trains; it just measures again next time


def measure_cpu() -> CpuCapability:
    """One measurement (~1 s), with the cores other processes used meanwhile: from half a core on, it is busy."""
    started, began = time.perf_counter(), machine.reading()
    a, b = torch.randn(256, 512), torch.randn(512, 512)
    fp32 = _best_time(lambda: a @ b)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # a CPU without bf16 instructions emulates it: 0.01-0.3x
        bf16 = _best_time(lambda: a @ b, repeats=1, inner=1)  # one call first: timing an emulation costs seconds
        if bf16 < 2 * fp32:  # near enough to pay: timed as fp32 was
            bf16 = _best_time(lambda: a @ b)
    speedup = fp32 / bf16 if bf16 > 0 else 0.0
    attention_bf16 = _faster_attention(torch.bfloat16) if speedup >= BF16_MIN_SPEEDUP else "sdpa"
    attention_fp32 = _faster_attention(torch.float32)
    seconds = time.perf_counter() - started
    neighbours = max(0.0, machine.cores_used(began, machine.reading()) or 0.0)  # 0 where the machine's time is unknown
    return CpuCapability(round(speedup, 2), attention_bf16, attention_fp32, round(seconds, 2), round(neighbours, 2),
                         int(neighbours < machine.NEIGHBOUR_CORES))


def _faster_attention(dtype: torch.dtype) -> str:
    """Forward + backward of causal attention on a small (8, 4, 64, 32) batch, fused against explicit."""
    from playground.models.attention import MultiHeadAttention

    torch.manual_seed(0)
    mha = MultiHeadAttention(128, 4, causal=True, max_len=64)
    times = attention_times(mha, torch.randn(8, 64, 128), None, dtype, rounds=15)
    return "explicit" if times["explicit"] < times["sdpa"] else "sdpa"


def attention_times(layer: torch.nn.Module, x: torch.Tensor, key_mask: torch.Tensor | None,
                    dtype: torch.dtype, rounds: int = 5) -> dict[str, float]:
    """The best time of `layer`'s forward and backward (to its input) on each path, the paths taken in turns so
    that a neighbour's burst slows both alike. The layer is left on the fused path; its weights' gradients and
    the random generators are left as they were."""
    x = x.detach().requires_grad_()

    def run(impl: str) -> Callable[[], None]:
        def forward_backward() -> None:
            layer.set_attention_impl(impl)
            with torch.autocast(x.device.type, dtype=dtype, enabled=dtype != torch.float32):
                out, _ = layer(x, key_mask)
            torch.autograd.grad(out.float().sum(), x)
        return forward_backward

    with torch.random.fork_rng(devices=[]):  # dropout draws here must not shift the run's random stream
        times = _alternated_best({impl: run(impl) for impl in ("sdpa", "explicit")}, rounds)
    layer.set_attention_impl("sdpa")
    return times


# fp32 time / bf16 time of one block at each shape, decided once in this process (Reset measures nothing again);
# the lock: the window's warm-up thread and a session started at once must not time the same shape side by side
_BLOCK_SPEEDUP: dict[BlockShape, float] = {}
_BLOCK_LOCK = threading.Lock()
# Held briefly to keep a measurement or to forget them all; the count of forgets tells a measurement that began
# before one (Measure This Computer Again during the warm-up's timing) to keep nothing: it would write back the
# shapes just deleted.
_BLOCK_WRITE = threading.Lock()
_FORGOTTEN = 0


def bf16_block_speedup(shape: BlockShape, rounds: int = 5) -> float:
    """fp32 time / bf16 time of one transformer block's forward and backward at `shape` (its batch cut to
    MEASURED_ROWS tokens, fewer for a wide block), each precision on its own measured attention path. Below 1 where
    bf16's casts and small products cost more than its faster matmuls gain. The median of the quiet measurements
    kept for the shape, to which a run adds one (~0.3 s) while fewer than KEPT are kept; one taken while the machine
    was busy decides that run only where none is kept. The run's random stream is left as it was."""
    with _BLOCK_LOCK:
        if shape in _BLOCK_SPEEDUP:
            return _BLOCK_SPEEDUP[shape]
        generation = _FORGOTTEN
        speedup, keep = _kept_or_measured(shape, rounds)
        with _BLOCK_WRITE:
            if generation == _FORGOTTEN:  # else forgotten meanwhile: this run only
                keep()
                _BLOCK_SPEEDUP[shape] = speedup
        return speedup


def _kept_or_measured(shape: BlockShape, rounds: int) -> tuple[float, Callable[[], None]]:
    """The shape's speed-up, and what keeping it takes (writing a quiet measurement; nothing for the rest)."""
    path, key = blocks_file(), _shape_key(shape)
    kept = _read_blocks(path)
    speedups = kept.get(key, [])
    if len(speedups) >= KEPT:
        return statistics.median(speedups), lambda: None
    began = machine.reading()
    with torch.random.fork_rng(devices=[]):
        measured = _block_speedup(shape, rounds)
    used = machine.cores_used(began, machine.reading())
    if used is not None and used >= machine.NEIGHBOUR_CORES:  # busy: not kept
        return (statistics.median(speedups) if speedups else measured), lambda: None
    kept[key] = [*speedups, round(measured, 3)]
    return statistics.median(kept[key]), lambda: _write_json(path, {"shapes": kept})


def kept_block_shapes() -> int:
    """How many block shapes have a kept precision measurement on this machine (`playground bench` says so)."""
    return len(_read_blocks(blocks_file()))


def blocks_file() -> Path:
    """Where this machine's kept block measurements are (what --reset-choices deletes with the rest)."""
    return cache_dir() / f"bf16-blocks-v1-{machine_key()}.json"


def _shape_key(shape: BlockShape) -> str:
    """The shape as timed: its batch cut to MEASURED_ROWS tokens and to MEASURED_FLOPS a call, one sequence at
    least (batches above that measure the same)."""
    timed = replace(shape, batch=_timed_batch(shape))
    return ",".join(f"{name}={value}" for name, value in asdict(timed).items())


def _timed_batch(shape: BlockShape) -> int:
    per_row = 6 * (4 * shape.width**2 + 2 * shape.width * shape.hidden)  # forward and backward of its weights
    rows = min(MEASURED_ROWS, int(MEASURED_FLOPS // per_row))
    return max(1, min(shape.batch, rows // shape.tokens))


def _read_blocks(path: Path) -> dict[str, list[float]]:
    try:
        shapes = json.loads(path.read_text(encoding="utf-8"))["shapes"]
        return {str(key): [float(s) for s in speedups][-KEPT:] for key, speedups in shapes.items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # none yet, damaged, or from another version: measure again


def _block_speedup(shape: BlockShape, rounds: int) -> float:
    from playground.models.attention import MultiHeadAttention

    torch.manual_seed(0)
    attention = MultiHeadAttention(shape.width, shape.heads, causal=shape.causal, max_len=shape.tokens)
    mlp = torch.nn.Sequential(torch.nn.Linear(shape.width, shape.hidden), torch.nn.GELU(),
                              torch.nn.Linear(shape.hidden, shape.width))
    x = torch.randn(_timed_batch(shape), shape.tokens, shape.width, requires_grad=True)

    def run(dtype: torch.dtype) -> Callable[[], None]:
        def forward_backward() -> None:
            attention.set_attention_impl(choose_attention(torch.device("cpu"), dtype))
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == torch.bfloat16):
                h = x + attention(x, None)[0]
                out = h + mlp(h)
            out.float().sum().backward()
        return forward_backward

    times = _alternated_times({"fp32": run(torch.float32), "bf16": run(torch.bfloat16)}, rounds, BLOCK_SAMPLE_S)
    return statistics.median(fp32 / bf16 for fp32, bf16 in zip(times["fp32"], times["bf16"]))


def _alternated_best(runs: dict[str, Callable[[], None]], rounds: int) -> dict[str, float]:
    """Each callable's best time of `rounds`, taken in turns so that a neighbour's burst slows all alike."""
    return {name: min(times) for name, times in _alternated_times(runs, rounds).items()}


def _alternated_times(runs: dict[str, Callable[[], None]], rounds: int, sample_s: float = 0.0) -> dict[str, list[float]]:
    """Each callable's time in each of `rounds`, taken in turns (after one untimed call each: oneDNN creates its
    primitives then). A timed sample repeats the call until it lasts about `sample_s`: a single call of a small
    shape lasts a millisecond, and the timer's and the scheduler's jitter then decide which is faster."""
    repeats = dict.fromkeys(runs, 1)
    for name, run in runs.items():
        run()
        if sample_s > 0:  # a second untimed call, timed: how many calls fill a sample
            started = time.perf_counter()
            run()
            repeats[name] = max(1, math.ceil(sample_s / max(time.perf_counter() - started, 1e-6)))
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            for _ in range(repeats[name]):
                run()
            times[name].append((time.perf_counter() - started) / repeats[name])
    return times


def _best_time(fn: Callable[[], object], repeats: int = 7, inner: int = 3) -> float:
    fn()  # warm-up (oneDNN primitive creation)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, time.perf_counter() - t)
    return best / inner
