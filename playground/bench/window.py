"""The window-side measurements of `playground bench`, each run as its own process (Qt offscreen).

    python -m playground.bench.window paint            -> {"first_paint_s": ..., "views_paint_s": ...}
    python -m playground.bench.window train PRESET N   -> window-driven vs headless steps/s, timer gaps
    python -m playground.bench.window lessons          -> each built-in lesson played through: seconds per step

Kept out of the bench process so Qt never loads there and every figure starts from a cold process.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any

from playground.training.fastpath.process import configure_process

if TYPE_CHECKING:
    from playground.core.spec import RunSpec

LAUNCHED = float(os.environ.get("PLAYGROUND_BENCH_LAUNCHED", time.time()))
TIMER_MS = 10  # the probe timer whose gaps show event-loop stalls
POLL_MS = 250  # how often a plain window run checks the step count (a light 4 Hz check)


def first_paint() -> dict[str, float]:
    """Launch to the window's first paint (settings, menus, train bar) and to the loss plot's first paint
    (the views, built right after), through the app's own `open_window`."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, QTimer

    from playground.core.presets import DEFAULT_PRESET, load_preset
    from playground.ui.app import make_app, open_window

    app = make_app()
    painted: dict[str, float] = {}

    class PaintWatch(QObject):  # on two objects only: an app-wide filter would slow every event it sees
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint and self.key not in painted:
                painted[self.key] = time.time()
                if self.key == "views":
                    QTimer.singleShot(0, app.quit)
            return False

    window_watch, views_watch = PaintWatch("window"), PaintWatch("views")
    window = open_window(load_preset(DEFAULT_PRESET))  # shown; it paints once the event loop runs
    window.installEventFilter(window_watch)
    window.sigViewsBuilt.connect(lambda: window.lossPlot.viewport().installEventFilter(views_watch))
    QTimer.singleShot(10_000, app.quit)
    app.exec()
    window.shutdown()
    nan = float("nan")
    return {"first_paint_s": painted.get("window", nan) - LAUNCHED,
            "views_paint_s": painted.get("views", nan) - LAUNCHED}


