"""Which versions are installed, for `playground --version` and Help > About: what a bug report needs."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

# The distributions the app is built on, under the names pip installs them by
PARTS = ("torch", "transformers", "PySide6-Essentials", "pyqtgraph")


def installed(distribution: str) -> str:
    """`distribution`'s installed version, read from its metadata (nothing is imported), or "not installed"."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def version_line() -> str:
    """"Transformer Playground 0.1.0 (Python 3.11.7, torch 2.13.0+cpu, …)"."""
    parts = ", ".join(f"{name.removesuffix('-Essentials')} {installed(name)}" for name in PARTS)
    return f"Transformer Playground {installed('transformer-playground')} (Python {platform.python_version()}, {parts})"
