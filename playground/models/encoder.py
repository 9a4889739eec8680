"""Encoder = BERT: every token sees every (real) token; trained by filling in masked tokens.

Our parameters map one to one onto Hugging Face's BertForMaskedLM / BertForTokenClassification /
BertForSequenceClassification: BERT_NAMES below is the one table that pretrained import (pretrained.py)
and Hugging Face export (export/hf.py) both read, so the two directions cannot disagree.
"""

from __future__ import annotations

import re

import torch
from torch import Tensor, nn

from playground.core.spec import ModelSpec, NormPlace
from playground.data.base import DataInfo
from playground.models.base import PlaygroundModel, positions_added
from playground.models.blocks import Block, final_layer_norm, layer_norm, make_positions

BERT_EPS = 1e-12
TOKEN_TYPES = 2  # BERT's segment A/B table: kept so pretrained weights load

# Our name -> Hugging Face BERT's, its `bert.` prefix omitted. A name ending in "." is a module whose
# .weight and .bias follow; {i} is a block's index.
BERT_NAMES: dict[str, str] = {
    "tok_emb.weight": "embeddings.word_embeddings.weight",
    "pos_emb.weight": "embeddings.position_embeddings.weight",  # learned positions only
    "type_emb.weight": "embeddings.token_type_embeddings.weight",  # 2 rows; we always use type 0
    "emb_norm.": "embeddings.LayerNorm.",
    "blocks.{i}.attn.q.": "encoder.layer.{i}.attention.self.query.",
    "blocks.{i}.attn.k.": "encoder.layer.{i}.attention.self.key.",
    "blocks.{i}.attn.v.": "encoder.layer.{i}.attention.self.value.",
    "blocks.{i}.attn.proj.": "encoder.layer.{i}.attention.output.dense.",
    "blocks.{i}.norm1.": "encoder.layer.{i}.attention.output.LayerNorm.",
    "blocks.{i}.ffn.fc1.": "encoder.layer.{i}.intermediate.dense.",
    "blocks.{i}.ffn.fc2.": "encoder.layer.{i}.output.dense.",
    "blocks.{i}.norm2.": "encoder.layer.{i}.output.LayerNorm.",
    "pooler.dense.": "pooler.dense.",  # classify
    "mlm_head.dense.": "cls.predictions.transform.dense.",  # mlm
    "mlm_head.norm.": "cls.predictions.transform.LayerNorm.",
    "mlm_head.bias": "cls.predictions.bias",  # the decoder matrix is tied to tok_emb.weight: not stored
    "classifier.": "classifier.",  # tagging, classify
}
BERT_HEADS = ("cls.", "classifier.")  # Hugging Face names outside the `bert.` body


def playground_key_to_bert(key: str) -> str | None:
    """Our state-dict key -> Hugging Face BERT's (without `bert.`), or None for one BERT does not store."""
    return _renamed(key, BERT_NAMES, "blocks.")


def bert_key_to_playground(key: str) -> str | None:
    """A Hugging Face BERT state-dict key (with or without a `bert.`/`model.` prefix) -> ours, or None for keys
    we have no place for (position_ids, the next-sentence head, the tied decoder copy)."""
    return _renamed(re.sub(r"^(bert|model)\.", "", key), {hf: ours for ours, hf in BERT_NAMES.items()},
                    "encoder.layer.")


def _renamed(key: str, table: dict[str, str], block: str) -> str | None:
    """`key` through `table`, reading the number after `block` (a block's index) as {i}."""
    found = re.match(rf"{re.escape(block)}(\d+)\.", key)
    pattern = key.replace(found.group(0), block + "{i}.", 1) if found else key
    index = found.group(1) if found else ""
    for source, target in table.items():
        param = pattern[len(source):] if source.endswith(".") and pattern.startswith(source) else None
        if pattern == source or param in ("weight", "bias"):
            return (target + (param or "")).replace("{i}", index)
    return None


