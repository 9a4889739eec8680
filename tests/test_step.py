"""The fast training paths (bf16 + explicit attention, compiled step) against the plain fp32 step.

A compiled test fails, not passes uncompiled, when the compiled step falls back: the fallback's warning is an
error here (tests that make it fall back on purpose expect it)."""

import json
import os
import statistics
import subprocess
import sys
import time

import pytest
import torch

from playground.core.spec import make_spec
from playground.training import device
from playground.training.events import FinishedEvent, MetricsEvent, StatusEvent
from playground.training.fastpath import choose
from playground.training.fastpath import compiled as compiled_module
from playground.training.fastpath.choose import compiler_available, should_compile
from playground.training.fastpath.compiled import ONE_THREAD_NOTE, CompileFallbackWarning
from playground.training.fastpath.threads import AdaptiveThreads, neighbour_cpu_seconds
from playground.training.session import TrainingSession

pytestmark = [pytest.mark.filterwarnings("error::playground.training.fastpath.compiled.CompileFallbackWarning"),
              pytest.mark.usefixtures("fresh_capability_cache", "unniced_compile_worker"),
              pytest.mark.xdist_group("compiled")]  # under xdist, in the process that holds the compiled graphs
needs_compiler = pytest.mark.skipif(not compiler_available(torch.device("cpu")), reason="no C++ compiler for inductor")

# One layer: a cold compile of the whole step takes half as long as with two (37 s against 74 s on 2 cores). The
# compiled tests here, test_background_compile's and test_gpu_paths' compile this one graph: one cold compile per
# thread count for the whole suite, found in the process's (or the disk's) cache after that.
TINY = {
    "model": {"family": "decoder", "n_layer": 1, "n_embd": 32, "n_head": 2, "d_ff": 64, "block_size": 16},
    "data": {"name": "zen"},
    "train": {"batch_size": 8, "warmup_steps": 3, "max_steps": 6, "device": "cpu", "precision": "fp32",
              "compile": "off", "eval_interval": 100, "snapshot_interval": 100},
}


def spec(**train):
    return make_spec(TINY).updated({f"train.{k}": v for k, v in train.items()})


def losses(session, steps=None):
    return [e.train_loss for e in session.run(steps) if isinstance(e, MetricsEvent)]


@pytest.mark.slow
def test_bf16_explicit_path_matches_fp32_within_bf16_tolerance():
    plain = losses(TrainingSession(spec()))
    fast_session = TrainingSession(spec(precision="bf16"))
    assert fast_session.placement.autocast
    fast = losses(fast_session)
    assert fast == pytest.approx(plain, rel=2e-2)


@pytest.mark.slow
def test_compile_off_is_honoured_and_auto_skips_tiny_runs():
    assert not TrainingSession(spec(compile="off"))._step_fn.compiled
    assert not TrainingSession(spec(compile="auto"))._step_fn.compiled  # far too little work to pay back
    assert not should_compile("off", torch.device("cpu"), 1e12, 10**6)


def _fake_measurements(monkeypatch, results):
    """device.measure_cpu answers from `results` (CpuCapability, in order); returns the list of calls made."""
    calls = []

    def measure():
        calls.append(results[len(calls)])
        return calls[-1]

    monkeypatch.setattr(device, "measure_cpu", measure)
    return calls


def _measured(attention, speedup=0.0, busy_cores=0.0):
    return device.CpuCapability(speedup, "sdpa", attention, 0.5, busy_cores, int(busy_cores < 0.5))


def test_capability_kept_is_the_median_of_quiet_measurements(tmp_path, monkeypatch):
    """Each run adds one quiet measurement until KEPT are kept; the choice is their median (the majority's path)."""
    monkeypatch.setattr(device, "machine_quiet", lambda seconds=0.2: True)
    results = [_measured("explicit", 0.4), _measured("sdpa", 0.2), _measured("explicit", 0.3), _measured("sdpa")]
    calls = _fake_measurements(monkeypatch, results)
    seen = []
    for _ in range(4):  # four runs (a process each): the fourth measures nothing
        device._CAPABILITY = None
        seen.append(device.cpu_capability())
    assert len(calls) == device.KEPT == 3
    assert [c.quiet_measurements for c in seen] == [1, 2, 3, 3]
    assert seen[-1].attention_fp32 == "explicit" and seen[-1].bf16_speedup == pytest.approx(0.3)
    assert "median of 3 measurements on a quiet machine" in seen[-1].describe()
    files = list((tmp_path / "cache").glob("capability-*.json"))
    assert len(files) == 1 and len(json.loads(files[0].read_text())["measurements"]) == 3
    assert device.forget_capability() == files and not files[0].exists()  # --reset-choices
    device._CAPABILITY = None
    again = device.cpu_capability()  # forgotten: the next run measures again, from scratch
    assert len(calls) == 4 and (again.attention_fp32, again.quiet_measurements) == ("sdpa", 1)


