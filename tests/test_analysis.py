"""The headless analysis: step-by-step attention from the real forward pass, head roles, rollout, PCA."""

import numpy as np
import pytest
import torch

from playground.analysis.embeddings import pca_2d, position_projection, token_embedding_projection
from playground.analysis.roles import (
    allowed_keys,
    changed_most,
    head_roles,
    infer_mask,
    on_a_grid,
    patch_places,
    role_table,
    sort_table,
)
from playground.analysis.rollout import (
    attention_rollout,
    cls_attention_maps,
    cls_rollout_map,
    layer_matrices,
    patch_grid,
    rollout_per_layer,
)
from playground.analysis.steps import attention_steps, first_tokens


@pytest.fixture(scope="module")
def encoder_padded(tiny_session):
    # 5 symbols in a context of 8: three padding positions the encoder must not attend to
    return tiny_session("encoder", "reverse", {"length": 5}, block_size=8, n_head=4)


@pytest.fixture(scope="module")
def decoder(tiny_session):
    return tiny_session("decoder", "reverse", {"length": 4}, block_size=9, n_head=4)


@pytest.fixture(scope="module")
def vit(tiny_session):
    return tiny_session("vit", "digits", image_size=8, patch_size=2, n_head=4)


def attn_output_in_forward(model, batch, layer):
    """The attention sub-layer's output inside the model's ordinary (fused sdpa) forward pass."""
    captured = {}
    hook = model.blocks[layer].attn.register_forward_hook(lambda m, i, out: captured.update(out=out[0]))
    try:
        model.eval()
        with torch.no_grad():
            model(batch.x, batch.mask)
    finally:
        hook.remove()
    return captured["out"][0].numpy()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["encoder_padded", "decoder", "vit"])
@pytest.mark.parametrize("layer", [0, 1])
def test_steps_end_in_the_models_own_attention_output(name, layer, request):
    s = request.getfixturevalue(name)
    batch = s.dataset.probe()
    steps = attention_steps(s, batch, layer=layer, head=1)
    chosen = s.model.blocks[layer].attn.impl  # the session picks the faster path for this machine
    try:
        for impl in ("sdpa", "explicit"):  # the fused kernel (no trace involved) and the explicit path
            s.model.set_attention_impl(impl)
            expected = attn_output_in_forward(s.model, batch, layer)
            np.testing.assert_allclose(steps.projected, expected, atol=1e-5, err_msg=impl)
    finally:
        s.model.set_attention_impl(chosen)
    # and each step follows from the previous one as the lecture says
    np.testing.assert_allclose(steps.scores, steps.q @ steps.k.T, atol=1e-5)
    np.testing.assert_allclose(steps.scaled, steps.scores / np.sqrt(steps.d_head), atol=1e-5)
    np.testing.assert_allclose(steps.output, steps.weights @ steps.v, atol=1e-5)
    np.testing.assert_allclose(steps.output, steps.head_outputs[1], atol=1e-6)
    H, d = steps.n_head, steps.d_head
    np.testing.assert_allclose(steps.concat.reshape(-1, H, d).transpose(1, 0, 2), steps.head_outputs, atol=1e-6)
    np.testing.assert_allclose(steps.weights.sum(-1), 1.0, atol=1e-5)
    assert np.all(steps.weights[~steps.mask] == 0), "a hidden key got attention"
    assert np.all(np.isneginf(steps.masked[~steps.mask]))
    assert len(steps.labels) == steps.seq_len


def test_a_causal_models_first_tokens_are_the_numbers_of_that_input_alone(tiny_session, encoder_padded):
    """Step by step shows a long probe's first tokens (QA: 64 rows drew 4-px labels): under a causal mask they must be
    the numbers the model computes for those tokens alone."""
    import dataclasses

    session = tiny_session("decoder", "zen", block_size=24)
    probe = session.dataset.probe()
    whole = attention_steps(session, probe, layer=1, head=1)
    cut = first_tokens(whole, 7)
    alone = attention_steps(session, dataclasses.replace(probe, x=probe.x[:, :7], y=probe.y[:, :7]), layer=1, head=1)
    assert cut.seq_len == 7 and cut.labels == alone.labels and (cut.cut_from, alone.cut_from) == (whole.seq_len, None)
    for name in ("q", "k", "v", "scores", "scaled", "mask", "masked", "weights", "output", "head_outputs", "concat",
                 "projected"):
        np.testing.assert_allclose(getattr(cut, name), getattr(alone, name), atol=1e-5, err_msg=name)
    assert first_tokens(alone, 7) is alone and first_tokens(alone, 9).cut_from is None  # nothing to cut (review)
    with pytest.raises(ValueError, match="causal"):
        first_tokens(attention_steps(encoder_padded, None), 3)  # its rows read the later keys too


