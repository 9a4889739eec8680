"""Scaled dot-product attention, written the way the lecture writes it.

One head (shapes for a batch B of sequences of T tokens, head size hs):

    scores  = q @ k^T                      (B, T, T)   how well each query matches each key
    scaled  = scores / sqrt(hs)            keeps the softmax from saturating as hs grows (scale_scores false: skipped)
    masked  = scaled + mask                the mask: 0 where allowed, -inf where not (a later token, padding)
    weights = softmax(masked, over keys)   each row sums to 1
    out     = weights @ v                  (B, T, hs)  a weighted average of the values

Multi-head attention runs n_head of these side by side on (B, nh, T, hs) tensors (the same
functions: they only look at the last two dimensions), concatenates the heads back to (B, T, C)
and mixes them with an output projection.

The explicit path below computes every step as its own tensor so the app can show it;
the "sdpa" path hands the same math to PyTorch's fused kernel, which is faster and stores no
(T, T) matrices. A test keeps the two equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

AttentionImpl = Literal["sdpa", "explicit"]
ATTENTION_IMPLS: tuple[AttentionImpl, ...] = ("sdpa", "explicit")


# ---- the lecture's single-head math, as functions (they broadcast over a leading head dimension) ----


def attention_scores(q: Tensor, k: Tensor) -> Tensor:
    """q @ k^T: (..., T, hs) x (..., T, hs) -> (..., T_query, T_key)."""
    return q @ k.transpose(-2, -1)


def scale_scores(scores: Tensor, head_dim: int) -> Tensor:
    """Divide by sqrt(hs): dot products of hs-dim vectors grow like sqrt(hs), softmax would saturate.

    Written as a multiplication by 1/sqrt(hs), the same number to float rounding: a division per score
    slowed the compiled CPU step's softmax kernel (see mask_bias)."""
    return scores * (1.0 / math.sqrt(head_dim))


def mask_bias(allowed: Tensor, dtype: torch.dtype) -> Tensor:
    """The mask as numbers to add to the scores: 0 where a query may look (allowed), -inf where it may not.

    Added rather than filled in (`masked_fill`): with the causal mask a constant buffer of these numbers, the
    compiled bf16 step of the default decoder ran ~5 % faster than when its softmax kernel worked the
    triangle out again for every score (measured on a 2-core Xeon, alternated in one process)."""
    return torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill(~allowed, float("-inf"))


def apply_mask(scores: Tensor, bias: Tensor) -> Tensor:
    """scores + the mask's bias: -inf where a query may not look, which softmax turns into exactly 0."""
    return scores + bias


def maybe_scaled(scores: Tensor, head_dim: int, scale: bool) -> Tensor:
    """scale_scores(scores), or the raw scores for the ablation that leaves the division out."""
    return scale_scores(scores, head_dim) if scale else scores


def attention_weights(masked_scores: Tensor) -> Tensor:
    """Softmax over the keys (last dimension): every row sums to 1."""
    return torch.softmax(masked_scores, dim=-1)


def weighted_values(weights: Tensor, v: Tensor) -> Tensor:
    """weights @ v: (..., T, T) x (..., T, hs) -> (..., T, hs), each output a weighted average of values."""
    return weights @ v


def build_mask(
    seq_len: int, key_mask: Tensor | None, causal: bool, device: torch.device
) -> Tensor | None:
    """Which (query, key) pairs may attend, as a bool tensor broadcastable to (B, nh, T, T); None = all.

    key_mask: (B, T) bool, True for real tokens; padding keys are hidden from every query.
    causal: query t sees keys 0..t only (a decoder must not read the future it predicts).
    """
    allowed = None
    if causal:
        # (1, 1, T, T): lower triangle incl. the diagonal
        allowed = torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril()[None, None]
    if key_mask is not None:
        keys = key_mask.bool()[:, None, None, :]  # (B, T) -> (B, 1, 1, T): the same for every query and head
        allowed = keys if allowed is None else allowed & keys
    return allowed


