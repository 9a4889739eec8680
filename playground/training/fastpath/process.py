"""The fast path's process-wide settings, applied only when the program opts in once at start.

Library code never changes the process on import or when a session is built: the CLI's `main()` (which also
opens the window) calls `configure_process()` before anything loads torch. Without it (the playground used as
a library, the tests) training runs at torch's own thread count, inductor's default cache and malloc's defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

from playground.training.allocator import keep_freed_memory
from playground.training.openmp import configure_openmp_waiting

_configured = False


def configure_process() -> None:
    """Opt in to the fast path's process-wide settings; call once, before torch is imported.

    - OpenMP threads spin a bounded time at a barrier (openmp.py; libgomp reads it when torch loads it);
    - inductor's compiled kernels are cached in the user cache folder, kept across runs (unless the user chose
      TORCHINDUCTOR_CACHE_DIR);
    - malloc keeps a step's freed activations for the next step (allocator.py);
    - training sessions choose torch's thread count (threads.py).
    """
    global _configured
    if _configured:
        return
    configure_openmp_waiting()
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_dir() / "inductor"))
    keep_freed_memory()
    _configured = True


def threads_managed() -> bool:
    """The program opted in (configure_process), so a session may set torch's thread count."""
    return _configured


def cache_dir() -> Path:
    """The playground's cache folder: PLAYGROUND_CACHE_DIR, else the user cache folder."""
    override = os.environ.get("PLAYGROUND_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("transformer-playground", appauthor=False))
