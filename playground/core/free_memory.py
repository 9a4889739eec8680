"""The memory this machine has free now, for refusing work that would not fit before it starts (no torch)."""

from __future__ import annotations

import os

HEADROOM = 0.8  # of the free memory, the most a run may take: a fifth is left to the OS, the window and allocator slack


def free_cpu_memory() -> int | None:
    """Bytes of main memory free now (Linux's MemAvailable, else the free pages), or None where it cannot be known
    (then nothing is refused)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:  # (macOS and Windows have neither: then nothing is refused)
        pages = os.sysconf("SC_AVPHYS_PAGES")
        return pages * os.sysconf("SC_PAGE_SIZE") if pages > 0 else None
    except (AttributeError, ValueError, OSError):
        return None
