"""QA's third pass on the CLI: a setting the user typed is kept, --overwrite replaces only a run, outputs are
checked before training, and messages say what is true."""

import json
import re
import sys
from pathlib import Path

import pytest
from conftest import CLI_TINY as TINY
from conftest import one_line_error
from conftest import run_cli as playground

from playground.training.runs import read_metrics


# ----- fault 1: --steps and an explicit warm-up ----------------------------------------------------------
@pytest.mark.slow
def test_steps_keeps_a_warmup_the_user_set(tmp_path):
    out = tmp_path / "wu0"
    result = playground("train", "decoder-reverse", "--steps", "30", "--set", "train.warmup_steps=0",
                        "--out", str(out), *TINY)
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "preset.json").read_text())["train"]["warmup_steps"] == 0


def test_a_set_value_is_read_with_spaces_around_it_and_a_choice_in_any_case(tmp_path):
    """Newcomer QA: `--set model.norm=Pre` and `--set "model.norm = pre"` were refused ('Pre', ' pre')."""
    out = tmp_path / "set"
    result = playground("train", "decoder-reverse", "--steps", "2", "--set", "model.norm = Post", "--set",
                        ' model.pos_encoding="SINUSOIDAL" ', "--out", str(out), *TINY)  # (review: quoted JSON)
    assert result.returncode == 0, result.stderr
    model = json.loads((out / "preset.json").read_text())["model"]
    assert (model["norm"], model["pos_encoding"]) == ("post", "sinusoidal")
    one_line_error(playground("train", "decoder-reverse", "--set", "model.norm=sideways"), "'sideways'")
    # a dataset's options are an object: said how to set one (newcomer QA: told only "must be an object {...}")
    one_line_error(playground("train", "decoder-reverse", "--set", "data.options=5"),
                   "--set data.options=5 is not a dataset's options: set each with --set data.options.NAME=VALUE")


def test_a_warmup_as_long_as_steps_is_refused_naming_both():
    one_line_error(playground("train", "decoder-reverse", "--steps", "5", "--set", "train.warmup_steps=10"),
                   "--set train.warmup_steps=10", "--steps 5")


@pytest.mark.parametrize("steps", ["-5", "100000001"])
def test_steps_out_of_range_is_named_as_steps(steps):
    """Too many said "training steps (train.max_steps): input should be less than or equal to 100000000"."""
    line = one_line_error(playground("train", "decoder-reverse", "--steps", steps), "--steps must be 1..100,000,000")
    assert "warm" not in line and f"{int(steps):,}" in line


# ----- fault 2: --overwrite replaces only the run ----------------------------------------------------------
BAD_OPTION = ["--set", "data.options.length=x"]  # refused when the data loads, after the run folder is claimed


@pytest.mark.slow
def test_overwrite_keeps_the_users_files_and_a_failed_overwrite_keeps_the_earlier_run(tmp_path):
    out = tmp_path / "run"
    assert playground("train", "decoder-reverse", "--steps", "3", "--out", str(out), *TINY).returncode == 0
    (out / "NOTES.md").write_text("mine")
    (out / "myplots").mkdir()
    (out / "myplots" / "p.txt").write_text("mine too")
    earlier = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    failed = playground("train", "decoder-reverse", "--steps", "4", "--out", str(out), "--overwrite", *TINY,
                        *BAD_OPTION)
    one_line_error(failed, "length")
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == earlier
    replaced = playground("train", "decoder-reverse", "--steps", "4", "--out", str(out), "--overwrite", *TINY)
    assert replaced.returncode == 0, replaced.stderr
    assert "replaced the earlier run" in replaced.stderr
    assert (out / "NOTES.md").read_text() == "mine" and (out / "myplots" / "p.txt").read_text() == "mine too"
    assert json.loads((out / "run.json").read_text())["step"] == 4
    assert len(list(out.glob("events.out.tfevents.*"))) == 1  # the earlier run's TensorBoard file went with it


