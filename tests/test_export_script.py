"""A run exported as one plain PyTorch script: it rebuilds the run, and trained anew it draws the run's curve."""

from __future__ import annotations

import ast
import contextlib
import csv
import functools
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from playground.cli import main
from playground.core.presets import load_preset
from playground.export import script as script_export
from playground.export.script import ScriptExportError, check_scriptable, export_script
from playground.training.session import TrainingSession

# Only these may be imported by an exported script: torch, numpy and the standard library.
ALLOWED_IMPORTS = {"argparse", "json", "math", "re", "dataclasses", "pathlib", "numpy", "torch", "pydoc_data"}
# Run a script with the playground and the libraries it must not need made unimportable.
RUN_BARE = ("import runpy, sys\n"
            "for name in ('playground', 'transformers', 'safetensors', 'sklearn', 'PIL'):\n"
            "    sys.modules[name] = None\n"
            "sys.argv = sys.argv[1:]\n"
            "runpy.run_path(sys.argv[0], run_name='__main__')\n")
# RUN_BARE as from a terminal, where Ctrl-C raises KeyboardInterrupt: a suite started in the background by a shell
# without job control ignores SIGINT, its children inherit that, and the Ctrl-C test waited out its 120 s.
RUN_BARE_AT_A_TERMINAL = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n" + RUN_BARE
TINY_CLI = ["--steps", "30", "--set", "model.n_embd=32", "--set", "model.d_ff=64", "--set", "train.batch_size=16",
            "--set", "train.eval_interval=10", "--set", "train.precision=fp32", "--set", "train.compile=off",
            "--set", "train.device=cpu"]


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The exported script in a process of its own, where the playground and its libraries cannot be imported."""
    done = subprocess.run([sys.executable, "-c", RUN_BARE, str(script), *args], cwd=script.parent,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def read_metrics(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


CURVES = {
    "decoder-reverse": ("decoder-reverse", []),
    # padded rows (5 symbols in a context of 12), LayerNorm before the sub-layers, sine positions, unscaled scores
    "encoder-sort-ablated": ("encoder-sort", ["--set", 'data.options={"length": 5}', "--set", "model.norm=pre",
                                              "--set", "model.pos_encoding=sinusoidal",
                                              "--set", "model.scale_scores=false"]),
    # a validation set small enough to be scored whole (204 rows in 8 batches of 32), as the playground scores it
    "encoder-sentiment": ("encoder-sentiment", ["--set", "train.batch_size=32"]),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Callable[[str], tuple[Path, Path]]:
    """`exported(curve)`: (run folder, script), the curve's preset trained for 30 steps (warm-up, decay, three
    validations) with `playground train`, then exported; once for this module in any test order. The commands'
    `main` runs in this process: the script's own process is what these tests are about."""

    @functools.cache
    def export(curve: str) -> tuple[Path, Path]:
        preset, changes = CURVES[curve]
        root = tmp_path_factory.mktemp(curve)
        run_dir, script = root / "run", root / "train_mine.py"
        printed = io.StringIO()
        with contextlib.redirect_stderr(printed):
            assert main(["train", preset, "--out", str(run_dir), *TINY_CLI, *changes]) == 0, printed.getvalue()
            assert main(["export", str(run_dir), "--format", "script", "--out", str(script)]) == 0, printed.getvalue()
        assert "train_mine.safetensors" in printed.getvalue()
        return run_dir, script

    return export


@pytest.mark.slow
@pytest.mark.parametrize("curve", list(CURVES))
def test_script_trained_from_scratch_draws_the_runs_curve(exported, curve):
    run_dir, script = exported(curve)
    run_script(script, "--from-scratch", "--metrics", "curve.csv")
    ours = read_metrics(run_dir / "metrics.csv")
    theirs = read_metrics(script.parent / "curve.csv")
    assert [row["step"] for row in theirs] == [row["step"] for row in ours]
    for mine, run_row in zip(theirs, ours):
        assert float(mine["lr"]) == pytest.approx(float(run_row["lr"]), rel=1e-5)
        assert float(mine["train_loss"]) == pytest.approx(float(run_row["train_loss"]), rel=1e-3), mine["step"]
    validated = [(mine, run_row) for mine, run_row in zip(theirs, ours) if run_row["val_loss"]]
    assert [m["step"] for m, _ in validated] == ["10", "20", "30"]
    assert all(m["val_loss"] for m, _ in validated)
    final_mine, final_run = validated[-1]
    assert float(final_mine["val_loss"]) == pytest.approx(float(final_run["val_loss"]), rel=0.01)
    assert float(final_run["val_loss"]) < float(ours[0]["train_loss"])  # the run learned: a curve, not a flat line


