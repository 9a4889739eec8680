"""Run folders: listing, renaming and the guarded delete; `playground runs`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from playground import cli
from playground.core.spec import RunSpec
from playground.training.events import MetricsEvent, SampleEvent, StatusEvent
from playground.training.run_labels import started_text
from playground.training.runs import (
    LOCK_FILE,
    METRIC_COLUMNS,
    SAMPLES_FILE,
    MetricsLog,
    RunsError,
    SamplesLog,
    check_output_folder,
    checkpoint_folder,
    claim_run_dir,
    default_runs_dir,
    delete_run,
    discard_untrained_run,
    list_runs,
    lock_run_dir,
    new_run_dir,
    read_metrics,
    read_run_info,
    read_samples,
    rename_run,
    replace_earlier_run,
    write_run_info,
)


def make_run(root, name: str, family: str = "decoder", losses=(3.0, 2.5, 2.0), val_at=(2,), created=None):
    spec = RunSpec.model_validate({"name": name, "model": {"family": family}})
    folder = new_run_dir(root, spec)
    log = MetricsLog(folder)
    for step, loss in enumerate(losses, start=1):
        val = loss + 0.25 if step in val_at else None
        log(MetricsEvent(step=step, max_steps=10, train_loss=loss, lr=1e-3, throughput=10.0, unit="tokens",
                         elapsed_s=0.1 * step, eta_s=1.0, val_loss=val))
    log.close()
    if created is not None:
        write_run_info(folder, {"created": created})
    return folder


def test_list_runs_newest_first_with_steps_and_last_val_loss(tmp_path):
    root = tmp_path / "runs"
    old = make_run(root, "first try", "encoder", losses=(3.0, 2.0, 1.5, 1.2), val_at=(2, 4), created=1000.0)
    new = make_run(root, "second", "vit", losses=(2.0,), val_at=(), created=2000.0)
    (root / "not-a-run").mkdir()
    (root / "notes.txt").write_text("x")
    runs = list_runs(root)
    assert [r.folder for r in runs] == [new, old]
    assert (runs[1].name, runs[1].family, runs[1].steps, runs[1].val_loss) == ("first try", "encoder", 4, 1.45)
    assert runs[0].val_loss is None and runs[0].steps == 1
    write_run_info(old, {"step": 4, "status": "saved"})
    assert list_runs(root)[1].status == "saved"
    assert list_runs(tmp_path / "missing") == []


def test_a_resume_at_step_0_says_nothing_of_losses_its_metrics_file_lacks(tmp_path):
    """Re-read: a resume at step 0 of a folder whose metrics.csv held later rows was told "holds no losses of steps
    1-0"; a resume at step 2 of a file cut after step 1 is told of the gap."""
    folder = make_run(tmp_path / "runs", "young", losses=(3.0, 2.5, 2.0))
    resumed = MetricsLog(folder, resume_from_step=0)
    resumed.close()
    assert resumed.note == ""
    folder = make_run(tmp_path / "runs", "cut", losses=(3.0,))
    resumed = MetricsLog(folder, resume_from_step=2)
    resumed.close()
    assert resumed.note.startswith("metrics.csv has no losses for 1 step of steps 1-2 (from step 2; damaged?)")


def test_a_fine_tuned_pretrained_run_is_listed_as_pretrained_not_as_a_scratch_encoder(tmp_path):
    spec = RunSpec.model_validate({"name": "pronouns", "model": {"family": "encoder", "pretrained": "minilm"}})
    folder = new_run_dir(tmp_path, spec)
    assert list_runs(tmp_path)[0].family == "pretrained minilm"
    write_run_info(folder, {"family": None})  # an older run.json without it: the preset beside it says
    assert list_runs(tmp_path)[0].family == "pretrained minilm"


