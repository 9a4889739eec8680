"""Word-level sequence classification for the encoder: "[CLS] w1 w2 ... [PAD] ...", one label per row.

The model classifies from position 0, the [CLS] token.
"""

from __future__ import annotations

import torch

from playground.core.spec import ModelSpec
from playground.data.base import IGNORE_INDEX, Batch, DataError
from playground.data.indexed import IndexedDataset
from playground.data.registry import Plan, split_indices
from playground.data.vocab import CLS, PAD, VocabMethods


class TextClassificationDataset(VocabMethods, IndexedDataset):
    def __init__(self, plan: Plan, texts: tuple[str, ...], labels: tuple[int, ...], model: ModelSpec, seed: int):
        assert plan.vocab is not None
        self.vocab = plan.vocab
        self.block_size = model.block_size
        x = torch.full((len(texts), self.block_size), self.vocab.id(PAD))
        for row, text in enumerate(texts):  # once at load time, never per batch
            ids = self._with_cls(text)
            x[row, : len(ids)] = torch.tensor(ids)
        mask = x != self.vocab.id(PAD)
        train_rows, val_rows = split_indices(len(texts), plan.info.n_val, seed)
        super().__init__(plan.info, x, torch.tensor(labels), mask, train_rows, val_rows)

    def _with_cls(self, text: str) -> list[int]:
        return [self.vocab.id(CLS)] + self.vocab.encode(text)[: self.block_size - 1]

    def decode(self, ids: list[int]) -> str:
        return self.vocab.decode(i for i in ids if i != self.vocab.id(CLS))

    def example(self, text: str) -> Batch:
        """Typed text as one unpadded row; words outside the vocabulary become [UNK]; no label known."""
        if not self.vocab.split(text):
            raise DataError("type a sentence first")
        x = torch.tensor(self._with_cls(text))[None]
        return Batch(x, torch.tensor([IGNORE_INDEX]))
