"""TensorBoard event files in the run folder: `tensorboard --logdir <runs dir>` shows every run.

    log = TensorBoardLog(run_dir)            # or TensorBoardLog(run_dir, resume_from_step=session.step)
    session.subscribe(log)
    ...
    log.close()

Scalars: loss/train, loss/val, accuracy/val, accuracy/train, lr, throughput (tokens or images per
second). Images: attention/grid, one tile per layer (rows) and head (columns), each tile a query x key
heatmap scaled to its own maximum; the ViT probe image as attention/input. Text: samples. A setting changed
mid-run: a line of text under "changes" ("after step 100: lr 3e-3→1e-3") and the scalar settings/<key> at its old
value at that step and its new value at the next, so the curve steps where the first step trained with it.
Called from the training thread; it never touches Qt.
"""

from __future__ import annotations

import errno
import io
import time
from pathlib import Path

import numpy as np
from PIL import Image
from tensorboard.compat.proto.summary_pb2 import Summary
from torch.utils.tensorboard.summary import text as text_summary

from playground.training.events import AttentionSnapshot, Event, FinishedEvent, MetricsEvent, SampleEvent, SettingChange
from playground.viz.colors import lookup_table

MIN_TILE_PX = 48  # small attention maps are enlarged (nearest neighbour) to at least this many pixels
GAP_PX = 2  # background lines between tiles
# Summaries reach the event file in batches, at most about once a second: SummaryWriter's writer thread wakes up
# for every event, and each wake-up takes a core from training on a 2-core machine. Each keeps its own wall time.
WRITE_EVERY_S = 1.0
_LEVELS = lookup_table("viridis")[:, :3]  # the window's and the figures' colours, 256 levels


class TensorBoardLog:
    """A session subscriber that writes TensorBoard summaries into `folder`."""

    def __init__(self, folder: Path, resume_from_step: int | None = None, flush_secs: int = 10) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.folder = Path(folder)
        if not self.folder.is_dir():  # SummaryWriter makes its folder: a run folder moved away as the run loaded was
            # made again, empty, and the run trained on into it unsaid (CI: moved while TensorBoard was imported)
            raise FileNotFoundError(errno.ENOENT, "the run folder is gone", str(self.folder))
        # On resume from a checkpoint at step s, events after s are hidden, as MetricsLog drops their CSV rows.
        purge = None if resume_from_step is None else resume_from_step + 1
        # max_queue: a batch (about a second of steps) fits in the writer thread's queue, so handing it over never
        # blocks the training thread (its default, 10 events, would). Made at the first summary: a finished run
        # opened to be looked at got an empty events file each time (QA).
        self._make_writer = lambda: SummaryWriter(log_dir=str(self.folder), purge_step=purge, max_queue=1000,
                                                  flush_secs=flush_secs)
        self._writer: SummaryWriter | None = None
        self._closed = False
        self._pending: list[tuple[Summary, int, float]] = []  # (summary, step, wall time) not yet written
        self._written_at = time.monotonic()

    def __call__(self, event: Event) -> None:
        if self._closed:
            return
        if isinstance(event, MetricsEvent):
            self._metrics(event)
        elif isinstance(event, AttentionSnapshot):
            self._attention(event)
        elif isinstance(event, SampleEvent):
            self._summary(text_summary("samples", _as_code(event.text)), event.step)
        elif isinstance(event, SettingChange):
            self._change(event)
        elif isinstance(event, FinishedEvent):
            if event.message:
                self._summary(text_summary("status", event.message), event.step)
            self.flush()

    def _metrics(self, event: MetricsEvent) -> None:
        """One event per step holding all its scalars (add_scalar writes an event per scalar)."""
        scalars = {"loss/train": event.train_loss, "lr": event.lr, f"throughput/{event.unit}_per_s": event.throughput,
                   "accuracy/train": event.train_accuracy, "loss/val": event.val_loss,
                   "accuracy/val": event.val_accuracy}
        values = [Summary.Value(tag=tag, simple_value=value) for tag, value in scalars.items() if value is not None]
        self._summary(Summary(value=values), event.step)

    def _change(self, change: SettingChange) -> None:
        self._summary(text_summary("changes", f"after step {change.step}: {change.label}"), change.step)
        tag = f"settings/{change.key}"
        self._summary(Summary(value=[Summary.Value(tag=tag, simple_value=change.old)]), change.step)
        self._summary(Summary(value=[Summary.Value(tag=tag, simple_value=change.new)]), change.step + 1)

    def _attention(self, snap: AttentionSnapshot) -> None:
        self._image("attention/grid", attention_grid(snap.weights), snap.step)
        if snap.image is not None:
            image = np.asarray(snap.image, dtype=np.float32)
            if image.ndim == 2:
                image = np.repeat(image[..., None], 3, axis=-1)
            self._image("attention/input", _enlarge(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)), snap.step)

    def _image(self, tag: str, rgb: np.ndarray, step: int) -> None:
        """An (H, W, 3) uint8 image as a PNG summary, written directly: SummaryWriter.add_image converts the
        pixels to float and back and compresses hard, twice the time on the training thread."""
        png = io.BytesIO()
        Image.fromarray(rgb).save(png, format="PNG", compress_level=1)
        picture = Summary.Image(height=rgb.shape[0], width=rgb.shape[1], colorspace=3,
                                encoded_image_string=png.getvalue())
        self._summary(Summary(value=[Summary.Value(tag=tag, image=picture)]), step)

    def _summary(self, summary: Summary, step: int) -> None:
        self._pending.append((summary, step, time.time()))
        if time.monotonic() - self._written_at >= WRITE_EVERY_S:
            self._write_pending()

    def _write_pending(self) -> None:
        if not self._pending:
            return
        if not self.folder.is_dir():  # moved away: its writer thread, which writes by the file's name, would fail on them
            self._pending.clear()
            return
        if self._writer is None:
            self._writer = self._make_writer()
        # SummaryWriter's add_* methods each build their own Summary; ready-made ones go to its file writer.
        file_writer = self._writer.file_writer
        for summary, step, wall_time in self._pending:
            file_writer.add_summary(summary, step, wall_time)
        self._pending.clear()
        self._written_at = time.monotonic()

    def flush(self) -> None:
        if not self._closed:
            self._write_pending()
            if self._writer is not None:
                self._writer.flush()

    def close(self) -> None:
        if not self._closed:
            self._write_pending()
            self._closed = True
            if self._writer is not None:
                self._writer.close()


