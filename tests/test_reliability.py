"""Bad input gets a message, saves survive SIGKILL, no code runs on load, impossible runs are refused."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground import data as datasets
from playground.core import estimates, presets
from playground.core.spec import RunSpec, SpecError
from playground.data.base import DataError
from playground.training import checkpoint as ckpt_io
from playground.training.memory import TooLargeError
from playground.training.session import TrainingSession

PACKAGE = Path(__file__).resolve().parents[1] / "playground"
BUILTIN = [json.loads(info.path.read_text()) for info in presets.builtin_presets()]

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [prefix] + [p for k, v in node.items() for p in _paths(v, prefix + (k,))]
    return [prefix]


@st.composite
def mutated_presets(draw: st.DrawFn) -> dict:
    """A built-in preset with one to three fields replaced, deleted or added at random depths."""
    data = json.loads(json.dumps(draw(st.sampled_from(BUILTIN))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([p for p in _paths(data) if p]))
        *parents, leaf = path
        node = data
        for key in parents:
            node = node[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            node[leaf] = draw(json_value)
        elif action == "delete":
            del node[leaf]
        elif isinstance(node, dict):
            node[draw(st.text(min_size=1, max_size=8))] = draw(json_value)
    return data


def _accept_or_explain(data: object) -> RunSpec | None:
    """What every reader of a preset must do: a RunSpec, or a SpecError with a one-line message."""
    try:
        spec = presets.spec_from_dict(data)
    except SpecError as err:
        assert str(err) and "\n" not in str(err) and "Traceback" not in str(err)
        return None
    return spec


@pytest.mark.slow
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: conftest's profile
@given(st.dictionaries(st.sampled_from(["model", "data", "train", "name", "schema_version", "x"]), json_value))
def test_random_presets_never_crash(data):
    _accept_or_explain(data)


@pytest.mark.slow
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_presets())
def test_mutated_builtin_presets_are_accepted_or_explained(data):
    spec = _accept_or_explain(data)
    if spec is None:
        return
    try:  # a valid description still meets the data: that too must refuse in words, never crash
        info = datasets.describe(spec.data, spec.model)
    except DataError as err:
        assert str(err)
        return
    assert estimates.count_parameters(spec.model, info) > 0
    assert estimates.memory_estimate(spec, info).total > 0


def test_preset_reader_refuses_non_objects_and_binary(tmp_path):
    for payload, message in [("[1, 2]", "is a JSON object"), ("null", "is a JSON object")]:
        path = tmp_path / "p.json"
        path.write_text(payload)
        with pytest.raises(presets.PresetError, match=message):
            presets.load_preset(path)
    binary = tmp_path / "b.json"
    binary.write_bytes(b"%PDF-1.4\x00\xff\xfe")
    with pytest.raises(presets.PresetError, match="not a text file"):
        presets.load_preset(binary)


# ----- nothing lost: SIGKILL at random moments -----------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["preset", "checkpoint"])
def test_save_survives_sigkill_at_random_moments(kind, tmp_path):
    script = Path(__file__).with_name("kill_during_save.py")
    result = subprocess.run([sys.executable, str(script), kind, "50", str(tmp_path)], capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"50 kills, {kind} intact every time" in result.stdout


# ----- no code runs on load --------------------------------------------------------------------------
class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.slow
def test_malicious_pickle_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "model.pt"
    evil.write_bytes(pickle.dumps({"weights": _Exploit(marker)}))
    with pytest.raises(ckpt_io.CheckpointError, match="pickle"):
        ckpt_io.load_checkpoint(evil)
    run = tmp_path / "run"
    (run / "checkpoint").mkdir(parents=True)
    (run / "checkpoint" / "model.pt").write_bytes(evil.read_bytes())
    for args in (["resume", str(run)], ["sample", str(evil)], ["sample", str(run)]):
        result = subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True, text=True)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert not marker.exists(), "loading a checkpoint ran code from a pickle"


def test_no_module_unpickles():
    forbidden = re.compile(r"\btorch\.load\(|\bpickle\.loads?\(|\bweights_only\s*=\s*False")
    offenders = [str(p) for p in PACKAGE.rglob("*.py") if forbidden.search(p.read_text())]
    assert offenders == []


# ----- impossible runs are refused before they are built --------------------------------------------
def test_model_too_large_for_memory_is_refused_before_it_is_built(monkeypatch):
    monkeypatch.setattr("playground.training.memory.free_memory", lambda device: 64 * 2**20)
    built = []
    monkeypatch.setattr(TrainingSession, "reset", lambda self: built.append(self))
    # nor is its precision measured: timing one block of a model far too large took 20-50 s (and the memory)
    monkeypatch.setattr("playground.training.session.place", lambda spec: built.append("measured"))
    spec = presets.load_preset("decoder-pydoc").updated({"train.batch_size": 512, "train.device": "cpu"})
    with pytest.raises(TooLargeError, match=r"try batch size \d+"):
        TrainingSession(spec)
    assert built == []


def test_images_too_large_to_load_are_refused_before_any_is_resized(monkeypatch):
    """QA: `--set model.image_size=1000` resized the 1,797 digits to 1000 x 1000 pixels, 20 GB, and the system killed
    the run unsaid before the model's memory was checked."""
    from playground.data import DataError

    spec = presets.load_preset("vit-digits").updated({"model.image_size": 64, "model.patch_size": 8})
    resized = []
    monkeypatch.setattr("playground.data.images.resize", lambda *args: resized.append(args))
    monkeypatch.setattr("playground.data.free_cpu_memory", lambda: estimates.image_loading_bytes(1797, 1, 64))
    with pytest.raises(DataError, match=r"1,797 images at 64 x 64 pixels need about 112.3 MiB of memory to load, "
                                        r"more than can be spared of the 112.3 MiB free: try a smaller image size"):
        datasets.load(spec.data, spec.model, 1)
    assert resized == []


