"""The training session, driven in plain pytest: learning, determinism, checkpoints, resume, events."""

import json
import math
import re

import numpy as np
import pytest
import torch

from playground.core.spec import make_spec
from playground.training.events import AttentionSnapshot, FinishedEvent, MetricsEvent, SampleEvent, StatusEvent
from playground.training.runs import RunsError
from playground.training.session import MEMORISING, TrainingSession

TINY_MODEL = {"n_embd": 32, "n_head": 2, "n_layer": 2, "d_ff": 64}
TINY_TRAIN = {"batch_size": 32, "lr": 3e-3, "warmup_steps": 5, "eval_interval": 20, "eval_batches": 2,
              "snapshot_interval": 10, "sample_interval": 20, "checkpoint_interval": 1000, "device": "cpu"}


def tiny(family: str, data: str, steps: int = 40, **model) -> dict:
    model = {**TINY_MODEL, "family": family, **model}
    return {"name": f"tiny-{family}", "model": model, "data": {"name": data},
            "train": {**TINY_TRAIN, "max_steps": steps}}


CASES = {
    "decoder-text": tiny("decoder", "zen", block_size=16),
    "encoder-reverse": tiny("encoder", "reverse", block_size=8),
    "vit-digits": tiny("vit", "digits", image_size=8, patch_size=2),
}


def losses(session: TrainingSession) -> list[float]:
    return [e.train_loss for e in session.run() if isinstance(e, MetricsEvent)]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_each_family_learns(case):
    spec = make_spec(CASES[case]).updated({"train.max_steps": 120, "train.lr": 1e-2, "train.eval_interval": 1000,
                                           "train.snapshot_interval": 1000, "train.sample_interval": 1000})
    curve = losses(TrainingSession(spec))
    assert len(curve) == 120
    assert np.mean(curve[-10:]) < 0.8 * np.mean(curve[:5]), curve


@pytest.mark.slow
def test_same_seed_same_curve_and_other_seed_differs():
    spec = make_spec(CASES["decoder-text"]).updated({"train.max_steps": 8})
    first, again = losses(TrainingSession(spec)), losses(TrainingSession(spec))
    assert first == again
    assert losses(TrainingSession(spec.updated({"train.seed": 7}))) != first


@pytest.mark.slow
def test_events_carry_validation_snapshots_and_samples():
    events = list(TrainingSession(make_spec(CASES["decoder-text"])).run())
    metrics = [e for e in events if isinstance(e, MetricsEvent)]
    assert [m.step for m in metrics if m.val_loss is not None] == [20, 40]
    snaps = [e for e in events if isinstance(e, AttentionSnapshot)]
    assert [s.step for s in snaps] == [0, 10, 20, 30, 40]
    weights = snaps[-1].weights
    assert weights.shape == (2, 2, 16, 16)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert np.allclose(np.triu(weights, k=1), 0), "a decoder attends to a later position"
    assert len(snaps[-1].labels) == 16
    assert any(isinstance(e, SampleEvent) and e.text for e in events)
    assert isinstance(events[-1], FinishedEvent) and events[-1].reason == "completed"
    assert metrics[-1].eta_s == 0 and metrics[0].throughput > 0


@pytest.mark.slow
def test_classifier_reports_accuracy_and_confusion():
    events = list(TrainingSession(make_spec(CASES["vit-digits"])).run())
    last = [e for e in events if isinstance(e, MetricsEvent) and e.val_loss is not None][-1]
    assert 0.0 <= last.val_accuracy <= 1.0
    assert last.confusion.shape == (10, 10) and last.confusion.sum() == 2 * 32


@pytest.mark.slow
def test_stop_after_k_events_then_continue():
    session = TrainingSession(make_spec(CASES["encoder-reverse"]))
    for count, _ in enumerate(session.run(), start=1):
        if count == 5:
            break
    assert 0 < session.step < 5
    list(session.run(steps=3))
    assert session.step in range(4, 8)


