"""What every dataset gives the rest of the playground.

`DataInfo` is cheap and torch-free: the window and the estimates read it on every slider move.
A `Dataset` holds the tensors and is built only when training starts.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch

Task = Literal["lm", "mlm", "tagging", "classify"]
TASK_WORDS: dict[str, str] = {"lm": "predicting the next token", "mlm": "filling in masked tokens",
                              "tagging": "labelling each position", "classify": "naming each example's class"}
Split = Literal["train", "val"]
IGNORE_INDEX = -100  # targets the loss skips (prompt positions, unmasked tokens, padding)


class DataError(ValueError):
    """Data that cannot be used; `str()` is a message for the user with a fix where there is one."""


@dataclass(frozen=True)
class DataInfo:
    """What the model, the estimates and the window need to know about a dataset, without loading tensors.

    task: lm (next token, decoder), mlm (masked tokens, encoder), tagging (one label per input token,
    encoder on procedural tasks), classify (one label per sequence or image).
    """

    name: str
    title: str
    task: Task
    vocab_size: int = 0  # input token ids are in [0, vocab_size); 0 for images
    n_classes: int = 0  # output classes: vocab_size for lm/mlm/tagging, labels for classify
    class_names: tuple[str, ...] = ()
    unit: Literal["tokens", "images"] = "tokens"
    channels: int = 0  # images only
    image_size: int = 0  # images only: side in pixels after resizing to the model's image size
    pad_id: int | None = None
    n_train: int = 0  # examples (or characters for running text) in the training split
    n_val: int = 0
    samples_text: bool = False  # running text a decoder can continue (not procedural tasks)
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. "3 empty rows skipped"
    # The notes the user may want to act on (rows or images skipped, texts cut), also in `notes`: the window and
    # the command line say these, not facts such as "sequences are generated fresh".
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def has_accuracy(self) -> bool:
        """Whether the validation accuracy says how well the task is done: a label per example or token, or a
        procedural task's answer (a decoder's reversal: QA saw the command line say "acc 100%" and the window show
        none), not running text's next character."""
        return self.task in ("classify", "tagging") or (self.task == "lm" and not self.samples_text)


@dataclass
class Batch:
    """x: (B, T) token ids or (B, C, H, W) images; y: (B, T) or (B,) targets with IGNORE_INDEX;
    mask: (B, T) bool, True for real tokens, None when nothing is padded."""

    x: torch.Tensor
    y: torch.Tensor
    mask: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> Batch:
        mask = None if self.mask is None else self.mask.to(device, non_blocking=True)
        return Batch(self.x.to(device, non_blocking=True), self.y.to(device, non_blocking=True), mask)


def ids_fingerprint(tokens: Sequence[str], class_names: Sequence[str]) -> str:
    """A digest of what a model's input ids and output classes stand for. A checkpoint keeps it: the vocabulary and
    class names are worked out from the data again at every resume, sample and export, and a data file edited since
    (a character replaced, a label renamed) gave the same ids other meanings without a word (QA)."""
    text = json.dumps({"tokens": list(tokens), "classes": list(class_names)}, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Dataset(ABC):
    info: DataInfo
    drawn_split = False  # its validation rows are drawn from its examples by a seeded split (registry.SPLIT_VERSION)

    @abstractmethod
    def batch(self, split: Split, batch_size: int, generator: torch.Generator) -> Batch:
        """A random batch of `split`; the same generator state gives the same batch."""

    @abstractmethod
    def probe(self) -> Batch:
        """The fixed single example (B=1) whose attention the window shows while training."""

    def whole_validation(self, batch_size: int, most: int) -> list[Batch] | None:
        """Every validation example once, in batches of `batch_size`, where there are at most `most` of them; None
        where they are generated, or more than that."""
        return None

    def validation_batches(self, batch_size: int, count: int, seed: int) -> list[Batch]:
        """The batches a run is evaluated on, the same at every evaluation: every validation example once where there
        are at most `count` batches of them, else `count` random batches drawn with `seed`. Loss, accuracy and the
        confusion matrix all count these (QA: 4 validation images, drawn at random into batches, gave an accuracy
        curve at 22.7 % beside a confusion matrix of "1 of 4 right (25.0%)")."""
        import torch  # (this module is read without torch: the window's settings describe datasets before it loads)

        whole = self.whole_validation(batch_size, batch_size * count)
        if whole is not None:
            return whole
        generator = torch.Generator().manual_seed(seed)
        return [self.batch("val", batch_size, generator) for _ in range(count)]

    @abstractmethod
    def token_labels(self, x: torch.Tensor) -> list[str]:
        """Axis labels for one example's positions: characters, words, or 'CLS', 'r0c0', ... for patches."""

    def encode(self, text: str) -> list[int]:
        """User text to input ids (text datasets); raises DataError for images."""
        raise DataError(f"{self.info.title} takes images, not text")

    def input_length(self, text: str) -> int:
        """The positions `text` takes as a model input, uncut: `example` reads at most the model's context of them."""
        return len(self.encode(text))

    def decode(self, ids: list[int]) -> str:
        raise DataError(f"{self.info.title} has no text to decode")

    def token_names(self) -> tuple[str, ...]:
        """The tokens the model's input ids stand for, in id order (none for images and a pretrained tokenizer)."""
        return ()

    def fingerprint(self) -> str:
        """What the model's ids stand for, as `ids_fingerprint` digests it."""
        return ids_fingerprint(self.token_names(), self.info.class_names)

    def unknown_words(self, text: str) -> list[str]:
        """The words of `text` this dataset's vocabulary lacks, each once, in order: a model reads them as [UNK]."""
        return []

    def example(self, text: str) -> Batch:
        """A probe-like batch (B=1) built from user text or an image path, for the attention views."""
        raise DataError(f"{self.info.title} cannot build an example from {text!r}")
