"""Training from the window: Play, Step, Reset, live lr, architecture changes, run folders, clean close."""

import json
import re
import sys
import time

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QSlider, QWidget

from playground.analysis.timeline import SnapshotTimeline
from playground.core.spec import make_spec
from playground.training.events import AttentionSnapshot
from playground.training.session import TrainingSession
from playground.ui import main_window
from playground.ui import worker as worker_module
from playground.ui.main_window import MainWindow
from playground.ui.status_bar import capitalised
from playground.ui.worker import TrainingWorker

# Long enough that no test sees its run finish, however fast the machine (400 steps took ~2 s here).
TINY_STEPS = 100_000
TINY = {
    "name": "tiny-zen",
    "model": {"family": "decoder", "n_embd": 32, "n_head": 2, "n_layer": 1, "d_ff": 64, "block_size": 16},
    "data": {"name": "zen"},
    "train": {"batch_size": 8, "lr": 3e-3, "warmup_steps": 2, "max_steps": TINY_STEPS, "eval_interval": 10,
              "eval_batches": 1, "snapshot_interval": 2, "sample_interval": 15, "checkpoint_interval": 10_000,
              "device": "cpu", "compile": "off"},
}
WAIT_MS = 30_000  # torch import + first steps on a loaded 2-core machine


@pytest.fixture
def window(open_window):
    return open_window(make_spec(TINY))


def steps_on_plot(w: MainWindow) -> int:
    x, _ = w.lossPlot.getPlotItem().listDataItems()[0].getData()
    return 0 if x is None else len(x)


@pytest.mark.slow
def test_play_puts_loss_points_on_the_plot_and_changes_the_heatmaps(window, qtbot, tmp_path):
    grid_before = window.attentionGrid.grab().toImage()
    qtbot.mouseClick(window.findChild(QPushButton, "playButton"), Qt.MouseButton.LeftButton)
    assert window.playButton.text() == "Pause"
    qtbot.waitUntil(lambda: steps_on_plot(window) >= 5, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.attentionGrid.snapshot is not None and window.attentionGrid.snapshot.step >= 2,
                    timeout=WAIT_MS)
    qtbot.wait(50)
    assert window.attentionGrid.grab().toImage() != grid_before
    layers, heads = len(window.attentionGrid.views), len(window.attentionGrid.views[0])
    assert (layers, heads) == (1, 2)
    # A learning rate is a hot knob: same run, new rate.
    worker = window.worker
    window.findChild(QSlider, "lrSlider").setValue(window.config.sliders["train.lr"].slider.value() - 2)
    assert window.worker is worker
    qtbot.waitUntil(lambda: worker.session is not None and worker.session._peak_lr == window.spec.train.lr,
                    timeout=WAIT_MS)
    # Status bar: device, step count, speed and ETA, the progress bar.
    qtbot.waitUntil(lambda: "CPU" in window.deviceLabel.text(), timeout=WAIT_MS)
    # The train bar follows the plot at most twice a second: it may still show an earlier step for a moment.
    qtbot.waitUntil(lambda: window.progressBar.value() >= 5, timeout=WAIT_MS)
    assert window.progressBar.maximum() == TINY_STEPS
    assert "tokens/s" in window.speedLabel.text() and window.etaLabel.text().startswith("ETA")
    # Generated text appears in the Samples tab.
    qtbot.waitUntil(lambda: len(window.samples.samples) > 0, timeout=WAIT_MS)
    assert window.tabs.isTabVisible(window.tabs.indexOf(window.samples))
    # The run folder is under the test's runs root, with its metrics.
    assert worker.run_dir is not None and worker.run_dir.parent == tmp_path / "runs"
    assert (worker.run_dir / "preset.json").exists() and (worker.run_dir / "metrics.csv").exists()
    window.close()
    assert worker.isFinished()
    assert (worker.run_dir / "checkpoint").is_dir() and any((worker.run_dir / "checkpoint").iterdir())


