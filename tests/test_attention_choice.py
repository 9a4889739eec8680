"""The attention path measured at the run's own shape (fastpath/attention.py)."""

import math

import pytest
import torch

from playground.core.spec import make_spec
from playground.models.attention import MultiHeadAttention
from playground.training import device
from playground.training.fastpath import attention
from playground.training.session import TrainingSession

pytestmark = pytest.mark.usefixtures("fresh_capability_cache")

TINY = {
    "model": {"family": "decoder", "n_layer": 2, "n_embd": 32, "n_head": 2, "d_ff": 64, "block_size": 16},
    "data": {"name": "zen"},
    "train": {"batch_size": 8, "warmup_steps": 1, "max_steps": 6, "device": "cpu", "precision": "fp32",
              "compile": "off", "eval_interval": 100, "snapshot_interval": 100},
}


@pytest.fixture
def timed(monkeypatch):
    """Fake timings (`timed.times = {...}`), recording the shapes they were asked for; no path chosen yet."""
    class Fake:
        times: dict[str, float] = {}
        asked: list[tuple[tuple[int, ...], bool]] = []

        def __call__(self, layer, x, key_mask, dtype):
            self.asked.append((tuple(x.shape), key_mask is not None))
            return dict(self.times)

    fake = Fake()
    monkeypatch.setattr(attention, "attention_times", fake)
    monkeypatch.setattr(attention, "_CHOSEN", {})
    return fake


def impls(session: TrainingSession) -> set[str]:
    return {block.attn.impl for block in session.model.blocks}


@pytest.mark.parametrize(("times", "path", "words"), [({"sdpa": 2.0, "explicit": 1.0}, "explicit", "explicit attention"),
                                                      ({"sdpa": 1.0, "explicit": 2.0}, "sdpa", "fused attention")])
def test_the_faster_path_at_this_runs_shape_trains_from_the_second_step(timed, times, path, words):
    timed.times = times
    session = TrainingSession(make_spec(TINY))
    session.train_step()
    assert timed.asked == []  # the first loss point is not delayed by the measurement
    session.train_step()
    assert timed.asked == [((8, 16, 32), False)]  # (batch, context, embedding): what the first layer saw
    assert impls(session) == {path}
    assert f"float32, {words}" in session.device_description()
    again = TrainingSession(make_spec(TINY))  # the same shape in this process: the same path, not measured again
    again.train_step()
    again.train_step()
    assert len(timed.asked) == 1 and impls(again) == {path}


def test_attention_dropout_keeps_the_machines_path(timed):
    timed.times = {"sdpa": 2.0, "explicit": 1.0}
    session = TrainingSession(make_spec({**TINY, "model": {**TINY["model"], "dropout": 0.2}}))
    for _ in range(3):
        session.train_step()
    assert timed.asked == []
    assert impls(session) == {device.cpu_capability().attention_fp32}


def test_timing_the_paths_leaves_gradients_random_stream_and_path_alone():
    torch.manual_seed(0)
    layer = MultiHeadAttention(32, 2, dropout=0.5, causal=True, max_len=16).train()
    x = torch.randn(4, 16, 32)
    rng = torch.get_rng_state()
    times = device.attention_times(layer, x, None, torch.float32, rounds=2)
    assert set(times) == {"sdpa", "explicit"} and all(0 < t < math.inf for t in times.values())
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(p.grad is None for p in layer.parameters())
    assert layer.impl == "sdpa"
