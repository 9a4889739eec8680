"""Compare A/B (issue 24): two runs trained side by side from the same start.

B takes A's seed, so both draw the same batches wherever their data settings agree, and every parameter of B with
the name and shape of one of A's starts at A's initial value: the two curves then differ by what the settings
change, not by luck. `start_pair` builds both (one after the other: building seeds torch's global generator) and
says which weights were shared; `TakingTurns` gives each its own dropout randomness, one event at a time, so that
`train_pair` can train them in turn on one thread and the window's Compare on two.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from playground.core.spec import RunSpec
from playground.training.events import AttentionSnapshot, FinishedEvent, MetricsEvent
from playground.training.session import TrainingSession

NAMES_SHOWN = 4  # parameter names a summary lists before counting the rest


@dataclass(frozen=True)
class SharedStart:
    """What B took over from A at step 0."""

    shared: tuple[str, ...]  # B's parameters that start as A's (same name, same shape)
    not_shared: tuple[str, ...]  # B's parameters with no match in A: they keep B's own seeded initial values
    same_batches: bool  # both draw the same training batches, step after step
    a_only: tuple[str, ...] = ()  # A's parameters B has no place for (B has no such name, or another shape)
    reason: str = ""  # why nothing was shared, when a side starts from pretrained weights the other lacks

    def summary(self) -> str:
        """One line: which of B's weight tensors start as A's, and whether the data order is the same."""
        total = len(self.shared) + len(self.not_shared)
        if self.reason:
            weights = f"no weights shared ({self.reason})"
        elif not self.not_shared:
            weights = f"all {total} of B's weight tensors shared"
        else:
            weights = (f"{len(self.shared)} of {total} weight tensors shared; B's own (no tensor of that name and "
                       f"shape in A): {_listed(self.not_shared)}")
        if self.a_only and not self.reason:
            weights += f"; A's own: {_listed(self.a_only)}"
        batches = "the same batches" if self.same_batches else "different batches (the data settings differ)"
        return f"same seed, {batches}, {weights}"


def _listed(names: tuple[str, ...]) -> str:
    groups = grouped(names)
    more = f" and {len(groups) - NAMES_SHOWN} more" if len(groups) > NAMES_SHOWN else ""
    return ", ".join(groups[:NAMES_SHOWN]) + more


def grouped(names: tuple[str, ...]) -> list[str]:
    """Parameter names by module, a block's counted: ['tok_emb.weight', 'blocks.2.* (16)']."""
    groups: dict[str, list[str]] = {}
    for name in names:
        parts = name.split(".")
        key = ".".join(parts[:2]) + ".*" if len(parts) > 2 and parts[1].isdigit() else name
        groups.setdefault(key, []).append(name)
    return [key if len(members) == 1 else f"{key} ({len(members)})" for key, members in groups.items()]


def aligned(a: RunSpec, b: RunSpec) -> RunSpec:
    """B with A's seed: the same random draws for the same shapes, the same data order for the same data."""
    return b if b.train.seed == a.train.seed else b.updated({"train.seed": a.train.seed})


@torch.no_grad()
def share_parameters(source: torch.nn.Module, target: torch.nn.Module) -> tuple[list[str], list[str]]:
    """Copy each of `source`'s parameters into `target`'s parameter of the same name and shape, in place (the
    optimizer keeps holding the same tensors). Returns target's (shared, not shared) parameter names."""
    given = dict(source.named_parameters())
    shared, own = [], []
    for name, param in target.named_parameters():
        match = given.get(name)
        if match is not None and match.shape == param.shape:
            param.copy_(match)
            shared.append(name)
        else:
            own.append(name)
    return shared, own


