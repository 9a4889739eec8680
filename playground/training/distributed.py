"""Data-parallel training on PyTorch's own engine: `torchrun --nproc_per_node N -m playground train PRESET`.

torchrun starts N copies of the command and tells each its place through the environment (WORLD_SIZE,
RANK, LOCAL_RANK, ...). Each copy here:

- joins the process group (NCCL on CUDA GPUs, gloo on CPU) and, on a GPU machine, uses GPU LOCAL_RANK;
- builds the same model from the same seed and wraps it in DistributedDataParallel, which averages the
  gradients of all processes after every backward pass, so every copy takes the same optimizer step;
- trains on its own share of the batch.

**The preset's `train.batch_size` is the global batch** and must be divisible by the number of processes:
every process draws the same global batch from the shared data seed and trains on its own slice
(rank r gets rows r*B/N .. (r+1)*B/N - 1). The processes therefore see different examples, and a run on N
processes follows the same loss curve as a one-process run of the same preset (up to float rounding; exactly
for tasks where every position is scored, like the decoder's next-token loss; for masked or padded targets
DDP averages per-process means, which weights tokens very slightly differently). Drawing the global batch
costs each process an indexing operation, negligible beside forward and backward for these datasets.
The reported training loss is the mean over the processes. Dropout masks differ per process.

Only rank 0 writes the run folder, metrics.csv, TensorBoard files, checkpoints and the progress bar; the
others train silently. On CPU each process gets cores / processes threads (1 each for 2 processes on 2 cores).
"""

from __future__ import annotations

import atexit
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from playground.core.spec import RunSpec, TrainSpec

if TYPE_CHECKING:
    from playground.data.base import Batch

ENV_KEYS = ("WORLD_SIZE", "RANK", "LOCAL_RANK")


class DistributedError(ValueError):
    """A distributed launch that cannot work; `str()` says why and what to do."""


@dataclass(frozen=True)
class DistContext:
    """This process's place in a torchrun launch."""

    rank: int
    local_rank: int
    world_size: int
    local_world_size: int
    backend: str  # "nccl" or "gloo"
    device: torch.device  # where this process trains

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes files and prints progress."""
        return self.rank == 0

    def per_process_batch(self, batch_size: int) -> int:
        if batch_size % self.world_size:
            lower = batch_size - batch_size % self.world_size
            fixes = " or ".join(str(v) for v in (lower, lower + self.world_size) if v > 0)
            raise DistributedError(
                f"batch size {batch_size} does not split evenly over {self.world_size} processes: the preset's "
                f"batch size is the global batch, so use {fixes} (--set train.batch_size=...)"
            )
        return batch_size // self.world_size

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The model inside DistributedDataParallel (which also copies rank 0's weights to every process)."""
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.device.index] if self.device.type == "cuda" else None
        # The models' buffers (the causal mask's bias, sinusoidal positions) are constants rebuilt from the spec:
        # DDP's default would broadcast them from rank 0 before every forward (n_layer * block_size^2 floats).
        wrapped = DistributedDataParallel(model, device_ids=device_ids, broadcast_buffers=False)
        if self.rank:
            # Same weights everywhere; different dropout masks per process (rank 0 keeps the run's own stream).
            torch.manual_seed(torch.initial_seed() + self.rank)
        return wrapped

    def shard(self, batch: Batch) -> Batch:
        """This process's slice of the global batch (the same rows a one-process run would use)."""
        from playground.data.base import Batch

        per = self.per_process_batch(batch.x.shape[0])
        rows = slice(self.rank * per, (self.rank + 1) * per)
        mask = None if batch.mask is None else batch.mask[rows]
        return Batch(batch.x[rows], batch.y[rows], mask)

    def mean(self, value: float) -> float:
        """The average of `value` over all processes (every process gets the same number)."""
        import torch.distributed as dist

        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return float(tensor.item()) / self.world_size


def launched_by_torchrun(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return all(key in env for key in ENV_KEYS) and int(env.get("WORLD_SIZE", "1")) > 1


def init_from_env(train: TrainSpec, environ: Mapping[str, str] | None = None) -> DistContext | None:
    """Join the torchrun process group; None when not launched by torchrun (or with one process)."""
    env = os.environ if environ is None else environ
    if not launched_by_torchrun(env):
        return None
    import torch.distributed as dist

    from playground.training.device import resolve_device

    world_size, rank, local_rank = (int(env[key]) for key in ENV_KEYS)
    local_world_size = int(env.get("LOCAL_WORLD_SIZE", world_size))
    device = resolve_device(train.device)
    if device.type == "mps":
        raise DistributedError("Apple's MPS backend has no multi-process training: use --device cpu with torchrun")
    if device.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise DistributedError(
                f"process {local_rank} on this machine has no GPU of its own ({torch.cuda.device_count()} visible): "
                f"start at most that many processes per node (--nproc_per_node)"
            )
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        # Processes share the cores: more threads than cores makes every process slower.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, local_world_size)))
        backend = "gloo"
    context = DistContext(rank, local_rank, world_size, local_world_size, backend, device)
    context.per_process_batch(train.batch_size)  # refuse an uneven split before any work
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, device_id=device if backend == "nccl" else None)
        atexit.register(_leave)  # after an error: leave without waiting for the others (torchrun stops them)
    return context


def finish() -> None:
    """At the end of a run: wait for every process, then leave the process group (no-op outside torchrun)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()  # rank 0 may still be saving the checkpoint
        dist.destroy_process_group()


def _leave() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def run_worker(session: Any, steps: int | None = None) -> int:
    """What ranks other than 0 do: train in step with rank 0, write nothing, print nothing."""
    from playground.training.events import FinishedEvent

    status = 0
    for event in session.run(steps):
        if isinstance(event, FinishedEvent) and event.reason != "completed":
            status = 3
    finish()
    return status


def cluster_command(preset_path: str | os.PathLike[str], nodes: int = 1, procs_per_node: str | int = "gpu",
                    endpoint: str = "$MASTER_ADDR:29500", runs_dir: str | os.PathLike[str] | None = None) -> str:
    """The shell command that trains `preset_path` data-parallel with torchrun (the window's
    "Copy command for a cluster"). nodes=1: every GPU of one machine; nodes>1: run the same command on
    every node, with MASTER_ADDR set to the first node's address."""
    if nodes < 1:
        raise ValueError(f"a cluster has at least one node, not {nodes}")
    parts = ["torchrun"]
    if nodes == 1:
        parts.append("--standalone")
    else:
        parts += [f"--nnodes={nodes}", "--rdzv_backend=c10d", f"--rdzv_endpoint={endpoint}", "--rdzv_id=playground"]
    parts += [f"--nproc_per_node={procs_per_node}", "-m", "playground", "train"]
    quoted = [shlex.quote(str(Path(preset_path)))]
    if runs_dir is not None:
        quoted += ["--runs-dir", shlex.quote(str(runs_dir))]
    # The endpoint keeps $MASTER_ADDR unquoted so the node's shell fills it in.
    return " ".join(parts + quoted)


def describe(context: DistContext | None, spec: RunSpec) -> str:
    """One line for the log: how the batch is split."""
    if context is None:
        return "one process"
    per = context.per_process_batch(spec.train.batch_size)
    return (f"{context.world_size} processes ({context.backend}), global batch {spec.train.batch_size} = "
            f"{context.world_size} x {per}")
