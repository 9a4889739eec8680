"""Soak: open the app N times (default 100), press Play, close at a random moment (often while the training
step compiles) with CPU hogs beside it; count how many processes exit within 5 s of the close.

Usage: QT_QPA_PLATFORM=offscreen python scripts/soak_close.py [N] [--hogs 1] [--max-delay 25] [--cold 0.5]
       [--json FILE]
Each launch has its own settings file and runs folder in a temp directory; a fraction `--cold` of them gets an
empty inductor cache (TORCHINDUCTOR_CACHE_DIR), so that the first step compiles from scratch (tens of seconds).
Half the launches compile the training step, half train eagerly (so closes come while training and saving too).
Run with --child, it is the launched app itself: Play, then close after DELAY seconds, printing the moment.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

LIMIT_S = 5.0  # the most a close may take, from the close to the process's end
GIVE_UP_S = 150.0  # a process not gone by then is killed (and counted as not exiting in time)
TINY = {
    "name": "soak-close",
    "model": {"family": "decoder", "n_embd": 32, "n_head": 2, "n_layer": 1, "d_ff": 64, "block_size": 16},
    "data": {"name": "zen"},
    "train": {"batch_size": 8, "warmup_steps": 2, "max_steps": 100_000, "eval_interval": 50, "eval_batches": 1,
              "snapshot_interval": 5, "checkpoint_interval": 25, "device": "cpu", "compile": "on"},
}


def child(preset: str, delay: float) -> int:
    """The app: press Play when torch is loaded, close the window `delay` seconds after the start (printing
    CLOSING <monotonic> <phase>)."""
    from answer import answer_quit
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from playground.ui.app import make_app, run_app

    make_app()

    def window():
        return next(w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow")

    def close() -> None:
        w = window()
        worker = w.worker
        phase = "no run" if worker is None else "starting" if worker.step == 0 else "training"
        print(f"CLOSING {time.monotonic():.6f} {phase}", flush=True)
        QTimer.singleShot(0, answer_quit)  # "Quit while training?" (none asked otherwise: it stops trying at the end)
        w.close()

    def play() -> None:
        # Play once torch has loaded (two threads importing torch at once can fail); the close may come first.
        w = window()
        if not w.isVisible():
            return  # closed before torch loaded
        if "playground.training.session" in sys.modules and (w._warmup is None or w._warmup.isFinished()):
            w.playButton.click()
        else:
            QTimer.singleShot(100, play)

    QTimer.singleShot(0, play)
    QTimer.singleShot(round(delay * 1000), close)
    return run_app(preset)


def launch(preset: Path, delay: float, env: dict[str, str], log: Path) -> tuple[float | None, str, int | None]:
    """(seconds from the close to the exit or None if not gone in GIVE_UP_S, phase at the close, exit code)."""
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, __file__, "--child", str(preset), str(delay)],
                                stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        closed_at, phase = None, "never closed"
        for line in proc.stdout:  # the child prints CLOSING, then nothing: the pipe ends when it exits
            if line.startswith("CLOSING "):
                _, stamp, phase = line.split(maxsplit=2)
                closed_at, phase = float(stamp), phase.strip()
        try:
            code = proc.wait(timeout=GIVE_UP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None, phase, None
    if closed_at is None:
        return None, phase, code
    return time.monotonic() - closed_at, phase, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100)
    parser.add_argument("--hogs", type=int, default=1, help="busy-looping processes beside the app")
    parser.add_argument("--max-delay", type=float, default=25.0, help="closes come 0 to this many seconds after start")
    parser.add_argument("--cold", type=float, default=0.5, help="fraction of launches with an empty compile cache")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from playground.core.presets import save_preset
    from playground.core.spec import make_spec

    rng = random.Random(args.seed)
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hogs)]
    seconds: list[float] = []
    late: list[str] = []
    phases: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            presets = {mode: save_preset(make_spec({**TINY, "train": {**TINY["train"], "compile": mode}}),
                                         Path(tmp) / f"soak-{mode}.json") for mode in ("on", "off")}
            for i in range(args.n):
                mode = rng.choice(["on", "off"])  # compiled: closes while compiling; eager: closes while training
                cold = rng.random() < args.cold
                delay = rng.uniform(0, args.max_delay)
                env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                       "PLAYGROUND_SETTINGS": f"{tmp}/settings-{i}.ini", "PLAYGROUND_RUNS_DIR": f"{tmp}/runs",
                       "TORCHINDUCTOR_CACHE_DIR": f"{tmp}/inductor-{i if cold else 'warm'}"}
                took, phase, code = launch(presets[mode], delay, env, Path(tmp) / f"stderr-{i}.txt")
                phases[f"{phase}, compile {mode}"] += 1
                codes[str(code)] += 1
                shown = "not gone" if took is None else f"{took:.2f} s"
                print(f"close {i + 1}/{args.n}: {phase} after {delay:.1f} s (compile {mode}, "
                      f"{'cold' if cold else 'warm'} cache): "
                      f"exit {code} in {shown}", flush=True)
                if took is None or took > LIMIT_S or code != 0:
                    late.append(f"{i + 1}: {phase}, {shown}, exit {code}")
                    print((Path(tmp) / f"stderr-{i}.txt").read_text()[-1500:], file=sys.stderr)
                if took is not None:
                    seconds.append(took)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    summary = {"closes": args.n, "exited_within_5s": args.n - len(late), "slowest_s": round(max(seconds, default=0), 2),
               "median_s": round(sorted(seconds)[len(seconds) // 2], 2) if seconds else None,
               "phases": dict(phases), "exit_codes": dict(codes), "hogs": args.hogs, "failures": late,
               "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    return 0 if not late else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        sys.exit(child(sys.argv[2], float(sys.argv[3])))
    sys.exit(main())
