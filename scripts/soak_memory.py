"""Soak: resident memory stays flat over a long run of the default decoder preset.

Trains `decoder-pydoc` for N steps (default 20,000) headless, with everything a window run keeps alive
subscribed (metrics CSV, TensorBoard, the bounded attention-snapshot timeline), and compares the
resident memory after N steps with that after N/10.
Usage: python scripts/soak_memory.py [--steps N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from playground.analysis.timeline import SnapshotTimeline
from playground.core.presets import DEFAULT_PRESET, load_preset
from playground.training.events import AttentionSnapshot, MetricsEvent
from playground.training.runs import MetricsLog, prepare_run_dir
from playground.training.session import TrainingSession
from playground.training.tensorboard_log import TensorBoardLog


def rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    early = args.steps // 10
    spec = load_preset(DEFAULT_PRESET).updated({"train.max_steps": args.steps})
    rss: dict[int, int] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp)
        prepare_run_dir(run_dir, spec)
        session = TrainingSession(spec, run_dir=run_dir)
        timeline = SnapshotTimeline()
        log, board = MetricsLog(run_dir), TensorBoardLog(run_dir)
        session.subscribe(log)
        session.subscribe(board)
        session.subscribe(lambda e: timeline.add(e) if isinstance(e, AttentionSnapshot) else None)
        for event in session.run():
            if isinstance(event, MetricsEvent) and event.step in (early, args.steps):
                rss[event.step] = rss_bytes()
                print(f"step {event.step}: RSS {rss[event.step] / 2**20:.1f} MiB, "
                      f"loss {event.train_loss:.3f}, {event.throughput:,.0f} {event.unit}/s", flush=True)
        log.close()
        board.close()
    ratio = rss[args.steps] / rss[early]
    summary = {"preset": DEFAULT_PRESET, "steps": args.steps, "rss_early_mib": round(rss[early] / 2**20, 1),
               "rss_end_mib": round(rss[args.steps] / 2**20, 1), "rss_end_over_early_ratio": round(ratio, 4),
               "timeline_snapshots": len(timeline), "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    return 0 if ratio <= 1.05 else 1


if __name__ == "__main__":
    sys.exit(main())
