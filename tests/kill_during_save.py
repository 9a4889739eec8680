"""Kill a saving process at random moments; after each kill the file must load as one whole save.

Run by tests/test_reliability.py in a fresh interpreter: forking there is safe (no other threads hold
locks), and each trial's fork costs milliseconds instead of a new interpreter.
Usage: python kill_during_save.py preset|checkpoint TRIALS FOLDER
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

import torch

from playground.core import presets
from playground.core.spec import RunSpec
from playground.training import checkpoint as ckpt_io

torch.set_num_threads(1)


def save_presets_forever(path: Path, ready_fd: int) -> None:
    for version in range(10**9):
        presets.save_preset(RunSpec(name=f"v{version}", description="x" * 3900), path)
        if version == 0:
            os.write(ready_fd, b"1")


def check_preset(path: Path) -> None:
    assert presets.load_preset(path).name.startswith("v")


def save_checkpoints_forever(folder: Path, ready_fd: int) -> None:
    spec = RunSpec()
    for step in range(10**9):
        weights = {f"w{i}": torch.full((8192,), float(step)) for i in range(8)}
        ckpt_io.save_checkpoint(folder, ckpt_io.Checkpoint(spec, step, weights, {"m": weights["w0"]}, {}))
        if step == 0:
            os.write(ready_fd, b"1")


def check_checkpoint(folder: Path) -> None:
    saved = ckpt_io.load_checkpoint(folder)  # one consistent save: every tensor holds its step
    assert len(saved.model) == 8 and all(torch.all(w == saved.step) for w in saved.model.values())
    assert torch.all(saved.optimizer["m"] == saved.step)


KINDS = {"preset": (save_presets_forever, check_preset, "p.json"),
         "checkpoint": (save_checkpoints_forever, check_checkpoint, "ckpt")}


def main(kind: str, trials: int, folder: Path) -> None:
    save, check, name = KINDS[kind]
    target = folder / name
    rng = random.Random(0)
    for _ in range(trials):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            save(target, write_fd)
            os._exit(0)
        os.close(write_fd)
        assert os.read(read_fd, 1) == b"1", "the saving process never finished a first save"
        os.close(read_fd)
        time.sleep(rng.uniform(0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        check(target)
    print(f"{trials} kills, {kind} intact every time")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