def test_capability_measured_on_a_busy_machine_decides_this_run_only(tmp_path, monkeypatch):
    busy = _measured("explicit", busy_cores=1.5)
    calls = _fake_measurements(monkeypatch, [busy, busy, _measured("sdpa"), _measured("explicit", busy_cores=1.5)])
    monkeypatch.setattr(device, "machine_quiet", lambda seconds=0.2: True)
    device._CAPABILITY = None  # a process that has measured nothing yet
    first = device.cpu_capability()
    assert first == busy and not first.trusted and "this run only" in first.describe()
    assert not list((tmp_path / "cache").glob("capability-*.json"))  # nothing kept
    assert device.place(spec().train).description.endswith(f"({device.BUSY_CAVEAT})")  # the status bar says so
    device._CAPABILITY = None
    assert device.cpu_capability() == busy and len(calls) == 2  # the next run measured again
    device._CAPABILITY = None
    assert device.cpu_capability().attention_fp32 == "sdpa"  # quiet at last: kept
    assert "busy" not in device.place(spec().train).description
    device._CAPABILITY = None
    kept = device.cpu_capability()  # a further busy measurement is not added to the kept ones
    assert (kept.attention_fp32, kept.quiet_measurements, len(calls)) == ("sdpa", 1, 4)
    monkeypatch.setattr(device, "machine_quiet", lambda seconds=0.2: False)
    device._CAPABILITY = None
    assert device.cpu_capability().attention_fp32 == "sdpa" and len(calls) == 4  # busy now: no measuring at all


@pytest.mark.slow
def test_a_measurement_knows_whether_another_process_ran_meanwhile(monkeypatch):
    """The real measurement (bf16 matmuls, attention paths), judged by /proc/stat's neighbours' CPU time."""
    from playground.training.fastpath import machine

    monkeypatch.setattr(machine, "neighbour_cpu_seconds", lambda: 0.0)
    quiet = device.measure_cpu()
    assert quiet.trusted and quiet.neighbour_cores == 0 and quiet.attention_fp32 in ("sdpa", "explicit")
    monkeypatch.setattr(machine, "neighbour_cpu_seconds", time.perf_counter)  # a core busy all along
    busy = device.measure_cpu()
    assert not busy.trusted and busy.neighbour_cores == pytest.approx(1.0, abs=0.05)
    if not quiet.fast_bf16:  # a CPU without fast bf16 keeps float32
        monkeypatch.setattr(device, "_CAPABILITY", quiet)
        assert device.choose_precision(spec(precision="auto").train, torch.device("cpu")) == torch.float32


def test_bf16_is_used_only_where_it_is_measurably_faster_at_the_runs_own_shape(tmp_path, monkeypatch):
    """On a CPU whose bf16 matmuls pay, a run still keeps float32 where one of its blocks trains slower in bf16
    (small models: the casts cost more than the faster products gain)."""
    monkeypatch.setattr(device, "_CAPABILITY", _measured("sdpa", speedup=2.0))  # a CPU with fast bf16
    small, large = spec(), spec().updated({"model.n_embd": 256, "model.d_ff": 1024})
    level = spec().updated({"model.n_embd": 64, "model.d_ff": 128})
    # fp32 time / bf16 time; 1.1x is within what a small model's measurement spreads, and bf16 rounds the curve
    measured = {device.BlockShape.of(small): 0.7, device.BlockShape.of(large): 1.8, device.BlockShape.of(level): 1.1}
    calls = []

    def block_speedup(shape, rounds):
        calls.append(shape)
        return measured[shape]

    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))  # these made-up figures are not kept
    monkeypatch.setattr(device, "_BLOCK_SPEEDUP", {})
    monkeypatch.setattr(device, "_block_speedup", block_speedup)
    auto = spec(precision="auto")
    assert choose.place(small.updated({"train.precision": "auto"})).dtype == torch.float32
    assert choose.place(large.updated({"train.precision": "auto"})).dtype == torch.bfloat16
    assert choose.place(level.updated({"train.precision": "auto"})).dtype == torch.float32
    assert TrainingSession(auto).placement.dtype == torch.float32  # the session places at its own shape
    assert len(calls) == 3  # each shape once in a process: the session took the first measurement
    assert choose.place(small.updated({"train.precision": "bf16"})).dtype == torch.bfloat16  # the user's choice
    assert device.choose_precision(auto.train, torch.device("cpu")) == torch.bfloat16  # no shape: the machine's


def test_a_blocks_precision_is_kept_as_the_median_of_quiet_measurements(tmp_path, monkeypatch):
    """A run's block is measured (~0.3 s) as it starts: the quiet measurements are kept per shape, so the fourth
    launch of a shape measures nothing; one taken while another program was busy decides that run only."""
    from playground.training.fastpath import machine

    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(device, "_CAPABILITY", _measured("sdpa", speedup=2.0))
    results, calls = [1.5, 0.9, 2.0, 1.3, 1.6], []
    neighbours = {"busy": False}

    def block_speedup(shape, rounds):
        calls.append(shape)
        return results[len(calls) - 1]

    monkeypatch.setattr(device, "_block_speedup", block_speedup)
    monkeypatch.setattr(machine, "neighbour_cpu_seconds",
                        lambda: time.perf_counter() if neighbours["busy"] else 0.0)  # a core busy all along, or none
    shape, other = device.BlockShape(4, 8, 16, 2, 32, True), device.BlockShape(4, 8, 32, 2, 64, True)
    seen = []
    for busy in (False, True, False, False, False):  # five launches (a process each) of one shape
        monkeypatch.setattr(device, "_BLOCK_SPEEDUP", {})
        neighbours["busy"] = busy
        seen.append(device.bf16_block_speedup(shape))
    assert seen == [1.5, pytest.approx(1.5), pytest.approx(1.75), pytest.approx(1.5), pytest.approx(1.5)]
    assert len(calls) == 4  # the busy one is not kept; with three kept the fifth launch measures nothing
    assert device.kept_block_shapes() == 1
    monkeypatch.setattr(device, "_BLOCK_SPEEDUP", {})
    neighbours["busy"] = True
    assert device.bf16_block_speedup(other) == 1.6  # nothing kept for this shape: the busy one decides this run
    assert device.kept_block_shapes() == 1
    files = list((tmp_path / "cache").glob("bf16-blocks-*.json"))
    assert len(files) == 1 and files[0] in device.forget_capability()  # --reset-choices and Measure Again
    assert device.kept_block_shapes() == 0