@pytest.mark.slow
def test_learning_rate_changes_live():
    session = TrainingSession(make_spec(CASES["decoder-text"]))
    list(session.run(steps=10))
    before = session.lr_at(session.step)
    session.change("train.lr", session.spec.train.lr / 10)
    event = next(e for e in session.run(steps=1) if isinstance(e, MetricsEvent))
    assert math.isclose(event.lr, session.lr_at(event.step - 1)) and event.lr < before / 5
    with pytest.raises(ValueError):
        session.change("train.lr", -1)


@pytest.mark.slow
def test_checkpoint_resume_continues_the_same_curve(tmp_path):
    spec = make_spec(CASES["decoder-text"]).updated({"train.max_steps": 20, "model.dropout": 0.1})
    straight = losses(TrainingSession(spec))
    first = TrainingSession(spec, run_dir=tmp_path)
    head = [e.train_loss for e in first.run(steps=10) if isinstance(e, MetricsEvent)]
    first.save()
    leftovers = [tmp_path / ".run.json.x1.tmp", tmp_path / "checkpoint" / ".state.json.x2.tmp"]
    for path in leftovers:  # what a save killed midway leaves
        path.write_text("partial")
    with pytest.raises(RunsError, match="in use"):  # one session at a time in a run folder
        TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    first.close()
    resumed = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    assert resumed.step == 10 and resumed.checkpoint_step == 10
    assert not any(path.exists() for path in leftovers)
    tail = losses(resumed)
    np.testing.assert_allclose(head + tail, straight, rtol=1e-5)


def test_a_resumed_run_keeps_the_precision_it_trained_in(tmp_path, monkeypatch):
    """QA: `auto` measured the precision again at resume, and a busy machine's measurement went on in the other
    one: the resumed curve left the uninterrupted one by up to 0.037."""
    import torch

    from playground.training import device

    spec = make_spec(CASES["decoder-text"]).updated({"train.max_steps": 6})
    monkeypatch.setattr(device, "choose_precision", lambda *args: torch.bfloat16)  # what this machine measured
    first = TrainingSession(spec, run_dir=tmp_path)
    assert first.placement.dtype == torch.bfloat16
    list(first.run(steps=3))
    first.save()
    first.close()
    monkeypatch.setattr(device, "choose_precision", lambda train, *args: {"bf16": torch.bfloat16}.get(
        train.precision, torch.float32))  # ...and measures now, busy: float32 unless told
    resumed = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    assert resumed.placement.dtype == torch.bfloat16 and resumed.spec.train.precision == "bf16"
    resumed.close()
    state = json.loads((tmp_path / "checkpoint" / "state.json").read_text())
    state["device"] = "cuda"  # trained on a GPU, resumed on this CPU: measured here again, not pinned
    (tmp_path / "checkpoint" / "state.json").write_text(json.dumps(state))
    elsewhere = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    assert elsewhere.placement.dtype == torch.float32 and elsewhere.spec.train.precision == "auto"
    elsewhere.close()


class CutOffAfterTheUpdate:
    """A training step interrupted (Ctrl-C) after the weights and optimizer moved on but before the step count
    did: the torn state a save must never keep."""

    def __init__(self, step_fn) -> None:
        self.step_fn = step_fn

    def __getattr__(self, name: str):
        return getattr(self.step_fn, name)

    def __call__(self, *args):
        self.step_fn(*args)
        raise KeyboardInterrupt


@pytest.mark.slow
def test_a_step_cut_off_midway_is_never_saved_and_resume_draws_the_same_curve(tmp_path, monkeypatch):
    spec = make_spec(CASES["encoder-reverse"]).updated({"train.max_steps": 16, "model.dropout": 0.1})
    straight = losses(TrainingSession(spec))
    first = TrainingSession(spec, run_dir=tmp_path)
    head = [e.train_loss for e in first.run(steps=10) if isinstance(e, MetricsEvent)]
    first.save()
    list(first.run(steps=2))
    monkeypatch.setattr(first, "_step_fn", CutOffAfterTheUpdate(first._step_fn))
    with pytest.raises(KeyboardInterrupt):
        list(first.run(steps=1))
    first.save()
    assert first.checkpoint_step == 10  # the torn state was not saved over the whole step 10
    first.close()
    resumed = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    np.testing.assert_allclose(head + losses(resumed), straight, rtol=1e-5)


