"""TrainingSession: one run, stepped by whoever drives it (the CLI's for loop or the window's worker).

`run()` is a generator that yields once per optimizer step, so the driver can pause by simply not
pulling, stop between any two steps, and change a training setting between two steps with `change` (the
learning rate, dropout, weight decay, batch size, clipping: changes.py); a resumed run replays the changes its
run folder recorded after its checkpoint, each at its step.

A session given a run folder holds the folder's lock until `close()`: a second session on the same folder,
in this process or another, is refused. A checkpoint is only ever written of a whole step whose weights
evaluate to a finite loss under the divergence threshold (or past it only on validation, with training batches
under chance: a model that learnt a few examples by heart), so the one kept is always good to resume.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import numpy as np
import torch
import torch.nn.functional as F

from playground import data as datasets
from playground.core.estimates import flops_per_step
from playground.core.files import elide
from playground.core.spec import MAX_STEPS, RunSpec
from playground.data.base import IGNORE_INDEX, Batch, Dataset
from playground.data.registry import SPLIT_VERSION
from playground.models import build_model
from playground.training import checkpoint as ckpt_io
from playground.training.changes import (
    LIVE_SETTINGS,
    SettingChange,
    parse_changes,
    read_changes,
    setting,
    write_changes,
)
from playground.training.checkpoint_state import check_same_data, train_again
from playground.training.device import BlockShape, Placement, resolve_device
from playground.training.distributed import DistContext
from playground.training.events import (
    SAMPLE_TEMPERATURE,
    TRAINING_ON,
    AttentionSnapshot,
    CheckpointEvent,
    Event,
    FinishedEvent,
    MetricsEvent,
    SampleEvent,
    StatusEvent,
)
from playground.training.fastpath.choose import eager_threads, make_step, place, worker_warm
from playground.training.fastpath.compiled import BackgroundStep
from playground.training.fastpath.threads import usable_cores
from playground.training.memory import check_fits, out_of_memory_message
from playground.training.runs import CHECKPOINT_DIR, lock_run_dir, remove_temporaries

if TYPE_CHECKING:
    from filelock import BaseFileLock

THROUGHPUT_WINDOW = 20  # steps averaged for tokens/s and the ETA
# A classifier's run saved by a version that may have parted its rows otherwise: its validation rows may be others,
# some of them trained on (review: resumed, the curve could jump without a word)
OTHER_SPLIT = ("This run was saved by an earlier version of the playground, which may have chosen other validation "
               "rows: if it did, some of the rows it validates on now were trained on, and its validation loss and "
               "accuracy may jump here; for a clean curve, train a new run.")
# Said once a run, when the validation loss passes the divergence threshold while the training batches do not.
MEMORISING = ("Validation loss {val:.3g} against a training loss of {train:.2g}: the model learns its training "
              "examples by heart instead of what carries over to new ones (more data helps most; dropout or weight "
              "decay a little)")

Args = ParamSpec("Args")
Result = TypeVar("Result")
Emitted = TypeVar("Emitted", bound=Event)  # the event `_emit` hands back, as the type it was given


def holding_model(
    method: Callable[Concatenate[TrainingSession, Args], Result],
) -> Callable[Concatenate[TrainingSession, Args], Result]:
    """The method uses the model under the session's model lock (a background compile traces it meanwhile)."""

    @functools.wraps(method)
    def locked(self: TrainingSession, *args: Args.args, **kwargs: Args.kwargs) -> Result:
        with self.model_lock:
            return method(self, *args, **kwargs)

    return locked


