"""Shared test setup: Qt runs offscreen, the window's settings and run folders live in tmp_path, and the two
shapes many tests build: a shown main window (`open_window`) and a tiny CPU model (`tiny_session`).

Qt, torch and the window are imported inside the fixtures, so the core tests still run without them."""

import contextlib
import io
import os
import subprocess
import sys
import tempfile

import pytest
from hypothesis import settings

from playground.training.openmp import configure_openmp_waiting

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Compiled tests share an inductor cache of their own (warm from one run to the next), never the user's.
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", os.path.join(tempfile.gettempdir(), "playground-tests-inductor"))
# The tests' torch spins at OpenMP barriers as the app's does (set before any test module imports torch); but with
# two pytest-xdist workers on two cores, a worker's threads spinning at a barrier hold the core the other worker
# needs: there they sleep (and `_one_thread_per_xdist_worker` keeps each worker's torch to one thread).
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if XDIST_WORKER:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
configure_openmp_waiting()

# Hypothesis: 500 examples a property in the suite (1500 took 40 s for the two preset fuzzers); HYPOTHESIS_PROFILE=deep
# for a longer hunt.
settings.register_profile("suite", max_examples=500)
settings.register_profile("deep", max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

# The device the shared tiny sessions train on: the CPU, or a GPU when scripts/gpu_check.sh runs the suite there.
TEST_DEVICE = os.environ.get("PLAYGROUND_TEST_DEVICE", "cpu")
# A tiny model: small enough to build and step in milliseconds, two layers so there is a layer above a layer.
TINY_MODEL = {"n_embd": 32, "n_head": 2, "n_layer": 2, "d_ff": 64}
TINY_TRAIN = {"batch_size": 8, "warmup_steps": 1, "max_steps": 10, "device": TEST_DEVICE}
# A tiny sentiment classifier for window tests (`from conftest import TINY_SENTIMENT`): evaluates every 5 steps.
TINY_SENTIMENT = {
    "name": "tiny-sentiment",
    "model": {"family": "encoder", "n_embd": 32, "n_head": 2, "n_layer": 1, "d_ff": 64, "block_size": 12},
    "data": {"name": "sentiment"},
    "train": {"batch_size": 8, "lr": 3e-3, "warmup_steps": 1, "max_steps": 50, "eval_interval": 5,
              "eval_batches": 1, "device": TEST_DEVICE, "compile": "off"},
}


# A CLI run small enough to train in a second or two (the CLI tests' `--set`s).
CLI_TINY = ["--set", "model.n_layer=1", "--set", "model.n_embd=32", "--set", "model.n_head=2",
            "--set", "model.d_ff=64", "--set", "train.eval_interval=3", "--set", "train.batch_size=8",
            "--device", "cpu"]


def one_line_error(result: subprocess.CompletedProcess, *parts: str) -> str:
    """The refusal: exit code 2 and one line on stderr holding each of `parts`, no errno and no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "Errno" not in lines[0] and "Traceback" not in lines[0]
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """The `playground` command run by `main` in this process (torch loads once, not once a command): its exit code
    and what it printed. `main` is all of the program but the process-wide opt-in."""
    from playground.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's own refusals
            code = exit_.code
    return subprocess.CompletedProcess(["playground", *args], code, out.getvalue(), err.getvalue())


def tab_to(qtbot, widget, start, limit: int = 80) -> None:
    """Press Tab from `start` (focused first) until the keyboard focus is on `widget`, as a keyboard user gets
    there (`from conftest import tab_to`); fails after `limit` presses."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    start.setFocus()
    for _ in range(limit):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() is widget:
            return
    raise AssertionError(f"Tab never reached {widget.objectName() or widget}")


def _answer_discard(monkeypatch, window_module):
    # A modal "unsaved changes?" box would hang a headless run: tests answer Discard (quit while training, and close
    # a comparison that has trained) unless they say otherwise.
    from playground.ui import compare_window

    monkeypatch.setattr(window_module, "ask_unsaved", lambda *args: window_module.QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(window_module, "ask_quit_while_training", lambda *args: True)
    monkeypatch.setattr(compare_window, "ask_close_comparison", lambda *args: True)


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    """A tiny decoder trained 3 steps on text by `playground train` (once a test module); tests copy it before
    changing it."""
    out = tmp_path_factory.mktemp("runs") / "text"
    result = run_cli("train", "decoder-pydoc", "--steps", "3", "--out", str(out), *CLI_TINY)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session", autouse=True)
def _one_thread_per_xdist_worker():
    """Under `pytest -n 2`, each worker's torch on one thread: two workers' two threads each on two cores made the
    tiny models' steps wait at every barrier (test_session's 2 s tests took 20-30 s). Tests that need more threads
    set them, and put the count back."""
    if XDIST_WORKER and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


@pytest.fixture(scope="session")
def _session_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("playground-cache")


@pytest.fixture(autouse=True)
def _isolated_playground_dirs(tmp_path, monkeypatch, _session_cache_dir):
    """Never touch the user's QSettings, ~/.local/share runs folder or cache folder (the kept measurements: a test's
    would decide the user's runs, and the user's a test's). The cache is one for the run, as a user's is."""
    monkeypatch.setenv("PLAYGROUND_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(_session_cache_dir))
    window = sys.modules.get("playground.ui.main_window")
    if window is not None:
        _answer_discard(monkeypatch, window)


_COLLECTOR = []  # this process's GuiThreadCollector, from its first Qt test on


@pytest.fixture(autouse=True)
def _garbage_collected_on_gui_thread(request):
    """From a process's first Qt test on, cyclic garbage is collected as in the app (app.py): on the GUI thread
    between events (garbage.py), and after each test. Collected automatically, it ran inside Qt's code: segfaults in
    a paint and in `allWidgets`, and a deadlock inside `~QObject` (the collector itself, deleted after a test)."""
    if not _COLLECTOR and "qapp" in request.fixturenames:  # qtbot and every window fixture request qapp
        from playground.ui.garbage import GuiThreadCollector

        _COLLECTOR.append(GuiThreadCollector(request.getfixturevalue("qapp")))  # the app's child: never deleted
        _COLLECTOR[0].start()
    yield
    for collector in _COLLECTOR:
        collector.collect_due()  # between tests no Qt code runs: a test without an event loop leaves no pile


def closes_for_good(monkeypatch):
    """For `qtbot.addWidget(window, before_close_func=...)`: a test's own answer (Cancel) must not keep its window open
    past it; left open, it took the next test's events (a pending mouse move on its deleted plot failed
    test_reading_the_loss_curve_at_175_percent_...)."""
    from playground.ui import main_window

    return lambda _window: _answer_discard(monkeypatch, main_window)


@pytest.fixture
def open_window(qtbot, monkeypatch):
    """`open_window(spec, **kwargs)`: a MainWindow on `spec` at the default 1280 x 800, shown and exposed.
    qtbot closes it after the test."""
    from playground.ui import main_window

    _answer_discard(monkeypatch, main_window)  # also when no test module imported the window before this test

    def open_(spec, **kwargs):
        window = main_window.MainWindow(spec, **kwargs)
        qtbot.addWidget(window, before_close_func=closes_for_good(monkeypatch))
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        return window

    return open_


@pytest.fixture
def open_active_window(open_window, qtbot):
    """`open_active_window(spec)`: `open_window`'s window, made the active one: Tab and the keys go to it."""

    def open_(spec, **kwargs):
        window = open_window(spec, **kwargs)
        with qtbot.waitActive(window):
            window.activateWindow()
        return window

    return open_


@pytest.fixture(scope="session")
def cpu_measured_once():
    """This CPU's capability (bf16, attention paths), measured once for the whole run: a measurement takes ~1 s,
    and the tests that isolate the capability cache would otherwise each measure again."""
    from playground.training import device

    return device.measure_cpu()


@pytest.fixture
def unniced_compile_worker(monkeypatch):
    """The background compile's worker process at the tests' own priority. At the user's (below training) it got
    5 % of the cores while other processes kept them busy, and a test waiting for its compile waited up to the
    worker's 30-minute limit: a loaded CI machine timed out."""
    from playground.training.fastpath import warm

    monkeypatch.setattr(warm, "WORKER_NICENESS", 0)


@pytest.fixture
def fresh_capability_cache(tmp_path, monkeypatch, cpu_measured_once):
    """A capability cache of this test's own, with the process already holding the once-measured capability."""
    from playground.training import device

    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(device, "_CAPABILITY", cpu_measured_once)


@pytest.fixture(scope="session")
def tiny_session():
    """`tiny_session(family, data, options=None, **model)`: a TrainingSession on TINY_MODEL (fields overridable)."""
    from playground.core.spec import make_spec
    from playground.training.session import TrainingSession

    def build(family, data, options=None, **model):
        spec = {"name": f"tiny-{family}", "model": {**TINY_MODEL, "family": family, **model},
                "data": {"name": data, "options": options or {}}, "train": TINY_TRAIN}
        return TrainingSession(make_spec(spec))

    return build


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives Qt widgets (it asks for qtbot) is a `gui` test: `pytest -m "not gui"` runs the rest."""
    for item in items:
        if "qtbot" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.gui)
