"""The CLI end to end on real presets, in a subprocess as a user would run it."""

import csv
import json
import os
import subprocess
import sys

import pytest

TINY = ["--set", "model.n_layer=1", "--set", "model.n_embd=32", "--set", "model.n_head=2",
        "--set", "model.d_ff=64", "--set", "train.eval_interval=5", "--set", "train.batch_size=8",
        "--device", "cpu"]


def playground(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_presets_lists_one_line_each():
    result = playground("presets")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith("decoder-pydoc") for line in lines)
    assert {"encoder", "decoder", "vit"} <= {line.split()[1] for line in lines}


def test_train_resume_and_sample_a_decoder(tmp_path):
    out = tmp_path / "run"
    result = playground("train", "decoder-pydoc", "--steps", "10", "--out", str(out), "--seed", "3", *TINY)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert {"step", "train_loss", "val_loss"} <= set(rows[0])
    assert [int(r["step"]) for r in rows] == list(range(1, 11))
    assert rows[-1]["val_loss"] != ""
    preset = json.loads((out / "preset.json").read_text())
    assert preset["model"]["family"] == "decoder" and preset["train"]["seed"] == 3
    assert (out / "checkpoint" / "state.json").exists()
    assert len(list((out / "checkpoint").glob("model-*.safetensors"))) == 1

    finished = playground("resume", str(out))
    assert finished.returncode == 2 and "already finished" in finished.stderr

    sample = playground("sample", str(out), "--prompt", "The ", "--tokens", "20")
    assert sample.returncode == 0, sample.stderr
    assert sample.stdout.startswith("The ") and len(sample.stdout.rstrip("\n")) >= 20


def test_resume_continues_an_interrupted_run(tmp_path):
    out = tmp_path / "run"
    assert playground("train", "encoder-reverse", "--steps", "12", "--out", str(out), *TINY).returncode == 0
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    state["spec"]["train"]["max_steps"] = 20  # as if the run had been stopped at step 12 of 20
    (out / "checkpoint" / "state.json").write_text(json.dumps(state))
    result = playground("resume", str(out))
    assert result.returncode == 0, result.stderr
    steps = [int(r["step"]) for r in csv.DictReader(open(out / "metrics.csv"))]
    assert steps == list(range(1, 21))


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "no-such-preset"], "no preset named 'no-such-preset'"),
        (["train", "decoder-pydoc", "--set", "model.n_embd=100", "--set", "model.n_head=3"],
         "not divisible by 3 heads"),
        (["train", "decoder-pydoc", "--set", "model.colour=red"], "unknown setting 'model.colour'"),
        (["sample", "/nonexistent/run"], "no checkpoint"),
    ],
)
def test_bad_input_is_one_line_without_traceback(args, message):
    result = playground(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_openmp_waiting_is_set_unless_the_user_chose():
    from playground.training.openmp import SPIN_COUNT, configure_openmp_waiting

    for chosen, expected in (({}, SPIN_COUNT), ({"GOMP_SPINCOUNT": "5"}, "5"), ({"OMP_WAIT_POLICY": "PASSIVE"}, None)):
        environ = dict(chosen)
        configure_openmp_waiting(environ)
        assert environ.get("GOMP_SPINCOUNT") == expected


def test_the_cli_sets_openmp_waiting_before_anything_loads_torch(monkeypatch):
    """libgomp reads GOMP_SPINCOUNT when torch loads it: the CLI sets it first."""
    from playground.cli import main
    from playground.training.openmp import SPIN_COUNT

    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)  # conftest set it: put back after the test
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert main(["presets"]) == 0
    assert os.environ.get("GOMP_SPINCOUNT") == SPIN_COUNT
    code = "import sys, playground.cli; assert 'torch' not in sys.modules, 'torch was imported'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