@pytest.mark.slow
def test_extend_trains_past_the_end_at_the_final_learning_rate(tmp_path):
    spec = make_spec(CASES["encoder-reverse"]).updated({"train.max_steps": 20})
    first = TrainingSession(spec, run_dir=tmp_path)
    lrs = [e.lr for e in first.run() if isinstance(e, MetricsEvent)]
    first.save()
    first.close()
    resumed = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
    resumed.extend(3)
    assert resumed.spec.train.max_steps == 23
    more = [e for e in resumed.run() if isinstance(e, MetricsEvent)]
    floor = spec.train.lr * spec.train.min_lr_ratio
    assert [e.step for e in more] == [21, 22, 23]
    np.testing.assert_allclose([e.lr for e in more], floor, rtol=1e-12)
    assert lrs[-1] - floor < 0.01 * spec.train.lr  # the decay had reached the floor: no jump
    leftover = tmp_path / "checkpoint" / ".model-000000023-1.safetensors.x3.tmp"
    leftover.write_bytes(b"a save killed midway")
    resumed.save()
    assert not leftover.exists()
    resumed.close()
    again = TrainingSession.resume(tmp_path / "checkpoint")
    assert again.spec.train.max_steps == 23 and math.isclose(again.lr_at(23), floor)
    with pytest.raises(ValueError, match="decays to 0"):
        TrainingSession(spec.updated({"train.min_lr_ratio": 0.0})).extend(40)
    with pytest.raises(ValueError, match="at step 23: at most 99,999,977 more"):  # (resume --steps said
        again.extend(100_000_000)  # "input should be less than or equal to 100000000, got 100000023")


@pytest.mark.parametrize("checkpoint_interval", [1, 1000])
def test_divergence_keeps_only_a_checkpoint_that_evaluates_good(tmp_path, checkpoint_interval):
    spec = make_spec(CASES["decoder-text"]).updated(
        {"train.lr": 10.0, "train.grad_clip": 0.0, "train.warmup_steps": 0, "train.max_steps": 200,
         "train.checkpoint_interval": checkpoint_interval})
    session = TrainingSession(spec, run_dir=tmp_path)
    events = list(session.run())
    finished = events[-1]
    assert isinstance(finished, FinishedEvent) and finished.reason == "diverged"
    assert "learning rate" in finished.message and "too high" in finished.message
    session.save()  # what the window does on close: must not overwrite the good checkpoint
    session.close()
    if session.checkpoint_step is None:
        assert "no checkpoint was saved" in finished.message and "kept" not in finished.message
        assert not (tmp_path / "checkpoint" / "state.json").exists()
        return
    assert f"checkpoint, of step {session.checkpoint_step}, is kept" in finished.message
    kept = TrainingSession.resume(tmp_path / "checkpoint")
    val_loss = kept.evaluate()[0]
    assert kept.step == session.checkpoint_step < session.step
    assert math.isfinite(val_loss) and val_loss < 10 * math.log(kept.info.n_classes)


def test_a_validation_loss_past_the_threshold_from_memorising_trains_on_and_saves(tmp_path, monkeypatch):
    """Newcomer QA: an 8-row CSV's run was stopped as diverged ("the learning rate is most likely too high") at a
    validation loss of 9.2, its training loss 0.0001, and nothing was saved: the model had learnt its few training
    rows by heart and was sure of the one validation row it got wrong."""
    spec = make_spec(CASES["encoder-reverse"]).updated(
        {"train.max_steps": 20, "train.eval_interval": 10, "train.checkpoint_interval": 10})
    session = TrainingSession(spec, run_dir=tmp_path)
    real_evaluate = session.evaluate

    def sure_and_wrong():  # the real evaluation, its loss that of a model sure of wrong answers
        _loss, accuracy, confusion = real_evaluate()
        session._evaluated = (session.step, 100.0)
        return 100.0, accuracy, confusion

    monkeypatch.setattr(session, "evaluate", sure_and_wrong)
    events = list(session.run())
    assert 100.0 > 10 * math.log(session.info.n_classes)  # past the divergence threshold
    assert isinstance(events[-1], FinishedEvent) and events[-1].reason == "completed", events[-1].message
    notes = [e.message for e in events if isinstance(e, StatusEvent) and e.message.startswith("Validation loss 100")]
    assert len(notes) == 1 and notes[0].endswith(MEMORISING[-40:])
    assert session.checkpoint_step == 20 and (tmp_path / "checkpoint" / "state.json").exists()


