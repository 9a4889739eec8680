"""Every speed decision of training, in one place; the plain path (training/step.py) is the textbook loop.

How a run's path is chosen (docs/performance.md has the figures):

- precision and attention path: measured, and kept only when measured on a quiet machine (training/device.py,
  machine.py reads what other processes use): bfloat16 autocast only
  where this CPU's bf16 matmuls measured clearly faster (or on a CUDA GPU), and the fused or explicit
  attention path, whichever measured faster in that precision;
- compile (choose.should_compile): the whole step as one torch.compile graph (compiled.py) when the run
  does enough work to win back the first compile, with inductor's documented options and custom-pass hook
  (compile_passes.py); with `auto` the eager step trains at once while a worker process (warm.py, worker.py)
  fills inductor's cache and a thread compiles from it, then the compiled step takes over on the same curve;
  if compiling fails the user is told and the plain step takes over;
- threads (threads.py): the eager and the compiled step alike all cores while that measures faster for the
  run's shape, one thread where that is faster or while another process wants a core;
- the process (process.py): OpenMP's spin count, inductor's cache folder and malloc's settings, applied only
  when the program opts in (the CLI's main, which also opens the window).

The session uses `choose.place` and `choose.make_step`; the CLI calls `process.configure_process` once.
"""