class MLMHead(nn.Module):
    """BERT's masked-token head: dense + GELU + LayerNorm, then a decoder that shares the word embeddings."""

    def __init__(self, n_embd: int, word_embeddings: nn.Embedding, norm: NormPlace = "post") -> None:
        super().__init__()
        self.dense = nn.Linear(n_embd, n_embd)
        self.act = nn.GELU()
        self.norm = layer_norm(norm, n_embd, BERT_EPS)
        vocab_size = word_embeddings.num_embeddings
        self.decoder = nn.Linear(n_embd, vocab_size, bias=False)
        self.decoder.weight = word_embeddings.weight  # tied: reading a token out uses the same vector as putting it in
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, h: Tensor) -> Tensor:
        # (B, T, C) -> (B, T, V)
        return self.decoder(self.norm(self.act(self.dense(h)))) + self.bias


class Pooler(nn.Module):
    """BERT's pooler: the [CLS] vector (position 0) through dense + tanh."""

    def __init__(self, n_embd: int) -> None:
        super().__init__()
        self.dense = nn.Linear(n_embd, n_embd)

    def forward(self, h: Tensor) -> Tensor:
        return torch.tanh(self.dense(h[:, 0]))  # (B, T, C) -> (B, C)


class Encoder(PlaygroundModel):
    """BERT-like encoder for the tasks mlm, tagging (logits (B, T, n_classes)) and classify ((B, n_classes)).

    vocab_size / n_positions override info.vocab_size / spec.block_size (a pretrained BERT brings its own).
    """

    def __init__(
        self, spec: ModelSpec, info: DataInfo, *, vocab_size: int | None = None, n_positions: int | None = None
    ) -> None:
        super().__init__(spec, info)
        if info.task not in ("mlm", "tagging", "classify"):
            raise ValueError(f"an encoder learns mlm, tagging or classify, not '{info.task}': use the decoder for lm")
        C = spec.n_embd
        self.vocab_size = vocab_size or info.vocab_size
        self.n_positions = n_positions or spec.block_size
        self.tok_emb = nn.Embedding(self.vocab_size, C)
        self.pos_emb = make_positions(spec.pos_encoding, self.n_positions, C)
        self.type_emb = nn.Embedding(TOKEN_TYPES, C)
        self.emb_norm = layer_norm(spec.norm, C, BERT_EPS)
        self.emb_drop = nn.Dropout(spec.dropout)
        # BERT layer: post-LN, every token sees every (real) token, exact GELU (unless an ablation says otherwise)
        self.blocks = nn.ModuleList(
            Block(spec, gelu="none", eps=BERT_EPS, max_len=self.n_positions) for _ in range(spec.n_layer)
        )
        self.norm_f = final_layer_norm(spec.norm, C, BERT_EPS)  # only an ablated pre-LN BERT has one
        if info.task == "mlm":
            if info.n_classes not in (0, self.vocab_size):
                raise ValueError(f"mlm predicts tokens: n_classes must be the vocabulary size {self.vocab_size}")
            self.mlm_head = MLMHead(C, self.tok_emb, spec.norm)
        else:
            if info.n_classes < 1:
                raise ValueError(f"the dataset '{info.name}' names no output classes (n_classes is 0)")
            if info.task == "classify":
                self.pooler = Pooler(C)
            self.head_drop = nn.Dropout(spec.dropout)
            self.classifier = nn.Linear(C, info.n_classes)
        self.init_weights()

    def embed(self, x: Tensor, mask: Tensor | None) -> Tensor:
        self.check_tokens(x, mask, self.n_positions)
        h = positions_added(self.tok_emb(x), self.pos_emb)  # (B, T, C)
        h = h + self.type_emb.weight[0]  # every token is segment A (token_type_id 0)
        return self.emb_drop(self.emb_norm(h))

    def head(self, h: Tensor) -> Tensor:
        if self.info.task == "mlm":
            return self.mlm_head(h)  # (B, T, V)
        if self.info.task == "tagging":
            return self.classifier(self.head_drop(h))  # (B, T, n_classes)
        return self.classifier(self.head_drop(self.pooler(h)))  # (B, n_classes) from [CLS]

    def embedding_parameters(self) -> list[nn.Parameter]:
        return [p for m in (self.tok_emb, self.pos_emb, self.type_emb, self.emb_norm) for p in m.parameters()]
