"""`playground` on the command line: list presets, train, resume, sample, export and list runs, headless.

Bad input ends in one line on stderr and a non-zero exit code, never a traceback
(set PLAYGROUND_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from playground.training.fastpath.process import configure_process

EXIT_BAD_INPUT = 2
EXIT_TRAINING_FAILED = 3
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An expected failure: printed as one line."""


def main(argv: list[str] | None = None) -> int:
    configure_process()  # the opt-in to the fast path's process-wide settings, before anything imports torch
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", _open_window)
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("playground: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - the one place that turns any failure into one line
        if os.environ.get("PLAYGROUND_DEBUG"):
            raise
        print(f"playground: error: {_one_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _one_line(err: BaseException) -> str:
    from playground.core.messages import EXPECTED, one_line

    return one_line(err, (*EXPECTED, CliError))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playground",
        description="Transformer Playground: train small transformers and watch their attention.",
        epilog="With no command, opens the desktop window on the default preset.",
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the desktop window (the default)")
    gui.add_argument("preset", nargs="?", help="preset file or built-in name")
    gui.set_defaults(handler=_open_window)

    presets = sub.add_parser("presets", help="list the built-in presets")
    presets.set_defaults(handler=_cmd_presets)

    train = sub.add_parser("train", help="train a preset headless")
    train.add_argument("preset", help="preset file or built-in name (see `playground presets`)")
    train.add_argument("--steps", type=int, help="training steps (overrides train.max_steps)")
    train.add_argument("--out", type=Path, help="run folder to write (default: a new folder in --runs-dir)")
    train.add_argument("--runs-dir", type=Path, help="where new run folders go")
    train.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    train.add_argument("--seed", type=int)
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override any setting by its dotted path, e.g. --set model.n_embd=96")
    train.set_defaults(handler=_cmd_train)

    resume = sub.add_parser("resume", help="continue a run from its last checkpoint")
    resume.add_argument("run_dir", type=Path)
    resume.add_argument("--steps", type=int, help="train at most this many more steps")
    resume.set_defaults(handler=_cmd_resume)

    sample = sub.add_parser("sample", help="generate text with a trained decoder")
    sample.add_argument("run_dir", type=Path)
    sample.add_argument("--prompt", default="", help="text to continue")
    sample.add_argument("--tokens", type=int, default=200, help="characters to generate")
    sample.add_argument("--temperature", type=float, default=0.8)
    sample.set_defaults(handler=_cmd_sample)

    export = sub.add_parser("export", help="write a run's model as a Hugging Face folder (transformers loads it)")
    export.add_argument("run_dir", type=Path, help="run folder (or its checkpoint folder)")
    export.add_argument("--out", type=Path, required=True, help="folder to write config.json, model.safetensors, ...")
    export.set_defaults(handler=_cmd_export)

    runs = sub.add_parser("runs", help="list past runs: name, family, steps, validation loss, folder")
    runs.add_argument("--runs-dir", type=Path, help="runs folder to list (default: the user's runs folder)")
    runs.set_defaults(handler=_cmd_runs)

    from playground.viz.command import add_arguments as add_attention_arguments, run_attention

    attention = sub.add_parser("attention", help="draw a run's attention (grid, steps, lines, roles, vit) to "
                                                 ".png/.svg, or its evolution during training to .gif")
    add_attention_arguments(attention)
    attention.set_defaults(handler=run_attention)
    from playground.bench.run import add_parser as add_bench_parser  # stdlib-only at import

    add_bench_parser(sub)
    return parser


# ----- commands ---------------------------------------------------------------------------------------
def _open_window(args: argparse.Namespace) -> int:
    from playground.ui.app import run_app

    return run_app(getattr(args, "preset", None))


def _cmd_presets(args: argparse.Namespace) -> int:
    from playground.core.presets import builtin_presets

    for info in builtin_presets():
        print(f"{info.name:<20} {info.family:<8} {_first_sentence(info.description)}")
    return 0


def _first_sentence(text: str, width: int = 90) -> str:
    sentence = text.split(". ")[0].strip().rstrip(".")
    return sentence if len(sentence) <= width else sentence[: width - 1].rstrip() + "…"


def _cmd_train(args: argparse.Namespace) -> int:
    from playground.core.presets import load_preset
    from playground.training.runs import default_runs_dir, new_run_dir, prepare_run_dir

    spec = load_preset(args.preset)
    changes = dict(_parse_set(item) for item in args.set)
    if args.steps is not None:
        changes["train.max_steps"] = args.steps
        # A short run keeps warm-up to a tenth of it, rather than refusing a warm-up longer than the run.
        changes["train.warmup_steps"] = min(spec.train.warmup_steps, args.steps // 10)
    if args.device:
        changes["train.device"] = args.device
    if args.seed is not None:
        changes["train.seed"] = args.seed
    spec = spec.updated(changes) if changes else spec
    from playground.training import distributed
    from playground.training.session import TrainingSession

    dist = distributed.init_from_env(spec.train)  # None unless launched by torchrun with several processes
    if dist is not None and not dist.is_main:  # only rank 0 writes the run folder, logs and checkpoints
        return distributed.run_worker(TrainingSession(spec, dist=dist))
    if args.out:
        run_dir = args.out
        prepare_run_dir(run_dir, spec)
    else:
        run_dir = new_run_dir(args.runs_dir or default_runs_dir(), spec)
    session = TrainingSession(spec, run_dir=run_dir, dist=dist)
    print(f"run folder: {run_dir}", file=sys.stderr)
    if dist is not None:
        print(f"data-parallel: {distributed.describe(dist, spec)}", file=sys.stderr)
    status = _drive(session, run_dir, steps=None, resumed=False)
    distributed.finish()  # waits for the other processes under torchrun; nothing otherwise
    return status


def _cmd_resume(args: argparse.Namespace) -> int:
    from playground.training.runs import CHECKPOINT_DIR
    from playground.training.session import TrainingSession

    run_dir: Path = args.run_dir
    if not (run_dir / CHECKPOINT_DIR).exists():
        raise CliError(f"{run_dir} has no checkpoint folder: is it a run folder written by `playground train`?")
    from playground.training import distributed

    dist = distributed.init_from_env(_saved_train_spec(run_dir)) if distributed.launched_by_torchrun() else None
    if dist is not None and not dist.is_main:
        return distributed.run_worker(TrainingSession.resume(run_dir / CHECKPOINT_DIR, dist=dist), args.steps)
    session = TrainingSession.resume(run_dir / CHECKPOINT_DIR, run_dir=run_dir, dist=dist)
    if session.step >= session.spec.train.max_steps:
        raise CliError(
            f"this run already finished its {session.spec.train.max_steps} steps: train again with more steps"
        )
    print(f"resuming {run_dir} at step {session.step}", file=sys.stderr)
    status = _drive(session, run_dir, steps=args.steps, resumed=True)
    distributed.finish()
    return status


def _cmd_sample(args: argparse.Namespace) -> int:
    from playground.training.runs import CHECKPOINT_DIR
    from playground.training.session import TrainingSession

    folder = args.run_dir / CHECKPOINT_DIR if (args.run_dir / CHECKPOINT_DIR).exists() else args.run_dir
    session = TrainingSession.resume(folder)
    if not session.info.samples_text:
        raise CliError(f"this run is a {session.spec.model.family} on {session.info.title}: only a decoder trained "
                       f"on text generates samples")
    if args.tokens < 1:
        raise CliError("--tokens must be at least 1")
    text = session.sample(args.prompt, max_new_tokens=args.tokens, temperature=args.temperature)
    print(args.prompt + text)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from playground.export import export_run

    result = export_run(args.run_dir, args.out)
    print(f"exported {result.architecture} to {result.folder} ({', '.join(result.files)})", file=sys.stderr)
    for note in result.notes:
        print(f"  {note}", file=sys.stderr)
    return 0


def _cmd_runs(args: argparse.Namespace) -> int:
    from playground.training.runs import default_runs_dir, list_runs

    root = args.runs_dir or default_runs_dir()
    runs = list_runs(root)
    if not runs:
        print(f"no runs in {root}", file=sys.stderr)
        return 0
    print(f"{'NAME':<28} {'FAMILY':<8} {'STEPS':>7} {'VAL LOSS':>9}  FOLDER")
    for run in runs:
        val = f"{run.val_loss:.4f}" if run.val_loss is not None else "-"
        print(f"{run.name[:28]:<28} {run.family:<8} {run.steps:>7} {val:>9}  {run.folder}")
    return 0


# ----- helpers ----------------------------------------------------------------------------------------
def _saved_train_spec(run_dir: Path) -> Any:
    """The run's TrainSpec from its preset.json (device and batch size, for a resume under torchrun)."""
    from playground.core.presets import load_preset
    from playground.core.spec import TrainSpec
    from playground.training.runs import PRESET_FILE

    return load_preset(run_dir / PRESET_FILE).train if (run_dir / PRESET_FILE).exists() else TrainSpec()


def _parse_set(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise CliError(f"--set takes KEY=VALUE (e.g. model.n_embd=96), got {item!r}")
    try:
        return key.strip(), json.loads(raw)
    except json.JSONDecodeError:
        return key.strip(), raw


def _drive(session: Any, run_dir: Path, steps: int | None, resumed: bool) -> int:
    """The CLI's training loop: a tqdm bar with loss and ETA, one CSV row per step, a final checkpoint."""
    from tqdm import tqdm

    from playground.training.events import FinishedEvent, MetricsEvent, SampleEvent, StatusEvent
    from playground.training.runs import MetricsLog, write_run_info
    from playground.training.tensorboard_log import TensorBoardLog

    log = MetricsLog(run_dir, resume_from_step=session.step if resumed else None)
    session.subscribe(log)
    board = TensorBoardLog(run_dir, resume_from_step=session.step if resumed else None)
    session.subscribe(board)
    from playground.analysis.timeline import SnapshotRecorder

    recorder = SnapshotRecorder(run_dir, resume_from_step=session.step if resumed else None)
    session.subscribe(recorder)  # attention snapshots -> run_dir/attention/, for `playground attention --out x.gif`
    bar = tqdm(total=session.spec.train.max_steps, initial=session.step, unit="step", dynamic_ncols=True,
               file=sys.stderr)
    val = ""
    status = 0
    try:
        for event in session.run(steps):
            if isinstance(event, MetricsEvent):
                if event.val_loss is not None:
                    acc = f" acc {event.val_accuracy:.1%}" if event.val_accuracy is not None else ""
                    val = f"val {event.val_loss:.3f}{acc}"
                bar.set_postfix_str(f"loss {event.train_loss:.3f} {val} {event.throughput:,.0f} {event.unit}/s")
                bar.update(event.step - bar.n)
            elif isinstance(event, StatusEvent):
                bar.write(event.message, file=sys.stderr)
            elif isinstance(event, SampleEvent):
                bar.write(f"--- sample at step {event.step} ---\n{event.text}", file=sys.stderr)
            elif isinstance(event, FinishedEvent) and event.reason != "completed":
                bar.write(f"playground: {event.message}", file=sys.stderr)
                status = EXIT_TRAINING_FAILED
    except KeyboardInterrupt:
        bar.write(f"stopped at step {session.step}; continue with: playground resume {run_dir}", file=sys.stderr)
        status = EXIT_INTERRUPTED
    finally:
        bar.close()
        log.close()
        board.close()
        recorder.flush()
    if status != EXIT_TRAINING_FAILED:
        session.save()
    write_run_info(run_dir, {"step": session.step, "status": "diverged" if status == EXIT_TRAINING_FAILED else "saved"})
    print(f"saved {run_dir} at step {session.step}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
