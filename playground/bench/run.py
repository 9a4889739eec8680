"""`playground bench`: how fast the playground trains here, against a textbook loop, and how the window copes.

    playground bench --smoke         seconds: tiny shapes, the fields of the JSON (tests)
    playground bench --quick         ~2-3 min: the default decoder and nanoGPT's CPU shape against the reference,
                                     contention, threads
    playground bench                 all families at the preset and a larger shape, the window, memory
    playground bench --learning      each family's default preset to its learning target, cold and warm compile
                                     cache, against the textbook loop, from 3 seeds (--seeds): time to the first
                                     loss point and to the target, and the medians across seeds (to_target.py);
                                     then each ablation's preset against the piece put back (ablations.py)
    playground bench --learning ablations   the ablations only (~3-5 min on 2 cores)

Every ratio is measured in one run with its two sides alternated (A B A B), so machine noise cancels;
every ratio field's name contains `ratio`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LARGE = {
    "decoder": {"model.n_layer": 6, "model.n_head": 6, "model.n_embd": 384, "model.d_ff": 1536,
                "model.block_size": 256, "train.batch_size": 64},
    "encoder": {"model.n_layer": 6, "model.n_head": 6, "model.n_embd": 384, "model.d_ff": 1536,
                "model.block_size": 256, "train.batch_size": 64},
    "vit": {"model.n_layer": 6, "model.n_head": 6, "model.n_embd": 384, "model.d_ff": 1536, "train.batch_size": 256},
}
PRESETS = {"decoder": "decoder-pydoc", "encoder": "encoder-mlm-pydoc", "vit": "vit-digits"}
# nanoGPT's documented CPU run (4 layers x 4 heads x 128, context 64, batch 12, 2000 steps, lr 1e-3, min lr 1e-4)
# on the default decoder's character data (its tiny Shakespeare needs a download): under the compile threshold.
NANOGPT_CPU = {"model.n_layer": 4, "model.n_head": 4, "model.n_embd": 128, "model.d_ff": 512, "model.block_size": 64,
               "model.dropout": 0.0, "train.batch_size": 12, "train.lr": 1e-3, "train.max_steps": 2000,
               "train.warmup_steps": 100, "train.min_lr_ratio": 0.1}
SMOKE = {"model.n_layer": 1, "model.n_head": 2, "model.n_embd": 32, "model.d_ff": 64, "train.batch_size": 4}
LEARNING = [  # issue 3: (preset, what, target, higher is better)
    ("decoder-pydoc", "val_loss", 2.2, False),
    ("vit-digits", "val_accuracy", 0.90, True),
    ("encoder-reverse", "val_accuracy", 0.95, True),
]


def add_parser(sub: Any) -> None:
    bench = sub.add_parser("bench", help="measure training speed against a textbook PyTorch loop")
    mode = bench.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true",
                      help="the default decoder and nanoGPT's CPU shape only (~2-3 minutes)")
    mode.add_argument("--smoke", action="store_true", help="tiny shapes, a few seconds: checks the bench runs")
    mode.add_argument("--learning", nargs="?", const="all", choices=("all", "presets", "ablations", "lessons"),
                      help="train each family's preset to its learning target (presets), and each ablation's preset "
                           "and the same preset with the piece put back, checking the ablation's effect "
                           "(ablations; the exit status is 1 if one fails); all: both (the default); lessons: play "
                           "every built-in lesson through in the window (offscreen, 1280x720) and time each step")
    bench.add_argument("--json", type=Path, metavar="FILE", help="write the figures as JSON")
    bench.add_argument("--overwrite", action="store_true",
                       help="write over the file --json names; without it an existing one is refused")
    bench.add_argument("--time-limit", type=_seconds, default=120.0, metavar="SECONDS",
                       help="seconds each preset may train for --learning (default 120)")
    bench.add_argument("--seed", type=_seed, help="train both sides of each ablation from this seed instead of "
                                                  "the preset's (--learning ablations)")
    bench.add_argument("--seeds", type=_positive, metavar="N",
                       help="train each preset from N seeds, the preset's and the next ones, and compare the median "
                            f"times to the target (--learning presets; default {DEFAULT_SEEDS})")
    bench.add_argument("--reset-choices", action="store_true",
                       help="forget this machine's measured precision and attention path (kept in the user cache "
                            "folder) and exit: the next run measures again")
    bench.set_defaults(handler=cmd_bench)


def _positive(text: str) -> int:
    value = _number(text, int, "a whole number of seeds, e.g. 3")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} seeds: train from 1 or more")
    return value


def _seed(text: str) -> int:
    value = _number(text, int, "a whole number, e.g. 1337")
    if value < 0:  # (as train.seed: CLI QA, -3 ran as if it were one)
        raise argparse.ArgumentTypeError(f"{value}: a seed is a whole number 0 or more")
    return value


def _seconds(text: str) -> float:
    value = _number(text, float, "a number of seconds, e.g. 120")
    if not value > 0:  # (QA: -5 started the whole learning bench; NaN is refused as well)
        raise argparse.ArgumentTypeError(f"{text} seconds: give each preset more than 0 seconds, e.g. 120")
    return value


def _number(text: str, kind: type, wanted: str) -> Any:
    """`text` as a `kind`, or argparse's error saying what is wanted (not "invalid _seconds value")."""
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}") from None


