"""Which versions are installed, for `playground --version` and Help > About: what a bug report needs."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

# The parts the app is built on, each under the distribution names it may be installed by (pip's first)
PARTS = {"torch": ("torch",), "transformers": ("transformers",), "PySide6": ("PySide6-Essentials", "PySide6"),
         "pyqtgraph": ("pyqtgraph",)}


def installed(*distributions: str) -> str:
    """The installed version of the first of `distributions` there is, read from its metadata (nothing is imported),
    or "not installed"."""
    for distribution in distributions:
        try:
            return version(distribution)
        except PackageNotFoundError:
            continue
    return "not installed"


def version_line() -> str:
    """"Transformer Playground 0.1.0 (Python 3.11.7, torch 2.13.0+cpu, …)"."""
    parts = ", ".join(f"{name} {installed(*names)}" for name, names in PARTS.items())
    return f"Transformer Playground {installed('transformer-playground')} (Python {platform.python_version()}, {parts})"
