"""Loss curves on one plot, without Qt: `playground compare` draws A's and B's this way (canvas.py writes the file)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from playground.viz.canvas import INK, MUTED, Figure, text_metrics, text_width

PLOT_W, PLOT_H = 720.0, 340.0
LEFT = 64.0  # room for the loss axis's numbers and title
TITLE_SIZE, TEXT_SIZE, TICK_SIZE = 16, 12, 11
MAX_POINTS = 1000  # a longer curve is drawn through every k-th step (a figure is ~700 pixels wide)
WRAP = 110  # characters per line of the explanation under the title
GRID = "#e6e6e6"


@dataclass(frozen=True)
class CurveData:
    """One run's curve: training loss every step, validation loss where it was evaluated (drawn as dots)."""

    label: str
    colour: str
    steps: Sequence[float]
    losses: Sequence[float]
    val_steps: Sequence[float] = ()
    val_losses: Sequence[float] = ()


def ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round values (1, 2 or 5 x 10^k apart) covering [low, high]."""
    span = max(high - low, 1e-9)
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    return [first + i * step for i in range(int(math.ceil((high - first) / step - 1e-9)) + 1)]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:.3g}"


def render_curves(curves: Sequence[CurveData], title: str, lines: Sequence[str] = ()) -> Figure:
    """The curves on one plot with a shared step and loss axis, a title, explanation lines and a legend."""
    fig = Figure()
    y = 12.0
    fig.text(12, y, title, TITLE_SIZE, INK, "lt", bold=True)
    y += sum(text_metrics(TITLE_SIZE, True)) + 6
    for line in lines:
        for part in textwrap.wrap(line, WRAP):
            fig.text(12, y, part, TEXT_SIZE, MUTED, "lt")
            y += sum(text_metrics(TEXT_SIZE)) + 2
    top = y + 14
    finite = [np.asarray(v, float) for c in curves for v in (c.losses, c.val_losses) if len(v)]
    values = np.concatenate(finite) if finite else np.zeros(1)
    values = values[np.isfinite(values)] if np.isfinite(values).any() else np.zeros(1)
    last = max([float(c.steps[-1]) for c in curves if len(c.steps)] + [1.0])
    x_ticks = ticks(0.0, last)
    y_ticks = ticks(float(values.min()), float(values.max()))

    def at(step: float, loss: float) -> tuple[float, float]:
        fx = (step - x_ticks[0]) / (x_ticks[-1] - x_ticks[0])
        fy = (loss - y_ticks[0]) / (y_ticks[-1] - y_ticks[0])
        return LEFT + fx * PLOT_W, top + (1 - fy) * PLOT_H

    _axes(fig, top, x_ticks, y_ticks, at)
    for curve in curves:
        _polyline(fig, [at(s, v) for s, v in _thinned(curve.steps, curve.losses)], curve.colour)
        for s, v in zip(curve.val_steps, curve.val_losses):
            if math.isfinite(v):
                fig.circle(*at(s, v), 3.5, curve.colour)
    _legend(fig, curves, top + PLOT_H + 44)
    return fig


def _thinned(steps: Sequence[float], losses: Sequence[float]) -> list[tuple[float, float]]:
    every = max(1, math.ceil(len(steps) / MAX_POINTS))
    points = list(zip(steps, losses))
    kept = points[::every] + (points[-1:] if (len(points) - 1) % every else [])
    return [(s, v) for s, v in kept if math.isfinite(v)]


def _polyline(fig: Figure, points: list[tuple[float, float]], colour: str) -> None:
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        fig.line(x1, y1, x2, y2, colour, 1.6)


def _axes(fig: Figure, top: float, x_ticks: list[float], y_ticks: list[float], at) -> None:  # noqa: ANN001
    fig.rect(LEFT, top, PLOT_W, PLOT_H, "#fcfcfc", outline="#999999")
    for value in x_ticks:
        x, _ = at(value, y_ticks[0])
        fig.line(x, top, x, top + PLOT_H, GRID)
        fig.text(x, top + PLOT_H + 4, _number(value), TICK_SIZE, MUTED, "mt")
    for value in y_ticks:
        _, y = at(x_ticks[0], value)
        fig.line(LEFT, y, LEFT + PLOT_W, y, GRID)
        fig.text(LEFT - 6, y, _number(value), TICK_SIZE, MUTED, "rm")
    fig.text(LEFT + PLOT_W / 2, top + PLOT_H + 22, "step", TEXT_SIZE, MUTED, "mt")
    fig.text(16, top + PLOT_H / 2, "loss (line: training, dots: validation)", TEXT_SIZE, MUTED, "mm", rotate=True)


def _legend(fig: Figure, curves: Sequence[CurveData], y: float) -> None:
    x = LEFT
    for curve in curves:
        if x > LEFT and x + 30 + text_width(curve.label, TEXT_SIZE) > LEFT + PLOT_W:
            x, y = LEFT, y + sum(text_metrics(TEXT_SIZE)) + 6  # the next entry on a line of its own
        fig.line(x, y, x + 24, y, curve.colour, 3)
        fig.text(x + 30, y, curve.label, TEXT_SIZE, INK, "lm")
        x += 30 + text_width(curve.label, TEXT_SIZE) + 28
