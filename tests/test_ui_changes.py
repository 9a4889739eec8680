"""Settings changed mid-run from the window (issue 24): the run goes on, the loss curve marks each change."""

import pyqtgraph as pg
from PySide6.QtWidgets import QSlider

from playground.core.spec import make_spec
from playground.training.changes import read_changes
from playground.training.events import FinishedEvent
from playground.ui import main_window

TINY = {
    "name": "tiny-reverse",
    "model": {"family": "decoder", "n_embd": 16, "n_head": 2, "n_layer": 1, "d_ff": 32, "block_size": 8,
              "dropout": 0.1},
    "data": {"name": "reverse"},
    "train": {"batch_size": 4, "lr": 3e-3, "warmup_steps": 2, "max_steps": 100_000, "eval_interval": 50,
              "eval_batches": 1, "snapshot_interval": 50, "checkpoint_interval": 10_000, "device": "cpu",
              "compile": "off"},
}
WAIT_MS = 30_000


def marker_labels(window) -> dict[float, str]:
    """The loss plot's change markers as drawn: their step and label text."""
    return {item.value(): item.label.toPlainText() for item in window.lossPlot.getPlotItem().items
            if isinstance(item, pg.InfiniteLine) and getattr(item, "label", None) is not None}


def points(window) -> int:
    return window.loss.train.n


def test_changes_while_playing_and_paused_are_marked_and_come_back_with_the_run(open_window, qtbot):
    window = open_window(make_spec(TINY))
    window.play()
    qtbot.waitUntil(lambda: points(window) >= 3, timeout=WAIT_MS)
    worker = window.worker
    lr = window.findChild(QSlider, "lrSlider")
    lr.setValue(lr.value() - 2)  # 3e-3 -> 1e-3 on the log scale
    window.findChild(QSlider, "dropoutSlider").setValue(window.findChild(QSlider, "dropoutSlider").value() + 2)
    qtbot.waitUntil(lambda: any("lr 3e-3→1e-3" in text for text in marker_labels(window).values()),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: any("dropout 0.1→0.2" in text for text in marker_labels(window).values()),
                    timeout=WAIT_MS)
    assert window.worker is worker and worker.session.step >= 3  # no reset: the same run goes on
    assert "without a reset" in window.statusBar().currentMessage()

    window.pause()
    qtbot.waitUntil(lambda: not worker.playing and points(window) == worker.session.step, timeout=WAIT_MS)
    decay = window.findChild(QSlider, "weightDecaySlider")
    decay.setValue(decay.value() + 1)  # 0.01 -> 0.03, applied at once while paused
    qtbot.waitUntil(lambda: any("weight decay 0.01→0.03" in text for text in marker_labels(window).values()),
                    timeout=WAIT_MS)
    # Marked at the step the run is paused at (a step already under way when Pause came may have ended first).
    paused_at = next(step for step, text in marker_labels(window).items() if "weight decay" in text)
    qtbot.wait(300)
    assert worker.session.step == paused_at and not worker.playing
    drawn = marker_labels(window)
    recorded = read_changes(worker.run_dir)
    assert sorted(c.label for c in recorded) == ["dropout 0.1→0.2", "lr 3e-3→1e-3", "weight decay 0.01→0.03"]
    assert {c.step for c in recorded} == set(drawn)

    # A run brought back (Undo after Reset) shows its curve's markers again, from its run folder.
    window.reset()
    assert marker_labels(window) == {}
    window.undo()
    assert marker_labels(window) == drawn
    assert window.spec.train.lr == 1e-3 and window.spec.train.weight_decay == 0.03


def test_one_drag_of_a_slider_is_one_change_where_the_drag_ends(open_window, qtbot):
    """A drag across the learning rate recorded each value it passed ("lr 3e-3→0.02, lr 0.02→0.05" at one step)."""
    window = open_window(make_spec(TINY))
    window.step_once()
    qtbot.waitUntil(lambda: points(window) == 1, timeout=WAIT_MS)
    worker = window.worker
    lr = window.findChild(QSlider, "lrSlider")
    lr.setSliderDown(True)  # held by the mouse
    for _ in range(3):
        lr.setValue(lr.value() + 1)
        qtbot.wait(50)
    qtbot.wait(600)  # longer than the settling time, but the slider is still held
    assert marker_labels(window) == {} and window.spec.train.lr == 0.02
    lr.setSliderDown(False)
    qtbot.waitUntil(lambda: marker_labels(window) != {}, timeout=WAIT_MS)
    qtbot.wait(300)
    assert list(marker_labels(window).values()) == ["lr 3e-3→0.02"]
    assert [c.label for c in read_changes(worker.run_dir)] == ["lr 3e-3→0.02"]