@pytest.mark.parametrize("name, part", [
    ("Pretrained BERT (MiniLM) resolves 'it': fine-tuning on the lecture's puzzle", "Pretrained-BERT-MiniLM-resolves-it"),
    ("Decoder on Python's help text, a longer name than forty", "Decoder-on-Python-s-help-text-a-longer"),
    ("a" * 60, "a" * 40),  # one long word: cut at the width
    ("!!!", "run"),
    ("Übung 3: Lesson 19.4, the block...", "Übung-3-Lesson-19.4-the-block"),  # review: "bung-3-Lesson-19-4"
])
def test_a_run_folder_is_named_after_its_run_cut_between_words(tmp_path, name, part):
    """The window's "Run folder: …-resolves-it-fine-" read as cut off: 40 characters ended inside a word."""
    folder = new_run_dir(tmp_path, RunSpec.model_validate({"name": name}))
    assert folder.name.split("-", 2)[2] == part


def test_rename_changes_the_name_not_the_folder(tmp_path):
    folder = make_run(tmp_path, "old name")
    summary = rename_run(folder, "  better name ")
    assert summary.name == "better name" and summary.folder == folder and folder.exists()
    assert read_run_info(folder)["name"] == "better name"
    assert read_run_info(folder)["family"] == "decoder"  # the rest of run.json is kept
    with pytest.raises(RunsError, match="needs a name"):
        rename_run(folder, "   ")
    with pytest.raises(RunsError, match="not a run folder"):
        rename_run(tmp_path, "x")


def test_only_a_run_that_wrote_nothing_but_its_start_is_discarded(tmp_path):
    """A window's model shown untrained leaves no run; a run with anything more in its folder (a cluster command's
    preset, a checkpoint, a user's notes) is kept (review: the copied torchrun command's preset was
    deleted with it)."""
    root = tmp_path / "runs"
    spec = RunSpec.model_validate({"name": "untrained", "model": {"family": "decoder"}})
    empty = new_run_dir(root, spec)
    MetricsLog(empty).close()  # the header only
    (empty / "events.out.tfevents.1.host.1.1").write_bytes(b"")
    (empty / LOCK_FILE).touch()
    assert discard_untrained_run(empty, root) and not empty.exists()
    for extra in ("cluster-preset.json", "checkpoint", "NOTES.md"):
        kept = new_run_dir(root, spec)
        (kept / extra).mkdir() if extra == "checkpoint" else (kept / extra).write_text("{}")
        assert not discard_untrained_run(kept, root) and kept.is_dir(), extra
    assert not discard_untrained_run(tmp_path / "gone", root)  # already gone: nothing to do, no error


def test_delete_only_run_folders_inside_the_runs_root(tmp_path):
    root = tmp_path / "runs"
    keep = make_run(root, "keep")
    doomed = make_run(root, "doomed")
    outside = make_run(tmp_path / "elsewhere", "outside")
    plain = root / "plain-folder"
    plain.mkdir()
    link = root / "link"
    link.symlink_to(outside, target_is_directory=True)

    with pytest.raises(RunsError, match="only run folders inside"):
        delete_run(outside, root)
    with pytest.raises(RunsError, match="only run folders inside"):
        delete_run(root, root)
    with pytest.raises(RunsError, match="only run folders inside"):
        delete_run(root / ".." / "elsewhere", root)
    with pytest.raises(RunsError, match="not a run folder"):
        delete_run(plain, root)
    with pytest.raises(RunsError, match="link"):
        delete_run(link, root)
    assert outside.exists() and plain.exists()

    delete_run(doomed, root)
    assert not doomed.exists() and keep.exists()
    assert [r.folder for r in list_runs(root)] == [keep]


def test_default_runs_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "elsewhere"))
    assert default_runs_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("PLAYGROUND_RUNS_DIR")
    assert default_runs_dir().name == "runs" and "transformer-playground" in str(default_runs_dir())
    with pytest.raises(RunsError, match="only run folders inside"):  # the default root guards too
        delete_run(tmp_path)


