"""A run's compiled step compiled in a worker process, to fill inductor's disk cache before the training process
compiles it from there (seconds instead of minutes).

Compiling on a thread of the training process would hold Python's lock for most of a minute or two: the eager
step, which takes that lock between its kernels, ran 3-5x slower meanwhile on the loaded AMD EPYC. A process
shares only the cores, and at a lower priority the training thread keeps its core.

A run that ends (Reset) leaves its worker compiling: Reset and Play again takes it over instead of starting a
compile of a minute or more from scratch. The next run of another spec ends it, and so does the process's end
(`end_all`; on POSIX also the worker's own watch on its parent).

    python -m playground.training.fastpath.worker SPEC_JSON NICENESS PARENT_PID THREADS...   (`compile_in_worker`)
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from playground.core.files import elide
from playground.core.spec import RunSpec

WORKER_NICENESS = 10  # below the training process: the compiler waits for a core, training does not
STOP_POLL_S = 0.25  # how soon a run that ended stops waiting for its worker
REAP_WAIT_S = 10.0  # how long an ended worker's error pipe is read: a process that left its group may hold it
STOPPED = "the compiling process was stopped: its run ended"


@dataclass(eq=False)
class _Compile:
    """One worker process, what it said when it ended, and how many runs wait for it (none: its run ended, and it
    lingers until it is done, a run of the same spec takes it over, or a run of another spec starts)."""

    key: tuple[str, ...]  # the worker's arguments and inductor's cache folder
    spec_json: str
    process: subprocess.Popen
    deadline: float  # it is ended past this (time.monotonic()), waited for or not
    done: threading.Event = field(default_factory=threading.Event)
    said: str = ""
    waiting: int = 0
    ended_at: float | None = None


_LOCK = threading.Lock()
_COMPILES: dict[tuple[str, ...], _Compile] = {}  # by key: the workers not yet ended
_wanted: str | None = None  # the spec of the run that started last (`end_lingering`): its worker may linger
_ENDED_AT_EXIT: list[Callable[[], None]] = []  # `end_all`, once registered with atexit (at the first worker)


def compile_in_worker(spec: RunSpec, thread_counts: tuple[int, ...], stop: threading.Event | None = None,
                      timeout_s: float = 1800) -> None:
    """Compile the step of `spec` at each thread count in a worker process (same inductor cache folder); raises
    RuntimeError with the worker's last words if it fails, if it ran past `timeout_s` (the worker is ended), or
    if `stop` was set (the run ended: the worker goes on while the last run started is of its spec, for a Reset and
    Play to take over). A worker of the same spec and counts already running is waited for, not repeated."""
    deadline = time.monotonic() + timeout_s

    def why_end() -> str | None:
        if stop is not None and stop.is_set():
            return STOPPED
        return f"the compiling process took more than {timeout_s:.0f} s" if time.monotonic() > deadline else None

    if why := why_end():  # closed before the worker started
        raise RuntimeError(why)
    job = _join(spec, thread_counts, deadline)
    try:
        while not job.done.wait(STOP_POLL_S):
            if why := why_end():
                if why != STOPPED:
                    _end_jobs([job])
                raise RuntimeError(why)
    finally:
        with _LOCK:
            job.waiting -= 1
            unwanted = _take([job], lambda j: j.spec_json != _wanted)  # another spec's run started meanwhile
        _end_jobs(unwanted)
    if job.process.returncode != 0:
        last = (job.said.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"the compiling process stopped ({elide(last, 120)})")


def end_lingering(keep: RunSpec | None = None) -> None:
    """A run starts: end every worker no run waits for, except one compiling `keep` (a worker of another spec would
    take a core from this run); a worker whose run is still leaving is ended as it leaves."""
    global _wanted
    with _LOCK:
        _wanted = json.dumps(keep.to_dict()) if keep is not None else None
        lingering = _take(list(_COMPILES.values()), lambda j: j.spec_json != _wanted)
    _end_jobs(lingering)


def end_all() -> None:
    """End every worker (the process is ending: on Windows a worker cannot see that its parent ended)."""
    with _LOCK:
        jobs = list(_COMPILES.values())
        _COMPILES.clear()
    _end_jobs(jobs)


def _join(spec: RunSpec, thread_counts: tuple[int, ...], deadline: float) -> _Compile:
    """The running worker for these arguments, or a new one; counted as waited for."""
    spec_json = json.dumps(spec.to_dict())
    args = [sys.executable, "-m", "playground.training.fastpath.worker", spec_json, str(WORKER_NICENESS),
            str(os.getpid()), *(str(n) for n in thread_counts)]
    key = (*args[3:], os.environ.get("TORCHINDUCTOR_CACHE_DIR", ""))
    with _LOCK:
        job = _COMPILES.get(key)
        if job is None:
            if not _ENDED_AT_EXIT:
                _ENDED_AT_EXIT.append(atexit.register(end_all))
            env = {**os.environ, "PLAYGROUND_THREADS": "fixed"}  # the worker sets each count itself
            # In a process group of its own (POSIX): inductor's compile pool is its children, which `_end` ends too
            process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                                       start_new_session=os.name == "posix")
            job = _COMPILES[key] = _Compile(key, spec_json, process, deadline)
            threading.Thread(target=_collect, args=(job,), name="playground-compile-worker", daemon=True).start()
        job.waiting += 1
    return job


def _take(jobs: list[_Compile], unwanted: Callable[[_Compile], bool]) -> list[_Compile]:
    """The registered `jobs` no run waits for that are `unwanted`, taken out of the registry (so no run takes one
    over before it is ended). Called holding _LOCK."""
    taken = [job for job in jobs if not job.waiting and _COMPILES.get(job.key) is job and unwanted(job)]
    for job in taken:
        del _COMPILES[job.key]
    return taken


def _end_jobs(jobs: list[_Compile]) -> None:
    for job in jobs:
        _unregister(job)
        job.ended_at = job.ended_at or time.monotonic()
        _end(job.process)


def _unregister(job: _Compile) -> None:
    """No run takes `job` over from now on."""
    with _LOCK:
        if _COMPILES.get(job.key) is job:
            del _COMPILES[job.key]


def _collect(job: _Compile) -> None:
    """Read what the worker says until it ends (a full pipe would block it), then mark it done. One past its
    deadline is ended; one that was ended is reaped even while a process that left its group holds the pipe."""
    while True:
        try:
            _, job.said = job.process.communicate(timeout=STOP_POLL_S)
            break
        except subprocess.TimeoutExpired:
            if job.ended_at is None and time.monotonic() > job.deadline:
                _end_jobs([job])
            if job.ended_at is not None and time.monotonic() > job.ended_at + REAP_WAIT_S:
                job.process.wait()  # killed: it ends at once
                break
    _unregister(job)
    job.done.set()


def _end(worker: subprocess.Popen) -> None:
    """Kill the worker and the processes it started. Killed alone, it left inductor's compile pool compiling (each
    looks for its parent once a minute) and holding the error pipe, which kept `communicate` waiting for them."""
    if os.name != "posix":
        worker.kill()
        return
    try:
        os.killpg(worker.pid, signal.SIGKILL)  # its group: it leads one (start_new_session)
    except ProcessLookupError:  # all of it ended already
        pass