class _OwnRandomness:
    """One session's own stream of torch's global randomness (dropout), while two sessions train in turn: swapped
    in for its steps only, so each side draws the masks it would draw alone, and the process's state is untouched."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.cpu = torch.get_rng_state()
        self.gpu = torch.cuda.get_rng_state(device) if device.type == "cuda" else None

    @contextmanager
    def active(self) -> Iterator[None]:
        with torch.random.fork_rng(devices=[self.device] if self.gpu is not None else []):
            torch.set_rng_state(self.cpu)
            if self.gpu is not None:
                torch.cuda.set_rng_state(self.gpu, self.device)
            try:
                yield
            finally:
                self.cpu = torch.get_rng_state()
                if self.gpu is not None:
                    self.gpu = torch.cuda.get_rng_state(self.device)


@dataclass
class Pair:
    a: TrainingSession
    b: TrainingSession
    start: SharedStart
    randomness: tuple[_OwnRandomness, _OwnRandomness]

    def close(self) -> None:
        self.a.close()
        self.b.close()


def start_pair(spec_a: RunSpec, spec_b: RunSpec) -> Pair:
    """Build A, then B with A's seed and A's initial weights wherever the shapes allow."""
    with torch.random.fork_rng(devices=[]):  # building seeds the global generator: the caller's state is kept
        a = TrainingSession(spec_a)
        random_a = _OwnRandomness(a.placement.device)
        b = TrainingSession(aligned(spec_a, spec_b))
        random_b = _OwnRandomness(b.placement.device)
    b.follow_threads(a)  # the same thread count at each step: a count rounds sums its own way
    if a.spec.model.pretrained != b.spec.model.pretrained:
        start = SharedStart((), tuple(n for n, _ in b.model.named_parameters()), _same_batches(a, b),
                            reason="one side starts from pretrained weights, the other from scratch")
    else:
        shared, own = share_parameters(a.model, b.model)
        a_only = tuple(n for n, _ in a.model.named_parameters() if n not in set(shared))
        start = SharedStart(tuple(shared), tuple(own), _same_batches(a, b), a_only)
    return Pair(a, b, start, (random_a, random_b))


class TakingTurns:
    """One side of a pair trained on its own thread: each event is pulled under a lock the two sides share and with
    the side's own randomness swapped in, so both threads draw the dropout masks they would draw alone (the same
    curves as `train_pair`, whatever the threads' timing). Everything else is the session's own."""

    LEAD_WAIT_S = 2.0  # the longest a follower waits for its leader's step (a leader paused alone, say)

    def __init__(self, session: TrainingSession, randomness: _OwnRandomness, turn: threading.Lock,
                 leader: TakingTurns | None = None) -> None:
        self.session = session
        self._randomness = randomness
        self._turn = turn
        self.leader = leader  # the side whose thread counts this one's steps take (B's, in a pair of one shape)
        self.ended = False

    def run(self, steps: int | None = None) -> Iterator[object]:
        events = self.session.run(steps)
        try:
            while True:
                self._trail_leader()
                with self._turn, self._randomness.active():
                    event = next(events, None)
                if event is None:
                    return
                yield event
        finally:
            self.ended = True

    def _trail_leader(self) -> None:
        """A follower takes each step after its leader's step of that number, whose thread count it takes; outside
        the turn, so the leader can take it meanwhile."""
        leader, waited = self.leader, time.monotonic() + self.LEAD_WAIT_S
        while (leader is not None and not leader.ended and self.session.step >= leader.session.step
               and leader.session.step < leader.session.spec.train.max_steps and time.monotonic() < waited):
            time.sleep(0.001)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def taking_turns(pair: Pair) -> tuple[TakingTurns, TakingTurns]:
    """A's and B's sessions, each for a thread of its own, taking turns at torch's global randomness."""
    turn = threading.Lock()
    a = TakingTurns(pair.a, pair.randomness[0], turn)
    return a, TakingTurns(pair.b, pair.randomness[1], turn, leader=a if pair.b.follows_threads() else None)


def _same_batches(a: TrainingSession, b: TrainingSession) -> bool:
    """Whether the two draw the same first training batch from the seed (then they draw the same every step)."""
    draws = [s.dataset.batch("train", s.spec.train.batch_size, torch.Generator().manual_seed(s.spec.train.seed))
             for s in (a, b)]
    first, second = draws
    return all(x.shape == y.shape and torch.equal(x, y) for x, y in ((first.x, second.x), (first.y, second.y)))


@dataclass
class Curve:
    """One side's losses as it trained."""

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    val_steps: list[int] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)
    snapshot: AttentionSnapshot | None = None  # the latest attention of the probe input
    finished: FinishedEvent | None = None

    def take(self, event: object) -> None:
        if isinstance(event, MetricsEvent):
            self.steps.append(event.step)
            self.losses.append(event.train_loss)
            if event.val_loss is not None:
                self.val_steps.append(event.step)
                self.val_losses.append(event.val_loss)
        elif isinstance(event, AttentionSnapshot):
            self.snapshot = event
        elif isinstance(event, FinishedEvent):
            self.finished = event

    def up_to(self, step: int) -> Curve:
        """A copy holding the steps up to `step`: both sides of a pair stopped between A's step and B's (Ctrl-C) end
        at the same step (review)."""
        kept = [(s, loss) for s, loss in zip(self.steps, self.losses) if s <= step]
        val = [(s, loss) for s, loss in zip(self.val_steps, self.val_losses) if s <= step]
        return Curve([s for s, _ in kept], [loss for _, loss in kept], [s for s, _ in val], [loss for _, loss in val],
                     self.snapshot, self.finished)


def train_pair(pair: Pair, steps: int | None = None,
               on_step: Callable[[int, Curve, Curve], None] | None = None) -> tuple[Curve, Curve]:
    """Train A and B in turn, one step each, until both have ended (or taken `steps` more steps)."""
    curves = Curve(), Curve()
    runs = [side.run(steps) for side in taking_turns(pair)]  # each side with its own dropout randomness
    live = [True, True]
    while any(live):
        for side in (0, 1):
            if live[side]:
                live[side] = _one_step(runs[side], curves[side])
        if on_step is not None:
            on_step(max(pair.a.step, pair.b.step), *curves)
    return curves


def _one_step(run: Iterator[object], curve: Curve) -> bool:
    """Pull events up to and including the next step's metrics; False when the run has ended."""
    for event in run:
        curve.take(event)
        if isinstance(event, MetricsEvent):
            return True
        if isinstance(event, FinishedEvent):
            return False
    return False