def learning_presets(seeds: int, limit_s: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each family's preset to its target from `seeds` seeds (the preset's and the next ones): every seed's row,
    and each preset's medians across them."""
    from playground.bench.to_target import across_seeds, learning
    from playground.core.presets import load_preset

    rows, summaries = [], []
    for preset, what, target, higher in LEARNING:
        first = load_preset(preset).train.seed
        mine = [learning(preset, what, target, higher, limit_s, seed) for seed in range(first, first + seeds)]
        rows += mine
        summaries.append(across_seeds(mine))
    return rows, summaries


DEFAULT_SEEDS = 3  # --learning presets' seeds


def _check_seed_options(args: Any) -> None:
    """--seed and --seeds only where they are used (CLI QA: `bench --smoke --seed -3` ran, the seed unused, unsaid)."""
    if args.seed is not None and args.learning not in ("all", "ablations"):
        raise ValueError("--seed is the ablations' seed: add --learning ablations (or --learning, for all)")
    if args.seeds is not None and args.learning not in ("all", "presets"):
        raise ValueError("--seeds is for the presets' learning targets: add --learning presets (or --learning, "
                         "for all)")


def cmd_bench(args: Any) -> int:
    if args.reset_choices:
        from playground.training.fastpath.choose import forget_choices

        removed = forget_choices()
        print(f"forgot {len(removed)} kept measurement file{'' if len(removed) == 1 else 's'}"
              f"{': ' + ', '.join(str(p) for p in removed) if removed else ''}; the next run measures again")
        return 0
    _check_seed_options(args)
    if args.json:  # refused now, not after minutes of measuring (QA: a folder failed only at the end)
        _check_json_path(args.json, args.overwrite)
    if args.learning:
        result = {"machine": machine()}
        if args.learning in ("all", "presets"):
            result["learning"], result["learning_across_seeds"] = learning_presets(args.seeds or DEFAULT_SEEDS,
                                                                                    args.time_limit)
        if args.learning in ("all", "ablations"):
            from playground.bench.ablations import run_ablations

            result["ablations"] = run_ablations(args.seed)
        if args.learning == "lessons":
            print("bench: playing each lesson in the window (offscreen)...", file=sys.stderr, flush=True)
            result["lessons"] = _child("lessons", timeout=3600, progress=True)["lessons"]
    else:
        mode = "smoke" if args.smoke else "quick" if args.quick else "full"
        result = run_bench(mode)
    print_table(result)
    if args.json:
        from playground.core.atomic import atomic_write_text

        atomic_write_text(args.json, json.dumps(result, indent=1, default=float))
        print(f"wrote {args.json}", file=sys.stderr)
    return 0 if all(row["passed"] for row in result.get("ablations", [])) else 1


