"""Reading a checkpoint folder: every file bounded, state.json naming only plain files inside the folder."""

import json
import os

import pytest
import torch

from playground.core.spec import RunSpec
from playground.training import checkpoint as ckpt_io
from playground.training.checkpoint import load_checkpoint
from playground.training.checkpoint_state import is_plain_name


def saved_checkpoint(folder, step: int = 3):
    weights = {"w": torch.arange(6.0).reshape(2, 3)}
    ckpt_io.save_checkpoint(folder, ckpt_io.Checkpoint(RunSpec(), step, weights, {"0.exp_avg": weights["w"]}, {}))
    return folder


def edit_state(folder, **changes):
    state = json.loads((folder / "state.json").read_text())
    state.update(changes)
    (folder / "state.json").write_text(json.dumps(state))


def refused(folder, match: str) -> str:
    with pytest.raises(ValueError, match=match) as caught:  # CheckpointError, or core.files' UnreadableFile
        load_checkpoint(folder)
    message = str(caught.value)
    assert "\n" not in message and len(message) <= 300
    return message


def test_a_saved_checkpoint_loads_as_saved(tmp_path):
    saved = load_checkpoint(saved_checkpoint(tmp_path / "ckpt", step=7))
    assert saved.step == 7 and torch.equal(saved.model["w"], torch.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("name", ["/etc/passwd", "../x.safetensors", "sub/model.safetensors", "a\\b", "..", ".",
                                  "", None, 5, ["model.safetensors"], "x" * 300])
def test_state_may_name_only_plain_files_inside_the_folder(tmp_path, name):
    folder = saved_checkpoint(tmp_path / "ckpt")
    edit_state(folder, model_file=name)
    refused(folder, "not a plain file name inside the checkpoint folder")
    assert not is_plain_name(name)


@pytest.mark.parametrize("step, why", [(-5, "not a whole number"), (None, "not a whole number"),
                                       (True, "not a whole number"), (2.5, "not a whole number")])
def test_a_bad_step_is_refused_in_one_line(tmp_path, step, why):
    folder = saved_checkpoint(tmp_path / "ckpt")
    edit_state(folder, step=step)
    refused(folder, why)


def test_special_files_and_links_are_refused_by_name(tmp_path):
    folder = saved_checkpoint(tmp_path / "ckpt")
    state = json.loads((folder / "state.json").read_text())
    model = folder / state["model_file"]
    model.unlink()
    os.mkfifo(model)  # a pipe: opening it would wait for a writer forever
    refused(folder, "not a regular file")
    model.unlink()
    model.symlink_to("/etc/hostname")
    refused(folder, "not a regular file")
    model.unlink()
    refused(folder, "is missing")


def test_state_json_is_read_bounded(tmp_path):
    folder = saved_checkpoint(tmp_path / "ckpt")
    (folder / "state.json").unlink()
    os.mkfifo(folder / "state.json")
    refused(folder, "pipe")
    (folder / "state.json").unlink()
    (folder / "state.json").symlink_to("/dev/zero")
    refused(folder, "device")
    (folder / "state.json").unlink()
    (folder / "state.json").write_text(json.dumps({"step": 1, "spec": {}, "pad": "x" * 5_000_000}))
    refused(folder, "larger than")
    (folder / "state.json").write_text("[" * 100_000)
    refused(folder, "damaged .nested too deep to read.")


def test_a_huge_sparse_weights_file_is_refused_before_loading(tmp_path):
    folder = saved_checkpoint(tmp_path / "ckpt")
    state = json.loads((folder / "state.json").read_text())
    with open(folder / state["model_file"], "r+b") as handle:
        handle.truncate(1 << 40)  # a terabyte that takes no disk: more than this machine's free memory
    refused(folder, "of memory is free")


def test_a_damaged_optimizer_file_stops_only_what_needs_it(tmp_path):
    run = tmp_path / "run"
    folder = saved_checkpoint(run / "checkpoint")
    (run / "preset.json").write_text("{}")
    optimizer = folder / json.loads((folder / "state.json").read_text())["optimizer_file"]
    optimizer.write_bytes(optimizer.read_bytes()[:20])
    weights_only = load_checkpoint(folder, optimizer=False)  # sample, export and attention read no more
    assert weights_only.optimizer == {} and torch.equal(weights_only.model["w"], torch.arange(6.0).reshape(2, 3))
    message = refused(folder, "is damaged")
    assert f"playground train {run / 'preset.json'} --out NEW_FOLDER" in message and "earlier" not in message


def test_weights_are_written_from_their_own_memory_and_only_shared_or_partial_ones_copied(tmp_path, monkeypatch):
    """QA: a 3 GB model's checkpoint cloned every tensor and built the whole file in memory as well, and the
    process was killed for lack of memory after the step it had waited for."""
    from safetensors.torch import load_file

    from playground.core import tensor_files

    written = []
    real_save_file = tensor_files.save_file
    monkeypatch.setattr(tensor_files, "save_file",
                        lambda tensors, path, metadata=None: (written.append(tensors), real_save_file(tensors, path,
                                                                                                      metadata)))
    weight, row = torch.randn(4, 3), torch.randn(10)
    tensors = {"weight": weight, "tied": weight, "view": row[2:5], "moment": torch.zeros(6)}
    tensor_files.write_safetensors(tmp_path / "w.safetensors", tensors)
    given = written[0]
    assert given["weight"].data_ptr() == weight.data_ptr()  # not copied
    assert given["moment"].data_ptr() == tensors["moment"].data_ptr()
    assert given["tied"].data_ptr() != weight.data_ptr() and given["view"].data_ptr() != row.data_ptr() + 8
    loaded = load_file(tmp_path / "w.safetensors")
    assert all(torch.equal(loaded[name], tensors[name]) for name in tensors)
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]  # no temporary left


