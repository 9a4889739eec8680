"""The three model families: shapes, masks, the two attention paths, the trace, training."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from playground.core.spec import ModelSpec
from playground.data.base import DataInfo
from playground.models import (
    Decoder,
    Encoder,
    ModelOutput,
    MultiHeadAttention,
    PlaygroundModel,
    SelfAttention,
    ViT,
    build_model,
    freeze_lower_layers,
)

V, T, B, N_CLASSES = 13, 8, 3, 4
TINY = dict(n_embd=16, n_head=2, n_layer=2, d_ff=32, block_size=T)


def text_info(task: str, n_classes: int = V) -> DataInfo:
    return DataInfo(name="toy", title="Toy", task=task, vocab_size=V, n_classes=n_classes, pad_id=0)


IMAGE_INFO = DataInfo(
    name="toyimg", title="Toy images", task="classify", n_classes=N_CLASSES, unit="images", channels=3, image_size=8
)

# (spec, info, expected logits shape) for every family/task the playground trains
CASES = {
    "decoder-lm": (ModelSpec(family="decoder", **TINY), text_info("lm"), (B, T, V)),
    "encoder-mlm": (ModelSpec(family="encoder", **TINY), text_info("mlm"), (B, T, V)),
    "encoder-tagging": (ModelSpec(family="encoder", **TINY), text_info("tagging", 5), (B, T, 5)),
    "encoder-classify": (ModelSpec(family="encoder", **TINY), text_info("classify", N_CLASSES), (B, N_CLASSES)),
    "vit-classify": (
        ModelSpec(family="vit", **TINY, image_size=8, patch_size=2),
        IMAGE_INFO,
        (B, N_CLASSES),
    ),
    "decoder-sinusoidal": (ModelSpec(family="decoder", pos_encoding="sinusoidal", **TINY), text_info("lm"), (B, T, V)),
    "encoder-sinusoidal": (
        ModelSpec(family="encoder", pos_encoding="sinusoidal", **TINY),
        text_info("classify", N_CLASSES),
        (B, N_CLASSES),
    ),
    "vit-sinusoidal": (
        ModelSpec(family="vit", pos_encoding="sinusoidal", **TINY, image_size=8, patch_size=4),
        IMAGE_INFO,
        (B, N_CLASSES),
    ),
    # issue 24's ablations: every test above holds for them too (both attention paths, the trace, training)
    "decoder-no-mask": (ModelSpec(family="decoder", causal=False, **TINY), text_info("lm"), (B, T, V)),
    "decoder-unscaled-post-ln": (
        ModelSpec(family="decoder", scale_scores=False, norm="post", **TINY), text_info("lm"), (B, T, V)),
    "decoder-no-positions-no-norm": (
        ModelSpec(family="decoder", pos_encoding="none", norm="none", **TINY), text_info("lm"), (B, T, V)),
    "encoder-no-residual": (ModelSpec(family="encoder", residual=False, **TINY), text_info("mlm"), (B, T, V)),
    "encoder-pre-ln-unscaled": (
        ModelSpec(family="encoder", norm="pre", scale_scores=False, **TINY), text_info("tagging", 5), (B, T, 5)),
    "encoder-no-norm-no-positions": (
        ModelSpec(family="encoder", norm="none", pos_encoding="none", **TINY), text_info("mlm"), (B, T, V)),
    "vit-no-residual-post-ln": (
        ModelSpec(family="vit", residual=False, norm="post", **TINY, image_size=8, patch_size=2),
        IMAGE_INFO,
        (B, N_CLASSES),
    ),
    "vit-unscaled-no-positions": (
        ModelSpec(family="vit", scale_scores=False, pos_encoding="none", **TINY, image_size=8, patch_size=2),
        IMAGE_INFO,
        (B, N_CLASSES),
    ),
}


def make_inputs(model: PlaygroundModel, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
    g = torch.Generator().manual_seed(seed)
    if isinstance(model, ViT):
        s = model.spec.image_size
        return torch.randn(B, model.info.channels, s, s, generator=g), None
    x = torch.randint(1, V, (B, T), generator=g)
    mask = None
    if isinstance(model, Encoder):
        mask = torch.ones(B, T, dtype=torch.bool)
        mask[1, 5:] = False  # the second sequence is padded after 5 tokens
        x[1, 5:] = 0
    return x, mask


def built(name: str, seed: int = 0, sharp: bool = True) -> PlaygroundModel:
    """The case's model in eval mode. sharp: weights of std 0.3 instead of 0.02, so that attention is far
    from uniform and logits are large: a wrong scale or a leaked mask then shows up clearly."""
    torch.manual_seed(seed)
    spec, info, _ = CASES[name]
    model = build_model(spec, info).eval()
    if sharp:
        with torch.no_grad():
            for name_, p in model.named_parameters():
                if "norm" not in name_:
                    p.normal_(0.0, 0.3)
    return model


@pytest.mark.parametrize("name", CASES)
def test_logits_and_attention_shapes(name: str) -> None:
    model = built(name)
    x, mask = make_inputs(model)
    out = model(x, mask, output_attentions=True)
    assert isinstance(out, ModelOutput)
    assert out.logits.shape == CASES[name][2]
    seq = model.spec.seq_len
    assert len(out.attentions) == model.spec.n_layer
    for weights in out.attentions:
        assert weights.shape == (B, model.spec.n_head, seq, seq)
        torch.testing.assert_close(weights.sum(-1), torch.ones(B, model.spec.n_head, seq))
    assert model(x, mask).attentions is None
    assert torch.isfinite(out.logits).all()


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("impl", ["sdpa", "explicit"])
def test_explicit_and_sdpa_paths_agree(name: str, impl: str) -> None:
    model = built(name)
    x, mask = make_inputs(model)
    model.set_attention_impl(impl)
    reference = model(x, mask).logits
    other = "explicit" if impl == "sdpa" else "sdpa"
    model.set_attention_impl(other)
    assert all(block.attn.impl == other for block in model.blocks)
    torch.testing.assert_close(model(x, mask).logits, reference, atol=1e-5, rtol=1e-5)
    # asking for the weights takes the explicit path whatever the setting, and changes nothing
    torch.testing.assert_close(model(x, mask, output_attentions=True).logits, reference, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", CASES)
def test_trace_matches_forward_for_every_layer(name: str) -> None:
    model = built(name)
    x, mask = make_inputs(model)
    out = model(x, mask, output_attentions=True)
    C, nh, seq = model.spec.n_embd, model.spec.n_head, model.spec.seq_len
    hs = C // nh
    for layer, block in enumerate(model.blocks):
        h = model.hidden_before_layer(x, mask, layer)
        assert h.shape == (B, seq, C)
        attn_in = block.attention_input(h)
        trace = model.trace_attention(x, mask, layer)
        forward_out, _ = block.attn(attn_in, mask)  # the default sdpa path
        torch.testing.assert_close(trace.output, forward_out, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(trace.weights, out.attentions[layer])
        for t in (trace.q, trace.k, trace.v, trace.head_outputs):
            assert t.shape == (B, nh, seq, hs)
        for t in (trace.scores, trace.scaled, trace.mask, trace.masked, trace.weights):
            assert t.shape == (B, nh, seq, seq)
        assert trace.concat.shape == trace.output.shape == (B, seq, C)
        # the steps are the lecture's formulas
        torch.testing.assert_close(trace.scores, trace.q @ trace.k.transpose(-2, -1))
        torch.testing.assert_close(trace.scaled, trace.scores / hs**0.5 if model.spec.scale_scores else trace.scores)
        assert torch.isneginf(trace.masked[~trace.mask]).all()
        torch.testing.assert_close(trace.weights, torch.softmax(trace.masked, -1))
        torch.testing.assert_close(trace.head_outputs, trace.weights @ trace.v)
        torch.testing.assert_close(trace.concat[..., :hs], trace.head_outputs[:, 0])  # head 0 first
        torch.testing.assert_close(trace.output, block.attn.proj(trace.concat))
    with pytest.raises(ValueError, match="layer 2 does not exist"):
        model.hidden_before_layer(x, mask, 2)


def test_hidden_before_layer_chains_the_blocks() -> None:
    model = built("decoder-lm")
    x, mask = make_inputs(model)
    h0 = model.hidden_before_layer(x, mask, 0)
    h1, _ = model.blocks[0](h0, mask)
    torch.testing.assert_close(model.hidden_before_layer(x, mask, 1), h1)
    h2, _ = model.blocks[1](h1, mask)
    torch.testing.assert_close(model.head(model.final_norm(h2)), model(x, mask).logits)


def test_decoder_is_causal() -> None:
    model = built("decoder-lm")
    x, _ = make_inputs(model)
    changed = x.clone()
    changed[:, 5] = (x[:, 5] % (V - 1)) + 1  # a different token at position 5
    for impl in ("sdpa", "explicit"):
        model.set_attention_impl(impl)
        a, b = model(x).logits, model(changed).logits
        torch.testing.assert_close(a[:, :5], b[:, :5])  # positions before 5 cannot see it
        assert (a[:, 5:] - b[:, 5:]).abs().max() > 1e-4  # and the later ones do
    weights = model(x, output_attentions=True).attentions
    upper = torch.ones(T, T, dtype=torch.bool).triu(1)
    for w in weights:
        assert (w[..., upper] == 0).all()


def test_encoder_padding_keys_get_zero_weight_and_change_nothing() -> None:
    model = built("encoder-classify")
    x, mask = make_inputs(model)
    out = model(x, mask, output_attentions=True)
    for w in out.attentions:
        assert (w[1, :, :, 5:] == 0).all()
        assert (w[1, :, :, :5] > 0).all()
    # what sits in the padded positions does not matter to the real ones, in either path
    other = x.clone()
    other[1, 5:] = 7
    hidden = model.last_hidden_state(x, mask)[1, :5]
    for impl in ("sdpa", "explicit"):
        model.set_attention_impl(impl)
        torch.testing.assert_close(model(other, mask).logits, out.logits, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(model.last_hidden_state(other, mask)[1, :5], hidden, atol=1e-5, rtol=1e-5)
    # without the mask, the padding is attended to and the real tokens' states change
    assert (model.last_hidden_state(other)[1, :5] - hidden).abs().max() > 1e-3


def test_encoder_sees_the_future() -> None:
    model = built("encoder-mlm")
    x, mask = make_inputs(model)
    changed = x.clone()
    changed[0, 4] = (x[0, 4] % (V - 1)) + 1
    assert (model(x, mask).logits[0, 0] - model(changed, mask).logits[0, 0]).abs().max() > 1e-4


def test_self_attention_is_one_head_of_multi_head_attention() -> None:
    torch.manual_seed(0)
    mha = MultiHeadAttention(12, 3, causal=True, max_len=5).eval()
    x = torch.randn(2, 5, 12)
    trace = mha.trace(x)
    for h in range(3):
        out, weights = SelfAttention.from_head(mha, h)(x)
        torch.testing.assert_close(out, trace.head_outputs[:, h])
        torch.testing.assert_close(weights, trace.weights[:, h])


def test_tied_weights() -> None:
    decoder, encoder = built("decoder-lm"), built("encoder-mlm")
    assert decoder.lm_head.weight is decoder.tok_emb.weight
    assert decoder.lm_head.bias is None
    assert encoder.mlm_head.decoder.weight is encoder.tok_emb.weight
    assert encoder.mlm_head.bias.shape == (V,)


def test_gpt2_style_init() -> None:
    spec = ModelSpec(family="decoder", n_embd=64, n_head=2, n_layer=8, d_ff=256, block_size=T)
    model = build_model(spec, text_info("lm"))
    assert abs(model.blocks[0].attn.q.weight.std().item() - 0.02) < 0.003
    assert abs(model.blocks[0].attn.proj.weight.std().item() - 0.02 / 4) < 0.001  # 0.02 / sqrt(2 * 8)
    assert model.blocks[0].attn.q.bias.abs().max() == 0


def test_sinusoidal_positions_are_fixed_and_not_saved() -> None:
    model = built("decoder-sinusoidal")
    table = model.pos_emb.table
    assert not any(name.startswith("pos_emb") for name in model.state_dict())
    assert not any(name.startswith("pos_emb") for name, _ in model.named_parameters())
    torch.testing.assert_close(table[:, 0], torch.sin(torch.arange(T, dtype=torch.float32)))
    torch.testing.assert_close(table[:, 1], torch.cos(torch.arange(T, dtype=torch.float32)))
    torch.testing.assert_close(table[3, 2], torch.sin(torch.tensor(3.0) / 10000 ** (2 / 16)))


def test_freeze_lower_layers() -> None:
    spec = ModelSpec(family="encoder", freeze_layers=1, **TINY)
    model = build_model(spec, text_info("classify", N_CLASSES))
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert "tok_emb.weight" in frozen and "emb_norm.weight" in frozen and "blocks.0.attn.q.weight" in frozen
    assert not any(n.startswith(("blocks.1.", "pooler.", "classifier.")) for n in frozen)
    vit = built("vit-classify")
    freeze_lower_layers(vit, 2)
    trainable = {n for n, p in vit.named_parameters() if p.requires_grad}
    assert trainable == {"norm_f.weight", "norm_f.bias", "classifier.weight", "classifier.bias"}
    with pytest.raises(ValueError, match="cannot freeze 3 layers"):
        freeze_lower_layers(vit, 3)


def test_wrong_inputs_and_combinations_are_refused() -> None:
    with pytest.raises(ValueError, match="decoder learns lm"):
        build_model(ModelSpec(family="decoder", **TINY), text_info("classify", 3))
    with pytest.raises(ValueError, match="encoder learns"):
        build_model(ModelSpec(family="encoder", **TINY), text_info("lm"))
    with pytest.raises(ValueError, match="needs images"):
        build_model(ModelSpec(family="vit", **TINY), text_info("classify", 3))
    with pytest.raises(ValueError, match="vision transformer family"):
        build_model(ModelSpec(family="encoder", **TINY), IMAGE_INFO)
    model = built("decoder-lm")
    with pytest.raises(ValueError, match="longer than the model's 8 positions"):
        model(torch.zeros(1, T + 1, dtype=torch.long))
    vit = built("vit-classify")
    with pytest.raises(ValueError, match=r"\(batch, 3, 8, 8\)"):
        vit(torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match="explicit"):
        model.set_attention_impl("flash")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["decoder-lm", "encoder-mlm", "encoder-tagging", "encoder-classify", "vit-classify"])
def test_each_family_overfits_one_batch(name: str) -> None:
    model = built(name, seed=1, sharp=False).train()
    x, mask = make_inputs(model, seed=1)
    g = torch.Generator().manual_seed(2)
    n_out = CASES[name][2][-1]
    if name.startswith("decoder"):
        y = torch.cat([x[:, 1:], torch.full((B, 1), -100)], dim=1)  # next token, none after the last
    elif len(CASES[name][2]) == 3:
        y = torch.randint(0, n_out, (B, T), generator=g)
        if mask is not None:
            y[~mask] = -100  # no targets on padding
    else:
        y = torch.randint(0, n_out, (B,), generator=g)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)

    def loss_now() -> torch.Tensor:
        logits = model(x, mask).logits
        return F.cross_entropy(logits.reshape(-1, n_out), y.reshape(-1), ignore_index=-100)

    first = loss_now().item()
    for _ in range(60):  # the slowest family is below 0.01x its first loss by then: 10x margin
        opt.zero_grad()
        loss = loss_now()
        loss.backward()
        opt.step()
    assert loss_now().item() < 0.1 * first, (first, loss_now().item())


def test_dropout_is_active_in_training_only() -> None:
    spec = ModelSpec(family="decoder", dropout=0.5, **TINY)
    model = build_model(spec, text_info("lm"))
    x = torch.randint(0, V, (B, T))
    model.train()
    assert (model(x).logits - model(x).logits).abs().max() > 1e-4
    model.eval()
    torch.testing.assert_close(model(x).logits, model(x).logits)


def test_families_are_their_classes() -> None:
    assert isinstance(built("decoder-lm"), Decoder)
    assert isinstance(built("encoder-mlm"), Encoder)
    assert isinstance(built("vit-classify"), ViT)


def test_causal_mask_is_a_buffer_of_zeros_and_minus_infinity_built_for_the_explicit_path_only() -> None:
    mha = MultiHeadAttention(8, 2, causal=True, max_len=6)
    mha(torch.randn(1, 4, 8))
    assert mha.causal_bias is None  # the fused path never builds it (at long contexts it is large)
    mha.set_attention_impl("explicit")
    assert mha.causal_bias.shape == (6, 6)  # built before any compiled graph could be traced
    bias = mha.attention_bias(4, None, torch.float32)
    assert torch.equal(bias == 0, torch.ones(4, 4, dtype=torch.bool).tril())
    assert torch.isneginf(bias[~torch.ones(4, 4, dtype=torch.bool).tril()]).all()
    assert "causal_bias" not in mha.state_dict()  # rebuilt from max_len, never saved or exported
    with pytest.raises(ValueError, match="max_len"):
        MultiHeadAttention(8, 2, causal=True)
