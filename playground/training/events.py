"""What a TrainingSession reports. Plain numbers and numpy arrays only: no tensors cross to the window."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from playground.training.changes import SettingChange

if TYPE_CHECKING:
    from playground.analysis.roles import Layout


@dataclass(frozen=True)
class MetricsEvent:
    """One optimizer step. `val_*` are set on the steps that ran an evaluation."""

    step: int
    max_steps: int
    train_loss: float
    lr: float
    throughput: float  # tokens (or images) per second over the recent steps
    unit: str
    elapsed_s: float
    eta_s: float
    val_loss: float | None = None
    val_accuracy: float | None = None  # token accuracy for lm/mlm/tagging, example accuracy for classify
    train_accuracy: float | None = None
    confusion: np.ndarray | None = None  # (n_classes, n_classes) counts on validation, classify only


@dataclass(frozen=True)
class AttentionSnapshot:
    """Every layer's attention for one input: weights (layers, heads, T, T), rows sum to 1."""

    step: int
    weights: np.ndarray
    labels: list[str]
    image: np.ndarray | None = None  # (H, W) or (H, W, C) in [0, 1] for the ViT probe
    prediction: str = ""
    tokens: int | None = None  # the input's tokens are the first `tokens` positions, padding the rest (None: none)

    @cached_property
    def causal(self) -> bool:
        """Whether no query may look at a later key (a decoder's mask), as the weights show it: worked out once per
        snapshot for the views that ask (the grid, the enlarged head and its output line each did)."""
        from playground.analysis.roles import is_causal

        return is_causal(self.weights)

    @cached_property
    def places(self) -> np.ndarray | None:
        """An image's snapshot: each position's (row, column) among its patches, NaN for [CLS]
        (`analysis.roles.patch_places`); None for a text's."""
        from playground.analysis.roles import patch_places

        return None if self.image is None else patch_places(self.labels)

    @cached_property
    def layout(self) -> Layout | None:
        """An image's snapshot: where its patches lie (`analysis.roles.on_a_grid`), which the role measures look
        left, right and across by, worked out once for the table and its summary; None for a text's (in a line)."""
        from playground.analysis.roles import on_a_grid

        return None if self.places is None else on_a_grid(self.places)

    def tokens_only(self) -> AttentionSnapshot:
        """The attention between the input's tokens, without its padding: padding is hidden from every query, so its
        columns are empty and its rows mean nothing (QA: six of bert-pronoun's 24 rows were [PAD], and the sentence's
        own tokens lost their labels for the room)."""
        if self.tokens is None:
            return self
        n, padded = self.tokens, self.weights.shape[-1]
        # An output at each position (one character each) loses the padding's too (review)
        prediction = self.prediction[:n] if len(self.prediction) == padded else self.prediction
        return replace(self, weights=self.weights[:, :, :n, :n], labels=self.labels[:n], prediction=prediction,
                       tokens=None)


SAMPLE_TEMPERATURE = 0.8  # a little below the model's own odds: text that reads, with some variety


@dataclass(frozen=True)
class SampleEvent:
    step: int
    prompt: str
    text: str
    temperature: float = SAMPLE_TEMPERATURE


# A run's first status, where it trains: the window leaves it out where its device label says it already
TRAINING_ON = "Training on {device}"


@dataclass(frozen=True)
class StatusEvent:
    message: str
    level: Literal["info", "warning", "error"] = "info"
    step: int = 0


@dataclass(frozen=True)
class CheckpointEvent:
    step: int
    path: Path


@dataclass(frozen=True)
class FinishedEvent:
    step: int
    reason: Literal["completed", "diverged", "out_of_memory"]
    message: str = ""
    extra: dict[str, float] = field(default_factory=dict)


# A SettingChange (changes.py) is an event too: a setting changed between two steps.
Event = (MetricsEvent | AttentionSnapshot | SampleEvent | StatusEvent | CheckpointEvent | FinishedEvent
         | SettingChange)
