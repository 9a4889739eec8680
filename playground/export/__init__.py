"""Models out of (and into) the playground in the formats the ecosystem uses.

    hf.export_run(run_dir, out_dir)              # a Hugging Face folder transformers loads
    script.export_script(run_dir, out_path)      # one plain PyTorch file that rebuilds and trains the run
    scriptable.check_scriptable(spec)            # whether it can, said without PyTorch (the window's menu asks)

Nothing is imported here: the window reads `scriptable` on its thread, where importing PyTorch (as `hf` does)
would freeze it.
"""