def test_a_change_made_just_before_a_step_trains_that_step(open_window, qtbot):
    """Step pressed within the settling time trained the step with the old value, the change marked after it."""
    window = open_window(make_spec(TINY))
    window.step_once()
    qtbot.waitUntil(lambda: points(window) == 1, timeout=WAIT_MS)
    lr = window.findChild(QSlider, "lrSlider")
    lr.setValue(lr.value() + 1)  # as a key press does: no drag
    window.step_once()  # at once
    qtbot.waitUntil(lambda: points(window) == 2 and marker_labels(window) != {}, timeout=WAIT_MS)
    assert marker_labels(window) == {1: "lr 3e-3→5e-3"}  # after step 1: step 2 trained with it


def test_a_setting_changed_again_at_one_step_is_one_change_and_changed_back_is_none(open_window, qtbot):
    """QA: paused, two presses of an arrow key a while apart labelled one line "lr 3e-3→5e-3, lr 5e-3→8e-3"."""
    window = open_window(make_spec(TINY))
    window.step_once()
    qtbot.waitUntil(lambda: points(window) == 1, timeout=WAIT_MS)
    lr, decay = window.findChild(QSlider, "lrSlider"), window.findChild(QSlider, "weightDecaySlider")
    for slider, by, drawn in ((lr, 1, {1: "lr 3e-3→5e-3"}), (lr, 1, {1: "lr 3e-3→0.01"}),
                              (decay, 1, {1: "lr 3e-3→0.01, weight decay 0.01→0.03"}),
                              (lr, -2, {1: "weight decay 0.01→0.03"}), (decay, -1, {}),
                              (decay, -1, {1: "weight decay 0.01→3e-3"})):
        slider.setValue(slider.value() + by)  # as a key press does, a while after the last
        qtbot.waitUntil(lambda drawn=drawn: marker_labels(window) == drawn, timeout=3000)
    # the slider writes its value as the marker does (session 49's QA: "0.003" beside "0.01→3e-3")
    assert window.config.sliders["train.weight_decay"].label.text() == "3e-3"
    assert window.config.sliders["train.lr"].label.text() == "3e-3"
    assert len(read_changes(window.worker.run_dir)) == 6  # the record keeps each, replayed in order on resume
    window.reset()
    window.undo()  # brought back from its folder: drawn from the record as it was left
    assert marker_labels(window) == {1: "weight decay 0.01→3e-3"}


def test_raising_training_steps_trains_a_finished_run_on_and_lowering_rebuilds(open_window, qtbot):
    """Play on a finished run said "press Reset to train again", and raising Training steps rebuilt the trained model:
    a lecturer could not train a model longer. Raised, the run goes on from its end at its final learning rate."""
    spec = make_spec(TINY).updated({"train.max_steps": 20, "train.eval_interval": 10, "train.snapshot_interval": 10})
    window = open_window(spec)
    window.play()
    qtbot.waitUntil(lambda: window.worker.done and window.speedLabel.text() == "finished", timeout=WAIT_MS)
    worker = window.worker
    window.play()
    assert window.statusBar().currentMessage().startswith("Finished: raise Training steps to train this run on")

    steps = window.findChild(QSlider, "stepsSlider")
    steps.setValue(steps.value() + 1)  # 20 -> 50
    # the rate it goes on at in the headline, all a narrow status bar shows (QA: it was behind Ctrl+I)
    going_on = "The run goes on to step 50 at the final learning rate 3e-4, 10% of its peak, press Play"
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(going_on), timeout=WAIT_MS)
    assert window.worker is worker and window.stepLabel.text() == "step 20 / 50"
    assert window.speedLabel.text() == "paused"
    window.play()
    qtbot.waitUntil(lambda: worker.done and points(window) == 50, timeout=WAIT_MS)
    assert window.worker is worker and worker.session.step == 50
    assert marker_labels(window) == {20: "steps 20→50"}
    assert [c.label for c in read_changes(worker.run_dir)] == ["steps 20→50"]
    floor = spec.train.lr * spec.train.min_lr_ratio
    assert worker.session.lr_at(35) == floor and worker.session.lr_at(19) > floor  # the schedule kept its end

    steps.setValue(steps.value() - 2)  # 50 -> 10: fewer than it has taken
    qtbot.waitUntil(lambda: window.worker is not worker, timeout=WAIT_MS)
    assert "the model was rebuilt" in window.statusBar().message()
    window.undo()  # the trained model comes back, at its own 50 steps
    qtbot.waitUntil(lambda: window.stepLabel.text() == "step 50 / 50", timeout=WAIT_MS)
    assert window.spec.train.max_steps == 50