def test_step_panels_have_lecture_titles_and_shapes(decoder):
    steps = attention_steps(decoder, None, layer=0, head=0)
    panels = steps.steps()
    assert [p.key for p in panels] == ["q", "k", "v", "scores", "scaled", "mask", "masked", "weights", "output"]
    T, d = steps.seq_len, steps.d_head
    assert panels[0].shape == f"(T, d_head) = ({T}, {d})" and panels[3].shape == f"(T, T) = ({T}, {T})"
    assert all(p.array.shape[0] == T for p in panels)
    multi = steps.multihead_steps()
    assert [p.key for p in multi][-2:] == ["concat", "projected"] and len(multi) == steps.n_head + 2
    # titles count heads from 1 like the window; keys keep the 0-based index
    assert multi[0].key == "head0" and multi[0].title == "head 1  (this one)"
    assert multi[1].title == "head 2" and multi[-2].title == f"Concat(head 1..{steps.n_head})"


@pytest.mark.slow
def test_masks_causal_for_the_decoder_padding_for_the_encoder(decoder, encoder_padded, vit):
    dec = attention_steps(decoder, None, 0, 0)
    assert dec.mask_kind == "causal"
    assert np.array_equal(dec.mask, np.tril(np.ones_like(dec.mask)))
    assert np.all(np.triu(dec.weights, 1) == 0)
    enc = attention_steps(encoder_padded, None, 0, 0)
    assert enc.mask_kind == "padding"
    assert np.all(enc.weights[:, 5:] == 0) and np.all(enc.mask[:, :5])
    assert attention_steps(vit, None, 0, 0).mask_kind == "none"


def test_steps_from_user_text_and_a_bare_model(encoder_padded):
    encoder_padded.model.train()
    batch = encoder_padded.dataset.example("3 1 4")
    steps = attention_steps(encoder_padded.model, batch, layer=1, head=3)
    assert steps.labels[:3] == ["0", "1", "2"]  # a bare model knows no vocabulary: positions
    assert np.all(steps.weights[:, 3:] == 0)
    with pytest.raises(ValueError, match="head 4 does not exist"):
        attention_steps(encoder_padded, batch, layer=0, head=4)
    with pytest.raises(ValueError, match="layer 2 does not exist"):
        attention_steps(encoder_padded, batch, layer=2, head=0)
    with pytest.raises(ValueError, match="pass a batch"):
        attention_steps(encoder_padded.model, None)
    assert encoder_padded.model.training  # the trace restored the training flag


# ----- roles on hand-made matrices -----------------------------------------------------------------
def previous_token_head(T: int) -> np.ndarray:
    w = np.zeros((T, T))
    w[0, 0] = 1
    w[np.arange(1, T), np.arange(T - 1)] = 1
    return w


def test_a_perfect_previous_token_head_scores_one():
    roles = head_roles(previous_token_head(6))
    assert roles.previous == pytest.approx(1.0)
    assert roles.entropy == pytest.approx(0.0)
    assert roles.distance == pytest.approx(5 / 6)  # every row but the first looks one token back
    assert roles.first == pytest.approx(2 / 6)  # rows 0 and 1 both look at token 0