def test_a_save_killed_midway_leaves_only_what_the_run_folders_clean_up_removes(tmp_path):
    """Review: safetensors writes a temporary of its own beside the name it is given (".tmpXXXXXX"); killed, a
    model-sized file stayed for good. It is written inside a staging folder named as a temporary file is."""
    import signal
    import subprocess
    import sys
    import time

    from playground.training.runs import remove_temporaries

    code = ("import torch; from playground.core.tensor_files import write_safetensors; "
            f"write_safetensors({str(tmp_path / 'w.safetensors')!r}, {{'a': torch.ones(64, 1024, 1024)}})")
    saving = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60

    def writing() -> bool:  # safetensors' own temporary, inside the staging folder (not our mode probe before it)
        try:
            return any(entry.name.startswith(".tmp") for path in tmp_path.iterdir() if path.is_dir()
                       for entry in path.iterdir())
        except FileNotFoundError:
            return False

    while not writing():
        assert saving.poll() is None and time.monotonic() < deadline, "the save ended before it could be killed"
        time.sleep(0.01)
    saving.send_signal(signal.SIGKILL)
    saving.wait()
    assert not (tmp_path / "w.safetensors").exists() and any(tmp_path.iterdir())
    remove_temporaries(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_state_says_to_train_again_as_there_is_no_earlier_checkpoint(tmp_path):
    """QA: "use an earlier checkpoint", where a run keeps one only."""
    run = tmp_path / "run"
    folder = saved_checkpoint(run / "checkpoint")
    (run / "preset.json").write_text("{}")
    (folder / "state.json").write_text("{not json")
    message = refused(folder, r"state\.json is damaged \(Expecting property name enclosed in double quotes at line 1\)")
    assert "no other checkpoint is kept; train again: playground train" in message  # (QA: the error cut mid-word)
    assert "--out NEW_FOLDER" in message and "earlier" not in message
    (run / "preset.json").write_text("garbage")  # (newcomer QA: offered again, the command refused it as not JSON)
    message = refused(folder, r"state\.json is damaged")
    assert "preset.json --out" not in message and message.endswith(
        "train again: playground train PRESET --out NEW_FOLDER with a preset of yours (its preset.json is damaged "
        "too)")


def test_a_runs_data_file_is_looked_for_as_its_reader_reads_it(tmp_path, monkeypatch):
    """Review: a data path written with "~" (kept so in the run's settings, expanded when read) was called gone."""
    from playground.core.spec import make_spec

    monkeypatch.setenv("HOME", str(tmp_path))
    spec = make_spec({"data": {"name": "text_file", "path": "~/mine.txt"}})
    with pytest.raises(ckpt_io.CheckpointError, match="this run trained on ~/mine.txt, which is no longer there"):
        ckpt_io.check_data_there(spec)
    (tmp_path / "mine.txt").write_text("here")
    ckpt_io.check_data_there(spec)  # there: nothing to say


def test_the_windows_resume_check_reads_a_checkpoint_without_torch(tmp_path):
    """The window checks a run before the model on screen goes, on its own thread: importing torch there (the
    checks lived beside the tensor loading) froze a launch's Resume Last Run while PyTorch loaded behind it."""
    import subprocess
    import sys

    saved_checkpoint(tmp_path / "checkpoint")
    code = ("import sys\n"
            "from playground.training.checkpoint_state import check_resumable\n"
            f"check_resumable({str(tmp_path / 'checkpoint')!r})\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]


def test_a_setting_of_the_wrong_type_in_state_json_is_said_as_the_files_damage(tmp_path):
    """QA: "n_layer": "two" in state.json was said as "number of layers (model.n_layer): input should be a valid
    integer", as if the user had just typed it, by resume, sample, export, attention and the window alike."""
    from playground.training.checkpoint_state import check_resumable

    folder = saved_checkpoint(tmp_path / "checkpoint")
    state = json.loads((folder / "state.json").read_text())
    edit_state(folder, spec={**state["spec"], "model": {**state["spec"]["model"], "n_layer": "two"}})
    for read in (load_checkpoint, check_resumable):
        with pytest.raises(ValueError, match=r"state\.json holds settings this version cannot read \(.*number of "
                                             r"layers.*\): no other checkpoint"):
            read(folder)