@pytest.mark.slow
def test_step_once_then_space_and_reset(window, qtbot):
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.progressBar.value() == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.attentionGrid.snapshot is not None and window.attentionGrid.snapshot.step == 1,
                    timeout=WAIT_MS)
    qtbot.wait(400)
    assert window.progressBar.value() == 1 and window.playButton.text() == "Play"  # one step, then paused
    window.step_once()
    qtbot.waitUntil(lambda: window.progressBar.value() == 2, timeout=WAIT_MS)
    # the bar shows the share done; the exact step is in the label beside it
    assert window.progressBar.text() == "0%" and window.stepLabel.text() == f"step 2 / {TINY_STEPS:,}"
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.playButton.text() == "Pause"
    qtbot.waitUntil(lambda: window.progressBar.value() >= 6, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.playButton.text() == "Play"
    # Paused, the curve catches up with every step taken (while playing it redraws at most twice a second).
    qtbot.waitUntil(lambda: window.worker.idle and steps_on_plot(window) == window.loss.train.n
                    == window.progressBar.value() == window.worker.step, timeout=WAIT_MS)  # the step in flight lands
    assert window.stepLabel.text() == f"step {window.worker.step} / {TINY_STEPS:,}"
    old = window.worker
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.worker is None and window.progressBar.value() == 0 and steps_on_plot(window) == 0
    assert window.attentionGrid.snapshot is None
    # where the trained model went (newcomer QA: Reset said nothing of Undo)
    seed = window.spec.train.seed  # the same start again (QA: "fresh random weights" sent a student to reset for another)
    assert window.statusBar().currentMessage() == (f"Reset to step 0 with the same starting weights (random seed {seed}). "
                                                   "Undo (Ctrl+Z) brings back the trained model.")
    # and so does its tooltip (QA: "Throw the trained weights away" scared a student off Reset)
    assert "Undo (Ctrl+Z) brings it back" in window.resetButton.toolTip() and "away" not in window.resetButton.toolTip()
    qtbot.waitUntil(old.isFinished, timeout=WAIT_MS)
    window.resetButton.click()  # nothing trained since: nothing for Undo
    assert window.statusBar().currentMessage() == f"Reset to step 0 with the same starting weights (random seed {seed})."


@pytest.mark.slow
def test_while_training_the_train_bar_changes_at_the_plot_pace(open_window, qtbot):
    # No evaluation in sight: one draws the curve, and so the bar, at once.
    window = open_window(make_spec({**TINY, "train": {**TINY["train"], "eval_interval": TINY_STEPS}}))
    window.play()
    qtbot.waitUntil(lambda: window.worker.step >= 3, timeout=WAIT_MS)
    first, texts, start = window.worker.step, [window.stepLabel.text()], time.monotonic()
    # Look every 20 ms for at least 1.5 s and until 12 steps went by (a change every 125 ms tick was possible),
    # however loaded the machine.
    while time.monotonic() - start < 1.5 or window.worker.step - first < 12:
        qtbot.wait(20)
        if window.stepLabel.text() != texts[-1]:
            texts.append(window.stepLabel.text())
        assert time.monotonic() - start < WAIT_MS / 1000, "training stalled"
    looked_s = time.monotonic() - start
    assert len(texts) - 1 <= looked_s / main_window.PLOT_REDRAW_S + 1


@pytest.mark.slow
def test_a_gap_holds_the_worker_between_two_steps_until_the_window_closes_it(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(worker_module, "GAP_MAX_S", 60.0)  # only close_gap or stop ends these gaps
    worker = TrainingWorker(make_spec(TINY), tmp_path)
    worker.play()
    worker.start()
    try:
        qtbot.waitUntil(lambda: worker.step >= 3, timeout=WAIT_MS)
        with qtbot.waitSignal(worker.gapOpened, timeout=WAIT_MS) as opened:
            worker.request_gap()
        assert opened.args[0] is worker and worker.gap_open(opened.args[1])
        held = worker.step
        time.sleep(0.3)
        assert worker.step == held and worker.in_gap  # no step is taken while the window paints
        worker.close_gap(opened.args[1] - 1)  # an answer to an older gap ends nothing
        time.sleep(0.1)
        assert worker.in_gap
        worker.close_gap(opened.args[1])
        qtbot.waitUntil(lambda: worker.step > held and not worker.in_gap, timeout=WAIT_MS)
        assert 0.4 <= worker.gap_seconds < 30  # what the bench reports as the window's paint gaps
        # Paused during a gap: the thread takes no further step once the gap ends.
        with qtbot.waitSignal(worker.gapOpened, timeout=WAIT_MS) as opened:
            worker.request_gap()
        worker.pause()
        held = worker.step
        worker.close_gap(opened.args[1])
        time.sleep(0.3)
        assert worker.step == held and not worker.in_gap
        # Stopped during a gap: the thread ends at once, without waiting the gap out.
        worker.play()
        with qtbot.waitSignal(worker.gapOpened, timeout=WAIT_MS):
            worker.request_gap()
        worker.stop(save=False)
        assert worker.wait(10_000)
    finally:
        worker.stop(save=False)
        worker.wait()


def test_a_paused_run_has_its_tensorboard_events_on_disk(qtbot, tmp_path, monkeypatch):
    """The TensorBoard log hands its events over about once a second, and none come while paused: the worker
    writes them out when it stops to wait, so a TensorBoard open beside the window shows every step taken."""
    import torch.utils.tensorboard as tensorboard
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    class NeverFlushing(tensorboard.SummaryWriter):  # only the worker's own write can put the events on disk
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "flush_secs": 3600})

    monkeypatch.setattr(tensorboard, "SummaryWriter", NeverFlushing)
    worker = TrainingWorker(make_spec(TINY), tmp_path)
    worker.start()
    try:
        for _ in range(3):
            worker.step_once()
        qtbot.waitUntil(lambda: worker.step == 3, timeout=WAIT_MS)

        def logged() -> list[int]:
            events = EventAccumulator(str(worker.run_dir), size_guidance={"scalars": 0})
            events.Reload()
            return [e.step for e in events.Scalars("loss/train")] if "loss/train" in events.Tags()["scalars"] else []

        qtbot.waitUntil(lambda: logged() == [1, 2, 3], timeout=WAIT_MS)
    finally:
        worker.stop(save=False)
        worker.wait()


@pytest.mark.parametrize("stale_s", [0.0, 60.0])
def test_slow_steps_show_the_attention_of_the_model_now_between_the_runs_snapshots(qtbot, tmp_path, monkeypatch,
                                                                                   stale_s):
    """Newcomer QA: the default decoder's heatmap said "step 0" at step 12, its first steps slow while the step
    compiled. Where the run's snapshots (every 100 steps here) are further apart than STALE_ATTENTION_S, the views
    get the model's attention at the step then, and the run's record keeps only its own."""
    monkeypatch.setattr(worker_module, "STALE_ATTENTION_S", stale_s)
    spec = make_spec({**TINY, "train": {**TINY["train"], "snapshot_interval": 100}})
    worker = TrainingWorker(spec, tmp_path)
    shown = []  # the step of every snapshot the views are sent
    put = worker.buffer.put
    monkeypatch.setattr(worker.buffer, "put", lambda event: (shown.append(event.step) if isinstance(
        event, AttentionSnapshot) else None) or put(event))
    worker.play()
    worker.start()
    try:
        qtbot.waitUntil(lambda: worker.step >= 8, timeout=WAIT_MS)
        worker.pause()
        qtbot.waitUntil(lambda: worker.idle, timeout=WAIT_MS)
        paused_at = len(shown)
        for _ in range(2):  # Step, paused: that step's snapshot once (review: the stale one and the pause's, twice)
            worker.step_once()
            qtbot.waitUntil(lambda: worker.idle and not worker.stepping and shown[-1] == worker.step, timeout=WAIT_MS)
    finally:
        worker.stop(save=False)
        worker.wait()
    playing, stepped = shown[:paused_at], shown[paused_at:]
    if stale_s == 0:  # every step's, from the first on
        assert playing[0] == 0 and set(range(1, 8)) <= set(playing), shown
    else:  # the run's at step 0, then the pause's own
        assert playing == [0, playing[-1]] and playing[-1] >= 8, shown
    assert stepped == [playing[-1] + 1, playing[-1] + 2], shown
    timeline = SnapshotTimeline.load(worker.run_dir / "attention" / "timeline.safetensors")
    assert timeline.steps == [0]  # the record: the run's snapshot at step 0 alone


