"""Token vocabularies (characters or words) shared by every text-like dataset. Torch-free."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from playground.data.base import DataError

if TYPE_CHECKING:
    import torch

PAD, MASK, CLS, SEP, UNK = "[PAD]", "[MASK]", "[CLS]", "[SEP]", "[UNK]"
# How invisible characters appear on attention-map axes.
_DISPLAY = {" ": "␣", "\n": "⏎", "\t": "⇥", "\r": "␍"}
_WORD = r"[\w']+|[^\w\s]"
# What a character outside the vocabulary is read as by the tokenizers exported for other programs: the first
# of these the vocabulary has ([UNK] in word vocabularies, a space in running text, [PAD] in symbol tasks).
UNKNOWN_STAND_INS = (UNK, " ", PAD)


class Vocab:
    """Special tokens first (so their ids are small and fixed), then the ordinary tokens."""

    def __init__(self, tokens: Iterable[str], specials: Sequence[str] = (), level: Literal["char", "word"] = "char"):
        self.level = level
        self.specials = tuple(specials)
        self.tokens = self.specials + tuple(tokens)
        self.index = {tok: i for i, tok in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            raise ValueError("vocabulary tokens must be unique")
        # Users may type special tokens literally, e.g. "the c[MASK]t sat" for the masked model.
        escaped = "|".join(re.escape(s) for s in self.specials)
        self._pieces = re.compile(f"({escaped})" if escaped else "(?!)")
        self._words = re.compile(f"{escaped}|{_WORD}" if escaped else _WORD)

    def __len__(self) -> int:
        return len(self.tokens)

    def id(self, token: str) -> int:
        return self.index[token]

    @property
    def unknown(self) -> str | None:
        """The token an exported tokenizer reads an unknown token as (UNKNOWN_STAND_INS), None if it has none.

        The playground itself refuses unknown characters (encode), so a student sees them named; a
        tokenizer in someone else's pipeline has no one to ask, and a model's vocabulary cannot grow a
        row after training.
        """
        return next((t for t in UNKNOWN_STAND_INS if t in self.index), None)

    def split(self, text: str) -> list[str]:
        """Text to token strings, without looking them up."""
        if self.level == "word":
            return [w if w in self.specials else w.lower() for w in self._words.findall(text)]
        pieces: list[str] = []
        for part in self._pieces.split(text):
            pieces.extend([part] if part in self.specials else part)
        return pieces

    def encode(self, text: str) -> list[int]:
        """Unknown tokens become [UNK] where the vocabulary has one, else a DataError names them."""
        pieces = self.split(text)
        unknown = sorted({p for p in pieces if p not in self.index})
        if unknown and UNK in self.index:
            unk = self.index[UNK]
            return [self.index.get(p, unk) for p in pieces]
        if unknown:
            shown = ", ".join(repr(p) for p in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
            raise DataError(f"not in this dataset's vocabulary: {shown}: leave those out or train on text that has them")
        return [self.index[p] for p in pieces]

    def encode_array(self, text: str) -> np.ndarray:
        """Fast whole-corpus encoding for character vocabularies whose every character is known."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        plain = [t for t in self.tokens if t not in self.specials]
        table = np.array([ord(t) for t in plain], dtype=np.uint32)
        order = np.argsort(table)
        pos = np.searchsorted(table[order], codes)
        return (order[pos] + len(self.specials)).astype(np.int64)

    def decode(self, ids: Iterable[int]) -> str:
        pad = self.index.get(PAD)
        toks = [self.tokens[i] for i in ids if i != pad]
        return (" " if self.level == "word" else "").join(toks)

    def label(self, token_id: int) -> str:
        tok = self.tokens[token_id]
        return _DISPLAY.get(tok, tok)

    def labels(self, ids: Iterable[int]) -> list[str]:
        return [self.label(i) for i in ids]


def word_tokens(text: str) -> list[str]:
    """The word-level tokenisation used to build word vocabularies (lower-case words and punctuation)."""
    return re.findall(_WORD, text.lower())


class VocabMethods:
    """The token-side Dataset methods of every vocabulary-based dataset (mixed in before Dataset)."""

    vocab: Vocab

    def token_labels(self, x: torch.Tensor) -> list[str]:
        return self.vocab.labels(x.reshape(-1).tolist())

    def encode(self, text: str) -> list[int]:
        return self.vocab.encode(text)

    def decode(self, ids: list[int]) -> str:
        return self.vocab.decode(ids)

    def token_names(self) -> tuple[str, ...]:
        """The vocabulary's tokens, specials first: what each input id stands for."""
        return self.vocab.tokens

    def unknown_words(self, text: str) -> list[str]:
        """The words (or characters) of `text` the vocabulary lacks, each once, in order."""
        return list(dict.fromkeys(p for p in self.vocab.split(text) if p not in self.vocab.index))
