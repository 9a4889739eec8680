"""How long OpenMP's threads spin before they sleep: set before torch loads libgomp (the entry points call it).

At every barrier a thread that finished its share spins, waiting for the others: by default libgomp spins
300,000 times (milliseconds on the 2-core Xeon) before it sleeps. When another process takes a core, the
training thread it displaced comes back only after its neighbour's time slice, and meanwhile the other one
spins on the core it could have run on: the first compiled default-decoder step after a neighbour started took
229-277 ms (then AdaptiveThreads drops to one thread). Measured on the Xeon (`bench.run.contention` alone, two
runs of two rounds per setting): that first step took 50-55 ms at 3,000 spins, 74-78 ms at 10,000, 85-91 ms at
30,000, with quiet steps of 18.8-20.2 ms at every setting; at 1,000 the threads slept between kernels and quiet
steps took 28.7 ms. Two quick benches at 10,000 against two unset: one core kept busy kept 57-59 % of the quiet
throughput against 44-45 %, the quiet throughput unchanged (101.0k / 100.8k against 100.2k / 101.1k tokens/s,
the textbook loop's 33.8k / 33.6k against 33.8k / 33.8k).

A spin is one `pause` instruction, ~140 cycles on this Xeon (Skylake and later) but ~10 on older Intel cores:
SPIN_COUNT is 10x the 3,000 that measured well here, so where a pause is 14x shorter it still spins about as
long as 2,000 did here, above the 1,000 at which threads slept between kernels. (In the full bench at 30,000 the
first contended step took 147 ms, one core busy kept 52 %.)
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

SPIN_COUNT = "30000"


def configure_openmp_waiting(environ: MutableMapping[str, str] = os.environ) -> None:
    """Spin SPIN_COUNT times at a barrier, unless the user chose (GOMP_SPINCOUNT or OMP_WAIT_POLICY).

    Only effective before torch is first imported: libgomp reads the variable when it loads."""
    if "GOMP_SPINCOUNT" not in environ and "OMP_WAIT_POLICY" not in environ:
        environ["GOMP_SPINCOUNT"] = SPIN_COUNT
