"""Running character-level text: next-character prediction (decoder) or masked characters (encoder)."""

from __future__ import annotations

import torch

from playground.core.spec import ModelSpec
from playground.data.base import IGNORE_INDEX, Batch, DataError, Dataset, Split
from playground.data.registry import Plan
from playground.data.vocab import MASK, VocabMethods

MASK_RATE = 0.15
PROBE_SEED = 0


class TextDataset(VocabMethods, Dataset):
    """The text is split in one place, not shuffled: random windows of a shuffled split would overlap
    the validation text, so the tail (last val_fraction) is validation for every seed."""

    def __init__(self, plan: Plan, text: str, model: ModelSpec):
        assert plan.vocab is not None
        self.info, self.vocab = plan.info, plan.vocab
        self.block_size = model.block_size
        ids = torch.from_numpy(plan.vocab.encode_array(text))
        self._splits = {"train": ids[: plan.info.n_train], "val": ids[plan.info.n_train :]}
        self._offsets = torch.arange(self.block_size)
        self._mask_id = self.vocab.index.get(MASK)
        self._probe_start = _line_start(text[plan.info.n_train :], self.block_size + 1)

    @property
    def masked(self) -> bool:
        return self.info.task == "mlm"

    def batch(self, split: Split, batch_size: int, generator: torch.Generator) -> Batch:
        src = self._splits[split]
        # lm needs one more character than the window for the last target.
        room = len(src) - self.block_size - (0 if self.masked else 1) + 1
        starts = torch.randint(room, (batch_size, 1), generator=generator)
        return self._window(src, starts + self._offsets, generator)

    def probe(self) -> Batch:
        rows = (self._probe_start + self._offsets)[None]
        return self._window(self._splits["val"], rows, torch.Generator().manual_seed(PROBE_SEED))

    def _window(self, src: torch.Tensor, idx: torch.Tensor, generator: torch.Generator) -> Batch:
        x = src[idx]
        if not self.masked:
            return Batch(x, src[idx + 1])
        return self._mask_tokens(x, generator)

    def _mask_tokens(self, x: torch.Tensor, generator: torch.Generator) -> Batch:
        # Always [MASK] (no BERT 80/10/10 mix): simpler to read in the attention views.
        chosen = torch.rand(x.shape, generator=generator) < MASK_RATE
        # At least one masked position per row, so no example contributes an empty loss.
        fallback = torch.randint(x.shape[1], (x.shape[0],), generator=generator)
        chosen[torch.arange(x.shape[0]), fallback] |= ~chosen.any(1)
        y = torch.where(chosen, x, IGNORE_INDEX)
        return Batch(torch.where(chosen, self._mask_id, x), y)

    def example(self, text: str) -> Batch:
        """The decoder sees the last block of the text; the encoder the first, with its own [MASK]s kept."""
        ids = self.encode(text)
        if not ids:
            raise DataError("type some text first")
        if not self.masked:
            x = torch.tensor(ids[-self.block_size :])[None]
            y = torch.full_like(x, IGNORE_INDEX)
            y[:, :-1] = x[:, 1:]
            return Batch(x, y)
        x = torch.tensor(ids[: self.block_size])[None]
        return Batch(x, torch.full_like(x, IGNORE_INDEX))


def _line_start(text: str, need: int) -> int:
    """The first start of a line that leaves `need` characters, so the probe reads as a real fragment."""
    limit = len(text) - need
    pos = text.find("\n", 0, max(limit, 0)) + 1
    while 0 < pos <= limit and not text[pos].strip():
        pos = text.find("\n", pos, limit) + 1
    return pos if 0 < pos <= limit else 0