def test_undo_of_a_raise_the_run_trained_past_keeps_the_trained_model_and_goes_on_to_the_next(open_window, qtbot):
    """QA: a finished run's Training steps raised from 1,500 to 2,000 and trained on; Ctrl+Z put an untrained model in
    its place (lowered below the steps taken, Training steps rebuilds), and nothing brought the 1,500-step model back:
    it trained on in its run. The Undo says so, keeps the model, and the next Ctrl+Z goes further back."""
    spec = make_spec(TINY).updated({"train.max_steps": 20, "train.eval_interval": 10, "train.snapshot_interval": 10})
    window = open_window(spec)
    window.findChild(QSlider, "lrSlider").setValue(window.findChild(QSlider, "lrSlider").value() - 1)  # untrained
    window.play()
    qtbot.waitUntil(lambda: window.worker.done and window.speedLabel.text() == "finished", timeout=WAIT_MS)
    worker = window.worker
    steps = window.findChild(QSlider, "stepsSlider")
    steps.setValue(steps.value() + 1)  # 20 -> 50
    assert window.undoAction.text().startswith("&Undo: training steps 50 → 20")
    window.play()
    qtbot.waitUntil(lambda: worker.done and window.stepLabel.text() == "step 50 / 50", timeout=WAIT_MS)
    window.undo()
    assert window.worker is worker and window.spec.train.max_steps == 50 and window.stepLabel.text() == "step 50 / 50"
    assert window.statusBar().message() == (
        "Undo skipped — training steps 50 → 20 would end this run before step 50, which it has reached; Ctrl+Z again "
        "undoes the change before it. Training steps set to 20 by hand trains a new, shorter run.")
    # what and why in the headline a 1280-px window shows (review: "Not undone (Ctrl+I for more)")
    assert window.statusBar().currentMessage().startswith("Undo skipped — training steps 50 → 20 would end this run")
    assert window.undoAction.text().startswith("&Undo: learning rate")  # the change before it
    window.undo()
    assert window.worker is worker and window.spec.train.lr == spec.train.lr  # (a learning rate: the model stays)


def test_raising_the_steps_of_a_run_whose_warm_up_was_shortened_trains_it_on(open_window, qtbot):
    """QA: lowered to 10 steps (the warm-up of 50 shortened to 0), trained, then raised to 100: "Warm-up 0 → 50 steps
    again" rebuilt the trained model. The run goes on, past its warm-up; its warm-up stays as it trained."""
    window = open_window(make_spec(TINY).updated({"train.max_steps": 200, "train.warmup_steps": 50,
                                                  "train.eval_interval": 10, "train.snapshot_interval": 10}))
    steps = window.findChild(QSlider, "stepsSlider")
    control = window.config.sliders["train.max_steps"]
    steps.setValue(control.choices().index(10))
    assert window.spec.train.warmup_steps == 0 and window.spec.train.max_steps == 10
    window.play()
    qtbot.waitUntil(lambda: window.worker.done and window.speedLabel.text() == "finished", timeout=WAIT_MS)
    worker = window.worker
    steps.setValue(control.choices().index(100))
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("The run goes on to step 100"),
                    timeout=WAIT_MS)
    assert window.worker is worker and window.spec.train.warmup_steps == 0 and window.spec.train.max_steps == 100


