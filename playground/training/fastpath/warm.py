"""A run's compiled step compiled in a worker process, to fill inductor's disk cache before the training process
compiles it from there (seconds instead of minutes).

Compiling on a thread of the training process would hold Python's lock for most of a minute or two: the eager
step, which takes that lock between its kernels, ran 3-5x slower meanwhile on the loaded AMD EPYC. A process
shares only the cores, and at a lower priority the training thread keeps its core.

    python -m playground.training.fastpath.worker SPEC_JSON NICENESS THREADS...   (what `compile_in_worker` runs)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

from playground.core.files import elide
from playground.core.spec import RunSpec

WORKER_NICENESS = 10  # below the training process: the compiler waits for a core, training does not
STOP_POLL_S = 0.25  # how soon a worker whose run ended is stopped
STOPPED = "the compiling process was stopped: its run ended"


def compile_in_worker(spec: RunSpec, thread_counts: tuple[int, ...], stop: threading.Event | None = None,
                      timeout_s: float = 1800) -> None:
    """Compile the step of `spec` at each thread count in a fresh process (same inductor cache folder); raises
    RuntimeError with the worker's last words if it fails, or if it ran past `timeout_s` or `stop` was set (the
    run was closed): the worker is ended at once."""
    args = [sys.executable, "-m", "playground.training.fastpath.worker", json.dumps(spec.to_dict()),
            str(WORKER_NICENESS), *(str(n) for n in thread_counts)]
    env = {**os.environ, "PLAYGROUND_THREADS": "fixed"}  # the worker sets each count itself
    deadline = time.monotonic() + timeout_s

    def why_end() -> str | None:
        if stop is not None and stop.is_set():
            return STOPPED
        return f"the compiling process took more than {timeout_s:.0f} s" if time.monotonic() > deadline else None

    if why := why_end():  # closed before the worker started
        raise RuntimeError(why)
    # In a process group of its own (POSIX): inductor's compile pool is its children, which `_end` ends with it
    with subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                          start_new_session=os.name == "posix") as worker:
        while True:
            try:
                _, said = worker.communicate(timeout=STOP_POLL_S)  # (called again, it loses none of the output)
                break
            except subprocess.TimeoutExpired:
                if why := why_end():
                    _end(worker)
                    with contextlib.suppress(subprocess.TimeoutExpired):  # a process that left the group keeps
                        worker.communicate(timeout=10)  # the error pipe open: not waited for past this
                    raise RuntimeError(why) from None
    if worker.returncode != 0:
        last = (said.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"the compiling process stopped ({elide(last, 120)})")


def _end(worker: subprocess.Popen) -> None:
    """Kill the worker and the processes it started. Killed alone, it left inductor's compile pool compiling (each
    looks for its parent once a minute) and holding the error pipe, which kept `communicate` waiting for them."""
    if os.name != "posix":
        worker.kill()
        return
    try:
        os.killpg(worker.pid, signal.SIGKILL)  # its group: it leads one (start_new_session)
    except ProcessLookupError:  # all of it ended already
        pass