def test_a_window_that_never_answers_holds_training_for_gap_max_s_at_most(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(worker_module, "GAP_MAX_S", 0.05)
    worker = TrainingWorker(make_spec(TINY), tmp_path)
    worker.play()
    worker.start()
    try:
        qtbot.waitUntil(lambda: worker.step >= 3, timeout=WAIT_MS)
        with qtbot.waitSignal(worker.gapOpened, timeout=WAIT_MS):
            worker.request_gap()
        held = worker.step
        qtbot.waitUntil(lambda: worker.step > held and not worker.in_gap, timeout=WAIT_MS)
    finally:
        worker.stop(save=False)
        worker.wait()


@pytest.mark.slow
@pytest.mark.parametrize("fills", [True, False])
def test_the_views_are_refreshed_in_gaps_only_when_training_fills_every_core(window, qtbot, monkeypatch, fills):
    """With every core training, a paint beside the steps would take a core from them: the window asks the
    worker for a gap and refreshes in it. With a core to spare (the eager path leaves one), it never asks."""
    monkeypatch.setattr(TrainingSession, "fills_cores", lambda self: fills)
    monkeypatch.setattr(worker_module, "GAP_MAX_S", 60.0)  # the worker waits for the window, however loaded
    monkeypatch.setattr(main_window, "GAP_PATIENCE_S", 60.0)  # and the window never refreshes beside a step
    redraws = []  # (the worker waiting in a gap, its step before, after) at each loss-plot redraw in a run
    redraw = window.loss.redraw

    def watched() -> None:
        worker = window.worker
        if worker is None or not worker.playing or worker.step < 3:  # fills_cores is known from the first step
            return redraw()
        before = worker.step
        redraw()
        redraws.append((worker.in_gap, before, worker.step))

    monkeypatch.setattr(window.loss, "redraw", watched)
    window.play()
    qtbot.waitUntil(lambda: len(redraws) >= 3, timeout=WAIT_MS)
    window.pause()
    if fills:
        assert all(in_gap and before == after for in_gap, before, after in redraws)
    else:
        assert not any(in_gap for in_gap, _, _ in redraws)


@pytest.mark.slow
def test_costly_paints_in_gaps_come_further_apart_to_keep_within_the_budget(window, qtbot, monkeypatch):
    """Each gap stops training: where a refresh takes long, the window asks for gaps less often, so its paints
    take GAP_BUDGET of the training time at most (and never less often than GAP_INTERVAL_MAX_S)."""
    monkeypatch.setattr(TrainingSession, "fills_cores", lambda self: True)
    monkeypatch.setattr(worker_module, "GAP_MAX_S", 60.0)
    monkeypatch.setattr(main_window, "GAP_PATIENCE_S", 60.0)
    refresh = window._refresh

    def slow_refresh() -> None:  # a refresh costing 12 ms, as a snapshot's on a busy 2-core machine
        refresh()
        if window._in_gap:
            time.sleep(0.012)

    monkeypatch.setattr(window, "_refresh", slow_refresh)
    assert window.gap_interval() == main_window.PLOT_REDRAW_S  # nothing measured yet
    opened = []
    window.play()
    qtbot.waitUntil(lambda: window.worker is not None, timeout=WAIT_MS)
    window.worker.gapOpened.connect(lambda *args: opened.append(time.monotonic()))
    qtbot.waitUntil(lambda: len(opened) >= 5, timeout=WAIT_MS)
    window.pause()
    expected = min(main_window.GAP_INTERVAL_MAX_S, 0.012 / main_window.GAP_BUDGET)  # 0.8 s at least
    assert window.gap_interval() >= 0.95 * expected
    apart = [b - a for a, b in zip(opened[2:], opened[3:])]  # once the moving average has the cost
    assert min(apart) >= 0.9 * expected
    window._gap_cost_s = 1.0  # a very slow machine: still a refresh every GAP_INTERVAL_MAX_S
    assert window.gap_interval() == main_window.GAP_INTERVAL_MAX_S


@pytest.mark.slow
def test_the_curve_and_the_train_bar_show_the_same_step_after_every_refresh(window, qtbot, monkeypatch):
    """Seen in a real X window: "step 297" under a curve drawn to 410. An evaluation draws the curve at once, and the
    bar waited for its own half second (and, drawn before the drain, showed the step the last refresh drained)."""
    monkeypatch.setattr(TrainingSession, "fills_cores", lambda self: True)  # refreshed in gaps, as on 2 cores
    monkeypatch.setattr(worker_module, "GAP_MAX_S", 60.0)
    monkeypatch.setattr(main_window, "GAP_PATIENCE_S", 60.0)
    refresh, shown = window._refresh, []

    def looked_at() -> None:
        refresh()
        if steps_on_plot(window):
            shown.append((window.stepLabel.text(), f"step {steps_on_plot(window):,} / {TINY_STEPS:,}"))

    monkeypatch.setattr(window, "_refresh", looked_at)
    window.play()
    window.loss.min_redraw_s = 3600.0  # only an evaluation draws the curve (every 10 steps here)
    qtbot.waitUntil(lambda: len(shown) >= 4 and window.worker.step >= 40, timeout=WAIT_MS)
    window.pause()
    assert all(bar == curve for bar, curve in shown), shown


@pytest.mark.slow
def test_a_step_taken_alone_shows_its_own_sample_and_a_pause_comes_after_its_loss_point(window, qtbot):
    """Lesson 19.6 trains to step 300 a step at a time and says "Generated text after 300 steps": the sample due at
    step 300 came only with step 301, so the newest shown was step 200's."""
    interval = TINY["train"]["sample_interval"]
    for _ in range(interval):
        window.step_once()
    qtbot.waitUntil(lambda: window.worker.step == interval and not window.worker.stepping, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: steps_on_plot(window) == interval, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.samples.samples and window.samples.samples[-1].step == interval, timeout=5000)
    window.play()
    qtbot.waitUntil(lambda: window.worker.step >= interval + 5, timeout=WAIT_MS)
    window.pause()  # wherever in a step it comes, the paused window shows the step the model is at
    qtbot.waitUntil(lambda: not window.worker.playing and window.worker.idle, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: steps_on_plot(window) == window.worker.session.step, timeout=WAIT_MS)


@pytest.mark.slow
def test_the_train_bar_keeps_its_layout_as_its_numbers_grow(window, qtbot):
    """A label growing with its text would relayout the bar at every update (and widen a window at its
    narrowest): the labels have room for this run's largest step, a five-digit speed and a minutes ETA."""
    qtbot.wait(50)
    before = (window.progressBar.width(), window.findChild(QWidget, "trainBar").minimumSizeHint().width())
    window.stepLabel.setText(f"step {TINY_STEPS:,} / {TINY_STEPS:,}")
    window.speedLabel.setText("12,345 tokens/s")
    window.etaLabel.setText("ETA 59:59")
    qtbot.wait(50)
    assert (window.progressBar.width(), window.findChild(QWidget, "trainBar").minimumSizeHint().width()) == before


def test_a_pause_says_so_in_the_status_bar_instead_of_training_on(window, qtbot):
    """QA: paused a few seconds after Play, the status bar still said "Training on CPU (2 threads), float32…"."""
    window.play()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Training on"), timeout=WAIT_MS)
    window.pause()
    assert window.statusBar().currentMessage().startswith("Paused")
    qtbot.wait(2 * main_window.REFRESH_MS)  # a status the worker sent before the pause does not come back
    assert not window.statusBar().currentMessage().startswith("Training on")


def test_the_status_bars_training_on_says_the_attention_path_measured_for_the_runs_shape(window, qtbot, monkeypatch):
    """QA (lesson 19.4): the bar's left said "Training on CPU …, fused attention" while its Device label said "explicit
    attention": the path measured at the run's shape before its second step changed the label only."""
    from playground.training import device
    from playground.training.fastpath import attention

    monkeypatch.setattr(device, "choose_attention", lambda *_: "sdpa")  # the machine's path: fused
    monkeypatch.setattr(attention, "_CHOSEN", {})  # this shape not measured yet in this process
    monkeypatch.setattr(attention, "attention_times", lambda *_: {"sdpa": 2.0, "explicit": 1.0})  # the run's: explicit
    window.statusBar().clearMessage()
    window.step_once()
    qtbot.waitUntil(lambda: window.statusBar().message().startswith("Training on"), timeout=WAIT_MS)
    assert "float32, fused attention" in window.statusBar().message()  # (a busy machine's caveat may follow)
    window.step_once()
    qtbot.waitUntil(lambda: "explicit attention" in window.deviceLabel.text(), timeout=WAIT_MS)
    assert window.statusBar().message().startswith("Training on")
    assert "float32, explicit attention" in window.statusBar().message()
    said = [message for _clock, message in window.statusBar().recent]  # (review: the stale one was kept there)
    assert not any("fused attention" in message for message in said), said


def test_a_status_announcing_work_under_way_stays_until_the_next_one(window, qtbot, monkeypatch):
    """"loading the compiled training step...; training waits" must not vanish while the curve stands still."""
    from playground.training.events import StatusEvent
    from playground.training.fastpath.compiled import LOADING_NOTE
    from playground.ui import main_window

    monkeypatch.setattr(main_window, "STATUS_MS", 50)  # a passing message goes quickly here
    loading = LOADING_NOTE.format(seconds=20)
    window._show_status(StatusEvent(loading))
    qtbot.wait(400)
    assert window.statusBar().currentMessage() == capitalised(loading)  # still in view
    window._show_status(StatusEvent("compiled the training step; the compiled step trains from step 40"))
    # a sentence, as every status is (QA: "compiled the training step for 1 thread in 3.6 s")
    assert window.statusBar().currentMessage() == "Compiled the training step; the compiled step trains from step 40"
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=5000)  # a passing one goes


