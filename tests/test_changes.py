"""Settings changed mid-run (issue 24): applied at the next step, recorded, and replayed by resume."""

import json

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn

from playground.cli import main
from playground.core.spec import make_spec
from playground.models import MultiHeadAttention
from playground.training.changes import CHANGES_FILE, ChangesError, SettingChange, read_changes, spec_after
from playground.training.events import MetricsEvent
from playground.training.runs import read_metrics
from playground.training.session import TrainingSession
from playground.training.tensorboard_log import TensorBoardLog

SPEC = make_spec({
    "name": "tiny-changes",
    "model": {"family": "decoder", "n_embd": 16, "n_head": 2, "n_layer": 1, "d_ff": 32, "block_size": 8,
              "dropout": 0.1},
    "data": {"name": "reverse"},
    "train": {"batch_size": 4, "lr": 3e-3, "warmup_steps": 1, "max_steps": 8, "eval_interval": 100,
              "eval_batches": 1, "snapshot_interval": 100, "sample_interval": 100, "checkpoint_interval": 4,
              "device": "cpu", "compile": "off"},
})
# Changed after step CHANGE_AT: every live setting at once.
CHANGE_AT = 5
NEW = {"train.lr": 1e-3, "model.dropout": 0.3, "train.weight_decay": 0.2, "train.batch_size": 6,
       "train.grad_clip": 0.01}


def train(session: TrainingSession, stop_after: int | None = None) -> list[float]:
    """Drive `session.run()` as the window does, making the NEW changes between steps CHANGE_AT and CHANGE_AT + 1;
    the losses of the steps it trained (up to `stop_after`)."""
    losses = []
    for event in session.run():
        if not isinstance(event, MetricsEvent):
            continue
        losses.append(event.train_loss)
        if event.step == stop_after:
            break
        if event.step == CHANGE_AT:
            for key, value in NEW.items():
                session.change(key, value)
    return losses


@pytest.fixture(scope="module")
def straight() -> list[float]:
    """The uninterrupted curve, with the NEW changes after step CHANGE_AT."""
    return train(TrainingSession(SPEC))


def interrupted(run_dir, board: bool = False) -> list[float]:
    """A run in `run_dir` killed after step CHANGE_AT + 1: the checkpoint of step 4 (before the changes) is kept,
    and changes.json holds the changes. Its losses up to the checkpoint."""
    first = TrainingSession(SPEC, run_dir=run_dir)
    log = TensorBoardLog(run_dir) if board else None
    if log is not None:
        first.subscribe(log)
    head = train(first, stop_after=CHANGE_AT + 1)[:4]
    if log is not None:
        log.close()
    first.close()
    return head


