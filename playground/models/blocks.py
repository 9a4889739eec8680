"""The pieces the three model families are built from.

Block is one transformer layer in any of the lecture's layouts: BERT's post-LN, GPT-2's and ViT's pre-LN,
or the ablations (no LayerNorm, no residual connections). Parameter names and their Hugging Face
counterparts are listed in encoder.py, decoder.py and vit.py.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from playground.core.spec import ModelSpec, NormPlace
from playground.models.attention import MultiHeadAttention

GeluKind = Literal["none", "tanh"]  # "none" = exact erf GELU (BERT, ViT); "tanh" = GPT-2's gelu_new


class FeedForward(nn.Module):
    """Position-wise MLP: C -> d_ff -> GELU -> C, applied to every token on its own."""

    def __init__(self, n_embd: int, d_ff: int, dropout: float, gelu: GeluKind) -> None:
        super().__init__()
        self.fc1 = nn.Linear(n_embd, d_ff)
        self.act = nn.GELU(approximate=gelu)
        self.fc2 = nn.Linear(d_ff, n_embd)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        # (B, T, C) -> (B, T, d_ff) -> (B, T, C)
        return self.drop(self.fc2(self.act(self.fc1(x))))


def layer_norm(norm: NormPlace, n_embd: int, eps: float) -> nn.Module:
    """A LayerNorm, or nothing (nn.Identity, which has no weights) when the model has none."""
    return nn.Identity() if norm == "none" else nn.LayerNorm(n_embd, eps=eps)


def final_layer_norm(norm: NormPlace, n_embd: int, eps: float) -> nn.Module:
    """The LayerNorm after the last block: pre-LN leaves the stream unnormalised, so normalise once at the end;
    post-LN's stream already is, and with no LayerNorm there is none."""
    return layer_norm(norm, n_embd, eps) if norm == "pre" else nn.Identity()


class Block(nn.Module):
    """One transformer layer: attention, then the feed-forward network, each a sub-layer wrapped as the spec says.

        norm "post" (BERT):        x = LN(x + attn(x));      x = LN(x + ffn(x))
        norm "pre"  (GPT-2, ViT):  x = x + attn(LN(x));      x = x + ffn(LN(x))
        norm "none":               x = x + attn(x);          x = x + ffn(x)
        residual false:            the "x +" is dropped: each sub-layer's output replaces the stream

    Pre-LN keeps the residual stream an untouched sum, which trains deep stacks stably without warm-up
    tricks; without the residual connections every layer must carry all the information itself.
    """

    def __init__(self, spec: ModelSpec, *, gelu: GeluKind, eps: float, max_len: int) -> None:
        super().__init__()
        C = spec.n_embd
        self.norm_place, self.residual = spec.norm, spec.residual
        self.norm1 = layer_norm(spec.norm, C, eps)
        self.attn = MultiHeadAttention(C, spec.n_head, spec.dropout, causal=spec.causal, max_len=max_len,
                                       scale=spec.scale_scores)
        self.norm2 = layer_norm(spec.norm, C, eps)
        self.ffn = FeedForward(C, spec.d_ff, spec.dropout, gelu=gelu)

    def sublayer_input(self, x: Tensor, norm: nn.Module) -> Tensor:
        """What a sub-layer reads: the normalised stream with pre-LN, the stream itself otherwise."""
        return norm(x) if self.norm_place == "pre" else x

    def sublayer_output(self, x: Tensor, out: Tensor, norm: nn.Module) -> Tensor:
        """The new stream: the sub-layer's output added to x (the residual connection), normalised with post-LN."""
        h = x + out if self.residual else out
        return norm(h) if self.norm_place == "post" else h

    def attention_input(self, x: Tensor) -> Tensor:
        """What self.attn receives from the block input."""
        return self.sublayer_input(x, self.norm1)

    def forward(
        self, x: Tensor, key_mask: Tensor | None = None, need_weights: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        a, weights = self.attn(self.attention_input(x), key_mask, need_weights)  # (B, T, C)
        x = self.sublayer_output(x, a, self.norm1)
        x = self.sublayer_output(x, self.ffn(self.sublayer_input(x, self.norm2)), self.norm2)
        return x, weights


class PatchEmbedding(nn.Module):
    """Cut the image into patch x patch squares and project each to C numbers.

    A conv with kernel = stride = patch is exactly "flatten each patch, multiply by one matrix".
    """

    def __init__(self, channels: int, n_embd: int, patch_size: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(channels, n_embd, kernel_size=patch_size, stride=patch_size)

    def forward(self, images: Tensor) -> Tensor:
        # (B, ch, H, W) -> (B, C, H/p, W/p) -> (B, C, N) -> (B, N, C), patches in row-major order
        return self.proj(images).flatten(2).transpose(1, 2)


class LearnedPositions(nn.Module):
    """A trained table: one C-vector per position."""

    def __init__(self, n_positions: int, n_embd: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_positions, n_embd))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, seq_len: int) -> Tensor:
        return self.weight[:seq_len]  # (T, C), added to every sequence of the batch


class SinusoidalPositions(nn.Module):
    """The fixed table of "Attention Is All You Need": PE[t, 2i] = sin(t / 10000^(2i/C)), PE[t, 2i+1] = cos(...).

    Not trained and not saved (a buffer outside the state dict): it is rebuilt from its shape.
    """

    def __init__(self, n_positions: int, n_embd: int) -> None:
        super().__init__()
        if n_embd % 2:
            raise ValueError(f"sinusoidal positions need an even embedding dimension, not {n_embd}")
        t = torch.arange(n_positions, dtype=torch.float32)[:, None]  # (P, 1)
        freq = torch.exp(torch.arange(0, n_embd, 2, dtype=torch.float32) * (-math.log(10000.0) / n_embd))  # (C/2,)
        table = torch.zeros(n_positions, n_embd)
        table[:, 0::2] = torch.sin(t * freq)  # (P, C/2) into the even channels
        table[:, 1::2] = torch.cos(t * freq)  # and the odd ones
        self.register_buffer("table", table, persistent=False)

    def forward(self, seq_len: int) -> Tensor:
        return self.table[:seq_len]  # (T, C)


class NoPositions(nn.Module):
    """No positional encoding: nothing is added, so attention sees a bag of tokens and cannot tell their order."""

    def forward(self, seq_len: int) -> None:
        return None


def make_positions(kind: Literal["learned", "sinusoidal", "none"], n_positions: int, n_embd: int) -> nn.Module:
    """ModelSpec.pos_encoding -> the position module; it maps seq_len to a (T, C) table (None: no positions)."""
    if kind == "learned":
        return LearnedPositions(n_positions, n_embd)
    if kind == "sinusoidal":
        return SinusoidalPositions(n_positions, n_embd)
    return NoPositions()