def test_a_status_too_long_for_the_bar_shows_its_headline_and_the_rest_on_hover(window, qtbot):
    """The compile decision's reasons were cut mid-word where they ran into the device label at 1280x720."""
    from playground.training.events import StatusEvent
    from playground.ui.status_bar import RECENT_TIP

    window.resize(1280, 720)
    qtbot.wait(50)
    why = ("not compiling the training step: 2992 steps left at 133 ms, a ~90 s compile at 1.85x slower meanwhile "
           "and a ~12 s pause to take over, compiled steps 1.17x faster: ~51 s won back against ~89 s lost")
    window._show_status(StatusEvent(why))
    bar = window.statusBar()
    assert bar.currentMessage() == "Not compiling the training step (Ctrl+I for more)"
    assert bar.toolTip() == capitalised(why)
    room = bar.width() - window.deviceLabel.width()
    assert bar.fontMetrics().horizontalAdvance(bar.currentMessage()) < room
    window._show_status(StatusEvent("compiled steps take 121 ms: 1.2x faster"))  # fits: whole, no stale why
    assert bar.currentMessage() == "Compiled steps take 121 ms: 1.2x faster" and bar.toolTip() == RECENT_TIP
    window._show_status(StatusEvent(why))
    bar.showMessage("Saved the preset")  # another message: the compile's reasons are not its tooltip
    assert bar.toolTip() == RECENT_TIP
    window._show_status(StatusEvent(why))
    bar.clearMessage()
    assert bar.toolTip() == RECENT_TIP


@pytest.mark.parametrize("message", [
    "Finished 60 steps. Run folder: " + "/home/student/transformer-playground/runs" * 4 + "/decoder-pydoc-20261204",
    "Saved the loss plot to " + "/home/student/Documents/lecture" * 6 + "/loss.png",
])
def test_every_long_message_fits_left_of_the_device_label_and_says_all_on_hover(window, qtbot, message):
    """QA: "Finished N steps. Run folder: …" ran into the device label at 1280x720."""
    window.resize(1280, 720)
    qtbot.wait(50)
    bar = window.statusBar()
    bar.showMessage(message, 5000)
    shown = bar.currentMessage()
    assert shown != message and bar.toolTip() == message
    assert bar.fontMetrics().horizontalAdvance(shown) < bar.width() - window.deviceLabel.width()
    assert shown.startswith(message[:8].capitalize()) and ("(Ctrl+I for more)" in shown or "…" in shown)


def test_a_menu_items_long_status_tip_fits_left_of_the_device_label(window, qtbot):
    """QA: hovering bert-pronoun in the Presets menu showed its description over "Device:" (QMainWindow shows a status
    tip past the bar's showMessage)."""
    from PySide6.QtGui import QStatusTipEvent
    from PySide6.QtWidgets import QApplication

    from playground.ui.status_bar import RECENT_TIP

    window.resize(1280, 720)
    qtbot.wait(50)
    bar = window.statusBar()
    tip = ("Fine-tune the pretrained MiniLM (a 6-layer, 12-head BERT) on the lecture's puzzle: in 'The animal didn't "
           "cross the street because it was too tired', does 'it' mean the animal or the street?")
    QApplication.sendEvent(window, QStatusTipEvent(tip))  # as a hovered menu item sends it
    shown = bar.currentMessage()
    assert shown and shown != tip and bar.toolTip() == tip
    assert bar.fontMetrics().horizontalAdvance(shown) < bar.width() - window.deviceLabel.width()
    QApplication.sendEvent(window, QStatusTipEvent(""))  # the pointer leaves the item: the tip goes
    assert bar.currentMessage() == "" and bar.toolTip() == RECENT_TIP
    assert all(message != tip for _, message in bar.recent)  # a menu's tip is no message to keep


@pytest.mark.parametrize(("said", "shown"), [
    ("onecol.csv needs a header with at least two columns", "onecol.csv needs a header with at least two columns"),
    ("/home/me/data: no images", "/home/me/data: no images"),
    ("compiled the training step in 3.6 s", "Compiled the training step in 3.6 s"),
    ("e.g. this", "E.g. this"),
])
def test_a_message_is_said_as_a_sentence_but_a_file_name_keeps_its_case(said, shown):
    """QA: Recent Messages said "Onecol.csv needs a header…" for onecol.csv."""
    assert capitalised(said) == shown


