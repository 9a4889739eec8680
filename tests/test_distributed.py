"""Data-parallel training with torchrun: 2 CPU processes (gloo) follow a one-process run of the same preset."""

from __future__ import annotations

import csv
import os
import shlex
import subprocess
import sys

import pytest
import torch

from playground import cli
from playground.core.spec import TrainSpec
from playground.data.base import Batch
from playground.training.distributed import (
    DistContext,
    DistributedError,
    cluster_command,
    init_from_env,
    launched_by_torchrun,
)

STEPS = 6
ARGS = ["--steps", str(STEPS), "--device", "cpu", "--set", "model.n_layer=1", "--set", "model.n_embd=16",
        "--set", "model.n_head=2", "--set", "model.d_ff=32", "--set", "train.batch_size=8",
        "--set", "train.eval_interval=3", "--set", "train.eval_batches=1", "--set", "model.dropout=0.0",
        "--set", "train.snapshot_interval=100", "--set", "train.sample_interval=100"]


def losses(run_dir) -> list[tuple[int, float, str]]:
    with open(run_dir / "metrics.csv", newline="") as handle:
        return [(int(r["step"]), float(r["train_loss"]), r["val_loss"]) for r in csv.DictReader(handle)]


@pytest.mark.slow
def test_two_process_torchrun_matches_one_process(tmp_path):
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    assert cli.main(["train", "decoder-reverse", "--out", str(single), *ARGS]) == 0

    env = {**os.environ, "OMP_NUM_THREADS": "1", "PLAYGROUND_RUNS_DIR": str(tmp_path / "runs")}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "playground", "train", "decoder-reverse", "--out", str(ddp), *ARGS],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "data-parallel: 2 processes (gloo), global batch 8 = 2 x 4" in done.stderr
    assert done.stderr.count("run folder:") == 1  # only rank 0 reports and writes

    expected, got = losses(single), losses(ddp)
    assert [s for s, _, _ in got] == list(range(1, STEPS + 1))
    for (_, want, want_val), (_, have, have_val) in zip(expected, got):
        assert have == pytest.approx(want, rel=1e-3)
        assert (want_val == "") == (have_val == "")
        if want_val:
            assert float(have_val) == pytest.approx(float(want_val), rel=1e-3)
    assert expected[-1][1] < expected[0][1]  # it trained: the comparison is not between two constants
    assert (ddp / "checkpoint" / "state.json").exists() and list(ddp.glob("events.out.tfevents.*"))
    assert not (tmp_path / "runs").exists()  # no other rank made a run folder of its own


def test_not_under_torchrun_means_one_process():
    assert not launched_by_torchrun({})
    assert not launched_by_torchrun({"WORLD_SIZE": "1", "RANK": "0", "LOCAL_RANK": "0"})
    assert init_from_env(TrainSpec(), environ={}) is None


def test_the_global_batch_is_split_by_rank():
    x = torch.arange(8)[:, None].repeat(1, 3)
    batch = Batch(x, x.clone(), x > 0)
    rank1 = DistContext(rank=1, local_rank=1, world_size=2, local_world_size=2, backend="gloo",
                        device=torch.device("cpu"))
    part = rank1.shard(batch)
    assert part.x[:, 0].tolist() == [4, 5, 6, 7] and part.mask.shape == (4, 3) and not rank1.is_main
    with pytest.raises(DistributedError, match="use 6 or 8"):
        rank1.per_process_batch(7)


def test_cluster_command():
    one = cluster_command("/data/my presets/tiny.json")
    assert shlex.split(one) == ["torchrun", "--standalone", "--nproc_per_node=gpu", "-m", "playground", "train",
                                "/data/my presets/tiny.json"]
    two = shlex.split(cluster_command("p.json", nodes=2, procs_per_node=4, runs_dir="/shared/runs"))
    assert "--nnodes=2" in two and "--nproc_per_node=4" in two and "--rdzv_backend=c10d" in two
    assert any(a.startswith("--rdzv_endpoint=") for a in two) and two[-2:] == ["--runs-dir", "/shared/runs"]
    with pytest.raises(ValueError):
        cluster_command("p.json", nodes=0)


@pytest.mark.parametrize("out_exists", [True, False])
def test_a_worker_rank_leaves_the_run_folder_to_rank_0(tmp_path, monkeypatch, capsys, out_exists):
    # Rank 0 may claim --out before rank 1 starts: rank 1 must not then refuse it as "already holds a run".
    out = tmp_path / "ddp"
    if out_exists:
        assert cli.main(["train", "decoder-reverse", "--out", str(out), *ARGS]) == 0
    monkeypatch.setenv("RANK", "1")
    joined = []

    def join(train):  # where a worker rank would join the process group: it got past the folder checks
        joined.append(train)
        raise RuntimeError("stop here: no process group in this test")

    monkeypatch.setattr("playground.training.distributed.init_from_env", join)
    capsys.readouterr()
    cli.main(["train", "decoder-reverse", "--out", str(out), *ARGS])
    assert "already holds a run" not in capsys.readouterr().err
    assert len(joined) == 1
    assert out.exists() == out_exists  # a worker rank neither makes nor changes the folder


def test_rank_0_still_refuses_a_folder_holding_a_run(tmp_path, monkeypatch, capsys):
    out = tmp_path / "ddp"
    assert cli.main(["train", "decoder-reverse", "--out", str(out), *ARGS]) == 0
    monkeypatch.setenv("RANK", "0")
    assert cli.main(["train", "decoder-reverse", "--out", str(out), *ARGS]) != 0
    assert "already holds a run" in capsys.readouterr().err
