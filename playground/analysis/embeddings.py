"""2-D PCA of the token embeddings and of the positional encodings (numpy SVD).

Tokens that the model treats alike end up close together; learned positions usually trace a curve
(neighbouring positions alike), sinusoidal ones a smooth spiral.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


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
def token_embedding_projection(source: Any, labels: list[str] | None = None) -> Projection:
    """The rows of the token embedding table, projected. Labels: the session's vocabulary or token ids."""
    model = _model(source)
    table = getattr(model, "tok_emb", None)
    if table is None:
        raise ValueError("this model has no token embedding table (a ViT embeds image patches, not tokens)")
    vectors = table.weight.detach().float().cpu().numpy()
    if labels is None:
        dataset = getattr(source, "dataset", None)
        try:
            labels = dataset.token_labels(torch.arange(vectors.shape[0])) if dataset is not None else None
        except Exception:  # noqa: BLE001 - labels are a nicety: fall back to ids
            labels = None
    labels = list(labels) if labels is not None else [str(i) for i in range(vectors.shape[0])]
    points, explained = pca_2d(vectors)
    return Projection(points, labels, explained, "Token embeddings (PCA)")


@torch.no_grad()
def position_projection(source: Any) -> Projection:
    """Every position's encoding (learned or sinusoidal), projected; labels are the positions."""
    model = _model(source)
    positions = getattr(model, "pos_emb", None)
    if positions is None:
        raise ValueError("this model has no positional encoding table")
    table = positions.weight if hasattr(positions, "weight") else positions.table
    vectors = table.detach().float().cpu().numpy()
    points, explained = pca_2d(vectors)
    kind = "learned" if hasattr(positions, "weight") else "sinusoidal"
    return Projection(points, [str(i) for i in range(vectors.shape[0])], explained,
                      f"Positional encodings, {kind} (PCA)")
