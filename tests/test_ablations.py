"""Issue 24's ablations: each setting changes exactly what it says, the defaults change nothing, the spec refuses
what cannot be, and Hugging Face export is told what it cannot compute."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch
from test_models import CASES, T, V, make_inputs, text_info

from playground.core.presets import PRESETS_DIR, load_preset
from playground.core.spec import FAMILIES, ModelSpec, SpecError, hf_incompatibilities, make_spec
from playground.models import PlaygroundModel, build_model

TINY = dict(n_embd=16, n_head=2, n_layer=2, d_ff=32, block_size=T)

# Computed from the code before the ablations existed (commit 1f3630d): sha256 of the initial weights (state_dict
# in key order, raw bytes) and the first logits, each model built with torch.manual_seed(0) on make_inputs().
BEFORE = {
    "decoder-lm": ("0d31f0e2e01dfc6281c75415cc987747f3bb8009abd9de7186ca0221da3a0c04",
                   [-0.0358919092, -0.141024813, -0.0488400422, -0.0335101187]),
    "encoder-mlm": ("b87d165b2fa27db288d3ce909dfe60b7709d2934a5fe4631cd16ba17be62c4de",
                    [-0.0417490751, -0.213544875, -0.0184768271, 0.0116136558]),
    "encoder-tagging": ("8f596fb21fe932aa92cabf35997b84ae2b1f1af109ef94f786f5eb304c100662",
                        [0.134666309, -0.0866257772, -0.0379891247, -0.0686821043]),
    "encoder-classify": ("055ff8ea87358fa2c4695260b4346fd51dab2ba7ad074ea9dbe9e65f98319017",
                         [0.00057433988, -0.00258151838, 0.00169740221, 0.00579371862]),
    "vit-classify": ("35aad2d961398f8e0570b50c37c99cb824da9b57d2f022beff4221ea7d1f2bf3",
                     [0.024806682, -0.0295509771, -0.0228909757, 0.0161088333]),
    "decoder-sinusoidal": ("6019e6ddaa36f7a349703816b2474dbb7fa051a6b076c24b2cd4308386d26b81",
                           [0.0823558122, -0.0730666965, 0.00872700568, 0.0471702591]),
    "encoder-sinusoidal": ("b9c77b9020006013fe230478249bff387029e57d5bc7f2cd7cd3df67e76665cf",
                           [0.00394671783, -0.00353343342, 0.00272497069, 0.00398250017]),
    "vit-sinusoidal": ("6bc6fb11e52186125b1ff5f077f24e2deff5a5ab40d18093e71c865c4a925aa0",
                       [0.0297293812, -0.163239807, 0.0092638135, -0.120676361]),
}


def weights_sha256(model: PlaygroundModel) -> str:
    state = model.state_dict()
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].contiguous().numpy().tobytes())
    return digest.hexdigest()


def fresh(spec: ModelSpec, task: str = "lm", seed: int = 0) -> PlaygroundModel:
    torch.manual_seed(seed)
    return build_model(spec, text_info(task, V if task in ("lm", "mlm") else 5)).eval()


def same_weights(spec: ModelSpec, like: PlaygroundModel, task: str = "lm") -> PlaygroundModel:
    """A model of `spec` holding `like`'s weights (the ablation must not add or rename one)."""
    model = fresh(spec, task, seed=1)
    model.load_state_dict(like.state_dict())
    return model


@pytest.mark.parametrize("name", BEFORE)
def test_the_default_settings_build_the_models_of_before_bit_for_bit(name: str) -> None:
    spec, info, _ = CASES[name]
    torch.manual_seed(0)
    model = build_model(spec, info).eval()
    digest, logits = BEFORE[name]
    assert weights_sha256(model) == digest
    x, mask = make_inputs(model)
    with torch.no_grad():
        out = model(x, mask).logits.flatten()[:4]
    # the printed digits, to float32 rounding: sums round differently on other vector units (1.3e-6 relative on an
    # AVX512 Xeon against the AVX2 EPYC they were printed on); the weights above are bit for bit
    torch.testing.assert_close(out, torch.tensor(logits), rtol=1e-5, atol=1e-7)
    spelled_out = ModelSpec(**{**spec.model_dump(), "residual": True, "scale_scores": True})
    assert spelled_out == spec  # the defaults are the same as writing them


