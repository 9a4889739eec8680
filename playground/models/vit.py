"""Vision Transformer: an image becomes a sequence of patches plus a [CLS] token that gathers the label.

Our names -> Hugging Face ViTForImageClassification (`vit.` prefix omitted):

    patch_emb.proj.*          embeddings.patch_embeddings.projection.*
    cls_token                 embeddings.cls_token                      (1, 1, C)
    pos_emb.weight            embeddings.position_embeddings            (N + 1, C) vs HF (1, N + 1, C)
    blocks.{i}.norm1.*        encoder.layer.{i}.layernorm_before.*
    blocks.{i}.attn.q|k|v.*   encoder.layer.{i}.attention.attention.query|key|value.*
    blocks.{i}.attn.proj.*    encoder.layer.{i}.attention.output.dense.*
    blocks.{i}.norm2.*        encoder.layer.{i}.layernorm_after.*
    blocks.{i}.ffn.fc1.*      encoder.layer.{i}.intermediate.dense.*
    blocks.{i}.ffn.fc2.*      encoder.layer.{i}.output.dense.*
    norm_f.*                  layernorm.*                               (pre-LN only)
    classifier.*              classifier.*
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from playground.core.spec import ModelSpec
from playground.data.base import DataInfo
from playground.models.base import INIT_STD, PlaygroundModel, positions_added
from playground.models.blocks import Block, PatchEmbedding, final_layer_norm, make_positions

VIT_EPS = 1e-12


class ViT(PlaygroundModel):
    """ViT for the task classify: images (B, channels, H, W) -> logits (B, n_classes) read from [CLS]."""

    def __init__(self, spec: ModelSpec, info: DataInfo) -> None:
        super().__init__(spec, info)
        if info.task != "classify":
            raise ValueError(f"a vision transformer learns classify, not '{info.task}'")
        if info.channels < 1 or info.n_classes < 1:
            raise ValueError(f"the dataset '{info.name}' is not a set of labelled images (channels and n_classes)")
        C = spec.n_embd
        self.patch_emb = PatchEmbedding(info.channels, C, spec.patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, C))
        self.pos_emb = make_positions(spec.pos_encoding, spec.n_patches + 1, C)  # +1: the [CLS] position
        self.emb_drop = nn.Dropout(spec.dropout)
        # ViT block: pre-LN, every patch sees every patch, exact GELU, LayerNorm eps 1e-12 (unless ablated)
        self.blocks = nn.ModuleList(Block(spec, gelu="none", eps=VIT_EPS, max_len=spec.seq_len)
                                    for _ in range(spec.n_layer))
        self.norm_f = final_layer_norm(spec.norm, C, VIT_EPS)
        self.classifier = nn.Linear(C, info.n_classes)
        self.init_weights()
        nn.init.normal_(self.cls_token, std=INIT_STD)

    def embed(self, x: Tensor, mask: Tensor | None) -> Tensor:
        side = self.spec.image_size
        if x.dim() != 4 or x.shape[1] != self.info.channels or x.shape[2:] != (side, side):
            raise ValueError(
                f"expected images of shape (batch, {self.info.channels}, {side}, {side}), got {tuple(x.shape)}"
            )
        if mask is not None:
            raise ValueError("images have no padding: pass mask=None to a vision transformer")
        patches = self.patch_emb(x)  # (B, N, C)
        cls = self.cls_token.expand(x.shape[0], -1, -1)  # (1, 1, C) -> (B, 1, C)
        h = torch.cat([cls, patches], dim=1)  # (B, N + 1, C), [CLS] at position 0
        return self.emb_drop(positions_added(h, self.pos_emb))

    def head(self, h: Tensor) -> Tensor:
        return self.classifier(h[:, 0])  # (B, N + 1, C) -> [CLS] (B, C) -> (B, n_classes)

    def embedding_parameters(self) -> list[nn.Parameter]:
        return [*self.patch_emb.parameters(), self.cls_token, *self.pos_emb.parameters()]
