"""Every step of self-attention for one head, as the lecture draws it, read off the real model.

All numbers come from `MultiHeadAttention.trace` (through `PlaygroundModel.trace_attention`): the same
code the model runs in its explicit path, which a test keeps equal to the fused path. Nothing here
recomputes attention, so the view cannot drift from the model.

    Q, K, V      (T, d_head)   the head's slice of the query, key and value projections
    QK^T         (T, T)        how well each query matches each key
    / sqrt(d)    (T, T)        scaled so the softmax does not saturate
    mask         (T, T) bool   True where a query may look (causal for the decoder, padding for the encoder)
    masked       (T, T)        -inf where not allowed
    softmax      (T, T)        the attention weights, every row sums to 1
    x V          (T, d_head)   the head's output, a weighted average of the values
    then the multi-head part: every head's output (H, T, d_head), their concatenation (T, C) and the
    output projection (T, C), which is what the attention sub-layer hands to the residual stream.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from playground.data.base import Batch


@dataclass(frozen=True)
class Step:
    """One panel of the lecture's figure: a matrix with its title, formula and shape."""

    key: str  # "q", "k", "v", "scores", "scaled", "mask", "masked", "weights", "output", ...
    title: str  # the lecture's words, e.g. "Scores  Q Kᵀ"; a head is numbered from 1 here ("head 1" = index 0)
    array: np.ndarray
    shape: str  # e.g. "(T, T) = (12, 12)"
    note: str = ""  # one line saying what it means
    rows: str = "query"  # what the rows index: "query" (token positions)
    cols: str = "key"  # what the columns index: "key", "dim" (a feature dimension) or "head dim"


@dataclass(frozen=True)
class AttentionSteps:
    """Every step of one head's attention on one input (batch row 0), as float32 numpy arrays."""

    layer: int
    head: int
    n_head: int
    d_head: int
    n_embd: int
    labels: list[str]
    mask_kind: str  # "causal", "padding", "causal + padding" or "none"
    q: np.ndarray  # (T, d_head)
    k: np.ndarray  # (T, d_head)
    v: np.ndarray  # (T, d_head)
    scores: np.ndarray  # (T, T) Q K^T
    scaled: np.ndarray  # (T, T) / sqrt(d_head)
    mask: np.ndarray  # (T, T) bool, True where attention is allowed
    masked: np.ndarray  # (T, T) scaled with -inf where not allowed
    weights: np.ndarray  # (T, T) softmax over keys
    output: np.ndarray  # (T, d_head) weights @ V
    head_outputs: np.ndarray  # (H, T, d_head) every head's output
    concat: np.ndarray  # (T, C) the heads side by side
    projected: np.ndarray  # (T, C) after the output projection: the sub-layer's output
    scale_scores: bool = True  # False: the ablation that leaves out / sqrt(d_head) (scaled is then scores)
    cut_from: int | None = None  # the input's length, where these are its first tokens alone (`first_tokens`)

    @property
    def seq_len(self) -> int:
        return self.weights.shape[0]

    def steps(self) -> list[Step]:
        """The single-head panels in the lecture's order: Q, K, V -> QK^T -> /sqrt(d) -> mask -> softmax -> x V."""
        T, d = self.seq_len, self.d_head
        vec = f"(T, d_head) = ({T}, {d})"
        sq = f"(T, T) = ({T}, {T})"
        mask_title = {"none": "Mask: none (every key allowed)", "causal": "Mask: causal",
                      "padding": "Mask: padding", "causal + padding": "Mask: causal + padding"}[self.mask_kind]
        return [
            Step("q", "Queries  Q = X W_Q", self.q, vec, "what each token is looking for", cols="dim"),
            Step("k", "Keys  K = X W_K", self.k, vec, "what each token offers to be found by", cols="dim"),
            Step("v", "Values  V = X W_V", self.v, vec, "what each token passes on when attended to", cols="dim"),
            Step("scores", "Scores  Q Kᵀ", self.scores, sq, "how well each query matches each key"),
            Step("scaled", f"Scaled  Q Kᵀ / √{d}", self.scaled, sq,
                 f"divided by √d_head = {np.sqrt(d):.3g} so the softmax does not saturate")
            if self.scale_scores else
            Step("scaled", "Not scaled  Q Kᵀ", self.scaled, sq,
                 f"scale_scores is off: not divided by √d_head = {np.sqrt(d):.3g}, so the softmax saturates"),
            Step("mask", mask_title, self.mask, sq, "white: the query may look at the key; grey: hidden"),
            Step("masked", "Masked scores", self.masked, sq, "−∞ where the mask hides a key"),
            Step("weights", "Weights  softmax(row)", self.weights, sq, "every row sums to 1; hidden keys get 0"),
            Step("output", "Head output  weights × V", self.output, vec,
                 "each token's output is a weighted average of the values", cols="dim"),
        ]

    def multihead_steps(self) -> list[Step]:
        """Every head's output, then the concatenation and the output projection."""
        T, d, C = self.seq_len, self.d_head, self.n_embd
        panels = [  # keys use the 0-based head index, titles count heads from 1 as the window does
            Step(f"head{h}", f"head {h + 1}" + ("  (this one)" if h == self.head else ""), self.head_outputs[h],
                 f"(T, d_head) = ({T}, {d})", "weights × V of this head", cols="dim")
            for h in range(self.n_head)
        ]
        panels.append(Step("concat", f"Concat(head 1..{self.n_head})", self.concat, f"(T, C) = ({T}, {C})",
                           "the heads' outputs side by side", cols="dim"))
        panels.append(Step("projected", "Output projection  Concat W_O", self.projected, f"(T, C) = ({T}, {C})",
                           "mixes the heads; added to the residual stream", cols="dim"))
        return panels