def test_recent_messages_shows_what_the_status_bar_said_whole_newest_first(window, qtbot):
    """Keyboard QA: a cut headline's rest was on hover only, and a passing message was gone after 8 s: Help > Recent
    Messages (Ctrl+I, or a click on the bar) shows the recent ones whole."""
    window.resize(1280, 720)
    qtbot.wait(50)
    bar = window.statusBar()

    def shown() -> QDialog | None:  # (a closed one lingers until Qt deletes it)
        return next((d for d in window.findChildren(QDialog, "recentDialog") if d.isVisible()), None)

    bar.recent.clear()  # (whatever the window said as it opened)
    window.show_recent_messages()
    empty = shown()
    assert empty.findChild(QLabel, "recentDialogText").text() == main_window.NO_MESSAGES
    empty.close()
    long = "Finished 60 steps. Run folder: " + "/home/student/transformer-playground/runs" * 4 + "/r1 <b>kept</b>"
    window.config.show_message("Opened built-in preset tiny.", "info")  # under the settings: kept as well
    bar.showMessage("Saved the preset", 5000)
    bar.showMessage(long, 5000)
    bar.showMessage("Settings hidden", 5000)
    bar.showMessage(long, 5000)  # said again: one line, the newest
    assert bar.currentMessage().endswith("(Ctrl+I for more)") or "…" in bar.currentMessage()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(20, bar.height() // 2))
    dialog = shown()
    assert dialog is not None
    label = dialog.findChild(QLabel, "recentDialogText")
    text = label.text()
    assert text.count("Run folder") == 1 and text.index("Run folder") < text.index("Settings hidden") \
        < text.index("Saved the preset") < text.index("Opened built-in preset tiny.")
    assert "&lt;b&gt;kept&lt;/b&gt;" in text  # shown as said, not as markup
    assert "/home/student/transformer-playground/runs" * 4 in QTextDocumentFragment.fromHtml(text).toPlainText()
    dialog.close()
    label = window.deviceLabel  # beside the message, not part of it (review: a click there opened the messages)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=label.geometry().center())
    assert shown() is None
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert shown() is not None
    shown().close()


def test_recent_messages_keeps_an_opened_presets_description_whole(window):
    """QA: Recent Messages kept "Opened built-in preset lesson-19.7-vit: A small ViT … the [CLS] token's… (more on
    hover)", and nothing there shows on hover."""
    from playground.core.presets import PRESETS_DIR, load_preset
    from playground.ui.config_panel import WHOLE_ELSEWHERE

    path = PRESETS_DIR / "lesson-19.7-vit.json"
    spec = load_preset(path)
    window.say_opened(spec, path, True)
    assert window.config.messageLabel.text().endswith(WHOLE_ELSEWHERE)  # under the settings: the lead, the rest on hover
    _clock, kept = window.statusBar().recent[-1]
    assert kept == f"Opened built-in preset lesson-19.7-vit: {spec.description}" and WHOLE_ELSEWHERE not in kept


def test_a_message_is_fitted_again_when_the_bar_is_shown_or_its_room_shrinks(qtbot):
    """A message given before the window was shown stayed whole, and ran into the device label once shown; so did
    one fitted before the device label's text grew (review)."""
    from playground.ui.main_window import MainWindow

    window = MainWindow(make_spec(TINY))
    qtbot.addWidget(window)
    bar = window.statusBar()
    message = "Saved the loss plot to " + "/home/student/Documents/lecture" * 6 + "/loss.png"
    bar.showMessage(message, 60_000)
    assert bar.currentMessage() == message  # hidden: no width to cut to yet
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: bar.currentMessage() != message, timeout=5000)
    assert bar.toolTip() == message

    def fits() -> bool:
        return bar.fontMetrics().horizontalAdvance(bar.currentMessage()) < bar.width() - window.deviceLabel.width()

    short = "Saved the loss plot to /home/student/Documents/lecture/loss-plot-after-step-2000.png and more text"
    bar.showMessage(short, 60_000)
    assert bar.currentMessage() == short and fits()
    window.deviceLabel.setText("Device: " + "a much longer description of the device " * 3)
    qtbot.waitUntil(lambda: bar.currentMessage() != short and fits(), timeout=5000)
    assert bar.toolTip() == short


def test_the_device_label_keeps_a_long_note_for_its_tooltip(window, qtbot):
    """QA: "…, fused attention (chosen while the machine was busy: measured again next run)" took the status bar's
    width, and the zoom's warning beside it read "Z…"."""
    window.resize(1280, 720)
    busy = "CPU (1 thread), float32, fused attention (chosen while the machine was busy: measured again next run)"
    window._set_device(busy)
    label = window.deviceLabel
    assert label.text() == "Device: CPU (1 thread), float32, fused attention (…)" and busy in label.toolTip()
    window._set_device("CPU (2 threads), float32, fused attention")  # short: whole, no tooltip
    assert label.text() == "Device: CPU (2 threads), float32, fused attention" and label.toolTip() == ""


def test_reset_takes_back_the_device_a_stopped_background_compile_held(open_window, qtbot):
    """QA: after a Reset during a background compile the status bar still said "1 thread while the step compiles"
    until the next run."""
    window = open_window(make_spec(TINY))
    window.ensure_worker().step_once()
    qtbot.waitUntil(lambda: "CPU" in window.deviceLabel.text(), timeout=WAIT_MS)
    placement = window.worker.session.placement
    window._set_device(placement.described_as("CPU (1 thread while the step compiles)"))  # as the worker reports it
    window.reset()
    label = window.deviceLabel
    assert (label.toolTip() or label.text()) == f"Device: {placement.description}"  # a long one is whole on hover
    assert "compiles" not in label.text()


def test_the_device_at_launch_says_its_choices_come_at_play(open_window, qtbot):
    """QA: at launch the Device label promised "CPU (1 thread), float32, fused attention", the machine's choice; the
    first step then trained on "2 of 2 threads" with explicit attention, measured for the model's shape."""
    window = open_window(make_spec(TINY))
    window.start_warmup()  # as the app does once the window has painted
    qtbot.waitUntil(lambda: window._warmup is None and window._device != "", timeout=WAIT_MS)
    assert window.deviceLabel.text() == "Device: CPU · threads and precision chosen at Play"
    window.step_once()
    qtbot.waitUntil(lambda: "float32" in window.deviceLabel.text(), timeout=WAIT_MS)


def test_another_model_does_not_show_the_last_ones_precision(open_window, qtbot, tmp_path):
    """QA: after a vit-digits run in bfloat16, vit-shapes showed "bfloat16, explicit attention" until Play, and then
    trained in float32 with fused attention: precision and attention are measured per model shape."""
    window = open_window(make_spec(TINY))
    window.ensure_worker().step_once()
    qtbot.waitUntil(lambda: "CPU" in window.deviceLabel.text() and "float" in window.deviceLabel.text(),
                    timeout=WAIT_MS)
    where = window.worker.session.placement.where
    window.reset()
    assert "float" in window.deviceLabel.text()  # until the next model is built
    window.ensure_worker()  # built, untrained: its choices come with its first step (QA: after Reset the label said
    # the machine's "1 thread … fused attention", and the next step "2 of 2 threads … explicit attention")
    qtbot.waitUntil(lambda: window.deviceLabel.text().endswith("chosen at Play"), timeout=WAIT_MS)
    window.worker.step_once()
    qtbot.waitUntil(lambda: "float" in window.deviceLabel.text(), timeout=WAIT_MS)
    window.reset()
    window.config.sliders["model.n_embd"].slider.setValue(window.config.sliders["model.n_embd"].slider.value() + 1)
    assert window.deviceLabel.text() == f"Device: {where.split(' (')[0]} · threads and precision chosen at Play"
    assert "measured for its shape" in window.deviceLabel.toolTip()
    window.ensure_worker().step_once()  # its own, once it trains
    qtbot.waitUntil(lambda: "float" in window.deviceLabel.text(), timeout=WAIT_MS)
    window.reset()
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**TINY, "name": "other"}))
    assert window.open_preset(str(other))
    assert window.deviceLabel.text() == f"Device: {where.split(' (')[0]} · threads and precision chosen at Play"


