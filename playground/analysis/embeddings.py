"""2-D PCA of the token embeddings and of the positional encodings (numpy SVD).

Tokens that the model treats alike end up close together; learned positions usually trace a curve
(neighbouring positions alike), sinusoidal ones a smooth spiral.

A pretrained vocabulary (30,522 word pieces) is projected as the pieces its task's text uses, and of a pretrained
position table (512 rows) the positions the model reads: thirty thousand points are an unlabelled blob.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from playground.data.registry import patch_names

LARGE_VOCAB = 1000  # above this many tokens, only those the task's text uses are projected
TASK_TOKENS = 60  # at most this many of them, the most frequent: more labels than this overlap in the window


@dataclass(frozen=True)
class Projection:
    """points (N, 2) on the first two principal components, one label per point."""

    points: np.ndarray
    labels: list[str]
    explained: tuple[float, float]  # fraction of the variance along each component
    title: str = ""


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """(N, D) -> ((N, 2) coordinates, explained variance ratios). Signs are fixed (the largest |coordinate|
    of each component is positive) so the picture does not flip between two refreshes."""
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"expected vectors of shape (N, D), got {x.shape}")
    x = x - x.mean(axis=0, keepdims=True)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    points = np.zeros((x.shape[0], 2))
    k = min(2, s.shape[0])
    points[:, :k] = u[:, :k] * s[:k]
    for c in range(k):
        if points[np.argmax(np.abs(points[:, c])), c] < 0:
            points[:, c] *= -1
    total = float((s**2).sum())
    ratios = [(float(s[c] ** 2) / total if total > 0 and c < k else 0.0) for c in range(2)]
    return points, (ratios[0], ratios[1])


def _model(source: Any) -> torch.nn.Module:
    model = getattr(source, "model", source)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"expected a TrainingSession or a playground model, got {type(source).__name__}")
    return model


@torch.no_grad()
def token_embedding_projection(source: Any, labels: list[str] | None = None, inputs: Sequence[int] = ()) -> Projection:
    """The rows of the token embedding table, projected: all of them, or for a session whose vocabulary has more
    than LARGE_VOCAB tokens, those of `inputs` (an input's ids) and `task_token_ids`. Labels: the session's
    vocabulary or token ids."""
    model = _model(source)
    table = getattr(model, "tok_emb", None)
    if table is None:
        raise ValueError("this model has no token embedding table (a ViT embeds image patches, not tokens)")
    vectors = table.weight.detach().float().cpu().numpy()
    dataset = getattr(source, "dataset", None)
    title = "Token embeddings (PCA)"
    rows = np.arange(vectors.shape[0])
    if dataset is not None and vectors.shape[0] > LARGE_VOCAB:
        task = task_token_ids(dataset)
        rows = np.array(list(dict.fromkeys([*inputs, *task])), dtype=np.int64)
        which = "this input's tokens and the" if len(rows) > len(task) else "the"
        title += f": {which} {len(task)} tokens the task uses most, of {vectors.shape[0]:,}"
    if labels is None:
        try:
            labels = dataset.token_labels(torch.as_tensor(rows)) if dataset is not None else None
        except Exception:  # noqa: BLE001 - labels are a nicety: fall back to ids
            labels = None
    labels = list(labels) if labels is not None else [str(i) for i in rows]
    points, explained = pca_2d(vectors[rows])
    return Projection(points, labels, explained, title)


def task_token_ids(dataset: Any, limit: int = TASK_TOKENS, rows: int = 512) -> list[int]:
    """The `limit` token ids most frequent in `rows` training examples (padding left out), most frequent first."""
    batch = dataset.batch("train", rows, torch.Generator().manual_seed(0))
    ids = batch.x[batch.mask] if batch.mask is not None else batch.x.reshape(-1)
    return [i for i, _ in Counter(ids.tolist()).most_common(limit)]


@torch.no_grad()
def position_projection(source: Any) -> Projection:
    """The encoding (learned or sinusoidal) of every position the model reads, projected; labels are the positions."""
    model = _model(source)
    positions = getattr(model, "pos_emb", None)
    if positions is None:
        raise ValueError("this model has no positional encoding table")
    table = positions.weight if hasattr(positions, "weight") else positions.table
    vectors = table.detach().float().cpu().numpy()
    spec = getattr(source, "spec", None)
    used = min(vectors.shape[0], spec.model.seq_len) if spec is not None else vectors.shape[0]
    points, explained = pca_2d(vectors[:used])
    kind = "learned" if hasattr(positions, "weight") else "sinusoidal"
    of = f", the {used} this model reads of {vectors.shape[0]}" if used < vectors.shape[0] else ""
    # A ViT's position 0 is its [CLS] token (QA: "0" read as a patch), the others its patches, named as the attention
    # views name them (QA: dots 2, 4, … beside heatmaps of r0c0 … r3c3)
    if spec is not None and spec.model.family == "vit":
        labels = ["[CLS]", *patch_names(spec.model.image_size, spec.model.patch_size)][:used]
    else:
        labels = [str(i) for i in range(used)]
    return Projection(points, labels, explained, f"Positional encodings, {kind} (PCA){of}")
