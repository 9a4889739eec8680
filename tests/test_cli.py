"""The CLI end to end on real presets: its `main` in this process, and in a process of its own where the process
matters (the `playground` command, Ctrl-C)."""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import run_cli as playground

TINY = ["--set", "model.n_layer=1", "--set", "model.n_embd=32", "--set", "model.n_head=2",
        "--set", "model.d_ff=64", "--set", "train.eval_interval=5", "--set", "train.batch_size=8",
        "--device", "cpu"]


def playground_process(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """The `playground` command as a user runs it, in a process of its own."""
    return subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
def test_a_cache_folder_that_cannot_be_written_is_noted_and_training_goes_on(tmp_path, monkeypatch):
    """Newcomer QA: a read-only cache folder failed every command that trains ("[Errno 30] Read-only file system"), and
    export said its --out could not be written."""
    (tmp_path / "afile").write_text("")
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "afile" / "cache"))
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)  # (the tests' own)
    out = tmp_path / "run"
    trained = playground_process("train", "decoder-reverse", "--steps", "2", "--out", str(out), *TINY)
    exported = playground_process("export", str(out), "--out", str(tmp_path / "hf"))
    for result in (trained, exported):
        assert result.returncode == 0, result.stderr
        assert "playground: note: the cache folder " in result.stderr
        assert ("cannot be written (afile is a file, not a folder): this machine's speed measurements are not kept "
                "between runs, and compiled training steps go to the compiler's own folder; set PLAYGROUND_CACHE_DIR to "
                "a folder you can write" in result.stderr), result.stderr
    assert (tmp_path / "hf" / "model.safetensors").exists()
    listed = playground_process("presets")  # a command that never loads torch says nothing of it (review)
    assert listed.returncode == 0 and "cache" not in listed.stderr, listed.stderr


@pytest.mark.slow
def test_presets_lists_one_line_each():
    result = playground_process("presets")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith("decoder-pydoc") for line in lines)
    assert {"encoder", "decoder", "vit"} <= {line.split()[1] for line in lines}
    assert len({line.index(f" {line.split()[1]} ") for line in lines}) == 1  # one column, long names too (QA)


@pytest.mark.slow
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
    assert finished.returncode == 2 and "already finished" in finished.stderr and "--steps N" in finished.stderr
    extended = playground("resume", str(out), "--steps", "5")
    assert extended.returncode == 0, extended.stderr
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [int(r["step"]) for r in rows] == list(range(1, 16))
    final_lr = preset["train"]["lr"] * preset["train"]["min_lr_ratio"]
    np.testing.assert_allclose([float(r["lr"]) for r in rows[10:]], final_lr, rtol=1e-5)  # the curve goes on
    assert json.loads((out / "checkpoint" / "state.json").read_text())["spec"]["train"]["max_steps"] == 15

    sample = playground("sample", str(out), "--prompt", "The ", "--tokens", "20")
    assert sample.returncode == 0, sample.stderr
    assert sample.stdout.startswith("The ") and len(sample.stdout.rstrip("\n")) >= 20


@pytest.mark.slow
def test_out_onto_an_earlier_run_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "run"
    assert playground("train", "encoder-reverse", "--steps", "6", "--out", str(out), *TINY).returncode == 0
    again = playground("train", "encoder-reverse", "--steps", "3", "--out", str(out), *TINY)
    assert again.returncode == 2 and "already holds a run" in again.stderr and "--overwrite" in again.stderr
    assert [int(r["step"]) for r in csv.DictReader(open(out / "metrics.csv"))] == list(range(1, 7))
    replaced = playground("train", "encoder-reverse", "--steps", "3", "--out", str(out), "--overwrite", *TINY)
    assert replaced.returncode == 0, replaced.stderr
    assert [int(r["step"]) for r in csv.DictReader(open(out / "metrics.csv"))] == [1, 2, 3]
    assert json.loads((out / "checkpoint" / "state.json").read_text())["step"] == 3