@pytest.mark.slow
def test_the_train_bar_says_training_while_asked_steps_run_and_finished_at_the_end(open_window, qtbot):
    """A lesson trains to its step with single steps: the bar said "paused" meanwhile, "paused" again over
    "finished" when a late step was drawn after the run's end, and "paused" at a lesson's last step, the run's."""
    window = open_window(make_spec({**TINY, "train": {**TINY["train"], "max_steps": 60}}))
    window.ensure_worker()
    for _ in range(60):  # to the last step, the run's end taken with it (QA: "60 / 60 paused" until Play)
        window.worker.step_once()  # as the lesson bar asks for its steps
    qtbot.waitUntil(lambda: window.loss.train.n >= 2, timeout=WAIT_MS)
    seen = set()
    qtbot.waitUntil(lambda: seen.add(window.speedLabel.text()) or window.worker.done, timeout=WAIT_MS)
    assert any(text.endswith("tokens/s") for text in seen) and "paused" not in seen
    window.loss.min_redraw_s = 0.0
    window._show_progress_if_due()
    qtbot.wait(300)
    assert window.speedLabel.text() == "finished"


@pytest.mark.slow
def test_architecture_change_during_a_run_restarts_with_a_message(window, qtbot):
    window.play()
    qtbot.waitUntil(lambda: steps_on_plot(window) >= 3, timeout=WAIT_MS)
    old = window.worker
    window.findChild(QSlider, "layersSlider").setValue(2)
    assert window.worker is not old
    bar = window.statusBar()
    whole = bar.message()  # (where the bar is short it shows a headline)
    assert whole.startswith("Changed number of layers: the model was rebuilt, training from step 0 (restarting…).")
    # where the trained model went (newcomer QA: not a word of Undo)
    assert whole.endswith(" Undo (Ctrl+Z) brings back the trained model.")
    # It was playing, so it restarts by itself with two layers.
    qtbot.waitUntil(lambda: window.attentionGrid.snapshot is not None and len(window.attentionGrid.views) == 2,
                    timeout=WAIT_MS)
    assert window.worker is not None and window.worker.spec.model.n_layer == 2
    # (newcomer QA: within 3 s "Training on CPU (2 of 2 threads, adaptive)…", which the device label says, replaced it)
    assert bar.message() == whole
    qtbot.waitUntil(old.isFinished, timeout=WAIT_MS)


@pytest.mark.slow
def test_a_classifier_shows_accuracy_and_no_samples_tab(open_window, qtbot):
    spec = make_spec({**TINY, "model": {**TINY["model"], "family": "vit", "image_size": 8, "patch_size": 4},
                      "data": {"name": "digits"}, "train": {**TINY["train"], "eval_interval": 3}})
    w = open_window(spec)
    assert not w.tabs.isTabVisible(w.tabs.indexOf(w.samples))
    w.play()
    qtbot.waitUntil(lambda: w.loss.acc.n >= 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.attentionGrid.snapshot is not None, timeout=WAIT_MS)
    assert w.loss.accuracyPlot.isVisible()
    assert w.attention.detail.probe.isVisible()
    assert w.attentionGrid.snapshot.weights.shape[-1] == 5  # CLS + 2x2 patches
    assert "images/s" in w.speedLabel.text() or w.progressBar.value() >= 1
    w.close()


def test_none_refcount_stays_stable_over_many_repaints(window, qtbot):
    """PySide6 6.12.0 on Python 3.11 leaked a None reference per call until the interpreter aborted."""
    window.loss.add_metrics([])
    for _ in range(50):
        window.repaint()
    before = sys.getrefcount(None)
    for _ in range(3000):
        window.loss.lossPlot.repaint()
    after = sys.getrefcount(None)
    assert abs(after - before) < 100, (before, after)


@pytest.mark.slow
def test_the_first_sample_comes_after_one_step_and_continues_the_prompt(qtbot):
    from playground.training.events import SampleEvent
    from playground.ui.samples_panel import JOB_KEY, PromptJob, SamplesPanel
    from playground.ui.worker import Drained

    session = TrainingSession(make_spec(TINY).updated({"train.max_steps": 10}))
    assert PromptJob("Beautiful ", sample_now=False)(session) is None and session.sample_prompt == "Beautiful "
    samples = [e for e in session.run(2) if isinstance(e, SampleEvent)]
    assert [(e.step, e.prompt) for e in samples] == [(1, "Beautiful ")] and len(samples[0].text) == 120
    refused = PromptJob("Straße")(session)  # the Zen of Python has no ß: refused, and the samples keep their prompt
    assert isinstance(refused, str) and "'ß'" in refused and session.sample_prompt == "Beautiful "
    panel = SamplesPanel()
    qtbot.addWidget(panel)
    panel.take(Drained(samples=samples))
    assert "Beautiful " in panel.text.toPlainText() and "continues “Beautiful ”" in panel.header.text()
    assert panel.header.text().startswith("1 sample, newest first")  # not "1 sample(s)"
    panel.take(Drained(results={JOB_KEY: refused}))
    assert not panel.status.isHidden() and "'ß'" in panel.status.text() and len(panel.samples) == 1
    # Of another prompt, it says so (QA: "3 samples … the decoder continues “def ”" over two drawn before it)
    panel.take(Drained(samples=[SampleEvent(step=5, text="x", temperature=0.8, prompt="def ")]))
    assert panel.header.text().startswith("2 samples, newest first: the newest continues “def ” (those before, "
                                          "another start)")


