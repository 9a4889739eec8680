"""The pieces the three model families are built from.

EncoderBlock is BERT's post-LN layout, PreLNBlock is the layout GPT-2 and ViT share (DecoderBlock and
ViTBlock fix its settings). Parameter names and their Hugging Face counterparts are listed in
encoder.py, decoder.py and vit.py.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

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


class EncoderBlock(nn.Module):
    """BERT layer, post-LN: x = LN(x + attn(x)); x = LN(x + ffn(x))."""

    def __init__(self, n_embd: int, n_head: int, d_ff: int, dropout: float, eps: float = 1e-12) -> None:
        super().__init__()
        self.attn = MultiHeadAttention(n_embd, n_head, dropout, causal=False)
        self.norm1 = nn.LayerNorm(n_embd, eps=eps)
        self.ffn = FeedForward(n_embd, d_ff, dropout, gelu="none")
        self.norm2 = nn.LayerNorm(n_embd, eps=eps)

    def attention_input(self, x: Tensor) -> Tensor:
        """What self.attn receives from the block input: post-LN attends to x itself."""
        return x

    def forward(
        self, x: Tensor, key_mask: Tensor | None = None, need_weights: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        a, weights = self.attn(self.attention_input(x), key_mask, need_weights)  # (B, T, C)
        x = self.norm1(x + a)
        x = self.norm2(x + self.ffn(x))
        return x, weights


class PreLNBlock(nn.Module):
    """Pre-LN layout (GPT-2, ViT): x = x + attn(LN(x)); x = x + ffn(LN(x)).

    Normalising before each sub-layer keeps the residual stream an untouched sum, which trains
    deep stacks stably without warm-up tricks.
    """

    def __init__(
        self, n_embd: int, n_head: int, d_ff: int, dropout: float, *, causal: bool, gelu: GeluKind, eps: float,
        max_len: int = 0,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(n_embd, eps=eps)
        self.attn = MultiHeadAttention(n_embd, n_head, dropout, causal=causal, max_len=max_len)
        self.norm2 = nn.LayerNorm(n_embd, eps=eps)
        self.ffn = FeedForward(n_embd, d_ff, dropout, gelu=gelu)

    def attention_input(self, x: Tensor) -> Tensor:
        """What self.attn receives from the block input: the normalised stream."""
        return self.norm1(x)

    def forward(
        self, x: Tensor, key_mask: Tensor | None = None, need_weights: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        a, weights = self.attn(self.attention_input(x), key_mask, need_weights)  # (B, T, C)
        x = x + a
        x = x + self.ffn(self.norm2(x))
        return x, weights


class DecoderBlock(PreLNBlock):
    """GPT-2 block: pre-LN, causal attention, tanh-GELU, LayerNorm eps 1e-5."""

    def __init__(self, n_embd: int, n_head: int, d_ff: int, dropout: float, block_size: int) -> None:
        super().__init__(n_embd, n_head, d_ff, dropout, causal=True, gelu="tanh", eps=1e-5, max_len=block_size)


class ViTBlock(PreLNBlock):
    """ViT block: pre-LN, every patch sees every patch, exact GELU, LayerNorm eps 1e-12."""

    def __init__(self, n_embd: int, n_head: int, d_ff: int, dropout: float) -> None:
        super().__init__(n_embd, n_head, d_ff, dropout, causal=False, gelu="none", eps=1e-12)


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


def make_positions(kind: Literal["learned", "sinusoidal"], n_positions: int, n_embd: int) -> nn.Module:
    """ModelSpec.pos_encoding -> the position module; either maps seq_len to a (T, C) table."""
    if kind == "learned":
        return LearnedPositions(n_positions, n_embd)
    return SinusoidalPositions(n_positions, n_embd)