def test_the_family_defaults_are_bert_gpt2_and_vit() -> None:
    assert (ModelSpec(family="encoder").norm, ModelSpec(family="encoder").causal) == ("post", False)
    assert (ModelSpec(family="decoder").norm, ModelSpec(family="decoder").causal) == ("pre", True)
    assert (ModelSpec(family="vit").norm, ModelSpec(family="vit").causal) == ("pre", False)
    for family in FAMILIES:
        spec = ModelSpec(family=family)
        assert spec.residual and spec.scale_scores and spec.pos_encoding == "learned"
        assert hf_incompatibilities(spec) == []


@pytest.mark.parametrize("impl", ["sdpa", "explicit"])
def test_without_the_causal_mask_position_0_attends_to_the_last_and_reads_the_future(impl: str) -> None:
    masked = fresh(ModelSpec(family="decoder", **TINY))
    cheating = same_weights(ModelSpec(family="decoder", causal=False, **TINY), masked)
    x, _ = make_inputs(masked)
    later = x.clone()
    later[:, -1] = x[:, -1] % (V - 1) + 1  # another last token
    for model in (masked, cheating):
        model.set_attention_impl(impl)
    weights = cheating(x, output_attentions=True).attentions
    assert all((w[..., 0, -1] > 0).all() for w in weights)  # the upper triangle is filled
    assert (cheating.trace_attention(x).mask).all()
    assert (cheating(x).logits[:, 0] - cheating(later).logits[:, 0]).abs().max() > 1e-5
    torch.testing.assert_close(masked(x).logits[:, 0], masked(later).logits[:, 0])


@pytest.mark.parametrize("family", FAMILIES)
def test_unscaled_scores_are_the_scaled_ones_times_sqrt_head_size(family: str) -> None:
    extra = dict(image_size=8, patch_size=2) if family == "vit" else {}
    task = "classify" if family == "vit" else ("lm" if family == "decoder" else "mlm")
    spec = ModelSpec(family=family, **TINY, **extra)
    if family == "vit":
        torch.manual_seed(0)
        scaled = build_model(spec, CASES["vit-classify"][1]).eval()
        unscaled = build_model(ModelSpec(**{**spec.model_dump(), "scale_scores": False}), CASES["vit-classify"][1])
        unscaled.load_state_dict(scaled.state_dict())
        unscaled.eval()
    else:
        scaled = fresh(spec, task)
        unscaled = same_weights(ModelSpec(**{**spec.model_dump(), "scale_scores": False}), scaled, task)
    x, mask = make_inputs(scaled)
    a, b = scaled.trace_attention(x, mask), unscaled.trace_attention(x, mask)
    torch.testing.assert_close(b.scores, a.scores)  # layer 0 receives the same input
    torch.testing.assert_close(b.scaled, a.scaled * spec.head_dim**0.5)
    torch.testing.assert_close(b.scaled, b.scores)
    block = unscaled.blocks[0]  # the fused path agrees with the traced one
    fused, _ = block.attn(block.attention_input(unscaled.hidden_before_layer(x, mask, 0)), mask)
    torch.testing.assert_close(fused, b.output, atol=1e-5, rtol=1e-5)


def test_without_residual_connections_each_block_is_its_sublayers_chained() -> None:
    spec = ModelSpec(family="decoder", **TINY)
    plain = fresh(spec)
    ablated = same_weights(ModelSpec(family="decoder", residual=False, **TINY), plain)
    x, _ = make_inputs(plain)
    assert (plain(x).logits - ablated(x).logits).abs().max() > 1e-3
    h = ablated.hidden_before_layer(x, None, 0)
    block = ablated.blocks[0]
    a, _ = block.attn(block.norm1(h))  # pre-LN, no "h +"
    expected = block.ffn(block.norm2(a))
    torch.testing.assert_close(block(h)[0], expected)


