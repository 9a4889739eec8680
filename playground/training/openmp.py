"""How long OpenMP's threads spin before they sleep: set before torch loads libgomp (the entry points call it).

At every barrier a thread that finished its share spins, waiting for the others: by default libgomp spins
300,000 times (milliseconds on the 2-core Xeon) before it sleeps. When another process takes a core, the
training thread it displaced comes back only after its neighbour's time slice, and meanwhile the other one
spins on the core it could have run on: the first compiled default-decoder step after a neighbour started took
229-277 ms (then AdaptiveThreads drops to one thread). At 10,000 spins it took 47-92 ms, and one core kept
busy cost less: the quick bench kept 57-59 % of the quiet throughput against 44-45 %. The quiet steps did not
change (quick bench 101.0k / 100.8k against 100.2k / 101.1k tokens/s; the textbook loop's 33.8k / 33.6k against
33.8k / 33.8k). At 1,000 spins threads slept between kernels: quiet steps 28.7 instead of 19 ms.
"""

from __future__ import annotations

import os

SPIN_COUNT = "10000"


def configure_openmp_waiting() -> None:
    """Spin SPIN_COUNT times at a barrier, unless the user chose (GOMP_SPINCOUNT or OMP_WAIT_POLICY).

    Only effective before torch is first imported: libgomp reads the variable when it loads."""
    if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