def test_weights_that_blew_up_are_told_apart_from_a_model_that_memorised():
    session = TrainingSession(make_spec(CASES["encoder-reverse"]).updated({"train.max_steps": 40}))
    for _ in session.run():  # trained: its training batches are well under chance
        pass
    assert session._training_batch_loss() < math.log(session.info.n_classes)
    assert not session._blown_up(100.0)
    with torch.no_grad():
        for weight in session.model.parameters():
            weight.mul_(1e3)
    assert session._blown_up(100.0) and session._blown_up(math.inf)


def test_divergence_in_warm_up_names_the_peak_rate_it_advises_lowering():
    """QA: "the learning rate 0.15 is most likely too high. Try 0.5": 0.15 was warm-up's rate on its way to 5."""
    spec = make_spec(CASES["decoder-text"]).updated(
        {"train.lr": 10.0, "train.grad_clip": 0.0, "train.warmup_steps": 100, "train.max_steps": 200,
         "model.norm": "none"})
    finished = list(TrainingSession(spec).run())[-1]
    assert finished.reason == "diverged", finished.message
    assert "the learning rate 10 (at " in finished.message and "on the schedule at this step) is most likely too " \
        "high. Try 1;" in finished.message


def _rank_1_alone():
    """A distributed run's rank 1 with no process group: its DDP wrapper, batch slice and all-reduce stand aside."""
    from playground.training.distributed import DistContext

    class Alone(DistContext):
        def wrap(self, model):
            return model

        def shard(self, batch):
            return batch

        def mean(self, value):
            return value

    return Alone(rank=1, local_rank=1, world_size=1, local_world_size=1, backend="gloo", device=torch.device("cpu"))


@pytest.mark.parametrize("kind", ["training", "validation", "checkpoint", "checkpoint on rank 1"])
def test_the_step_that_diverged_is_shown_and_recorded_with_its_loss(tmp_path, monkeypatch, kind):
    """Newcomer QA: a run stopped with "the validation loss became 61.2 at step 100" while the train bar said step 99
    and the Runs tab showed step 99's loss: the step that blew up never reached the window or the run's record.
    `diverged` is set when the step is seen (the window's single Step goes on to the end message then): review, a
    checkpoint step that is no evaluation step emitted the step before its save found the weights blown up. A
    distributed run's other ranks, which save nothing, end there too (review: they went on into an all-reduce that
    rank 0, ended, never joined)."""
    from playground.training.runs import MetricsLog, read_metrics

    blows_at = 15 if kind.startswith("checkpoint") else 20  # (15: a checkpoint step between two evaluations)
    spec = make_spec(CASES["encoder-reverse"]).updated(
        {"train.max_steps": 40, "train.eval_interval": 10, "train.checkpoint_interval": 5})
    session = TrainingSession(spec, run_dir=tmp_path / "run" if kind == "checkpoint" else None,
                              dist=_rank_1_alone() if kind == "checkpoint on rank 1" else None)
    recorder = MetricsLog(tmp_path)
    session.subscribe(recorder)
    if kind != "training":  # the weights after step `blows_at` evaluate as blown up
        real_evaluate = session.evaluate

        def blown_up() -> tuple:
            loss, *rest = real_evaluate()
            if session.step == blows_at:
                loss = 1e4
                session._evaluated = (session.step, loss)  # (what a checkpoint's save reads)
            return (loss, *rest)

        monkeypatch.setattr(session, "evaluate", blown_up)
        monkeypatch.setattr(session, "_training_batch_loss", lambda: 2 * session._chance())
    else:  # the training loss of step 20 blows up
        real_step = session.train_step
        monkeypatch.setattr(session, "train_step", lambda: (lambda e: e if e.step != 20 else MetricsEvent(
            **{**e.__dict__, "train_loss": math.inf}))(real_step()))
    events, diverged_when_seen = [], None
    for event in session.run():
        events.append(event)
        if isinstance(event, MetricsEvent) and event.step == blows_at:
            diverged_when_seen = session.diverged
    recorder.close()
    finished, last = events[-1], events[-2]
    said = "training" if kind == "training" else "validation"
    assert isinstance(finished, FinishedEvent) and finished.reason == "diverged", finished
    assert f"the {said} loss became" in finished.message and f"at step {blows_at}:" in finished.message
    assert isinstance(last, MetricsEvent) and last.step == finished.step == blows_at and diverged_when_seen
    rows = read_metrics(tmp_path)
    assert int(rows[-1]["step"]) == blows_at
    # The blown-up loss is left out of the curves (drawn, a finite 1e4 flattened every curve and axis: review); the
    # end message says it. The other loss of the step is kept.
    blown, kept = ("train_loss", "val_loss") if kind == "training" else ("val_loss", "train_loss")
    assert math.isnan(getattr(last, blown)) and rows[-1][blown] == "nan"
    assert kind == "training" or math.isfinite(getattr(last, kept))
    if kind == "checkpoint":
        assert session.checkpoint_step == 10  # the last good save stays


