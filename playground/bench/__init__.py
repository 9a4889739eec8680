"""`playground bench`: the training-speed benchmark (run.py), its textbook reference (reference.py) and the
window-side measurements (window.py). See docs/performance.md for the latest figures."""
