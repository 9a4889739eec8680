"""Soak: launch the app N times (default 100), start training, close mid-run; count clean exits.

Usage: QT_QPA_PLATFORM=offscreen python scripts/soak_launches.py [N] [--json FILE]
Each launch uses a tiny decoder preset and its own settings file and runs folder in a temp directory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from playground.core.presets import save_preset
from playground.core.spec import make_spec

DRIVER = Path(__file__).with_name("launch_train_close.py")
TINY = {
    "name": "soak",
    "model": {"family": "decoder", "n_embd": 32, "n_head": 2, "n_layer": 1, "d_ff": 64, "block_size": 16},
    "data": {"name": "zen"},
    "train": {"batch_size": 8, "warmup_steps": 2, "max_steps": 100_000, "eval_interval": 50, "eval_batches": 1,
              "snapshot_interval": 5, "checkpoint_interval": 100_000, "device": "cpu"},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    codes: Counter[int] = Counter()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        preset = save_preset(make_spec(TINY), Path(tmp) / "soak.json")
        for i in range(args.n):
            env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                   "PLAYGROUND_SETTINGS": f"{tmp}/settings-{i}.ini", "PLAYGROUND_RUNS_DIR": f"{tmp}/runs"}
            result = subprocess.run([sys.executable, str(DRIVER), str(preset)], capture_output=True, text=True,
                                    env=env, timeout=180)
            codes[result.returncode] += 1
            saved = "RESULT" in result.stdout
            print(f"launch {i + 1}/{args.n}: rc {result.returncode}{'' if saved else ' (no RESULT line)'}",
                  flush=True)
            if result.returncode != 0:
                print(result.stderr[-1500:], file=sys.stderr)
    summary = {"launches": args.n, "clean_exits": codes[0], "exit_codes": dict(codes),
               "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    return 0 if codes[0] == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
