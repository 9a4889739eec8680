"""Headless attention figures (Pillow + numpy, no Qt, no matplotlib): PNG, SVG and animated GIF.

The names below load on first use, so the CLI's parser (cli_attention.py) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "Figure": "canvas",
    "save_gif": "canvas",
    "evolution_frames": "views",
    "render_embeddings": "views",
    "render_grid": "views",
    "render_lines": "views",
    "render_roles": "views",
    "render_steps": "views",
    "render_vit": "views",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"playground.viz.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'playground.viz' has no attribute {name!r}")