def attention_grid(weights: np.ndarray) -> np.ndarray:
    """(layers, heads, T, T) attention -> an RGB uint8 image (H, W, 3): rows are layers, columns heads."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 4 or weights.shape[-1] != weights.shape[-2]:
        raise ValueError(f"expected attention weights (layers, heads, T, T), got shape {weights.shape}")
    layers, heads, t, _ = weights.shape
    scale = max(1, -(-MIN_TILE_PX // t))  # ceil: tiles at least MIN_TILE_PX wide
    side = t * scale
    grid = np.full((layers * (side + GAP_PX) + GAP_PX, heads * (side + GAP_PX) + GAP_PX, 3), 255, dtype=np.uint8)
    for layer in range(layers):
        for head in range(heads):
            tile = weights[layer, head]
            peak = tile.max()
            tile = tile / peak if peak > 0 else tile
            rgb = _colour(tile.repeat(scale, axis=0).repeat(scale, axis=1))
            top, left = GAP_PX + layer * (side + GAP_PX), GAP_PX + head * (side + GAP_PX)
            grid[top : top + side, left : left + side] = rgb
    return grid


def _colour(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] -> uint8 RGB on the viridis scale (256 levels)."""
    levels = np.round(np.nan_to_num(np.clip(values, 0.0, 1.0)) * 255).astype(np.uint8)
    return _LEVELS[levels]


def _enlarge(image: np.ndarray) -> np.ndarray:
    scale = max(1, -(-MIN_TILE_PX * 2 // image.shape[0]))
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def _as_code(text: str) -> str:
    # TensorBoard renders text as Markdown: indent so spaces and newlines of the sample survive.
    return "\n".join("    " + line for line in text.splitlines()) or "    (empty)"