def test_post_ln_normalises_after_each_sublayer_and_has_no_final_norm() -> None:
    model = fresh(ModelSpec(family="decoder", norm="post", **TINY))
    x, _ = make_inputs(model)
    h = model.hidden_before_layer(x, None, 1)
    block = model.blocks[1]
    mid = block.norm1(h + block.attn(h)[0])
    torch.testing.assert_close(block(h)[0], block.norm2(mid + block.ffn(mid)))
    assert isinstance(model.norm_f, torch.nn.Identity)
    assert isinstance(fresh(ModelSpec(family="encoder", norm="pre", **TINY), "mlm").norm_f, torch.nn.LayerNorm)


@pytest.mark.parametrize("family", FAMILIES)
def test_no_layer_norm_means_no_layer_norm_module_anywhere(family: str) -> None:
    extra = dict(image_size=8, patch_size=2) if family == "vit" else {}
    spec = ModelSpec(family=family, norm="none", **TINY, **extra)
    info = CASES["vit-classify"][1] if family == "vit" else text_info("lm" if family == "decoder" else "mlm")
    model = build_model(spec, info)
    assert not any(isinstance(m, torch.nn.LayerNorm) for m in model.modules())
    assert not any("norm" in key for key in model.state_dict())
    assert any(isinstance(m, torch.nn.LayerNorm) for m in build_model(ModelSpec(family=family, **TINY, **extra),
                                                                      info).modules())


def test_without_positions_an_encoder_is_order_blind() -> None:
    perm = torch.randperm(T, generator=torch.Generator().manual_seed(3))
    x, _ = make_inputs(fresh(ModelSpec(family="encoder", **TINY), "tagging"))
    for pos, blind in (("none", True), ("learned", False)):
        model = fresh(ModelSpec(family="encoder", pos_encoding=pos, **TINY), "tagging")
        shuffled_out = model(x[:, perm]).logits
        same = torch.allclose(shuffled_out, model(x).logits[:, perm], atol=1e-5)
        assert same is blind, pos  # shuffling the tokens only shuffles the answers: order cannot be learned
    assert not any(k.startswith("pos_emb") for k in fresh(ModelSpec(pos_encoding="none", **TINY)).state_dict())


@pytest.mark.parametrize("changes,message", [
    ({"family": "encoder", "causal": True}, "causal mask belongs to the decoder"),
    ({"family": "vit", "causal": True}, "Vision Transformer attends in both directions"),
    ({"norm": "middle"}, "LayerNorm placement"),
    ({"pos_encoding": "rotary"}, "positional encoding"),
    ({"residual": "maybe"}, "residual connections"),
    ({"family": "encoder", "pretrained": "minilm", "residual": False}, "ablations need a model trained from scratch"),
    ({"family": "encoder", "pretrained": "minilm", "norm": "pre"}, "set 'norm' to \"post\""),
    ({"family": "encoder", "pretrained": "minilm", "pos_encoding": "none"}, "trained with positional encoding"),
    ({"family": "encoder", "pretrained": "minilm", "scale_scores": False}, "score scaling true"),
])
def test_impossible_ablations_are_refused_in_one_line(changes: dict, message: str) -> None:
    with pytest.raises(SpecError) as err:
        make_spec({"model": changes})
    assert message in str(err.value) and "\n" not in str(err.value) and len(str(err.value)) <= 300


def test_a_preset_without_the_new_settings_gets_its_family_defaults_and_round_trips() -> None:
    data = json.loads((PRESETS_DIR / "encoder-reverse.json").read_text(encoding="utf-8"))
    for key in ("residual", "norm", "causal", "scale_scores"):
        data["model"].pop(key, None)
    spec = make_spec(data)
    assert (spec.model.norm, spec.model.causal, spec.model.residual) == ("post", False, True)
    assert make_spec(spec.to_dict()) == spec
    assert make_spec({"model": {"family": "encoder", "pretrained": "minilm"}}).model.norm == "post"


