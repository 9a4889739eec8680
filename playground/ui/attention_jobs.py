"""Work the attention views hand to the training thread, and what comes back.

`InsideJob(...)` is called by `TrainingWorker` with the live TrainingSession between two optimiser steps
(or at once while paused), so a forward pass never races the optimiser. It returns an `InsideResult`
holding numpy arrays and finished Pillow renderings only: the window just shows them.

torch is imported inside `__call__`, which runs on the worker thread after the worker has loaded it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.training.events import AttentionSnapshot
from playground.viz.vit_layout import VIT_SIZES

JOB_KEY = "inside-attention"
# Step by step shows a causal model's probe input to this many tokens: the default decoder's 64 drew 4-px labels,
# their cells too small to point at (QA). The first rows of a causal model are its whole input's (first_tokens).
STEPS_TOKENS = 16


@dataclass(frozen=True)
class InsideResult:
    token: int  # which request this answers (the window drops answers to older requests)
    step: int  # the training step of the weights used
    text: str  # the input ("" = the probe)
    layer: int
    head: int
    snapshot: AttentionSnapshot  # every layer's attention on this input
    steps: Any = None  # playground.analysis.steps.AttentionSteps for (layer, head)
    steps_figure: Any = None  # playground.viz.canvas.Figure (for PNG/SVG export)
    steps_rgb: np.ndarray | None = None  # (H, W, 3) uint8 rendering of steps_figure, at the job's pixel_ratio
    vit_figure: Any = None
    vit_rgb: np.ndarray | None = None
    embeddings: Any = None  # analysis.embeddings.Projection of the token table, or None (ViT)
    positions: Any = None  # Projection of the positional encodings, or None
    notes: list[str] = field(default_factory=list)  # what could not be computed, for the user
    input_notes: tuple[str, ...] = ()  # how the input was read: cut to the context, an image's colours inverted


@dataclass(frozen=True)
class JobFailed:
    """The input could not be shown (e.g. a word the vocabulary lacks); `message` says why, for the user."""

    token: int
    message: str


@dataclass(frozen=True)
class InsideJob:
    token: int
    text: str = ""  # typed text, an image path for a ViT, or "" for the probe input
    layer: int = 0
    head: int = 0
    steps: bool = True
    vit: bool = False
    embeddings: bool = False
    pixel_ratio: float = 1.0  # the screen's pixels per window pixel: figures are rendered that sharp (2 on HiDPI)
    vit_size: int = VIT_SIZES[1]  # the ViT figure's panels' side: the view's room decides it (vit_layout)

    def __call__(self, session: Any) -> InsideResult | JobFailed:
        try:
            return self._compute(session)
        except Exception as err:  # noqa: BLE001 - a bad input is the user's to fix, not a crash
            detail = str(err).strip() or type(err).__name__
            return JobFailed(self.token, detail)

    def _compute(self, session: Any) -> InsideResult:
        from playground.analysis.inputs import read_input
        from playground.analysis.steps import attention_steps, first_tokens
        from playground.viz.views import render_steps, render_vit

        batch, input_notes = read_input(session, self.text)
        snapshot = session.snapshot(batch)
        layers, heads = snapshot.weights.shape[:2]
        layer, head = min(max(self.layer, 0), layers - 1), min(max(self.head, 0), heads - 1)
        values: dict[str, Any] = {}
        notes: list[str] = []
        if self.steps:
            steps = attention_steps(session, batch, layer, head)
            if not self.text and "causal" in steps.mask_kind and steps.seq_len > STEPS_TOKENS:
                steps = first_tokens(steps, STEPS_TOKENS)
            figure = render_steps(steps, title=f"Self-attention step by step: layer {layer + 1}, head {head + 1} "
                                               f"of {steps.n_head} (step {session.step:,})")
            values.update(steps=steps, steps_figure=figure, steps_rgb=_rgb(figure, self.pixel_ratio))
        if self.vit and snapshot.image is not None:
            figure = render_vit(snapshot, size=self.vit_size)
            values.update(vit_figure=figure, vit_rgb=_rgb(figure, self.pixel_ratio))
        if self.embeddings:
            from playground.analysis.embeddings import position_projection, token_embedding_projection

            # a large vocabulary is shown as the task's tokens and the input's (its padding left out)
            tokens = batch.x[0] if batch.mask is None else batch.x[0][batch.mask[0]]
            inputs = tokens.tolist() if batch.x.dim() == 2 else []
            for name, project in (("embeddings", lambda s: token_embedding_projection(s, inputs=inputs)),
                                  ("positions", position_projection)):
                try:
                    values[name] = project(session)
                except ValueError as err:  # a ViT has no token table
                    notes.append(str(err))
        return InsideResult(self.token, session.step, self.text, layer, head, snapshot, notes=notes,
                            input_notes=input_notes, **values)


def _rgb(figure: Any, scale: float) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(figure.to_image(scale).convert("RGB"), dtype=np.uint8))
