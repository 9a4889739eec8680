"""`playground bench --learning presets`: the textbook loop's run to the target sees what the playground's sees
(to_target.py), checked in this process on a tiny encoder (no timing checks)."""

import time

import pytest

from playground.bench.to_target import Target, describe, learning_row, playground_run, reference_run, schedule
from playground.core.presets import load_preset

TINY = {"model.n_layer": 1, "model.n_head": 2, "model.n_embd": 32, "model.d_ff": 64, "train.batch_size": 4,
        "train.precision": "fp32", "train.compile": "off", "train.max_steps": 5,
        "train.warmup_steps": 2, "train.eval_interval": 1, "train.eval_batches": 1}
NEVER = Target("val_accuracy", 2.0, higher=True)  # an accuracy of 2 is never reached: both sides train every step


@pytest.fixture(scope="module")
def runs():
    import torch

    spec = load_preset("encoder-reverse").updated(TINY)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model's steps wait on a second thread's barrier when the machine is busy
    try:
        ours = playground_run(spec, NEVER, limit_s=600, launched=time.time())
        theirs = reference_run(spec, schedule(spec).__getitem__, NEVER, limit_s=600, launched=time.time())
    finally:
        torch.set_num_threads(threads)
    return ours, theirs


def test_the_reference_starts_from_the_playground_weights_and_learns_from_the_same_batches(runs):
    ours, theirs = runs
    assert theirs["same_start_share"] == 1.0  # every reference weight copied
    # An evaluation after every step: equal validation losses at each step mean the same weights after each
    # step, so the same start, batches and learning rates.
    assert [e[0] for e in ours["evaluations"]] == [e[0] for e in theirs["evaluations"]] == [1, 2, 3, 4, 5]
    assert [e[1] for e in ours["evaluations"]] == pytest.approx([e[1] for e in theirs["evaluations"]], rel=1e-4)
    assert [e[2] for e in ours["evaluations"]] == pytest.approx([e[2] for e in theirs["evaluations"]], abs=1e-6)
    assert ours["evaluations"][-1][1] < ours["evaluations"][0][1]  # it learned: not two untouched models
    for run in (ours, theirs):
        assert not run["reached"] and run["time_to_target_s"] is None and run["steps"] == 5
        assert run["first_loss_after_build_s"] > 0 and run["seconds_per_step"] > 0 and run["best"] < 1
    assert theirs["path"].endswith("textbook loop") and ours["path"].startswith("CPU (")


def test_the_row_compares_the_times_to_the_target(runs):
    ours, theirs = runs
    missed = learning_row("encoder-reverse", NEVER, {"cold": ours, "warm": ours, "reference": theirs})
    assert missed["reference"] is theirs and missed["cold"] is ours  # the existing fields stay
    assert missed["time_to_target_ratio"] is None and missed["time_to_target_warm_ratio"] is None
    assert 0 <= missed["val_loss_curve_max_diff_ratio"] < 1e-4
    lines = describe(missed)
    assert "cold cache: first loss point" in lines[0] and "textbook loop: first loss point" in lines[2]
    assert "reference not reached in" in lines[3] and "sooner" not in lines[3]

    def reached(run, seconds):
        return {**run, "reached": True, "time_to_target_s": seconds}

    met = learning_row("encoder-reverse", NEVER, {"cold": reached(ours, 80.0), "warm": reached(ours, 60.0),
                                                 "reference": reached(theirs, 120.0)})
    assert met["time_to_target_ratio"] == pytest.approx(1.5) and met["time_to_target_warm_ratio"] == pytest.approx(2)
    assert "playground 80 s (cold) / 60 s (warm) / reference 120 s: 1.5x sooner (cold), 2.0x sooner (warm)" in describe(met)[3]
    slower = learning_row("encoder-reverse", NEVER, {"cold": reached(ours, 30.0), "warm": reached(ours, 19.0),
                                                    "reference": reached(theirs, 19.0)})
    assert describe(slower)[3].endswith("reference 19 s: 1.6x later (cold), 1.0x sooner (warm); "
                                        "validation losses at most 0.00 % apart (cold / reference)")
    only_ours = learning_row("encoder-reverse", NEVER, {"cold": reached(ours, 80.0), "warm": reached(ours, 60.0),
                                                       "reference": {**theirs, "stopped_after_launch_s": 160.0}})
    assert only_ours["time_to_target_ratio"] is None  # a lower bound is not a measured ratio
    assert "reference not reached in 160 s: over 2.0x sooner (cold)" in describe(only_ours)[3]


