"""Headless attention figures for slides: the same views as the window, drawn with Pillow or as SVG.

Every render_* function returns a Figure (see canvas.py): `.save("x.png")`, `.save("x.svg")`,
`.to_image()` (a PIL image) or `.to_svg()` (text). Heatmaps follow one convention: row = query token
(who is looking), column = key token (what is looked at), row 0 at the top.

Numbering: every `layer`/`head` argument is a 0-based index (like the arrays), but what a figure writes
for people (titles, captions, legends, the roles table) counts from 1, as the window's pickers do:
layer index 0 is drawn as "layer 1". `_n` does that conversion in one place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from playground.analysis.roles import MEASURES, RoleRow, measure_words
from playground.analysis.rollout import cls_attention_maps, patch_grid, rollout_per_layer
from playground.analysis.steps import AttentionSteps, Step
from playground.training.events import AttentionSnapshot
from playground.viz.canvas import (
    EXPLAINED,
    INK,
    LABEL_SIZE,
    MUTED,
    PAD,
    SMALL,
    TITLE_SIZE,
    Figure,
    show_token,
    text_metrics,
    text_width,
)
from playground.viz.colors import colormap, head_colour, hex_colour, symmetric_range
from playground.viz.vit_layout import VIT_GAP, vit_label_width

GRID_TILE_PX = 208  # about this many pixels per heatmap in the grid
MAX_POINT_LABELS = 200  # a PCA scatter with more points than this shows dots only
EVEN_MARGIN = 0.05  # ViT maps: a largest share within 5 % of an even one is drawn as even (no tint)


# ----- shared pieces --------------------------------------------------------------------------------
def _weights_and_labels(source: AttentionSnapshot | np.ndarray, labels: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    weights = np.asarray(source.weights if isinstance(source, AttentionSnapshot) else source, dtype=np.float64)
    if weights.ndim == 2:
        weights = weights[None, None]
    elif weights.ndim == 3:
        weights = weights[None]
    if weights.ndim != 4 or weights.shape[-1] != weights.shape[-2]:
        raise ValueError(f"expected attention weights (layers, heads, T, T), got shape {weights.shape}")
    if labels is None:
        labels = source.labels if isinstance(source, AttentionSnapshot) else None
    T = weights.shape[-1]
    labels = [show_token(str(t)) for t in labels] if labels is not None else [str(i) for i in range(T)]
    if len(labels) != T:
        raise ValueError(f"{len(labels)} labels for {T} tokens")
    return weights, labels


def _label_plan(labels: list[str], cell: float) -> tuple[int, int]:
    """(font size, every k-th label) so that labels do not overlap a cell of `cell` pixels."""
    size = int(max(8, min(LABEL_SIZE, cell - 1)))
    every = max(1, math.ceil(size / max(cell, 1e-6)))  # a label needs about its font size in height
    return size, every


def _shown(labels: list[str], every: int) -> list[tuple[int, str]]:
    return [(i, t) for i, t in enumerate(labels) if i % every == 0]


def _row_labels_width(labels: list[str], cell: float) -> float:
    size, every = _label_plan(labels, cell)
    return max((text_width(t, size) for _, t in _shown(labels, every)), default=0.0) + 6


def _col_label_rows(labels: list[str], cell: float) -> tuple[int, list[tuple[int, str]], int]:
    """(font size, the labels shown, rows): 1 row where each label fits its cell, 2 (staggered) where it fits two,
    else 0: turned to read upwards. Single characters read upright on 2 rows; turned, they were sideways."""
    size, every = _label_plan(labels, cell)
    shown = _shown(labels, every)
    widest = max((text_width(t, size) for _, t in shown), default=0.0)
    rows = next((n for n in (1, 2) if widest <= n * cell * every - 2), 0)
    return size, shown, rows


def _col_labels_height(labels: list[str], cell: float) -> float:
    size, shown, rows = _col_label_rows(labels, cell)
    if rows:
        return rows * sum(text_metrics(size)) + 4
    return max((text_width(t, size) for _, t in shown), default=0.0) + 6  # turned


def _draw_row_labels(fig: Figure, right: float, top: float, labels: list[str], cell: float,
                     bold_row: int | None = None) -> None:
    size, every = _label_plan(labels, cell)
    for i, t in _shown(labels, every):
        fig.text(right - 4, top + (i + 0.5) * cell, t, size, INK, "rm", bold=(i == bold_row))


def _draw_col_labels(fig: Figure, left: float, top: float, labels: list[str], cell: float) -> None:
    size, shown, rows = _col_label_rows(labels, cell)
    line = sum(text_metrics(size))
    for n, (j, t) in enumerate(shown):
        x = left + (j + 0.5) * cell
        if rows:
            row = n % rows
            if rows > 1:  # a tick down to each staggered label: read along a row, they spelt nonsense words (QA)
                fig.line(x, top, x, top + 2 + row * line, "#999999")
            fig.text(x, top + 2 + row * line, t, size, INK, "mt")
        else:
            fig.text(x, top + 4, t, size, INK, "rm", rotate=True)


def _colour_bar(fig: Figure, x: float, y: float, height: float, vmin: float, vmax: float, cmap: str = "viridis",
                caption: str = "") -> None:
    """A vertical colour bar with its range written beside it (top = vmax)."""
    steps = 64
    values = np.linspace(vmax, vmin, steps)[:, None]
    fig.cells(x, y, colormap(values, vmin, vmax, cmap), 14, height / steps, outline="#888888")
    for value, frac in ((vmax, 0.0), ((vmin + vmax) / 2, 0.5), (vmin, 1.0)):
        fig.line(x + 14, y + frac * height, x + 18, y + frac * height, "#888888")
        fig.text(x + 21, y + frac * height, _fmt(value), SMALL, MUTED, "lm")
    if caption:
        fig.text(x, y + height + 6, caption, SMALL, MUTED, "lt")


def _mini_scale(fig: Figure, x: float, y: float, vmin: float, vmax: float, cmap: str) -> float:
    """A small horizontal colour scale: 'vmin [gradient] vmax'; returns its right end."""
    w = text_width(_fmt(vmin), SMALL)
    fig.text(x, y + 4, _fmt(vmin), SMALL, MUTED, "lm")
    bar_x = x + w + 4
    fig.cells(bar_x, y, colormap(np.linspace(vmin, vmax, 48)[None], vmin, vmax, cmap), 1.25, 8, outline="#999999")
    fig.text(bar_x + 64, y + 4, _fmt(vmax), SMALL, MUTED, "lm")
    return x + _mini_scale_width(vmin, vmax)


def _mini_scale_width(vmin: float, vmax: float) -> float:
    return text_width(_fmt(vmin), SMALL) + 4 + 64 + text_width(_fmt(vmax), SMALL)


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100 or abs(value) < 0.01:
        return f"{value:.2g}"
    return f"{value:.2f}"


def _n(index: int) -> int:
    """The number people see for a 0-based layer or head index (the window and figures count from 1)."""
    return int(index) + 1


def _clip(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _header(fig: Figure, title: str, lines: Sequence[str] = ()) -> float:
    """Title and explanation lines at the top-left; returns the y below them."""
    y = 12.0
    fig.text(12, y, title, TITLE_SIZE, INK, "lt", bold=True)
    y += sum(text_metrics(TITLE_SIZE, True)) + 4
    for line in lines:  # what the figure shows, read before it: dark enough for a projector (QA: grey, unread)
        if line:
            fig.text(12, y, line, SMALL, EXPLAINED, "lt")  # (12 px widened the ViT's past a 1280-px window at 130 %)
            y += sum(text_metrics(SMALL)) + 2
    return y + 10


# ----- grid: every layer and head --------------------------------------------------------------------
def render_grid(
    source: AttentionSnapshot | np.ndarray,
    labels: Sequence[str] | None = None,
    *,
    step: int | None = None,
    vmax: float | None = None,
    layers: Sequence[int] | None = None,
    title: str | None = None,
) -> Figure:
    """Layers down, heads across: one heatmap per head, one colour scale for all (0 .. vmax).

    vmax: top of the colour scale; default the largest weight shown, so weak patterns stay visible.
    """
    weights, labels = _weights_and_labels(source, labels)
    if layers is not None:
        for layer in layers:
            if not 0 <= layer < weights.shape[0]:
                raise ValueError(f"layer {layer} does not exist: there are layers 0..{weights.shape[0] - 1}")
        weights = weights[list(layers)]
        layer_ids = list(layers)
    else:
        layer_ids = list(range(weights.shape[0]))
    L, H, T, _ = weights.shape
    vmax = float(vmax if vmax is not None else max(weights.max(), 1e-6))
    if step is None and isinstance(source, AttentionSnapshot):
        step = source.step
    prediction = source.prediction if isinstance(source, AttentionSnapshot) else ""
    fig = Figure()
    heading = title or ("Attention weights" + (f" at step {step}" if step is not None else ""))
    top = _header(fig, heading, [
        "rows: query tokens (who is looking)  ·  columns: key tokens (what is looked at)  ·  "
        "each row sums to 1",
        f"prediction: {_clip(prediction)}" if prediction else "",
    ])
    cell = float(max(2, min(24, GRID_TILE_PX // T), 13 if T <= 20 else 0))  # short inputs: every label
    tile = cell * T
    left = 12 + _row_labels_width(labels, cell)
    gap_x, title_h = 18.0, sum(text_metrics(LABEL_SIZE, True)) + 6
    gap_y = 14.0
    for row in range(L):
        y = top + row * (tile + title_h + gap_y)
        for head in range(H):
            x = left + head * (tile + gap_x)
            fig.text(x, y, f"layer {_n(layer_ids[row])}, head {_n(head)}", LABEL_SIZE, INK, "lt", bold=True)
            fig.cells(x, y + title_h, colormap(weights[row, head], 0.0, vmax), cell, cell, outline="#888888")
            if head == 0:
                _draw_row_labels(fig, x, y + title_h, labels, cell)
            if row == L - 1:
                _draw_col_labels(fig, x, y + title_h + tile, labels, cell)
    grid_right = left + H * tile + (H - 1) * gap_x
    bar_h = min(L * (tile + title_h + gap_y) - gap_y - title_h, 260.0)
    _colour_bar(fig, grid_right + 24, top + title_h, max(bar_h, 80.0), 0.0, vmax, caption="weight")
    return fig


# ----- steps: the lecture's figure ------------------------------------------------------------------
def _panel(fig: Figure, x: float, y: float, step: Step, cw: float, ch: float, *, vrange: tuple[float, float] | None,
           cmap: str, labels: list[str] | None, col_labels: list[str] | None) -> tuple[float, float]:
    """One titled heatmap with its shape and colour range; returns (width, height)."""
    arr = step.array
    fig.text(x, y, step.title, LABEL_SIZE, INK, "lt", bold=True)
    fig.text(x, y + 17, step.shape, SMALL, MUTED, "lt")
    label_w = _row_labels_width(labels, ch) if labels else 0.0
    top = y + 34
    left = x + label_w
    if step.key == "mask":
        rgb = np.where(arr[..., None], np.array([253, 231, 37], np.uint8), np.array([200, 200, 200], np.uint8))
    else:
        vmin, vmax = vrange if vrange is not None else (0.0, 1.0)
        rgb = colormap(arr, vmin, vmax, cmap)
    fig.cells(left, top, rgb, cw, ch, outline="#888888")
    if labels:
        _draw_row_labels(fig, left, top, labels, ch)
    bottom = top + arr.shape[0] * ch
    if col_labels:
        _draw_col_labels(fig, left, bottom, col_labels, cw)
        bottom += _col_labels_height(col_labels, cw)
    else:
        fig.text(left, bottom + 2, f"{arr.shape[1]} dims →", SMALL, MUTED, "lt")
        bottom += 16
    if step.key == "mask":
        fig.rect(left, bottom + 4, 10, 10, (253, 231, 37), outline="#888888")
        fig.text(left + 14, bottom + 9, "allowed", SMALL, MUTED, "lm")
        fig.rect(left + 66, bottom + 4, 10, 10, (200, 200, 200), outline="#888888")
        fig.text(left + 80, bottom + 9, "hidden", SMALL, MUTED, "lm")
    elif vrange is not None:
        end = _mini_scale(fig, left, bottom + 4, vrange[0], vrange[1], cmap)
        if step.key == "masked" and not np.isfinite(arr).all():
            fig.rect(end + 10, bottom + 4, 10, 10, (200, 200, 200), outline="#888888")
            fig.text(end + 24, bottom + 9, "−∞", SMALL, MUTED, "lm")
    return _panel_width(step, cw, ch, labels, vrange), bottom + 18 - y


def _panel_width(step: Step, cw: float, ch: float, labels: list[str] | None,
                 vrange: tuple[float, float] | None = None) -> float:
    """How wide `_panel` draws `step`: its cells and row labels, or its title, shape or colour scale (of `vrange`)
    where those are wider (QA: a 2-token input's scale ran into the next panel's)."""
    label_w = _row_labels_width(labels, ch) if labels else 0.0
    scale = 150.0 if step.key == "mask" else 0.0  # its "allowed" and "hidden" keys
    if vrange is not None and step.key != "mask":
        scale = label_w + _mini_scale_width(*vrange) + 8
        if step.key == "masked" and not np.isfinite(step.array).all():
            scale += 24 + text_width("−∞", SMALL)
    return max(label_w + step.array.shape[1] * cw, text_width(step.title, LABEL_SIZE, True), text_width(step.shape, SMALL),
               scale)


def _arrow(fig: Figure, x: float, y: float, text: str = "→") -> float:
    fig.text(x + 6, y, text, 18, MUTED, "lm", bold=True)
    return _arrow_width(text)


def _arrow_width(text: str = "→") -> float:
    return text_width(text, 18, True) + 14


HEADS_ROW_SLACK = 1.15  # the heads stay in one row up to this much wider than the figure's rows above them


def render_steps(steps: AttentionSteps, title: str | None = None) -> Figure:
    """The lecture's figure for one head: Q, K, V -> QK^T -> / sqrt(d) -> mask -> softmax -> x V -> output,
    then the multi-head part: every head's output, their concatenation and the output projection."""
    panels = {p.key: p for p in steps.steps()}
    T, d, C = steps.seq_len, steps.d_head, steps.n_embd
    labels = [show_token(t) for t in steps.labels]
    ch = float(max(4, min(22, 220 // T), 13 if T <= 24 else 0))  # one row per token in every panel
    cw_d = float(max(2, min(ch, 180 // d)))
    cw_c = max(1.0, min(ch, 240 / C))
    fig = Figure()
    # On two lines: on one it was the figure's widest part, cut at 130 % ("numbers from the r", QA)
    y = _header(fig, title or f"Self-attention step by step: layer {_n(steps.layer)}, head {_n(steps.head)} "
                              f"of {steps.n_head}", [
        f"rows: the {f'first {T} of {steps.cut_from}' if steps.cut_from else T} tokens (queries)  ·  d_head = {d}, "
        f"C = n_heads × d_head = {C}",
        f"mask: {steps.mask_kind}  ·  numbers from the model's own forward pass",
    ])

    def section(text: str, y: float) -> float:
        fig.text(12, y, text, 13, "#1f4e79", "lt", bold=True)
        return y + 24

    signed = "diverging"
    # 1. projections
    y = section("1.  Each token is projected to a query, a key and a value", y)
    x, tallest = 12.0, 0.0
    for key in ("q", "k", "v"):
        w, h = _panel(fig, x, y, panels[key], cw_d, ch, vrange=symmetric_range(panels[key].array), cmap=signed,
                      labels=labels if key == "q" else None, col_labels=None)
        x += w + 28
        tallest = max(tallest, h)
    y += tallest + 18
    # 2. scores -> weights
    # (QA: the ablation's figure said "scaled by √d_head" over its "Not scaled" panel)
    scaling = "scaled by √d_head" if steps.scale_scores else "not scaled (the ablation)"
    y = section(f"2.  Scores QKᵀ, {scaling}, masked, turned into weights by softmax", y)
    x, tallest = 12.0, 0.0
    scaled_range = symmetric_range(panels["scaled"].array)
    weights_top = float(max(panels["weights"].array.max(), 1e-6))
    specs = [("scores", symmetric_range(panels["scores"].array), signed), ("scaled", scaled_range, signed),
             ("mask", None, "viridis"), ("masked", scaled_range, signed), ("weights", (0.0, weights_top), "viridis")]
    mid_y = y + 34 + T * ch / 2
    for index, (key, vrange, cmap) in enumerate(specs):
        if key == "masked":  # five T x T stages in one row make the figure too wide to read in a window: two rows
            y += tallest + 18
            x, tallest, mid_y = 12.0, 0.0, y + 34 + T * ch / 2
            x += _arrow(fig, x, mid_y)
        w, h = _panel(fig, x, y, panels[key], ch, ch, vrange=vrange, cmap=cmap,
                      labels=labels if index in (0, 3) else None, col_labels=labels)
        x += w
        tallest = max(tallest, h)
        if index not in (2, len(specs) - 1):
            x += _arrow(fig, x, mid_y)
    y += tallest + 18
    # 3. mix the values
    y = section("3.  Each output is a weighted average of the values:  output = weights × V", y)
    x, tallest = 12.0, 0.0
    mid_y = y + 34 + T * ch / 2
    v_range = symmetric_range(panels["v"].array)
    parts: list[tuple[Step, float, tuple[float, float], str, list[str] | None]] = [
        (panels["weights"], ch, (0.0, weights_top), "viridis", labels),
        (panels["v"], cw_d, v_range, signed, None),
        (panels["output"], cw_d, symmetric_range(panels["output"].array), signed, None),
    ]
    for index, (panel, cw, vrange, cmap, cols) in enumerate(parts):
        w, h = _panel(fig, x, y, panel, cw, ch, vrange=vrange, cmap=cmap,
                      labels=labels if index == 0 else None, col_labels=cols)
        x += w
        tallest = max(tallest, h)
        if index < len(parts) - 1:
            x += _arrow(fig, x, mid_y, "×" if index == 0 else "=")
    y += tallest + 18
    # 4. multi-head
    y = section(f"4.  Multi-head: {steps.n_head} heads in parallel, concatenated, then projected by W_O", y)
    # The row flows onto others where it would be wider than the rows above (QA: the heads, the concatenation and W_O
    # in one row were twice the window's width at 130 %, fitted or not): the heads in rows of one count, as few as
    # hold them (a row a little wider than those above stays one), then the concatenation and W_O together.
    multi = steps.multihead_steps()
    heads = [panel for panel in multi if panel.key.startswith("head")]
    head_range = symmetric_range(steps.head_outputs)

    def width_of(panel: Step) -> float:  # with the gap before it: the heads side by side, an arrow to the rest
        head = panel.key.startswith("head")
        return (16.0 if head else _arrow_width()) + _panel_width(panel, cw_d if head else cw_c, ch, None,
                                                                 head_range if head else symmetric_range(panel.array))

    def row_width(row: list[Step]) -> float:  # its first panel with the row labels, no gap before it
        return 12.0 + _row_labels_width(labels, ch) - 16.0 + sum(width_of(panel) for panel in row)

    widest = float(fig.width)
    rows = 1 if row_width(heads) <= widest * HEADS_ROW_SLACK else math.ceil(row_width(heads) / widest)
    per_row = math.ceil(len(heads) / rows)
    widest = max(widest, row_width(heads[:per_row]))
    x, tallest, row_start = 12.0, 0.0, True
    mid_y = y + 34 + T * ch / 2
    for index, panel in enumerate(multi):
        is_head = panel.key.startswith("head")
        if index:
            if (index % per_row == 0) if is_head else x + sum(width_of(p) for p in multi[index:]) > widest:
                y += tallest + 18
                x, tallest, mid_y, row_start = 12.0, 0.0, y + 34 + T * ch / 2, True
            x += _arrow(fig, x, mid_y) if not is_head else 0.0 if row_start else 16.0
        vrange = head_range if is_head else symmetric_range(panel.array)
        w, h = _panel(fig, x, y, panel, cw_d if is_head else cw_c, ch, vrange=vrange, cmap=signed,
                      labels=labels if row_start else None, col_labels=None)
        if panel.key == f"head{steps.head}":
            fig.rect(x - 4, y - 4, w + 8, h + 4, None, outline="#d62728", width=2)
        x, tallest, row_start = x + w, max(tallest, h), False
    return fig


# ----- lines: the head view ---------------------------------------------------------------------------
MIN_LINES_SPAN = 60.0  # px between the query and key columns, at the narrowest: the lines' slopes stay readable


def render_lines(
    weights: np.ndarray | AttentionSnapshot,
    labels: Sequence[str] | None = None,
    heads: int | Sequence[int] | None = None,
    *,
    layer: int = 0,
    highlight: int | None = None,
    min_weight: float = 0.02,
    title: str | None = None,
    explain: bool = True,
    aspect: float | None = None,
) -> Figure:
    """Tokens in two columns, a line from each query (left) to each key (right); width and opacity follow
    the weight. heads: one head, a list, or None for all heads, each in its own colour; the heads' legend wraps
    at the drawing's width. explain: a line under the title says how to read it (a window with a tooltip drops it,
    so the figure stays narrow enough to be read where it is scaled down). title="" draws no title and no
    explanation (a window whose pickers and labels say them), and for one head no legend either, its rows and lines
    closer: a picture scaled down into half a tab. aspect: the width / height of the room the figure is shown in,
    which the lines between the columns narrow to fit where they can (a figure scaled down to fit the width of a
    tall room scaled its token labels down with it).

    weights: (T, T) one head, (H, T, T) one layer, or an AttentionSnapshot / (L, H, T, T) with `layer`.
    highlight: a query position whose lines are drawn strongly while the others fade (the window's hover).
    layer and heads are 0-based indices; the title and legend count from 1 (head index 0 is "head 1").
    """
    w4, labels = _weights_and_labels(weights, labels)
    if not 0 <= layer < w4.shape[0]:
        raise ValueError(f"layer {layer} does not exist: there are layers 0..{w4.shape[0] - 1}")
    w = w4[layer]  # (H, T, T)
    H, T, _ = w.shape
    chosen = list(range(H)) if heads is None else [heads] if isinstance(heads, int) else list(heads)
    for h in chosen:
        if not 0 <= h < H:
            raise ValueError(f"head {h} does not exist: there are heads 0..{H - 1}")
    if highlight is not None and not 0 <= highlight < T:
        raise ValueError(f"token {highlight} does not exist: there are tokens 0..{T - 1}")
    size = 13 if T <= 32 else 11 if T <= 48 else 9
    # A window's picture of one head (title="": its picker names the head) is scaled down into half a tab: with no
    # legend, and its rows and lines closer, its labels are scaled less (QA: 7-px tokens in Try it at 1280x720).
    compact = title == "" and len(chosen) == 1
    row_h = float(sum(text_metrics(size)) + (1 if compact else 4))
    fig = Figure()
    which = f"head {_n(chosen[0])}" if len(chosen) == 1 else "all heads" if len(chosen) == H else \
        "heads " + ", ".join(str(_n(h)) for h in chosen)
    top = 12.0 if title == "" else _header(fig, title or f"Head view: layer {_n(layer)}, {which}", [
        "each query token (left) sends a line to the keys (right) it attends to; "
        "thicker and darker = more weight",
    ] if explain else [])
    label_w = max(max(text_width(t, size, True) for t in labels), text_width("query", 11, True)) + 8
    left_x = 12 + label_w  # right edge of the query labels
    span = default = max(110.0, 6 * T) if compact else max(220.0, 9 * T)  # the lines' width between the columns
    if aspect:
        rows = 1  # of the heads' legend, which wraps where the figure narrows: worked out again once (review)
        for _ in range(2):
            legend = 0 if compact else 26 + 20 * (rows - 1)
            height = top + legend + 18 + T * row_h + PAD
            span = min(default, max(MIN_LINES_SPAN, aspect * height - (left_x + label_w + PAD)))
            rows = 1 + max(row for _h, _x, row in _legend_places(chosen, left_x + span + label_w))
    right_x = left_x + span  # left edge of the key labels
    if not compact:
        top = _heads_legend(fig, chosen, top, right_x + label_w)
    fig.text(left_x, top, "query", 11, MUTED, "rt", bold=True)
    fig.text(right_x, top, "key", 11, MUTED, "lt", bold=True)
    top += 18
    ys = top + (np.arange(T) + 0.5) * row_h
    for h in chosen:
        for i in range(T):
            fade = 1.0 if highlight is None or highlight == i else 0.12
            for j in range(T):
                value = float(w[h, i, j])
                if value < min_weight:
                    continue
                fig.line(left_x + 4, ys[i], right_x - 4, ys[j], head_colour(h), width=0.8 + 5 * value,
                         opacity=fade * min(1.0, 0.15 + 0.85 * value))
    for i, t in enumerate(labels):
        strong = highlight == i
        if strong:
            fig.rect(12, ys[i] - row_h / 2, left_x - 10, row_h, "#fff2b3")
        fig.text(left_x, ys[i], t, size, INK, "rm", bold=strong)
        fig.text(right_x, ys[i], t, size, INK, "lm")
    return fig


def _legend_places(heads: Sequence[int], width: float) -> list[tuple[int, float, int]]:
    """(head, x, row) of each head's entry in a legend that wraps at `width`."""
    places, x, row = [], 12.0, 0
    for h in heads:
        item_w = 18 + text_width(f"head {_n(h)}", 11) + 14
        if x > 12 and x + item_w > width:
            x, row = 12.0, row + 1
        places.append((h, x, row))
        x += item_w
    return places


def _heads_legend(fig: Figure, heads: Sequence[int], top: float, width: float) -> float:
    """Each head's colour and name, in as many rows as `width` needs; returns the top of what comes below."""
    places = _legend_places(heads, width)
    for h, x, row in places:
        fig.rect(x, top + 20 * row, 14, 14, head_colour(h))
        fig.text(x + 18, top + 20 * row + 7, f"head {_n(h)}", 11, INK, "lm")
    return top + 20 * places[-1][2] + 26 if places else top + 26


# ----- roles table ------------------------------------------------------------------------------------
def render_roles(rows: Sequence[RoleRow], *, title: str | None = None, highlight: tuple[int, int] | None = None,
                 explain: bool = True, patches: bool = False) -> Figure:
    """Every head's role measures as a table, each number with a bar (bars of a column share a scale).

    The layer and head columns count from 1; highlight is a 0-based (layer, head) index pair; patches: the rows
    measure an image's patches (`role_table`'s places), named left and right."""
    if not rows:
        raise ValueError("the role table is empty")
    titles, tips = measure_words(patches)
    fig = Figure()
    keys = ("distance in patches  ·  left / right / first / self" if patches else
            "distance in tokens  ·  previous / next / first / self")
    top = _header(fig, title or "What each head does", [
        f"entropy normalised by ln(allowed keys): 1 = spread evenly, 0 = one key  ·  {keys}: mean weight on that key",
    ])
    columns = [("layer", 50.0), ("head", 50.0)] + [(m, 120.0) for m in MEASURES]
    tops = {m: max(1.0, max(getattr(r.roles, m) for r in rows)) if m == "distance" else 1.0 for m in MEASURES}
    row_h = 24.0
    x = 12.0
    for name, width in columns:
        fig.text(x + width - 8, top + row_h / 2, titles.get(name, name), 12, INK, "rm", bold=True)
        x += width
    table_w = x - 12
    fig.line(12, top + row_h, 12 + table_w, top + row_h, "#444444", 1.5)
    for index, row in enumerate(rows):
        y = top + (index + 1) * row_h
        if highlight is not None and (row.layer, row.head) == highlight:
            fig.rect(12, y, table_w, row_h, "#fff2b3")
        elif index % 2:
            fig.rect(12, y, table_w, row_h, "#f4f6f8")
        x = 12.0
        for name, width in columns:
            if name in ("layer", "head"):
                fig.text(x + width - 8, y + row_h / 2, str(_n(getattr(row, name))), 12, INK, "rm")
            else:
                value = float(getattr(row.roles, name))
                frac = float(np.clip(value / tops[name], 0.0, 1.0))
                fig.rect(x + 54, y + 6, (width - 62) * frac, row_h - 12, "#a6c8e6")
                fig.rect(x + 54, y + 6, width - 62, row_h - 12, None, outline="#d0d7de")
                fig.text(x + 48, y + row_h / 2, f"{value:.2f}", 12, INK, "rm")
            x += width
    bottom = top + (len(rows) + 1) * row_h + 10
    if explain:
        for m in MEASURES:
            fig.text(12, bottom, f"{titles[m]}: {tips[m]}", SMALL, MUTED, "lt")
            bottom += 15
    return fig


# ----- ViT: [CLS] attention over the image ---------------------------------------------------------------
def _flat(vmax: float, even: float) -> bool:
    """Whether attention whose largest share is `vmax` is spread (about) evenly, each key taking `even`."""
    return vmax <= even * (1 + EVEN_MARGIN)


TINT_MOST = 0.7  # the share of colour over the most-attended patch of a ViT's image


def _overlay(image: np.ndarray, attention: np.ndarray, vmax: float, even: float) -> np.ndarray:
    """The grey image (H, W) or (H, W, 3) in [0, 1] with each patch tinted by how far its attention (rows, cols)
    is above an even share (`even`, each key alike): a patch at or below it keeps the picture, a patch near `vmax`,
    or at twice an even share where `vmax` is less, turns yellow (QA: scaled from 0, an untrained ViT's even
    attention read "most" everywhere; scaled to a layer's top 7 % above even, its near-even heads were yellow).
    uint8 RGB."""
    img = np.asarray(image, dtype=np.float64)
    grey = img if img.ndim == 2 else img[..., :3].mean(axis=-1)
    H, W = grey.shape
    rows, cols = attention.shape
    top = max(vmax, 2 * even)
    a = np.zeros_like(attention) if _flat(vmax, even) else np.clip((attention - even) / (top - even), 0.0, 1.0)
    up = np.repeat(np.repeat(a, math.ceil(H / rows), axis=0), math.ceil(W / cols), axis=1)[:H, :W]
    heat = colormap(up, 0.0, 1.0).astype(np.float64)
    base = np.repeat(grey[..., None], 3, axis=-1) * 200 + 20
    # At most TINT_MOST of the colour: the image still shows through the most-attended patch (QA: opaque yellow hid
    # whether [CLS] looked at the shape's pixels or at the background beside them)
    alpha = (0.2 + (TINT_MOST - 0.2) * up)[..., None]
    return np.clip(base * (1 - alpha) + heat * alpha, 0, 255).astype(np.uint8)


def render_vit(
    source: AttentionSnapshot | np.ndarray, image: np.ndarray | None = None, *, size: int = 96,
    title: str | None = None,
) -> Figure:
    """The image, then per layer: the attention rollout up to that layer (Abnar & Zuidema) and [CLS]'s attention
    to every patch for each head, each overlaid on the image. The rollout comes first: after 8 heads it was past the
    right edge of a 1280-px window (QA), and it is the panel that sums the layer up."""
    weights, _ = _weights_and_labels(source, None)
    if image is None and isinstance(source, AttentionSnapshot):
        image = source.image
    if image is None:
        raise ValueError("the ViT view needs the input image: this attention is not from a vision transformer")
    rows, cols = patch_grid(weights.shape[-1])
    L, H = weights.shape[:2]
    even = 1.0 / weights.shape[-1]  # each key's share of an even spread ([CLS] and the patches)
    rollouts = rollout_per_layer(weights)  # (L, T, T)
    img = np.asarray(image, dtype=np.float64)
    fig = Figure()
    prediction = source.prediction if isinstance(source, AttentionSnapshot) else ""
    step = f" at step {source.step}" if isinstance(source, AttentionSnapshot) else ""
    # The patches and their size: "4×4 patches" alone read as patches of 4×4 pixels (QA); no longer than it was, or
    # the figure outgrows the window at 130 %
    grid = f"{rows}×{cols} patches of {img.shape[0] // rows}×{img.shape[1] // cols} px"
    top = _header(fig, title or f"[CLS] attention over {grid}{step}", [
        "rollout: attention flowing from the input through all layers so far (heads averaged, residual added)",
        "per head: [CLS]'s attention to each patch above an even share (yellow = the layer's most, or twice even)",
        f"prediction: {_clip(prediction)}" if prediction else "",
    ])
    shown = img if img.ndim == 2 else img[..., :3]
    original = (np.repeat(shown[..., None], 3, axis=-1) if shown.ndim == 2 else shown) * 255
    fig.text(12, top, "input", LABEL_SIZE, INK, "lt", bold=True)
    fig.image(12, top + 18, size, size, np.clip(original, 0, 255).astype(np.uint8))
    x0 = 12 + size + 30
    label_w, gap = vit_label_width(), VIT_GAP
    for layer in range(L):
        y = top + layer * (size + 30)
        fig.text(x0, y + 18 + size / 2, f"layer {_n(layer)}", LABEL_SIZE, INK, "lm", bold=True)
        maps = cls_attention_maps(weights, layer)
        layer_top = float(maps.max())  # one scale for the heads of a layer, so they compare
        for slot in range(H + 1):  # the rollout, then each head a little apart from it
            x = x0 + label_w + slot * (size + gap) + (14 if slot else 0)
            if slot:
                attention, caption, top_value = maps[slot - 1], f"head {_n(slot - 1)}", layer_top
            else:
                attention = rollouts[layer, 0, 1:].reshape(rows, cols)
                caption, top_value = "rollout", float(attention.max())
            if layer == 0:
                fig.text(x, y, caption, LABEL_SIZE, INK, "lt", bold=True)
            fig.image(x, y + 18, size, size, _overlay(img, attention, top_value, even))
            for k in range(1, rows):  # the patch grid
                fig.line(x, y + 18 + k * size / rows, x + size, y + 18 + k * size / rows, "#ffffff", 1, 0.35)
            for k in range(1, cols):
                fig.line(x + k * size / cols, y + 18, x + k * size / cols, y + 18 + size, "#ffffff", 1, 0.35)
            # two significant digits: 257 patches share [CLS]'s attention, and 0.0043 read "max 0.00" (QA); as much
            # as its column holds (QA at 130 %: "max 0.061 (even)" ran into the next map's caption)
            most = f"{attention.max():.2g}"
            wordings = ([f"max {most} (even)", f"{most} (even)", "even"] if _flat(float(attention.max()), even) else
                        [f"max {most}", most])
            fig.text(x, y + 20 + size, next((w for w in wordings if text_width(w, SMALL) <= size + gap - 4),
                                            wordings[-1]), SMALL, MUTED, "lt")
    return fig


# ----- embeddings ----------------------------------------------------------------------------------------
def render_embeddings(projection, *, connect: bool = False, size: int = 420) -> Figure:  # noqa: ANN001
    """A 2-D PCA scatter (analysis.embeddings.Projection), every point labelled (up to MAX_POINT_LABELS
    points); connect=True joins consecutive points (positions 0 -> 1 -> 2 ...)."""
    pts = np.asarray(projection.points, dtype=np.float64)
    fig = Figure()
    e1, e2 = projection.explained
    top = _header(fig, projection.title or "PCA", [f"{len(pts)} vectors  ·  the two directions of largest variance"])
    left, plot = 60.0, float(size)
    fig.rect(left, top, plot, plot, "#fbfbfb", outline="#999999")
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
    xy = np.empty_like(pts)
    xy[:, 0] = left + 16 + (pts[:, 0] - lo[0]) / span[0] * (plot - 32)
    xy[:, 1] = top + plot - 16 - (pts[:, 1] - lo[1]) / span[1] * (plot - 32)
    if connect:
        for a, b in zip(xy[:-1], xy[1:]):
            fig.line(a[0], a[1], b[0], b[1], "#9bb7d4", 1.2)
    n = len(pts)
    for index, (px, py) in enumerate(xy):
        colour = colormap(np.array([index / max(n - 1, 1)]), 0.0, 1.0)[0] if connect else (31, 119, 180)
        fig.circle(px, py, 3.5, hex_colour(colour))
        if n <= MAX_POINT_LABELS:
            fig.text(px + 5, py - 2, show_token(projection.labels[index]), SMALL, INK, "lb")
    fig.text(left + plot / 2, top + plot + 8, f"PC 1 ({e1:.0%} of the variance)", 11, MUTED, "mt")
    fig.text(left - 10, top + plot / 2, f"PC 2 ({e2:.0%})", 11, MUTED, "mm", rotate=True)
    return fig


# ----- evolution over training -----------------------------------------------------------------------------
def evolution_frames(
    snapshots: Sequence[AttentionSnapshot], view: str = "grid", *, layer: int | None = None, head: int | None = None,
) -> list[Figure]:
    """One figure per snapshot for an animated GIF. The grid keeps one colour scale over all frames, so
    attention that sharpens during training shows as it does.

    layer: the grid shows only this layer (default all); lines shows this layer (default 0).
    head: lines shows only this head (default all). The input's tokens only, as the window's Head roles shows them:
    a padded probe's [PAD] rows mean nothing and its columns are empty."""
    if not snapshots:
        raise ValueError("no attention snapshots to animate")
    snapshots = [snap.tokens_only() for snap in snapshots]
    last = snapshots[-1].step
    frames = []
    if view == "grid":
        if head is not None:
            raise ValueError("the grid shows every head: use the lines view for one head")
        layers = None if layer is None else [layer]
        if layer is not None and not 0 <= layer < snapshots[0].weights.shape[0]:
            raise ValueError(f"layer {layer} does not exist: there are layers 0..{snapshots[0].weights.shape[0] - 1}")
        vmax = float(max(s.weights[layers or slice(None)].max() for s in snapshots))
        for snap in snapshots:
            frames.append(render_grid(snap, vmax=vmax, layers=layers,
                                      title=f"Attention weights at step {snap.step} of {last}"))
    elif view == "lines":
        layer = layer or 0
        for snap in snapshots:
            frames.append(render_lines(snap, heads=head, layer=layer,
                                       title=f"Head view: layer {_n(layer)}, "
                                             f"{'all heads' if head is None else f'head {_n(head)}'}, step {snap.step}"))
    elif view == "roles":
        from playground.analysis.roles import role_table

        for snap in snapshots:
            frames.append(render_roles(role_table(snap.weights, layout=snap.layout),
                                       title=f"What each head does, step {snap.step}", explain=False,
                                       patches=snap.layout is not None))
    elif view == "vit":
        for snap in snapshots:
            frames.append(render_vit(snap))
    else:
        raise ValueError(f"a GIF shows the grid, lines, roles or vit view, not {view!r} "
                         f"(the steps view needs the model, which is only saved at the end)")
    return frames
