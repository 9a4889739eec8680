"""Attention rollout across layers and the ViT's [CLS]-to-patch maps (numpy only).

Rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers"): a layer passes on its
attention *plus* the residual connection, so each layer's matrix is A_l = normalise_rows(mean_heads(W_l) + I);
the attention from the last layer's tokens back to the input tokens is the product A_L ... A_2 A_1.
Row i of the result says how much of input token j flowed into token i at the top.
"""

from __future__ import annotations

import math

import numpy as np


def _check(weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 4 or w.shape[-1] != w.shape[-2]:
        raise ValueError(f"expected attention weights (layers, heads, T, T), got shape {w.shape}")
    return w


def layer_matrices(weights: np.ndarray, head_fusion: str = "mean", residual: bool = True) -> np.ndarray:
    """(L, H, T, T) -> (L, T, T): heads fused ("mean", "max" or "min"), identity added, rows renormalised."""
    w = _check(weights)
    fuse = {"mean": np.mean, "max": np.max, "min": np.min}.get(head_fusion)
    if fuse is None:
        raise ValueError(f"head_fusion must be mean, max or min, not {head_fusion!r}")
    a = fuse(w, axis=1)  # (L, T, T)
    if residual:
        a = a + np.eye(a.shape[-1])[None]
    return a / a.sum(axis=-1, keepdims=True)


def attention_rollout(
    weights: np.ndarray, head_fusion: str = "mean", residual: bool = True, upto: int | None = None
) -> np.ndarray:
    """(L, H, T, T) -> (T, T): the product of the layers' matrices from layer 0 up to `upto` (default: all).

    Rows still sum to 1: a product of row-stochastic matrices is row-stochastic.
    """
    mats = layer_matrices(weights, head_fusion, residual)
    last = mats.shape[0] if upto is None else upto + 1
    if not 1 <= last <= mats.shape[0]:
        raise ValueError(f"upto must be a layer in 0..{mats.shape[0] - 1}, got {upto}")
    result = np.eye(mats.shape[-1])
    for a in mats[:last]:
        result = a @ result  # later layers on the left: token i at the top <- ... <- input token j
    return result


def rollout_per_layer(weights: np.ndarray, head_fusion: str = "mean", residual: bool = True) -> np.ndarray:
    """(L, T, T): the rollout after each layer (entry l = layers 0..l)."""
    mats = layer_matrices(weights, head_fusion, residual)
    out = np.empty_like(mats)
    result = np.eye(mats.shape[-1])
    for index, a in enumerate(mats):
        result = a @ result
        out[index] = result
    return out


def patch_grid(seq_len: int, has_cls: bool = True) -> tuple[int, int]:
    """The (rows, cols) of a square patch grid from the sequence length (one [CLS] token first)."""
    n = seq_len - (1 if has_cls else 0)
    side = math.isqrt(max(n, 0))
    if n < 1 or side * side != n:
        raise ValueError(f"{n} patches do not form a square grid: is this a vision transformer's attention?")
    return side, side


def cls_attention_maps(weights: np.ndarray, layer: int = -1) -> np.ndarray:
    """(H, rows, cols): how much [CLS] (query 0) attends to each patch, per head, in `layer`.

    The [CLS] key itself is left out, so a map need not sum to 1 (the rest went to [CLS])."""
    w = _check(weights)
    rows, cols = patch_grid(w.shape[-1])
    return w[layer, :, 0, 1:].reshape(w.shape[1], rows, cols)


def cls_rollout_map(weights: np.ndarray, head_fusion: str = "mean") -> np.ndarray:
    """(rows, cols): row [CLS] of the attention rollout over all layers, on the patch grid."""
    w = _check(weights)
    rows, cols = patch_grid(w.shape[-1])
    return attention_rollout(w, head_fusion)[0, 1:].reshape(rows, cols)
