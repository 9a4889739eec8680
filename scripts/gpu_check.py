"""The stages of scripts/gpu_check.sh, each a subcommand that writes one JSON file (issue 26).

    python3 scripts/gpu_check.py facts   --device cuda --json F    the GPU, torch, the placement, the peak, kernels
    python3 scripts/gpu_check.py bench   --device cuda --json F    every family at the preset and the larger shape
    python3 scripts/gpu_check.py syncs   --device cuda --json F    host syncs per training step (CUDA only)
    python3 scripts/gpu_check.py window  --device cuda --json F    the window, offscreen, against headless training
    python3 scripts/gpu_check.py summary --work DIR --json F       the stages' files and the verdicts, as one JSON
    python3 scripts/gpu_check.py slim-qt WHEEL OUTDIR              PySide6-Essentials without what the app never loads

`--shapes smoke` (the CPU dry run) trains tiny models instead of the preset and larger shapes. The bench stage
writes its file after every case, so a stage stopped at its time limit keeps the cases it finished.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any

from playground.training.fastpath.process import configure_process

TARGETS = {  # issue 26: what must be true on the GPU
    "mfu_large_decoder": 0.40,  # model FLOPs utilisation at the larger decoder shape
    "capture_percent": 5.0,  # one attention snapshot per interval, as % of the steps' time
    "window_to_headless": 0.95,  # the window's redraws cost under 5 % of training speed
}
ORDER = [("decoder", "large"), ("decoder", "preset"), ("encoder", "large"), ("encoder", "preset"),
         ("vit", "large"), ("vit", "preset")]  # the MFU target's shape first: a stage cut short still has it
PLANS = {"full": {"warm": 5, "rounds": 6, "k": 10}, "smoke": {"warm": 2, "rounds": 2, "k": 2}}


def write(path: Path, result: dict[str, Any]) -> None:
    from playground.core.atomic import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(result, indent=1, default=str))


def case_spec(family: str, shape: str, device: str, steps: int | None = None) -> Any:
    """The bench's spec for a family at `shape` ("preset", "large", or the smoke test's "smoke"), on `device`."""
    from playground.bench.run import LARGE, PRESETS, SMOKE
    from playground.core.presets import load_preset

    spec = load_preset(PRESETS[family])
    if shape == "large":
        spec = spec.updated(LARGE[family])
    elif shape == "smoke":
        spec = spec.updated({**SMOKE, "model.block_size": 16} if family != "vit" else SMOKE)
    spec = spec.updated({"train.device": device})
    if steps is None:
        return spec
    return spec.updated({"train.max_steps": steps, "train.warmup_steps": min(spec.train.warmup_steps, steps // 2)})


# ----- facts ----------------------------------------------------------------------------------------------
def facts(device: str) -> dict[str, Any]:
    """What the machine is and what the playground chooses on it: placement, peak, attention kernels."""
    import platform

    import torch

    from playground.bench.hardware import measured_matmul_flops, peak_matmul
    from playground.core.spec import RunSpec, TrainSpec
    from playground.training.fastpath.choose import compiler_available, place

    placement = place(RunSpec(train=TrainSpec(device=device)))
    result: dict[str, Any] = {
        "python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
        "placement": placement.description, "autocast_dtype": str(placement.dtype),
        "compiler_available": compiler_available(placement.device),
    }
    if placement.device.type == "cuda":
        props = torch.cuda.get_device_properties(placement.device)
        result.update(gpu=torch.cuda.get_device_name(placement.device), capability=[props.major, props.minor],
                      multiprocessors=props.multi_processor_count, memory_gib=props.total_memory / 2**30,
                      bf16_supported=torch.cuda.is_bf16_supported(),
                      sdpa_backends={name: getattr(torch.backends.cuda, f"{name}_sdp_enabled")()
                                     for name in ("flash", "mem_efficient", "cudnn", "math")})
    peak = peak_matmul(placement.device, placement.dtype)
    n = 8192 if placement.device.type == "cuda" else 1024
    result.update(peak_flops_per_s=peak.flops_per_s, peak_source=peak.source,
                  measured_matmul_flops_per_s=measured_matmul_flops(placement.device, placement.dtype, n),
                  measured_matmul_n=n, attention_kernels=attention_kernels(device))
    return result


def attention_kernels(device: str) -> dict[str, list[str]]:
    """The ATen attention operators one training forward of each family's preset runs (profiler names)."""
    import torch

    from playground.training.session import TrainingSession

    kernels = {}
    for family in ("decoder", "encoder", "vit"):
        session = TrainingSession(case_spec(family, "preset", device, steps=10).updated({"train.compile": "off"}))
        batch = session.dataset.batch("train", 4, torch.Generator().manual_seed(0)).to(session.placement.device)
        session.model.train()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            with session.placement.autocast_context():
                session.model(batch.x, batch.mask)
        kernels[family] = sorted({e.name for e in prof.events() if "attention" in e.name or "softmax" in e.name})
    return kernels