@pytest.mark.parametrize("changes,words", [
    ({"residual": False}, "residual connections"),
    ({"norm": "post"}, "after each sub-layer"),
    ({"norm": "none"}, "LayerNorm nowhere"),
    ({"causal": False}, "no causal mask"),
    ({"scale_scores": False}, "sqrt(head size)"),
    ({"pos_encoding": "none"}, "no positional encoding"),
    ({"pos_encoding": "sinusoidal"}, "sinusoidal positions"),
])
def test_export_is_told_what_hugging_face_cannot_compute(changes: dict, words: str) -> None:
    problems = hf_incompatibilities(ModelSpec(family="decoder", **changes))
    assert len(problems) == 1 and words in problems[0] and "GPT-2" in problems[0] and len(problems[0]) <= 300
    assert hf_incompatibilities(ModelSpec(family="encoder", norm="pre"))[0].count("BERT") == 1
    assert hf_incompatibilities(ModelSpec(family="vit", norm="post"))


ABLATION_PRESETS = {  # preset -> (the preset it ablates, the one setting that differs)
    "decoder-reverse-no-positions": ("decoder-reverse", {"pos_encoding": "none"}),
    "decoder-no-mask": ("decoder-pydoc", {"causal": False}),
    "encoder-reverse-no-residual": ("encoder-reverse", {"residual": False}),
    "vit-shapes-no-layernorm": ("vit-shapes", {"norm": "none"}),
    "encoder-sort-unscaled": ("encoder-sort", {"scale_scores": False}),
}


@pytest.mark.parametrize("name", ABLATION_PRESETS)
def test_each_ablation_has_a_builtin_preset_that_differs_from_its_original_in_it(name: str) -> None:
    ablated = load_preset(name).model
    original, changed = ABLATION_PRESETS[name]
    for key, value in changed.items():
        assert getattr(ablated, key) == value != getattr(load_preset(original).model, key)
    assert hf_incompatibilities(ablated)  # none of them can be exported faithfully


def test_every_ablation_trains_a_step_and_keeps_both_attention_paths_equal() -> None:
    spec = ModelSpec(family="decoder", causal=False, residual=False, norm="post", scale_scores=False,
                     pos_encoding="none", **TINY)
    model = fresh(spec).train()
    x, _ = make_inputs(model)
    loss = model(x).logits.logsumexp(-1).mean()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    model.eval()
    fused = model(x).logits
    model.set_attention_impl("explicit")
    torch.testing.assert_close(model(x).logits, fused, atol=1e-5, rtol=1e-5)


def test_step_by_step_shows_the_scores_unscaled_and_the_mask_gone() -> None:
    from playground.analysis.steps import attention_steps
    from playground.data.base import Batch

    spec = ModelSpec(family="decoder", causal=False, scale_scores=False, **TINY)
    model = fresh(spec)
    x, _ = make_inputs(model)
    steps = attention_steps(model, Batch(x, x, None), layer=1, head=1)
    panel = next(step for step in steps.steps() if step.key == "scaled")
    assert "Not scaled" in panel.title and "saturates" in panel.note
    assert steps.mask_kind == "none" and steps.mask.all()  # the upper triangle is allowed
    torch.testing.assert_close(torch.from_numpy(steps.scaled), torch.from_numpy(steps.scores))
    default = attention_steps(fresh(ModelSpec(family="decoder", **TINY)), Batch(x, x, None), layer=1, head=1)
    assert default.mask_kind == "causal" and "/ √8" in next(s for s in default.steps() if s.key == "scaled").title
    # The figure's heading of the row says so too (QA: "scaled by √d_head" over the "Not scaled" panel).
    from playground.viz import render_steps
    from playground.viz.canvas import drawable

    def texts(fig) -> list[str]:
        return [op["s"] for kind, op in fig.ops if kind == "text"]

    row = "2.  Scores QKᵀ, {}, masked, turned into weights by softmax"
    assert drawable(row.format("not scaled (the ablation)"), 13, True) in texts(render_steps(steps))
    assert drawable(row.format("scaled by √d_head"), 13, True) in texts(render_steps(default))
