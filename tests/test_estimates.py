"""Estimates from the spec alone: exact parameter counts, FLOPs and memory arithmetic, formatting, no torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from playground.core.estimates import (
    MemoryEstimate,
    count_parameters,
    flops_per_step,
    format_bytes,
    format_count,
    memory_estimate,
    trainable_parameters,
)
from playground.core.spec import ModelSpec, RunSpec
from playground.data.base import DataInfo


def text(task: str, vocab: int = 37, n_classes: int | None = None) -> DataInfo:
    n = vocab if n_classes is None else n_classes
    return DataInfo(name="t", title="T", task=task, vocab_size=vocab, n_classes=n)


def images(channels: int = 3, n_classes: int = 10) -> DataInfo:
    return DataInfo(name="i", title="I", task="classify", n_classes=n_classes, unit="images", channels=channels)


SHAPES = [
    dict(n_embd=16, n_head=2, n_layer=2, d_ff=32, block_size=8),
    dict(n_embd=24, n_head=3, n_layer=1, d_ff=100, block_size=17),
    dict(n_embd=32, n_head=4, n_layer=3, d_ff=64, block_size=5),
]
COMBOS = [
    ("decoder", text("lm")),
    ("encoder", text("mlm")),
    ("encoder", text("tagging", n_classes=6)),
    ("encoder", text("classify", n_classes=3)),
    ("vit", images(3, 10)),
    ("vit", images(1, 2)),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("family,info", COMBOS)
@pytest.mark.parametrize("pos", ["learned", "sinusoidal"])
def test_count_parameters_is_exact(shape: dict, family: str, info: DataInfo, pos: str) -> None:
    from playground.models import build_model

    extra = dict(image_size=8, patch_size=4 if shape["n_layer"] == 1 else 2) if family == "vit" else {}
    spec = ModelSpec(family=family, pos_encoding=pos, **shape, **extra)
    model = build_model(spec, info)
    assert count_parameters(spec, info) == sum(p.numel() for p in model.parameters())


@pytest.mark.slow
@pytest.mark.parametrize("task,n_classes", [("classify", 4), ("mlm", 30522), ("tagging", 9)])
def test_count_parameters_of_the_pretrained_shape(task: str, n_classes: int) -> None:
    from playground.models import build_model

    spec = ModelSpec(family="encoder", pretrained="minilm", block_size=64, freeze_layers=2)
    info = text(task, vocab=30522, n_classes=n_classes)
    model = build_model(spec, info)
    assert count_parameters(spec, info) == sum(p.numel() for p in model.parameters())
    assert trainable_parameters(spec, info) == sum(p.numel() for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize("family,info", COMBOS)
def test_trainable_parameters_match_freezing(family: str, info: DataInfo) -> None:
    from playground.models import build_model

    spec = ModelSpec(family=family, n_embd=16, n_head=2, n_layer=3, d_ff=32, block_size=8, freeze_layers=2)
    model = build_model(spec, info)
    assert trainable_parameters(spec, info) == sum(p.numel() for p in model.parameters() if p.requires_grad)


@pytest.mark.slow
def test_estimates_do_not_import_torch() -> None:
    code = "import sys, playground.core.estimates; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_flops_follow_the_documented_formula() -> None:
    run = RunSpec.model_validate(
        {"model": dict(family="decoder", n_embd=64, n_head=4, n_layer=3, d_ff=256, block_size=32),
         "train": dict(batch_size=8)}
    )
    info = text("lm", vocab=100)
    B, T, C, L, F, V = 8, 32, 64, 3, 256, 100
    matmul_params = L * (4 * C * C + 2 * C * F) + V * C
    assert flops_per_step(run, info) == 6 * matmul_params * B * T + 12 * L * T * T * C * B
    doubled = run.updated({"train.batch_size": 16})
    assert flops_per_step(doubled, info) == 2 * flops_per_step(run, info)
    frozen = run.updated({"model.freeze_layers": 2})
    assert flops_per_step(frozen, info) < flops_per_step(run, info)


def test_flops_for_encoder_and_vit_are_positive_and_grow_with_size() -> None:
    for model, info in (
        (dict(family="encoder", n_embd=32, n_head=4, n_layer=2, d_ff=64, block_size=16), text("classify", n_classes=3)),
        (dict(family="vit", n_embd=32, n_head=4, n_layer=2, d_ff=64, image_size=16, patch_size=4), images()),
    ):
        run = RunSpec.model_validate({"model": model})
        assert flops_per_step(run, info) > 0
        assert flops_per_step(run.updated({"model.n_layer": 4}), info) > flops_per_step(run, info)


def test_memory_estimate() -> None:
    run = RunSpec.model_validate(
        {"model": dict(family="decoder", n_embd=64, n_head=4, n_layer=3, d_ff=256, block_size=32),
         "train": dict(batch_size=8)}
    )
    info = text("lm", vocab=100)
    mem = memory_estimate(run, info)
    n = count_parameters(run.model, info)
    assert isinstance(mem, MemoryEstimate)
    assert (mem.params, mem.grads, mem.adam) == (4 * n, 4 * n, 8 * n)
    assert mem.total == mem.params + mem.grads + mem.adam + mem.activations
    B, T, C, F, nh, L, V = 8, 32, 64, 256, 4, 3, 100
    assert mem.activations == 4 * B * (L * (T * (9 * C + 2 * F) + 2 * nh * T * T) + T * C + 2 * T * V)
    bigger = memory_estimate(run.updated({"train.batch_size": 16}), info)
    assert bigger.activations == 2 * mem.activations and bigger.params == mem.params
    frozen = memory_estimate(run.updated({"model.freeze_layers": 3}), info)
    assert frozen.params == mem.params and frozen.grads < mem.grads and frozen.activations < mem.activations


@pytest.mark.parametrize(
    "n,text_",
    [(0, "0"), (950, "950"), (12_345, "12.3 k"), (1_234_567, "1.2 M"), (999_960, "1.0 M"), (7e9, "7.0 B")],
)
def test_format_count(n: float, text_: str) -> None:
    assert format_count(n) == text_


@pytest.mark.parametrize(
    "n,text_", [(512, "512 B"), (1536, "1.5 KiB"), (3 * 2**20, "3.0 MiB"), (5 * 2**30 + 2**29, "5.5 GiB")]
)
def test_format_bytes(n: float, text_: str) -> None:
    assert format_bytes(n) == text_


ABLATIONS = [
    dict(pos_encoding="none"),
    dict(norm="pre"),
    dict(norm="post"),
    dict(norm="none"),
    dict(residual=False),
    dict(scale_scores=False),
]


@pytest.mark.parametrize("ablation", ABLATIONS, ids=lambda a: "-".join(f"{k}={v}" for k, v in a.items()))
@pytest.mark.parametrize("family,info", COMBOS)
def test_count_parameters_is_exact_for_every_ablation(ablation: dict, family: str, info: DataInfo) -> None:
    from playground.models import build_model

    extra = dict(image_size=8, patch_size=2) if family == "vit" else {}
    spec = ModelSpec(family=family, **SHAPES[0], **extra, **ablation)
    assert count_parameters(spec, info) == sum(p.numel() for p in build_model(spec, info).parameters())
    run = RunSpec(model=spec)
    assert flops_per_step(run, info) > 0 and memory_estimate(run, info).total > 0


def test_an_uncausal_decoder_has_the_size_and_cost_of_the_causal_one() -> None:
    # The mask hides scores without removing weights or matmuls (the estimate counts causal attention in full).
    causal, cheating = RunSpec(model=ModelSpec(**SHAPES[0])), RunSpec(model=ModelSpec(**SHAPES[0], causal=False))
    info = text("lm")
    assert count_parameters(cheating.model, info) == count_parameters(causal.model, info)
    assert flops_per_step(cheating, info) == flops_per_step(causal, info)


def test_layer_norms_removed_or_moved_change_the_count_by_their_weights() -> None:
    info, C = text("mlm"), SHAPES[0]["n_embd"]
    post = count_parameters(ModelSpec(family="encoder", **SHAPES[0]), info)
    # no LayerNorm: two per block, the embeddings' and the MLM head's, each 2 C numbers
    assert post - count_parameters(ModelSpec(family="encoder", norm="none", **SHAPES[0]), info) == (
        (2 * SHAPES[0]["n_layer"] + 2) * 2 * C)
    # pre-LN adds the final LayerNorm
    assert count_parameters(ModelSpec(family="encoder", norm="pre", **SHAPES[0]), info) - post == 2 * C
