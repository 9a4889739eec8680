"""`playground bench --learning presets`: launch to each family's learning target, the playground against the
textbook loop (issue 28).

Every run is a fresh process, so launch is process start and torch's import counts on both sides. The playground
trains its preset as `playground train` does (its own path and process settings), first with an empty compile
cache (cold), then with the cache the first run filled (warm); both use this machine's kept choices (precision,
attention path, block timings, compile history, in the user cache folder) as a user's later runs do, so the first
three launches of a shape on a fresh machine also pay its block timing (~0.3 s). The reference is the textbook loop (reference.py)
as a plain script runs it: torch's default threads, none of the playground's process settings. It starts from
the playground's initial weights and learns from the same batches with the same learning-rate schedule and the
same evaluations (the same validation batches, every eval_interval steps), so both meet the target at about the
same step and the two times compare two ways of running one model.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Evaluation = dict[str, float | None]  # {"val_loss": ..., "val_accuracy": ...}
Point = tuple[int, Evaluation | None]  # a step done, with its evaluation where one was due


@dataclass(frozen=True)
class Target:
    metric: str  # "val_loss" or "val_accuracy"
    value: float
    higher: bool  # higher is better (an accuracy)

    def met(self, value: float) -> bool:
        return value >= self.value if self.higher else value < self.value

    def better(self, a: float, b: float) -> float:
        return max(a, b) if self.higher else min(a, b)


def learning(preset: str, what: str, target: float, higher: bool, limit_s: float,
             seed: int | None = None) -> dict[str, Any]:
    """The bench's row for one preset and seed (None: the preset's): the playground cold and warm, then the
    reference, each until `what` reaches `target` or `limit_s` passes."""
    import tempfile

    from playground.core.presets import load_preset

    spec = _seeded(load_preset(preset), seed)
    print(f"bench: learning {preset}, seed {spec.train.seed} (cold and warm compile cache, then the textbook "
          "loop)...", file=sys.stderr, flush=True)
    goal = Target(what, target, higher)
    runs = {}
    with tempfile.TemporaryDirectory(prefix="playground-bench-inductor-") as cache:
        for kind in ("cold", "warm"):
            runs[kind] = _launch("playground", preset, spec.train.seed, goal, limit_s,
                                 {**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache})
    runs["reference"] = _launch("reference", preset, spec.train.seed, goal, limit_s, _plain_environment(),
                                schedule=schedule(spec))
    return learning_row(preset, goal, runs, spec.train.seed)


def _seeded(spec: Any, seed: int | None) -> Any:
    return spec if seed is None else spec.updated({"train.seed": seed})


def learning_row(preset: str, target: Target, runs: dict[str, dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    """The runs (cold, warm, reference) and how they compare: each ratio is the reference's time over the
    playground's (above 1: the playground is sooner), None where either side missed the target."""
    ref = runs["reference"]

    def sooner(kind: str) -> float | None:
        ours = runs[kind]
        return ref["time_to_target_s"] / ours["time_to_target_s"] if ours["reached"] and ref["reached"] else None

    return {"preset": preset, "seed": seed, "metric": target.metric, "target": target.value, **runs,
            "time_to_target_ratio": sooner("cold"), "time_to_target_warm_ratio": sooner("warm"),
            "val_loss_curve_max_diff_ratio": _curve_difference(runs["cold"]["evaluations"], ref["evaluations"])}