# ----- bench ----------------------------------------------------------------------------------------------
def bench(device: str, shapes: str, out: Path) -> dict[str, Any]:
    """`playground bench`'s rows (playground against the textbook loop, MFU against the peak) for every family
    at the preset and the larger shape, then the attention capture's cost; the file is rewritten per case."""
    from playground.bench.run import against_reference, capture_cost, machine, print_table

    plan = PLANS["smoke" if shapes == "smoke" else "full"]
    cases = [(f, "smoke") for f in ("decoder", "encoder", "vit")] if shapes == "smoke" else ORDER
    result: dict[str, Any] = {"mode": shapes, "machine": machine(), "training": [], "failed": {}}
    for family, shape in cases:
        print(f"gpu_check: bench {family} at the {shape} shape...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        k = plan["k"] if shape != "large" else max(2, plan["k"] // 3)
        try:
            row = against_reference(family, shape, case_spec(family, shape, device), plan["warm"], plan["rounds"], k)
            row["case_seconds"] = time.perf_counter() - started
            result["training"].append(row)
        except Exception as err:  # noqa: BLE001 - one family's failure must not hide the others' figures
            result["failed"][f"{family}/{shape}"] = f"{type(err).__name__}: {err}"[:600]
        write(out, result)
    capture_shapes = ("smoke",) if shapes == "smoke" else ("preset", "large")
    result["capture"] = {shape: capture_cost(case_spec("decoder", shape, device, steps=10_000), steps=20)
                         for shape in capture_shapes}
    write(out, result)
    print_table({**result, "capture": result["capture"][capture_shapes[0]]})
    return result


# ----- host syncs -----------------------------------------------------------------------------------------
def syncs(device: str, shapes: str, steps: int = 10) -> dict[str, Any]:
    """Synchronising CUDA calls per training step (torch.cuda.set_sync_debug_mode), eager and compiled."""
    import torch

    from playground.training.session import TrainingSession

    if not device.startswith("cuda"):
        return {"note": "sync debug mode needs CUDA: nothing measured on " + device}
    shape = "smoke" if shapes == "smoke" else "large"
    result: dict[str, Any] = {"shape": f"decoder {shape}", "steps": steps}
    for mode in ("off", "on"):
        session = TrainingSession(case_spec("decoder", shape, device, steps=10_000).updated({"train.compile": mode}))
        for _ in range(3):  # compiling and the allocator's first growth are not steady state
            session.train_step()
        torch.cuda.synchronize()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                for _ in range(steps):
                    session.train_step()
            finally:
                torch.cuda.set_sync_debug_mode("default")
        where: dict[str, int] = {}
        for w in caught:
            key = f"{Path(w.filename).name}:{w.lineno}"
            where[key] = where.get(key, 0) + 1
        result["compiled" if session._step_fn.compiled else "eager"] = {
            "syncs_per_step": len(caught) / steps, "where": where,
            "first_message": str(caught[0].message)[:300] if caught else ""}
    return result


# ----- the window -----------------------------------------------------------------------------------------
def window(device: str, shapes: str, seconds: float) -> dict[str, Any]:
    """Headless training for a third of `seconds`, then the window (offscreen) training the same spec for the
    rest: steps/s of both after the first (compiling) steps, the time training waited for the window's paints,
    and the status bar's device text."""
    import threading

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer

    from playground.training.session import TrainingSession
    from playground.ui.app import make_app
    from playground.ui.main_window import MainWindow

    app = make_app()
    shape = "smoke" if shapes == "smoke" else "preset"
    spec = case_spec("decoder", shape, device, steps=1_000_000)  # never finishes inside the check
    headless_s, window_s = seconds / 3, 2 * seconds / 3
    headless: dict[str, float] = {}

    def train_headless() -> None:
        session = TrainingSession(spec)
        started = time.perf_counter()
        session.train_step()  # the compile, when the preset compiles
        headless["first_step_s"] = time.perf_counter() - started
        t0, s0 = time.perf_counter(), session.step
        while time.perf_counter() - started < headless_s or session.step - s0 < 3:
            session.train_step()
        headless["steps_per_s"] = (session.step - s0) / (time.perf_counter() - t0)

    runner = threading.Thread(target=train_headless)  # a thread of its own, like the window's worker
    runner.start()
    runner.join()

    win = MainWindow(spec)
    win.show()
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def tick() -> None:
        worker = win.worker
        now = time.perf_counter()
        if worker is not None and worker.step >= 3 and "t0" not in marks:
            marks.update(t0=now, s0=worker.step, g0=worker.gap_seconds)
        if now - started >= window_s:
            if worker is not None and "t0" in marks:
                marks.update(t1=now, s1=worker.step, g1=worker.gap_seconds)
            app.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(250)
    win.play()
    app.exec()
    timer.stop()
    label = win.deviceLabel.text()
    win.shutdown()
    result: dict[str, Any] = {"preset_shape": shape, "device_label": label, "headless": headless,
                              "seconds": seconds}
    if "t1" in marks:
        span = marks["t1"] - marks["t0"]
        result["window_steps_per_s"] = (marks["s1"] - marks["s0"]) / span
        result["window_gap_wait_percent"] = 100 * (marks["g1"] - marks["g0"]) / span
        if headless.get("steps_per_s"):
            result["window_to_headless_ratio"] = result["window_steps_per_s"] / headless["steps_per_s"]
    return result


# ----- summary --------------------------------------------------------------------------------------------
def junit_counts(path: Path) -> dict[str, Any]:
    """Totals and the failed tests (with the first line of their message) of a pytest --junitxml file."""
    import xml.etree.ElementTree as ET

    if not path.exists():
        return {"note": f"no {path.name}: the test stage did not finish"}
    root = ET.parse(path).getroot()
    cases = list(root.iter("testcase"))
    failed = {}
    for case in cases:
        for bad in (*case.findall("failure"), *case.findall("error")):
            first_line = (bad.get("message") or bad.tag).splitlines()[0] if (bad.get("message") or "").strip() else bad.tag
            failed[f"{case.get('classname')}::{case.get('name')}"] = first_line[:300]
    return {"tests": len(cases), "failed": len(failed), "failures": failed}


def verdicts(stages: dict[str, Any]) -> dict[str, Any]:
    """Issue 26's targets against what the stages measured (None where a stage has no figure)."""
    rows = stages.get("bench", {}).get("training", [])
    large = next((r for r in rows if r["family"] == "decoder" and r["shape"] == "large"), None)
    capture = stages.get("bench", {}).get("capture", {})
    worst_capture = max((c["percent_at_interval"] for c in capture.values()), default=None)
    win = stages.get("window", {})
    gpu = stages.get("facts", {}).get("gpu")
    ratio = win.get("window_to_headless_ratio")
    return {
        "gpu": gpu,
        "mfu_large_decoder": large["mfu"] if large else None,
        "mfu_ok": large["mfu"] >= TARGETS["mfu_large_decoder"] if large else None,
        "capture_percent": worst_capture,
        "capture_ok": worst_capture < TARGETS["capture_percent"] if worst_capture is not None else None,
        "window_to_headless_ratio": ratio,
        "window_ok": ratio >= TARGETS["window_to_headless"] if ratio is not None else None,
        "status_bar_names_gpu": (gpu in win.get("device_label", "")) if gpu and "device_label" in win else None,
        "targets": TARGETS,
    }


def summary(work: Path) -> dict[str, Any]:
    stages: dict[str, Any] = {}
    for name in ("facts", "tests", "bench", "syncs", "window"):
        path = work / f"{name}.json"
        if path.exists():
            try:
                stages[name] = json.loads(path.read_text())
            except ValueError as err:
                stages[name] = {"note": f"unreadable: {err}"}
    stages["tests"] = {**stages.get("tests", {}), **junit_counts(work / "tests.xml")}
    status_file = work / "stages.tsv"  # gpu_check.sh: name, exit code, seconds
    stage_runs = [line.split("\t") for line in status_file.read_text().splitlines()] if status_file.exists() else []
    return {"stages": {n: {"exit": int(rc), "seconds": float(s)} for n, rc, s in stage_runs},
            "verdicts": verdicts(stages), **stages}


# ----- a PySide6 wheel small enough to carry ----------------------------------------------------------------
QT_LIBS = ("libQt6Core.", "libQt6Gui.", "libQt6Widgets.", "libQt6DBus.", "libQt6OpenGL.", "libQt6OpenGLWidgets.",
           "libQt6Svg.", "libQt6SvgWidgets.", "libQt6Test.", "libicu")
QT_PLUGINS = ("platforms/libqoffscreen.so", "platforms/libqminimal.so", "imageformats/libqsvg.so",
              "iconengines/libqsvgicon.so")
BINDINGS = ("QtCore.", "QtGui.", "QtWidgets.", "QtSvg.", "QtSvgWidgets.", "QtOpenGL.", "QtOpenGLWidgets.",
            "QtDBus.", "QtTest.")


def keeps(name: str) -> bool:
    """Whether the slim wheel keeps this member: the modules the window, pyqtgraph and pytest-qt load."""
    parts = name.split("/")
    if parts[0] != "PySide6" or len(parts) == 1:
        return True  # the .dist-info folder
    if name.endswith(".pyi") or parts[1] in ("designer", "lrelease", "lupdate", "linguist", "assistant", "qmlformat",
                                             "qmlls", "qmllint", "qmlcachegen", "qmlimportscanner", "include",
                                             "typesystems", "glue", "scripts", "uic", "rcc", "balsam", "balsamui",
                                             "svgtoqml", "qmltyperegistrar", "metaobjectdump", "androiddeployqt"):
        return False
    if len(parts) == 2:
        return not parts[1].startswith("Qt") or parts[1].startswith(BINDINGS)
    if parts[1] != "Qt":
        return True
    if parts[2] == "lib":
        return parts[3].startswith(QT_LIBS)
    if parts[2] == "plugins":
        return "/".join(parts[3:5]) in QT_PLUGINS
    return parts[2] not in ("qml", "translations", "metatypes", "libexec", "modules")


def slim_qt(wheel: Path, outdir: Path) -> Path:
    """Copy the wheel without the members `keeps` drops; its RECORD lists what is left, with their hashes."""
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / wheel.name
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        record_name = next(n for n in src.namelist() if n.endswith(".dist-info/RECORD"))
        lines = []
        for info in src.infolist():
            if info.filename == record_name or not keeps(info.filename) or info.is_dir():
                continue
            data = src.read(info)
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            lines.append(f"{info.filename},sha256={digest},{len(data)}")
        lines.append(f"{record_name},,")
        dst.writestr(record_name, "\n".join(lines) + "\n")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["facts", "bench", "syncs", "window", "summary", "slim-qt"])
    parser.add_argument("paths", nargs="*", type=Path, help="slim-qt: WHEEL OUTDIR")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--shapes", choices=["full", "smoke"], default="full")
    parser.add_argument("--seconds", type=float, default=60.0, help="window: headless and window time together")
    parser.add_argument("--work", type=Path, help="summary: the folder the stages wrote in")
    parser.add_argument("--json", type=Path, help="where the stage writes its figures")
    args = parser.parse_args(argv)
    if args.stage == "slim-qt":
        print(slim_qt(*args.paths))
        return 0
    configure_process()  # as the CLI and the window do, before torch loads
    if args.stage == "bench":
        result = bench(args.device, args.shapes, args.json)
    elif args.stage == "facts":
        result = facts(args.device)
    elif args.stage == "syncs":
        result = syncs(args.device, args.shapes)
    elif args.stage == "window":
        result = window(args.device, args.shapes, args.seconds)
    else:
        result = summary(args.work)
    write(args.json, result)
    print(json.dumps(result if args.stage != "bench" else {"cases": len(result["training"])}, default=str,
                     indent=None)[:4000])
    sys.stdout.flush()
    if args.stage == "window":
        os._exit(0)  # Qt's threads may still be winding down; the figures are written
    return 0


if __name__ == "__main__":
    sys.exit(main())
