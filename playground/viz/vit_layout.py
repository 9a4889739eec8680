"""The ViT figure's width (`views.render_vit`), worked out without drawing it: the window asks for pictures small
enough that the figure fits its view with the text as legible as ever. No torch: the window imports it early."""

from __future__ import annotations

from playground.viz.canvas import LABEL_SIZE, text_width

VIT_SIZES = (56, 128)  # a ViT panel's side: the least that shows its patch grid and numbers, the most worth drawing
VIT_GAP = 10  # px between two heads' panels
VIT_SIZE_STEP = 8  # panel sides come in steps of this: a window resized by a few pixels asks for no new figure


def vit_label_width() -> float:
    """The room of a row's "layer N" label."""
    return text_width("layer 00", LABEL_SIZE, True) + 10


def vit_size_for(width: float, heads: int) -> int:
    """The largest panel side (VIT_SIZES) at which `render_vit`'s figure of `heads` heads is at most `width` px wide
    (its header's lines aside: they need ~570 px at least) (QA: at 130 % a 4-head ViT's heads 3 and 4 were past the
    right edge with "Fit to width" ticked)."""
    fixed = 12 + 30 + vit_label_width() + heads * VIT_GAP + 14 + 12  # margins, the layer label, the gaps
    side = (width - fixed) // (heads + 2) // VIT_SIZE_STEP * VIT_SIZE_STEP  # the input, the rollout and the heads
    return int(max(VIT_SIZES[0], min(VIT_SIZES[1], side)))