def test_across_seeds_compares_the_median_times_and_counts_a_miss_as_the_slowest(runs):
    """Which evaluation first crosses a target is chance between curves that differ by rounding: the bench
    trains each preset from several seeds and compares the medians."""
    from playground.bench.to_target import across_seeds, describe_across

    ours, theirs = runs

    def row(seed, cold, warm, reference):
        def run(base, seconds):
            return {**base, "reached": seconds is not None, "time_to_target_s": seconds}

        return learning_row("vit-digits", NEVER, {"cold": run(ours, cold), "warm": run(ours, warm),
                                                  "reference": run(theirs, reference)}, seed)

    rows = [row(0, 7.0, 6.0, 6.0), row(1, 5.0, 5.0, 4.8), row(2, 4.0, 4.5, 6.5), row(3, None, 3.0, 3.6),
            row(4, 3.0, 3.2, 7.3)]
    summary = across_seeds(rows)
    assert summary["seeds"] == [0, 1, 2, 3, 4]
    assert summary["cold_median_time_to_target_s"] == 5.0  # 3, 4, 5, 7 and a miss (the slowest)
    assert summary["reference_median_time_to_target_s"] == 6.0 and summary["warm_median_time_to_target_s"] == 4.5
    assert summary["median_time_to_target_ratio"] == pytest.approx(1.2)
    assert summary["seeds_sooner_cold"] == 2  # seeds 2 and 4; seed 3 missed the target
    line = describe_across(summary)
    assert line.startswith("learning vit-digits, 5 seeds (0, 1, 2, 3, 4): median launch to target: playground 5.0 s")
    assert "1.2x sooner (cold)" in line and line.endswith("sooner than the loop in 2 of 5 seeds (cold)")
    missed = across_seeds([row(0, None, None, 6.0)])
    assert missed["median_time_to_target_ratio"] is None and "playground not reached (cold)" in describe_across(missed)
    assert "vit-digits, seed 3" in describe(rows[3])[0]


def test_bench_learning_presets_trains_each_preset_from_the_seeds_asked_for(runs, monkeypatch):
    from playground.bench import run as bench_run
    from playground.bench import to_target
    from playground.cli import _parser

    ours, theirs = runs
    asked = []

    def learning(preset, what, target, higher, limit_s, seed):
        asked.append((preset, seed, limit_s))
        return learning_row(preset, Target(what, target, higher), {"cold": ours, "warm": ours, "reference": theirs},
                            seed)

    monkeypatch.setattr(to_target, "learning", learning)
    args = _parser().parse_args(["bench", "--learning", "presets", "--seeds", "2", "--time-limit", "9"])
    rows, summaries = bench_run.learning_presets(args.seeds, args.time_limit)
    first = {preset: load_preset(preset).train.seed for preset, *_ in bench_run.LEARNING}
    assert asked == [(preset, first[preset] + i, 9.0) for preset, *_ in bench_run.LEARNING for i in range(2)]
    assert [row["seed"] for row in rows] == [seed for _, seed, _ in asked]
    assert [s["preset"] for s in summaries] == [preset for preset, *_ in bench_run.LEARNING]
    assert all(len(s["seeds"]) == 2 for s in summaries)
    # the default, 3, when not asked for (None: the bench refuses --seeds where it would not be used)
    assert _parser().parse_args(["bench", "--learning"]).seeds is None and bench_run.DEFAULT_SEEDS == 3
    with pytest.raises(SystemExit):  # not silently one seed
        _parser().parse_args(["bench", "--learning", "--seeds", "0"])


@pytest.mark.parametrize(("given", "said"), [
    (["--time-limit", "-5"], "argument --time-limit: -5 seconds: give each preset more than 0 seconds, e.g. 120"),
    (["--time-limit", "nan"], "argument --time-limit: nan seconds: give each preset more than 0 seconds"),
    (["--time-limit", "abc"], "argument --time-limit: 'abc' is not a number of seconds, e.g. 120"),
    (["--seeds", "x"], "argument --seeds: 'x' is not a whole number of seeds, e.g. 3"),
])
def test_a_bench_limit_that_is_no_positive_number_is_refused_before_any_training(given, said, capsys):
    """QA: --time-limit -5 started the whole learning bench; 'abc' said "invalid _seconds value"."""
    from playground.cli import _parser

    with pytest.raises(SystemExit):
        _parser().parse_args(["bench", "--learning", *given])
    assert said in capsys.readouterr().err
