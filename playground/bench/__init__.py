"""`playground bench`: the training-speed benchmark (run.py), its textbook reference (reference.py), the learning
targets (to_target.py: launch to each preset's target against the reference; ablations.py) and the window-side
measurements (window.py). See docs/performance.md for the latest figures."""