def _check_json_path(path: Path, overwrite: bool) -> None:
    """A --json file that could not be written, or would replace one unasked, as every --out is."""
    from playground.cli_output import check_can_write_file, check_new_output, writing

    with writing(path, "--json"):
        if path.is_dir():
            raise ValueError(f"--json {path} is a folder: give a file name such as {path / 'bench.json'}")
        check_new_output(path, overwrite, "--json")
        check_can_write_file(path)


def machine() -> dict[str, Any]:
    import torch

    from playground.training.device import _cpu_model, capability_file, cpu_capability, kept_block_shapes
    from playground.training.fastpath.payoff import CompileHistory

    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
            "gomp_spincount": os.environ.get("GOMP_SPINCOUNT", ""), "python": platform.python_version(),
            "flags": _cpu_flags(), "load_average": _load_average(), "capability": cpu_capability().__dict__,
            "choices": f"{cpu_capability().describe()}; bf16 against fp32 kept for {kept_block_shapes()} block "
                       f"shapes; {CompileHistory.load().describe()}",
            "choices_file": str(capability_file())}


def _load_average() -> str:
    """The machine's 1/5/15-minute load: the bench's figures are only as good as the quiet it ran in."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"


def _cpu_flags() -> str:
    """The CPU's vector and matrix instruction sets that decide the fast path (AVX2, AVX512, bf16, AMX)."""
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return "unknown"
    wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
    have = set(flags.split(":", 1)[1].split())
    return " ".join(f for f in wanted if f in have) or "none of AVX2/AVX512/AMX"