def test_uniform_attention_has_maximal_entropy_and_identity_none():
    T = 8
    uniform = head_roles(np.full((T, T), 1 / T))
    assert uniform.entropy == pytest.approx(1.0)
    assert head_roles(np.full((T, T), 1 / T), normalise=False).entropy == pytest.approx(np.log(T))
    shift = head_roles(np.roll(np.eye(T), 1, axis=1))  # the encoder-shift preset's head: i looks at i+1
    assert shift.next == pytest.approx(1.0) and shift.previous == 0.0
    identity = head_roles(np.eye(T))
    assert identity.entropy == pytest.approx(0.0)
    assert identity.distance == 0.0 and identity.self == 1.0 and identity.previous == 0.0
    first = np.zeros((T, T))
    first[:, 0] = 1
    assert head_roles(first).first == 1.0
    assert head_roles(first).distance == pytest.approx(np.arange(T).mean())


def test_causal_uniform_is_maximal_entropy_over_the_allowed_keys():
    T = 5
    w = np.tril(np.ones((T, T)))
    w /= w.sum(1, keepdims=True)
    assert np.array_equal(allowed_keys(w), np.tril(np.ones((T, T), bool)))
    assert head_roles(w, *infer_mask(w)).entropy == pytest.approx(1.0)  # row 0 (one allowed key) is left out
    assert head_roles(w).entropy < 0.9  # measured against all 5 keys, it looks focused


def test_padding_rows_are_left_out():
    w = np.zeros((4, 4))
    w[:3, :3] = np.eye(3)
    w[3, :3] = 1 / 3  # the padding query still has a row (softmax over the real keys)
    allowed, queries = infer_mask(w)
    assert queries.tolist() == [True, True, True, False]
    assert head_roles(w, allowed, queries).self == 1.0  # measured over the 3 real tokens only
    assert head_roles(w).self == 0.75


def test_a_token_no_saturated_head_looks_at_is_still_measured_as_a_query():
    """QA (encoder-sort-unscaled): one-hot heads looked at no query's token 1, whose row was left out as padding
    ('self 0.11' against 0.10 counted by hand). Padding is the trailing positions only; an encoder stays unmasked."""
    T = 5
    w = np.zeros((T, T))
    w[:, 0] = 1.0  # every query on token 0: tokens 1.. are never looked at
    w[0, 0], w[0, 2] = 0.0, 1.0  # ... but token 2 is, by query 0 (after it: no causal mask)
    allowed, queries = infer_mask(w)
    assert queries.tolist() == [True, True, True, False, False]  # 3 and 4, trailing and unseen: padding
    assert allowed[:3, :3].all() and not allowed[3:].any() and not allowed[:, 3:].any()
    assert head_roles(w, allowed, queries).first == pytest.approx(2 / 3)  # rows 0, 1 and 2, not 0 and 2


def left_patch_head(labels: list[str]) -> np.ndarray:
    """Each patch reads the patch on its left in the same row; the first of a row, [CLS], and [CLS] itself."""
    places = {label: i for i, label in enumerate(labels)}
    w = np.zeros((len(labels), len(labels)))
    for i, label in enumerate(labels):
        row, col = (int(n) for n in label[1:].split("c")) if label != "[CLS]" else (0, 0)
        w[i, places.get(f"r{row}c{col - 1}", 0) if label != "[CLS]" else 0] = 1.0
    return w


def test_a_vits_roles_look_left_right_and_across_the_image_not_along_its_reading_order():
    """QA: Head roles' previous/next columns meant the patch before and after in reading order, where the "previous"
    of a row's first patch is the last of the row above: for an image, the patch on the left and on the right."""
    labels = ["[CLS]", *(f"r{r}c{c}" for r in range(3) for c in range(3))]  # a 3x3 image's patches
    places = patch_places(labels)
    assert np.isnan(places[0]).all() and places[1:4].tolist() == [[0, 0], [0, 1], [0, 2]]
    w = left_patch_head(labels)
    roles = role_table(w[None, None], layout=on_a_grid(places))[0].roles
    assert roles.previous == 1.0 and roles.next == 0.0  # every patch with a left neighbour reads it, none the right
    assert role_table(w[None, None])[0].roles.previous <= 0.75  # along the reading order: the rows' first patches miss it
    below = np.zeros_like(w)
    below[0, 0] = 1.0
    below[1:, 1:] = np.roll(np.eye(9), 3, axis=1)  # each patch reads the one below it (the last row, the first)
    across = role_table(below[None, None], layout=on_a_grid(places))[0].roles
    assert across.distance == pytest.approx((6 * 1 + 3 * 2) / 9)  # in patches across the image, not 3 tokens on
    assert role_table(below[None, None])[0].roles.distance == pytest.approx((6 * 3 + 3 * 6) / 10)


