"""Training in a background thread, without a Qt signal per step.

The worker thread pulls events from `TrainingSession.run()` and files them into an `EventBuffer`;
the window drains the buffer with a QTimer a few times a second (metrics in batches, only the latest
attention snapshot). Play/pause/step/stop are flags the worker checks between steps, so the window
never waits on training. Training waits on painting only when asked to (`request_gap`): where its threads
fill every core, the window paints while the thread waits between two steps, for GAP_MAX_S at most. A setting
changed mid-run (`request_change`) waits in a queue the thread empties between two steps, or at once while
paused: the GUI thread never touches the session.

torch is imported here, inside the thread, so the window paints before torch loads.
"""

from __future__ import annotations

import importlib
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal

from playground.core.files import elide
from playground.core.messages import EXPECTED, in_window_words, one_line
from playground.core.spec import FIELD_TITLES, RunSpec
from playground.training.allocator import release_freed_memory
from playground.training.changes import setting
from playground.training.checkpoint_state import read_state
from playground.training.events import (
    AttentionSnapshot,
    CheckpointEvent,
    FinishedEvent,
    MetricsEvent,
    SampleEvent,
    SettingChange,
    StatusEvent,
)
from playground.training.runs import CHECKPOINT_DIR


@dataclass
class Drained:
    metrics: list[MetricsEvent] = field(default_factory=list)
    snapshot: AttentionSnapshot | None = None
    samples: list[SampleEvent] = field(default_factory=list)
    statuses: list[StatusEvent] = field(default_factory=list)
    checkpoints: list[CheckpointEvent] = field(default_factory=list)
    changes: list[SettingChange] = field(default_factory=list)  # settings changed mid-run, applied or replayed
    finished: FinishedEvent | None = None
    error: str | None = None
    device: str | None = None
    results: dict[str, Any] = field(default_factory=dict)  # answers to `TrainingWorker.submit`, latest per key

    def __bool__(self) -> bool:
        return bool(self.metrics or self.snapshot or self.samples or self.statuses or self.checkpoints
                    or self.changes or self.finished or self.error or self.device or self.results)