@pytest.mark.slow
def test_ctrl_c_then_resume_draws_the_uninterrupted_curve(tmp_path):
    """Ctrl-C stops after the step it interrupts and saves it with the batch order and random states. Only the
    interrupted run needs a process of its own (the signal); the straight run and the resume run in this one."""
    total = 600  # far past the 20 rows the signal waits for: a parent starved on a loaded machine still cuts midway
    steps = ["encoder-reverse", "--steps", str(total), *TINY, "--set", "model.dropout=0.1"]
    straight, cut = tmp_path / "straight", tmp_path / "cut"
    assert playground("train", *steps, "--out", str(straight)).returncode == 0
    with open(tmp_path / "stderr.txt", "w") as stderr:
        run = subprocess.Popen([sys.executable, "-m", "playground", "train", *steps, "--out", str(cut)],
                               stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            while len(_rows(cut)) < 20 and run.poll() is None:  # rows reach the disk at every evaluation (5 steps)
                time.sleep(0.02)
            run.send_signal(signal.SIGINT)
            assert run.wait(timeout=120) == 130
        finally:
            run.kill()
    stopped_at = json.loads((cut / "checkpoint" / "state.json").read_text())["step"]
    assert 20 <= stopped_at < total, "the run was not interrupted midway"
    if stopped_at + 5 < total:  # (stopped nearer the end, 5 more would extend the run: review)
        partway = playground("resume", str(cut), "--steps", "5")  # the bar goes to where it stops (newcomer QA: it
        # read "61/2000")
        assert partway.returncode == 0 and f"{stopped_at + 5}/{stopped_at + 5} [" in partway.stderr, partway.stderr
    resumed = playground("resume", str(cut))
    assert resumed.returncode == 0, resumed.stderr
    expected = [float(r["train_loss"]) for r in _rows(straight)]
    got = [float(r["train_loss"]) for r in _rows(cut)]
    assert [int(r["step"]) for r in _rows(cut)] == list(range(1, total + 1))
    np.testing.assert_allclose(got, expected, rtol=2e-5)


def _rows(run_dir) -> list[dict]:
    try:
        return list(csv.DictReader(open(run_dir / "metrics.csv")))
    except FileNotFoundError:
        return []


@pytest.mark.slow
def test_divergence_before_any_checkpoint_removes_the_run_so_a_retry_works(tmp_path):
    out = tmp_path / "run"
    result = playground("train", "decoder-pydoc", "--steps", "200", "--out", str(out), *TINY, "--set", "train.lr=10",
                        "--set", "train.grad_clip=0", "--set", "train.checkpoint_interval=500")
    assert result.returncode == 3, result.stderr
    assert "too high" in result.stderr and "no checkpoint" in result.stderr and "kept" not in result.stderr
    assert "so its files are removed: train again" in result.stderr and not out.exists()
    retried = playground("train", "decoder-pydoc", "--steps", "3", "--out", str(out), *TINY)
    assert retried.returncode == 0, retried.stderr


CHECK_BEFORE_TORCH = """
import sys
from playground.cli import main
code = main(sys.argv[1:])
assert "torch" not in sys.modules, "torch was imported before the paths were checked"
sys.exit(code)
"""


@pytest.mark.slow
def test_paths_are_checked_before_torch_loads(tmp_path):
    (tmp_path / "a-file").write_text("x")
    run = tmp_path / "run"
    (run / "checkpoint").mkdir(parents=True)
    (run / "preset.json").write_text("{}")
    (run / "checkpoint" / "state.json").write_text("{}")
    cases = [
        (["train", "decoder-pydoc", "--out", str(tmp_path / "a-file")], "is a file"),
        (["train", "decoder-pydoc", "--out", str(tmp_path / "a-file" / "run")], "is a file, not a folder"),
        (["train", "decoder-pydoc", "--out", str(run)], "already holds a run"),
        (["train", "decoder-pydoc", "--overwrite"], "add --out FOLDER"),
        (["sample", str(tmp_path / "missing")], "no run folder at"),
        (["resume", str(tmp_path / "missing")], "no run folder at"),
        (["export", str(tmp_path / "missing"), "--out", str(tmp_path / "hf")], "no run folder at"),
        (["export", str(run), "--out", str(tmp_path / "a-file")], "is a file"),
    ]
    for args, message in cases:
        result = subprocess.run([sys.executable, "-c", CHECK_BEFORE_TORCH, *args], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_run_folder_in_use_is_refused_at_once(tmp_path):
    from playground.training.runs import lock_run_dir

    run = tmp_path / "run"
    (run / "checkpoint").mkdir(parents=True)
    (run / "preset.json").write_text("{}")
    (run / "checkpoint" / "state.json").write_text("{}")
    lock = lock_run_dir(run)  # as a training process holds it
    try:
        for args in (["resume", str(run)], ["train", "decoder-pydoc", "--out", str(run), "--overwrite"]):
            result = subprocess.run([sys.executable, "-c", CHECK_BEFORE_TORCH, *args], capture_output=True,
                                    text=True, timeout=120)
            assert result.returncode == 2 and "is in use" in result.stderr, (args, result.stderr)
    finally:
        lock.release()
    assert (run / "checkpoint" / "state.json").read_text() == "{}"


def test_version_names_the_app_and_what_it_runs_on(capsys):
    """QA: no version anywhere, for a bug report."""
    from importlib.metadata import version

    from playground.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    said = capsys.readouterr().out
    assert exited.value.code == 0 and said.startswith(f"Transformer Playground {version('transformer-playground')} (")
    assert f"torch {version('torch')}" in said and f"transformers {version('transformers')}" in said


def test_every_argument_has_help_text():
    from playground.cli import _parser

    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = [f"{name} {action.dest}" for name, command in commands.choices.items() for action in command._actions
               if not action.help and not isinstance(action, argparse._HelpAction)]
    assert missing == []


def test_train_help_names_every_setting_set_changes_and_the_own_data_recipe(capsys):
    """QA: the command line had no way to list the settings (`--set model.x=1` said "did you mean 'model'?"): a
    student opened a preset's JSON to find them."""
    from playground.cli import main
    from playground.core.spec import FIELD_TITLES, RunSpec

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    shown = " ".join(capsys.readouterr().out.split())  # (wrapped to the terminal)
    for key, title in FIELD_TITLES.items():
        if "." in key:
            assert f"{key} ({title}" in shown, key
    fields = {f"{section}.{name}" for section in ("model", "data", "train")
              for name in type(getattr(RunSpec(), section)).model_fields}
    assert fields <= FIELD_TITLES.keys(), fields - FIELD_TITLES.keys()  # every one (QA: train.min_lr_ratio was not)
    # ... with the values of those that allow a fixed few (newcomer QA: model.norm's were to be guessed)
    for said in ("model.norm (LayerNorm placement: pre | post | none)", "model.residual (residual connections: true |"
                 " false)", "data.name (dataset: pydoc | zen", "train.compile (compilation: auto | on | off)"):
        assert said in shown, said
    assert "--set data.name=text_file (or csv_file, image_folder) --set data.path=FILE" in shown
    assert "default: the preset's train.max_steps" in shown


def test_an_unknown_setting_on_the_command_line_says_where_the_settings_are_listed():
    """QA: `--set train.foo=1` said "remove it or check its spelling", and nothing listed the settings."""
    from conftest import one_line_error, run_cli

    one_line_error(run_cli("train", "decoder-reverse", "--set", "train.foo=1"),
                   "unknown setting 'train.foo': remove it or check its spelling (`playground train --help` lists")
    line = one_line_error(run_cli("train", "decoder-reverse", "--set", "trian.lr=1"), "did you mean 'train.lr'?")
    assert "--help" not in line  # the one meant is enough


def test_one_preset_is_shown_whole_with_the_commands_that_open_and_train_it(capsys):
    """Newcomer QA: every description in `playground presets` is cut with "…", and nothing showed the rest."""
    from playground.cli import main
    from playground.core.presets import load_preset

    assert main(["presets", "lesson-19.2-self-attention"]) == 0
    shown = capsys.readouterr().out
    lesson = load_preset("lesson-19.2-self-attention")
    assert " ".join(shown.split()).count(" ".join(lesson.description.split())) == 1  # whole (wrapped)
    assert f"lesson: {lesson.lesson.title}, {len(lesson.lesson.steps)} steps" in shown
    assert "open it: playground lesson-19.2-self-attention  ·  train it: playground train lesson-19.2" in shown
    assert main(["presets"]) == 0
    assert "`playground presets NAME` shows one preset's whole description" in capsys.readouterr().err


def test_a_reader_that_stops_reading_gets_no_error_line():
    """Newcomer QA: `playground presets | head -3` now and then said "playground: error: [Errno 32] Broken pipe"."""
    listing = subprocess.Popen([sys.executable, "-m", "playground", "presets"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    listing.stdout.close()  # gone before the listing is written (as `head` once it has its lines)
    _out, err = listing.communicate(timeout=60)
    assert listing.returncode == 141 and err == b""


def test_a_preset_with_no_command_opens_the_window_on_it(monkeypatch, capsys):
    """`playground vit-digits` was refused as an invalid command; the help says the window is the default."""
    from playground import cli
    from playground.ui import app

    opened = []
    monkeypatch.setattr(app, "run_app", lambda preset: opened.append(preset) or 0)
    commands = next(a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == set(cli.COMMANDS)  # every command is still a command
    assert cli.main(["vit-digits"]) == 0 and cli.main(["gui", "encoder-reverse"]) == 0 and cli.main([]) == 0
    assert cli.main(["train.json"]) == 0  # a preset file named like a command (difflib finds "train" close)
    assert opened == ["vit-digits", "encoder-reverse", None, "train.json"]
    for typo in (["trian"], ["trian", "encoder-reverse"]):  # a mistyped command is not taken for a preset
        with pytest.raises(SystemExit):
            cli.main(typo)
        # ... and is said with the command meant (newcomer QA: the commands listed, no "did you mean")
        assert "playground: error: unknown command 'trian' (did you mean train?)" in capsys.readouterr().err
    assert len(opened) == 4


@pytest.mark.slow
def test_resume_continues_an_interrupted_run(tmp_path):
    out = tmp_path / "run"
    assert playground("train", "encoder-reverse", "--steps", "12", "--out", str(out), *TINY).returncode == 0
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    state["spec"]["train"]["max_steps"] = 20  # as if the run had been stopped at step 12 of 20
    (out / "checkpoint" / "state.json").write_text(json.dumps(state))
    result = playground("resume", str(out))
    assert result.returncode == 0, result.stderr
    assert "was edited" not in result.stderr
    steps = [int(r["step"]) for r in csv.DictReader(open(out / "metrics.csv"))]
    assert steps == list(range(1, 21))


@pytest.mark.slow
def test_resume_says_an_edited_preset_file_is_not_what_it_trains(tmp_path):
    """An edit to a run folder's preset.json was ignored by resume without a word."""
    out = tmp_path / "run"
    assert playground("train", "encoder-reverse", "--steps", "4", "--out", str(out), *TINY).returncode == 0
    preset = json.loads((out / "preset.json").read_text())
    (out / "preset.json").write_text(json.dumps(preset, indent=4) + "\r\n\n")  # an editor's save: no setting changed
    reformatted = playground("resume", str(out), "--steps", "1")
    assert reformatted.returncode == 0 and "was edited" not in reformatted.stderr
    preset["train"]["lr"] = 1e-4
    (out / "preset.json").write_text(json.dumps(preset))
    result = playground("resume", str(out), "--steps", "2")
    assert result.returncode == 0, result.stderr
    assert "preset.json was edited since the run started" in result.stderr
    assert f"playground train {out / 'preset.json'} --out" in result.stderr
    (out / "preset.json").unlink()  # (CLI QA: gone, and resume said nothing)
    result = playground("resume", str(out), "--steps", "1")
    assert result.returncode == 0, result.stderr
    assert f"note: {out / 'preset.json'} is missing; the resume continues with the settings the run was trained " \
           "with, its checkpoint's" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "no-such-preset"], "no preset named 'no-such-preset'"),
        (["train", ""], "no preset given: name a built-in preset"),  # (CLI QA: ". is a folder, not a preset file")
        (["train", "decoder-pydoc", "--set", "model.n_embd=100", "--set", "model.n_head=3"],
         "not divisible by 3 heads"),
        (["train", "decoder-pydoc", "--set", "model.colour=red"], "unknown setting 'model.colour'"),
        (["sample", "/nonexistent/run"], "no run folder at"),
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


@pytest.mark.slow
def test_the_cli_sets_openmp_waiting_before_anything_loads_torch():
    """libgomp reads GOMP_SPINCOUNT when torch loads it: the command sets it first (in its own process: calling
    main() in a test changes no process-wide setting)."""
    from playground.training.openmp import SPIN_COUNT

    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    probe = ("import atexit, os, sys; sys.argv = ['playground', 'presets']; from playground.cli import run; "
             "atexit.register(lambda: print('SPIN', os.environ.get('GOMP_SPINCOUNT'), 'torch' in sys.modules)); run()")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and f"SPIN {SPIN_COUNT} False" in out.stdout, out.stderr[-1000:]
    code = "import sys, playground.cli; assert 'torch' not in sys.modules, 'torch was imported'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_a_termination_request_stops_after_the_step_and_saves_it_as_ctrl_c_does(tmp_path):
    """QA: `timeout` (SIGTERM) killed a run outright; stopped before its first checkpoint, it left a folder nothing
    could resume and that the same --out refused."""
    cut = tmp_path / "cut"
    with open(tmp_path / "stderr.txt", "w") as stderr:
        run = subprocess.Popen([sys.executable, "-m", "playground", "train", "encoder-reverse", "--steps", "600",
                                *TINY, "--set", "train.checkpoint_interval=500", "--out", str(cut)],
                               stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            while len(_rows(cut)) < 5 and run.poll() is None:
                time.sleep(0.02)
            run.send_signal(signal.SIGTERM)
            assert run.wait(timeout=120) == 128 + signal.SIGTERM
        finally:
            run.kill()
    said = (tmp_path / "stderr.txt").read_text()
    # (its first checkpoint still ahead: stopping at once would lose the run, QA)
    assert "stopping after this step (a second signal to stop at once, losing the run: it has no checkpoint yet)" \
        in said and "playground resume" in said
    stopped_at = json.loads((cut / "checkpoint" / "state.json").read_text())["step"]
    assert 5 <= stopped_at < 500
    assert playground("resume", str(cut), "--steps", "1").returncode == 0