def test_a_vit_too_large_for_memory_is_told_of_its_image_size_and_patches_not_a_context(monkeypatch):
    import torch

    from playground.data import describe
    from playground.training.memory import check_fits

    monkeypatch.setattr("playground.training.memory.free_memory", lambda device: 2**30)
    spec = presets.load_preset("vit-digits").updated({"model.image_size": 256, "model.patch_size": 2,
                                                      "train.batch_size": 1})
    with pytest.raises(TooLargeError, match="try a smaller image size or larger patches") as refused:
        check_fits(spec, describe(spec.data, spec.model), torch.device("cpu"))
    assert "context" not in str(refused.value)


def test_the_batch_size_suggested_for_a_model_too_large_fits_and_none_is_suggested_where_none_would(monkeypatch):
    """A newcomer followed "try batch size 20", then "try batch size 6", to learn at batch size 1 that the weights
    and AdamW state alone did not fit."""
    import torch

    from playground.data import describe
    from playground.training.memory import check_fits

    free = {"bytes": 2 * 2**30}
    monkeypatch.setattr("playground.training.memory.free_memory", lambda device: free["bytes"])
    cpu = torch.device("cpu")
    spec = presets.load_preset("decoder-pydoc").updated({"train.batch_size": 4096})
    info = describe(spec.data, spec.model)
    with pytest.raises(TooLargeError, match=r"try batch size \d+") as refused:
        check_fits(spec, info, cpu)
    suggested = int(re.search(r"try batch size (\d+)", str(refused.value))[1])
    check_fits(spec.updated({"train.batch_size": suggested}), info, cpu)  # it fits
    with pytest.raises(TooLargeError):
        check_fits(spec.updated({"train.batch_size": suggested + 1}), info, cpu)  # and is the largest that does
    free["bytes"] = 22 * 2**30
    huge = spec.updated({"model.n_embd": 4096, "model.n_layer": 48, "model.n_head": 32, "model.d_ff": 16384,
                         "train.batch_size": 64})
    with pytest.raises(TooLargeError, match="weights, gradients and AdamW state alone need") as refused:
        check_fits(huge, describe(huge.data, huge.model), cpu)
    assert "batch size" not in str(refused.value)


# ----- every error is one short line without a class name -------------------------------------------
@pytest.mark.parametrize("err", [TypeError("'int' object is not iterable"), ZeroDivisionError("division by zero"),
                                 RuntimeError("x" * 900_000), KeyError("k"), MemoryError(), RecursionError(),
                                 ValueError("v\n" * 10_000), OSError(28, "No space left on device")])
def test_cli_error_line_is_short_and_names_no_exception_class(err):
    from playground.cli import _error_line

    line = _error_line(err)
    assert line.startswith("playground: error: ") and len(line) <= 300 and "\n" not in line
    assert type(err).__name__ not in line, line


def test_unexpected_errors_say_how_to_see_the_traceback():
    from playground.cli import _error_line

    assert "PLAYGROUND_DEBUG=1" in _error_line(TypeError("'int' object is not iterable"))
    assert "PLAYGROUND_DEBUG" not in _error_line(DataError("x.txt is empty: put some text in it"))


# ----- closing the window never waits on a thread that cannot be stopped -----------------------------
@pytest.mark.slow
def test_closing_leaves_a_thread_that_outlasts_the_wait_running_and_names_it(open_window):
    import threading

    from playground.ui.worker import TrainingWorker

    class CompilingWorker(TrainingWorker):
        """Stands for a worker inside torch.compile: it ignores stop() until released."""

        def __init__(self, spec: RunSpec) -> None:
            super().__init__(spec, runs_root=None)
            self.entered, self.release = threading.Event(), threading.Event()

        def _train(self) -> None:
            self.entered.set()
            self.release.wait()

    window = open_window(RunSpec())
    worker = CompilingWorker(window.spec)
    window.start_worker(worker)
    assert worker.entered.wait(10)
    window.close_wait_s = 0.05
    waited_hidden = []
    shutdown = window.shutdown
    window.shutdown = lambda wait_s=None: waited_hidden.append(not window.isVisible()) or shutdown(wait_s)
    try:
        window.close()
        assert window.unfinished_threads == [worker] and worker.isRunning()
        assert waited_hidden == [True]  # off the screen while it waits: it stood frozen for 2-3.6 s before
    finally:
        worker.release.set()
        assert worker.wait(10_000)
    assert window.shutdown(0.0) == []  # ended since: nothing left to wait for