def test_a_failed_overwrite_keeps_an_earlier_run_without_a_checkpoint(tmp_path):
    """Review: the earlier 'run' had no checkpoint (a stub a kill left, or a folder of the user's own preset.json),
    and an overwrite refused as its data loaded deleted its files, the user's preset.json among them."""
    out = tmp_path / "exp"
    out.mkdir()
    (out / "preset.json").write_text(json.dumps({"name": "mine"}))
    (out / "run.json").write_text(json.dumps({"name": "stub"}))
    (out / "metrics.csv").write_text("step,train_loss\n1,3.0\n")
    (out / "NOTES.md").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    failed = playground("train", "decoder-reverse", "--steps", "4", "--out", str(out), "--overwrite", *TINY,
                        *BAD_OPTION)
    one_line_error(failed, "length")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".lock"} == before


# ----- fault 3: compare checks its figure can be written before training ------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_compare_refuses_a_figure_it_cannot_write_before_training(tmp_path):
    # /proc passes os.access for root, and no file can be made in it: only trying to write one tells (another user
    # is refused by os.access first, in other words naming the same folder)
    refused = playground("compare", "decoder-reverse", "decoder-reverse-no-positions", "--steps", "10",
                         "--out", "/proc/cmp.png")
    one_line_error(refused, "cannot write", "/proc", "choose a")


@pytest.mark.slow
def test_compare_still_makes_the_figures_missing_folders(tmp_path):
    out = tmp_path / "new" / "deeper" / "ab.png"
    made = playground("compare", "decoder-reverse", "decoder-reverse", "--steps", "2", "--out", str(out), *TINY)
    assert made.returncode == 0, made.stderr
    assert out.is_file() and [p.name for p in out.parent.iterdir()] == ["ab.png"]