def across_seeds(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One preset's rows (a seed each) summed up: each side's median time from launch to the target (a run that
    missed it counts as the slowest) and how many seeds the playground was sooner in. Which evaluation first
    crosses a target is chance between two runs whose curves differ only by rounding (vit-digits reached 90 %
    at steps 200-550 on either side, seed by seed), so one seed's ratio says little; the medians say more."""
    def median(kind: str) -> float | None:
        middle = statistics.median(row[kind]["time_to_target_s"] if row[kind]["reached"] else math.inf
                                   for row in rows)
        return None if math.isinf(middle) else middle

    medians = {kind: median(kind) for kind in ("cold", "warm", "reference")}

    def ratio(kind: str) -> float | None:
        ours, ref = medians[kind], medians["reference"]
        return ref / ours if ours is not None and ref is not None else None

    sooner = sum(row["cold"]["reached"] and (not row["reference"]["reached"] or
                                             row["cold"]["time_to_target_s"] < row["reference"]["time_to_target_s"])
                 for row in rows)
    return {"preset": rows[0]["preset"], "seeds": [row["seed"] for row in rows],
            **{f"{kind}_median_time_to_target_s": value for kind, value in medians.items()},
            "median_time_to_target_ratio": ratio("cold"), "median_time_to_target_warm_ratio": ratio("warm"),
            "seeds_sooner_cold": sooner}


def _curve_difference(ours: list[list[Any]], theirs: list[list[Any]]) -> float | None:
    """The largest relative difference of the validation losses at the steps both sides evaluated."""
    theirs_at = {step: loss for step, loss, _ in theirs}
    gaps = [abs(loss / theirs_at[step] - 1) for step, loss, _ in ours if step in theirs_at]
    return max(gaps) if gaps else None


def schedule(spec: Any) -> list[float]:
    """The playground's learning rate at every step, from its own session: the reference follows it."""
    from playground.training.session import TrainingSession

    session = TrainingSession(spec.updated({"train.compile": "off"}))
    return [session.lr_at(step) for step in range(spec.train.max_steps)]


def _plain_environment() -> dict[str, str]:
    """This process's environment less what `configure_process` set for the playground (libgomp's spin count)."""
    from playground.training.openmp import SPIN_COUNT

    env = dict(os.environ)
    if env.get("GOMP_SPINCOUNT") == SPIN_COUNT:
        del env["GOMP_SPINCOUNT"]
    return env


def _launch(side: str, preset: str, seed: int, target: Target, limit_s: float, env: dict[str, str],
            schedule: list[float] | None = None) -> dict[str, Any]:
    """One run in a fresh process (this module's main), timed from its launch."""
    args = [side, preset, str(seed), target.metric, repr(target.value), "higher" if target.higher else "lower",
            repr(limit_s)]
    out = subprocess.run([sys.executable, "-m", "playground.bench.to_target", *args], capture_output=True, text=True,
                         env={**env, "PLAYGROUND_BENCH_LAUNCHED": repr(time.time())}, timeout=limit_s + 600,
                         input=json.dumps(schedule) if schedule is not None else None)
    lines = [line for line in out.stdout.splitlines() if line.startswith("BENCH-JSON ")]
    if not lines:
        raise RuntimeError(f"the {side} learning run of {preset} failed: {out.stderr.strip()[-600:]}")
    return json.loads(lines[-1][len("BENCH-JSON "):])


def follow(points: Iterator[Point], target: Target, limit_s: float, launched: float) -> dict[str, Any]:
    """Train through `points` (the model is built: call this at once) until the target is met or `limit_s`
    passes: the times from launch and from the model being built, and every evaluation on the way."""
    built, built_after_launch = time.perf_counter(), time.time() - launched
    first = best = reached_at = None
    step, evaluations = 0, []
    for step, evaluation in points:
        since = time.perf_counter() - built
        first = since if first is None else first
        if evaluation is not None:
            value = evaluation[target.metric]
            evaluations.append([step, evaluation["val_loss"], evaluation["val_accuracy"]])
            best = value if best is None else target.better(best, value)
            if target.met(value):
                reached_at = since + built_after_launch
                break
        if since > limit_s:
            break
    elapsed = time.perf_counter() - built
    return {"built_after_launch_s": built_after_launch, "first_loss_after_build_s": first,
            "time_to_target_s": reached_at, "reached": reached_at is not None, "steps": step, "best": best,
            "stopped_after_launch_s": built_after_launch + elapsed,
            "seconds_per_step": elapsed / step if step else None, "evaluations": evaluations}


def _evaluation(val_loss: float | None, val_accuracy: float | None) -> Evaluation | None:
    return None if val_loss is None else {"val_loss": val_loss, "val_accuracy": val_accuracy}


def training_path(session: Any) -> str:
    """What the session trains on, as the table's path column: device, precision, attention, compiled or not."""
    return session.device_description() + (", compiled" if session._step_fn.compiled else "")


def playground_run(spec: Any, target: Target, limit_s: float, launched: float) -> dict[str, Any]:
    """The preset trained as `playground train` trains it (its own path), from the session's events."""
    from playground.training.events import MetricsEvent
    from playground.training.session import TrainingSession

    session = TrainingSession(spec)
    points = ((event.step, _evaluation(event.val_loss, event.val_accuracy)) for event in session.run()
              if isinstance(event, MetricsEvent))
    return {**follow(points, target, limit_s, launched), "compile_s": session._step_fn.compile_seconds,
            "path": training_path(session)}


def reference_run(spec: Any, lr_at: Callable[[int], float], target: Target, limit_s: float,
                  launched: float) -> dict[str, Any]:
    """The textbook loop from the playground's initial weights, on its batches, schedule and evaluations."""
    import torch

    from playground import data as datasets
    from playground.bench.reference import ReferenceTrainer
    from playground.models import build_model
    from playground.training.device import resolve_device

    dataset = datasets.load(spec.data, spec.model, spec.train.seed)
    torch.manual_seed(spec.train.seed)  # the playground's initial weights, built as TrainingSession.reset builds them
    start = build_model(spec.model, dataset.info)
    device = resolve_device(spec.train.device)  # where the playground trains this preset
    reference = ReferenceTrainer(spec, dataset.info, lr_at, device)
    share = reference.start_from(start)
    where = f"CPU ({torch.get_num_threads()} threads)" if device.type == "cpu" else device.type.upper()
    return {**follow(_reference_steps(reference, dataset, spec), target, limit_s, launched),
            "same_start_share": share, "path": f"{where}, float32, explicit attention: textbook loop"}


def _reference_steps(reference: Any, dataset: Any, spec: Any) -> Iterator[Point]:
    """The textbook loop on the session's batches (its generator, seeded alike), evaluated when the session does."""
    import torch

    from playground.bench.reference import validation_batches

    train = spec.train
    order = torch.Generator().manual_seed(train.seed)
    val = validation_batches(dataset, spec)
    while reference.step < train.max_steps:
        reference.train_step(dataset.batch("train", train.batch_size, order))
        due = reference.step % train.eval_interval == 0 or reference.step == train.max_steps
        yield reference.step, _evaluation(*reference.evaluate(val)) if due else None


# ----- output ----------------------------------------------------------------------------------------
def describe(row: dict[str, Any]) -> list[str]:
    """The printed lines: each run, then the playground's time to the target against the reference's."""
    lines = []
    for kind, label in (("cold", "cold cache"), ("warm", "warm cache"), ("reference", "textbook loop")):
        run = row[kind]
        status = (f"in {run['time_to_target_s']:.0f} s from launch ({run['steps']} steps)" if run["reached"]
                  else f"NOT reached in {run['steps']} steps")
        first = _or_nan(run["first_loss_after_build_s"])
        lines.append(f"learning {_named(row)} {label}: first loss point {first:.2f} s after the model was "
                     f"built ({run['built_after_launch_s']:.1f} s after launch); {row['metric']} target "
                     f"{row['target']}: {status}; best {_or_nan(run['best']):.3f}; "
                     f"{1000 * _or_nan(run['seconds_per_step']):.0f} ms a step; {run['path']}")
    gap = row["val_loss_curve_max_diff_ratio"]
    curves = (f"validation losses at most {100 * gap:.2f} % apart (cold / reference)" if gap is not None
              else "no evaluation in common")
    lines.append(f"learning {_named(row)} to the target from launch: {_times(row)}; {curves}")
    return lines


def _named(row: dict[str, Any]) -> str:
    return f"{row['preset'] + ', seed ' + str(row['seed']):<26}"


def describe_across(summary: dict[str, Any]) -> str:
    """"learning vit-digits, 3 seeds (1337, 1338, 1339): median launch to target: playground 7.6 s (cold) / 7.7 s
    (warm) / reference 7.8 s: 1.0x sooner (cold), 1.0x sooner (warm); sooner than the loop in 1 of 3 seeds (cold)"."""
    def took(kind: str) -> str:
        seconds = summary[f"{kind}_median_time_to_target_s"]
        return "not reached" if seconds is None else f"{seconds:.1f} s"

    seeds = summary["seeds"]
    return (f"learning {summary['preset']}, {len(seeds)} seeds ({', '.join(map(str, seeds))}): median launch to "
            f"target: playground {took('cold')} (cold) / {took('warm')} (warm) / reference {took('reference')}: "
            f"{_sooner(summary['median_time_to_target_ratio'])} (cold), "
            f"{_sooner(summary['median_time_to_target_warm_ratio'])} (warm); sooner than the loop in "
            f"{summary['seeds_sooner_cold']} of {len(seeds)} seeds (cold)")


def _times(row: dict[str, Any]) -> str:
    """"playground 79 s (cold) / 60 s (warm) / reference 120 s: 1.5x sooner (cold), 2.0x sooner (warm)"; where only the
    reference missed the target, how much sooner the playground was at least."""
    def took(run: dict[str, Any]) -> str:
        return (f"{run['time_to_target_s']:.0f} s" if run["reached"]
                else f"not reached in {run['stopped_after_launch_s']:.0f} s")

    cold, warm, ref = row["cold"], row["warm"], row["reference"]
    said = f"playground {took(cold)} (cold) / {took(warm)} (warm) / reference {took(ref)}"
    if row["time_to_target_ratio"] is not None:
        return (f"{said}: {_sooner(row['time_to_target_ratio'])} (cold), "
                f"{_sooner(row['time_to_target_warm_ratio'])} (warm)")
    if cold["reached"] and not ref["reached"]:
        return f"{said}: over {ref['stopped_after_launch_s'] / cold['time_to_target_s']:.1f}x sooner (cold)"
    return said


def _sooner(ratio: float | None) -> str:
    if ratio is None:
        return "not reached"
    return f"{ratio:.1f}x sooner" if ratio >= 1 else f"{1 / ratio:.1f}x later"


def _or_nan(value: float | None) -> float:
    return value if value is not None else math.nan


if __name__ == "__main__":  # `learning`'s child: ... playground|reference PRESET SEED METRIC TARGET lower|higher S
    _, side, name, seed, metric, goal, direction, seconds = sys.argv
    if side == "playground":
        from playground.training.fastpath.process import configure_process

        configure_process()  # as `playground train` does, before torch loads; a plain script opts in to nothing
    from playground.core.presets import load_preset

    preset_spec, wanted = _seeded(load_preset(name), int(seed)), Target(metric, float(goal), direction == "higher")
    launch = float(os.environ["PLAYGROUND_BENCH_LAUNCHED"])
    if side == "playground":
        figures = playground_run(preset_spec, wanted, float(seconds), launch)
    else:  # the playground's schedule on stdin (from `schedule`, in the bench's process)
        figures = reference_run(preset_spec, json.loads(sys.stdin.read()).__getitem__, wanted, float(seconds), launch)
    print("BENCH-JSON " + json.dumps(figures, default=float), flush=True)