# ----- the pieces ------------------------------------------------------------------------------------
def run_bench(mode: str) -> dict[str, Any]:
    from playground.core.presets import load_preset

    started = time.perf_counter()
    result: dict[str, Any] = {"mode": mode, "machine": machine(), "training": []}
    if mode == "smoke":
        cases = [("decoder", "smoke", load_preset(PRESETS["decoder"]).updated({**SMOKE, "model.block_size": 16}))]
        plan = {"warm": 2, "rounds": 2, "k": 2}
    elif mode == "quick":
        decoder = load_preset(PRESETS["decoder"])
        cases = [("decoder", "preset", decoder), ("decoder", "nanogpt", decoder.updated(NANOGPT_CPU))]
        plan = {"warm": 4, "rounds": 6, "k": 5}
    else:
        cases = []
        for family, name in PRESETS.items():
            spec = load_preset(name)
            cases += [(family, "preset", spec), (family, "large", spec.updated(LARGE[family]))]
        cases.insert(1, ("decoder", "nanogpt", load_preset(PRESETS["decoder"]).updated(NANOGPT_CPU)))
        plan = {"warm": 5, "rounds": 6, "k": 10}  # 6 pairs: single rounds moved 2.7-4.5x on this machine
    for family, shape, spec in cases:
        k = plan["k"] if shape != "large" else max(2, plan["k"] // 3)
        print(f"bench: {family} at the {shape} shape...", file=sys.stderr, flush=True)
        result["training"].append(against_reference(family, shape, spec, plan["warm"], plan["rounds"], k))
    base = cases[0][2]
    result["contention"] = contention(base, steps=3 if mode == "smoke" else 20, rounds=2)
    tiny = load_preset("encoder-reverse")
    result["threads"] = threads(tiny if mode != "smoke" else tiny.updated(SMOKE), steps=5 if mode == "smoke" else 20)
    result["capture"] = capture_cost(base, steps=4 if mode == "smoke" else 20)
    result["memory"] = memory(base, steps=10 if mode == "smoke" else 100)
    if mode == "full":
        result["window"] = window_figures()
    result["bench_seconds"] = time.perf_counter() - started
    return result


def _session(spec: Any, compile_mode: str | None = None) -> Any:
    from playground.training.session import TrainingSession

    return TrainingSession(spec.updated({"train.compile": compile_mode}) if compile_mode else spec)


def _compile_like_preset(spec: Any, steps: int) -> Any:
    """A bench run is short; it should still take the path the preset's full run takes once inductor's cache holds
    its graph (weighed: payoff.py compiles from 5e12 FLOPs where the compile is cached)."""
    from playground.core.estimates import flops_per_step
    from playground.data import describe
    from playground.training.device import resolve_device
    from playground.training.fastpath.choose import should_compile

    info = describe(spec.data, spec.model)
    heavy = should_compile(spec.train.compile, resolve_device(spec.train.device), flops_per_step(spec, info),
                           spec.train.max_steps, weighed=True)
    return spec.updated({"train.max_steps": steps, "train.warmup_steps": max(1, steps // 10),
                         "train.compile": "on" if heavy else "off"})


def against_reference(family: str, shape: str, spec: Any, warm: int, rounds: int, k: int) -> dict[str, Any]:
    """Playground (A) and the textbook loop (B) on the same batches, A B A B; then both validation losses."""
    import torch

    from playground.bench.hardware import utilisation
    from playground.bench.reference import ReferenceTrainer, validation_batches
    from playground.bench.to_target import training_path
    from playground.core.estimates import flops_per_step

    total = warm + rounds * k
    spec = _compile_like_preset(spec, total)
    session = _session(spec)
    reference = ReferenceTrainer(spec, session.info, session.lr_at, session.placement.device)
    same_start = reference.start_from(session.model)
    ref_gen = torch.Generator().manual_seed(spec.train.seed)  # the session's batches, in the same order
    units = spec.train.batch_size * (spec.model.seq_len if session.info.unit == "tokens" else 1)

    ours, plain = torch.get_num_threads(), _cores()

    def ref_steps(n: int) -> None:  # a plain script runs at torch's default: every core
        torch.set_num_threads(plain)
        try:
            for _ in range(n):
                reference.train_step(session.dataset.batch("train", spec.train.batch_size, ref_gen))
        finally:
            torch.set_num_threads(ours)

    t = time.perf_counter()
    session.train_step()
    first_step_s = time.perf_counter() - t
    for _ in range(warm - 1):
        session.train_step()
    policy = _policy(session)
    while policy is not None and policy.plan:  # warm-up includes choosing the thread count (a few steps at each)
        session.train_step()
    ref_steps(session.step)  # as many steps as the playground took: the validation losses compare equal work
    _peak(session)  # before and after the timed rounds: the fastest of both (hardware.peak_matmul)
    pg_times, ref_times = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(k):
            session.train_step()
        pg_times.append((time.perf_counter() - t) / k)
        t = time.perf_counter()
        ref_steps(k)
        ref_times.append((time.perf_counter() - t) / k)
    pg_val, _, _ = session.evaluate()
    ref_val, _ = reference.evaluate(validation_batches(session.dataset, spec))
    pg, ref = statistics.median(pg_times), statistics.median(ref_times)
    rounds_ratios = [r / p for p, r in zip(pg_times, ref_times)]
    peak = _peak(session)
    return {
        "family": family, "shape": shape, "preset": spec.name,
        "model": f"{spec.model.n_layer}x{spec.model.n_head}x{spec.model.n_embd} T={spec.model.seq_len} "
                 f"B={spec.train.batch_size}",
        "path": training_path(session),
        "unit": session.info.unit, "steps": session.step,
        "playground_per_s": units / pg, "reference_per_s": units / ref, "reference_threads": plain,
        "threads": policy.describe() if policy else ours,
        # Each round's ratio pairs neighbours in time, so the machine's drift cancels in it; their median is the
        # figure. (The ratio of the two medians mixes phases: it is kept for comparison with older runs.)
        "speed_ratio": statistics.median(rounds_ratios), "speed_ratio_rounds": rounds_ratios,
        "speed_ratio_of_medians": ref / pg,
        "compile_s": session._step_fn.compile_seconds, "first_step_s": first_step_s,
        "playground_val_loss": pg_val, "reference_val_loss": ref_val, "val_loss_ratio": pg_val / ref_val,
        "same_start_share": same_start,
        **utilisation(flops_per_step(spec, session.info), pg, ref, peak),
    }


def _peak(session: Any) -> Any:
    """The peak matmul rate in the session's precision, at every core (the machine's best, as the reference runs)."""
    import torch

    from playground.bench.hardware import peak_matmul

    ours = torch.get_num_threads()
    torch.set_num_threads(_cores())
    try:
        return peak_matmul(session.placement.device, session.placement.dtype)
    finally:
        torch.set_num_threads(ours)


def _policy(session: Any) -> Any:
    """The compiled CPU step's adaptive thread policy (None for the eager step or a fixed count)."""
    return getattr(session._step_fn, "threads", None)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _busy_process() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def contention(spec: Any, steps: int, rounds: int) -> dict[str, Any]:
    """Steps/s quiet and with one core kept busy by another process, alternated.

    The compiled path adapts its thread count (training/fastpath/threads.py, AdaptiveThreads): the first
    contended step is slow, then it runs on one thread. The contended figure is the mean over all `steps`
    contended steps, the first included; the first step is also reported alone. After each busy phase the
    session trains until it is back on its quiet setting (its re-probe backoff) before the next quiet phase
    is timed.
    """
    spec = _compile_like_preset(spec, 10_000)
    session = _session(spec)
    policy = _policy(session)
    settle = 3 if steps < 10 else 12  # the compile, and the policy's first choice (a few steps per setting)
    for _ in range(settle):
        session.train_step()
    quiet, busy, first, recovery = [], [], [], []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(steps):
            session.train_step()
        quiet.append((time.perf_counter() - t) / steps)
        before = policy.chosen if policy else None
        hog = _busy_process()
        try:
            time.sleep(0.2)
            times = []
            for _ in range(steps):
                t = time.perf_counter()
                session.train_step()
                times.append(time.perf_counter() - t)
            busy.append(sum(times) / steps)
            first.append(times[0])
        finally:
            hog.kill()
            hog.wait()
        t, n = time.perf_counter(), 0
        while policy is not None and n < 4 * policy.FIRST_BACKOFF and (policy.chosen != before or policy.probing):
            session.train_step()
            n += 1
        recovery.append(n)
    return {"quiet_step_ms": 1000 * statistics.median(quiet), "contended_step_ms": 1000 * statistics.median(busy),
            "contended_ratio": statistics.median(quiet) / statistics.median(busy),
            "contended_first_step_ms": 1000 * statistics.median(first), "steps": steps,
            "steps_to_recover": recovery, "threads": policy.describe() if policy else f"{_threads()} (fixed)"}


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def threads(spec: Any, steps: int) -> dict[str, Any]:
    """A tiny model at 1 thread and at every core, alternated (a step at a fixed count): which is faster here;
    and the count the adaptive policy chose for it after its first steps."""
    import torch

    spec = _compile_like_preset(spec, 10_000)
    adaptive = _session(spec)
    policy = _policy(adaptive)
    while policy is not None and policy.plan:
        adaptive.train_step()
    chosen = policy.chosen if policy is not None else torch.get_num_threads()
    before = os.environ.get("PLAYGROUND_THREADS")
    os.environ["PLAYGROUND_THREADS"] = "fixed"  # the documented switch: this session keeps the count set below
    try:
        session = _session(spec)
    finally:
        if before is None:
            del os.environ["PLAYGROUND_THREADS"]
        else:
            os.environ["PLAYGROUND_THREADS"] = before
    ours, default = torch.get_num_threads(), _cores()
    times: dict[int, list[float]] = {1: [], default: []}
    try:
        for _ in range(3):
            session.train_step()
        for _ in range(2):
            for n in (1, default):
                torch.set_num_threads(n)
                t = time.perf_counter()
                for _ in range(steps):
                    session.train_step()
                times[n].append((time.perf_counter() - t) / steps)
    finally:
        torch.set_num_threads(ours)
    return {"preset": spec.name, "chosen_threads": chosen, "one_thread_step_ms": 1000 * min(times[1]),
            f"{default}_threads_step_ms": 1000 * min(times[default]),
            "one_thread_speed_ratio": min(times[default]) / min(times[1])}


def capture_cost(spec: Any, steps: int) -> dict[str, Any]:
    """One attention snapshot of the probe, as % of the step time, at the preset's interval and every 10."""
    session = _session(_compile_like_preset(spec, 10_000))
    for _ in range(3):
        session.train_step()
    t = time.perf_counter()
    for _ in range(steps):
        session.train_step()
    step_s = (time.perf_counter() - t) / steps
    session.snapshot()
    shots = []
    for _ in range(5):
        t = time.perf_counter()
        session.snapshot()
        shots.append(time.perf_counter() - t)
    snap = statistics.median(shots)
    return {"snapshot_ms": 1000 * snap, "step_ms": 1000 * step_s,
            "percent_at_interval": 100 * snap / (spec.train.snapshot_interval * step_s),
            "interval": spec.train.snapshot_interval, "percent_every_10": 100 * snap / (10 * step_s)}


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory(spec: Any, steps: int) -> dict[str, Any]:
    """Resident memory after N/10 and after N steps (flat means nothing leaks), and the process peak."""
    if not Path("/proc/self/statm").exists():
        return {"note": "needs /proc (Linux)"}
    from playground.training.allocator import release_freed_memory

    release_freed_memory()  # what the earlier (larger) cases left in this process's heap is not this run's
    session = _session(_compile_like_preset(spec, 10_000))
    rows = {}
    for n in (steps // 10, steps):
        while session.step < n:
            session.train_step()
            if session.step % spec.train.snapshot_interval == 0:
                session.snapshot()
        rows[n] = _rss_mb()
    return {"rss_mb_after_tenth": rows[steps // 10], "rss_mb_after_all": rows[steps], "steps": steps,
            "growth_ratio": rows[steps] / rows[steps // 10],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(*args: str, timeout: float = 600, progress: bool = False) -> dict[str, Any]:
    """One window measurement in a process of its own; with `progress`, its progress lines pass through."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PLAYGROUND_BENCH_LAUNCHED": repr(time.time())}
    out = subprocess.run([sys.executable, "-m", "playground.bench.window", *args], stdout=subprocess.PIPE,
                         stderr=None if progress else subprocess.PIPE, text=True, env=env, timeout=timeout)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            return json.loads(line[len("BENCH-JSON "):])
    raise RuntimeError(f"the window measurement failed: {(out.stderr or 'see above').strip()[-600:]}")


def window_figures() -> dict[str, Any]:
    try:
        import PySide6  # noqa: F401
    except ImportError:
        return {"note": "PySide6 is not installed: no window figures"}
    print("bench: the window (offscreen)...", file=sys.stderr, flush=True)
    paints = [_child("paint") for _ in range(3)]
    result = {key: statistics.median(p[key] for p in paints) for key in ("first_paint_s", "views_paint_s")}
    result["first_paint_runs_s"] = [p["first_paint_s"] for p in paints]
    result.update(_child("train", PRESETS["decoder"], "150"))  # past the thread choice and a re-probe
    return result


# ----- output ----------------------------------------------------------------------------------------
def print_table(result: dict[str, Any]) -> None:
    m = result["machine"]
    print(f"{m['cpu']} ({m['cores']} cores, torch {m['torch']}, {m['threads']} threads, "
          f"OMP_WAIT_POLICY={m['omp_wait_policy'] or 'unset'}, GOMP_SPINCOUNT={m['gomp_spincount'] or 'unset'}); "
          f"flags: {m.get('flags', 'unknown')}; load average {m.get('load_average', 'unknown')}")
    if "choices" in m:
        print(f"choices: {m['choices']} (kept in {m['choices_file']}; `playground bench --reset-choices` forgets them)")
    rows = result.get("training", [])
    if rows:
        print(f"{'family':<8} {'shape':<7} {'model':<28} {'playground/s':>13} {'reference/s':>12} {'ratio':>6} "
              f"{'ceiling':>7} {'MFU':>4} {'val (pg / ref)':>16} {'compile':>8}  path")
        for r in rows:
            comp = f"{r['compile_s']:.1f}s" if r["compile_s"] else "-"
            print(f"{r['family']:<8} {r['shape']:<7} {r['model']:<28} {r['playground_per_s']:>13,.0f} "
                  f"{r['reference_per_s']:>12,.0f} {r['speed_ratio']:>5.2f}x {r['ceiling_speed_ratio']:>6.2f}x "
                  f"{r['mfu']:>4.0%} {r['playground_val_loss']:>7.3f} / {r['reference_val_loss']:<6.3f} {comp:>8}  "
                  f"{r['path']}")
        print(f"ceiling: the most any path could gain here, the step's model FLOPs at the peak matmul rate "
              f"({rows[0]['peak_flops_per_s'] / 1e9:,.0f} GFLOP/s, {rows[0]['peak_source']}); "
              f"MFU: achieved model FLOP/s / that peak")
    if "contention" in result:
        c = result["contention"]
        print(f"one core busy elsewhere: {c['quiet_step_ms']:.0f} ms/step quiet, {c['contended_step_ms']:.0f} ms "
              f"contended (mean of {c['steps']}; first step {c['contended_first_step_ms']:.0f} ms): keeps "
              f"{c['contended_ratio']:.0%}; threads {c['threads']}")
    if "threads" in result:
        t = result["threads"]
        print(f"threads on {t['preset']}: 1 thread is {t['one_thread_speed_ratio']:.2f}x all cores "
              f"(training uses {t['chosen_threads']})")
    if "capture" in result:
        c = result["capture"]
        print(f"attention capture: {c['snapshot_ms']:.1f} ms = {c['percent_at_interval']:.1f}% of step time at every "
              f"{c['interval']} steps ({c['percent_every_10']:.1f}% at every 10)")
    if "memory" in result and "rss_mb_after_all" in result["memory"]:
        mem = result["memory"]
        print(f"memory: {mem['rss_mb_after_tenth']:.0f} MB after {mem['steps'] // 10} steps, "
              f"{mem['rss_mb_after_all']:.0f} MB after {mem['steps']}; peak {mem['peak_rss_mb']:.0f} MB")
    if "window" in result:
        w = result["window"]
        if "first_paint_s" in w:
            print(f"window: first paint {w['first_paint_s']:.2f} s (plots {w['views_paint_s']:.2f} s); "
                  f"window-driven {w['window_to_headless_ratio']:.2f}x headless (waiting "
                  f"{w.get('window_gap_wait_percent', math.nan):.1f} % of the time for its paints); 10 ms timer gaps "
                  f"p50 {w['timer_gap_p50_ms']:.0f} / p99 {w['timer_gap_p99_ms']:.0f} / max {w['timer_gap_max_ms']:.0f} ms")
        else:
            print(f"window: {w.get('note')}")
    if result.get("learning"):
        from playground.bench.to_target import describe as describe_learning
        from playground.bench.to_target import describe_across

        for row in result["learning"]:
            print("\n".join(describe_learning(row)))
        for summary in result.get("learning_across_seeds", []):
            print(describe_across(summary))
    for row in result.get("lessons", []):
        steps = ", ".join(f"{s:.0f}" for s in row["step_seconds"])
        print(f"{row['lesson']:<32} {row['seconds']:>6.0f} s played through ({row['status']}; seconds per step: "
              f"{steps})")
    if result.get("ablations"):
        from playground.bench.ablations import describe

        for row in result["ablations"]:
            print(describe(row))