def _window_run(app: Any, spec: RunSpec, steps: int, skip: int, tick_ms: int,
                gaps_ms: list[float] | None) -> tuple[float, float]:
    """Train `steps` steps from the real window: (steps/s after `skip`, the share of that time training
    waited in paint gaps). With `gaps_ms`, a `tick_ms` timer records the event loop's gaps; without, it only
    polls the step count."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    from playground.ui.main_window import MainWindow

    window = MainWindow(spec)
    window.show()
    marks: dict[str, float] = {}
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        if window.worker is not None and window.worker.step >= skip:
            if gaps_ms is not None:
                gaps_ms.append(now - last[0])
            marks.setdefault("t0", time.perf_counter())
            marks.setdefault("s0", window.worker.step)
            marks.setdefault("g0", window.worker.gap_seconds)
            if window.worker.step >= steps:
                marks["t1"] = time.perf_counter()
                marks["steps"] = window.worker.step - marks["s0"]
                marks["g1"] = window.worker.gap_seconds
                app.quit()
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(tick_ms)
    window.play()
    app.exec()
    timer.stop()
    window.shutdown()
    window.deleteLater()
    seconds = marks["t1"] - marks["t0"]
    return marks["steps"] / seconds, (marks["g1"] - marks["g0"]) / seconds


def train(preset: str, steps: int, rounds: int = 16, probed_rounds: int = 2) -> dict[str, object]:
    """Headless and window-driven runs of `steps` steps, alternated `rounds` times (the same run moves by
    ±7-10 % from one try to the next here: 8 pairs left the median ratio uncertain by about ±3.5 %, 0.93-0.955
    in two runs of the same build; 16 pin it to about ±2.2 %); then the event
    loop's gaps in `probed_rounds` runs.

    The ratio is taken with the window as a user has it. A 10 ms probe timer is a measuring device that
    itself wakes the GUI thread 100 times a second (on 2 cores it takes CPU from the training threads), so
    the gaps are measured in runs of their own, whose rate is reported apart.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["PLAYGROUND_RUNS_DIR"] = tempfile.mkdtemp(prefix="playground-bench-runs-")
    from playground.bench.run import _compile_like_preset
    from playground.core.presets import load_preset
    from playground.training.session import TrainingSession
    from playground.ui.app import make_app

    app = make_app()
    spec = _compile_like_preset(load_preset(preset), max(steps + 1, 200))  # the path the preset's real run takes
    skip = max(3, steps // 5)  # warm-up (and compiling) steps left out of the rate
    headless_rates: list[float] = []
    window_rates: list[float] = []
    probed_rates: list[float] = []
    gaps_ms: list[float] = []
    def headless() -> None:
        session = TrainingSession(spec)
        t0 = 0.0
        for _event in session.run(steps):
            if session.step == skip and t0 == 0.0:
                t0 = time.perf_counter()
        headless_rates.append((session.step - skip) / (time.perf_counter() - t0))

    gap_shares: list[float] = []
    for _ in range(rounds):
        # In a thread of its own, like the window's worker. OpenMP keeps a pool of threads per calling thread
        # while that thread lives, and with more pooled threads than cores libgomp stops spin-waiting at
        # barriers: a headless run on the main thread made every later window run's 2-thread steps ~1.7x slower.
        runner = threading.Thread(target=headless)
        runner.start()
        runner.join()
        rate, gap_share = _window_run(app, spec, steps, skip, POLL_MS, None)
        window_rates.append(rate)
        gap_shares.append(gap_share)
    for _ in range(probed_rounds):
        probed_rates.append(_window_run(app, spec, steps, skip, TIMER_MS, gaps_ms)[0])
    gaps = sorted(gaps_ms)

    def pct(q: float) -> float:
        return gaps[min(len(gaps) - 1, int(q * len(gaps)))] if gaps else float("nan")

    return {
        "headless_steps_per_s": headless_rates,
        "window_steps_per_s": window_rates,
        # each window run against the headless run just before it: neighbours in time share the machine's drift
        "window_to_headless_ratio": statistics.median(w / h for w, h in zip(window_rates, headless_rates)),
        "window_to_headless_ratio_rounds": [w / h for w, h in zip(window_rates, headless_rates)],
        # the time training waited while the window painted between two steps (MainWindow._on_gap)
        "window_gap_wait_percent": 100 * statistics.median(gap_shares),
        "probed_window_steps_per_s": probed_rates,
        "probed_window_to_headless_ratio": statistics.mean(probed_rates) / statistics.mean(headless_rates),
        "timer_gap_p50_ms": pct(0.50),
        "timer_gap_p99_ms": pct(0.99),
        "timer_gap_max_ms": gaps[-1] if gaps else float("nan"),
    }


LESSON_LIMIT_S = 1200  # a lesson still playing after 20 minutes is reported as such, not waited for


def lessons(width: int = 1280, height: int = 720) -> dict[str, list[dict[str, object]]]:
    """Every built-in lesson played through in the window at a projector's size, as a lecturer would: Next as soon
    as a step's training (if it has any) is done. Per lesson, the wall clock from opening the preset (the model
    built, torch loaded for the first) to the last step shown, and each step's share of it."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["PLAYGROUND_RUNS_DIR"] = tempfile.mkdtemp(prefix="playground-bench-runs-")
    from PySide6.QtCore import QEventLoop, QTimer

    from playground.core.presets import builtin_presets, load_preset
    from playground.ui.app import make_app
    from playground.ui.main_window import MainWindow

    make_app()
    results: list[dict[str, object]] = []
    for info in (info for info in builtin_presets() if info.lesson):
        spec = load_preset(info.path)
        window = MainWindow(spec.updated({"lesson": None}))
        window.resize(width, height)
        window.show()
        loop = QEventLoop()  # its own loop: the application's quit() would close the window, which asks to save
        steps_s: list[float] = []
        started = [time.perf_counter()]

        def poll(window: MainWindow = window, loop: QEventLoop = loop, steps_s: list[float] = steps_s,
                 started: list[float] = started) -> None:
            bar = window.lessonBar
            step = bar.step
            if step is None or (step.train_until and "trained to step" not in bar.statusLabel.text()):
                return
            steps_s.append(time.perf_counter() - started[0])
            started[0] = time.perf_counter()
            print(f"bench: {window.spec.name}: step {bar.index + 1} of {len(bar.lesson.steps)} shown in "
                  f"{steps_s[-1]:.0f} s", file=sys.stderr, flush=True)
            if bar.index + 1 < len(bar.lesson.steps):
                bar.next()
            else:
                loop.quit()

        timer = QTimer()
        timer.timeout.connect(poll)
        timer.start(50)
        limit = QTimer()
        limit.setSingleShot(True)
        limit.timeout.connect(loop.quit)
        limit.start(LESSON_LIMIT_S * 1000)
        began = time.perf_counter()
        window.load_spec(spec, None)  # as Presets > Lessons > lesson-… does: the lesson starts at its first step
        loop.exec()
        timer.stop()
        limit.stop()
        complete = spec.lesson is not None and len(steps_s) == len(spec.lesson.steps)
        results.append({"lesson": info.name, "seconds": time.perf_counter() - began, "step_seconds": steps_s,
                        "status": "complete" if complete else f"stopped after {LESSON_LIMIT_S} s",
                        "last_step_trained": window.worker.step if window.worker is not None else 0})
        window.shutdown()
        window.deleteLater()
    return {"lessons": results}


if __name__ == "__main__":
    configure_process()  # as the app's entry point does
    if sys.argv[1] == "paint":
        result = first_paint()
    elif sys.argv[1] == "lessons":
        result = lessons()
    else:
        result = train(sys.argv[2], int(sys.argv[3]))
    print("BENCH-JSON " + json.dumps(result))
    sys.stdout.flush()
    os._exit(0)
