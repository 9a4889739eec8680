"""The worker process of warm.compile_in_worker: builds the run's session and takes one compiled step at each
thread count, which fills inductor's disk cache for the training process.

    python -m playground.training.fastpath.worker SPEC_JSON NICENESS PARENT_PID THREADS...
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time


def main(spec_json: str, niceness: int, parent: int, counts: list[int]) -> None:
    os.nice(niceness)
    # The training process's pid as it gave it: one that died while this process started is seen gone at once.
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    import torch

    from playground.core.spec import make_spec
    from playground.training.session import TrainingSession

    spec = make_spec(json.loads(spec_json)).updated({"train.compile": "on"})
    session = TrainingSession(spec)
    for count in counts:  # one step at each count compiles it (dynamo guards on the thread count)
        torch.set_num_threads(count)
        session.train_step()
    if not session._step_fn.compiled:
        raise SystemExit("compiling failed")


def _exit_with_parent(parent: int) -> None:
    """A training process that ends (or is killed) leaves no compiler running: this process ends with it, and with
    the compile pool inductor started under it (its group, which it leads: `warm.compile_in_worker`)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    if os.name == "posix" and os.getpgrp() == os.getpid():
        os.killpg(0, signal.SIGKILL)
    os._exit(1)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(n) for n in sys.argv[4:]])
