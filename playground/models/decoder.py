"""Decoder = GPT-2: each token sees only itself and earlier tokens; trained to predict the next token.

Our names -> Hugging Face GPT2LMHeadModel (`transformer.` prefix omitted). GPT-2 uses Conv1D, whose
weight is the transpose of a Linear's, and one fused c_attn = [q | k | v] along the output dimension:

    tok_emb.weight            wte.weight
    pos_emb.weight            wpe.weight            (learned positions only)
    blocks.{i}.norm1.*        h.{i}.ln_1.*
    blocks.{i}.attn.q|k|v.*   h.{i}.attn.c_attn.*   (concatenate q, k, v; transpose the weight)
    blocks.{i}.attn.proj.*    h.{i}.attn.c_proj.*   (transpose)
    blocks.{i}.norm2.*        h.{i}.ln_2.*
    blocks.{i}.ffn.fc1.*      h.{i}.mlp.c_fc.*      (transpose)
    blocks.{i}.ffn.fc2.*      h.{i}.mlp.c_proj.*    (transpose)
    norm_f.*                  ln_f.*                (pre-LN only)
    lm_head.weight            lm_head.weight        (tied to tok_emb.weight, no bias)
"""

from __future__ import annotations

from torch import Tensor, nn

from playground.core.spec import ModelSpec
from playground.data.base import DataInfo
from playground.models.base import PlaygroundModel, positions_added, scale_residual_projections
from playground.models.blocks import Block, final_layer_norm, make_positions

GPT2_EPS = 1e-5


class Decoder(PlaygroundModel):
    """GPT-like decoder for the task lm: logits (B, T, vocab) for the token after each position."""

    def __init__(self, spec: ModelSpec, info: DataInfo) -> None:
        super().__init__(spec, info)
        if info.task != "lm":
            raise ValueError(f"a decoder learns lm (next token), not '{info.task}': use the encoder or the ViT")
        if info.n_classes not in (0, info.vocab_size):
            raise ValueError(f"lm predicts tokens: n_classes must be the vocabulary size {info.vocab_size}")
        C = spec.n_embd
        self.tok_emb = nn.Embedding(info.vocab_size, C)
        self.pos_emb = make_positions(spec.pos_encoding, spec.block_size, C)
        self.emb_drop = nn.Dropout(spec.dropout)
        # GPT-2 block: pre-LN, causal attention, tanh-GELU, LayerNorm eps 1e-5 (unless an ablation says otherwise)
        self.blocks = nn.ModuleList(Block(spec, gelu="tanh", eps=GPT2_EPS, max_len=spec.block_size)
                                    for _ in range(spec.n_layer))
        self.norm_f = final_layer_norm(spec.norm, C, GPT2_EPS)
        self.lm_head = nn.Linear(C, info.vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight  # tied, as in GPT-2
        self.init_weights()
        scale_residual_projections(self, spec.n_layer)

    def embed(self, x: Tensor, mask: Tensor | None) -> Tensor:
        self.check_tokens(x, mask, self.spec.block_size)
        return self.emb_drop(positions_added(self.tok_emb(x), self.pos_emb))  # (B, T, C)

    def head(self, h: Tensor) -> Tensor:
        return self.lm_head(h)  # (B, T, C) -> (B, T, V)

    def embedding_parameters(self) -> list[nn.Parameter]:
        return [*self.tok_emb.parameters(), *self.pos_emb.parameters()]
