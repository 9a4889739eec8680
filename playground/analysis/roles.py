"""What each head does, measured on its attention weights (numpy only).

Input: weights (T, T) for one head, or (L, H, T, T) for a whole snapshot; row i = query i, column j =
key j, rows sum to 1. All measures average over the *valid* query rows (see `allowed_keys`).

    entropy    mean over rows of -sum_j w_ij ln w_ij. Normalised (the default) by ln(number of keys the
               row may look at), so 1 = spread evenly over every allowed key, 0 = all on one key; rows
               that may look at a single key (the first token under a causal mask) are left out, their
               entropy is 0 by force. normalise=False gives nats, averaged over all valid rows.
    distance   mean over rows of sum_j w_ij |i - j|: how far (in tokens) a head looks on average
    previous   mean over rows i >= 1 of w_{i, i-1}: 1 for a perfect previous-token head
    next       mean over rows i < T-1 of w_{i, i+1}: 1 for a head that reads its right neighbour (an
               encoder; always 0 under a causal mask)
    first      mean over rows of w_{i, 0}: 1 for a head parked on the first token ([CLS] or BOS)
    self       mean over rows of w_{i, i}: 1 for a head that looks at itself (the diagonal)

A ViT's positions are an image's patches (and its [CLS]), whose neighbours lie in two dimensions: given their
places (`patch_places`), distance is measured in patches across the image (ViT's "mean attention distance", over
the patches' rows, [CLS] at no distance), previous is the patch on the left and next the patch on the right, in the
same row of the image (in reading order the patch "before" the first of a row is the last of the row above).

Masks are not stored with a snapshot. `infer_mask` recovers them from their shape: softmax gives a hidden
key exactly 0, so padding is the trailing positions that no query of any head of any layer looks at (its
rows are left out), and a decoder's causal mask leaves every key after its query at exactly 0 in every
head. Exact zeros elsewhere are a saturated softmax's, not a mask's (an unscaled head's one-hot rows once
made a token nobody looked at read as padding, and its row was left out). `role_table` and `changed_most`
infer the mask by default; `head_roles` measures every row over every key unless given `allowed` /
`queries` (hand-made matrices have exact zeros anywhere).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MEASURES = ("entropy", "distance", "previous", "next", "first", "self")
MEASURE_TITLES = {
    "entropy": "entropy",
    "distance": "mean distance",
    "previous": "previous token",
    "next": "next token",
    "first": "first token",
    "self": "self (diagonal)",
}
MEASURE_TIPS = {
    "entropy": "how spread out the attention is: 1 = evenly over all allowed keys, 0 = on a single key",
    "distance": "how many tokens away the head looks, on average",
    "previous": "how much each token attends to the token just before it (1 = a perfect previous-token head)",
    "next": "how much each token attends to the token just after it (an encoder can look ahead)",
    "first": "how much attention goes to the first token ([CLS] or the start): often a 'no-op' resting place",
    "self": "how much each token attends to itself",
}
# ... where the positions are an image's patches
PATCH_TITLES = {**MEASURE_TITLES, "previous": "left patch", "next": "right patch"}
PATCH_TIPS = {
    **MEASURE_TIPS,
    "distance": "how many patches away in the image a patch looks, on average ([CLS] counted at no distance)",
    "previous": "how much each patch attends to the patch on its left (1 = a head that reads its left neighbour)",
    "next": "how much each patch attends to the patch on its right",
    "first": "how much attention goes to [CLS], the first position: often a 'no-op' resting place",
    "self": "how much each patch attends to itself",
}
PATCH_LABEL = re.compile(r"r(\d+)c(\d+)")  # registry.patch_names: 'r0c1' is row 0, column 1


def measure_words(patches: bool) -> tuple[dict[str, str], dict[str, str]]:
    """(titles, tips) of the measures, for an image's patches or a text's tokens."""
    return (PATCH_TITLES, PATCH_TIPS) if patches else (MEASURE_TITLES, MEASURE_TIPS)


def patch_places(labels: Sequence[str]) -> np.ndarray:
    """(T, 2) each position's (row, column) in the image, for a ViT's labels ('CLS', 'r0c0', 'r0c1', …: the
    registry's `patch_names`); NaN for a label that names no patch (the class token's)."""
    found = [PATCH_LABEL.fullmatch(label) for label in labels]
    return np.array([(int(m[1]), int(m[2])) if m else (np.nan, np.nan) for m in found], dtype=np.float64)


def _as_4d(weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 2:
        return w[None, None]
    if w.ndim == 3:
        return w[None]
    if w.ndim == 4:
        return w
    raise ValueError(f"expected attention weights (T, T), (H, T, T) or (L, H, T, T), got shape {w.shape}")


def _seen(weights: np.ndarray) -> np.ndarray:
    """(T, T) bool: the keys some head of some layer gives each query a weight above 0."""
    return (_as_4d(weights) > 0).any(axis=(0, 1))


def _queries(seen: np.ndarray) -> np.ndarray:
    """(T,) bool: all but the trailing positions no query looks at (all of them where none is looked at)."""
    looked_at = seen.any(axis=0)
    tokens = len(looked_at) - int(np.argmax(looked_at[::-1])) if looked_at.any() else len(looked_at)
    return np.arange(len(looked_at)) < tokens


def _allowed(seen: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """(T, T) bool: the padding left out, and under a causal mask (every key after its query at exactly 0 in every
    head) no key after the query."""
    allowed = np.outer(queries, queries)
    # (a snapshot with nothing seen, a diverged run's zeros or NaNs, has no causal mask to tell: review)
    if queries.sum() > 1 and seen.any() and not np.triu(seen & allowed, k=1).any():
        allowed &= np.tril(np.ones_like(allowed))
    return allowed


def valid_queries(weights: np.ndarray) -> np.ndarray:
    """(T,) bool: the query rows to measure, all but the trailing padding that no head of any layer looks at
    (all of them where no key is looked at: nothing to tell)."""
    return _queries(_seen(weights))


def allowed_keys(weights: np.ndarray) -> np.ndarray:
    """(T, T) bool: the keys each query may look at, the padding left out, and under a causal mask (every key after
    its query at exactly 0 in every head) none after the query."""
    return infer_mask(weights)[0]


def infer_mask(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(allowed (T, T), queries (T,)) recovered from a real snapshot's shape (see the module doc)."""
    seen = _seen(weights)
    queries = _queries(seen)
    return _allowed(seen, queries), queries