class TrainingSession:
    def __init__(self, spec: RunSpec, run_dir: Path | None = None, dataset: Dataset | None = None,
                 dist: DistContext | None = None, run_lock: BaseFileLock | None = None) -> None:
        """run_lock: the run folder's lock when the caller took it already (the CLI does, before torch loads);
        without it a session given a run_dir takes the lock itself."""
        self.spec = spec
        self.dist = dist  # set under torchrun: data-parallel over several processes (distributed.py)
        self.run_dir = run_dir
        where = resolve_device(spec.train.device)  # a device this machine lacks is refused before the data loads
        self.dataset = dataset or datasets.load(spec.data, spec.model, spec.train.seed)
        self.info = self.dataset.info
        self._fingerprint = self.dataset.fingerprint()  # what the ids stand for, kept in every checkpoint
        # refused before its precision is measured: one block of a model far too large took 18-47 s to time
        check_fits(spec, self.info, where)
        self.placement: Placement = place(spec)
        self._subscribers: list[Callable[[Event], None]] = []
        self._peak_lr = spec.train.lr
        self.checkpoint_step: int | None = None  # the step of the last checkpoint saved or resumed (None: none)
        self.sample_prompt = ""  # what the periodic samples continue (the window's prompt box); "" = the default
        self.sample_temperature = SAMPLE_TEMPERATURE  # what they are drawn at (the window's temperature box)
        self._sampled_step = -1  # the step whose sample was drawn (by the loop, or early by `take_due_sample`)
        self._resumed_note = ""  # said as the run goes on from its checkpoint (`OTHER_SPLIT`)
        self._draws = (-1, 0)  # (step, samples drawn at it): the next one at that step is another draw
        # Held while anything uses the model: a step, an evaluation, a snapshot, a sample, the window's jobs, and
        # the background compile while dynamo traces the live modules (compiled.BackgroundStep).
        self.model_lock = threading.RLock()
        self.reset()
        self._run_lock = run_lock if run_lock is not None or run_dir is None else lock_run_dir(run_dir)

    # ----- lifecycle -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Fresh weights and optimizer from the seed: the same spec always starts the same curve."""
        torch.manual_seed(self.spec.train.seed)
        self._decay_end = self.spec.train.max_steps  # where the cosine decay ends: `extend` trains past it
        self.model = self._build_model().to(self.placement.device)
        self._train_model = self.dist.wrap(self.model) if self.dist else self.model  # DDP for training steps
        self.optimizer = self._build_optimizer()
        self._step_fn = make_step(self.model, self.optimizer, self.placement, self.spec.train.grad_clip,
                                  self._logits_and_loss, compile_mode="off" if self.dist else self.spec.train.compile,
                                  flops_per_step=flops_per_step(self.spec, self.info),
                                  max_steps=self.spec.train.max_steps, spec=self.spec, model_lock=self.model_lock)
        self.generator = torch.Generator().manual_seed(self.spec.train.seed)
        self.step = 0
        self.changes: list[SettingChange] = []  # the settings changed so far, in order (saved with a checkpoint)
        self._planned: list[SettingChange] = []  # changes a resumed run replays, each when it reaches its step
        self._stop: int | None = None  # the step `run(steps)` stops at before the run's end, if any
        self.diverged = False  # set when the loss blew up: save() then keeps the last good checkpoint
        self._told_memorising = False  # the note on a validation loss far above the training loss, said once
        self._whole_step = True  # False while a step runs: a step cut off midway (Ctrl-C) is never saved
        self.stepping = False  # `run` is in a training step (not in what follows one: a snapshot, a checkpoint)
        self._evaluated: tuple[int, float] | None = None  # (step, validation loss) of the latest evaluation
        self._judged: tuple[int, float] | None = None  # the evaluation `_evaluates_good` judged last
        self._step_times: list[float] = []
        self._elapsed = 0.0

    def _build_model(self) -> torch.nn.Module:
        if self.spec.model.pretrained:
            from playground.models.pretrained import freeze_lower_layers, load_pretrained_encoder

            model = load_pretrained_encoder(self.spec.model.pretrained, self.info, self.spec.model)
            freeze_lower_layers(model, self.spec.model.freeze_layers)
            return model
        return build_model(self.spec.model, self.info)  # applies freeze_layers itself

    def _build_optimizer(self) -> torch.optim.Optimizer:
        # Weight decay on matrices only: decaying biases and LayerNorm gains hurts small models (nanoGPT).
        params = [p for p in self.model.parameters() if p.requires_grad]
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        groups = [
            {"params": decay, "weight_decay": self.spec.train.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        # torch's fused AdamW kernel (public `fused=True`) updates every tensor in one parallel pass instead of a
        # Python loop of small kernels: the same algorithm, ~1 ms a step less (docs/performance.md).
        fused = self.placement.device.type in ("cpu", "cuda")
        return torch.optim.AdamW(groups, lr=self.lr_at(0), betas=(0.9, 0.95), fused=fused)

    def subscribe(self, callback: Callable[[Event], None]) -> None:
        self._subscribers.append(callback)

    def _emit(self, event: Emitted) -> Emitted:
        for callback in self._subscribers:
            callback(event)
        return event

    def device_description(self) -> str:
        """Where training runs, with the thread count the compiled CPU path uses right now (it adapts)."""
        return self._step_fn.device_description()

    def follow_threads(self, leader: TrainingSession) -> None:
        """Train each step at the thread count `leader`'s step of the same number takes (Compare A/B's B: the two
        curves then round alike), where both train the same kind of step on the same block shape; else (another
        model shape, one side compiled) each keeps choosing its own. Until the next reset; call before training."""
        mine, theirs = eager_threads(self._step_fn), eager_threads(leader._step_fn)
        alike = type(self._step_fn) is type(leader._step_fn) and BlockShape.of(self.spec) == BlockShape.of(leader.spec)
        if mine is not None and theirs is not None and alike:
            mine.follow(theirs)

    def follows_threads(self) -> bool:
        """Whether this session's steps take another's thread counts (follow_threads)."""
        policy = eager_threads(self._step_fn)
        return policy is not None and policy.leader is not None

    def fills_cores(self) -> bool:
        """Training runs on the CPU with a thread on every usable logical CPU right now: nothing is left for a
        window's painting, which had better wait between steps. (The compiled path on a machine without
        hyperthreads at every core, the eager path on one core or with OMP_NUM_THREADS at the CPU count.)"""
        return self.placement.device.type == "cpu" and torch.get_num_threads() >= usable_cores()

    # ----- settings changed mid-run -------------------------------------------------------------------
    @holding_model
    def change(self, key: str, value: float) -> SettingChange | None:
        """Set the training setting `key` (one of changes.LIVE_SETTINGS) to `value` between two steps: the next
        step trains with it. Call it from the thread that drives the session, never during a step. The change is
        recorded (`changes`, the run folder's changes.json, the subscribers) and returned; None when `value` is
        the setting's value already. A value the spec refuses, or a batch that does not fit in memory, raises."""
        if key not in LIVE_SETTINGS:
            raise ValueError(f"'{key}' cannot change during a run: only {', '.join(LIVE_SETTINGS)} can (reset to "
                             f"change the rest)")
        old = self._peak_lr if key == "train.lr" else setting(self.spec, key)
        spec = self.spec.updated({key: value})
        if setting(spec, key) == old:
            return None
        if key == "train.batch_size":
            check_fits(spec, self.info, self.placement.device)
        elif key == "train.max_steps":
            self._check_end(spec.train.max_steps)
        if self.run_dir is not None:
            self._run_folder()  # (its changes.json, written below, would make a folder moved away again)
        self.spec = spec
        self._apply_setting(key)
        change = SettingChange(self.step, key, old, setting(spec, key))
        self.changes.append(change)
        self._planned = [p for p in self._planned if (p.step, p.key) != (change.step, change.key)]
        if self.run_dir is not None:
            write_changes(self.run_dir, self.changes + self._planned)
        self._emit(change)
        return change

    def _apply_setting(self, key: str) -> None:
        """Put the spec's value of `key` where training reads it: the schedule's peak, every dropout, the matrices'
        weight decay, the step's clipping (the batch size and the training steps are read at each step)."""
        train = self.spec.train
        if key == "train.lr":
            self._peak_lr = train.lr  # a compiled step reads the rate as a tensor: nothing to rebuild
            return
        if key == "train.max_steps":  # the loop reads it before each step; the schedule keeps its end (`_check_end`)
            if isinstance(self._step_fn, BackgroundStep):
                self._step_fn.end_at(self._target())  # compiling weighed against the steps left now
            return
        if key == "model.dropout":
            self.model.set_dropout(self.spec.model.dropout)
        elif key == "train.weight_decay":
            self.optimizer.param_groups[0]["weight_decay"] = train.weight_decay  # group 0 decays (_build_optimizer)
        if isinstance(self._step_fn, BackgroundStep):  # its worker compiles the new settings' graph
            self._step_fn.rewarm(lambda spec=self.spec: worker_warm(spec, self.placement))
        self._step_fn.retune(train.grad_clip)  # a compiled step baked in these (and the batch's shape)

    def _replay_due(self) -> Iterator[SettingChange]:
        """The recorded changes due at this step, applied (a resumed run meets them where the first run did)."""
        while self._planned and self._planned[0].step <= self.step:
            planned = self._planned.pop(0)
            change = self.change(planned.key, planned.new)
            if change is not None:
                yield change

    # ----- learning rate ---------------------------------------------------------------------------
    def lr_at(self, step: int) -> float:
        train = self.spec.train
        if step < train.warmup_steps:
            return self._peak_lr * (step + 1) / train.warmup_steps
        span = max(1, self._decay_end - train.warmup_steps)
        progress = min(1.0, (step - train.warmup_steps) / span)
        floor = self._peak_lr * train.min_lr_ratio
        return floor + 0.5 * (self._peak_lr - floor) * (1 + math.cos(math.pi * progress))

    # ----- one step --------------------------------------------------------------------------------
    def _forward_loss(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        with self.placement.autocast_context():
            return self._logits_and_loss(batch)

    def _logits_and_loss(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """The forward pass and its loss, in the precision of the caller's autocast; the loss itself in fp32."""
        model = self._train_model if self.model.training else self.model
        logits = model(batch.x, batch.mask).logits
        loss = F.cross_entropy(logits.float().flatten(0, -2), batch.y.flatten(), ignore_index=IGNORE_INDEX)
        return loss, logits

    @holding_model
    def train_step(self) -> MetricsEvent:
        started = time.perf_counter()
        self._whole_step = False
        if not self.model.training:  # after a snapshot or an evaluation; the walk over every module took 0.13 ms
            self.model.train()
        lr = self.lr_at(self.step)
        batch = self.dataset.batch("train", self.spec.train.batch_size, self.generator).to(self.placement.device)
        if self.dist:
            batch = self.dist.shard(batch)  # this process's slice of the global batch
        loss_value = self._step_fn(batch, lr)
        if self.dist:
            loss_value = self.dist.mean(loss_value)
        self.step += 1
        self._whole_step = True
        took = time.perf_counter() - started
        self._elapsed += took
        self._step_times = (self._step_times + [took])[-THROUGHPUT_WINDOW:]
        return self._metrics(loss_value, lr, self._units(batch) * (self.dist.world_size if self.dist else 1))

    def _units(self, batch: Batch) -> int:
        if self.info.unit == "images":
            return batch.x.shape[0]
        return int(batch.mask.sum()) if batch.mask is not None else batch.x.numel()

    def _metrics(self, loss: float, lr: float, units: int, **extra: object) -> MetricsEvent:
        mean_step = sum(self._step_times) / len(self._step_times)
        remaining = max(0, self.spec.train.max_steps - self.step)
        return MetricsEvent(
            step=self.step,
            max_steps=self.spec.train.max_steps,
            train_loss=loss,
            lr=lr,
            throughput=units / mean_step if mean_step > 0 else 0.0,
            unit=self.info.unit,
            elapsed_s=self._elapsed,
            eta_s=remaining * mean_step,
            **extra,  # type: ignore[arg-type]
        )

    # ----- evaluation ------------------------------------------------------------------------------
    @holding_model
    @torch.no_grad()
    def evaluate(self) -> tuple[float, float | None, np.ndarray | None]:
        """Validation loss, accuracy and (classifiers) confusion matrix on the same batches every time
        (`Dataset.validation_batches`); the loss the batches' means weighted by their rows, as a small set's last
        batch is smaller."""
        self.model.eval()
        train = self.spec.train
        total_loss = correct = counted = examples = 0.0
        drawn = []
        for batch in self.dataset.validation_batches(train.batch_size, train.eval_batches, train.seed + 1):
            batch = batch.to(self.placement.device)
            loss, logits = self._forward_loss(batch)
            scored = batch.y != IGNORE_INDEX
            predicted = logits.argmax(-1)
            total_loss += loss.item() * len(batch.y)
            examples += len(batch.y)
            correct += (predicted[scored] == batch.y[scored]).sum().item()
            counted += scored.sum().item()
            if self.info.task == "classify":
                drawn.append((batch.y, predicted))
        accuracy = correct / counted if counted else None
        self._evaluated = (self.step, total_loss / examples)
        return self._evaluated[1], accuracy, self._confusion(drawn)

    def _confusion(self, drawn: list[tuple[torch.Tensor, torch.Tensor]]) -> np.ndarray | None:
        """A classifier's (true, predicted) counts over the validation batches `drawn` (targets, predictions)."""
        if self.info.task != "classify":
            return None
        confusion = np.zeros((self.info.n_classes, self.info.n_classes), dtype=np.int64)
        for truth, predicted in drawn:
            np.add.at(confusion, (truth.cpu().numpy(), predicted.cpu().numpy()), 1)
        return confusion

    # ----- attention and samples -------------------------------------------------------------------
    @holding_model
    @torch.no_grad()
    def snapshot(self, batch: Batch | None = None) -> AttentionSnapshot:
        """Every layer's attention for the probe (or a given B=1 batch), through the explicit path."""
        batch = (batch or self.dataset.probe()).to(self.placement.device)
        self.model.eval()
        out = self.model(batch.x, batch.mask, output_attentions=True)
        weights = torch.stack([a[0] for a in out.attentions]).float().cpu().numpy()  # (L, H, T, T)
        return AttentionSnapshot(
            step=self.step,
            weights=weights,
            labels=self.dataset.token_labels(batch.x[0].cpu()),
            image=self.dataset.display_image(batch.x[0]) if self.info.unit == "images" else None,
            prediction=self._describe_prediction(out.logits[0]),
            tokens=_leading_tokens(batch),
        )

    def _describe_prediction(self, logits: torch.Tensor) -> str:
        if self.info.task == "classify":
            probs = logits.float().softmax(-1)
            best = int(probs.argmax())
            name = self.info.class_names[best] if best < len(self.info.class_names) else str(best)
            return f"{name} ({probs[best]:.0%})"
        return self.dataset.decode(logits.argmax(-1).tolist())

    @holding_model
    @torch.no_grad()
    def predict(self, text: str) -> list[tuple[str, float]]:
        """'Try it': (class name, probability) of a text classifier for typed text, most likely first."""
        if self.info.task != "classify" or self.info.unit != "tokens":
            raise ValueError("only a text classifier (an encoder on sentences) predicts a class for typed text")
        batch = self.dataset.example(text).to(self.placement.device)
        self.model.eval()
        probs = self.model(batch.x, batch.mask).logits[0].float().softmax(-1).cpu().tolist()
        names = [self.info.class_names[i] if i < len(self.info.class_names) else str(i) for i in range(len(probs))]
        return sorted(zip(names, probs), key=lambda pair: -pair[1])

    @holding_model
    @torch.no_grad()
    def sample(self, prompt: str = "", max_new_tokens: int = 120, temperature: float = SAMPLE_TEMPERATURE,
               on_token: Callable[[str], None] | None = None, seed: int | None = None) -> str:
        """Generate text from the decoder, one token at a time, cropping the context to block_size; `on_token` gets
        each new token's text as it comes (the command line keeps them, so Ctrl-C loses none). `seed` draws the
        characters (default: the run's seed): the same seed, the same text."""
        if self.info.task != "lm":
            raise ValueError("only a decoder generates text")
        self.model.eval()
        # Without a prompt, start from the probe's first token: always a token the vocabulary knows.
        ids = self.dataset.encode(prompt) if prompt else self.dataset.probe().x[0, :1].tolist()
        x = torch.tensor([ids], dtype=torch.long, device=self.placement.device)
        generator = torch.Generator(device=self.placement.device).manual_seed(
            self.spec.train.seed if seed is None else seed)
        for _ in range(max_new_tokens):
            logits = self.model(x[:, -self.spec.model.block_size :]).logits[:, -1, :].float()
            if temperature == 0:  # the likeliest token, whatever the draw: the same text every time
                token = logits.argmax(dim=-1, keepdim=True)
            else:
                probs = torch.softmax(logits / max(temperature, 1e-4), dim=-1)  # (a tinier one overflows)
                token = torch.multinomial(probs, 1, generator=generator)
            x = torch.cat([x, token], dim=1)
            if on_token is not None:
                on_token(self.dataset.decode(x[0, -1:].tolist()))
        return self.dataset.decode(x[0, len(ids) :].tolist())

    # ----- the loop --------------------------------------------------------------------------------
    def run(self, steps: int | None = None) -> Iterator[Event]:
        """Train until max_steps (or `steps` more), yielding a MetricsEvent each step and the rest as due."""
        self._stop = None if steps is None else self.step + steps
        if isinstance(self._step_fn, BackgroundStep):
            self._step_fn.end_at(self._target())
        if self.step == 0:
            yield self._emit(StatusEvent(TRAINING_ON.format(device=self.device_description())))
            yield self._emit(self.snapshot())
        if self._resumed_note:
            yield self._emit(StatusEvent(self._resumed_note, "warning", step=self.step))
            self._resumed_note = ""
        while True:
            if self._planned:  # (before the end is read: a run resumed at its end may have gone on from there)
                yield from self._replay_due()
            if self.step >= self._target():
                break
            train = self.spec.train  # read at each step: the training steps can go up on the way
            for note in self._step_fn.notes():  # "compiling the training step..." and how long it took
                yield self._emit(StatusEvent(note, step=self.step))
            self.stepping = True
            try:
                event = self.train_step()
            except torch.cuda.OutOfMemoryError:
                event = None
            finally:
                self.stepping = False  # (before any yield: the run waits there)
            if event is None:  # out of memory
                self.optimizer.zero_grad(set_to_none=True)
                torch.cuda.empty_cache()
                yield self._emit(FinishedEvent(self.step, "out_of_memory", out_of_memory_message(self.spec)))
                return
            # The step that diverged is shown and recorded like any other (the train bar and the Runs tab said step
            # 99 and the previous loss beside "the validation loss became ... at step 100"), then the run ends.
            if self._diverging(event.train_loss):
                yield from self._end_diverged(event, "training", event.train_loss)
                return
            due = self._due
            if due(train.eval_interval):
                val_loss, val_acc, confusion = self.evaluate()
                event = MetricsEvent(**{**event.__dict__, "val_loss": val_loss, "val_accuracy": val_acc,
                                        "confusion": confusion})
                if self._blown_up(val_loss):
                    yield from self._end_diverged(event, "validation", val_loss)
                    return
                if self._diverging(val_loss) and not self._told_memorising:
                    self._told_memorising = True
                    yield self._emit(StatusEvent(MEMORISING.format(val=val_loss, train=event.train_loss), "warning",
                                                 self.step))
            # Every process of a distributed run checks the weights a checkpoint would keep, rank 0 alone saving them:
            # a rank 0 ending there by itself left the others waiting in the next step's all-reduce (review).
            checkpoint = due(train.checkpoint_interval) and (self.run_dir is not None or self.dist is not None)
            if checkpoint and not self._evaluates_good():  # (evaluated before the step is seen, as above)
                yield from self._end_diverged(event, "validation", self._evaluated[1])  # type: ignore[index]
                return
            yield self._emit(event)
            if self.snapshot_due():
                yield self._emit(self.snapshot())
            sample = self.take_due_sample()
            if sample is not None:
                yield sample
            if checkpoint and self.run_dir is not None:
                folder = self.save()
                if self.checkpoint_step == self.step:  # (a step cut off midway saves nothing)
                    yield self._emit(CheckpointEvent(self.step, folder))
        if self.step >= self.spec.train.max_steps:
            yield self._emit(FinishedEvent(self.step, "completed"))

    def _target(self) -> int:
        """The step the loop trains to: the run's end, or where `run(steps)` stops before it."""
        end = self.spec.train.max_steps
        return end if self._stop is None else min(end, self._stop)

    def sample_event(self, prompt: str) -> SampleEvent:
        """A sample of `prompt` from the weights now, sent to the subscribers as the loop's are: the run's records
        keep it (data QA: the ones the window's Sample now drew were gone when the run came back)."""
        step, drawn = self._draws
        draw = drawn if step == self.step else 0  # (lecturer QA: Sample now twice at a step gave the same text)
        self._draws = (self.step, draw + 1)
        temperature = self.sample_temperature
        text = self.sample(prompt, temperature=temperature, seed=self.spec.train.seed + draw)
        return self._emit(SampleEvent(self.step, prompt, text, temperature))

    def take_due_sample(self) -> SampleEvent | None:
        """This step's sample, if it has one not drawn yet, sent to the subscribers as the loop sends it: the first
        step's (noise to start from), then one every interval, none from weights that blew up. A window paused
        after a step draws it early (lesson 19.6's "after 300 steps" showed step 200's), and the loop then not again."""
        due = self.step == 1 or self._due(self.spec.train.sample_interval)
        if not (self.info.samples_text and self.step > 0 and due) or self.diverged or self._sampled_step == self.step:
            return None
        self._sampled_step = self.step
        return self.sample_event(self.sample_prompt)

    def snapshot_due(self) -> bool:
        """This step's attention snapshot is one of the run's (every snapshot_interval steps, and the last): the
        loop sends it after the step's metrics."""
        return self._due(self.spec.train.snapshot_interval)

    def _due(self, interval: int) -> bool:
        return self.step % interval == 0 or self.step == self.spec.train.max_steps

    def _chance(self) -> float:
        """The loss of a model that guesses: ln(classes)."""
        return math.log(max(2, self.info.n_classes))

    def _diverging(self, loss: float) -> bool:
        # Ten times chance only happens when the weights have blown up.
        return not math.isfinite(loss) or loss > 10 * self._chance()

    def _blown_up(self, val_loss: float) -> bool:
        """The validation loss says the weights blew up: it is not finite, or past the threshold while a training
        batch is no better than chance. A model that memorised a handful of training rows (a training batch under
        chance) puts a finite but huge loss on the validation rows it gets wrong (QA: an 8-row CSV was stopped as
        diverged at a validation loss of 9.2, its training loss 0.0001), and may train on."""
        if not math.isfinite(val_loss):
            return True
        return self._diverging(val_loss) and self._training_batch_loss() >= self._chance()

    @holding_model
    @torch.no_grad()
    def _training_batch_loss(self) -> float:
        """The loss of the weights now on one training batch, drawn by a generator of its own (the run's batch order
        stays as it was) and the same in every process of a distributed run."""
        self.model.eval()
        generator = torch.Generator().manual_seed(self.spec.train.seed + self.step)
        batch = self.dataset.batch("train", self.spec.train.batch_size, generator).to(self.placement.device)
        return self._forward_loss(batch)[0].item()

    def _end_diverged(self, event: MetricsEvent, kind: str, loss: float) -> Iterator[Event]:
        """The step that diverged, its blown-up loss left out (NaN: curves skip it, and a finite 1e4 had flattened
        every curve and axis it was drawn on; the end message says it), then the end of the run. `diverged` is set
        as the step is seen: the window's worker, stepping once, goes on to the end rather than pausing on it."""
        finished = self._diverged(kind, loss, event.lr)
        yield self._emit(MetricsEvent(**{**event.__dict__, "train_loss" if kind == "training" else "val_loss": math.nan}))
        yield self._emit(finished)

    def _diverged(self, kind: str, loss: float, lr: float) -> FinishedEvent:
        self.diverged = True
        kept = ("no checkpoint was saved before it, so start again" if self.checkpoint_step is None
                else f"the last good checkpoint, of step {self.checkpoint_step}, is kept")
        return FinishedEvent(
            self.step,
            "diverged",
            f"the {kind} loss became {loss:.4g} at step {self.step}: {_rate_words(lr, self._peak_lr)} is most "
            f"likely too high. Try {self._peak_lr / 10:.3g}; {kept}.",
        )

    def extend(self, steps: int) -> None:
        """Let training go `steps` past the current step, beyond the run's end if need be: a change of the
        training steps (recorded like any, `change`)."""
        if steps < 1:
            raise ValueError(f"a run is extended by at least 1 step, not {steps}")
        target = self.step + steps
        if target > MAX_STEPS:  # (pydantic's "less than or equal to 100000000, got 1000000000020" said neither)
            raise ValueError(f"a run trains at most {MAX_STEPS:,} steps, and this one is at step {self.step:,}: "
                             f"at most {MAX_STEPS - self.step:,} more")
        if target > self.spec.train.max_steps:
            # A raise recorded after the checkpoint, replayed on the way, would bring the end back down (review); gone
            # before the change writes the record, or a second resume met it there
            self._planned = [p for p in self._planned if p.key != "train.max_steps" or p.new >= target]
            self.change("train.max_steps", target)

    @property
    def planned_end(self) -> int:
        """The step this run trains to: its training steps, or more where a change recorded after its checkpoint
        (replayed on the way) raises them."""
        raised = [int(change.new) for change in self._planned if change.key == "train.max_steps"]
        return raised[-1] if raised else self.spec.train.max_steps

    @property
    def decay_end(self) -> int:
        """The step where the cosine decay reaches lr x min_lr_ratio: the run's first end, which more training
        steps leave where it is."""
        return self._decay_end

    def _check_end(self, end: int) -> None:
        """Refuse training steps that would cut the run short of its step or its schedule, or train on at a rate
        of 0. The schedule keeps its end, so steps past it train at its final rate and the curve continues without
        a jump (a schedule stretched to the new end would throw the rate back up)."""
        if self.diverged:
            raise ValueError("this run stopped where its loss blew up: more steps would not mend it; train a new run "
                             "with a lower learning rate")
        if end < max(self.step, self._decay_end):
            raise ValueError(f"this run's steps can go up from {self.spec.train.max_steps:,}, not down to {end:,} "
                             f"(it is at step {self.step:,}, its learning rate planned for {self._decay_end:,}): "
                             f"train a new run with fewer steps instead")
        if end > self._decay_end and self.lr_at(self._decay_end) <= 0:
            raise ValueError("this run's learning rate decays to 0 at its end (train.min_lr_ratio is 0): more "
                             "steps would not change it; train a new run with more steps instead")

    # ----- checkpoints -----------------------------------------------------------------------------
    def save(self, folder: Path | None = None) -> Path:
        """Checkpoint this step into `folder` (default: the run folder's), unless the run diverged, a step was
        cut off midway, or the weights do not evaluate good: then the last good checkpoint stays as it is.
        `checkpoint_step` says which step the kept checkpoint holds."""
        folder = folder or self._checkpoint_dir()
        if self.diverged or not self._whole_step or not self._evaluates_good():
            return folder  # weights that blew up, or half an update, must never overwrite a good checkpoint
        tensors, settings = ckpt_io.optimizer_to_tensors(self.optimizer)
        tensors.update(self._random_states())
        state = {**settings, "peak_lr": self._peak_lr, "elapsed_s": self._elapsed, "lr_decay_end": self._decay_end,
                 "precision": "bf16" if self.placement.dtype == torch.bfloat16 else "fp32",
                 "device": self.placement.device.type, "sampled_step": self._sampled_step,
                 "changes": [change.to_json() for change in self.changes], "data_fingerprint": self._fingerprint,
                 "split": SPLIT_VERSION}
        ckpt_io.save_checkpoint(folder, ckpt_io.Checkpoint(self.spec, self.step, self.model.state_dict(), tensors,
                                                           state))
        self.checkpoint_step = self.step
        if self._run_lock is not None and folder == self._checkpoint_dir():
            remove_temporaries(folder)  # the folder is ours alone: what a killed save left there goes
        return folder

    def _evaluates_good(self) -> bool:
        """The weights about to be saved have not blown up (`_blown_up`: a finite validation loss under the
        divergence threshold, or past it while a training batch is under chance). (A checkpoint holds the weights
        after its step's update, which that step's training loss never saw.)"""
        if self._evaluated is None or self._evaluated[0] != self.step:
            self.evaluate()
        if self._judged != self._evaluated:  # once an evaluation: the loop's check and the save after it agree
            self._judged = self._evaluated
            if self._blown_up(self._evaluated[1]):  # type: ignore[index]
                self.diverged = True
        return not self.diverged

    def _random_states(self) -> dict[str, torch.Tensor]:
        """Every random state the curve depends on: the batch order, and dropout's on the CPU and the device."""
        states = {"rng.torch": torch.get_rng_state(), "rng.data": self.generator.get_state()}
        if self.placement.device.type == "cuda":
            states["rng.cuda"] = torch.cuda.get_rng_state(self.placement.device)
        elif self.placement.device.type == "mps":
            states["rng.mps"] = torch.mps.get_rng_state()
        return states

    def _restore_random_states(self, states: dict[str, torch.Tensor]) -> None:
        setters: dict[str, Callable[[torch.Tensor], None]] = {"rng.torch": torch.set_rng_state,
                                                               "rng.data": self.generator.set_state}
        if self.placement.device.type == "cuda":
            setters["rng.cuda"] = lambda state: torch.cuda.set_rng_state(state, self.placement.device)
        elif self.placement.device.type == "mps":
            setters["rng.mps"] = torch.mps.set_rng_state
        for key, state in states.items():
            if key in setters:  # a GPU's state is skipped when the run continues on another device
                setters[key](state)

    def _checkpoint_dir(self) -> Path:
        return self._run_folder() / CHECKPOINT_DIR

    def _run_folder(self) -> Path:
        """The run folder, refused where it is gone: a write would make its path again (review: a folder of a
        checkpoint alone), and the run would go on into it."""
        if self.run_dir is None:
            raise ValueError("this session has no run folder to save into")
        if not self.run_dir.is_dir():
            raise ValueError(f"the run folder {elide(self.run_dir)} is gone (moved or deleted while it trained): put it "
                             f"back there to go on training it")
        return self.run_dir

    def close(self) -> None:
        """Let go of the run folder (another session or process may train in it now) and stop a compile under way."""
        if isinstance(self._step_fn, BackgroundStep):
            self._step_fn.close()
        if self._run_lock is not None:
            self._run_lock.release()
            self._run_lock = None

    @classmethod
    def resume(cls, folder: Path, run_dir: Path | None = None, spec: RunSpec | None = None,
               dist: DistContext | None = None, run_lock: BaseFileLock | None = None) -> TrainingSession:
        """Continue a saved run exactly where it stopped (same weights, optimizer, data order, random states)."""
        saved = ckpt_io.load_checkpoint(folder)
        session = cls(spec or _as_trained(saved), run_dir=run_dir, dist=dist, run_lock=run_lock)
        try:
            session._restore(saved, Path(folder))
            session._plan_replay(run_dir if run_dir is not None else Path(folder).parent)
        except BaseException:
            session.close()
            raise
        if run_dir is not None and session._run_lock is not None:
            remove_temporaries(run_dir)  # the folder is ours alone: what a killed save left there goes
        return session

    @classmethod
    def from_weights(cls, folder: Path) -> TrainingSession:
        """A session on a checkpoint's model weights alone (its optimizer file is not read): drawing and sampling
        need no optimizer state, so a damaged one stops only `resume`."""
        saved = ckpt_io.load_checkpoint(folder, optimizer=False)
        session = cls(saved.spec)
        session._restore(saved, Path(folder))  # with no optimizer state, the weights and the step
        return session

    def _restore(self, saved: ckpt_io.Checkpoint, folder: Path) -> None:
        check_same_data(saved.spec, saved.state, self._fingerprint)
        if self.dataset.drawn_split and saved.step and saved.state.get("split") != SPLIT_VERSION:
            self._resumed_note = OTHER_SPLIT
        random_states = {key: saved.optimizer.pop(key) for key in list(saved.optimizer) if key.startswith("rng.")}
        unfit = (RuntimeError, ValueError, KeyError, TypeError, IndexError)
        try:
            misfit = ckpt_io.weights_misfit(self.model, saved.model)
            if not misfit:
                self.model.load_state_dict(saved.model)
        except unfit as err:
            misfit = elide(err, 80) or type(err).__name__  # (never empty: the weights would go unloaded, review)
        if misfit:
            raise ckpt_io.CheckpointError(
                f"the weights in {elide(folder)} do not fit the model its {ckpt_io.STATE_FILE} describes ({misfit}): "
                f"its settings were edited, or its files come from another run; use a checkpoint the playground "
                f"saved as it saved it")
        try:
            if saved.optimizer:
                self.optimizer.load_state_dict(ckpt_io.optimizer_from_tensors(saved.optimizer, saved.state))
        except unfit:
            raise ckpt_io.CheckpointError(
                f"the optimizer state in {elide(folder)} does not fit the model its {ckpt_io.STATE_FILE} describes: "
                f"its files come from another run, or were edited; `playground sample`, `export` and `attention` "
                f"need only its weights, and resuming needs a checkpoint the playground saved as it saved it") from None
        try:
            self._restore_random_states(random_states)
        except unfit:
            raise ckpt_io.CheckpointError(f"the random states saved in {elide(folder)} are damaged (the batch order "
                                          f"and dropout cannot go on as they were): "
                                          f"{train_again(folder)}") from None
        self.step = self.checkpoint_step = saved.step
        self._peak_lr = _saved_number(saved.state, "peak_lr", self._peak_lr, folder, above=0.0)
        self._elapsed = _saved_number(saved.state, "elapsed_s", 0.0, folder, above=-1.0)
        self._decay_end = int(_saved_number(saved.state, "lr_decay_end", self._decay_end, folder, above=0.0))
        # The step whose sample was drawn: a finished run brought back drew its last sample again (QA: twice in
        # the Samples tab). Checkpoints from before it was kept draw it again.
        self._sampled_step = int(_saved_number(saved.state, "sampled_step", -1, folder, above=-2.0))
        self._draws = (self._sampled_step, 1)  # that sample was draw 0: Sample now at this step is the next (review)
        self.changes = parse_changes(saved.state.get("changes", []), elide(folder / ckpt_io.STATE_FILE),
                                     train_again(folder))

    def _plan_replay(self, run_dir: Path) -> None:
        """Replay the changes `run_dir` recorded that this checkpoint does not hold yet, each at its step: the
        resumed run draws the curve the first one drew."""
        self._planned = [c for c in read_changes(run_dir) if c.step >= self.step and c not in self.changes]


def _leading_tokens(batch: Batch) -> int | None:
    """How many tokens the first example has before its padding (None: nothing padded, or padding between tokens)."""
    if batch.mask is None or bool(batch.mask[0].all()):
        return None
    n = int(batch.mask[0].sum())
    return n if n and bool(batch.mask[0, :n].all()) else None


def _rate_words(lr: float, peak: float) -> str:
    """The learning rate the advice lowers: the peak, also where warm-up or decay had the step at another rate (QA:
    "the learning rate 0.15 is most likely too high. Try 0.5", 0.15 being warm-up's way to a peak of 5)."""
    if math.isclose(lr, peak, rel_tol=1e-3):
        return f"the learning rate {peak:.3g}"
    return f"the learning rate {peak:.3g} (at {lr:.3g} on the schedule at this step)"


def _as_trained(saved: ckpt_io.Checkpoint) -> RunSpec:
    """The checkpoint's spec in the precision the run trained in: `auto` measures again, and a measurement that
    chose the other (a busy machine, QA) would continue the curve in bfloat16 where it had been float32. Only on
    the kind of device it trained on: a GPU run's bfloat16 would be slow emulation on a laptop's CPU (review)."""
    precision = saved.state.get("precision")
    if saved.spec.train.precision != "auto" or precision not in ("bf16", "fp32"):
        return saved.spec
    here = resolve_device(saved.spec.train.device).type
    if saved.state.get("device", here) != here:  # (a checkpoint from before the device was kept: this one's)
        return saved.spec
    return saved.spec.updated({"train.precision": precision})


def _saved_number(state: dict[str, object], key: str, default: float, folder: Path, above: float) -> float:
    """A number from state.json, checked finite and above `above` (a hand-edited or damaged file says so)."""
    value = state.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= above:
        raise ckpt_io.CheckpointError(f"{elide(folder / ckpt_io.STATE_FILE)} is damaged: its {key} "
                                      f"{elide(repr(value), 40)} is not a number above {above:g}; "
                                      f"{train_again(folder)}")
    return float(value)