# ----- fault 4: resume says where it trains, as train does --------------------------------------------------
@pytest.mark.slow
def test_resume_says_where_it_trains(tmp_path):
    out = tmp_path / "run"
    assert playground("train", "decoder-reverse", "--steps", "3", "--out", str(out), *TINY).returncode == 0
    resumed = playground("resume", str(out), "--steps", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert "Training on CPU" in resumed.stderr


# ----- fault 6: messages ---------------------------------------------------------------------------------------
def test_a_mistyped_preset_name_gets_the_closest_names():
    one_line_error(playground("train", "decoder-revrse"), "no preset named 'decoder-revrse'",
                   "did you mean 'decoder-reverse'")
    # a built-in's name as a file's, where no such file is here (QA: "check the path")
    one_line_error(playground("train", "decoder-reverse.json"), "no preset file at decoder-reverse.json: the built-in "
                                                                "preset is named without .json: decoder-reverse")


def test_a_presets_beginning_is_told_its_preset_and_an_unknown_word_is_answered_as_a_preset():
    """QA: `playground lesson-19.2` was told 19.7 and 19.3 but not lesson-19.2-self-attention, and `playground
    nosuchpreset` was told only of the commands (it is close to "presets")."""
    from playground.cli import _window_by_default
    from playground.core.presets import PresetError, resolve_preset_path

    with pytest.raises(PresetError, match="did you mean 'lesson-19.2-self-attention'\\?"):
        resolve_preset_path("lesson-19.2")
    # by name, whatever the letter case (newcomer QA: 'encoder-reverse' and 'decoder-reverse-no-positions' were told
    # first), and the lessons in their order (review)
    for typed in ("Decoder-Reverse", "decoder-revers"):
        with pytest.raises(PresetError, match="did you mean 'decoder-reverse' or 'decoder-reverse-no-positions'\\?"):
            resolve_preset_path(typed)
    with pytest.raises(PresetError, match="did you mean 'lesson-19.2-self-attention' or 'lesson-19.3-multi-head'\\?"):
        resolve_preset_path("Lesson")
    assert _window_by_default(["nosuchpreset"]) == ["gui", "nosuchpreset"]
    assert _window_by_default(["trian"]) == ["trian"]  # a mistyped command stays argparse's to answer


@pytest.mark.slow
def test_attention_takes_a_checkpoint_folder_as_sample_and_export_do(text_run, tmp_path):
    drawn = playground("attention", str(text_run / "checkpoint"), "--out", str(tmp_path / "a.png"))
    assert drawn.returncode == 0, drawn.stderr
    assert (tmp_path / "a.png").is_file()


@pytest.mark.slow
def test_the_export_script_hint_is_a_command_to_copy(text_run, tmp_path):
    import shlex

    out = tmp_path / "my runs" / "sc ü.py"
    result = playground("export", str(text_run), "--format", "script", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"run it with python {shlex.quote(str(out))}\n" in result.stderr


@pytest.mark.slow
def test_a_missing_csv_column_is_named_as_the_set_to_type(tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("a,b\nx,y\n")
    one_line_error(playground("train", "encoder-sentiment", "--steps", "2", "--out", str(tmp_path / "run"),
                              "--set", "data.name=csv_file", "--set", f"data.path={data}"),
                   "has no column 'text'", "--set data.options.text_column=")


def test_another_dataset_by_set_leaves_the_presets_dataset_options_out_as_the_window_does(tmp_path, capsys):
    """QA, the README's own-data recipe on decoder-reverse: "unknown option 'length' for text_file: it takes no
    options", an option the preset set and the user never typed."""
    from playground.cli import main
    from playground.core.presets import load_preset

    text = tmp_path / "mine.txt"
    text.write_text("a small text of my own, for a model of my own. " * 40, encoding="utf-8")
    out = tmp_path / "run"
    assert main(["train", "decoder-reverse", "--steps", "2", "--out", str(out), "--set", "data.name=text_file",
                 "--set", f"data.path={text}"]) == 0
    assert "another dataset, so this is left out of the preset: dataset options (length 8)" in capsys.readouterr().err
    trained = load_preset(out / "preset.json").data
    assert (trained.name, trained.options) == ("text_file", {})
    # Options the command line sets for the new dataset are kept
    assert main(["train", "decoder-reverse", "--steps", "2", "--out", str(tmp_path / "sorted"),
                 "--set", "data.name=sort", "--set", "data.options.n_symbols=5"]) == 0
    assert load_preset(tmp_path / "sorted" / "preset.json").data.options == {"n_symbols": 5}
    # ... and a preset's own file, for a built-in dataset (review)
    assert main(["train", str(out / "preset.json"), "--steps", "2", "--out", str(tmp_path / "pydoc"),
                 "--set", "data.name=pydoc"]) == 0
    said = capsys.readouterr().err
    assert f"left out of the preset: file {text}" in said and "outside its own folder" not in said  # (review)
    assert load_preset(tmp_path / "pydoc" / "preset.json").data.path is None
    # a mistyped dataset is told alone, without a note of what its change would leave out (newcomer QA)
    assert main(["train", "decoder-reverse", "--steps", "2", "--out", str(tmp_path / "typo"),
                 "--set", "data.name=pydocs"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "playground: error: unknown dataset 'pydocs': did you mean 'pydoc'? the Decoder (GPT-like) reads pydoc, zen, "
        "copy, reverse, sort, shift, text_file"]
    for name in ("digits", "[1]"):  # one the decoder cannot read; not a name at all (review: "unhashable type")
        assert main(["train", "decoder-reverse", "--steps", "2", "--out", str(tmp_path / "typo"),
                     "--set", f"data.name={name}"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "note" not in err and "unexpected" not in err, err


def test_a_run_whose_data_file_moved_says_it_is_the_runs_own_to_put_back(tmp_path):
    """QA: after `mv mine.txt other.txt`, resume, sample, attention and export all said "no text file at …: check the
    path", as if the user had typed it."""
    text = tmp_path / "mine.txt"
    text.write_text("a small text of my own, for a model of my own. " * 40, encoding="utf-8")
    run = tmp_path / "run"
    trained = playground("train", "decoder-pydoc", "--steps", "2", "--out", str(run), "--set", "data.name=text_file",
                         "--set", f"data.path={text}", *TINY)
    assert trained.returncode == 0, trained.stderr
    text.rename(tmp_path / "other.txt")
    for command in (("resume", str(run)), ("sample", str(run)), ("attention", str(run), "--out", str(tmp_path / "a.png")),
                    ("export", str(run), "--out", str(tmp_path / "hf")),
                    ("export", str(run), "--format", "script", "--out", str(tmp_path / "s.py"))):
        one_line_error(playground(*command), "this run trained on ", "mine.txt, which is no longer there: put the "
                                                                     "file back at that path (a copy will do)")


def test_an_unwritable_runs_folder_names_the_variable_that_chose_it(tmp_path, monkeypatch):
    """QA: PLAYGROUND_RUNS_DIR=/sys/nope said "choose another --runs-dir", an option the user had not given."""
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", "/proc/nope")  # (no folder can be made in /proc, even by root)
    one_line_error(playground("train", "decoder-reverse", "--steps", "2", *TINY),
                   "cannot write /proc/nope", "choose another --runs-dir or PLAYGROUND_RUNS_DIR")
    said = one_line_error(playground("train", "decoder-reverse", "--steps", "2", "--runs-dir", "/proc/nope", *TINY),
                          "choose another --runs-dir")
    assert "PLAYGROUND_RUNS_DIR" not in said


def test_a_finished_ablation_is_not_offered_an_export_it_would_be_refused_and_a_log_gets_its_bar_each_30_s():
    """Review: `next:` offered a Hugging Face export to decoder-no-mask, which it refuses; and a log's bar is paced
    by maxinterval too (tqdm's monitor drew it 10 s after each drawing, whatever mininterval said)."""
    import io

    from playground.cli import LOG_BAR_INTERVAL_S, _bar_pace, _next_commands
    from playground.core.presets import load_preset

    said = _next_commands(Path("run"), load_preset("decoder-no-mask"), writes_text=True)
    assert said == ("next: playground sample run  ·  playground attention run --out attention.png  ·  "
                    "playground export run --format script --out run.py")  # (its own PyTorch script holds it)
    assert "playground export run --out run-hf" in _next_commands(Path("run"), load_preset("decoder-pydoc"), True)
    assert _bar_pace(io.StringIO()) == {"mininterval": LOG_BAR_INTERVAL_S, "maxinterval": LOG_BAR_INTERVAL_S}


def test_training_into_a_log_file_draws_the_progress_bar_seldom(tmp_path):
    """QA: with stderr in a file (a job's log) a 150-step run wrote 172 drawings of the bar, 16 KB."""
    result = playground("train", "decoder-reverse", "--steps", "40", "--out", str(tmp_path / "run"), *TINY)
    assert result.returncode == 0, result.stderr
    drawings = [line for line in result.stderr.replace("\r", "\n").splitlines() if "/40 [" in line]
    assert drawings[-1].startswith("100%") and "loss " in drawings[-1]  # the last, with its loss
    # as the app and the Runs tab print it (review: three decimals read 0.000 for a run trained to 1e-5)
    shown = re.search(r"loss (\d\.\d{4}) val (\d\.\d{4}) ", drawings[-1])
    assert shown is not None, drawings[-1]
    last = read_metrics(tmp_path / "run")[-1]
    assert float(shown[1]) == pytest.approx(float(last["train_loss"]), abs=1e-4)
    assert float(shown[2]) == pytest.approx(float(last["val_loss"]), abs=1e-4)
    assert len(drawings) <= 4, drawings  # the start (twice, around the device line) and the end
    run = tmp_path / "run"  # what it can do next, said last (no sample: reversal is not text to continue)
    assert result.stderr.splitlines()[-1] == (f"next: playground attention {run} --out attention.png  ·  "
                                              f"playground export {run} --out {run}-hf")


def test_an_option_a_command_does_not_know_is_refused_by_that_command_with_the_one_meant(capsys):
    """QA: `train … --stpes 5` and `resume … --set` showed the top-level usage ("playground [-h] COMMAND ...") and
    no suggestion."""
    from playground.cli import main
    from playground.core.messages import MAX_LINE

    with pytest.raises(SystemExit) as stopped:
        main(["train", "decoder-reverse", "--stpes", "5"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "usage: playground train PRESET [options]; `playground train --help`" in err
    assert "unrecognized arguments: --stpes 5 (did you mean --steps?)" in err
    assert err.count("\n") == 1  # one line, as every bad input's (newcomer QA: argparse's usage block of 4 lines)
    with pytest.raises(SystemExit):
        main(["resume", "somewhere", "--set", "train.lr=1"])
    err = capsys.readouterr().err
    assert "usage: playground resume RUN_DIR [options]" in err and "(`resume` takes no --set)" in err
    for argv, said in ((["train", "decoder-reverse", "--set", "model.n_embd", "64"],  # (newcomer QA: "… arguments: 64")
                        "unrecognized arguments: 64 (--set takes KEY=VALUE as one word: --set model.n_embd=64)"),
                       (["compare", "decoder-reverse"], "required: PRESET_B (usage: playground compare PRESET_A "
                                                        "PRESET_B [options];"),
                       (["bench", "--quick", "--smoke"], "not allowed with argument --quick (usage: playground bench "
                                                         "[options];"),
                       (["attention", "run", "--out", "a.png", "--view", "v" * 400], "invalid choice: 'vvv")):
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        err = capsys.readouterr().err
        assert stopped.value.code == 2 and err.count("\n") == 1 and said in err, err
        assert len(err) <= MAX_LINE + 1  # (review: a long value made the line as long)


def test_short_usage_keeps_the_arguments_and_drops_the_nested_options():
    from playground.cli import short_usage

    assert short_usage("usage: playground bench [-h]\n   [--quick | --smoke | --learning [{all,presets}]]\n") == \
        "playground bench [options]"
    assert short_usage("usage: playground compare [-h] [--steps STEPS] PRESET_A PRESET_B") == \
        "playground compare PRESET_A PRESET_B [options]"
    assert short_usage("usage: playground runs") == "playground runs"
    assert short_usage("usage: playground runs [-h] [--runs-dir RUNS_DIR] [FOLDER ...]") == \
        "playground runs [FOLDER ...] [options]"  # (review: its arguments went with the options)


def test_a_set_value_missing_its_equals_sign_is_told_after_another_option_with_the_same_value(capsys):
    """Review: `--steps 64 --set model.n_embd 64` lost the hint: the first 64 found was --steps'."""
    from playground.cli import main

    with pytest.raises(SystemExit):
        main(["train", "decoder-reverse", "--steps", "64", "--set", "model.n_embd", "64"])
    assert "(--set takes KEY=VALUE as one word: --set model.n_embd=64)" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # another command's options are not offered (review: "did you mean --out?")
        main(["runs", "--bogus"])
    assert "did you mean" not in capsys.readouterr().err


def test_a_hugging_face_export_to_a_py_name_points_at_the_script_format(tmp_path, capsys):
    """QA: `export RUN --out file.py` made a folder named file.py."""
    from playground.cli import main

    (tmp_path / "run" / "checkpoint").mkdir(parents=True)
    (tmp_path / "run" / "checkpoint" / "state.json").write_text("{}")
    assert main(["export", str(tmp_path / "run"), "--out", str(tmp_path / "file.py")]) == 2
    assert "add --format script for the standalone script" in capsys.readouterr().err
    assert not (tmp_path / "file.py").exists()


def test_a_script_export_into_a_folder_says_to_name_the_script_at_once(tmp_path, capsys):
    """QA: `export RUN --format script --out folder/` said to add --overwrite (the folder held files), and with it
    that the name did not end in .py."""
    from playground.cli import main

    (tmp_path / "run" / "checkpoint").mkdir(parents=True)
    (tmp_path / "run" / "checkpoint" / "state.json").write_text("{}")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.csv").write_text("kept")
    assert main(["export", str(tmp_path / "run"), "--format", "script", "--out", str(tmp_path / "mine")]) == 2
    err = capsys.readouterr().err
    assert "mine is a folder: name the script file, e.g. " in err and err.endswith("mine/train_mine.py\n")
    assert "--overwrite" not in err


def test_an_empty_out_or_out_with_runs_dir_is_refused_before_anything_is_written(tmp_path, capsys, monkeypatch):
    """QA: `--out ""` wrote into the working folder, and `--runs-dir` beside `--out` was ignored without a word."""
    from playground.cli import main

    monkeypatch.chdir(tmp_path)
    for command in (["train", "decoder-reverse", "--out", ""], ["export", "somewhere", "--out", " "],
                    ["compare", "decoder-reverse", "decoder-reverse", "--out", ""]):
        with pytest.raises(SystemExit) as stopped:
            main(command)
        assert stopped.value.code == 2 and "argument --out: it is empty" in capsys.readouterr().err
    assert main(["train", "decoder-reverse", "--out", str(tmp_path / "run"), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "give one of them" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_resume_says_which_losses_its_metrics_file_lacks(text_run, tmp_path):
    """CLI QA: with metrics.csv deleted, or cut short, a resume exited 0 unsaid and the curve went on without the
    losses before it (or with a gap)."""
    import shutil

    gone = tmp_path / "gone"
    shutil.copytree(text_run, gone)
    (gone / "metrics.csv").unlink()
    result = playground("resume", str(gone), "--steps", "1")
    assert result.returncode == 0, result.stderr
    assert "playground: note: metrics.csv was missing: the loss curve goes on from step 4 without the losses of " \
           "steps 1-3" in result.stderr
    again = playground("resume", str(gone), "--steps", "1")  # its file begun at step 4: no damage (review)
    assert "playground: note: metrics.csv starts at step 4: the losses of steps 1-3 are not in it" in again.stderr
    cut = tmp_path / "cut"
    shutil.copytree(text_run, cut)
    lines = (cut / "metrics.csv").read_text().splitlines()
    (cut / "metrics.csv").write_text("\n".join(lines[:2]) + "\n")  # the header and step 1
    result = playground("resume", str(cut), "--steps", "1")
    assert "playground: note: metrics.csv has no losses for 2 steps of steps 1-3 (from step 2; damaged?)" \
           in result.stderr
    assert [int(row["step"]) for row in read_metrics(cut)] == [1, 4]
    whole = tmp_path / "whole"
    shutil.copytree(text_run, whole)
    assert "note: " not in playground("resume", str(whole), "--steps", "1").stderr  # (nor of the timeline)


@pytest.mark.parametrize("damage, said", [("delete", "was missing"), ("cut", "could not be read")])
def test_a_resume_says_its_attention_timeline_lacks_the_snapshots_before(text_run, tmp_path, damage, said):
    """Session 48's left item: a resume whose attention/timeline.safetensors was deleted or cut short started a new
    timeline unsaid, the snapshots before it gone from `playground attention` and the window's timeline."""
    import shutil

    from playground.analysis.timeline import SnapshotTimeline

    run = tmp_path / "run"
    shutil.copytree(text_run, run)
    timeline = run / "attention" / "timeline.safetensors"
    if damage == "delete":
        timeline.unlink()
    else:
        timeline.write_bytes(timeline.read_bytes()[:100])
    result = playground("resume", str(run), "--steps", "1")
    assert result.returncode == 0, result.stderr
    assert (f"playground: note: attention/timeline.safetensors {said}: the attention timeline goes on from step 4 "
            f"without the snapshots of steps 0-3") in result.stderr
    assert [snap.step for snap in SnapshotTimeline.load(run).snapshots] == [4]  # as said


@pytest.mark.parametrize("preset, said", [
    ("decoder-reverse", "this run's decoder learned Reverse, a task, not running text: samples come from a decoder "
                        "trained on running text (data.name pydoc, zen, text_file)"),
    ("encoder-reverse", "this run is an Encoder (BERT-like) on Reverse: samples come from a decoder trained on "
                        "running text")])
def test_sample_on_a_run_that_cannot_write_text_says_why_in_its_own_words(tmp_path, preset, said):
    """CLI QA: "this run is a decoder on Reverse: only a decoder trained on text generates samples" contradicted
    itself, and a ViT was "a vit"."""
    out = tmp_path / "run"
    assert playground("train", preset, "--steps", "1", "--out", str(out), *TINY).returncode == 0
    one_line_error(playground("sample", str(out)), said, f"; see this run's attention with: playground attention {out}")


def test_compare_says_which_side_cannot_train(tmp_path):
    """CLI QA: `compare decoder-reverse vit-digits --set data.name=reverse` said "the Vision Transformer needs
    images", not which of the two."""
    line = one_line_error(playground("compare", "decoder-reverse", "vit-digits", "--set", "data.name=reverse",
                                     "--out", str(tmp_path / "c.png")), "B (vit-digits): ")
    assert "needs images" in line
    one_line_error(playground("compare", "nosuch", "vit-digits", "--out", str(tmp_path / "c.png")),
                   "A (nosuch): no preset named 'nosuch'")


def test_a_model_no_hugging_face_class_computes_is_pointed_to_its_own_script(tmp_path, monkeypatch):
    """CLI QA: a sinusoidal-position run's export said only "train with pos_encoding 'learned' to export it", where
    the train command's own "next:" line exports it as a PyTorch script."""
    monkeypatch.chdir(tmp_path)  # (folders named as a student names them: the line's 300 characters hold them)
    assert playground("train", "decoder-reverse", "--steps", "1", "--out", "sinus", "--set",
                      "model.pos_encoding=sinusoidal", *TINY).returncode == 0
    line = one_line_error(playground("export", "sinus", "--out", "hf"), "sinusoidal positions")
    command = line.partition("or export it as its own PyTorch script: ")[2]
    assert command == "playground export sinus --format script --out sinus.py"  # named as the "next:" line names it
    assert playground(*command.split()[1:]).returncode == 0 and (tmp_path / "sinus.py").is_file()
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    line = one_line_error(playground("export", "../sinus", "--out", "."), "sinusoidal positions")  # (review: crashed)
    assert line.endswith("--out ../sinus.py")


def test_an_error_ctrl_c_caused_is_said_as_an_interruption(monkeypatch, capsys):
    """CLI QA: Ctrl-C during `export` once said "unexpected problem: initialization failed: please report it" (a
    compiled module's start, interrupted, raised its own error), where every other Ctrl-C said "interrupted"."""
    from playground import cli

    def interrupted_import(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None  # (its context kept, as an extension's start does)

    monkeypatch.setattr(cli, "_parse", lambda argv: cli.argparse.Namespace(handler=interrupted_import))
    assert cli.main(["export", "x", "--out", "y"]) == cli.EXIT_INTERRUPTED
    assert capsys.readouterr().err == "playground: interrupted\n"


def test_an_export_interrupted_leaves_no_empty_folder(text_run, tmp_path, monkeypatch):
    """CLI QA: Ctrl-C during `export` left an empty export folder behind (a retry then met a folder it had made)."""
    from playground.export import hf

    def interrupted(run_dir, out):
        (out).mkdir(parents=True)  # as the export makes its folder first
        raise KeyboardInterrupt

    monkeypatch.setattr(hf, "export_run", interrupted)
    result = playground("export", str(text_run), "--out", str(tmp_path / "new" / "hf"))
    assert result.returncode == 130 and not (tmp_path / "new").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("the user's")  # a folder of the user's stays, its files too
    playground("export", str(text_run), "--out", str(tmp_path / "mine" / "hf"))
    assert (tmp_path / "mine" / "notes.txt").exists() and not (tmp_path / "mine" / "hf").exists()


def test_a_preset_with_more_problems_than_its_line_holds_lists_the_rest_as_notes(tmp_path):
    """Session 48's QA: `playground train bad.json` with six bad values named two, "and 4 more problems", shown
    nowhere (the window has Recent Messages; a terminal has the lines below)."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"model": {"n_embd": -1, "n_head": 0, "n_layer": 99, "dropout": 5},
                               "train": {"lr": -1, "batch_size": 0}}))
    result = playground("train", str(bad), "--steps", "2", "--out", str(tmp_path / "run"))
    error, *notes = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "and 4 more problems" in error, result.stderr
    assert notes == ["playground: note: number of layers (model.n_layer): input should be less than or equal to 48, "
                     "got 99",
                     "playground: note: dropout (model.dropout): input should be less than 1, got 5",
                     "playground: note: batch size (train.batch_size): input should be greater than or equal to 1, got 0",
                     "playground: note: learning rate (train.lr): input should be greater than 0, got -1"]
    compared = playground("compare", str(bad), "encoder-reverse", "--out", str(tmp_path / "c.png"))
    error, *notes = compared.stderr.strip().splitlines()  # compare's side said, its counted problems listed (review)
    assert error.startswith("playground: error: A (") and "and 4 more problems" in error, compared.stderr
    assert notes == [f"playground: note: {problem}" for problem in ("number of layers (model.n_layer): input should "
                     "be less than or equal to 48, got 99", "dropout (model.dropout): input should be less than 1, "
                     "got 5", "batch size (train.batch_size): input should be greater than or equal to 1, got 0",
                     "learning rate (train.lr): input should be greater than 0, got -1")]
    bad.write_text(json.dumps({"model": {"n_embd": -1, "n_head": 0}}))
    one_line_error(playground("train", str(bad), "--steps", "2", "--out", str(tmp_path / "run")),
                   "embedding dimension (model.n_embd)", "number of heads (model.n_head)")  # both named: no note
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", [("train", "NAME.json"), ("presets", "NAME.json"), ("export", "NAME", "--out", "x"),
                                     ("compare", "NAME.json", "encoder-reverse")])
def test_a_name_too_long_for_the_file_system_is_said_as_such(tmp_path, monkeypatch, command):
    """Newcomer QA: a path part over 255 characters gave "[Errno 36] File name too long:" and the whole path, inside
    the package's presets folder where a preset was looked for."""
    monkeypatch.chdir(tmp_path)
    args = [part.replace("NAME", "e" * 300) for part in command]
    line = one_line_error(playground(*args), "is too long for the file system (most allow 255 bytes a name): use a "
                                             "shorter one")
    assert f"the name {'e' * 29}…" in line
    assert "Errno" not in line and len(line) < 300 and "presets/" not in line


def test_presets_lists_a_folders_presets_and_refuses_an_empty_name(tmp_path):
    """Newcomer QA: `playground presets FOLDER` was refused as "a folder, not a preset file", and `presets ""` listed
    the built-in presets."""
    from playground.core.presets import PRESETS_DIR

    (tmp_path / "mine.json").write_text((PRESETS_DIR / "encoder-sort.json").read_text())
    (tmp_path / "bad.json").write_text("{bad")
    result = playground("presets", str(tmp_path))
    assert result.returncode == 0 and result.stdout.splitlines() == [
        f"{tmp_path / 'mine.json'}  encoder  Sorting needs attention that searches by content, not position: compare "
        f"its heatmaps with…"]
    assert "(1 other .json file there did not read as a preset: bad.json)" in result.stderr
    for n in range(2, 21):  # whole names while they fit, then how many more, as the other file lists say them
        (tmp_path / f"broken-{n:02}.json").write_text("[")
    unread = playground("presets", str(tmp_path)).stderr.splitlines()[0]
    assert unread.startswith("(20 other .json files there did not read as a preset: bad.json, broken-02.json, ")
    assert re.search(r"broken-\d\d\.json and \d+ more\)$", unread) and "…" not in unread, unread
    for path in tmp_path.glob("broken-*.json"):
        path.unlink()
    (tmp_path / "mine.json").unlink()
    one_line_error(playground("presets", str(tmp_path)), "no preset in ", "(1 file there did not read as one)")
    one_line_error(playground("presets", ""), "no preset given: `playground presets` lists the built-in ones")


def test_a_long_folder_is_named_not_the_short_file_in_it_nor_a_long_path_of_short_names():
    """Review: "the name x.json is too long" of /tmp/<300 e>/x.json; a path too long as a whole is said as such."""
    import errno

    from playground.core.messages import one_line

    folder = OSError(errno.ENAMETOOLONG, "File name too long", f"/tmp/{'e' * 300}/x.json")
    assert one_line(folder).startswith(f"the name {'e' * 29}…") and "x.json" not in one_line(folder)
    path = OSError(errno.ENAMETOOLONG, "File name too long", "/tmp/" + "/".join(["d" * 200] * 30))
    assert one_line(path).startswith("the path /tmp/ddd") and one_line(path).endswith(
        "is too long for the file system: use a shorter one")


def test_a_folder_that_holds_files_names_them_whole_and_counts_the_rest(tmp_path, text_run):
    """Newcomer QA: "already holds files (README.md, config.json, model…er.json, tokenizer_config.json)"."""
    for name in ("README.md", "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        (tmp_path / "hf" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "hf" / name).write_text("")
    line = one_line_error(playground("export", str(text_run), "--out", str(tmp_path / "hf")),
                          "already holds files (README.md, config.json, model.safetensors, tokenizer.json and 1 more)")
    assert "…" not in line.split("(")[1]
