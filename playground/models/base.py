"""What every playground model offers the trainer and the attention views."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from playground.core.spec import ModelSpec
from playground.data.base import DataInfo
from playground.models.attention import AttentionImpl, AttentionTrace, MultiHeadAttention
from playground.models.blocks import LearnedPositions

INIT_STD = 0.02  # GPT-2's and BERT's initializer_range


@dataclass
class ModelOutput:
    """logits: (B, T, n_out) for token tasks, (B, n_classes) for classify.
    attentions: one (B, n_head, T, T) tensor per layer when asked for, like transformers' `attentions`."""

    logits: Tensor
    attentions: tuple[Tensor, ...] | None = None


class PlaygroundModel(nn.Module):
    """Embeddings -> blocks -> (final norm) -> head. Subclasses supply the three ends.

    The loss is not computed here: the trainer applies cross-entropy with ignore_index=-100.
    """

    spec: ModelSpec
    info: DataInfo
    blocks: nn.ModuleList  # each block has .attn, a MultiHeadAttention
    norm_f: nn.Module  # the final LayerNorm of a pre-LN model, nn.Identity otherwise

    def __init__(self, spec: ModelSpec, info: DataInfo) -> None:
        super().__init__()
        self.spec = spec
        self.info = info

    # ---- what each family defines ----

    def embed(self, x: Tensor, mask: Tensor | None) -> Tensor:
        """Inputs -> (B, T, C), the stream the first block receives (checks the input shape first)."""
        raise NotImplementedError

    def final_norm(self, h: Tensor) -> Tensor:
        """Applied after the last block; pre-LN needs one, post-LN (BERT) and no LayerNorm do not."""
        return self.norm_f(h)

    def head(self, h: Tensor) -> Tensor:
        """Last hidden state (B, T, C) -> logits."""
        raise NotImplementedError

    def embedding_parameters(self) -> list[nn.Parameter]:
        """Everything before the first block: what freeze_lower_layers freezes along with the blocks."""
        raise NotImplementedError

    # ---- the common API ----

    def forward(self, x: Tensor, mask: Tensor | None = None, *, output_attentions: bool = False) -> ModelOutput:
        """x: (B, T) token ids or (B, C, H, W) images; mask: (B, T) bool, True for real tokens."""
        h = self.embed(x, mask)
        attentions: list[Tensor] = []
        for block in self.blocks:
            h, weights = block(h, mask, output_attentions)
            if weights is not None:
                attentions.append(weights)
        logits = self.head(self.final_norm(h))
        return ModelOutput(logits, tuple(attentions) if output_attentions else None)

    def last_hidden_state(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """(B, T, C) after all blocks and the final norm: transformers' `last_hidden_state`."""
        h = self.embed(x, mask)
        for block in self.blocks:
            h, _ = block(h, mask)
        return self.final_norm(h)

    def hidden_before_layer(self, x: Tensor, mask: Tensor | None, layer: int) -> Tensor:
        """(B, T, C): the input block `layer` receives (layer 0 gets the embeddings)."""
        if not 0 <= layer < len(self.blocks):
            raise ValueError(f"layer {layer} does not exist: this model has layers 0..{len(self.blocks) - 1}")
        h = self.embed(x, mask)
        for block in self.blocks[:layer]:
            h, _ = block(h, mask)
        return h

    def trace_attention(self, x: Tensor, mask: Tensor | None = None, layer: int = 0) -> AttentionTrace:
        """Every step of layer `layer`'s attention on this input (with the block's pre-LN applied if it has one)."""
        h = self.hidden_before_layer(x, mask, layer)  # also checks that the layer exists
        block = self.blocks[layer]
        return block.attn.trace(block.attention_input(h), mask)

    def set_attention_impl(self, impl: AttentionImpl) -> None:
        """'sdpa' (fused kernel, default) or 'explicit' (step by step) for every layer."""
        for block in self.blocks:
            block.attn.set_attention_impl(impl)

    def set_dropout(self, p: float) -> None:
        """Every dropout of the model at rate `p`: a training setting that may change between two steps."""
        for module in self.modules():
            if isinstance(module, nn.Dropout):
                module.p = p
            elif isinstance(module, MultiHeadAttention):
                module.attn_dropout = p  # the attention weights' dropout, a rate the fused kernel takes
        self.spec = self.spec.model_copy(update={"dropout": p})

    # ---- helpers for the families ----

    def init_weights(self) -> None:
        """GPT-2/BERT init: normal(0, 0.02) weights, zero biases, LayerNorm 1 and 0."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                nn.init.normal_(module.weight, std=INIT_STD)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.Embedding, LearnedPositions)):
                nn.init.normal_(module.weight, std=INIT_STD)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def check_tokens(self, x: Tensor, mask: Tensor | None, n_positions: int) -> None:
        if x.dim() != 2 or x.dtype.is_floating_point:
            raise ValueError(f"expected token ids of shape (batch, length) as integers, got {tuple(x.shape)} {x.dtype}")
        if x.shape[1] > n_positions:
            raise ValueError(f"a sequence of {x.shape[1]} tokens is longer than the model's {n_positions} positions")
        if mask is not None and mask.shape != x.shape:
            raise ValueError(f"the padding mask has shape {tuple(mask.shape)}, the tokens {tuple(x.shape)}")


def positions_added(tokens: Tensor, positions: nn.Module) -> Tensor:
    """(B, T, C) token vectors + the (T, C) position table (broadcast over the batch); the tokens alone
    with no positional encoding."""
    table = positions(tokens.shape[1])
    return tokens if table is None else tokens + table.to(tokens.dtype)


@torch.no_grad()
def scale_residual_projections(model: PlaygroundModel, n_layer: int) -> None:
    """GPT-2: the two projections that write into the residual stream get std 0.02 / sqrt(2 * n_layer),
    so the stream's variance does not grow with depth."""
    for block in model.blocks:
        for linear in (block.attn.proj, block.ffn.fc2):
            nn.init.normal_(linear.weight, std=INIT_STD / (2 * n_layer) ** 0.5)
