"""A user's input as the model reads it, and what reading it did to it, for the window and the command line to say:
a text longer than the context is cut, an image's transparent background is filled and its colours may be inverted
to match the training images (data/images.py)."""

from __future__ import annotations

from typing import Any

from playground.data.base import Batch


def read_input(session: Any, text: str) -> tuple[Batch, tuple[str, ...]]:
    """The batch the views draw for `text` (the probe when it is blank) and the notes on how it was read."""
    if not text.strip():
        return session.dataset.probe(), ()
    if session.info.unit == "images":
        return session.dataset.example_with_notes(text)
    batch = session.dataset.example(text)
    note = cut_note(session, text)
    return batch, (note,) if note else ()


def cut_note(session: Any, text: str) -> str:
    """'' when the model reads all of `text`; else which part of it the model reads."""
    length, block = session.dataset.input_length(text), session.spec.model.block_size
    if length <= block:
        return ""
    kept = "last" if session.spec.model.family == "decoder" else "first"
    return f"the input is {length} tokens and the model reads at most {block}: its {kept} {block} are shown"
