"""Attention snapshots kept over a whole training run in bounded memory, saved in the run folder.

SnapshotTimeline keeps at most `capacity` snapshots (plus always the latest). When it is full it drops
every second one and from then on keeps only every second snapshot offered, so what it holds is always
spread evenly over the whole run: the first steps and the last are both there, at any run length.

On disk (RUN_DIR/attention/timeline.safetensors, written atomically): one float16 tensor per snapshot's
weights (L, H, T, T) and, for the ViT, its image; the steps, labels and predictions as JSON in the
file's metadata, so the file is always self-consistent. `playground attention RUN --out x.gif` replays it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from playground.core.atomic import atomic_write_bytes
from playground.core.files import elide
from playground.training.events import AttentionSnapshot, CheckpointEvent, Event, FinishedEvent

ATTENTION_DIR = "attention"
TIMELINE_FILE = "timeline.safetensors"
DEFAULT_CAPACITY = 64
FORMAT_VERSION = 1


class SnapshotTimeline:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 2:
            raise ValueError(f"a timeline keeps at least 2 snapshots, not {capacity}")
        self.capacity = capacity
        self._kept: list[tuple[int, AttentionSnapshot]] = []  # (ordinal, snapshot), ordinal = offer count
        self._latest: tuple[int, AttentionSnapshot] | None = None
        self._offered = 0
        self._stride = 1

    def __len__(self) -> int:
        return len(self.snapshots)

    @property
    def stride(self) -> int:
        """Every `stride`-th snapshot offered is kept (1, 2, 4, ... as the run grows)."""
        return self._stride

    @property
    def snapshots(self) -> list[AttentionSnapshot]:
        """Oldest first; the latest snapshot is always the last one."""
        return [snap for _, snap, _ in self._entries()]

    def _entries(self) -> list[tuple[int, AttentionSnapshot, bool]]:
        """(ordinal, snapshot, kept) oldest first; the latest is appended when thinning skipped it."""
        entries = [(o, s, True) for o, s in self._kept]
        if self._latest is not None and (not self._kept or self._kept[-1][0] != self._latest[0]):
            entries.append((self._latest[0], self._latest[1], False))
        return entries

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.snapshots]

    def add(self, snapshot: AttentionSnapshot) -> None:
        ordinal = self._offered
        self._offered += 1
        self._latest = (ordinal, snapshot)
        if ordinal % self._stride:
            return
        self._kept.append((ordinal, snapshot))
        if len(self._kept) >= self.capacity:
            self._stride *= 2
            self._kept = [(o, s) for o, s in self._kept if o % self._stride == 0]

    def at_step(self, step: int) -> AttentionSnapshot:
        """The newest snapshot taken at or before `step` (the oldest one if all are later)."""
        snaps = self.snapshots
        if not snaps:
            raise ValueError("the timeline is empty: no attention snapshot was recorded yet")
        earlier = [s for s in snaps if s.step <= step]
        return earlier[-1] if earlier else snaps[0]

    def drop_after(self, step: int) -> None:
        """Forget snapshots newer than `step` (a run resumed from an earlier checkpoint)."""
        self._kept = [(o, s) for o, s in self._kept if s.step <= step]
        if self._latest is not None and self._latest[1].step > step:
            self._latest = self._kept[-1] if self._kept else None

    # ----- files -----------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        from safetensors.numpy import save

        tensors: dict[str, np.ndarray] = {}
        entries = []
        for index, (ordinal, snap, kept) in enumerate(self._entries()):
            tensors[f"weights.{index}"] = np.ascontiguousarray(snap.weights, dtype=np.float16)
            if snap.image is not None:
                tensors[f"image.{index}"] = np.ascontiguousarray(snap.image, dtype=np.float16)
            tokens = None if snap.tokens is None else int(snap.tokens)
            entries.append({"step": int(snap.step), "labels": list(snap.labels), "prediction": snap.prediction,
                            "tokens": tokens, "image": snap.image is not None, "ordinal": ordinal, "kept": kept})
        meta = {"version": FORMAT_VERSION, "capacity": self.capacity, "stride": self._stride,
                "offered": self._offered, "snapshots": entries}
        return save(tensors, metadata={"timeline": json.dumps(meta)})

    def save(self, path: Path) -> Path:
        """Write atomically to `path` (a file) or to `path`/attention/timeline.safetensors (a run folder)."""
        path = Path(path)
        target = path if path.suffix == ".safetensors" else path / ATTENTION_DIR / TIMELINE_FILE
        atomic_write_bytes(target, self.to_bytes())
        return target

    @classmethod
    def load(cls, path: Path) -> SnapshotTimeline:
        """Read a timeline from its file or from a run folder."""
        from safetensors import SafetensorError

        path = Path(path)
        target = path if path.suffix == ".safetensors" else path / ATTENTION_DIR / TIMELINE_FILE
        if not target.exists():
            raise FileNotFoundError(  # (QA: it said "train it with `playground train`" of a run trained so)
                f"{target} does not exist: this run saved no attention snapshots, or the file was moved or deleted "
                f"(a run records them as it trains, in the window and with `playground train`)"
            )
        try:
            return cls._read(target)
        except (SafetensorError, KeyError, TypeError, ValueError) as err:
            # (QA: overwritten, it stopped `resume` with "unexpected problem: … header too large: please report it")
            raise ValueError(f"{elide(target, 70)} is damaged ({elide(err, 50) or type(err).__name__}): it only replays the "
                             f"attention during training; delete it, and the run records a new one as it trains "
                             f"on") from None

    @classmethod
    def _read(cls, target: Path) -> SnapshotTimeline:
        from safetensors import safe_open

        with safe_open(str(target), framework="numpy") as handle:
            meta = json.loads((handle.metadata() or {}).get("timeline", "{}"))
            if meta.get("version") != FORMAT_VERSION:
                raise ValueError("not an attention timeline this version can read")
            timeline = cls(int(meta["capacity"]))
            timeline._stride = int(meta["stride"])
            timeline._offered = int(meta["offered"])
            for index, entry in enumerate(meta["snapshots"]):
                image = handle.get_tensor(f"image.{index}").astype(np.float32) if entry["image"] else None
                snap = AttentionSnapshot(step=int(entry["step"]),
                                         weights=handle.get_tensor(f"weights.{index}").astype(np.float32),
                                         labels=list(entry["labels"]), image=image,
                                         prediction=entry.get("prediction", ""),
                                         tokens=entry.get("tokens"))  # (None in a file from before it was kept)
                if entry["kept"]:
                    timeline._kept.append((int(entry["ordinal"]), snap))
                timeline._latest = (int(entry["ordinal"]), snap)
        return timeline


class SnapshotRecorder:
    """A session subscriber: records every AttentionSnapshot and saves the timeline to the run folder
    at each checkpoint, at the end of the run, and on `flush()` (the CLI calls it when stopped)."""

    def __init__(self, run_dir: Path, capacity: int = DEFAULT_CAPACITY, resume_from_step: int | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / ATTENTION_DIR / TIMELINE_FILE
        self.timeline = SnapshotTimeline(capacity)
        # On resume, the snapshots a record deleted or damaged lacks, said (CLI QA: it started a fresh one unsaid)
        self.note = ""
        if resume_from_step is not None and self.path.exists():
            try:
                self.timeline = SnapshotTimeline.load(self.path)
                self.timeline.drop_after(resume_from_step)
            except (OSError, ValueError, KeyError):
                self.timeline = SnapshotTimeline(capacity)  # unreadable: start a fresh record
                self.note = self._lacking("could not be read", resume_from_step)
        elif resume_from_step:
            self.note = self._lacking("was missing", resume_from_step)
        self._dirty = False

    def _lacking(self, what: str, step: int) -> str:
        return (f"{ATTENTION_DIR}/{TIMELINE_FILE} {what}: the attention timeline goes on from step {step + 1:,} "
                f"without the snapshots of steps 0-{step:,}")

    def __call__(self, event: Event) -> None:
        if isinstance(event, AttentionSnapshot):
            self.timeline.add(event)
            self._dirty = True
        elif isinstance(event, (CheckpointEvent, FinishedEvent)):
            self.flush()

    def flush(self) -> None:
        """Save the timeline, unless the run folder is gone: its write would make the folder again, of the timeline
        alone (moved or deleted while the run trained)."""
        if self._dirty and len(self.timeline) and self.run_dir.is_dir():
            self.timeline.save(self.path)
            self._dirty = False
