"""Colour maps as small tables (no matplotlib): viridis for weights, a blue-white-red map for signed values."""

from __future__ import annotations

import colorsys

import numpy as np

# viridis sampled at 16 even stops (matplotlib's table): perceptually even, readable in greyscale and
# by colour-blind viewers.
VIRIDIS_16 = [
    "#440154", "#481a6c", "#472f7d", "#414487", "#39568c", "#31688e", "#2a788e", "#23888e",
    "#1f988b", "#22a884", "#35b779", "#54c568", "#7ad151", "#a5db36", "#d2e21b", "#fde725",
]
# ColorBrewer RdBu, reversed: negative blue, zero white, positive red.
DIVERGING_11 = [
    "#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
    "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f",
]
# One colour per head in the lines view: matplotlib's tab10, then navy and black, the two colours furthest from all
# of tab10 (CIELAB) that still read as lines on white: BERT's 12 heads each their own (heads 11 and 12 were 1 and 2).
# tab10's orange, pink, olive and cyan darkened to 3:1 or more on white, WCAG's least for a graphic's line (QA: head
# 10's cyan lines, 2.3:1, were pale on a projector).
HEAD_COLOURS = [
    "#1f77b4", "#e8690b", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#cc4fa8", "#7f7f7f", "#8c8c00", "#0095a3",
    "#000080", "#000000",
]
GOLDEN_TURN = 0.381966  # of the hue circle (the golden angle): hues past the table never repeat and stay apart
EXTRA_LIGHTNESS = (0.35, 0.5)  # HSL lightness of those heads, alternating (darker where a hue needs it to read)
LINE_CONTRAST = 3.0  # WCAG's least contrast for a graphic's line, here on white
MASKED_GREY = (200, 200, 200)  # cells a mask hides (-inf scores)


def hex_colour(rgb: tuple[int, ...] | np.ndarray) -> str:
    """(r, g, b) in 0-255 -> '#rrggbb'."""
    r, g, b = (int(v) for v in rgb[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def hex_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _table(stops: list[str]) -> np.ndarray:
    return np.array([hex_rgb(c) for c in stops], dtype=np.float64)


_TABLES = {"viridis": _table(VIRIDIS_16), "diverging": _table(DIVERGING_11)}


def colormap(values: np.ndarray, vmin: float, vmax: float, cmap: str = "viridis") -> np.ndarray:
    """Values -> (..., 3) uint8 RGB by linear interpolation between the table's stops.

    Non-finite values (-inf where masked, nan) get MASKED_GREY.
    """
    table = _TABLES[cmap]
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    span = vmax - vmin if vmax > vmin else 1.0
    t = np.clip((np.where(finite, v, vmin) - vmin) / span, 0.0, 1.0) * (len(table) - 1)
    low = np.floor(t).astype(int)
    high = np.minimum(low + 1, len(table) - 1)
    frac = (t - low)[..., None]
    rgb = table[low] * (1 - frac) + table[high] * frac
    rgb[~finite] = MASKED_GREY
    return np.round(rgb).astype(np.uint8)


def lookup_table(cmap: str = "viridis", levels: int = 256) -> np.ndarray:
    """The map at `levels` even steps over [0, 1] as (levels, 4) uint8 RGBA rows: a heatmap is coloured with one
    numpy lookup (the window's, the figures' and TensorBoard's use the same table)."""
    rgb = colormap(np.linspace(0.0, 1.0, levels), 0.0, 1.0, cmap)
    return np.concatenate([rgb, np.full((levels, 1), 255, dtype=np.uint8)], axis=1)


def head_colour(head: int) -> str:
    """Head `head`'s colour (from 0): HEAD_COLOURS, then a hue a golden angle on from the last extra head's."""
    if head < len(HEAD_COLOURS):
        return HEAD_COLOURS[head]
    extra = head - len(HEAD_COLOURS)
    hue = (0.1 + extra * GOLDEN_TURN) % 1.0
    lightness = EXTRA_LIGHTNESS[extra % 2]
    while True:  # darker until it reads on white (a yellow at half lightness was 1.6:1)
        colour = hex_colour(tuple(round(255 * v) for v in colorsys.hls_to_rgb(hue, lightness, 0.8)))
        if contrast_on_white(colour) >= LINE_CONTRAST or lightness <= 0.05:
            return colour
        lightness -= 0.05


def contrast_on_white(colour: str) -> float:
    """WCAG's contrast ratio of '#rrggbb' against white."""
    return contrast(colour, "#ffffff")


def contrast(colour: str, background: str) -> float:
    """WCAG's contrast ratio of two '#rrggbb' colours."""
    lighter, darker = sorted((_luminance(colour), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in hex_rgb(colour))]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def readable_on(colour: str, background: str, ratio: float) -> str:
    """`colour` with its hue kept, lighter on a dark `background` or darker on a light one, as little as it takes
    for text in it to read at `ratio` there (or as far as it goes)."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*(v / 255 for v in hex_rgb(colour)))
    step = 0.02 if _luminance(background) < 0.18 else -0.02
    while contrast(colour, background) < ratio and 0.0 < lightness < 1.0:
        lightness = min(1.0, max(0.0, lightness + step))
        colour = hex_colour(tuple(round(255 * v) for v in colorsys.hls_to_rgb(hue, lightness, saturation)))
    return colour


def head_colours(heads: int) -> list[str]:
    """The colours of heads 0 .. heads-1, every one different."""
    return [head_colour(head) for head in range(heads)]


def symmetric_range(values: np.ndarray) -> tuple[float, float]:
    """(-m, m) with m the largest finite |value|: zero sits on white in the diverging map."""
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    m = float(np.abs(finite).max()) if finite.size else 1.0
    m = m if m > 0 else 1.0
    return -m, m