class EventBuffer:
    """Thread-safe mailbox from the worker to the window; `drain()` empties it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._box = Drained()

    def put(self, event: Any) -> None:
        with self._lock:
            box = self._box
            if isinstance(event, MetricsEvent):
                box.metrics.append(event)
            elif isinstance(event, AttentionSnapshot):
                box.snapshot = event  # only the latest matters
            elif isinstance(event, SampleEvent):
                box.samples.append(event)
            elif isinstance(event, StatusEvent):
                box.statuses.append(event)
            elif isinstance(event, CheckpointEvent):
                box.checkpoints.append(event)
            elif isinstance(event, SettingChange):
                box.changes.append(event)
            elif isinstance(event, FinishedEvent):
                box.finished = event

    def put_error(self, message: str) -> None:
        with self._lock:
            self._box.error = message

    def put_device(self, description: str) -> None:
        with self._lock:
            self._box.device = description

    def put_result(self, key: str, result: Any) -> None:
        with self._lock:
            self._box.results[key] = result

    def drain(self) -> Drained:
        with self._lock:
            box, self._box = self._box, Drained()
        return box


GAP_MAX_S = 0.1  # the longest the thread waits in a gap for the window (a window that is busy elsewhere)
HOLD_WAIT_S = 0.5  # how long a question about a held run waits for its step under way to land
# Where the run's snapshots come further apart than this (slow steps: the first ones while the step compiles), the
# views get one of the step now, kept by no record (a newcomer saw "step 0" above the default decoder at step 12)
STALE_ATTENTION_S = 5.0


class TrainingWorker(QThread):
    """Owns one TrainingSession for one run folder. Create, `play()`/`step_once()`, `stop()`, `wait()`."""

    gapOpened = Signal(object, int)  # (this worker, the gap's number): it waits, see `request_gap`

    def __init__(self, spec: RunSpec, runs_root: Path | None, parent: Any = None,
                 resume_from: Path | None = None, make_session: Callable[..., Any] | None = None,
                 samples: bool = True) -> None:
        """make_session(spec, run_dir=...): builds the session on the thread instead of TrainingSession (the compare
        window's, which start from a shared state)."""
        super().__init__(parent)
        self.spec = spec
        self.runs_root = runs_root
        self.resume_from = resume_from  # a past run folder to continue from its checkpoint (Runs tab)
        self.make_session = make_session
        self.samples = samples  # a paused run draws the sample due at its step (Compare A/B shows none)
        self.recorder: Any = None  # the run folder's RunRecorder (metrics, TensorBoard, attention timeline)
        self.buffer = EventBuffer()
        # A resumed run's folder is known at once: an Undo right after an Undo must find the model it replaces there.
        self.run_dir: Path | None = Path(resume_from) if resume_from is not None else None
        self.session: Any = None
        self._events: Any = iter(())  # the session's loop (a new one when the training steps go past its end)
        self._loop_ended = False
        self.ended_short = False  # the run ended before its last step (its loss blew up, or memory ran out)
        self._first_end = _schedule_end(spec, resume_from)  # until the thread has its session
        self._device = ""  # the device text last sent to the window
        self.saved_to: Path | None = None
        self.step = 0
        self.done = False
        self._cond = threading.Condition()
        self._playing = False
        self._steps_left = 0  # single steps asked for while paused
        self._in_step = False  # between asking the run for its next event and waiting again: a step may be under way
        self._stop = False
        self._save_on_stop = True
        self._changes: deque[tuple[str, Any]] = deque()  # (setting, value) asked for, not applied yet
        self._snapshot_step = -1
        self._snapshot_at = time.monotonic()  # when the views were last sent a snapshot
        self._jobs: dict[str, Callable[[Any], Any]] = {}  # submitted work, served between steps
        self.fills_cores = False  # training's threads take every core (then the window paints in gaps)
        self._gap_wanted = False
        self._gap = 0  # the number of the gap open now (0: none)
        self._gaps_opened = 0
        self.gap_seconds = 0.0  # how long the thread has waited in gaps, all told
        self._gap_closed = threading.Event()

    # ----- commands (any thread) ----------------------------------------------------------------
    def play(self) -> None:
        with self._cond:
            self._playing = True
            self._cond.notify_all()

    def pause(self) -> None:
        with self._cond:
            self._playing = False
            self._steps_left = 0
            self._cond.notify_all()

    def pause_at(self, step: int) -> None:
        """Take the steps up to `step`, then pause (asked while `idle`: a step under way would count too)."""
        with self._cond:
            self._playing = False
            self._steps_left = max(0, step - self.step)
            self._cond.notify_all()

    def step_once(self) -> None:
        with self._cond:
            self._playing = False
            self._steps_left += 1
            self._cond.notify_all()

    def rename(self, name: str, description: str) -> None:
        """The preset's name and description are these now (File > Name and Description): a run not begun takes them
        as it begins; a run begun keeps its folder, and its name in the Runs tab is the new one (QA: a run renamed
        while it trained kept its old name there, and File > Resume Last Run brought the old one back), unless the
        user named the run in the Runs tab (review). RunsError where its run.json cannot be written."""
        with self._cond:  # (the thread reads the name as it makes the run's folder, and updates the spec)
            started = self.spec.name
            self.spec = self.spec.updated({"name": name, "description": description})
            folder = self.run_dir
        if folder is not None:
            _rename_unless_renamed(folder, started, name)

    def request_change(self, key: str, value: Any) -> None:
        """Change a training setting (changes.LIVE_SETTINGS) from the next step on, without a reset: the thread
        applies it between two steps (at once while paused) and reports it as a SettingChange, or a refusal as
        an error status. Training steps past the step taken make a finished run go on."""
        with self._cond:
            self.spec = self.spec.updated({key: value})  # what Undo brings back shows it
            self._changes.append((key, value))
            if key == "train.max_steps" and value > self.step:
                self.done = False  # (now: Play pressed before the thread applies it must not find the run finished)
            self._cond.notify_all()  # a paused thread applies it now

    @property
    def schedule_end(self) -> int:
        """The step where the run's learning rate reaches its floor: its first end, where more training steps
        leave it."""
        session = self.session
        return session.decay_end if session is not None else self._first_end

    def stop(self, save: bool = True) -> None:
        """Ask the thread to finish after the current step (saving a checkpoint unless save=False)."""
        with self._cond:
            self._stop = True
            self._save_on_stop = save
            self._gap_closed.set()
            self._cond.notify_all()

    def request_gap(self) -> None:
        """Ask the thread to pause before its next event (right after a step, or after that step's snapshot),
        emit `gapOpened(self, number)` and wait for `close_gap(number)`, GAP_MAX_S at most. The window paints
        in that gap when training's threads fill every core: a paint beside them takes a core from one of
        them, and a step waits for its slowest thread."""
        with self._cond:
            self._gap_wanted = True

    def close_gap(self, number: int) -> None:
        """End gap `number` if it is still open (a late answer to a gap that timed out ends nothing)."""
        with self._cond:
            if number == self._gap:
                self._gap_closed.set()

    def gap_open(self, number: int) -> bool:
        return number == self._gap

    @property
    def in_gap(self) -> bool:
        return self._gap != 0

    def _open_gap_if_asked(self) -> bool:
        """True when a gap was opened (and is over now)."""
        with self._cond:
            if not self._gap_wanted or self._stop:
                return False
            self._gap_wanted = False
            self._gaps_opened += 1
            self._gap = self._gaps_opened
            self._gap_closed.clear()
        began = time.perf_counter()
        self.gapOpened.emit(self, self._gap)
        self._gap_closed.wait(GAP_MAX_S)
        with self._cond:
            self._gap = 0
        self.gap_seconds += time.perf_counter() - began
        return True

    def submit(self, key: str, job: Callable[[Any], Any]) -> None:
        """Run `job(session)` on the worker thread between two steps (or at once while paused); its return
        value (or the exception it raised) arrives in `Drained.results[key]`. A newer job with the same key
        replaces one not started yet. Jobs must return numpy/plain data, never live tensors."""
        with self._cond:
            self._jobs[key] = job
            self._cond.notify_all()

    def _serve_jobs(self) -> None:
        with self._cond:
            jobs, self._jobs = self._jobs, {}
        for key, job in jobs.items():
            try:
                with self.session.model_lock:  # jobs use the model (a background compile may be tracing it)
                    result = job(self.session)
            except Exception as err:  # noqa: BLE001 - handed to the window, which shows it
                result = err
            self.buffer.put_result(key, result)

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def idle(self) -> bool:
        """Waiting for work, no step under way: its `step` stays as it is until it is asked for more."""
        return not self._in_step

    def held_step(self) -> int:
        """The step this run, just held (paused), stops at: the step under way lands first (QA: a question said 359
        while the train bar went on to 360). Waited for up to HOLD_WAIT_S, until the run waits for work or its step
        lands; past that, counted as landing only if the session is inside a training step: what follows one (the
        pause's snapshot, a checkpoint) is no step (a loaded machine's snapshot outlasted the wait, and the step was
        counted twice)."""
        start, end = self.step, time.monotonic() + HOLD_WAIT_S
        while not self.idle and self.step == start and time.monotonic() < end:
            time.sleep(0.01)
        if self.idle or self.step != start:
            return self.step
        return start + (1 if self.session is not None and self.session.stepping else 0)

    @property
    def stepping(self) -> bool:
        """Single steps asked for (Step pressed several times, or a lesson training to its step) still to take."""
        return self._steps_left > 0

    @property
    def step_under_way(self) -> bool:
        """A training step is being taken now (one that began before a Pause goes on to its end)."""
        return self.session is not None and self.session.stepping

    @property
    def steps_left(self) -> int:
        """How many of the single steps asked for are still to take."""
        return self._steps_left

    # ----- the thread ---------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._train()
        except Exception as err:  # noqa: BLE001 - shown to the user, never a crash
            if not isinstance(err, EXPECTED):
                traceback.print_exc()  # for the developer's console; the window shows one line
            # which it was (data QA: "could not start or stopped" of a run whose data folder had moved)
            what = ("Could not resume this run" if self.resume_from is not None else "Training could not start") \
                if self.session is None else "Training stopped"
            self.buffer.put_error(f"{what}: {self._folder_gone() or in_window_words(one_line(err))}")
        finally:
            taken = self.session.step if self.session is not None else 0  # (a diverged first step shows no metrics)
            try:
                if self.recorder is not None:
                    self.recorder.close()
            finally:
                if self.session is not None:  # the run folder's lock: the Runs tab or another process may resume it
                    self.session.close()  # now (QA: a recorder that could not close kept it till the app ended)
                self.session = None  # with _train's generator gone, the run's model, optimizer and data are freed
            if taken == 0:
                self._discard_if_untrained()
            release_freed_memory()

    def _discard_if_untrained(self) -> None:
        """A new run whose session took no step leaves no folder, unless something was put in it (a cluster command's
        preset): each model a lesson step or a Reset showed untrained stayed in the Runs table as a "0 steps" run
        (QA: beside the three runs lesson 19.4 compares)."""
        if self.resume_from is None and self.runs_root is not None and self.run_dir is not None:
            from playground.training.runs import discard_untrained_run

            discard_untrained_run(Path(self.run_dir), self.runs_root)

    def _train(self) -> None:
        """Build (or resume) the session and train it as the window asks, until stopped; save on stop."""
        load_training()
        from playground.recorder import RunRecorder
        from playground.training.runs import new_run_dir, write_run_info
        from playground.training.session import TrainingSession

        resumed = None
        if self.resume_from is not None:  # continue a past run in its own folder
            self.run_dir = Path(self.resume_from)
            self.session = TrainingSession.resume(self.run_dir / CHECKPOINT_DIR, run_dir=self.run_dir)
            self.step = resumed = self.session.step
            self.done = resumed >= self.session.planned_end  # a finished run, shown again: none to take
        else:
            if self.runs_root is not None:
                with self._cond:
                    spec = self.spec
                folder = new_run_dir(self.runs_root, spec)
                with self._cond:  # a rename meanwhile (`rename`) is the run's name too
                    self.run_dir, named = folder, self.spec.name
                if named != spec.name:
                    _rename_unless_renamed(folder, spec.name, named)
            self.session = (self.make_session or TrainingSession)(self.spec, run_dir=self.run_dir)
        self._report_device()
        if self.run_dir is not None:
            self.recorder = RunRecorder(self.run_dir, resume_from_step=resumed)
            self.session.subscribe(self.recorder)
            for note in self.recorder.notes:
                self.buffer.put(StatusEvent(note, "warning", step=self.session.step))
        self._events = self.session.run()
        while self._wait_for_work():
            if self._open_gap_if_asked():
                continue  # a pause or a stop may have come during the gap
            event = next(self._events, None)
            if event is None:
                if self._changes:  # a raise of the steps asked for as the loop ran out: applied next (review)
                    self._loop_ended = True
                    continue
                self._end_of_run()
                continue
            if isinstance(event, SettingChange):  # a change the run recorded, replayed on resume
                with self._cond:  # (beside a rename from the window)
                    self.spec = self.spec.updated({event.key: event.new})
            if isinstance(event, MetricsEvent):
                self.fills_cores = self.session.fills_cores()
                self._report_device()
                with self._cond:  # the step and the steps left change together: pause_at reads both
                    self.step = event.step
                    # The run's last step, or one that diverged, is followed at once by the run's end: taken too,
                    # so a lesson trained to the last step reads "finished", not "paused" until Play (QA)
                    last = event.step >= self.session.spec.train.max_steps
                    if self._steps_left and not self.session.diverged and not last:
                        self._steps_left -= 1
            if isinstance(event, AttentionSnapshot):
                self._snapshot_step, self._snapshot_at = event.step, time.monotonic()
            if isinstance(event, CheckpointEvent) and self.run_dir is not None:
                # The Runs tab lists it live (review: a resumed run's run.json said its old step until it stopped)
                write_run_info(self.run_dir, {"step": event.step})
            self.buffer.put(event)
            if isinstance(event, MetricsEvent) and self._attention_stale():
                self._show_attention()
            if isinstance(event, FinishedEvent):
                self.ended_short = event.reason != "completed"  # blown up, out of memory: more steps would not help
                self._end_of_run()
        # A run resumed and stopped without a step (a finished run shown again) has nothing new to save; nor one whose
        # folder was moved away (a save would make a folder of a checkpoint alone where it was).
        if self._save_on_stop and self.run_dir is not None and self.session.step not in (0, resumed) and \
                self.run_dir.is_dir():
            self.saved_to = self.session.save()
            with self._cond:  # (one more than shown where a step was in flight as it was stopped)
                self.step = self.session.step
            status = "diverged" if self.session.diverged else "saved"  # a diverged run kept its last good step
            write_run_info(self.run_dir, {"step": self.session.step, "status": status})

    def _folder_gone(self) -> str:
        """What to do where the run's folder was moved or deleted while it trained, or "" (QA: "[Errno 2] No such
        file or directory: b'…/events.out.tfevents…'" said nothing of the folder)."""
        folder = self.run_dir
        if folder is None or folder.is_dir():
            return ""
        return (f"its run folder {elide(folder)} was moved or deleted while it trained; put it back there and Resume "
                f"it in the Runs tab (its last checkpoint is in it)")

    def _end_of_run(self) -> None:
        """Nothing left to train: no steps asked for stay waiting (a single step asked for at the last step takes the
        run's end with it, and would read as training for ever)."""
        self.done = self._loop_ended = True
        with self._cond:
            if not self._changes:  # (a raise of the steps just asked for may let Play go on: review)
                self._playing = False
            self._steps_left = 0

    def _attention_stale(self) -> bool:
        """Whether the views should get the attention of the step just taken: training on (a pause shows its own
        step's), none of the run's snapshots due at it, none shown for STALE_ATTENTION_S, the weights whole."""
        return (self._playing and not self.session.snapshot_due() and not self.session.diverged
                and time.monotonic() - self._snapshot_at > STALE_ATTENTION_S)

    def _show_attention(self) -> None:
        """The views' attention of the model as it is now (the run's record keeps only its own snapshots)."""
        self._snapshot_at = time.monotonic()
        self.buffer.put(self.session.snapshot())

    def _report_device(self) -> None:
        """The status bar's device text, again whenever it changes (the compiled CPU path adapts its threads)."""
        description = self.session.device_description()
        if description != self._device:
            self._device = description
            self.buffer.put_device(description)

    def _wait_for_work(self) -> bool:
        """Block while paused; True when a step should be taken, False when asked to stop."""
        paused = not self._stop and not (self._playing or self._steps_left)
        if paused and self.samples:
            self._serve_jobs()  # the prompt the window sent as the run started: its first sample continues it
            sample = self.session.take_due_sample()  # this step's, which the loop draws only when it goes on
            if sample is not None:
                self.buffer.put(sample)
        if paused and self.session.step != self._snapshot_step:
            # Paused (or one step done): show the attention of exactly this step, and put the logs on disk (the
            # TensorBoard log hands its summaries over about once a second, and none come while paused).
            self._snapshot_step = self.session.step
            self._show_attention()
            self.flush_logs()
        self._in_step = False
        while True:
            if self._changes:  # a deque's length: no lock taken at every step
                self._apply_changes()
            self._serve_jobs()
            self._report_device()  # paused: a compile prepared meanwhile is said without waiting for a step
            with self._cond:
                if self._stop or (not self.done and (self._playing or self._steps_left)):
                    self._in_step = not self._stop
                    if paused:  # the pause's own snapshot is the views' newest: time spent paused is no staleness
                        self._snapshot_at = time.monotonic()
                    return not self._stop
                if not self._jobs:
                    self._cond.wait(0.5)

    def flush_logs(self) -> None:
        """Write buffered metrics rows, TensorBoard events and the attention timeline to disk (on this thread: when
        paused, or from a submitted job)."""
        if self.recorder is not None:
            self.recorder.flush()

    def _apply_changes(self) -> None:
        """Apply the settings asked for, between two steps; one the session refuses is said, not raised."""
        while self._changes:
            key, value = self._changes.popleft()
            steps = key == "train.max_steps"
            if not steps and self.session.step >= self.session.spec.train.max_steps:  # no step would take it: not recorded
                self.buffer.put(StatusEvent(f"This run has finished: the new {FIELD_TITLES[key]} applies to the next "
                                            f"run (Reset, Ctrl+R).", "error", self.session.step))
                self._as_trained(key)
                continue
            try:
                change = self.session.change(key, value)
            except ValueError as err:
                self.buffer.put(StatusEvent(f"Could not change the {FIELD_TITLES[key]}: {one_line(err, width=240)}",
                                            "error", self.session.step))
                self._as_trained(key)
                change = None
            if change is not None:
                self.buffer.put(change)
            if steps:
                self._go_on()

    def _as_trained(self, key: str) -> None:
        """`spec`'s `key` back to what the run trains with, its change not taken: the window reads the run's end and
        what is still to send from it (review: a lowering refused left "step 740 / 100")."""
        with self._cond:  # (beside a rename from the window)
            self.spec = self.spec.updated({key: setting(self.session.spec, key)})

    def _go_on(self) -> None:
        """After a change of the training steps (applied or refused): whether the run has steps left to take, and
        where the session's loop had ended at the run's end, a new loop to take them. A loop still going, or one
        not started yet (a finished run resumed, its `done` worked out before the change came), reads the new end
        itself (review: such a raise left it "finished")."""
        left = self.session.step < self.session.spec.train.max_steps and not self.ended_short
        with self._cond:
            if self._loop_ended and left:
                self._events = self.session.run()
                self._loop_ended = False
            self.done = not left  # (a live loop lowered to its step waits as finished: a raise lets it go on)


def _schedule_end(spec: RunSpec, resume_from: Path | None) -> int:
    """Where the run's learning-rate schedule ends: a new run's at its training steps, a resumed one's where its
    checkpoint says (read at once: until its thread has loaded it, the window judges by it whether more or fewer
    steps go on or rebuild; its settings may hold a raise already, review)."""
    if resume_from is None:
        return spec.train.max_steps
    try:
        end = read_state(Path(resume_from) / CHECKPOINT_DIR).get("lr_decay_end")
    except (ValueError, OSError):  # (resuming it says what is wrong)
        return spec.train.max_steps
    return end if isinstance(end, int) and end > 0 else spec.train.max_steps


_LOADING = threading.Lock()


def load_training() -> None:
    """Import torch, the session and the recorder, one thread at a time: two threads importing torch at once (Play
    pressed while the warm-up loads it) can each be handed the other's half-loaded module and fail."""
    with _LOADING:
        for module in ("playground.recorder", "playground.training.session"):
            importlib.import_module(module)


def _rename_unless_renamed(folder: Path, was: str, name: str) -> None:
    """The run in `folder` named `name` where it is still named `was`, the preset's name it began under; one the user
    gave it in the Runs tab stays."""
    from playground.training.runs import read_run_info, rename_run

    if read_run_info(folder).get("name") == was:
        rename_run(folder, name)


class Warmup(QThread):
    """Imports torch and the session after the window is up, and finds out which device training will use."""

    def __init__(self, spec: RunSpec, parent: Any = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.device: str | None = None
        self.error: str | None = None

    def run(self) -> None:
        try:
            load_training()  # torch, models and data now, not at Play
            from playground.training.fastpath.choose import place

            self.device = place(self.spec).description
        except Exception as err:  # noqa: BLE001 - any failure is shown in the status bar, never raised in Qt
            self.error = one_line(err)

