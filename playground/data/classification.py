"""Sequence classification for the encoder, one label per row; the model classifies from position 0.

Word level (training from scratch): "[CLS] w1 w2 ... [PAD] ...".
Word pieces of a pretrained model (ModelSpec.pretrained): "[CLS] piece ##piece ... [SEP] [PAD] ...".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from playground.core.spec import ModelSpec
from playground.data.base import IGNORE_INDEX, Batch, DataError
from playground.data.indexed import IndexedDataset
from playground.data.registry import ClassifySource, Plan, stratified_split
from playground.data.vocab import CLS, PAD, VocabMethods
from playground.data.wordpiece import wordpiece


def classify_rows(labels: Sequence[int], n_val: int, held_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, validation rows): the last `held_out` rows when the dataset fixes them, else a seeded split with
    every class in the validation rows."""
    n = len(labels)
    if held_out:
        return np.arange(n - held_out), np.arange(n - held_out, n)
    return stratified_split(labels, n_val, seed)


class TextClassificationDataset(VocabMethods, IndexedDataset):
    def __init__(self, plan: Plan, texts: tuple[str, ...], labels: tuple[int, ...], model: ModelSpec, seed: int,
                 held_out: int = 0):
        assert plan.vocab is not None
        self.vocab = plan.vocab
        self.block_size = model.block_size
        x = torch.full((len(texts), self.block_size), self.vocab.id(PAD))
        for row, text in enumerate(texts):  # once at load time, never per batch
            ids = self._with_cls(text)
            x[row, : len(ids)] = torch.tensor(ids)
        mask = x != self.vocab.id(PAD)
        train_rows, val_rows = classify_rows(labels, plan.info.n_val, held_out, seed)
        super().__init__(plan.info, x, torch.tensor(labels), mask, train_rows, val_rows)
        self.drawn_split = not held_out  # (the pronoun task's validation sentences are its own)

    def _with_cls(self, text: str) -> list[int]:
        return [self.vocab.id(CLS)] + self.vocab.encode(text)[: self.block_size - 1]

    def input_length(self, text: str) -> int:
        return 1 + len(self.vocab.encode(text))  # [CLS] and the words

    def decode(self, ids: list[int]) -> str:
        return self.vocab.decode(i for i in ids if i != self.vocab.id(CLS))

    def example(self, text: str) -> Batch:
        """Typed text as one unpadded row; words outside the vocabulary become [UNK]; no label known."""
        if not self.vocab.split(text):
            raise DataError("type a sentence first")
        x = torch.tensor(self._with_cls(text))[None]
        return Batch(x, torch.tensor([IGNORE_INDEX]))


class WordPieceClassificationDataset(IndexedDataset):
    """Texts in a pretrained model's WordPiece ids, padded with [PAD] (mask False) to model.block_size."""

    def __init__(self, plan: Plan, source: ClassifySource, model: ModelSpec, seed: int):
        assert plan.tokenizer is not None
        self.tokenizer = wordpiece(plan.tokenizer)
        self.block_size = model.block_size
        x = torch.full((len(source.texts), self.block_size), self.tokenizer.pad_id)
        mask = torch.zeros(x.shape, dtype=torch.bool)
        for row, ids in enumerate(self.tokenizer.encode_many(source.texts, self.block_size)):
            x[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = True
        train_rows, val_rows = classify_rows(source.labels, plan.info.n_val, source.held_out, seed)
        super().__init__(plan.info, x, torch.tensor(source.labels), mask, train_rows, val_rows)

    def token_labels(self, x: torch.Tensor) -> list[str]:
        return self.tokenizer.labels(x.reshape(-1).tolist())

    def encode(self, text: str) -> list[int]:
        """'[CLS] pieces [SEP]', cut to the max sequence length."""
        return self.tokenizer.encode(text, self.block_size)

    def input_length(self, text: str) -> int:
        return len(self.tokenizer.encode(text))  # [CLS], the pieces and [SEP], uncut

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids)

    def example(self, text: str) -> Batch:
        """Typed text as one unpadded row of word pieces; no label known."""
        if not self.tokenizer.pieces(text):
            raise DataError("type a sentence first")
        return Batch(torch.tensor(self.encode(text))[None], torch.tensor([IGNORE_INDEX]))
