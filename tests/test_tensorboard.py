"""TensorBoard event files written beside metrics.csv, read back with tensorboard's own event reader."""

from __future__ import annotations

import time

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from playground import cli
from playground.core.presets import load_preset
from playground.training.session import TrainingSession
from playground.training.tensorboard_log import MIN_TILE_PX, TensorBoardLog, attention_grid

TINY = {"model.n_layer": 2, "model.n_embd": 16, "model.n_head": 2, "model.d_ff": 32, "train.batch_size": 4,
        "train.max_steps": 6, "train.warmup_steps": 2, "train.device": "cpu", "train.eval_batches": 1,
        "train.eval_interval": 3, "train.snapshot_interval": 3}


def read_events(folder) -> EventAccumulator:
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_session_scalars_and_attention_images(tmp_path):
    spec = load_preset("vit-digits").updated(TINY)
    session = TrainingSession(spec, run_dir=tmp_path)
    board = TensorBoardLog(tmp_path)
    session.subscribe(board)
    losses, lrs = [], []
    for event in session.run():
        if hasattr(event, "train_loss"):
            losses.append(event.train_loss)
            lrs.append(event.lr)
    board.close()

    acc = read_events(tmp_path)
    scalars = set(acc.Tags()["scalars"])
    assert {"loss/train", "loss/val", "accuracy/val", "lr", "throughput/images_per_s"} <= scalars
    train = acc.Scalars("loss/train")
    assert [e.step for e in train] == list(range(1, 7))
    np.testing.assert_allclose([e.value for e in train], losses, rtol=1e-6)
    np.testing.assert_allclose([e.value for e in acc.Scalars("lr")], lrs, rtol=1e-6)
    assert [e.step for e in acc.Scalars("loss/val")] == [3, 6]
    assert all(0.0 <= e.value <= 1.0 for e in acc.Scalars("accuracy/val"))

    images = acc.Images("attention/grid")
    assert [i.step for i in images] == [0, 3, 6]  # the snapshot before training, then every 3 steps
    side = -(-MIN_TILE_PX // spec.model.seq_len) * spec.model.seq_len
    assert images[-1].height >= 2 * side and images[-1].width >= 2 * side  # 2 layers x 2 heads
    assert images[-1].encoded_image_string.startswith(b"\x89PNG")
    assert "attention/input" in acc.Tags()["images"]  # the ViT's probe image


def test_the_log_leaves_tensorboards_own_record_checksum_in_place(tmp_path):
    """The log uses tensorboard's public writer only: no function inside tensorboard is replaced."""
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
    from tensorboard.summary.writer import record_writer

    TensorBoardLog(tmp_path).close()
    assert record_writer.masked_crc32c is masked_crc32c


def test_a_run_folder_gone_is_not_made_again(tmp_path):
    """CI: a run folder moved away while a resumed run's log was made (TensorBoard loading) came back empty, and the
    run trained on into it, unsaid."""
    gone = tmp_path / "run"
    with pytest.raises(FileNotFoundError):
        TensorBoardLog(gone)
    assert not gone.exists()


def test_attention_grid_tiles_layers_by_heads():
    weights = np.zeros((3, 4, 5, 5))
    weights[..., 0] = 1.0  # every query looks at the first key
    grid = attention_grid(weights)
    scale = -(-MIN_TILE_PX // 5)
    assert grid.dtype == np.uint8 and grid.shape[2] == 3
    assert grid.shape[0] == 3 * (5 * scale + 2) + 2 and grid.shape[1] == 4 * (5 * scale + 2) + 2
    tile = grid[2 : 2 + 5 * scale, 2 : 2 + 5 * scale]
    assert (tile[:, :scale] == tile[0, 0]).all() and (tile[0, 0] != tile[0, -1]).any()  # bright column, dark rest
    with pytest.raises(ValueError, match="layers, heads"):
        attention_grid(np.zeros((2, 5, 5)))


def test_cli_train_writes_tensorboard_files_into_the_run_folder(tmp_path):
    out = tmp_path / "run"
    status = cli.main(["train", "decoder-reverse", "--steps", "4", "--out", str(out), "--device", "cpu",
                       "--set", "model.n_layer=1", "--set", "model.n_embd=16", "--set", "model.n_head=2",
                       "--set", "model.d_ff=32", "--set", "train.eval_interval=2", "--set", "train.batch_size=4",
                       "--set", "train.eval_batches=1"])
    assert status == 0
    assert list(out.glob("events.out.tfevents.*"))
    acc = read_events(out)
    assert [e.step for e in acc.Scalars("loss/train")] == [1, 2, 3, 4]
    assert [e.step for e in acc.Scalars("loss/val")] == [2, 4]
    assert acc.Images("attention/grid")


@pytest.mark.slow
def test_resumed_run_hides_the_steps_after_its_checkpoint(tmp_path):
    from playground.training.events import MetricsEvent

    def metrics(step: int, loss: float) -> MetricsEvent:
        return MetricsEvent(step=step, max_steps=10, train_loss=loss, lr=1e-3, throughput=1.0, unit="tokens",
                            elapsed_s=1.0, eta_s=1.0)

    first = TensorBoardLog(tmp_path)
    for step in range(1, 7):
        first(metrics(step, 10.0))
    first.close()
    # A resume comes in a later second. (Event files sort by their names: time in seconds, then a per-process
    # counter, which sorts "10" before "9" when both files come in the same second of a long test session.)
    time.sleep(1.1)
    resumed = TensorBoardLog(tmp_path, resume_from_step=3)  # the checkpoint was at step 3
    for step in range(4, 9):
        resumed(metrics(step, 1.0))
    resumed.close()
    events = read_events(tmp_path).Scalars("loss/train")
    assert [(e.step, e.value) for e in events] == [(s, 10.0) for s in (1, 2, 3)] + [(s, 1.0) for s in range(4, 9)]


def test_summaries_reach_the_writer_thread_in_batches_each_with_its_own_wall_time(tmp_path, monkeypatch):
    """SummaryWriter's thread woke up for every event (three wake-ups a step, each taking a core from training):
    within WRITE_EVERY_S the log keeps them, and flush() writes them all with the times they were logged at."""
    from playground.training import tensorboard_log
    from playground.training.events import MetricsEvent

    clock = [100.0]

    class Clock:  # this module's clocks only: the writer thread keeps the real ones
        @staticmethod
        def monotonic() -> float:
            return clock[0]

        @staticmethod
        def time() -> float:
            clock[0] += 0.01  # every event a little later
            return clock[0]

    def metrics(step: int) -> MetricsEvent:
        return MetricsEvent(step=step, max_steps=10, train_loss=1.0 / step, lr=1e-3, throughput=1.0, unit="tokens",
                            elapsed_s=0.0, eta_s=0.0)

    monkeypatch.setattr(tensorboard_log, "time", Clock)
    board = TensorBoardLog(tmp_path)
    handed = []
    make = board._make_writer

    def made():  # (the writer is made at the first summary written: review of QA's empty events files)
        writer = make()
        file_writer = writer._get_file_writer()
        original = file_writer.add_summary
        monkeypatch.setattr(file_writer, "add_summary", lambda *args: (handed.append(args), original(*args)))
        return writer

    board._make_writer = made
    for step in range(1, 6):
        board(metrics(step))
    assert handed == []  # all five inside one second: kept
    clock[0] += tensorboard_log.WRITE_EVERY_S
    board(metrics(6))
    assert [args[1] for args in handed] == [1, 2, 3, 4, 5, 6]  # a second later: the batch, in order
    times = [args[2] for args in handed]
    assert times == pytest.approx([100.01, 100.02, 100.03, 100.04, 100.05, 101.06])  # each event's own time
    board(metrics(7))
    board.flush()
    assert [args[1] for args in handed] == [1, 2, 3, 4, 5, 6, 7]
    board.close()
    assert [e.step for e in read_events(tmp_path).Scalars("loss/train")] == list(range(1, 8))
