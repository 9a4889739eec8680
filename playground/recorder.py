"""What a run folder records, whichever front end trains it: the CLI and the window attach the same recorder.

metrics.csv (one row a step), TensorBoard events (scalars, samples, attention images), samples.jsonl (the samples,
for the window to show again) and the attention timeline (attention/, for `playground attention RUN --out x.gif`),
all resumable: on resume, what lies past the
checkpoint's step is dropped before new rows are added.
"""

from __future__ import annotations

from pathlib import Path

from playground.analysis.timeline import SnapshotRecorder
from playground.training.events import Event
from playground.training.runs import MetricsLog, SamplesLog
from playground.training.tensorboard_log import TensorBoardLog


class RunRecorder:
    """A session subscriber that writes every record of a run folder; `flush()` puts them on disk, `close()` ends
    them (call it once, when the run stops)."""

    def __init__(self, run_dir: Path, resume_from_step: int | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.metrics = MetricsLog(run_dir, resume_from_step=resume_from_step)
        try:
            self.board = TensorBoardLog(run_dir, resume_from_step=resume_from_step)
        except OSError:  # the run folder moved away meanwhile: the metrics file opened in it is let go (review)
            self.metrics.close()
            raise
        self.attention = SnapshotRecorder(run_dir, resume_from_step=resume_from_step)
        self.samples = SamplesLog(run_dir, resume_from_step=resume_from_step)
        self.notes = [note for note in (self.metrics.note, self.attention.note) if note]  # a resume's lacks, to say

    def __call__(self, event: Event) -> None:
        self.metrics(event)
        self.samples(event)
        self.board(event)
        self.attention(event)

    def flush(self) -> None:
        self.metrics.flush()
        self.board.flush()
        self.attention.flush()

    def close(self) -> None:
        """A run folder moved or deleted meanwhile gets nothing more: TensorBoard's events file is gone with it (and
        the timeline is not written, `SnapshotRecorder.flush`)."""
        there = self.run_dir.is_dir()
        self.attention.flush()
        self.metrics.close()
        try:
            self.board.close()
        except OSError:
            if there:
                raise