def test_each_change_reaches_the_step_after_it():
    session = TrainingSession(SPEC)
    seen = []  # what each optimizer step saw: learning rate, weight decay, clipped gradient norm, dropout rates

    def before_update(optimizer, args, kwargs):
        grads = [p.grad.norm() for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        rates = {m.p for m in session.model.modules() if isinstance(m, nn.Dropout)}
        rates |= {m.attn_dropout for m in session.model.modules() if isinstance(m, MultiHeadAttention)}
        decay = optimizer.param_groups[0]
        seen.append((decay["lr"], decay["weight_decay"], float(np.linalg.norm([float(g) for g in grads])), rates))

    batches = []
    session.optimizer.register_step_pre_hook(before_update)
    session.model.register_forward_pre_hook(lambda m, args: batches.append(args[0].shape[0]) if m.training else None)
    for _ in range(CHANGE_AT):
        session.train_step()
    changes = [session.change(key, value) for key, value in NEW.items()]
    assert session.change("train.lr", 1e-3) is None  # already that
    with pytest.raises(ValueError, match="cannot change during a run"):
        session.change("model.n_layer", 2)
    events = [session.train_step() for _ in range(2)]

    assert [c.step for c in changes] == [CHANGE_AT] * len(NEW)
    assert [(c.key, c.new) for c in changes] == list(NEW.items()) and session.changes == changes
    assert changes[0].label == "lr 3e-3→1e-3" and changes[-1].label == "clip 1→0.01"
    assert batches == [4] * CHANGE_AT + [6, 6]
    before, after = seen[CHANGE_AT - 1], seen[CHANGE_AT]
    assert before[1:] == (0.01, pytest.approx(before[2]), {0.1}) and before[2] > 0.05
    assert after[1] == 0.2 and after[2] == pytest.approx(0.01, rel=1e-3) and after[3] == {0.3}
    # The learning rate is the schedule's peak: the step after the change trains at new peak x the same factor.
    assert after[0] == pytest.approx(before[0] * session.lr_at(CHANGE_AT) / session.lr_at(CHANGE_AT - 1) / 3)
    assert events[0].lr == pytest.approx(SPEC.train.lr / 3 * TrainingSession(SPEC).lr_at(CHANGE_AT) / SPEC.train.lr)


def test_a_run_resumed_from_before_its_changes_replays_them_on_the_same_curve(tmp_path, straight):
    head = interrupted(tmp_path, board=True)
    recorded = read_changes(tmp_path)
    assert [(c.step, c.key, c.new) for c in recorded] == [(CHANGE_AT, k, v) for k, v in NEW.items()]

    resumed = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    assert resumed.step == 4 and resumed.changes == []
    events = list(resumed.run())
    replayed = [e for e in events if isinstance(e, SettingChange)]
    assert replayed == recorded
    np.testing.assert_allclose(head + [e.train_loss for e in events if isinstance(e, MetricsEvent)], straight,
                               rtol=1e-5)
    resumed.close()

    # Resumed after the changes (the checkpoint of step 8), the run keeps the changed values and replays nothing.
    again = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    assert again.changes == recorded and again._planned == []
    assert again.lr_at(4) == pytest.approx(TrainingSession(spec_after(SPEC, recorded, 8)).lr_at(4))
    assert {m.p for m in again.model.modules() if isinstance(m, nn.Dropout)} == {0.3}
    assert (again.spec.train.batch_size, again.spec.train.grad_clip, again.spec.train.weight_decay) == (6, 0.01, 0.2)
    again.close()

    # TensorBoard: a line of text at the step, and the setting's scalar stepping to its new value at the next.
    acc = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    text = acc.Tensors("changes/text_summary")[0]
    assert text.step == CHANGE_AT and b"after step 5: lr 3e-3\xe2\x86\x921e-3" in text.tensor_proto.string_val[0]
    assert [(e.step, e.value) for e in acc.Scalars("settings/train.batch_size")] == [(5, 4.0), (6, 6.0)]


def test_a_damaged_changes_record_is_refused_in_one_line(tmp_path):
    (tmp_path / CHANGES_FILE).write_text(json.dumps([{"step": 3, "key": "model.n_layer", "old": 1, "new": 2}]))
    with pytest.raises(ChangesError, match="changes.json is damaged.*delete it") as refused:
        read_changes(tmp_path)
    assert "\n" not in str(refused.value) and len(str(refused.value)) <= 300
    (tmp_path / CHANGES_FILE).write_text('[{"step": 3, "key": "train.lr", "old": 1, "new": NaN}]')
    with pytest.raises(ChangesError, match="not a step, a live setting"):
        read_changes(tmp_path)


def test_playground_resume_replays_the_changes(tmp_path, straight, capsys):
    interrupted(tmp_path)
    assert main(["resume", str(tmp_path)]) == 0
    assert "after step 5: lr 3e-3→1e-3, as the run changed it" in capsys.readouterr().err
    rows = read_metrics(tmp_path)
    assert [int(row["step"]) for row in rows] == [5, 6, 7, 8]
    np.testing.assert_allclose([float(row["train_loss"]) for row in rows], straight[4:], rtol=2e-5)


def test_training_steps_raised_go_on_in_the_same_loop_and_after_a_resume(tmp_path, capsys):
    """Raised on the way, the loop trains to the new end on the schedule it had; raised at the run's end and resumed
    from the checkpoint before the raise, the run goes on to it too (resume said "already finished its 8 steps")."""
    session = TrainingSession(SPEC)
    steps = []
    for event in session.run():
        if isinstance(event, MetricsEvent):
            steps.append(event.step)
            if event.step == CHANGE_AT:
                assert session.change("train.max_steps", 12).label == "steps 8→12"
    assert steps == list(range(1, 13))
    floor = SPEC.train.lr * SPEC.train.min_lr_ratio
    assert session.lr_at(7) > floor and session.lr_at(10) == pytest.approx(floor)  # the decay still ends at 8
    with pytest.raises(ValueError, match="can go up from 12, not down to 7"):
        session.change("train.max_steps", 7)
    session.diverged = True
    with pytest.raises(ValueError, match="loss blew up"):
        session.change("train.max_steps", 20)

    first = TrainingSession(SPEC, run_dir=tmp_path)
    list(first.run())  # its checkpoints: steps 4 and 8
    first.change("train.max_steps", 10)  # at the end, and closed before any checkpoint keeps it
    first.close()
    plain = TrainingSession.resume(tmp_path / "checkpoint")
    assert (plain.step, plain.spec.train.max_steps, plain.planned_end) == (8, 8, 10)
    plain.close()
    assert main(["resume", str(tmp_path)]) == 0
    assert "after step 8: steps 8→10, as the run changed it" in capsys.readouterr().err
    assert [int(row["step"]) for row in read_metrics(tmp_path)] == [9, 10]


def test_a_raise_of_the_steps_replayed_by_resume_draws_the_same_curve(tmp_path):
    """Review: the raise's replay was checked for where the run goes to, not for the curve it draws."""
    def raised(session: TrainingSession, stop_after: int | None = None) -> list[float]:
        losses = []
        for event in session.run():
            if isinstance(event, MetricsEvent):
                losses.append(event.train_loss)
                if event.step == stop_after:
                    break
                if event.step == CHANGE_AT:
                    session.change("train.max_steps", 12)
        return losses

    straight = raised(TrainingSession(SPEC))
    first = TrainingSession(SPEC, run_dir=tmp_path)
    head = raised(first, stop_after=CHANGE_AT + 1)[:4]  # killed after step 6: its checkpoint is step 4's
    first.close()
    resumed = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    rest = [e.train_loss for e in resumed.run() if isinstance(e, MetricsEvent)]
    resumed.close()
    assert len(straight) == 12 and len(head + rest) == 12
    np.testing.assert_allclose(head + rest, straight, rtol=1e-5)


def test_a_cli_extension_outranks_a_raise_recorded_after_the_checkpoint_in_every_later_resume(tmp_path):
    """Review: the raise dropped from memory stayed in changes.json, and a second resume trained to it (12), not 24."""
    first = TrainingSession(SPEC, run_dir=tmp_path)
    for event in first.run():
        if isinstance(event, MetricsEvent) and event.step == CHANGE_AT + 1:
            first.change("train.max_steps", 12)  # after the checkpoint of step 4, then killed
            break
    first.close()
    again = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    again.extend(20)  # `playground resume --steps 20` from step 4
    again.close()
    assert [(c.step, c.new) for c in read_changes(tmp_path)] == [(4, 24)]
    third = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    assert third.planned_end == 24
    third.close()


def test_a_change_with_the_run_folder_gone_is_refused_and_makes_no_folder(tmp_path):
    """A paused run's folder moved away, then its learning rate changed: changes.json made the folder again (that
    file alone) and the run trained on into it."""
    run_dir = tmp_path / "run"
    session = TrainingSession(SPEC, run_dir=run_dir)
    session.train_step()
    run_dir.rename(tmp_path / "moved")
    with pytest.raises(ValueError, match="is gone .moved or deleted while it trained.: put it back there"):
        session.change("train.lr", 1e-3)
    assert not run_dir.exists() and session.spec.train.lr == SPEC.train.lr and session.changes == []