def is_causal(weights: np.ndarray) -> bool:
    """Whether no query of the snapshot may look at a later key (a decoder's mask)."""
    return causal_mask(allowed_keys(weights))


def causal_mask(allowed: np.ndarray) -> bool:
    """Whether an (`infer_mask`) mask lets no query look at a later key."""
    return allowed.shape[0] > 1 and not np.triu(allowed, k=1).any()


@dataclass(frozen=True)
class Layout:
    """Where the positions lie: how far apart each two are, the rows whose distance counts, and each one's
    neighbour before and after it (-1: none)."""

    distance: np.ndarray  # (T, T)
    measured: np.ndarray  # (T,) bool
    before: np.ndarray  # (T,) int
    after: np.ndarray  # (T,) int


def in_a_line(T: int) -> Layout:
    """A text's tokens: i and j are |i - j| apart, i's neighbours i - 1 and i + 1."""
    idx = np.arange(T)
    return Layout(np.abs(idx[:, None] - idx[None, :]).astype(np.float64), np.ones(T, dtype=bool),
                  np.where(idx > 0, idx - 1, -1), np.where(idx < T - 1, idx + 1, -1))


def on_a_grid(places: np.ndarray) -> Layout:
    """An image's patches at `places` ((T, 2) rows and columns, NaN for [CLS]): apart by the straight line between
    them in patches, neighbours left and right in the same row."""
    patch = ~np.isnan(places).any(axis=1)
    apart = np.sqrt(((places[:, None, :] - places[None, :, :]) ** 2).sum(axis=-1))  # (T, T), NaN beside [CLS]
    where = {(int(r), int(c)): i for i, (r, c) in enumerate(places) if patch[i]}

    def beside(step: int) -> np.ndarray:
        return np.array([where.get((int(r), int(c) + step), -1) if patch[i] else -1
                         for i, (r, c) in enumerate(places)])

    return Layout(np.nan_to_num(apart, nan=0.0), patch, beside(-1), beside(+1))


@dataclass(frozen=True)
class HeadRoles:
    entropy: float
    distance: float
    previous: float
    next: float
    first: float
    self: float

    def as_dict(self) -> dict[str, float]:
        return {m: getattr(self, m) for m in MEASURES}