def first_tokens(steps: AttentionSteps, n: int) -> AttentionSteps:
    """`steps` for its first `n` tokens alone: under a causal mask the very numbers of the whole input's first `n`
    rows, since query i reads keys 0..i only (the projections are per token). Without one, the rows would lose the
    later keys' weight, so that is refused."""
    if n >= steps.seq_len:
        return steps
    if "causal" not in steps.mask_kind:
        raise ValueError(f"the first {n} tokens are a cut of this input only under a causal mask, not {steps.mask_kind}")
    rows, square = slice(0, n), (slice(0, n), slice(0, n))
    return replace(steps, cut_from=steps.cut_from or steps.seq_len, labels=steps.labels[:n], q=steps.q[rows],
                   k=steps.k[rows], v=steps.v[rows],
                   scores=steps.scores[square], scaled=steps.scaled[square], mask=steps.mask[square],
                   masked=steps.masked[square], weights=steps.weights[square], output=steps.output[rows],
                   head_outputs=steps.head_outputs[:, rows], concat=steps.concat[rows],
                   projected=steps.projected[rows])


def _model_and_dataset(source: Any) -> tuple[torch.nn.Module, Any]:
    """A TrainingSession (has .model and .dataset) or a bare PlaygroundModel."""
    model = getattr(source, "model", None)
    if isinstance(model, torch.nn.Module):
        return model, getattr(source, "dataset", None)
    if isinstance(source, torch.nn.Module) and hasattr(source, "trace_attention"):
        return source, None
    raise TypeError(f"expected a TrainingSession or a playground model, got {type(source).__name__}")


def mask_kind(causal: bool, key_mask: torch.Tensor | None) -> str:
    padded = key_mask is not None and not bool(key_mask.all())
    if causal and padded:
        return "causal + padding"
    return "causal" if causal else "padding" if padded else "none"


@torch.no_grad()
def attention_steps(
    source: Any, batch: Batch | None = None, layer: int = 0, head: int = 0, labels: list[str] | None = None
) -> AttentionSteps:
    """Every step of head `head` of layer `layer` on batch row 0 (default: the session's probe).

    layer and head are 0-based indices (the figure's titles show them counted from 1).

    source: a TrainingSession or a PlaygroundModel (then `batch` is required). The model is put in
    eval mode for the trace (no dropout) and its training flag restored afterwards.
    """
    model, dataset = _model_and_dataset(source)
    if batch is None:
        if dataset is None:
            raise ValueError("pass a batch: a bare model has no probe input")
        batch = dataset.probe()
    n_layers = len(model.blocks)
    if not 0 <= layer < n_layers:
        raise ValueError(f"layer {layer} does not exist: this model has layers 0..{n_layers - 1}")
    attn = model.blocks[layer].attn
    if not 0 <= head < attn.n_head:
        raise ValueError(f"head {head} does not exist: this layer has heads 0..{attn.n_head - 1}")
    device = next(model.parameters()).device
    x = batch.x[:1].to(device)
    key_mask = None if batch.mask is None else batch.mask[:1].to(device)
    was_training = model.training
    model.eval()
    try:
        trace = model.trace_attention(x, key_mask, layer)
    finally:
        model.train(was_training)

    def np32(t: torch.Tensor) -> np.ndarray:
        return t.detach().float().cpu().numpy().copy()

    if labels is None:
        labels = dataset.token_labels(batch.x[0].cpu()) if dataset is not None else [str(i) for i in range(x.shape[1])]
    return AttentionSteps(
        layer=layer,
        head=head,
        n_head=attn.n_head,
        d_head=attn.head_dim,
        n_embd=attn.n_embd,
        labels=list(labels),
        mask_kind=mask_kind(attn.causal, key_mask),
        q=np32(trace.q[0, head]),
        k=np32(trace.k[0, head]),
        v=np32(trace.v[0, head]),
        scores=np32(trace.scores[0, head]),
        scaled=np32(trace.scaled[0, head]),
        mask=trace.mask[0, head].cpu().numpy().astype(bool),
        masked=np32(trace.masked[0, head]),
        weights=np32(trace.weights[0, head]),
        output=np32(trace.head_outputs[0, head]),
        head_outputs=np32(trace.head_outputs[0]),
        concat=np32(trace.concat[0]),
        projected=np32(trace.output[0]),
        scale_scores=attn.scale,
    )