@pytest.mark.slow
@pytest.mark.parametrize("curve", list(CURVES))
def test_script_with_the_trained_weights_evaluates_to_the_runs_last_validation_loss(exported, curve):
    run_dir, script = exported(curve)
    printed = run_script(script).stdout
    found = re.search(r"val loss (\d+\.\d+)", printed)
    assert found, printed
    last = [row for row in read_metrics(run_dir / "metrics.csv") if row["val_loss"]][-1]
    assert float(found.group(1)) == pytest.approx(float(last["val_loss"]), abs=1e-4)


@pytest.mark.slow
def test_the_script_says_what_it_does_with_missing_damaged_or_unneeded_inputs(exported, tmp_path):
    """QA: with its weights beside it, --metrics wrote nothing without a word; without them it trained from scratch
    silently; a damaged weights file, another run's, and --device foo ended in tracebacks."""
    import shutil

    _run_dir, exported_script = exported("decoder-reverse")
    script = Path(shutil.copy(exported_script, tmp_path / exported_script.name))
    weights = script.with_suffix(".safetensors")
    shutil.copy(exported_script.with_suffix(".safetensors"), weights)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", RUN_BARE, str(script), *args], cwd=tmp_path, timeout=600,
                              env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True)

    said = run("--metrics", "m.csv")
    assert said.returncode == 0 and "m.csv is not written: --metrics records training" in said.stdout, said.stderr
    assert run("--device", "foo").returncode == 2
    weights.write_bytes(weights.read_bytes()[:500])
    damaged = run()
    assert damaged.returncode == 1 and "Traceback" not in damaged.stderr
    assert f"cannot load {weights.name}" in damaged.stderr and "--from-scratch" in damaged.stderr
    weights.unlink()
    fresh = run()
    assert fresh.returncode == 0 and f"no {weights.name} beside the script: training anew from seed" in fresh.stdout


@pytest.mark.slow
@pytest.mark.parametrize("curve", list(CURVES))
def test_script_imports_only_torch_numpy_and_the_standard_library(exported, curve):
    _, script = exported(curve)
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= ALLOWED_IMPORTS, imported - ALLOWED_IMPORTS


TINY = {"model.n_layer": 2, "model.n_embd": 16, "model.n_head": 2, "model.d_ff": 32, "train.batch_size": 4,
        "train.max_steps": 3, "train.warmup_steps": 0, "train.device": "cpu", "train.eval_batches": 1,
        "train.eval_interval": 3, "train.precision": "fp32", "train.compile": "off"}


def tiny_run(tmp_path: Path, preset: str, **changes) -> Path:
    spec = load_preset(preset).updated({**TINY, **changes})
    run_dir = tmp_path / "run"
    session = TrainingSession(spec, run_dir=run_dir)
    try:
        for _ in session.run():
            pass
        session.save()
    finally:
        session.close()
    return run_dir


