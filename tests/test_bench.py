"""`playground bench --smoke`: runs in seconds and writes every field the full bench reports (no timing checks)."""

import json
import statistics

import pytest

from playground.cli import main
from playground.training.openmp import SPIN_COUNT


def test_bench_refuses_a_json_path_at_once_as_every_out_is(tmp_path, capsys, monkeypatch):
    """QA: --json replaced an existing file unasked, and a folder failed only after the whole bench had run."""
    from playground.bench import run

    monkeypatch.setattr(run, "run_bench", lambda mode: pytest.fail("measured before the path was checked"))
    kept = tmp_path / "kept.json"
    kept.write_text("{}")
    assert main(["bench", "--smoke", "--json", str(kept)]) == 2
    said = capsys.readouterr().err
    assert "add --overwrite to replace it, or choose another --json" in said and kept.read_text() == "{}"
    assert main(["bench", "--smoke", "--json", str(tmp_path)]) == 2
    assert "is a folder: give a file name such as" in capsys.readouterr().err


@pytest.mark.slow
def test_bench_smoke_writes_the_fields(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GOMP_SPINCOUNT", SPIN_COUNT)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    out = tmp_path / "bench.json"
    assert main(["bench", "--smoke", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    machine = result["machine"]
    assert machine["gomp_spincount"] == SPIN_COUNT  # the bench reports the process's OpenMP setting
    assert machine["cpu"] and machine["flags"] and len(machine["load_average"].split()) == 3
    # The measured choices, how far they are trusted, and where they are kept (what --reset-choices forgets).
    assert machine["choices"].startswith(("float32", "bfloat16")) and "capability-" in machine["choices_file"]
    assert "compiled step" in machine["choices"] and "first compile" in machine["choices"]  # payoff.py's history
    assert "kept for 0 block shapes" in machine["choices"]  # a fresh cache: each run's precision measured afresh
    row = result["training"][0]
    for key in ("playground_per_s", "reference_per_s", "speed_ratio", "playground_val_loss", "reference_val_loss",
                "val_loss_ratio", "compile_s", "path"):
        assert key in row
    assert row["speed_ratio"] > 0 and row["playground_val_loss"] > 0
    # The figure is the median of the alternated rounds' own ratios (neighbours in time share the machine's drift).
    assert row["speed_ratio"] == pytest.approx(statistics.median(row["speed_ratio_rounds"]))
    assert row["speed_ratio_of_medians"] > 0
    # No path runs its matmuls faster than the machine's peak: MFU below 1, so the ceiling is above the ratio.
    assert 0 < row["mfu"] < 1 and row["ceiling_speed_ratio"] > row["speed_ratio"]
    # The peak is measured in the precision the path trains in (bf16 where this CPU does it well, else fp32).
    precision = "bfloat16" if "bfloat16" in row["path"] else "float32"
    assert row["peak_source"] == f"measured 2048^3 {precision} matmul"
    assert result["contention"]["contended_ratio"] > 0
    assert "one_thread_speed_ratio" in result["threads"]
    assert result["capture"]["percent_at_interval"] >= 0
    assert result["memory"]["growth_ratio"] > 0



def test_reset_choices_forgets_the_kept_measurements(tmp_path, monkeypatch, capsys):
    from playground.training import device

    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(device, "_CAPABILITY", None)
    kept = tmp_path / "cache" / "capability-test.json"
    kept.parent.mkdir()
    kept.write_text('{"measurements": []}')
    assert main(["bench", "--reset-choices"]) == 0
    assert not kept.exists() and "forgot 1 kept measurement file" in capsys.readouterr().out
    assert main(["bench", "--reset-choices"]) == 0
    assert "forgot 0 kept measurement files; the next run measures again" in capsys.readouterr().out


def test_reference_started_from_the_playground_weights_is_the_same_model():
    """The bench's textbook decoder, given the playground's initial weights and batches, learns the same
    losses as the playground's plain fp32 path: the speed ratio compares two ways to run one model."""
    import torch

    from playground.bench.reference import ReferenceTrainer
    from playground.core.presets import load_preset
    from playground.training.session import TrainingSession

    spec = load_preset("decoder-pydoc").updated({
        "model.n_layer": 2, "model.n_embd": 64, "model.d_ff": 128, "model.block_size": 32, "train.batch_size": 4,
        "train.precision": "fp32", "train.compile": "off", "train.max_steps": 10, "train.warmup_steps": 2})
    session = TrainingSession(spec)
    reference = ReferenceTrainer(spec, session.info, session.lr_at)
    assert reference.start_from(session.model) == 1.0
    batches = torch.Generator().manual_seed(spec.train.seed)  # the session's own batch order
    ours = [session.train_step().train_loss for _ in range(6)]
    theirs = [reference.train_step(session.dataset.batch("train", 4, batches)) for _ in range(6)]
    assert ours == pytest.approx(theirs, rel=1e-4)
    assert ours[-1] < ours[0]  # it learned something, so equal losses are not two untouched models


def test_reference_trains_on_the_device_it_is_given():
    """On a GPU machine the textbook loop runs where the playground runs, as a plain script would: its model and
    each batch go to that device (the meta device stands in for a GPU: shapes without numbers)."""
    import torch

    from playground.bench.reference import ReferenceTrainer
    from playground.core.presets import load_preset
    from playground.data import load

    spec = load_preset("decoder-pydoc").updated({"model.n_layer": 1, "model.n_embd": 32, "model.d_ff": 64,
                                                 "model.block_size": 16, "train.batch_size": 2})
    dataset = load(spec.data, spec.model, spec.train.seed)
    reference = ReferenceTrainer(spec, dataset.info, lambda step: 1e-3, torch.device("meta"))
    assert {p.device.type for p in reference.model.parameters()} == {"meta"}
    batch = dataset.batch("train", 2, torch.Generator().manual_seed(0))  # made on the CPU, as the session's are
    loss = reference.loss(batch)
    assert (loss.device.type, loss.shape) == ("meta", torch.Size([]))


def test_gpu_peak_comes_from_the_datasheet_of_the_named_gpu(monkeypatch):
    import torch

    from playground.bench.hardware import peak_matmul

    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H100 PCIe")
    peak = peak_matmul(torch.device("cuda"), torch.bfloat16)
    assert (peak.flops_per_s, peak.source) == (756.0e12, "H100 PCIe datasheet bf16")
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H200")
    assert peak_matmul(torch.device("cuda"), torch.bfloat16).flops_per_s == 989.4e12


def test_utilisation_is_the_matmul_floor_against_both_step_times():
    from playground.bench.hardware import Peak, utilisation

    fields = utilisation(flops_per_step=1e9, step_s=0.05, reference_step_s=0.1, peak=Peak(1e11, "test"))
    assert fields["matmul_floor_ms"] == pytest.approx(10.0)
    assert fields["mfu"] == pytest.approx(0.2)  # 1e9 FLOPs in 50 ms is 2e10 FLOP/s of 1e11
    assert fields["ceiling_speed_ratio"] == pytest.approx(10.0)  # the reference's 100 ms against the 10 ms floor


@pytest.mark.slow
def test_learning_reports_first_loss_point_and_target_with_a_cold_and_a_warm_cache(tmp_path, monkeypatch, capsys):
    """`playground bench --learning`'s row: two fresh processes (an empty compile cache, then the one it filled),
    each timing launch -> model built -> first loss point -> target; then the textbook loop's in a third."""
    from playground.bench.run import print_table
    from playground.bench.to_target import learning

    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    row = learning("encoder-reverse", "val_accuracy", 2.0, True, limit_s=0.2)  # an accuracy of 2 is never reached
    for kind in ("cold", "warm", "reference"):
        run = row[kind]
        assert run["built_after_launch_s"] > 0 and run["first_loss_after_build_s"] > 0
        assert not run["reached"] and run["time_to_target_s"] is None and run["steps"] >= 1
        assert run["path"].startswith("CPU (")
    assert row["reference"]["same_start_share"] == 1.0 and row["time_to_target_ratio"] is None
    lesson = {"lesson": "lesson-19.7-vit", "seconds": 12.4, "step_seconds": [0.1, 0.2, 12.0, 0.1],
              "status": "complete", "last_step_trained": 200}
    print_table({"machine": {"cpu": "x", "cores": 2, "torch": "t", "threads": 2, "omp_wait_policy": "",
                             "gomp_spincount": ""}, "learning": [row], "lessons": [lesson]})
    printed = capsys.readouterr().out
    assert "encoder-reverse" in printed and "cold cache: first loss point" in printed and "NOT reached" in printed
    assert "lesson-19.7-vit" in printed and "12 s played through (complete; seconds per step: 0, 0, 12, 0)" in printed
    assert "textbook loop: first loss point" in printed


@pytest.mark.parametrize("args, said", [
    (["--smoke", "--seed", "7"], "--seed is the ablations' seed: add --learning ablations"),
    (["--quick", "--seeds", "2"], "--seeds is for the presets' learning targets: add --learning presets"),
    (["--learning", "presets", "--seed", "7"], "--seed is the ablations' seed"),
    (["--learning", "ablations", "--seed", "-3"], "-3: a seed is a whole number 0 or more")])
def test_a_seed_option_the_bench_would_not_use_is_refused_before_it_measures(args, said, monkeypatch):
    """CLI QA: `bench --smoke --seed -3` ran as if the seed were used (and train refuses a negative one)."""
    from conftest import run_cli

    from playground.bench import run

    monkeypatch.setattr(run, "run_bench", lambda mode: pytest.fail("measured before the options were checked"))
    monkeypatch.setattr(run, "learning_presets", lambda *args: pytest.fail("trained before the options were checked"))
    refused = run_cli("bench", *args)
    assert refused.returncode == 2 and said in refused.stderr.strip().splitlines()[-1]