def test_forgetting_during_a_block_measurement_keeps_nothing_of_it(tmp_path, monkeypatch):
    """Review: Measure This Computer Again while the warm-up timed a block wrote the forgotten shapes back."""
    from playground.training.fastpath import machine

    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(device, "_CAPABILITY", _measured("sdpa", speedup=2.0))
    monkeypatch.setattr(device, "_BLOCK_SPEEDUP", {})
    monkeypatch.setattr(machine, "neighbour_cpu_seconds", lambda: 0.0)  # quiet
    shape, other = device.BlockShape(4, 8, 16, 2, 32, True), device.BlockShape(4, 8, 32, 2, 64, True)
    monkeypatch.setattr(device, "_block_speedup", lambda shape, rounds: 1.5)
    device.bf16_block_speedup(other)  # one shape kept before
    assert device.kept_block_shapes() == 1

    def measured_while_forgotten(shape, rounds):
        device.forget_capability()  # the user's Measure Again, meanwhile
        return 1.7

    monkeypatch.setattr(device, "_block_speedup", measured_while_forgotten)
    assert device.bf16_block_speedup(shape) == 1.7  # decides this run
    assert device.kept_block_shapes() == 0 and not device.blocks_file().exists()  # nothing written back
    assert device._BLOCK_SPEEDUP == {}  # and the next run of the shape measures again


def test_a_blocks_measurement_is_kept_for_the_batch_it_was_timed_at():
    """A batch above MEASURED_ROWS tokens is cut to it: the batch slider's other values share the measurement."""
    big, bigger = device.BlockShape(64, 64, 128, 4, 512, True), device.BlockShape(128, 64, 128, 4, 512, True)
    assert device._shape_key(big) == device._shape_key(bigger) != device._shape_key(device.BlockShape(
        16, 64, 128, 4, 512, True))