# (preset, changes, text the script must hold, text it must not): only the branches the settings use
FAMILIES = {
    "decoder-pydoc": ("decoder-pydoc", {}, ["pydoc_data", "class Decoder", "self.causal", "norm_f"],
                      ["key_mask", "Dropout", "Encoder"]),
    "encoder-mlm-pydoc": ("encoder-mlm-pydoc", {}, ["class MLMHead", "MASK_RATE", "x = self.norm1(x + self.attn(x))"],
                          ["causal", "norm_f"]),
    "encoder-sentiment": ("encoder-sentiment", {}, ["class Pooler", "EXAMPLES = [", "key_mask", "split_rows"],
                          ["causal"]),
    "vit-digits": ("vit-digits", {}, ["class ViT", "PIXELS", "class PatchEmbedding"], ["causal", "key_mask"]),
    "vit-shapes-ablated": ("vit-shapes", {"model.norm": "post", "model.freeze_layers": 1},
                           ["def shapes(", "freeze_lower_layers(model)", "x = self.norm2(x + self.ffn(x))"],
                           ["PIXELS", "norm_f"]),
    "decoder-zen-ablated": ("decoder-pydoc", {"data.name": "zen", "model.norm": "none", "model.residual": False,
                                              "model.pos_encoding": "none", "model.causal": False,
                                              "model.scale_scores": False},
                            ["ZEN = (", "x = self.attn(x)", "x = self.ffn(x)"],
                            ["nn.LayerNorm", "causal", "pos_emb", "math.sqrt(self.head_dim)"]),
    "encoder-pronoun-dropout": ("encoder-sentiment", {"data.name": "pronoun", "model.dropout": 0.1},
                                ["VAL_HELD_OUT = 800", "self.attn_drop(weights)"], ["default_rng"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(FAMILIES))
def test_every_family_and_ablation_exports_a_script_that_rebuilds_the_run(tmp_path, case):
    preset, changes, present, absent = FAMILIES[case]
    run_dir = tiny_run(tmp_path, preset, **changes)
    result = export_script(run_dir, tmp_path / "mine.py")  # checks batches, initial weights and logits itself
    text = result.script.read_text(encoding="utf-8")
    assert result.weights == tmp_path / "mine.safetensors" and result.weights.exists()
    for piece in present:
        assert piece in text, piece
    for piece in absent:
        assert piece not in text, piece
    code = text.split("# ----- the run's data")[0]  # embedded data lines may be longer
    assert max(len(line) for line in code.splitlines()) <= 120
    compile(text, str(result.script), "exec")
    assert bool(result.notes) == bool(changes.get("model.dropout")), result.notes


@pytest.mark.slow
def test_a_script_that_would_not_rebuild_the_run_is_refused_and_removed(tmp_path, monkeypatch):
    run_dir = tiny_run(tmp_path, "encoder-reverse")
    wrong = script_export.model_source

    def other_init(*args, **kwargs):
        return wrong(*args, **kwargs).replace("std=0.02)", "std=0.03)")

    monkeypatch.setattr(script_export, "model_source", other_init)
    with pytest.raises(ScriptExportError, match="initial"):
        export_script(run_dir, tmp_path / "mine.py")
    assert not (tmp_path / "mine.py").exists() and not (tmp_path / "mine.safetensors").exists()


@pytest.mark.slow
def test_from_scratch_leaves_the_weights_out_and_the_script_trains(tmp_path):
    run_dir = tiny_run(tmp_path, "decoder-reverse")
    result = export_script(run_dir, tmp_path / "fresh.py", from_scratch=True)
    assert result.weights is None and not (tmp_path / "fresh.safetensors").exists()
    printed = run_script(result.script).stdout
    assert re.search(r"step +3 \| train loss \d", printed), printed


def test_every_model_setting_is_one_the_script_writes():
    """A new ModelSpec field must be written by script_model.py (or refused): this names the ones known."""
    from playground.core.spec import ModelSpec

    assert set(ModelSpec.model_fields) == {
        "family", "n_embd", "n_head", "n_layer", "d_ff", "block_size", "image_size", "patch_size", "dropout",
        "pos_encoding", "residual", "norm", "causal", "scale_scores", "pretrained", "freeze_layers"}


@pytest.mark.slow
def test_pretrained_runs_and_wrong_names_are_refused_in_one_line(tmp_path, capsys):
    with pytest.raises(ScriptExportError, match="transformers") as refused:
        check_scriptable(load_preset("bert-pronoun"))
    assert "\n" not in str(refused.value) and len(str(refused.value)) <= 300
    assert "File > Export > Model as Hugging Face folder" in str(refused.value)  # the window's way, too (QA)
    assert "the pretrained MiniLM (all-MiniLM-L6-v2)," in str(refused.value)  # its name as the window says it (QA)
    run_dir = tiny_run(tmp_path, "decoder-reverse")
    assert main(["export", str(run_dir), "--format", "script", "--out", str(tmp_path / "mine.txt")]) == 2
    refused_line = capsys.readouterr().err
    assert ".py" in refused_line and refused_line.count("\n") == 1
    assert main(["export", str(run_dir), "--from-scratch", "--out", str(tmp_path / "hf")]) == 2
    assert "--format script" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.gui
def test_window_export_menu_writes_the_script_of_the_current_run(open_window, qtbot, tmp_path, monkeypatch):
    from conftest import TINY_SENTIMENT
    from PySide6.QtWidgets import QLabel

    from playground.core.spec import make_spec
    from playground.ui import run_tools

    window = open_window(make_spec(TINY_SENTIMENT))
    out = tmp_path / "take_home.py"
    names = []
    monkeypatch.setattr(run_tools, "ask_save_path", lambda parent, title, name, suffix: names.append(name) or out)
    message = window.findChild(QLabel, "messageLabel")
    assert not window.runTools.export_script()  # nothing trained yet: a message, no dialog
    assert "--format script" in message.text()
    window.step_once()
    qtbot.waitUntil(lambda: window.progressBar.value() == 1, timeout=60_000)
    window.runTools.actions["exportScriptAction"].trigger()
    qtbot.waitUntil(lambda: "Wrote" in message.text() or "failed" in message.text(), timeout=60_000)
    assert "take_home.safetensors" in message.text(), message.text()
    assert names == [f"train-{window.worker.run_dir.name}"]  # (QA: every export suggested train_mine.py)
    assert "class Encoder" in out.read_text(encoding="utf-8")
    printed = run_script(out).stdout
    assert "after step 1" in printed, printed


@pytest.mark.slow
@pytest.mark.parametrize("failure", [KeyboardInterrupt, ScriptExportError])
def test_an_interrupted_or_refused_export_leaves_the_users_files_as_they_were(tmp_path, monkeypatch, failure):
    run_dir = tiny_run(tmp_path, "decoder-reverse")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.py").write_text("print(1)\n")
    (out / "keep.safetensors").write_bytes(b"x\n")

    def fails(*args, **kwargs):  # Ctrl-C (or a failed check) once both files are written, before they are moved
        raise failure("the check")

    monkeypatch.setattr(script_export, "check_script", fails)
    with pytest.raises(failure):
        export_script(run_dir, out / "keep.py")  # `playground export --overwrite` replaces these two
    assert sorted(p.name for p in out.iterdir()) == ["keep.py", "keep.safetensors"]  # no temporaries either
    assert (out / "keep.py").read_text() == "print(1)\n" and (out / "keep.safetensors").read_bytes() == b"x\n"

    monkeypatch.undo()
    export_script(run_dir, out / "keep.py")
    assert sorted(p.name for p in out.iterdir()) == ["keep.py", "keep.safetensors"]
    assert "class Decoder" in (out / "keep.py").read_text()


@pytest.mark.slow
def test_the_script_shows_step_1_at_once_and_ctrl_c_stops_it_in_one_line_keeping_the_metrics(tmp_path):
    import signal

    run_dir = tiny_run(tmp_path, "decoder-reverse")
    script = export_script(run_dir, tmp_path / "mine.py", from_scratch=True).script
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("\nMAX_STEPS = 3\n", "\nMAX_STEPS = 10_000_000\n"))  # runs until Ctrl-C
    proc = subprocess.Popen([sys.executable, "-u", "-c", RUN_BARE_AT_A_TERMINAL, str(script), "--from-scratch", "--metrics",
                             "curve.csv"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        first = proc.stdout.readline()  # step 1's line (the old script's first was step 3's, the eval interval)
        assert first.startswith("step      1 | train loss "), first
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err == "" and out.splitlines()[-1] == "stopped (Ctrl-C)", (out, err)
    rows = read_metrics(tmp_path / "curve.csv")  # the steps done before Ctrl-C, not lost with it
    assert rows and [row["step"] for row in rows] == [str(i) for i in range(1, len(rows) + 1)]


@pytest.mark.gui
def test_the_script_item_is_greyed_for_a_fine_tuned_model_and_says_why(open_window, qtbot):
    """QA: File > Export > Model as PyTorch script was offered for a fine-tuned MiniLM, then refused."""
    from conftest import TINY_SENTIMENT
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QMenu

    from playground.core.spec import make_spec

    window = open_window(load_preset("bert-pronoun"))
    menu = window.findChild(QMenu, "exportMenu")
    action = window.runTools.actions["exportScriptAction"]
    for spec, offered in ((None, False), (make_spec(TINY_SENTIMENT), True)):
        if spec is not None:
            window.config.set_spec(spec)
        menu.popup(QPoint(0, 0))
        qtbot.waitUntil(menu.isVisible)
        assert action.isEnabled() == offered
        assert ("Hugging Face folder" in action.toolTip()) != offered, action.toolTip()
        assert menu.toolTipsVisible()
        menu.hide()


def test_the_windows_script_export_check_needs_no_torch():
    """Review: the check that greys the menu item ran as File > Export opened, importing torch on the window's thread
    (a freeze, or a race with the warm-up's own import of it)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from playground.core.presets import load_preset\n"
            "from playground.export.scriptable import ScriptExportError, check_scriptable\n"
            "try:\n"
            "    check_scriptable(load_preset('bert-pronoun'))\n"
            "except ScriptExportError:\n"
            "    pass\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
