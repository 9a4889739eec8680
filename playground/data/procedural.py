"""Generated symbol-sequence tasks (copy, reverse, sort, shift) whose attention patterns are easy to read.

Decoder: one row is "prompt [SEP] answer", padded to the context; only the answer is scored.
Encoder: one row is the prompt, and each position is tagged with the answer's symbol there.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from playground.core.spec import ModelSpec
from playground.data.base import IGNORE_INDEX, Batch, DataError, Dataset, Split
from playground.data.registry import PROCEDURAL_VAL_SIZE, VAL_PURPOSE, Plan, derived_seed
from playground.data.vocab import PAD, SEP, VocabMethods

TRANSFORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "copy": lambda s: s.clone(),
    "reverse": lambda s: s.flip(1),
    "sort": lambda s: s.sort(1).values,
    "shift": lambda s: s.roll(-1, 1),
}
PROBE_SEED = 0


class ProceduralDataset(VocabMethods, Dataset):
    def __init__(self, plan: Plan, model: ModelSpec, seed: int):
        assert plan.vocab is not None
        self.info, self.vocab = plan.info, plan.vocab
        self.block_size = model.block_size
        self.length = int(plan.options["length"])
        self.n_symbols = int(plan.options["n_symbols"])
        self.task = plan.entry.key
        self._transform = TRANSFORMS[self.task]
        self._decoder = model.family == "decoder"
        self._first_symbol = len(self.vocab.specials)
        # A fixed validation set from its own seed. Training draws fresh random sequences, so a
        # validation sequence may also turn up in training, rarely (n_symbols**length possibilities).
        val_gen = torch.Generator().manual_seed(derived_seed(seed, VAL_PURPOSE))
        self._val = self._layout(self._random_prompts(PROCEDURAL_VAL_SIZE, val_gen))

    def _random_prompts(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randint(self.n_symbols, (n, self.length), generator=generator) + self._first_symbol

    def _layout(self, prompt: torch.Tensor) -> Batch:
        """Prompts (n, L) of symbol ids to padded (n, block_size) rows with targets and padding mask."""
        n, L = prompt.shape
        answer = self._transform(prompt)
        x = torch.full((n, self.block_size), self.vocab.id(PAD))
        y = torch.full_like(x, IGNORE_INDEX)
        x[:, :L] = prompt
        if self._decoder:
            x[:, L] = self.vocab.id(SEP)
            x[:, L + 1 : 2 * L + 1] = answer
            y[:, L : 2 * L] = answer  # position t predicts token t+1: from [SEP] on, the answer
            used = 2 * L + 1
        else:
            y[:, :L] = answer
            used = L
        mask = None if used == self.block_size else (torch.arange(self.block_size) < used).expand(n, -1).clone()
        return Batch(x, y, mask)

    def batch(self, split: Split, batch_size: int, generator: torch.Generator) -> Batch:
        if split == "train":
            return self._layout(self._random_prompts(batch_size, generator))
        rows = torch.randint(PROCEDURAL_VAL_SIZE, (batch_size,), generator=generator)
        mask = None if self._val.mask is None else self._val.mask[rows]
        return Batch(self._val.x[rows], self._val.y[rows], mask)

    def probe(self) -> Batch:
        """0 1 2 3 ... (or a fixed shuffle for sort, where sorted input would make the task trivial)."""
        if self.task == "sort":
            return self._layout(self._random_prompts(1, torch.Generator().manual_seed(PROBE_SEED)))
        symbols = torch.arange(self.length) % self.n_symbols + self._first_symbol
        return self._layout(symbols[None])

    def encode(self, text: str) -> list[int]:
        return self.vocab.encode("".join(text.split()))  # "3 1 4" and "314" are the same prompt

    def example(self, text: str) -> Batch:
        """A typed prompt such as "3 1 4 1 5", laid out with its correct answer."""
        longest = (self.block_size - 1) // 2 if self._decoder else self.block_size
        symbols = self.vocab.decode(range(self._first_symbol, len(self.vocab)))
        hint = f"type 1 to {longest} of the symbols {symbols}, e.g. '{symbols[:5]}'"
        try:
            ids = self.encode(text)
        except DataError as err:
            raise DataError(f"{err}; {hint}") from None
        if not ids or len(ids) > longest or min(ids) < self._first_symbol:
            raise DataError(hint)
        return self._layout(torch.tensor(ids)[None])