def test_divergence_after_a_good_save_keeps_that_save(tmp_path):
    spec = make_spec(CASES["decoder-text"]).updated(
        {"train.lr": 10.0, "train.grad_clip": 0.0, "train.warmup_steps": 0, "train.max_steps": 200})
    session = TrainingSession(spec, run_dir=tmp_path)
    session.save()  # the last good checkpoint, at step 0
    finished = list(session.run())[-1]
    assert finished.reason == "diverged" and "checkpoint, of step 0, is kept" in finished.message
    session.save()
    session.close()
    assert TrainingSession.resume(tmp_path / "checkpoint").step == 0


def test_a_sample_drawn_early_is_recorded_once_and_none_comes_from_blown_up_weights(tiny_session):
    """A window paused after a step draws that step's sample at once (`take_due_sample`): the subscribers (the run
    folder's record) get it once, the loop does not draw it again, and weights that blew up draw none (sampling NaN
    odds ended the window's run with "please report it")."""
    from playground.training.events import MetricsEvent, SampleEvent

    session = tiny_session("decoder", "zen")
    session.spec = session.spec.updated({"train.sample_interval": 2})
    recorded = []
    session.subscribe(lambda event: recorded.append(event.step) if isinstance(event, SampleEvent) else None)
    events = session.run()
    while not (isinstance(event := next(events), MetricsEvent) and event.step == 2):
        pass
    early = session.take_due_sample()
    assert early is not None and early.step == 2 and session.take_due_sample() is None
    pulled = []
    while not (isinstance(event := next(events), MetricsEvent) and event.step == 4):
        pulled.append(event)
    assert recorded == [1, 2] and not any(isinstance(event, SampleEvent) for event in pulled)
    session.diverged = True
    assert session.take_due_sample() is None and recorded == [1, 2]


def test_a_resumed_run_does_not_draw_again_the_sample_its_checkpoint_step_drew(tiny_session, tmp_path):
    """QA: a finished lesson model brought back showed its last sample twice: the resumed session drew it again."""
    from playground.training.events import SampleEvent

    session = tiny_session("decoder", "zen")
    session.spec = session.spec.updated({"train.sample_interval": 2})
    drawn = [e.step for e in session.run(steps=2) if isinstance(e, SampleEvent)]
    assert drawn == [1, 2]
    session.save(tmp_path / "at2")
    resumed = TrainingSession.resume(tmp_path / "at2")
    assert resumed.step == 2 and resumed.take_due_sample() is None
    assert [e.step for e in resumed.run(steps=2) if isinstance(e, SampleEvent)] == [4]