def finished_run(open_window, qtbot, steps: int = 20):
    """A window whose run of TINY trained its `steps` steps (paused at the end)."""
    spec = make_spec(TINY).updated({"train.max_steps": steps, "train.eval_interval": 10,
                                    "train.snapshot_interval": 10})
    window = open_window(spec)
    window.play()
    qtbot.waitUntil(lambda: window.worker.done and window.speedLabel.text() == "finished", timeout=WAIT_MS)
    return window


def test_steps_moved_away_and_back_on_a_finished_run_say_nothing(open_window, qtbot):
    """Review: up and down again within the settling time said "The run goes on to step 20, press Play"."""
    window = finished_run(open_window, qtbot)
    steps = window.findChild(QSlider, "stepsSlider")
    said = window.statusBar().currentMessage()
    steps.setValue(steps.value() + 1)
    steps.setValue(steps.value() - 1)
    window._send_live_changes(now=True)
    assert window.statusBar().currentMessage() == said and window.speedLabel.text() == "finished"
    steps.setValue(steps.value() + 1)  # as arrow keys do, half a second apart (QA: two changes, each marked)
    qtbot.wait(500)
    steps.setValue(steps.value() - 1)
    qtbot.wait(main_window.STEPS_SETTLE_MS + 300)
    assert window.statusBar().currentMessage() == said and window.speedLabel.text() == "finished"
    assert window.worker.done and read_changes(window.worker.run_dir) == []


def test_a_raise_that_meets_the_runs_end_on_its_way_leaves_it_going_on(open_window, qtbot):
    """Review: the run's end, drained after the raise was sent, said "Finished 20 steps" beside a run that had
    gone on, the train bar back at "step 20 / 20"."""
    window = finished_run(open_window, qtbot)
    worker = window.worker
    window._timer.stop()  # the window drains nothing meanwhile: the end and the raise cross
    worker.buffer.put(worker.buffer.drain().finished or FinishedEvent(20, "completed"))
    steps = window.findChild(QSlider, "stepsSlider")
    steps.setValue(steps.value() + 1)  # 20 -> 50
    window._send_live_changes(now=True)
    qtbot.waitUntil(lambda: worker.session.spec.train.max_steps == 50, timeout=WAIT_MS)  # applied by the thread
    window._refresh()
    assert window.statusBar().currentMessage().startswith(
        "The run goes on to step 50 at the final learning rate 3e-4, 10% of its peak, press Play")
    assert window.stepLabel.text() == "step 20 / 50" and window.speedLabel.text() == "paused"
    window._timer.start()
    window.play()
    qtbot.waitUntil(lambda: worker.done and points(window) == 50, timeout=WAIT_MS)


def test_a_raise_made_while_a_finished_run_loads_is_not_lost(open_window, qtbot, monkeypatch):
    """Review: raised before the resumed run's checkpoint had loaded, the run said it went on, and Play answered
    "Finished: raise Training steps…" (the thread worked out `done` from the old end after the raise)."""
    import time

    from test_ui_runs import resume_in_runs_tab

    from playground.training.session import TrainingSession

    window = finished_run(open_window, qtbot)
    folder = window.worker.run_dir
    window.reset()
    qtbot.waitUntil(lambda: all(w.isFinished() for w in window.workers()), timeout=WAIT_MS)
    real = TrainingSession.resume.__func__

    def slow(cls, *args, **kwargs):
        time.sleep(0.5)  # as a launch's first Resume, while torch loads
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(TrainingSession, "resume", classmethod(slow))
    resume_in_runs_tab(window, folder)
    assert window.worker.session is None
    steps = window.findChild(QSlider, "stepsSlider")
    steps.setValue(steps.value() + 1)  # 20 -> 50, before the checkpoint loaded
    window._send_live_changes(now=True)
    window.play()
    qtbot.waitUntil(lambda: window.worker.step == 50 and window.worker.done, timeout=WAIT_MS)