def test_the_warm_up_and_the_worker_load_torch_one_at_a_time(monkeypatch):
    """Play pressed while the warm-up imports torch: two imports at once were handed half-loaded modules."""
    import threading
    from types import SimpleNamespace

    inside, most = [], []
    lock = threading.Lock()

    def slow_import(name: str) -> None:
        with lock:
            inside.append(name)
            most.append(len(inside))
        time.sleep(0.05)
        with lock:
            inside.remove(name)

    monkeypatch.setattr(worker_module, "importlib", SimpleNamespace(import_module=slow_import))
    threads = [threading.Thread(target=worker_module.load_training) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(most) == 4 and max(most) == 1


@pytest.mark.slow
def test_a_prompt_longer_than_the_context_is_said_to_be_read_from_its_end(window, qtbot):
    """QA: a 140-character prompt to a context-64 decoder was cut without a word."""
    context = TINY["model"]["block_size"]
    window.samples.promptEdit.setText("Beautiful is better than ugly. " * 2)  # 62 characters the Zen of Python has
    window.step_once()
    qtbot.waitUntil(lambda: bool(window.samples.samples), timeout=WAIT_MS)
    assert f"it reads only the last {context} characters" in window.samples.header.text()
    window.samples.promptEdit.setText("Beautiful")
    qtbot.keyClick(window.samples.promptEdit, Qt.Key.Key_Return)  # Enter samples the prompt now
    qtbot.waitUntil(lambda: window.samples.samples[-1].prompt == "Beautiful", timeout=WAIT_MS)
    assert "it reads only" not in window.samples.header.text()


def test_a_headline_is_never_cut_inside_a_quoted_name(window, qtbot):
    """QA: 'Brought back “Lesson 19.4 (hover for more)': the cut fell inside the run's quoted name."""
    window.resize(1280, 720)
    qtbot.wait(50)
    bar = window.statusBar()
    name = "Lesson 19.4: the encoder block (an encoder reversing sequences) — residual connections off"
    bar.showMessage(f"Brought back “{name}” at step 200: finished, Reset (Ctrl+R) trains a new one like it, "
                    f"and the run folder keeps its checkpoint, curve, samples and attention snapshots for later")
    shown = bar.currentMessage()
    assert shown.count("“") == shown.count("”") and "(Ctrl+I for more)" in shown
    # the head before its first detail, cut in its own middle: not words of the whole message's end after the name
    # (QA: "Brought back “Lesson 19.4: the encoder …” (Ctrl+R) trains a new one.", its step and Reset gone)
    longer = f"{name}, {name.lower()}"
    bar.showMessage(f"Brought back “{longer}” at step 200: finished: Reset (Ctrl+R) trains a new one.")
    shown = bar.currentMessage()
    assert shown.startswith("Brought back “Lesson 19.4") and shown.endswith("” at step 200 (Ctrl+I for more)")
    # an Undo of two changes: the first, whole (QA: 'Undo — name “Lecture 19: …” search…” → “Sorting needs…”.')
    bar.showMessage("Undo — name “Lecture 19: sorting” → “Sorting”; description “Watch the heads search for the "
                    "smallest symbol left, then the next: attention by content, not by place” → “Sorting needs "
                    "attention by content: a head learns to find the next larger symbol wherever it stands”.")
    assert bar.currentMessage() == "Undo — name “Lecture 19: sorting” → “Sorting” (Ctrl+I for more)"


def hold_snapshots_from(monkeypatch, step: int):
    """The worker's attention snapshots held from `step` on, until the returned event is set: a slow one."""
    import threading

    release = threading.Event()
    real_snapshot = TrainingSession.snapshot

    def held(self, *args, **kwargs):
        if self.step >= step:
            release.wait(WAIT_MS / 1000)
        return real_snapshot(self, *args, **kwargs)

    monkeypatch.setattr(TrainingSession, "snapshot", held)
    return release


def test_the_last_steps_slow_evaluation_and_save_are_not_said_to_be_a_step_past_the_end(open_window, qtbot,
                                                                                       monkeypatch):
    """Seen here: "2 s on step 61" of a 60-step run, while its last snapshot, evaluation and save took seconds."""
    go = hold_snapshots_from(monkeypatch, 3)
    window = open_window(make_spec({**TINY, "train": {**TINY["train"], "max_steps": 3}}))
    speed = window.speedLabel
    window.toggle_play()
    qtbot.waitUntil(lambda: re.fullmatch(r"\d+ s finishing the run", speed.text()) is not None, timeout=WAIT_MS)
    assert window.progressBar.value() == 3 and window.playButton.text() == "Pause"
    # in the room the label always has: the bar beside it did not narrow for it (QA)
    assert speed.minimumWidth() >= speed.fontMetrics().horizontalAdvance(speed.text()), speed.minimumWidth()
    go.set()
    qtbot.waitUntil(lambda: speed.text() == "finished", timeout=WAIT_MS)


def test_a_step_that_takes_seconds_says_so_in_the_train_bar(window, qtbot, monkeypatch):
    """QA: a 6-layer ViT of 442 tokens took 25-30 s to its first step on a busy machine; the train bar said nothing
    meanwhile and Play and Step looked ignored. Steps are held back here until the test lets them go."""
    import threading

    go = threading.Event()
    real_step = TrainingSession.train_step

    def held_step(self, *args, **kwargs):
        go.wait(WAIT_MS / 1000)
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(TrainingSession, "train_step", held_step)
    speed = window.speedLabel

    def seconds_on_step_1() -> int:
        said = re.fullmatch(r"(\d+) s on step 1", speed.text())
        return int(said[1]) if said else 0

    window.step_once()
    qtbot.waitUntil(lambda: seconds_on_step_1() >= 2, timeout=WAIT_MS)
    first = seconds_on_step_1()
    qtbot.waitUntil(lambda: seconds_on_step_1() > first, timeout=WAIT_MS)  # counting
    window.reset()
    window.step_once()  # a new run, its first step held too: it counts from its own start (review: from the last's)
    qtbot.wait(1000)
    assert seconds_on_step_1() == 0, speed.text()
    # Step 1 lands, then the worker takes its attention snapshot, slowly: no step is under way (QA: "3 s on step 2"
    # stood there for good)
    snapped = hold_snapshots_from(monkeypatch, 1)
    go.set()
    qtbot.waitUntil(lambda: window.progressBar.value() == 1, timeout=WAIT_MS)
    qtbot.wait(int(1000 * (main_window.SLOW_STEP_S + 1)))
    assert "on step" not in speed.text(), speed.text()
    snapped.set()
    qtbot.waitUntil(lambda: speed.text() == "paused", timeout=WAIT_MS)


def test_a_message_about_as_wide_as_the_bar_never_runs_under_the_device_label(window, qtbot):
    """Lecturer QA: "…: press Play to continue i", its last word under the device label: the room was the bar's width
    less the label's and a margin, wider than the rectangle QStatusBar draws a message in (6 px in, to 2 px short of
    its first permanent widget)."""
    window.resize(1280, 720)
    qtbot.wait(50)
    bar = window.statusBar()
    drawn_in = window.deviceLabel.x() - 2 - 6
    metrics = bar.fontMetrics()
    message = "Brought back the run"
    while metrics.horizontalAdvance(message) < drawn_in + 4 * metrics.averageCharWidth():
        message += "!"  # one narrow character at a time, across the edge
        bar.showMessage(message, 5000)
        assert metrics.horizontalAdvance(bar.currentMessage()) <= drawn_in, message


def test_a_long_message_with_no_detail_to_cut_at_loses_whole_words_from_its_middle(window, qtbot):
    """QA: the status bar's middle cut fell inside words; the start and the end of the message stay, in words."""
    window.resize(1280, 720)
    qtbot.wait(50)
    bar = window.statusBar()
    message = " ".join(f"word{i}" for i in range(200))  # no ": " or " (" to cut at
    bar.showMessage(message, 5000)
    shown = bar.currentMessage()
    assert bar.toolTip() == message and bar.fontMetrics().horizontalAdvance(shown) <= bar.room()
    assert shown.endswith(" (Ctrl+I for more)")  # (QA: a cut without one said nothing of where the rest is)
    head, tail = shown.removesuffix(" (Ctrl+I for more)").split(" … ")
    assert message.startswith(head + " ") and message.endswith(" " + tail) and len(tail.split()) >= 3


def test_a_cut_in_the_middle_closes_a_quote_it_leaves_open(qapp):
    """QA: 'Brought back “Lesson 19.6: the decoder block, the … at step 300: press Play to continue it.'"""
    from PySide6.QtGui import QFontMetrics

    from playground.ui.status_bar import _between_words

    metrics = QFontMetrics(qapp.font())
    message = ("Brought back “Lesson 19.6: the decoder block, the causal mask and the samples it draws” at step 300: "
               "press Play to continue it.")
    shown = _between_words(message, metrics, metrics.horizontalAdvance(message) * 2 // 3)
    assert "…" in shown and shown.count("“") == shown.count("”") == 1 and shown.index("“") < shown.index("”")


def test_a_cut_past_a_quotes_end_falls_inside_the_quote(qapp):
    """QA: 'Brought back “Decoder on Python's help …” 111: press Play to continue it.': the cut took "at step" after
    the run's name, and the step read as part of it."""
    from PySide6.QtGui import QFontMetrics

    from playground.ui.status_bar import _between_words

    metrics = QFontMetrics(qapp.font())
    message = ("Brought back “Decoder on Python's help text — number of heads 4” at step 111: press Play to continue "
               "it.")
    for room in (metrics.horizontalAdvance(message) * share // 10 for share in (7, 8, 9)):  # (narrower: its end)
        shown = _between_words(message, metrics, room)
        assert metrics.horizontalAdvance(shown) <= room and shown.endswith("” at step 111: press Play to continue it.")


def test_a_narrow_bar_still_cuts_between_words(qapp):
    """Review: at 120 px "Resuming … continue training it" became "Resuming…ining it": every word was over half the
    room, which was taken for a path."""
    from PySide6.QtGui import QFontMetrics

    from playground.ui.status_bar import _between_words

    metrics = QFontMetrics(qapp.font())
    message = "Resuming the run from its checkpoint: press Play to continue training it"
    shown = _between_words(message, metrics, 120)
    assert metrics.horizontalAdvance(shown) <= 120
    assert all(word == "…" or word in message.split(" ") for word in shown.split(" ")), shown


def test_a_model_that_learns_its_examples_by_heart_trains_on_and_says_so(window, qtbot, monkeypatch):
    """Newcomer QA: a run whose validation loss passed the divergence threshold while its training loss was 0.0001
    was stopped as "the learning rate is most likely too high"; it trains on, and the note stays under the
    settings, where it can be read whole (the status bar cut it)."""
    real_evaluate = TrainingSession.evaluate

    def sure_and_wrong(self):
        _loss, accuracy, confusion = real_evaluate(self)
        self._evaluated = (self.step, 100.0)
        return 100.0, accuracy, confusion

    monkeypatch.setattr(TrainingSession, "evaluate", sure_and_wrong)
    window.toggle_play()
    qtbot.waitUntil(lambda: window.progressBar.value() >= 25, timeout=WAIT_MS)  # past two evaluations
    note = window.config.messageLabel.text()
    assert note.startswith("Validation loss 100 against a training loss of") and "by heart" in note, note
    assert window.worker.playing and window.speedLabel.text() != "stopped"


def test_a_new_run_says_it_is_preparing_over_a_status_left_by_work_but_not_over_an_actions_words(window, qtbot):
    """Review: "Preparing the model…" was held back by any message, one that stays from a past run's work under way
    ("compiling…") too; an action's words (they go after a while) stay, as the rebuild's do (newcomer QA)."""
    bar = window.statusBar()
    bar.showMessage("compiling the training step in the background...")  # stays until the next status
    window.step_once()
    assert bar.currentMessage() == main_window.PREPARING
    qtbot.waitUntil(lambda: window.progressBar.value() == 1, timeout=WAIT_MS)
    window.reset()
    bar.showMessage("Reset to step 0 with the same starting weights (random seed 1337).", main_window.STATUS_MS)
    window.step_once()
    assert bar.currentMessage() == "Reset to step 0 with the same starting weights (random seed 1337)."


@pytest.mark.slow
def test_a_decoder_on_a_procedural_task_draws_its_accuracy(open_window, qtbot):
    """QA: decoder-reverse drew no accuracy in the window, where the command line said "acc 100%"."""
    window = open_window(make_spec({**TINY, "data": {"name": "reverse", "options": {"length": 4}},
                                    "train": {**TINY["train"], "eval_interval": 2}}))
    for _ in range(2):
        window.step_once()
    qtbot.waitUntil(lambda: window.loss.acc.n == 1, timeout=WAIT_MS)
    window.loss.redraw_if_due()
    assert window.loss.accuracyPlot.isVisible()
    window.load_spec(make_spec(TINY), None)  # running text: its next-character accuracy is not drawn
    assert not window.loss.show_accuracy


def test_a_held_runs_step_counts_the_step_under_way_and_not_what_follows_it(monkeypatch):
    """Review: a held run busy past the wait with what follows its step (the pause's snapshot, a checkpoint) was counted
    one step on, as if a step trained; a step still training past the wait is counted as landing."""
    from types import SimpleNamespace

    monkeypatch.setattr(worker_module, "HOLD_WAIT_S", 0.05)
    worker = TrainingWorker(make_spec(TINY), None)
    worker.step, worker._in_step = 7, True  # busy: not waiting for work
    worker.session = SimpleNamespace(stepping=False)  # taking the snapshot after step 7
    assert worker.held_step() == 7
    worker.session.stepping = True  # inside step 8
    assert worker.held_step() == 8
    worker._in_step = False  # waiting for work
    assert worker.held_step() == 7


def test_a_step_under_way_when_pause_is_pressed_is_counted_until_it_lands(window, qtbot, monkeypatch):
    """QA: a 64-px ViT's steps took 70 s; Pause showed "paused" at once, and the step under way landed on the plot a
    minute later. The train bar counts that step's seconds until it lands, then says "paused"."""
    import threading

    go, started = threading.Event(), threading.Event()
    real_step = TrainingSession.train_step

    def held_step(self, *args, **kwargs):
        if self.step >= 1:
            started.set()
            go.wait(WAIT_MS / 1000)
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(TrainingSession, "train_step", held_step)
    window.play()
    assert started.wait(WAIT_MS / 1000)  # step 2 under way
    window.toggle_play()  # Pause
    qtbot.waitUntil(lambda: window.speedLabel.text().endswith(" s on step 2"), timeout=WAIT_MS)
    go.set()
    qtbot.waitUntil(lambda: window.progressBar.value() == 2 and window.speedLabel.text() == "paused",
                    timeout=WAIT_MS)
