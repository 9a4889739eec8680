"""What other processes do on this machine: the CPU time they used, from Linux's /proc/stat.

The thread policy (threads.py) and the capability measurement (training/device.py) both ask it whether another
program wants a core.
"""

from __future__ import annotations

import os
import time

NEIGHBOUR_CORES = 0.5  # cores used by other processes that mean another process wants ours


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
