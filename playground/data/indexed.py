"""Datasets held as one tensor of examples plus a train/validation split of row indices."""

from __future__ import annotations

import numpy as np
import torch

from playground.data.base import Batch, DataInfo, Dataset, Split


class IndexedDataset(Dataset):
    """A batch is a random draw of rows from one split; the probe is the first validation row."""

    def __init__(self, info: DataInfo, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None,
                 train_rows: np.ndarray, val_rows: np.ndarray):
        self.info = info
        self._x, self._y, self._mask = x, y, mask
        self._rows = {"train": torch.as_tensor(train_rows, dtype=torch.long),
                      "val": torch.as_tensor(val_rows, dtype=torch.long)}

    def batch(self, split: Split, batch_size: int, generator: torch.Generator) -> Batch:
        rows = self._rows[split]
        return self._take(rows[torch.randint(len(rows), (batch_size,), generator=generator)])

    def probe(self) -> Batch:
        return self._take(self._rows["val"][:1])

    def whole_validation(self, batch_size: int, most: int) -> list[Batch] | None:
        rows = self._rows["val"]
        if len(rows) > most:
            return None
        return [self._take(rows[start:start + batch_size]) for start in range(0, len(rows), batch_size)]

    def _take(self, rows: torch.Tensor) -> Batch:
        return Batch(self._x[rows], self._y[rows], None if self._mask is None else self._mask[rows])
