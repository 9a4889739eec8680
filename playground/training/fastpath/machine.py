"""What other processes do on this machine: the CPU time they used, from Linux's /proc/stat.

The thread policy (threads.py), the capability measurement (training/device.py) and the compiled step's kept
gain (compiled.py) ask it whether another program wants a core.
"""

from __future__ import annotations

import os
import time

NEIGHBOUR_CORES = 0.5  # cores used by other processes that mean another process wants ours

Reading = tuple[float, float]  # (core-seconds other processes have run, wall clock)


def neighbour_cpu_seconds() -> float | None:
    """Core-seconds that other processes have run: the machine's busy time since boot (Linux /proc/stat, in
    clock ticks) less this process's own CPU time (all its threads: training, the window, the logs). Only
    differences mean anything. None where the machine's time is unknown."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()  # "cpu  user nice system idle iowait irq softirq steal ..."
        user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[1:8])
        busy = (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None
    return busy - time.process_time()


def reading() -> Reading | None:
    """Other processes' CPU time and the wall clock, now (None where the machine's time is unknown)."""
    others = neighbour_cpu_seconds()
    return None if others is None else (others, time.perf_counter())


def cores_used(began: Reading | None, now: Reading | None) -> float | None:
    """The cores other processes used on average between two readings (None where either is unknown)."""
    if began is None or now is None or now[1] <= began[1]:
        return None
    return (now[0] - began[0]) / (now[1] - began[1])