def test_role_table_covers_every_head_and_sorts():
    T = 6
    weights = np.stack([np.stack([np.eye(T), previous_token_head(T)]),
                        np.stack([np.full((T, T), 1 / T), np.eye(T)])])  # (2, 2, T, T)
    table = role_table(weights)
    assert [(r.layer, r.head) for r in table] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert sort_table(table, "previous")[0].head == 1 and sort_table(table, "previous")[0].layer == 0
    assert sort_table(table, "entropy")[0].layer == 1 and sort_table(table, "entropy")[0].head == 0
    assert set(table[0].as_dict()) == {"layer", "head", "entropy", "distance", "previous", "next", "first", "self"}
    with pytest.raises(ValueError, match="sort by"):
        sort_table(table, "loudness")


def test_changed_most_finds_the_head_that_moved():
    T = 5
    before = np.stack([np.stack([np.eye(T)] * 3)] * 2)  # (2, 3, T, T)
    after = before.copy()
    after[1, 2] = previous_token_head(T)
    changes = changed_most(before, after)
    assert (changes[0].layer, changes[0].head) == (1, 2)
    assert changes[0].change == pytest.approx(4 / 5)  # 4 of 5 rows moved all their weight
    assert changes[0].delta("previous") == pytest.approx(1.0)
    assert all(c.change == 0 for c in changes[1:])
    assert len(changed_most(before, after, top=2)) == 2
    with pytest.raises(ValueError, match="differ in shape"):
        changed_most(before, after[:1])


def test_changed_most_of_one_query_ranks_the_heads_by_that_row_alone():
    """QA: Try it's table ranked heads by every row's change (69.5 %) beside views of the one row it follows, which
    read "[CLS] 94%" before and "[CLS] 96%" now."""
    T = 5
    before = np.stack([np.stack([np.eye(T)] * 2)])  # (1, 2, T, T)
    after = before.copy()
    after[0, 0] = previous_token_head(T)  # every row but the first moves
    after[0, 1, 0] = np.eye(T)[1]  # the first row alone moves
    assert [(c.head, round(c.change, 3)) for c in changed_most(before, after)] == [(0, 0.8), (1, 0.2)]
    assert [(c.head, round(c.change, 3)) for c in changed_most(before, after, query=0)] == [(1, 1.0), (0, 0.0)]
    with pytest.raises(ValueError, match="not one of the input's 5 positions"):
        changed_most(before, after, query=5)


# ----- rollout ------------------------------------------------------------------------------------
def test_rollout_of_identity_attention_is_identity():
    w = np.broadcast_to(np.eye(4), (3, 2, 4, 4))
    np.testing.assert_allclose(attention_rollout(w), np.eye(4))


def test_rollout_by_hand():
    a = np.array([[1.0, 0.0], [1.0, 0.0]])  # both tokens look at token 0
    b = np.array([[0.0, 1.0], [0.0, 1.0]])  # both look at token 1
    w = np.stack([np.stack([a, b])])  # one layer, two heads: mean = 0.5 everywhere
    np.testing.assert_allclose(layer_matrices(w)[0], [[0.75, 0.25], [0.25, 0.75]])  # (0.5 + I) / 2
    two = np.stack([np.stack([a, a]), np.stack([b, b])])  # layer 0 -> token 0, layer 1 -> token 1
    m0 = np.array([[1.0, 0.0], [0.5, 0.5]])
    m1 = np.array([[0.5, 0.5], [0.0, 1.0]])
    np.testing.assert_allclose(attention_rollout(two), m1 @ m0)
    np.testing.assert_allclose(rollout_per_layer(two)[0], m0)
    np.testing.assert_allclose(attention_rollout(two, upto=0), m0)
    np.testing.assert_allclose(attention_rollout(two).sum(-1), 1.0)
    np.testing.assert_allclose(attention_rollout(two, residual=False), b @ a)


