"""Transformer Playground."""

import os

# PyTorch's OpenMP threads spin while waiting for work. When another process holds a core (a browser, a
# second run), spinning threads fight it and a 2-thread step gets 10-50x slower (issue 8); passive
# waiting keeps ~half the quiet speed. OpenMP reads this once, when torch loads, so it is set here,
# before any torch import, and never over a value the user chose.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
