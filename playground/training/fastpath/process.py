"""The fast path's process-wide settings, applied only when the program opts in once at start.

Library code never changes the process on import or when a session is built: the CLI's `main()` (which also
opens the window) calls `configure_process()` before anything loads torch. Without it (the playground used as
a library, the tests) training runs at torch's own thread count, inductor's default cache and malloc's defaults.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from playground.training.allocator import keep_freed_memory
from playground.training.openmp import configure_openmp_waiting

_configured = False
_unkept = ""  # why the cache folder cannot be written, where it cannot


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
    _cache_compiled_steps()
    keep_freed_memory()
    _configured = True


def _cache_compiled_steps() -> None:
    """Inductor's cache in the playground's cache folder where that folder can be written: torch makes its cache folder
    as its compiler loads, and a read-only one failed every command that trains ("[Errno 30] Read-only file system",
    newcomer QA). Else inductor keeps its own default and `unkept_cache` says why."""
    global _unkept
    if "TORCHINDUCTOR_CACHE_DIR" in os.environ:  # the user's own choice
        return
    folder = cache_dir() / "inductor"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()  # (a folder kept from before on a disk now read-only is there)
    except OSError as err:
        from playground.core.files import elide, why_not_written

        _unkept = (f"the cache folder {elide(cache_dir())} cannot be written ({why_not_written(folder, err)}): this "
                   f"machine's speed measurements are not kept between runs, and compiled training steps go to the "
                   f"compiler's own folder; set PLAYGROUND_CACHE_DIR to a folder you can write")
        return
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(folder)


def unkept_cache() -> str:
    """Why the program's cache folder cannot be written ("" where it can, or the program did not opt in)."""
    return _unkept


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