def test_a_wide_blocks_measurement_is_cut_to_a_bounded_cost():
    """A 4096-wide block timed on MEASURED_ROWS tokens took 20-50 s before its run could start (a teraflop a call):
    its batch is cut to MEASURED_FLOPS a call; the presets' blocks are timed on all their rows."""
    wide = device.BlockShape(64, 17, 4096, 32, 32768, True)
    assert device._timed_batch(wide) == 1
    assert device._timed_batch(device.BlockShape(64, 16, 1024, 16, 4096, True)) == 24  # 3e10 / (6 x 12.6M): 397 rows
    from playground.core import presets

    for name in ("decoder-pydoc", "vit-digits", "encoder-reverse", "bert-pronoun"):
        shape = device.BlockShape.of(presets.load_preset(name))
        assert device._timed_batch(shape) == max(1, min(shape.batch, device.MEASURED_ROWS // shape.tokens))


def test_a_short_call_is_timed_over_repeats_lasting_the_sample_time(monkeypatch):
    """A block of a small model takes about a millisecond: one call per sample would let the timer's and the
    scheduler's jitter pick the precision (vit-digits' block measured 0.86-1.11x in five fresh runs)."""
    from types import SimpleNamespace

    clock = {"now": 0.0}
    monkeypatch.setattr(device, "time", SimpleNamespace(perf_counter=lambda: clock["now"]))  # a fake, exact timer
    calls = {"short": 0, "long": 0}

    def taking(name, seconds):
        def run():
            calls[name] += 1
            clock["now"] += seconds
        return run

    times = device._alternated_times({"short": taking("short", 0.001), "long": taking("long", 0.02)}, rounds=3,
                                     sample_s=0.01)
    assert calls == {"short": 2 + 3 * 10, "long": 2 + 3}  # two untimed calls, then 10 ms of 1-ms calls per sample
    assert times["short"] == pytest.approx([0.001] * 3) and times["long"] == pytest.approx([0.02] * 3)  # per call


def test_the_block_measurement_times_both_precisions_and_leaves_the_random_stream(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))  # measured afresh
    monkeypatch.setattr(device, "_CAPABILITY", _measured("sdpa"))
    monkeypatch.setattr(device, "_BLOCK_SPEEDUP", {})
    shape = device.BlockShape(batch=4, tokens=8, width=16, heads=2, hidden=32, causal=True)
    state = torch.get_rng_state()
    speedup = device.bf16_block_speedup(shape, rounds=1)
    assert torch.equal(torch.get_rng_state(), state)
    assert 0 < speedup < float("inf")


PROCESS_PROBE = r"""
import json, os, sys
opt_in = sys.argv[2] == "opt-in"
if opt_in:  # as the CLI does: before anything imports torch
    from playground.training.fastpath.process import configure_process
    configure_process()
    configure_process()  # once is enough: a second call changes nothing
import torch
from playground.core.spec import make_spec
from playground.training.session import TrainingSession

threads = torch.get_num_threads()
environ = {k: os.environ.get(k) for k in ("GOMP_SPINCOUNT", "TORCHINDUCTOR_CACHE_DIR")}
session = TrainingSession(make_spec(json.loads(sys.argv[1])))
list(session.run(2))
print(json.dumps({"threads": threads, "threads_after": torch.get_num_threads(), "where": session.placement.where,
                  "described": session.device_description(),
                  "environ": environ, "environ_after": {k: os.environ.get(k) for k in environ}}))
"""


def _probe_process(tmp_path, mode, **environ):
    """PROCESS_PROBE in a fresh process (the settings are process-wide), `environ` over a clean environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY", "TORCHINDUCTOR_CACHE_DIR")}
    env.update(PLAYGROUND_CACHE_DIR=str(tmp_path / "cache"), **environ)
    out = subprocess.run([sys.executable, "-c", PROCESS_PROBE, json.dumps(TINY), mode], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


@pytest.mark.slow
def test_building_and_training_a_session_changes_no_process_setting(tmp_path):
    figures = _probe_process(tmp_path, "library")
    assert figures["environ"] == figures["environ_after"]
    assert figures["environ"]["GOMP_SPINCOUNT"] is None  # (importing torch fills in inductor's own cache folder)
    assert not str(figures["environ"]["TORCHINDUCTOR_CACHE_DIR"]).startswith(str(tmp_path))
    assert figures["threads_after"] == figures["threads"]


def test_a_cache_folder_on_a_read_only_disk_is_not_given_to_the_compiler(tmp_path, monkeypatch):
    """Review: a cache folder kept from before on a disk now read-only is there, so making it succeeds; the
    compiler's writes failed later."""
    import errno

    from playground.training.fastpath import process

    (tmp_path / "cache" / "inductor").mkdir(parents=True)
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    monkeypatch.setattr(process, "_unkept", "")

    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(process.tempfile, "TemporaryFile", read_only)
    process._cache_compiled_steps()
    assert "TORCHINDUCTOR_CACHE_DIR" not in os.environ
    assert "cannot be written (Read-only file system): this machine" in process.unkept_cache()


@pytest.mark.slow
def test_the_programs_one_opt_in_sets_the_process_settings(tmp_path):
    """The CLI's opt-in: OpenMP's spin count, inductor's cache folder, and the eager step's thread count: measured
    (AdaptiveThreads starts on every core) where there are several, else the fixed count."""
    from playground.training.fastpath.threads import usable_cores
    from playground.training.openmp import SPIN_COUNT

    figures = _probe_process(tmp_path, "opt-in")
    inductor = str(tmp_path / "cache" / "inductor")
    assert figures["environ"] == {"GOMP_SPINCOUNT": SPIN_COUNT, "TORCHINDUCTOR_CACHE_DIR": inductor}
    most = min(figures["threads"], usable_cores())
    if most > 1:  # two steps of the plan: both at every core
        assert figures["threads_after"] == most
        assert figures["described"].startswith(f"CPU ({most} of {most} threads, adaptive)")
    else:
        assert figures["threads_after"] == 1 and figures["described"].startswith("CPU (1 thread)")
    # Adaptation off (the spare core stays free), and a cache folder of the user's own (it wins): one process.
    mine = _probe_process(tmp_path, "opt-in", PLAYGROUND_THREADS="fixed", TORCHINDUCTOR_CACHE_DIR=str(tmp_path / "mine"))
    expected = max(1, min(figures["threads"], usable_cores() - 1))
    assert mine["threads_after"] == expected and mine["described"].startswith(f"CPU ({expected} thread")
    assert mine["environ"]["TORCHINDUCTOR_CACHE_DIR"] == str(tmp_path / "mine")


@pytest.mark.slow
@needs_compiler
def test_compiled_step_equals_eager_and_keeps_checkpoints_snapshots_and_resume(tmp_path):
    eager = losses(TrainingSession(spec()))
    session = TrainingSession(spec(compile="on"), run_dir=tmp_path)
    assert session._step_fn.compiled
    events = list(session.run(3))
    notes = [e.message for e in events if isinstance(e, StatusEvent)]
    assert any("compiling" in n for n in notes) and any("compiled" in n for n in notes)
    compiled = [e.train_loss for e in events if isinstance(e, MetricsEvent)]
    # warm-up changes the lr every step: equal losses mean the lr is not baked into the graph
    assert compiled == pytest.approx(eager[:3], rel=1e-4)
    assert session._step_fn.compiled  # still: it did not fall back
    assert not any("_orig_mod" in k for k in session.model.state_dict())
    shot = session.snapshot()  # the uncompiled model, explicit path, eval mode
    assert shot.weights.shape[:2] == (1, 2)
    assert shot.weights.sum(-1) == pytest.approx(1.0, abs=1e-4)
    folder = session.save()
    resumed = TrainingSession.resume(folder)
    assert resumed._step_fn.compiled
    rest = losses(resumed)
    assert rest == pytest.approx(eager[3:], rel=1e-4)
    assert resumed._step_fn.compiled


@pytest.mark.slow
@needs_compiler
def test_compiled_step_equals_eager_while_the_thread_count_changes_every_step(monkeypatch):
    """AdaptiveThreads switches between one thread and all cores: each count runs its own compiled kernels (not
    cpp.dynamic_threads, which drifted by 0.06-0.15 % here), and the losses stay the eager ones."""
    monkeypatch.setenv("PLAYGROUND_THREADS", "fixed")
    eager = losses(TrainingSession(spec()))
    session = TrainingSession(spec(compile="on"))
    saved = torch.get_num_threads()
    compiled = []
    try:
        for step in range(6):
            torch.set_num_threads(1 + step % 2)
            compiled.append(session.train_step().train_loss)
    finally:
        torch.set_num_threads(saved)
    assert compiled == pytest.approx(eager, rel=1e-4)
    assert session._step_fn.compiled


@pytest.mark.slow
@needs_compiler
def test_first_compile_is_for_all_cores_and_the_one_thread_compile_is_announced_before_its_step():
    session = TrainingSession(spec(compile="on", max_steps=12))
    session._step_fn.threads = AdaptiveThreads(2)
    saved = torch.get_num_threads()
    seen = []  # ("note", message) and ("step", thread count) in the order the driver sees them
    try:
        for event in session.run():
            if isinstance(event, StatusEvent):
                seen.append(("note", event.message))
            elif isinstance(event, MetricsEvent):
                seen.append(("step", torch.get_num_threads()))
    finally:
        torch.set_num_threads(saved)
    steps = [threads for kind, threads in seen if kind == "step"]
    assert steps[0] == 2 and 1 in steps  # compiled for all cores first; the policy's plan tries one thread too
    first_one = next(i for i, item in enumerate(seen) if item == ("step", 1))
    assert seen[first_one - 1] == ("note", ONE_THREAD_NOTE)
    assert seen.count(("note", ONE_THREAD_NOTE)) == 1
    answer = seen[first_one + 1]  # the window keeps ONE_THREAD_NOTE ("...") in view until this one
    assert answer[0] == "note" and answer[1].startswith("compiled the training step for 1 thread in ")
    assert session._step_fn.compiled


@pytest.mark.slow
@needs_compiler
def test_compiled_step_with_frozen_layers_trains_the_rest_like_eager():
    """Fine-tuning freezes the lower layers: the compiled step differentiates only the trainable weights."""
    frozen = spec().updated({"model.n_layer": 2, "model.freeze_layers": 1})
    eager = losses(TrainingSession(frozen))
    session = TrainingSession(frozen.updated({"train.compile": "on"}))
    start = {k: v.clone() for k, v in session.model.state_dict().items()}
    assert session._step_fn.compiled
    assert losses(session) == pytest.approx(eager, rel=1e-4)
    now = session.model.state_dict()
    assert all(torch.equal(now[k], start[k]) for k in start if k.startswith(("blocks.0.", "tok_emb.")))
    assert not torch.equal(now["blocks.1.ffn.fc1.weight"], start["blocks.1.ffn.fc1.weight"])
    assert session._step_fn.compiled


@pytest.mark.slow
@needs_compiler
def test_compiled_step_still_stops_on_divergence():
    diverging = spec(compile="on", lr=10.0, max_steps=60)  # the shape and clipping of the other tests: no new compile
    session = TrainingSession(diverging)
    events = list(session.run())
    assert isinstance(events[-1], FinishedEvent) and events[-1].reason == "diverged"
    assert session._step_fn.compiled


def _policy_steps(policy, n, times, machine=None):
    """Drive an AdaptiveThreads for n steps of `times[threads]` seconds. `machine` (a dict) is the fake machine
    the policy reads: "now" its wall clock, "others" the CPU seconds other processes ran, "cores" how many cores
    they keep busy during each step."""
    used = []
    for _ in range(n):
        policy.before_step()
        used.append(policy.current)
        seconds = times[policy.current]
        if machine is not None:
            machine["now"] += seconds
            machine["others"] += machine["cores"] * seconds
        policy.after_step(seconds)
    return used


def _fake_machine():
    machine = {"now": 0.0, "others": 0.0, "cores": 0.0}
    return machine, {"neighbours": lambda: machine["others"], "clock": lambda: machine["now"]}


QUIET = {2: 0.040, 1: 0.060}  # seconds a step takes at 2 threads and at 1


@pytest.fixture
def settled():
    """An AdaptiveThreads(2) on a fake machine, past its plan on quiet steps; torch's thread count restored after."""
    saved = torch.get_num_threads()
    machine, clocks = _fake_machine()
    policy = AdaptiveThreads(2, **clocks)
    _policy_steps(policy, 2 * (AdaptiveThreads.FIRST_STEPS + 1) + 5, QUIET, machine)
    yield policy, machine
    torch.set_num_threads(saved)


@pytest.mark.slow
def test_eager_step_runs_at_the_measured_thread_count_on_the_eager_curve(monkeypatch):
    """Where the process manages threads, the eager step is paced by AdaptiveThreads: its plan's steps at every
    core and at one thread, then the faster; the losses stay the fixed-count step's within float rounding."""
    from playground.training.fastpath import threads as threads_module
    from playground.training.fastpath.threads import PacedStep

    steps = 2 * (AdaptiveThreads.FIRST_STEPS + 1) + 4
    eager = losses(TrainingSession(spec(max_steps=steps)))
    saved = torch.get_num_threads()
    monkeypatch.setattr(threads_module, "threads_managed", lambda: True)
    monkeypatch.setattr(threads_module, "usable_cores", lambda: 2)
    monkeypatch.setattr(threads_module, "_TORCH_DEFAULT_THREADS", 2)
    try:
        session = TrainingSession(spec(max_steps=steps))
        step = session._step_fn.step  # inside the attention path's measurement (test_attention_choice)
        assert isinstance(step, PacedStep) and step.threads.most == 2
        used, paced = [], []
        for _ in range(steps):
            paced.append(session.train_step().train_loss)
            used.append(torch.get_num_threads())
        assert used[: 2 * (AdaptiveThreads.FIRST_STEPS + 1)] == [2] * 4 + [1] * 4  # the plan: measured at both
        # (the count the last step ran at: a neighbour's work, the other xdist worker's, may have had the policy
        # choose one thread for the next since, as it should; CI saw 2 against a choice of 1)
        assert used[-1] == step.threads.current and step.threads.chosen in (1, 2)
        assert session.device_description().startswith(f"CPU ({step.threads.chosen} of 2 threads, adaptive), float32")
    finally:
        torch.set_num_threads(saved)
    assert paced == pytest.approx(eager, rel=1e-5)
    monkeypatch.setenv("PLAYGROUND_THREADS", "fixed")  # adaptation off: the plain step at the fixed count
    try:
        assert type(TrainingSession(spec())._step_fn.step).__name__ == "EagerStep"
    finally:
        torch.set_num_threads(saved)


def test_a_follower_trains_each_step_at_its_leaders_count_whatever_its_own_steps_take():
    """Compare A/B's B follows A: under a neighbour's bursts each side chose its count apart, B dropped to one thread
    a step before A, and the same settings' curves parted by 0.003 within 150 steps (a count rounds sums its way)."""
    saved = torch.get_num_threads()
    leader, follower = AdaptiveThreads(2, neighbours=lambda: None), AdaptiveThreads(2, neighbours=lambda: None)
    follower.follow(leader)
    contended = {2: 1.000, 1: 0.060}
    try:
        led = _policy_steps(leader, 2 * (AdaptiveThreads.FIRST_STEPS + 1) + 6, QUIET)
        followed = _policy_steps(follower, len(led), contended)  # its own steps say one thread; the leader's do not
        assert followed == led and led[-6:] == [2] * 6
        assert _policy_steps(leader, 3, {2: 0.100, 1: 0.060}) == [2, 2, 1]  # two slow steps: the leader drops...
        assert _policy_steps(follower, 3, QUIET) == [2, 2, 1]  # ... and so does the follower, at the same step
        assert _policy_steps(follower, 2, QUIET) == [1, 1]  # ahead of its leader: the leader's latest count
    finally:
        torch.set_num_threads(saved)


@pytest.fixture
def two_managed_cores(monkeypatch):
    """The process manages threads on a machine of two cores (as the CLI and the window do on the 2-core machines
    measured), whatever OMP_NUM_THREADS says; torch's thread count restored after."""
    from playground.training.fastpath import threads as threads_module

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # the user's own count would fix every policy's
    monkeypatch.setattr(threads_module, "threads_managed", lambda: True)
    monkeypatch.setattr(threads_module, "usable_cores", lambda: 2)
    monkeypatch.setattr(threads_module, "_TORCH_DEFAULT_THREADS", 2)
    saved = torch.get_num_threads()
    yield
    torch.set_num_threads(saved)


def test_comparing_the_same_settings_under_a_neighbour_draws_one_curve(two_managed_cores, monkeypatch):
    """start_pair makes B's steps take A's thread counts: with one side's timing made contended (as a neighbour's
    burst seen by one side only), the two curves stay bit-identical."""
    from playground.training import compare

    pair = compare.start_pair(spec(max_steps=14), spec(max_steps=14))
    policy_a, policy_b = pair.a._step_fn.threads, pair.b._step_fn.threads
    used = {"a": [], "b": []}

    def timed_as(side, policy, slow_count):  # the policy's steps at `slow_count` threads look 10x slower
        original = policy.after_step

        def after_step(seconds):
            used[side].append(policy.current)
            original(seconds * (10 if policy.current == slow_count else 1))
        monkeypatch.setattr(policy, "after_step", after_step)
    timed_as("a", policy_a, 1)  # A finds two threads faster; B, as if a neighbour took a core, one
    timed_as("b", policy_b, 2)
    a, b = compare.train_pair(pair)
    assert used["b"] == used["a"]  # (apart, A trains on at two threads and B at one)
    assert a.losses == b.losses and len(a.losses) == 14


def test_on_two_threads_the_follower_trails_its_leader_step_by_step(two_managed_cores, monkeypatch):
    """The window trains A and B on threads of their own, and the faster side may run ahead: B would then take
    counts A has not chosen yet. B waits (outside the turn) until A has taken the step of that number."""
    import threading

    from playground.training import compare
    from playground.training.events import MetricsEvent

    monkeypatch.setattr(compare.TakingTurns, "LEAD_WAIT_S", 60.0)  # a loaded machine's slow A is still waited for
    pair = compare.start_pair(spec(max_steps=12), spec(max_steps=12))
    a_side, b_side = compare.taking_turns(pair)
    assert b_side.leader is a_side and a_side.leader is None
    b_steps, losses = [], {"A": [], "B": []}  # (B's step, A's step when B had taken it)

    def train(name, side, pause_s):
        for event in side.run():
            if isinstance(event, MetricsEvent):
                if name == "B":
                    b_steps.append((event.step, a_side.session.step))
                losses[name].append(event.train_loss)
                time.sleep(pause_s)  # A is the slower side: B would run ahead
    threads = [threading.Thread(target=train, args=("A", a_side, 0.02)),
               threading.Thread(target=train, args=("B", b_side, 0.0))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(losses["A"]) == len(b_steps) == 12
    assert all(a_step >= step for step, a_step in b_steps)  # B's step k came after A's step k
    assert losses["A"] == losses["B"]


def test_a_compared_pair_that_may_compile_in_the_background_follows_through_the_thread_plan(two_managed_cores,
                                                                                             monkeypatch):
    """Where compiling may pay (compile auto), B's eager step still measures its plan's steps, which decide
    whether compiling pays: a follower without them failed B's first step after the plan (min of no times)."""
    from playground.training import compare

    monkeypatch.setattr(choose, "should_compile", lambda *args, **kwargs: True)
    pair = compare.start_pair(spec(compile="auto", max_steps=12), spec(compile="auto", max_steps=12))
    assert type(pair.b._step_fn).__name__ == "BackgroundStep"
    assert choose.eager_threads(pair.b._step_fn).leader is choose.eager_threads(pair.a._step_fn)
    a, b = compare.train_pair(pair)
    assert len(b.losses) == 12 and a.losses == b.losses


def test_adaptive_threads_drops_to_one_thread_under_contention_and_probes_back():
    saved = torch.get_num_threads()
    policy = AdaptiveThreads(2, neighbours=lambda: None)  # a machine whose CPU time is unknown: timing alone
    quiet, burst, contended = {2: 0.040, 1: 0.060}, {2: 0.100, 1: 0.060}, {2: 1.000, 1: 0.060}

    def steps(n, times):
        return _policy_steps(policy, n, times)

    try:
        steps(2 * (AdaptiveThreads.FIRST_STEPS + 1), quiet)  # a few steps at each setting
        assert policy.chosen == 2 and steps(5, quiet) == [2] * 5
        assert steps(1, burst) + steps(5, quiet) == [2] * 6  # one step a little slow is a burst: stays
        assert policy.switches == 0
        assert steps(3, burst) == [2, 2, 1]  # two a little slow in a row: one thread
        assert policy.switches == 1
        steps(AdaptiveThreads.FIRST_BACKOFF + 4, quiet)  # the probe wins: all cores again
        assert policy.chosen == 2
        assert steps(3, contended) == [2, 1, 1]  # a very slow step: one thread at once
        assert policy.switches == 2
        used = steps(AdaptiveThreads.FIRST_BACKOFF + 8, contended)  # probes once (a warm-up and a judged step)
        assert used.count(2) == 2 and policy.backoff == 2 * AdaptiveThreads.FIRST_BACKOFF
        used = steps(2 * AdaptiveThreads.FIRST_BACKOFF + 5, quiet)  # quiet again: the next probe wins
        assert policy.chosen == 2 and used[-3:] == [2, 2, 2]
        tiny = AdaptiveThreads(2, neighbours=lambda: None)  # where one thread is simply faster, it stays on one
        policy = tiny
        steps(2 * (AdaptiveThreads.FIRST_STEPS + 1) + 100, {2: 0.050, 1: 0.010})
        assert tiny.chosen == 1 and tiny.switches == 0
    finally:
        torch.set_num_threads(saved)


def test_adaptive_threads_skip_probes_while_the_neighbour_stays(settled):
    """Under contention a probe on all cores costs more very slow steps: while the machine's CPU time says
    another process still runs on a core, the policy waits on one thread without probing."""
    policy, machine = settled
    contended = {2: 1.000, 1: 0.060}
    machine["cores"] = 1.0  # a busy neighbour
    assert _policy_steps(policy, 2, contended, machine) == [2, 1]
    used = _policy_steps(policy, 4 * AdaptiveThreads.FIRST_BACKOFF, contended, machine)
    assert 2 not in used and policy.skipped_probes > 2 * AdaptiveThreads.FIRST_BACKOFF
    machine["cores"] = 0.0  # the neighbour left: all cores again within a few steps, not a long backoff
    used = _policy_steps(policy, AdaptiveThreads.RECENT + AdaptiveThreads.PROBE_STEPS + 2, QUIET, machine)
    assert policy.chosen == 2 and used[-2:] == [2, 2]


def test_adaptive_threads_ignore_slow_steps_while_no_other_process_runs(settled):
    """The window's own bursts (drawing a snapshot) slow a step with no other process on the machine: all
    cores stay. The same slow steps with a neighbour on a core drop to one thread."""
    policy, machine = settled
    burst = {2: 0.400, 1: 0.060}
    for _ in range(5):
        assert _policy_steps(policy, 2, burst, machine) + _policy_steps(policy, 3, QUIET, machine) == [2] * 5
    assert policy.switches == 0
    machine["cores"] = 1.0
    assert _policy_steps(policy, 2, burst, machine) == [2, 1] and policy.switches == 1


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="the machine's CPU time comes from Linux /proc/stat")
def test_neighbour_cpu_time_leaves_out_this_process():
    """This process spinning a core does not look like another process: over alternating idle and busy spells,
    the neighbours' share while busy stays what it was while idle. The median of five pairs, because what else
    the machine runs (the other test worker, a compile) changes from one spell to the next; a reading that
    counted this process would be a whole core higher in every pair."""
    def share(busy):
        before, started = neighbour_cpu_seconds(), time.perf_counter()
        while time.perf_counter() - started < 0.25:
            if not busy:
                time.sleep(0.01)
        return (neighbour_cpu_seconds() - before) / (time.perf_counter() - started)

    rises = [share(busy=True) - share(busy=False) for _ in range(5)]
    assert statistics.median(rises) < AdaptiveThreads.NEIGHBOUR


def _rewritten(fn, *args):
    """fn traced to an aten graph, then rewritten by the CPU training passes: (targets, graph module)."""
    from torch.fx.experimental.proxy_tensor import make_fx

    from playground.training.compile_passes import CpuTrainingPasses

    graph_module = make_fx(fn)(*args)
    CpuTrainingPasses()(graph_module.graph)
    graph_module.recompile()
    return [node.target for node in graph_module.graph.nodes], graph_module


def test_cpu_bias_pass_turns_addmm_into_mm_plus_a_fusable_add():
    from playground.training.compile_passes import CpuTrainingPasses

    def linear(bias, x, w):
        return torch.ops.aten.addmm.default(bias, x, w) * 2

    args = (torch.randn(5), torch.randn(3, 4), torch.randn(4, 5))
    targets, rewritten = _rewritten(linear, *args)
    assert torch.ops.aten.addmm.default not in targets and torch.ops.aten.mm.default in targets
    # The bias is added after the product instead of inside it: equal to float32 rounding, which an entry near
    # zero (a sum that cancels) shows as a relative difference, hence the absolute tolerance.
    torch.testing.assert_close(rewritten(*args), linear(*args), rtol=1e-5, atol=1e-5)
    assert CpuTrainingPasses().uuid() == CpuTrainingPasses().uuid()  # a stable cache key


def test_embedding_gradient_pass_sums_rows_without_atomics_and_keeps_the_mask():
    aten = torch.ops.aten

    def table_grad(index, values):  # what autograd's embedding backward decomposes into
        zeros = aten.full.default([7, 4], 0, dtype=torch.float32, layout=torch.strided, device=torch.device("cpu"),
                                  pin_memory=False)
        kept = (index != 0).unsqueeze(-1)  # a padding row (0) gets no gradient
        return aten._unsafe_masked_index_put_accumulate.default(zeros, kept, [index], values) * 1.0

    index = torch.tensor([[0, 3, 3, 6], [1, 3, 0, 2]])
    values = torch.randn(2, 4, 4)
    targets, rewritten = _rewritten(table_grad, index, values)
    assert aten._unsafe_masked_index_put_accumulate.default not in targets
    assert torch.ops.playground.embedding_grad.default in targets
    expected = table_grad(index, values)
    assert torch.allclose(rewritten(index, values), expected)
    assert expected[0].abs().sum() == 0 and expected[3].abs().sum() > 0


@pytest.mark.slow
def test_device_text_follows_the_adaptive_thread_count():
    assert TrainingSession(spec()).device_description().startswith("CPU (")  # eager: a fixed count
    session = TrainingSession(spec(compile="on"))
    policy = session._step_fn.threads = AdaptiveThreads(2)
    saved = torch.get_num_threads()
    try:
        policy.before_step()
        assert session.device_description().startswith("CPU (2 of 2 threads, adaptive), float32")
        policy.plan.clear()
        policy.chosen = 1
        policy.until_probe = 99
        policy.before_step()
        assert session.device_description().startswith("CPU (1 of 2 threads, adaptive)")
    finally:
        torch.set_num_threads(saved)


@pytest.mark.slow
@needs_compiler
def test_each_model_shape_has_its_compiled_step_and_a_new_session_of_a_shape_reuses_it(monkeypatch):
    """Dynamo counts recompiles per code object: each shape (sliders moved between runs in the window, the
    bench's cases) gets a function of its own, and Reset and Play (a new session of the same shape) reuses it.
    What is counted is dynamo's, so dynamo's "eager" backend stands in for inductor here: no kernel is generated
    (three cold inductor compiles took 120 s on 2 cores), and the step functions are this test's own."""
    real_compile = torch.compile

    def dynamo_only(function, *, dynamic, fullgraph, options):
        return real_compile(function, backend="eager", dynamic=dynamic, fullgraph=fullgraph)

    monkeypatch.setattr(torch, "compile", dynamo_only)
    monkeypatch.setattr(compiled_module, "_COMPILED", {})
    monkeypatch.setenv("PLAYGROUND_THREADS", "fixed")
    steps = {}
    for width, precision in ((16, "fp32"), (24, "fp32"), (16, "fp32"), (24, "bf16")):
        session = TrainingSession(spec(compile="on", precision=precision).updated({"model.n_embd": width}))
        losses(session, 2)
        assert session._step_fn.compiled
        steps.setdefault((width, precision), set()).add(session._step_fn._whole)
    assert all(len(functions) == 1 for functions in steps.values())
    assert len(set.union(*steps.values())) == 3 == len(compiled_module._COMPILED)


@pytest.mark.slow
def test_a_failing_compile_is_said_and_the_plain_step_trains_on(monkeypatch):
    """No silent fallback: the driver gets a note (the CLI prints it, the window's status bar shows it) and a
    warning, and the curve is the eager one."""
    def broken(key, options):
        raise RuntimeError("no compiler today")

    monkeypatch.setattr(compiled_module, "_compiled_whole_step", broken)
    eager = losses(TrainingSession(spec()))
    session = TrainingSession(spec(compile="on"))
    with pytest.warns(CompileFallbackWarning, match="no compiler today"):
        events = list(session.run())
    notes = [e.message for e in events if isinstance(e, StatusEvent)]
    fallback = [n for n in notes if "failed" in n]
    assert len(fallback) == 1 and "training goes on uncompiled" in fallback[0] and len(fallback[0]) <= 300
    assert not session._step_fn.compiled
    assert [e.train_loss for e in events if isinstance(e, MetricsEvent)] == pytest.approx(eager, rel=1e-5)


ALLOCATOR_PROBE = r"""
import json, resource, sys
import torch
from playground.training.allocator import keep_freed_memory, release_freed_memory

def faults_per_step(steps=4):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):  # what a training step does with its activations: allocate and touch them, free all
        activations = [torch.ones(2**20) for _ in range(16)]  # 16 x 4 MB
        del activations
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

default = faults_per_step()
kept = keep_freed_memory()
faults_per_step(8)  # the heap grows to fit the pattern (a few steps)
retained = faults_per_step()
held = rss_mb()
release_freed_memory()
print(json.dumps({"default": default, "kept": kept, "retained": retained, "held": held, "released": rss_mb()}))
"""


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="glibc's malloc settings: Linux only")
def test_freed_activations_stay_in_the_process_until_a_run_ends():
    """A fresh process (malloc's settings are process-wide): with glibc's defaults a step's 64 MB of activations
    go back to the OS when freed and are faulted in again; kept, reusing them costs no page faults; released
    (a run has ended), they go back."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", ALLOCATOR_PROBE], capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout)
    assert figures["default"] > 8_000  # 16,384 pages of 4 KB in 64 MB: most are handed back and faulted in again
    assert figures["kept"] and figures["retained"] < 100
    assert figures["held"] - figures["released"] > 50  # MB handed back by release_freed_memory