def test_cls_maps_on_the_patch_grid():
    T = 1 + 9
    w = np.zeros((2, 3, T, T))
    w[..., 0] = 1.0  # every token on [CLS] ...
    w[1, 2, 0] = 0.0
    w[1, 2, 0, 1 + 5] = 1.0  # ... except head 2 of layer 1, whose [CLS] looks at patch (row 1, col 2)
    maps = cls_attention_maps(w, layer=1)
    assert maps.shape == (3, 3, 3)
    assert maps[2, 1, 2] == 1.0 and maps[2].sum() == 1.0 and maps[0].sum() == 0.0
    assert cls_rollout_map(w).shape == (3, 3)
    assert patch_grid(17) == (4, 4)
    with pytest.raises(ValueError, match="square grid"):
        patch_grid(12)


def test_rollout_on_a_vit_snapshot(vit):
    snap = vit.snapshot()
    rolled = attention_rollout(snap.weights)
    np.testing.assert_allclose(rolled.sum(-1), 1.0, atol=1e-6)
    assert cls_rollout_map(snap.weights).shape == (4, 4)


# ----- embeddings ---------------------------------------------------------------------------------
def test_pca_finds_the_line():
    t = np.linspace(-1, 1, 20)[:, None]
    points = t @ np.array([[3.0, 4.0, 0.0]]) + 7.0  # a line in 3-D
    xy, explained = pca_2d(points)
    assert explained[0] == pytest.approx(1.0) and explained[1] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(np.abs(xy[:, 0]), np.abs(t[:, 0]) * 5.0, atol=1e-9)
    np.testing.assert_allclose(xy[:, 1], 0.0, atol=1e-9)


def test_embedding_projections_of_real_models(decoder, vit):
    tokens = token_embedding_projection(decoder)
    assert tokens.points.shape == (decoder.info.vocab_size, 2)
    assert len(tokens.labels) == decoder.info.vocab_size and "0" in tokens.labels
    positions = position_projection(decoder)
    assert positions.points.shape == (9, 2) and positions.labels[0] == "0"
    vit_positions = position_projection(vit)
    assert vit_positions.points.shape == (17, 2)
    # (QA: "0" read as a patch; the dots 2, 4, … beside heatmaps naming patches r0c0 … r3c3)
    assert vit_positions.labels == ["[CLS]", *(f"r{r}c{c}" for r in range(4) for c in range(4))]
    assert vit_positions.labels[1:] == vit.dataset.token_labels(vit.dataset.probe().x)[1:]
    with pytest.raises(ValueError, match="no token embedding"):
        token_embedding_projection(vit)


def test_a_pretrained_size_vocabulary_projects_the_tasks_and_the_inputs_tokens():
    """30,522 word pieces are a blob: a vocabulary over LARGE_VOCAB shows the pieces its task's text uses (and the
    input's), and a 512-row position table the positions the model reads."""
    from types import SimpleNamespace

    from playground.data.base import Batch

    class TaskText:  # a task whose sentences use ids 5..24 of 2,000, padded with 0 after 6 tokens
        def batch(self, split, rows, generator):
            x = torch.randint(5, 25, (rows, 8), generator=generator)
            x[:, 6:] = 0
            return Batch(x, x, x != 0)

        def token_labels(self, ids):
            return [f"w{i}" for i in ids.tolist()]

    model = torch.nn.Module()
    model.tok_emb, model.pos_emb = torch.nn.Embedding(2000, 16), torch.nn.Embedding(512, 16)
    spec = SimpleNamespace(model=SimpleNamespace(seq_len=24, family="encoder"))
    session = SimpleNamespace(model=model, dataset=TaskText(), spec=spec)
    tokens = token_embedding_projection(session, inputs=[1999, 7])
    assert tokens.labels[:2] == ["w1999", "w7"] and sorted(tokens.labels[1:]) == sorted(f"w{i}" for i in range(5, 25))
    assert tokens.points.shape == (21, 2) and "this input's tokens and the 20 tokens the task uses most, of 2,000" \
        in tokens.title
    positions = position_projection(session)
    assert positions.points.shape == (24, 2) and "the 24 this model reads of 512" in positions.title
    assert token_embedding_projection(model).points.shape == (2000, 2)  # a bare model: every row