def head_roles(weights: np.ndarray, allowed: np.ndarray | None = None, queries: np.ndarray | None = None,
               normalise: bool = True, layout: Layout | None = None) -> HeadRoles:
    """The role measures of one head's (T, T) weights.

    allowed: (T, T) bool, the keys each query may see (default: all); queries: (T,) bool, the rows to
    average over (default: all). Pass `*infer_mask(snapshot_weights)` for a real model's snapshot. layout: where
    the positions lie (default: a text's, `in_a_line`; an image's patches: `on_a_grid`).
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"one head's weights are a square (T, T) matrix, got shape {w.shape}")
    T = w.shape[0]
    allowed = np.ones((T, T), dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    rows = np.ones(T, dtype=bool) if queries is None else np.asarray(queries, dtype=bool)
    if not rows.any():
        return HeadRoles(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    layout = layout or in_a_line(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(w > 0, w * np.log(np.where(w > 0, w, 1.0)), 0.0)
    row_entropy = -plogp.sum(axis=1)  # (T,)
    n_allowed = allowed.sum(axis=1)
    if normalise:
        spread = rows & (n_allowed > 1)
        entropy = float(np.mean(row_entropy[spread] / np.log(n_allowed[spread]))) if spread.any() else 0.0
    else:
        entropy = float(row_entropy[rows].mean())
    far = rows & layout.measured
    distance = float((w * layout.distance).sum(axis=1)[far].mean()) if far.any() else 0.0
    first = float(w[rows, 0].mean())
    diagonal = float(np.diagonal(w)[rows].mean())
    return HeadRoles(entropy, distance, _on_neighbour(w, rows, layout.before), _on_neighbour(w, rows, layout.after),
                     first, diagonal)


def _on_neighbour(w: np.ndarray, rows: np.ndarray, neighbour: np.ndarray) -> float:
    """The mean weight each of `rows` that has a `neighbour` (-1: none) gives it."""
    has = rows & (neighbour >= 0)
    return float(w[np.flatnonzero(has), neighbour[has]].mean()) if has.any() else 0.0


@dataclass(frozen=True)
class RoleRow:
    layer: int
    head: int
    roles: HeadRoles

    def as_dict(self) -> dict[str, float | int]:
        return {"layer": self.layer, "head": self.head, **self.roles.as_dict()}


def role_table(weights: np.ndarray, infer: bool = True, normalise: bool = True,
               layout: Layout | None = None) -> list[RoleRow]:
    """One row per (layer, head) of an (L, H, T, T) snapshot, in layer-then-head order.

    infer: recover the causal / padding mask from the snapshot (`infer_mask`); False measures every row
    over every key. layout: where the positions lie (default: a text's; a ViT's snapshot: its `layout`)."""
    w = _as_4d(weights)
    allowed, queries = infer_mask(w) if infer else (None, None)
    return [
        RoleRow(layer, head, head_roles(w[layer, head], allowed, queries, normalise, layout))
        for layer in range(w.shape[0])
        for head in range(w.shape[1])
    ]


def sort_table(rows: list[RoleRow], by: str, descending: bool = True) -> list[RoleRow]:
    """The table sorted by a measure (or 'layer' / 'head')."""
    if by in ("layer", "head"):
        return sorted(rows, key=lambda r: (getattr(r, by), r.layer, r.head), reverse=descending)
    if by not in MEASURES:
        raise ValueError(f"sort by one of layer, head, {', '.join(MEASURES)}; not {by!r}")
    return sorted(rows, key=lambda r: getattr(r.roles, by), reverse=descending)


@dataclass(frozen=True)
class HeadChange:
    """How much one head's attention moved between two snapshots of the same input."""

    layer: int
    head: int
    change: float  # mean over query rows of the total variation 0.5 * sum_j |w_after - w_before|, in [0, 1]
    before: HeadRoles
    after: HeadRoles

    def delta(self, measure: str) -> float:
        return getattr(self.after, measure) - getattr(self.before, measure)


def changed_most(before: np.ndarray, after: np.ndarray, top: int | None = None,
                 query: int | None = None) -> list[HeadChange]:
    """Heads sorted by how much their attention changed (e.g. a BERT before and after fine-tuning).

    Both are (L, H, T, T) weights of the same model shape on the same input. The change of a head is the
    mean over valid query rows of the total-variation distance between its old and new rows: 0 when
    nothing moved, 1 when every row moved all its weight to other keys. Given a `query` position, that row's
    alone (the word a view follows: a head's rows can move much while that one stays as it was).
    """
    a, b = _as_4d(before), _as_4d(after)
    if a.shape != b.shape:
        raise ValueError(f"the snapshots differ in shape {a.shape} vs {b.shape}: compare the same model and input")
    allowed, valid = infer_mask(np.concatenate([a, b]))
    if query is not None and not 0 <= query < valid.shape[0]:
        raise ValueError(f"query {query} is not one of the input's {valid.shape[0]} positions")
    rows = valid if query is None else np.arange(valid.shape[0]) == query
    changes = []
    for layer in range(a.shape[0]):
        for head in range(a.shape[1]):
            tv = 0.5 * np.abs(b[layer, head] - a[layer, head]).sum(axis=1)
            changes.append(HeadChange(layer, head, float(tv[rows].mean()),
                                      head_roles(a[layer, head], allowed, valid),
                                      head_roles(b[layer, head], allowed, valid)))
    changes.sort(key=lambda c: c.change, reverse=True)
    return changes if top is None else changes[:top]