def test_runs_command_lists_a_table(tmp_path, capsys):
    root = tmp_path / "runs"
    folder = make_run(root, "my run", "encoder", losses=(3.0, 2.0), val_at=(2,))
    assert cli.main(["runs", "--runs-dir", str(root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["NAME", "FAMILY", "STEPS", "VAL"]
    assert out[1].startswith("my run") and "encoder" in out[1] and " 2 " in out[1] and "2.2500" in out[1]
    assert out[1].endswith(str(folder))
    # whether resume, sample and export find a checkpoint (QA: a run with none was listed like the others)
    assert "CHECKPOINT" in out[0] and out[1].split()[-2] == "none"
    held = lock_run_dir(folder)  # as a run training now holds it, before its first checkpoint
    assert cli.main(["runs", "--runs-dir", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-2] == "training"
    held.release()
    import torch

    from playground.training.checkpoint import Checkpoint, save_checkpoint

    weights = {"w": torch.zeros(2, 3)}
    save_checkpoint(folder / "checkpoint", Checkpoint(RunSpec(), 2, weights, {"0.exp_avg": weights["w"]}, {}))
    assert cli.main(["runs", "--runs-dir", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-2] == "yes"
    write_run_info(folder, {"step": 5, "status": "stopped"})  # stopped at step 5, past its checkpoint of step 2 (QA)
    assert cli.main(["runs", "--runs-dir", str(root)]) == 0
    listed = capsys.readouterr().out.splitlines()[1].split()
    assert listed[-2:] == ["2", str(folder)] and listed[-3] == "at" and " 5 " in f" {' '.join(listed)} "
    write_run_info(folder, {"step": 2, "status": "saved"})
    state = json.loads((folder / "checkpoint" / "state.json").read_text())
    (folder / "checkpoint" / state["model_file"]).write_bytes(b"")  # (QA: listed "yes", then refused by resume)
    assert cli.main(["runs", "--runs-dir", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-2] == "damaged"
    (tmp_path / "empty").mkdir()
    assert cli.main(["runs", "--runs-dir", str(tmp_path / "empty")]) == 0
    assert "no runs" in capsys.readouterr().err


def test_runs_command_tells_apart_runs_of_one_name_as_the_runs_tab_does(tmp_path, capsys):
    """QA: `playground runs` listed lesson 19.3's 4-head and 2-head runs both as "Lesson 19.3"; the Runs tab says what
    sets each apart, and so does the CLI now (by its start where the settings are the same)."""
    root = tmp_path / "runs"
    for heads in (4, 2):
        new_run_dir(root, RunSpec.model_validate({"name": "Lesson 19.3", "model": {"n_head": heads}}))
    same = [make_run(root, "twice", created=created) for created in (1000.0, 2000.0)]
    make_run(root, "alone")
    assert cli.main(["runs", "--runs-dir", str(root)]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    names = [row[:header.index("FAMILY")].rstrip() for row in rows]
    assert sorted(names) == sorted(["Lesson 19.3 — number of heads 4", "Lesson 19.3 — number of heads 2",
                                    f"twice — started {started_text(1000.0)}", f"twice — started {started_text(2000.0)}",
                                    "alone"])
    assert next(row for row in rows if row.endswith(str(same[0]))).startswith(f"twice — started {started_text(1000.0)}")


@pytest.mark.parametrize("option", [[], ["--runs-dir"]])
def test_runs_command_refuses_a_missing_folder_or_a_file(tmp_path, capsys, option):
    from conftest import run_cli

    from playground.core.files import elide

    missing = run_cli("runs", *option, str(tmp_path / "nonexist"))
    assert missing.returncode == 2 and missing.stderr.strip().splitlines() == [
        f"playground: error: no folder at {elide(tmp_path / 'nonexist')}: check the path"]  # (a long path elided)
    (tmp_path / "some_file.py").write_text("")
    a_file = run_cli("runs", *option, str(tmp_path / "some_file.py"))
    assert a_file.returncode == 2 and len(a_file.stderr.strip().splitlines()) == 1
    assert "is a file, not a folder" in a_file.stderr


def test_runs_command_lists_given_folders_with_full_names(tmp_path, capsys):
    long_name = "a rather long run name that used to be cut in the middle of a word"
    first = make_run(tmp_path / "here", long_name, created=2000.0)
    second = make_run(tmp_path / "there", "short", "vit", created=1000.0)
    assert cli.main(["runs", str(tmp_path / "here"), str(second), "--runs-dir", str(tmp_path / "here")]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 2  # each run once, though its folder was given twice
    assert rows[0].startswith(long_name + "  ") and rows[0].endswith(str(first))
    assert rows[1].startswith("short ") and rows[1].endswith(str(second))
    assert header.index("FAMILY") == rows[0].index("decoder") == rows[1].index("vit")  # one column width


def test_output_folder_checks_refuse_in_one_line(tmp_path):
    run = make_run(tmp_path, "earlier")
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "others").mkdir()
    (tmp_path / "others" / "notes.txt").write_text("x")
    cases = [(run, "already holds a run"), (tmp_path / "a-file", "is a file"),
             (tmp_path / "a-file" / "run", "is a file, not a folder"), (tmp_path / "others", "holds other files")]
    for folder, message in cases:
        with pytest.raises(RunsError, match=message) as caught:
            check_output_folder(folder)
        assert "\n" not in str(caught.value) and len(str(caught.value)) <= 300
    check_output_folder(run, overwrite=True)
    check_output_folder(tmp_path / "new" / "deeper")
    (tmp_path / "empty").mkdir()
    check_output_folder(tmp_path / "empty")


def test_claim_refuses_a_folder_in_use_and_overwrite_replaces_only_under_the_lock(tmp_path):
    spec = RunSpec.model_validate({"name": "second", "model": {"family": "vit"}})
    run = make_run(tmp_path, "first")
    (run / "checkpoint").mkdir()
    (run / "checkpoint" / "state.json").write_text("{}")
    with pytest.raises(RunsError, match="already holds a run"):
        claim_run_dir(run, spec)
    held = lock_run_dir(run)
    with pytest.raises(RunsError, match="in use"):
        claim_run_dir(run, spec, overwrite=True)
    with pytest.raises(RunsError, match="in use"):
        delete_run(run, tmp_path)  # never delete a run that is training
    held.release()
    lock, replacing = claim_run_dir(run, spec, overwrite=True)
    assert replacing and read_run_info(run)["name"] == "first"  # kept until the new run is built
    replace_earlier_run(run, spec)
    assert sorted(p.name for p in run.iterdir()) == sorted([LOCK_FILE, "preset.json", "run.json"])
    assert read_run_info(run)["name"] == "second"
    lock.release()
    fresh, replacing = claim_run_dir(tmp_path / "new", spec, overwrite=True)  # nothing to replace: written at once
    assert not replacing and read_run_info(tmp_path / "new")["name"] == "second"
    fresh.release()


def test_overwrite_replaces_the_earlier_runs_files_and_keeps_the_users(tmp_path):
    spec = RunSpec.model_validate({"name": "second", "model": {"family": "vit"}})
    run = make_run(tmp_path, "first")
    (run / "checkpoint").mkdir()
    (run / "checkpoint" / "state.json").write_text("{}")
    (run / "events.out.tfevents.1.host").write_text("old")
    (run / "NOTES.md").write_text("mine")
    (run / "myplots").mkdir()
    (run / "myplots" / "p.txt").write_text("mine too")
    lock, _ = claim_run_dir(run, spec, overwrite=True)
    replace_earlier_run(run, spec)
    lock.release()
    assert sorted(p.name for p in run.iterdir()) == sorted([LOCK_FILE, "NOTES.md", "myplots", "preset.json",
                                                            "run.json"])
    assert (run / "myplots" / "p.txt").read_text() == "mine too"


@pytest.mark.slow
def test_a_killed_process_never_leaves_its_run_folder_locked(tmp_path):
    run = make_run(tmp_path, "busy")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from playground.training.runs import lock_run_dir; "
                               "lock = lock_run_dir(Path(sys.argv[1])); print('locked', flush=True); time.sleep(600)",
         str(run)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunsError, match="in use"):
            lock_run_dir(run)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
    lock_run_dir(run).release()


def test_checkpoint_folder_says_what_is_missing_without_loading(tmp_path):
    run = make_run(tmp_path, "young")
    for folder, message in [(tmp_path / "nowhere", "no run folder at"), (tmp_path / "nowhere" / ".." / "x", "no run"),
                            (run, "has no checkpoint yet"), (tmp_path, "not a run folder")]:
        with pytest.raises(RunsError, match=message):
            checkpoint_folder(folder)
    lock = lock_run_dir(run)  # a run training in it, before its first checkpoint (QA: told to `train --overwrite`)
    try:
        with pytest.raises(RunsError, match="is training now and has saved no checkpoint yet") as refused:
            checkpoint_folder(run)
        assert "--overwrite" not in str(refused.value)
    finally:
        lock.release()
    with pytest.raises(RunsError, match="has no checkpoint yet"):  # stopped: train it again
        checkpoint_folder(run)
    (run / "checkpoint").mkdir()  # its weights saved, its state.json lost (CLI QA: told to --overwrite them)
    (run / "checkpoint" / "model.safetensors").write_bytes(b"weights")
    with pytest.raises(RunsError, match="checkpoint is damaged: checkpoint/state.json is missing") as refused:
        checkpoint_folder(run)
    assert "--overwrite" not in str(refused.value) and "--out NEW_FOLDER" in str(refused.value)
    (run / "checkpoint" / "model.safetensors").unlink()
    write_run_info(run, {"status": "diverged"})
    with pytest.raises(RunsError, match="diverged before its first good one"):
        checkpoint_folder(run)
    (run / "checkpoint" / "state.json").write_text("{}")
    assert checkpoint_folder(run) == checkpoint_folder(run / "checkpoint") == run / "checkpoint"


def test_a_preset_file_an_older_version_wrote_is_not_taken_for_an_edit(tmp_path):
    """Review: preset_edited compared the file's settings as this version writes them with the digest of the bytes an
    older version wrote (a field added since, with its default, made every old run 'edited', and Resume refused)."""
    import hashlib
    import json

    from playground.training.runs import preset_edited

    run = make_run(tmp_path, "old")
    data = json.loads((run / "preset.json").read_text())
    del data["model"]["freeze_layers"]  # a field this version added, with its default
    text = json.dumps(data, indent=2) + "\n"
    (run / "preset.json").write_text(text)
    write_run_info(run, {"preset_sha256": hashlib.sha256(text.encode()).hexdigest()})
    assert not preset_edited(run)
    data["train"]["lr"] = 0.5
    (run / "preset.json").write_text(json.dumps(data))  # a setting changed: edited
    assert preset_edited(run)


def test_a_runs_samples_are_kept_to_be_shown_again_and_resume_drops_those_past_its_checkpoint(tmp_path):
    """QA: the Samples tab was empty after Undo or a Resume of a run that had drawn samples."""
    folder = tmp_path / "run"
    folder.mkdir()
    log = SamplesLog(folder)
    assert not (folder / SAMPLES_FILE).exists()  # made at the first sample: an untrained run's folder stays new
    log(StatusEvent("not a sample"))
    drawn = [SampleEvent(1, "", "xq\"z"), SampleEvent(250, "To be", ", or not — ünïcode\n"), SampleEvent(500, "", "c")]
    for event in drawn:
        log(event)
    assert read_samples(folder) == drawn
    with open(folder / SAMPLES_FILE, "a", encoding="utf-8") as handle:
        handle.write('{"step": 750, "prom')  # a write cut off by a kill: left out
    assert read_samples(folder) == drawn
    SamplesLog(folder, resume_from_step=250)  # resumed from step 250's checkpoint
    assert read_samples(folder) == drawn[:2]
    SamplesLog(folder)  # a new run in the folder
    assert read_samples(folder) == []
    assert read_samples(tmp_path / "missing") == []


def test_a_damaged_metrics_file_hides_no_run_and_resume_keeps_its_readable_rows(tmp_path, capsys):
    """QA: random bytes in one run's metrics.csv emptied the Runs tab and `playground runs` ("'utf-8' codec can't
    decode byte 0xc9"); a row "abc,def" or a metrics.csv that is a folder stopped resume with Python's own words."""
    root = tmp_path / "runs"
    make_run(root, "good", losses=(3.0, 2.0), val_at=(2,), created=1000.0)
    garbled = make_run(root, "garbled", losses=(3.0, 2.5, 2.0), val_at=(2,), created=2000.0)
    metrics = garbled / "metrics.csv"
    header_and_two_steps = metrics.read_text().splitlines()[:3]
    metrics.write_bytes(metrics.read_bytes() + b"\xc9\x00\xff,junk\nabc,def\n\xc2\xb2,3\n")  # "²": no step
    folder = make_run(root, "a folder", created=3000.0)
    (folder / "metrics.csv").unlink()
    (folder / "metrics.csv").mkdir()
    runs = {r.name: r for r in list_runs(root)}
    assert set(runs) == {"good", "garbled", "a folder"}
    assert (runs["garbled"].steps, runs["garbled"].val_loss) == (3, 2.75) and runs["good"].val_loss == 2.25
    assert cli.main(["runs", "--runs-dir", str(root)]) == 0 and "garbled" in capsys.readouterr().out
    MetricsLog(garbled, resume_from_step=2).close()  # a resume keeps the readable rows up to its checkpoint
    assert metrics.read_text().splitlines() == header_and_two_steps
    with pytest.raises(RunsError, match="metrics.csv cannot be read: move it out of the run folder and resume again"):
        MetricsLog(folder, resume_from_step=2)


def test_a_spreadsheets_save_of_the_metrics_is_read_and_opening_its_finished_run_rewrites_nothing(tmp_path):
    """QA: saved as a spreadsheet's "CSV UTF-8" (a byte-order mark, CRLF), opening the finished run rewrote
    metrics.csv to its header alone; a header "Step" did the same, and a column the user added was dropped."""
    folder = make_run(tmp_path / "runs", "sheet", losses=(3.0, 2.5, 2.0), val_at=(2,))
    metrics = folder / "metrics.csv"
    lines = metrics.read_text().splitlines()
    saved = "\r\n".join([lines[0].replace("step", "Step", 1) + ",notes"] + [f"{line},ok" for line in lines[1:]])
    metrics.write_bytes(b"\xef\xbb\xbf" + saved.encode() + b"\r\n")
    before = metrics.read_bytes()
    assert [row["step"] for row in read_metrics(folder)] == ["1", "2", "3"]
    assert list_runs(tmp_path / "runs")[0].val_loss == 2.75
    MetricsLog(folder, resume_from_step=3).close()  # opened to look at, at its last step
    assert metrics.read_bytes() == before
    MetricsLog(folder, resume_from_step=2).close()  # resumed from an earlier checkpoint: step 3 goes, notes stay
    rows = read_metrics(folder)
    assert [(row["step"], row["notes"]) for row in rows] == [("1", "ok"), ("2", "ok")]
    assert rows[1]["val_loss"] == "2.75"


@pytest.mark.parametrize("saved", ["no last newline", "a column among ours"])
def test_rows_appended_to_a_metrics_file_saved_otherwise_read_right(tmp_path, saved):
    """Review: appended as written, a spreadsheet's save without a last newline joined the next row to its last one,
    and a column of the user's among ours took the next rows' losses."""
    folder = make_run(tmp_path / "runs", "sheet", losses=(3.0, 2.5), val_at=(2,))
    metrics = folder / "metrics.csv"
    lines = metrics.read_text().splitlines()
    if saved == "no last newline":
        metrics.write_text("\r\n".join(lines))
    else:
        metrics.write_text("\n".join(line.replace(",", ",x,", 1) for line in lines).replace("step,x,", "step,notes,", 1)
                           + "\n")
    log = MetricsLog(folder, resume_from_step=2)
    log(MetricsEvent(step=3, max_steps=10, train_loss=2.0, lr=1e-3, throughput=10.0, unit="tokens", elapsed_s=0.3,
                     eta_s=1.0))
    log.close()
    assert [(row["step"], float(row["train_loss"])) for row in read_metrics(folder)] == [("1", 3.0), ("2", 2.5),
                                                                                          ("3", 2.0)]


def test_a_metrics_file_that_cannot_be_written_is_said_with_what_to_do(tmp_path, monkeypatch):
    """QA: a read-only metrics.csv ended `playground resume` with "[Errno 13] Permission denied: '…/metrics.csv'"."""
    import builtins

    folder = make_run(tmp_path / "runs", "read only", losses=(3.0, 2.0))
    real_open = builtins.open

    def read_only(path, mode="r", *args, **kwargs):
        if str(path).endswith("metrics.csv") and "a" in mode:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only)
    with pytest.raises(RunsError, match=r"cannot write .*metrics.csv \(Permission denied\), where the run's losses "
                                        r"are kept as it trains: make it writable"):
        MetricsLog(folder, resume_from_step=2)


def test_a_metrics_file_of_its_header_alone_resumes(tmp_path):
    """A full disk's metrics.csv (its header, no row, no last newline) stopped a resume with "list index out of range"."""
    folder = make_run(tmp_path / "runs", "full disk", losses=())
    metrics = folder / "metrics.csv"
    metrics.write_text(metrics.read_text().rstrip("\n"))
    MetricsLog(folder, resume_from_step=2).close()
    assert metrics.read_text().splitlines() == [",".join(METRIC_COLUMNS)]


def test_a_resumed_metrics_file_ends_every_row_alike(tmp_path):
    """QA: every resumed metrics.csv mixed the rows kept ("\\n") with the rows appended ("\\r\\n")."""
    from playground.training.events import MetricsEvent

    folder = tmp_path / "run"
    folder.mkdir()
    for resume_from, steps in ((None, (1, 2)), (1, (2,))):  # trained to step 2, resumed from step 1's checkpoint
        log = MetricsLog(folder, resume_from_step=resume_from)
        for step in steps:
            log(MetricsEvent(step=step, max_steps=2, train_loss=1.0 / step, lr=1e-3, throughput=10.0, unit="tokens",
                             elapsed_s=float(step), eta_s=0.0))
        log.close()
    data = (folder / "metrics.csv").read_bytes()
    assert b"\r" not in data and data.count(b"\n") == 3  # the header, step 1 kept, step 2 trained again


def test_a_damaged_run_description_gets_its_name_back_from_the_preset_when_written(tmp_path):
    """QA: `resume` on a run.json holding "[1" wrote {"step": 23, "status": "saved"} alone: the name was lost."""
    folder = make_run(tmp_path / "runs", "my run", "encoder")
    (folder / "run.json").write_text("[1")
    write_run_info(folder, {"step": 3, "status": "saved"})
    summary = list_runs(tmp_path / "runs")[0]
    assert (summary.name, summary.family, summary.steps, summary.status) == ("my run", "encoder", 3, "saved")
    assert summary.created == (folder / "preset.json").stat().st_mtime  # when it started, not when it was written


def test_a_stop_under_torchrun_leaves_termination_to_torchrun():
    """Review: under torchrun the other ranks end at once on SIGTERM; rank 0 must not wait for them in a step."""
    import signal as signals

    before = signals.getsignal(signals.SIGTERM)
    with cli._StopOnCtrlC(terminate=False):
        assert signals.getsignal(signals.SIGTERM) is before and signals.getsignal(signals.SIGINT) != signals.default_int_handler
    with cli._StopOnCtrlC():
        assert signals.getsignal(signals.SIGTERM) is not before
    assert signals.getsignal(signals.SIGTERM) is before


def test_a_metrics_file_that_cannot_be_opened_hides_no_other_run(tmp_path, monkeypatch):
    """Review: an open() failure (a file of another user's) escaped as PermissionError and emptied the Runs tab."""
    from playground.training import runs

    make_run(tmp_path / "runs", "mine")

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(runs, "open", refused, raising=False)
    [summary] = list_runs(tmp_path / "runs")
    assert summary.name == "mine" and summary.val_loss is None


def test_a_run_whose_metrics_header_arrives_while_it_is_read_is_listed_without_rows(tmp_path, monkeypatch):
    """A full test run: the Runs tab read a run just made, its metrics.csv still empty, and its header
    arrived between the reader's two reads of it: csv.DictReader raised TypeError in the window's timer."""
    import csv

    from playground.training import runs

    folder = make_run(tmp_path / "runs", "just made", losses=())
    metrics = folder / runs.METRICS_FILE
    metrics.write_text("", encoding="utf-8")  # made, nothing written yet

    reader = csv.DictReader  # (runs.csv is the csv module: the patch below replaces it there too)

    class WriterInBetween(reader):
        """Its header read finds the file empty; then the run's writer adds its header."""

        @property
        def fieldnames(self):
            names = reader.fieldnames.fget(self)
            if names is None and not metrics.read_text(encoding="utf-8"):
                metrics.write_text("step,train_loss\n", encoding="utf-8")
            return names

        @fieldnames.setter
        def fieldnames(self, value):
            reader.fieldnames.fset(self, value)

    monkeypatch.setattr(runs.csv, "DictReader", WriterInBetween)
    [summary] = list_runs(tmp_path / "runs")
    assert summary.name == "just made" and summary.steps == 0  # its rows are read at the next refresh
    with open(metrics, "a", encoding="utf-8") as handle:
        handle.write("1,3.0\n")
    assert [row["step"] for row in runs.read_metrics(folder)] == ["1"]


def test_two_threads_updating_a_run_json_keep_both_updates(tmp_path, monkeypatch):
    """The window renames a run on its GUI thread while the run's thread writes its step as it stops: each read the
    file, and the later write dropped the other's update (a resume test lost its step)."""
    from playground.training import runs

    folder = make_run(tmp_path, "racing")
    slow_read = runs.read_run_info

    def read_slowly(where):
        info = slow_read(where)
        time.sleep(0.05)  # both threads read before either writes, where nothing keeps them apart
        return info

    monkeypatch.setattr(runs, "read_run_info", read_slowly)
    writers = [threading.Thread(target=write_run_info, args=(folder, update))
               for update in ({"name": "renamed"}, {"step": 7, "status": "saved"})]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert info["name"] == "renamed" and info["step"] == 7


def test_a_read_only_run_folder_is_refused_before_a_resume_with_what_to_do(tmp_path, monkeypatch, capsys):
    """QA: `playground resume` on a run folder made read-only said "[Errno 13] Permission denied:
    '…/.changes.json.4cc59960.tmp'", and on a read-only disk "choose a folder you can write to", which resume cannot."""
    run = make_run(tmp_path / "runs", "read only")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != run and real_access(path, mode))
    with pytest.raises(RunsError, match="is read-only for you, and a run saves its checkpoints in it: copy the whole "
                                        "folder where you can write and resume the copy"):
        lock_run_dir(run)
    (run / "checkpoint").mkdir()
    (run / "checkpoint" / "state.json").write_text("{}")
    assert cli.main(["resume", str(run)]) == 2
    assert "is read-only for you" in capsys.readouterr().err
    with pytest.raises(RunsError, match="is read-only for you, so it cannot be deleted from here$"):  # (QA: resume's)
        delete_run(run, tmp_path / "runs")
    assert run.is_dir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != run / "checkpoint" and real_access(path, mode))
    with pytest.raises(RunsError, match="is read-only for you"):  # its checkpoint folder alone (QA: trained, then
        lock_run_dir(run)  # could not save)


def test_a_run_that_cannot_be_renamed_says_why(tmp_path, monkeypatch):
    """QA: renaming a read-only run raised PermissionError in the window, the name unchanged and nothing said."""
    from playground.training import runs

    run = make_run(tmp_path / "runs", "kept")

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(runs, "write_run_info", read_only)
    with pytest.raises(RunsError, match=r"cannot rename the run: its name is kept in .*run.json, which cannot be "
                                        r"written \(Permission denied\)"):
        rename_run(run, "new name")


def test_runs_table_stays_in_line_with_a_name_of_wide_characters(tmp_path, capsys):
    """Newcomer QA: a run named in Japanese put the table's columns out of line (each character takes two columns)."""
    root = tmp_path / "runs"
    make_run(root, "日本語の実行", "encoder", losses=(3.0, 2.0), val_at=(2,))
    make_run(root, "an English name, longer", "encoder", losses=(3.0, 2.0), val_at=(2,))
    assert cli.main(["runs", "--runs-dir", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len({cli._columns_of(line[:line.index(word)]) for line, word in zip(lines, ["FAMILY", "encoder", "encoder"])}) == 1