def test_weights_that_do_not_fit_the_described_model_are_said_in_words(tiny_session, tmp_path):
    """QA: an n_embd edited in state.json showed torch's "Error(s) in loading state_dict for Decoder: size mismatch
    for …" dump."""
    import json

    from playground.training import checkpoint as ckpt_io

    session = tiny_session("decoder", "zen")
    list(session.run(steps=1))
    folder = session.save(tmp_path / "ckpt")
    state = json.loads((folder / "state.json").read_text())
    state["spec"]["model"]["n_embd"] *= 2
    (folder / "state.json").write_text(json.dumps(state))
    with pytest.raises(ckpt_io.CheckpointError) as err:
        TrainingSession.resume(folder)
    said = str(err.value)
    assert re.search(r"\(its \S+ is \d+ x \d+, the model's \d+ x \d+, and \d+ more differences\): its settings were "
                     r"edited", said) and "Error(s)" not in said and "torch.Size" not in said


def test_a_small_validation_set_is_counted_once_in_the_loss_accuracy_and_confusion(tmp_path):
    """QA: a 60-row CSV (6 validated) showed "256 of 256 right" in the Confusion tab: the random validation batches,
    drawn with replacement, were counted. Where the batches would draw more than there are, each is counted once, and
    by the curves too (QA: the accuracy curve read 22.7 % where the confusion matrix said 1 of 4 right)."""
    rows = ["text,label"] + [f"review {i} was {('good', 'bad')[i % 2]},{('pos', 'neg')[i % 2]}" for i in range(50)]
    (tmp_path / "reviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    spec = make_spec({"model": {"family": "encoder", "n_embd": 32, "n_head": 2, "n_layer": 1, "d_ff": 64,
                                "block_size": 8},
                      "data": {"name": "csv_file", "path": str(tmp_path / "reviews.csv"), "val_fraction": 0.1},
                      "train": {"batch_size": 2, "eval_batches": 4, "device": "cpu", "compile": "off"}})
    session = TrainingSession(spec)
    loss, accuracy, confusion = session.evaluate()  # batches of 2, 2 and 1: the last counts for one row (review)
    assert confusion.sum() == 5 and confusion.shape == (2, 2)
    assert accuracy == pytest.approx(np.trace(confusion) / 5)
    whole = session.dataset.whole_validation(5, 5)[0]  # the 5 examples in one batch: their mean loss
    with torch.no_grad():
        session.model.eval()
        by_hand = torch.nn.functional.cross_entropy(session.model(whole.x, whole.mask).logits, whole.y).item()
    assert loss == pytest.approx(by_hand, rel=1e-5)


def test_a_classifier_saved_before_its_rows_were_parted_by_class_says_so_when_resumed(tmp_path):
    """Review: a classifier run from before the stratified split validates, resumed, on other rows, some it trained
    on; its curve jumped without a word."""
    from conftest import TINY_SENTIMENT

    from playground.training.session import OTHER_SPLIT

    spec = make_spec(TINY_SENTIMENT).updated({"train.max_steps": 4})
    first = TrainingSession(spec, run_dir=tmp_path)
    list(first.run(steps=2))
    first.save()
    first.close()
    state_file = tmp_path / "checkpoint" / "state.json"
    assert json.loads(state_file.read_text())["split"] == 2

    def said_on_resume() -> list[str]:
        resumed = TrainingSession.resume(tmp_path / "checkpoint", run_dir=tmp_path)
        try:
            return [e.message for e in resumed.run(steps=1) if isinstance(e, StatusEvent) and e.level == "warning"]
        finally:
            resumed.close()

    assert OTHER_SPLIT not in said_on_resume()  # saved as it is parted now: nothing to say
    state = json.loads(state_file.read_text())
    del state["split"]  # as a checkpoint from before it was kept
    state_file.write_text(json.dumps(state))
    assert said_on_resume().count(OTHER_SPLIT) == 1
    # Data whose validation rows are its own (the pronoun task's sentences) was never parted: nothing to say (review)
    from playground.data import load

    pronoun = spec.updated({"data.name": "pronoun", "data.options": {}})
    assert not load(pronoun.data, pronoun.model, 0).drawn_split
    assert load(spec.data, spec.model, 0).drawn_split
