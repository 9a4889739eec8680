"""A run's compiled step compiled in a worker process, to fill inductor's disk cache before the training process
compiles it from there (seconds instead of minutes).

Compiling on a thread of the training process would hold Python's lock for most of a minute or two: the eager
step, which takes that lock between its kernels, ran 3-5x slower meanwhile on the loaded AMD EPYC. A process
shares only the cores, and at a lower priority the training thread keeps its core.

    python -m playground.training.fastpath.worker SPEC_JSON NICENESS THREADS...   (what `compile_in_worker` runs)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from playground.core.files import elide
from playground.core.spec import RunSpec

WORKER_NICENESS = 10  # below the training process: the compiler waits for a core, training does not


def compile_in_worker(spec: RunSpec, thread_counts: tuple[int, ...], timeout_s: float = 1800) -> None:
    """Compile the step of `spec` at each thread count in a fresh process (same inductor cache folder); raises
    RuntimeError with the worker's last words if it fails."""
    args = [sys.executable, "-m", "playground.training.fastpath.worker", json.dumps(spec.to_dict()),
            str(WORKER_NICENESS), *(str(n) for n in thread_counts)]
    env = {**os.environ, "PLAYGROUND_THREADS": "fixed"}  # the worker sets each count itself
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout_s)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"the compiling process stopped ({elide(last, 120)})")