class SelfAttention(nn.Module):
    """One attention head with its own query, key and value projections (C -> hs): the lecture's picture.

    MultiHeadAttention does not stack these modules (it runs all heads in one matmul), but head h of a
    MultiHeadAttention is exactly `SelfAttention.from_head(mha, h)`; a test checks it.
    """

    def __init__(self, n_embd: int, head_dim: int, causal: bool = False, scale: bool = True) -> None:
        super().__init__()
        self.q = nn.Linear(n_embd, head_dim)
        self.k = nn.Linear(n_embd, head_dim)
        self.v = nn.Linear(n_embd, head_dim)
        self.head_dim = head_dim
        self.causal, self.scale = causal, scale

    @classmethod
    def from_head(cls, mha: MultiHeadAttention, head: int) -> SelfAttention:
        """A copy of head `head` of `mha`: rows head*hs .. (head+1)*hs of its q, k, v weights."""
        one = cls(mha.n_embd, mha.head_dim, mha.causal, mha.scale)
        rows = slice(head * mha.head_dim, (head + 1) * mha.head_dim)
        with torch.no_grad():
            for name in ("q", "k", "v"):
                getattr(one, name).weight.copy_(getattr(mha, name).weight[rows])
                getattr(one, name).bias.copy_(getattr(mha, name).bias[rows])
        return one

    def forward(self, x: Tensor, key_mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """x: (B, T, C) -> (out (B, T, hs), weights (B, T, T))."""
        q, k, v = self.q(x), self.k(x), self.v(x)  # each (B, T, hs)
        scaled = maybe_scaled(attention_scores(q, k), self.head_dim, self.scale)  # (B, T, T)
        allowed = build_mask(x.shape[1], key_mask, self.causal, x.device)
        if allowed is not None:
            scaled = apply_mask(scaled, mask_bias(allowed[:, 0], scaled.dtype))  # (B|1, 1, T, T) -> (B|1, T, T)
        weights = attention_weights(scaled)
        return weighted_values(weights, v), weights


@dataclass
class AttentionTrace:
    """Every intermediate tensor of one multi-head attention call, for the step-by-step view."""

    x: Tensor  # (B, T, C) input
    q: Tensor  # (B, nh, T, hs)
    k: Tensor  # (B, nh, T, hs)
    v: Tensor  # (B, nh, T, hs)
    scores: Tensor  # (B, nh, T, T) q @ k^T
    scaled: Tensor  # (B, nh, T, T) scores / sqrt(hs) (the scores themselves when scale_scores is off)
    mask: Tensor  # (B, nh, T, T) bool, True where attention is allowed (an expanded view, no copy)
    masked: Tensor  # (B, nh, T, T) scaled with -inf where not allowed
    weights: Tensor  # (B, nh, T, T) softmax over keys, before attention dropout
    head_outputs: Tensor  # (B, nh, T, hs) weights @ v per head
    concat: Tensor  # (B, T, C) heads side by side
    output: Tensor  # (B, T, C) after the output projection (and dropout when training)


class MultiHeadAttention(nn.Module):
    """n_head heads in parallel, concatenated, then an output projection.

    Separate q, k, v Linears (not one fused qkv) so that BERT's and ViT's query/key/value weights
    copy over one to one; GPT-2's fused c_attn is split (and transposed, it is a Conv1D) on export.
    """

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0, causal: bool = False,
                 max_len: int = 0, scale: bool = True) -> None:
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"embedding dimension {n_embd} is not divisible by {n_head} heads")
        if causal and max_len < 1:
            raise ValueError("causal attention needs the longest sequence it will see (max_len) for its mask")
        self.n_embd, self.n_head, self.head_dim = n_embd, n_head, n_embd // n_head
        self.causal, self.max_len = causal, max_len
        self.scale = scale  # divide the scores by sqrt(hs); False is the saturating-softmax ablation
        # The causal mask as numbers (see causal_mask_bias): built when the explicit path is first used. The
        # fused path never reads it, and at a long context it is max_len^2 floats a layer.
        self.register_buffer("causal_bias", None, persistent=False)
        self.q = nn.Linear(n_embd, n_embd)  # all heads' query projections stacked: rows h*hs..(h+1)*hs
        self.k = nn.Linear(n_embd, n_embd)
        self.v = nn.Linear(n_embd, n_embd)
        self.proj = nn.Linear(n_embd, n_embd)  # mixes the concatenated heads
        self.attn_dropout = dropout  # on the attention weights (a float: sdpa takes a probability)
        self.resid_dropout = nn.Dropout(dropout)  # on the projected output, before the residual add
        self.impl: AttentionImpl = "sdpa"

    def set_attention_impl(self, impl: AttentionImpl) -> None:
        if impl not in ATTENTION_IMPLS:
            raise ValueError(f"attention implementation must be one of {ATTENTION_IMPLS}, not {impl!r}")
        self.impl = impl
        if impl == "explicit" and self.causal:
            self.causal_mask_bias()  # now, not while a compiled step's graph is traced (it only reads it then)

    def causal_mask_bias(self) -> Tensor:
        """(max_len, max_len): 0 on and below the diagonal, -inf above (a query never sees a later key). Built
        once on the layer's device, like nanoGPT's tril buffer; not saved (rebuilt from max_len)."""
        if self.causal_bias is None:
            allowed = torch.ones(self.max_len, self.max_len, dtype=torch.bool, device=self.q.weight.device).tril()
            self.causal_bias = mask_bias(allowed, torch.float32)
        return self.causal_bias

    def split_heads(self, t: Tensor) -> Tensor:
        """(B, T, C) -> (B, nh, T, hs): each head gets its own slice of the channels."""
        B, T, _ = t.shape
        return t.view(B, T, self.n_head, self.head_dim).transpose(1, 2)

    def project_qkv(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """x (B, T, C) -> q, k, v for every head, each (B, nh, T, hs).

        The same numbers as self.q(x), self.k(x), self.v(x), computed as one (C -> 3C) matmul with the
        three weights stacked: one large kernel instead of three small ones (forward and backward), which
        measured ~2 % of a training step at the default decoder on CPU.
        """
        weight = torch.cat([self.q.weight, self.k.weight, self.v.weight])  # (3C, C)
        bias = torch.cat([self.q.bias, self.k.bias, self.v.bias])  # (3C,)
        q, k, v = F.linear(x, weight, bias).split(self.n_embd, dim=-1)  # (B, T, 3C) -> 3 x (B, T, C)
        return self.split_heads(q), self.split_heads(k), self.split_heads(v)

    def merge_heads(self, t: Tensor) -> Tensor:
        """(B, nh, T, hs) -> (B, T, C): the heads' outputs side by side (concatenation)."""
        B, _, T, _ = t.shape
        return t.transpose(1, 2).contiguous().view(B, T, self.n_embd)

    def forward(
        self, x: Tensor, key_mask: Tensor | None = None, need_weights: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """x: (B, T, C), key_mask: (B, T) bool True = real token -> (out (B, T, C), weights (B, nh, T, T) or None).

        Asking for the weights forces the explicit path (the fused kernel never forms them).
        """
        if need_weights or self.impl == "explicit":
            trace = self.trace(x, key_mask)
            return trace.output, (trace.weights if need_weights else None)
        q, k, v = self.project_qkv(x)  # each (B, nh, T, hs)
        dropout_p = self.attn_dropout if self.training else 0.0
        scale = None if self.scale else 1.0  # None: the kernel's own 1/sqrt(hs)
        if key_mask is None:
            # no padding: let the kernel build the causal mask itself (enables flash attention)
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=self.causal, scale=scale)
        else:
            allowed = build_mask(x.shape[1], key_mask, self.causal, x.device)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=dropout_p, scale=scale)
        # y: (B, nh, T, hs)
        return self.resid_dropout(self.proj(self.merge_heads(y))), None

    def attention_bias(self, T: int, key_mask: Tensor | None, dtype: torch.dtype) -> Tensor | None:
        """What the explicit path adds to the scores: the causal triangle (T, T) and the padding keys
        (B, 1, 1, T), each 0 where allowed and -inf where not; None when every key is allowed."""
        bias = self.causal_mask_bias()[:T, :T].to(dtype) if self.causal else None
        if key_mask is not None:
            padding = mask_bias(key_mask.bool()[:, None, None, :], dtype)  # (B, T) -> (B, 1, 1, T)
            bias = padding if bias is None else bias + padding
        return bias

    def trace(self, x: Tensor, key_mask: Tensor | None = None) -> AttentionTrace:
        """The explicit path, keeping every step. forward() uses this same code for "explicit"."""
        B, T, _ = x.shape
        q, k, v = self.project_qkv(x)  # each (B, nh, T, hs)
        scores = attention_scores(q, k)  # (B, nh, T, T)
        scaled = maybe_scaled(scores, self.head_dim, self.scale)
        bias = self.attention_bias(T, key_mask, scaled.dtype)  # broadcasts to (B, nh, T, T)
        if bias is None:
            masked, allowed = scaled, torch.ones(1, 1, T, T, dtype=torch.bool, device=x.device)
        else:
            masked, allowed = apply_mask(scaled, bias), bias == 0
        allowed = allowed.expand(B, self.n_head, T, T)  # a view: same mask for every head
        weights = attention_weights(masked)  # (B, nh, T, T), rows sum to 1
        dropped = F.dropout(weights, self.attn_dropout, self.training)
        head_outputs = weighted_values(dropped, v)  # (B, nh, T, hs)
        concat = self.merge_heads(head_outputs)  # (B, T, C)
        output = self.resid_dropout(self.proj(concat))  # (B, T, C)
        return AttentionTrace(x, q, k, v, scores, scaled, allowed, masked, weights, head_outputs, concat, output)
