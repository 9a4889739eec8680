"""Run folders: listing, renaming and the guarded delete; `playground runs`."""

from __future__ import annotations


import pytest

from playground import cli
from playground.core.spec import RunSpec
from playground.training.events import MetricsEvent
from playground.training.runs import (
    RunsError,
    default_runs_dir,
    delete_run,
    list_runs,
    new_run_dir,
    read_run_info,
    rename_run,
    write_run_info,
)
from playground.training.runs import MetricsLog


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
    assert cli.main(["runs", "--runs-dir", str(tmp_path / "none")]) == 0
    assert "no runs" in capsys.readouterr().err