def test_a_rate_changed_on_a_finished_run_goes_on_with_it_when_raised(open_window, qtbot):
    """Review: the rate changed while the run stood finished was dropped ("applies to the next run"), and the run
    raised then trained on at the old one, beside a panel showing the new."""
    window = finished_run(open_window, qtbot)
    worker = window.worker
    lr = window.findChild(QSlider, "lrSlider")
    lr.setValue(lr.value() - 2)  # 3e-3 -> 1e-3
    window._send_live_changes(now=True)
    assert "applies when it trains on (raise Training steps)" in window.statusBar().message()
    steps = window.findChild(QSlider, "stepsSlider")
    steps.setValue(steps.value() + 1)
    window._send_live_changes(now=True)
    qtbot.waitUntil(lambda: len(read_changes(worker.run_dir)) == 2, timeout=WAIT_MS)
    assert sorted(c.label for c in read_changes(worker.run_dir)) == ["lr 3e-3→1e-3", "steps 20→50"]
    assert worker.session.spec.train.lr == 1e-3
    assert "at the final learning rate 1e-4" in window.statusBar().message()  # 1e-3 x min_lr_ratio 0.1


def test_a_lowering_the_run_went_past_while_it_settled_rebuilds_the_model(open_window, qtbot):
    """Review: judged as the slider moved, sent once it settled (1.2 s later) and refused by then, a lowering left the
    panel at 50 beside a run training on to 1,000, the bar reading "step 740 / 100"."""
    window = finished_run(open_window, qtbot)
    worker = window.worker
    steps = window.findChild(QSlider, "stepsSlider")
    steps.setValue(steps.value() + 4)  # 20 -> 1,000
    window._send_live_changes(now=True)
    steps.setValue(steps.value() - 3)  # -> 50: above the step taken now, so the run would end there
    assert "train.max_steps" in window._live
    worker.play()  # (the worker alone: the window's Play would send the change at once)
    qtbot.waitUntil(lambda: worker.step > 60, timeout=WAIT_MS)
    worker.pause()
    window._send_live_changes()  # the slider settled: the run is past 50 now
    assert window.worker is not worker and "the model was rebuilt" in window.statusBar().message()
    assert window.spec.train.max_steps == 50


def test_a_raise_replayed_on_resume_is_the_workers_end_too(qtbot, tmp_path):
    """Review: a run resumed from a checkpoint older than its raise trained on to the raised end while the window's
    bar, reading the worker's settings, said "step 72 / 50"."""
    from playground.training.session import TrainingSession
    from playground.ui.worker import TrainingWorker

    spec = make_spec(TINY).updated({"train.max_steps": 8, "train.checkpoint_interval": 4, "train.eval_interval": 4,
                                    "train.snapshot_interval": 4})
    first = TrainingSession(spec, run_dir=tmp_path)
    for event in first.run():
        if getattr(event, "step", 0) == 6 and type(event).__name__ == "MetricsEvent":
            first.change("train.max_steps", 12)
            break
    first.close()
    worker = TrainingWorker(spec, None, resume_from=tmp_path)
    worker.start()
    try:
        worker.play()
        qtbot.waitUntil(lambda: worker.done, timeout=WAIT_MS)
        assert worker.step == 12 and worker.spec.train.max_steps == 12
    finally:
        worker.stop(save=False)
        worker.wait()


def test_a_resumed_runs_schedule_end_is_known_before_its_checkpoint_loads(open_window, qtbot, monkeypatch):
    """Review: until the thread had loaded it, an extended run's schedule was taken to end at its raised end, so a
    lowering back towards its real end rebuilt the model."""
    import time

    from test_ui_runs import resume_in_runs_tab

    from playground.training.session import TrainingSession

    window = finished_run(open_window, qtbot)
    steps = window.findChild(QSlider, "stepsSlider")
    steps.setValue(steps.value() + 1)  # 20 -> 50
    window._send_live_changes(now=True)
    window.play()
    qtbot.waitUntil(lambda: window.worker.done and window.worker.step == 50, timeout=WAIT_MS)
    folder = window.worker.run_dir
    window.reset()
    qtbot.waitUntil(lambda: all(w.isFinished() for w in window.workers()), timeout=WAIT_MS)
    real = TrainingSession.resume.__func__
    monkeypatch.setattr(TrainingSession, "resume",
                        classmethod(lambda cls, *a, **k: time.sleep(0.5) or real(cls, *a, **k)))
    resume_in_runs_tab(window, folder)
    assert window.worker.session is None and window.spec.train.max_steps == 50
    assert window.worker.schedule_end == 20
