"""`playground` on the command line: list presets, train, resume, sample, export and list runs, headless.

Bad input ends in one line on stderr and a non-zero exit code, never a traceback
(set PLAYGROUND_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import difflib
import errno
import json
import math
import os
import re
import shlex
import signal
import sys
import textwrap
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

from playground.cli_output import (
    EXIT_INTERRUPTED,
    OVERWRITE_HINT,
    CliError,
    add_overwrite_argument,
    check_new_output,
    check_not_in_run,
    out_path,
    writing,
)
from playground.core.messages import counted, loss_text
from playground.core.presets import DEFAULT_PRESET
from playground.core.spec import FAMILY_TITLES, MAX_SEED, setting_choices
from playground.core.versions import version_line
from playground.training.fastpath.process import configure_process, unkept_cache

EXIT_BAD_INPUT = 2
EXIT_TRAINING_FAILED = 3
EXIT_READER_GONE = 141  # as a shell reports a process its pipe's reader ended (128 + SIGPIPE)
MAX_SAMPLE_TOKENS = 100_000  # a few minutes of text on a CPU; more is a typo, and Ctrl-C keeps what came anyway
COMMANDS = ("gui", "presets", "train", "resume", "sample", "export", "runs", "compare", "attention", "bench")
COMMAND_CUTOFF = 0.75  # difflib's ratio from which a lone word is a mistyped command, not a preset's name


def run() -> None:
    """The `playground` command and `python -m playground`: the program opts in to the fast path's process-wide
    settings (before anything imports torch), then runs `main`. Calling `main` alone (tests do) changes none."""
    configure_process()
    quiet_libraries()
    try:
        status = main()
        sys.stdout.flush()  # here, where a reader gone is caught, not in the interpreter's exit
    except BrokenPipeError:  # the reader stopped reading (`playground presets | head -3`): nothing more to say
        # Python's documented way: nothing more reaches the pipe, no second error at exit (QA: "playground: error:
        # [Errno 32] Broken pipe")
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = EXIT_READER_GONE
    distributed = sys.modules.get("playground.training.distributed")  # (loaded only by a command that trains)
    if distributed is not None and distributed.launched_by_torchrun():
        # Out without C++'s teardown: at interpreter exit gloo's threads aborted a rank (SIGABRT, "terminate called
        # without an active exception", about one launch in fifteen on a loaded 2-core machine) after its run had
        # finished and left the process group, and torchrun then failed the whole run. Every file is written and
        # closed by now; torchrun reads the exit code.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


def quiet_libraries() -> None:
    """The program opts in to its libraries saying nothing it says better itself (process-wide, so here, at start,
    never in library code): transformers 5 draws a "Loading weights" bar in every from_pretrained, the export's own
    check among them (huggingface_hub's documented switch turns transformers' bars off too; a user's setting wins);
    Pillow warns of a "decompression bomb DOS attack" for an image the data layer then refuses as too large, in
    words that say what to do."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore", message=r".*could be decompression bomb DOS attack")


def main(argv: list[str] | None = None) -> int:
    args = _parse(_window_by_default(sys.argv[1:] if argv is None else argv))
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", _open_window)
    if unkept_cache() and handler not in (_cmd_presets, _cmd_runs):  # (the commands that load torch: review)
        print(f"playground: note: {unkept_cache()}", file=sys.stderr)
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("playground: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise  # (for `run`: no reader to tell)
    except Exception as err:  # the one place that turns any failure into one line (re-raised when debugging)
        if os.environ.get("PLAYGROUND_DEBUG"):
            raise
        if _interrupted(err):
            print("playground: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        line = _error_line(err)
        print(line, file=sys.stderr)
        for problem in _problems_counted(err, line):
            print(f"playground: note: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _problems_counted(err: BaseException, line: str) -> list[str]:
    """The problems of a run description that its error line counts rather than names: a terminal has no Recent
    Messages to show them in (QA: a preset with six bad values named two, "and 4 more problems")."""
    from playground.core.messages import counted_not_named

    return counted_not_named(getattr(err, "problems", []), line)


def _interrupted(err: BaseException) -> bool:
    """Whether Ctrl-C caused `err`: a compiled module's start interrupted by it raises its own error, the
    KeyboardInterrupt its cause or context (CLI QA: once in 60 exports, "unexpected problem: initialization failed:
    please report it")."""
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _window_by_default(argv: list[str]) -> list[str]:
    """`playground vit-digits` (a preset, no command) opens the window on it, as `playground gui vit-digits` does:
    it was refused as an invalid command. A mistyped command (`playground trian`) is still argparse's to refuse."""
    import difflib

    if len(argv) != 1 or argv[0].startswith("-") or argv[0] in COMMANDS:
        return argv
    arg = argv[0]
    # A preset file (train.json is close to "train") or a name no command is close to: "trian" is argparse's,
    # "nosuchpreset" (0.63 of "presets") the presets' (QA: told only of commands)
    if arg.endswith(".json") or Path(arg).exists() or not difflib.get_close_matches(arg, COMMANDS, n=1,
                                                                                      cutoff=COMMAND_CUTOFF):
        return ["gui", arg]
    return argv


def _error_line(err: BaseException) -> str:
    """'playground: error: ...', the whole line within MAX_LINE characters."""
    from playground.core.messages import EXPECTED, MAX_LINE, one_line

    prefix = "playground: error: "
    line = one_line(err, (*EXPECTED, CliError), width=MAX_LINE - len(prefix))
    # the data's messages name an option as the window shows it: on the command line it is a --set
    line = re.sub(r"\bset the option (\w+)", r"add --set data.options.\1=...", line)
    if "unknown setting '" in line and "did you mean" not in line and len(line + SETTINGS_HINT) <= MAX_LINE - len(prefix):
        line += SETTINGS_HINT  # (QA: nothing said where the settings are listed)
    return prefix + line


SETTINGS_HINT = " (`playground train --help` lists every setting)"


class _Parser(argparse.ArgumentParser):
    """A parser whose refusal is one line, as every other bad input's (newcomer QA: argparse's usage block of four
    lines came before "unrecognized arguments: 64"): the usage without its options, and where the help is."""

    def error(self, message: str) -> NoReturn:
        from playground.core.files import elide
        from playground.core.messages import MAX_LINE

        said = f"{self.prog}: error: {{}} (usage: {short_usage(self.format_usage())}; `{self.prog} --help` says more)"
        self.exit(2, said.format(elide(message, MAX_LINE - len(said))) + "\n")  # (a long --view value: review)


def short_usage(usage: str) -> str:
    """argparse's "usage: playground compare [-h] [--steps STEPS] ... PRESET_A PRESET_B" as "playground compare
    PRESET_A PRESET_B [options]": the arguments, optional ones in brackets, without the options."""
    words = " ".join(usage.split()).removeprefix("usage: ")
    bare = " ".join(re.sub(r" \[-(?:[^\[\]]|\[[^\[\]]*\])*\]", "", words).split())  # an option's [...] may nest one
    return bare + (" [options]" if bare != words else "")


class _CommandParser(_Parser):
    """A command's parser whose --help may end with text made only when asked for (`more_help`): the settings' names
    come from the run description's module, which the window's start should not wait for."""

    more_help: Callable[[], str] | None = None

    def format_help(self) -> str:
        return super().format_help() + (f"\n{self.more_help()}\n" if self.more_help else "")


def _settings_help() -> str:
    """Every setting --set changes, by its dotted path and what it is (QA: a student had to open a preset's JSON to
    find them), and how to train on one's own data."""
    from playground.core.spec import FIELD_TITLES, setting_choices
    from playground.data.registry import builtin_datasets

    # the values of a setting that allows a fixed few (newcomer QA: model.norm's were to be guessed), and the datasets
    choices = {"data.name": tuple(name for name, *_ in builtin_datasets())}
    groups: dict[str, list[str]] = {}
    for key, title in FIELD_TITLES.items():
        if "." in key:
            allowed = choices.get(key) or setting_choices(key)
            said = f"{title}: {' | '.join(json.dumps(v) if isinstance(v, bool) else str(v) for v in allowed)}" \
                if allowed else title  # (true and false, as --set reads them)
            groups.setdefault(key.split(".")[0], []).append(f"{key} ({said})")
    lines = ["settings for --set KEY=VALUE (a preset's JSON file holds their values):"]
    lines += [textwrap.fill(", ".join(items), width=100, initial_indent="  ", subsequent_indent="    ")
              for items in groups.values()]
    lines.append("your own data: --set data.name=text_file (or csv_file, image_folder) --set data.path=FILE")
    return "\n".join(lines)


class _Version(argparse.Action):
    """--version: the versions on one line, read only when asked (argparse's own wraps it to the terminal's width)."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:  # (argparse passes help=)
        super().__init__(option_strings, dest, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any) -> None:
        print(version_line())
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="playground",
        description="Transformer Playground: train small transformers and watch their attention.",
        epilog="With no command, opens the desktop window on the default preset; `playground PRESET` opens it on PRESET.",
    )
    parser.add_argument("--version", action=_Version,
                        help="print the versions of the app and of what it runs on (for a bug report), then exit")
    sub = parser.add_subparsers(metavar="COMMAND", parser_class=_CommandParser)

    gui = sub.add_parser("gui", help="open the desktop window (the default)")
    gui.add_argument("preset", nargs="?", metavar="PRESET",
                     help=f"preset file or built-in name to open (default: {DEFAULT_PRESET}; the window offers the last "
                          f"run trained)")
    gui.set_defaults(handler=_open_window)

    presets = sub.add_parser("presets", help="list the built-in presets")
    presets.add_argument("name", nargs="?", metavar="NAME", help="one preset (a built-in name or a file): its whole description; a "
                                                 "folder: the presets in it")
    presets.set_defaults(handler=_cmd_presets)

    train = sub.add_parser("train", help="train a preset headless; Ctrl-C stops after the current step and saves")
    train.add_argument("preset", metavar="PRESET", help="preset file or built-in name (see `playground presets`)")
    train.add_argument("--steps", type=int, help="training steps (default: the preset's train.max_steps); a warm-up "
                       "longer than a tenth of them is cut to a tenth, unless --set train.warmup_steps says")
    train.add_argument("--out", type=out_path, help="new run folder to write (default: a new folder in --runs-dir); "
                                                "an existing run is refused unless --overwrite")
    train.add_argument("--overwrite", action="store_true",
                       help="replace the earlier run in --out (only a run folder is ever replaced): once the new "
                            "run is built (its data read, its model made) the earlier run's own files go; your "
                            "other files there stay")
    train.add_argument("--runs-dir", type=Path, help="where new run folders go (default: the user's runs folder)")
    train.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"],
                       help="where to train (default: the preset's train.device; auto picks a GPU if there is one)")
    train.add_argument("--seed", type=int, help="random seed of weights and batch order (overrides train.seed)")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override any setting by its dotted path, e.g. --set model.n_embd=96")
    train.set_defaults(handler=_cmd_train)
    train.more_help = _settings_help

    resume = sub.add_parser("resume", help="continue a run from its last checkpoint, on the same curve")
    resume.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="run folder written by `playground train`")
    resume.add_argument("--steps", type=int, help="train N more steps; past the run's end this extends it, and "
                                                  "the extra steps train at the final learning rate (the cosine "
                                                  "decay's end, lr x train.min_lr_ratio), so the curve goes on "
                                                  "without a jump")
    resume.set_defaults(handler=_cmd_resume)

    sample = sub.add_parser("sample", help="generate text with a trained decoder")
    sample.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="run folder (or its checkpoint folder) of a trained decoder")
    sample.add_argument("--prompt", default="", help="text to continue (default: none, it starts from a character of "
                                                    "its validation text)")
    sample.add_argument("--tokens", type=int, default=200,
                        help=f"characters to generate, 1..{MAX_SAMPLE_TOKENS:,} (default 200; Ctrl-C prints those so "
                             f"far)")
    sample.add_argument("--temperature", type=float, default=0.8,
                        help="randomness of the text, a number >= 0: 0 always the likeliest character, 1 the "
                             "model's own odds, above 1 wilder (default 0.8)")
    sample.add_argument("--seed", type=int, help="random seed of the characters drawn, a whole number >= 0: another "
                                                 "seed, another text (default: the run's train.seed)")
    sample.set_defaults(handler=_cmd_sample)

    export = sub.add_parser("export", help="write a run's model as a Hugging Face folder (transformers loads it), "
                                           "or as a plain PyTorch training script")
    export.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="run folder (or its checkpoint folder)")
    export.add_argument("--out", type=out_path, required=True,
                        help="folder to write config.json, model.safetensors, ... (--format hf), or the script's "
                             ".py file, its weights written beside it as .safetensors (--format script)")
    export.add_argument("--format", choices=["hf", "script"], default="hf",
                        help="hf: a Hugging Face folder (default); script: one readable PyTorch file with the model, "
                             "the data and the training loop, which reproduces the run's loss curve")
    export.add_argument("--from-scratch", action="store_true",
                        help="--format script: leave the trained weights out, so the script trains anew")
    add_overwrite_argument(export)
    export.set_defaults(handler=_cmd_export)

    runs = sub.add_parser("runs", help="list past runs: name, family, steps, validation loss, folder")
    runs.add_argument("folders", nargs="*", type=Path, metavar="FOLDER",
                      help="folders to list the runs in (a run folder lists itself), e.g. the parent of a "
                           "`train --out` folder (default: the user's runs folder)")
    runs.add_argument("--runs-dir", type=Path, help="a folder to list the runs in, like FOLDER (as `train --runs-dir` "
                                                    "names it); the user's runs folder is listed only when none is given")
    runs.set_defaults(handler=_cmd_runs)

    compare = sub.add_parser("compare", help="train two presets from the same start (seed, data order, initial "
                                             "weights where the shapes match) and draw both loss curves on one plot")
    compare.add_argument("preset_a", metavar="PRESET_A", help="preset file or built-in name of A")
    compare.add_argument("preset_b", metavar="PRESET_B",
                         help="preset file or built-in name of B (it trains with A's seed, and starts from A's "
                              "initial weights wherever a weight has the same name and shape)")
    compare.add_argument("--steps", type=int, help="training steps of both (overrides train.max_steps)")
    compare.add_argument("--out", type=out_path, default=Path("compare.png"),
                         help="the figure to write, .png or .svg (default: compare.png)")
    compare.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"],
                         help="where both train (default: each preset's train.device)")
    compare.add_argument("--seed", type=int, help="random seed of both (default: A's train.seed)")
    compare.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="override a setting of both by its dotted path, e.g. --set train.batch_size=16")
    add_overwrite_argument(compare)
    compare.set_defaults(handler=_cmd_compare)

    from playground.cli_attention import VIEWS as ATTENTION_VIEWS
    from playground.cli_attention import add_arguments as add_attention_arguments
    from playground.cli_attention import run_attention

    attention = sub.add_parser("attention", help=f"draw a run's attention ({', '.join(ATTENTION_VIEWS)}) to "
                                                 ".png/.svg, its evolution during training to .gif, or every view "
                                                 "in one .html")
    add_attention_arguments(attention)
    add_overwrite_argument(attention)
    attention.set_defaults(handler=run_attention)
    from playground.bench.run import add_parser as add_bench_parser  # stdlib-only at import

    add_bench_parser(sub)
    parser.set_defaults(commands=sub.choices)  # each command's own parser, for `_parse`'s errors
    return parser


def _parse(argv: list[str]) -> argparse.Namespace:
    """The arguments; one the command does not know is refused by that command's parser, with its usage and the
    option it most likely meant (QA: `train … --stpes 5` showed the top-level usage and no suggestion)."""
    parser = _parser()
    word = next((word for word in argv if not word.startswith("-")), None)
    close = difflib.get_close_matches(word, COMMANDS, n=1) if word is not None and word not in COMMANDS else []
    if close:  # (newcomer QA: `playground trian …` listed the commands, no "did you mean", as a preset's typo has)
        parser.error(f"unknown command {word!r} (did you mean {close[0]}?): the commands are {', '.join(COMMANDS)}")
    args, extra = parser.parse_known_args(argv)
    if extra:
        command = next((word for word in argv if word in COMMANDS), None)
        where = args.commands.get(command, parser) if command else parser
        word = extra[0].split("=")[0]
        if command and any(word in _options(other) for other in args.commands.values()):
            hint = f" (`{command}` takes no {word})"  # another command's: no near miss to suggest
        else:
            close = difflib.get_close_matches(word, _options(where), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
        # (newcomer QA: `--set model.n_embd 64`; the value may be another argument's too: `--steps 64`, review)
        key = next((argv[at - 1] for at in range(2, len(argv)) if argv[at] == extra[0] and argv[at - 2] == "--set"
                    and "=" not in argv[at - 1]), None)
        if key is not None:
            hint = f" (--set takes KEY=VALUE as one word: --set {key}={extra[0]})"
        where.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
    return args


def _options(parser: argparse.ArgumentParser) -> list[str]:
    """The --options `parser` takes, as its usage lists them (its help names other commands' too: `runs --bogus` was
    asked "did you mean --out?", review)."""
    return re.findall(r"--[\w-]+", parser.format_usage())


# ----- commands ---------------------------------------------------------------------------------------
def _open_window(args: argparse.Namespace) -> int:
    from playground.ui.app import run_app

    return run_app(getattr(args, "preset", None))


def _cmd_presets(args: argparse.Namespace) -> int:
    from playground.core.files import elide, listed_names
    from playground.core.presets import PRESETS_DIR, presets_in

    if args.name is not None and not args.name.strip():  # (newcomer QA: `presets ""` listed the built-in ones)
        raise CliError("no preset given: `playground presets` lists the built-in ones, `playground presets NAME` "
                       "shows one, `playground presets FOLDER` lists those in a folder")
    folder = Path(args.name) if args.name and Path(args.name).is_dir() else None
    if args.name and folder is None:
        return _show_preset(args.name)
    infos, unread = presets_in(folder or PRESETS_DIR)
    if folder is not None:  # a folder of the user's (newcomer QA: refused as "a folder, not a preset file")
        infos = [replace(info, name=str(info.path)) for info in infos]  # as `train` and `presets` then take them
        if not infos:
            raise CliError(f"no preset in {elide(folder)}: a preset is a .json file the window's File > Save Preset "
                           f"writes" + (f" ({counted(len(unread), 'file')} there did not read as one)" if unread else ""))
    width = max(len(info.name) for info in infos)  # the longest name sets the column (QA: lesson names broke it)
    for info in infos:
        print(f"{info.name:<{width}}  {info.family:<8} {_first_sentence(info.description)}")
    # (on stderr: the list on stdout stays one line a preset, for a script to read)
    if unread:
        print(f"({counted(len(unread), 'other .json file')} there did not read as a preset: "
              f"{listed_names([path.name for path in unread])})", file=sys.stderr)
    print("(`playground presets NAME` shows one preset's whole description)", file=sys.stderr)
    return 0


def _show_preset(name: str) -> int:
    """One preset's whole description, its lesson and the commands that open and train it (newcomer QA: every line
    of the list is cut, and nothing showed the rest)."""
    from playground.core.presets import load_preset

    spec = load_preset(name)
    shown = shlex.quote(name)
    print(f"{spec.name} ({spec.model.family})")
    print(textwrap.fill(spec.description or "(no description)", width=100))
    if spec.lesson is not None:
        print(f"lesson: {spec.lesson.title}, {len(spec.lesson.steps)} steps (it opens with the preset)")
    print(f"open it: playground {shown}  ·  train it: playground train {shown}")
    return 0


def _first_sentence(text: str, width: int = 90) -> str:
    sentence = text.split(". ")[0].strip().rstrip(".")
    return sentence if len(sentence) <= width else sentence[: width - 1].rstrip() + "…"


def _cmd_train(args: argparse.Namespace) -> int:
    from playground.training.runs import check_can_create, check_output_folder

    writes = _writes_run_folder()
    if args.overwrite and args.out is None:
        raise CliError("--overwrite replaces the run folder given by --out: add --out FOLDER")
    if args.out is not None and args.runs_dir is not None:  # (QA: --runs-dir was ignored without a word)
        raise CliError("--out names this run's own folder and --runs-dir where new run folders go: give one of them")
    # Before anything loads, so a wrong --out fails in a moment; only by the writer, because under torchrun
    # rank 0 may already have claimed --out when another rank gets here.
    if writes and args.out is not None:
        with writing(args.out):
            _refuse_diverged_run(args.out, args.overwrite)
            check_output_folder(args.out, overwrite=args.overwrite)
    elif writes and args.runs_dir is not None:
        with writing(args.runs_dir, "--runs-dir"):
            check_can_create(args.runs_dir, "the runs folder")
    spec = _train_spec(args)
    if not writes:
        return _train(spec, None)
    claim = _claim_run_folder(args, spec)
    try:
        return _train(spec, claim)
    finally:
        _discard_if_unsaved(claim)


def _train(spec: Any, claim: Claim | None) -> int:
    """Train `spec` in the claimed run folder (None: a torchrun worker, which writes nothing) to its end or a
    Ctrl-C; where the claim is still replacing an earlier run, that run goes once the new one is built (its data
    read, its model made)."""
    from playground.training import distributed
    from playground.training.runs import replace_earlier_run
    from playground.training.session import TrainingSession

    lock, run_dir = (claim.lock, claim.run_dir) if claim is not None else (None, None)

    dist = distributed.init_from_env(spec.train)  # None unless launched by torchrun with several processes
    if dist is not None and not dist.is_main:  # only rank 0 writes the run folder, logs and checkpoints
        return distributed.run_worker(TrainingSession(spec, dist=dist))
    session = TrainingSession(spec, run_dir=run_dir, dist=dist, run_lock=lock)
    print(f"run folder: {run_dir}", file=sys.stderr)
    if dist is not None:
        print(f"data-parallel: {distributed.describe(dist, spec)}", file=sys.stderr)
    try:
        if claim is not None and claim.replacing:
            replace_earlier_run(run_dir, spec)
            claim.replacing = False
            print(f"replaced the earlier run in {run_dir} (your other files there stay)", file=sys.stderr)
        status = _drive(session, run_dir, steps=None, resumed=False)
    finally:
        session.close()
    distributed.finish()  # waits for the other processes under torchrun; nothing otherwise
    return status


def _train_spec(args: argparse.Namespace, renamed: bool = True) -> Any:
    """The preset with the command line's changes; `renamed`: named for what it trains on where they make it another
    family's or dataset's (compare keeps the presets' names, which tell its two sides apart)."""
    from playground.core.presets import (
        data_path_from,
        is_builtin,
        left_out_note,
        load_preset,
        outside_note,
        resolve_preset_path,
        with_changes,
    )

    spec = load_preset(args.preset)
    path = resolve_preset_path(args.preset)
    changes = dict(_parse_set(item) for item in args.set)
    if not is_builtin(path) and _writes_run_folder():  # (rank 0 alone under torchrun)
        # the file it reads, unless --set names another (review: it named the preset's, which was not read)
        other_data = "data.path" in changes or changes.get("data.name", spec.data.name) != spec.data.name
        for note in (left_out_note(path), "" if other_data else outside_note(spec, path)):
            if note:
                print(f"playground: note: {path.name} {note}", file=sys.stderr)
    _refuse_fixed_architecture(spec, changes)
    spec = _without_the_presets_data(spec, changes)
    if args.steps is not None:
        _check_steps(args.steps)
        changes["train.max_steps"] = args.steps
        warmup = changes.get("train.warmup_steps")
        if warmup is None:
            # A short run keeps the preset's warm-up to a tenth of it, rather than refusing a warm-up longer
            # than the run; a warm-up the user set is theirs, never changed behind their back.
            changes["train.warmup_steps"] = min(spec.train.warmup_steps, args.steps // 10)
        elif isinstance(warmup, int) and not isinstance(warmup, bool) and warmup >= args.steps > 1:
            raise CliError(f"--set train.warmup_steps={warmup} is not shorter than --steps {args.steps}: the "
                           f"warm-up must end before the run does; lower it (e.g. to {args.steps // 10}) or "
                           f"raise --steps")
    if args.device:
        changes["train.device"] = args.device
    if args.seed is not None:
        changes["train.seed"] = args.seed
    if not changes:
        return spec
    changed = with_changes(spec, changes) if renamed else spec.updated(changes)
    # a --set data.path named from here, kept absolute as a preset's is: the run's preset.json resumes anywhere
    return data_path_from(changed, Path.cwd())


def _without_the_presets_data(spec: Any, changes: dict[str, Any]) -> Any:
    """`spec` without its dataset's options and file where --set data.name names another dataset, as the window's
    dataset menu leaves them out (QA: decoder-reverse with --set data.name=text_file stopped at "unknown option
    'length' for text_file", an option the user never typed); what the command line sets stays, the change is said."""
    name = changes.get("data.name")
    if name is None or name == spec.data.name:
        return spec
    left_out = [f"dataset options ({', '.join(f'{key} {value}' for key, value in spec.data.options.items())})"
                if spec.data.options else "", f"file {spec.data.path}" if spec.data.path else ""]
    if not any(left_out):
        return spec
    from playground.data.registry import REGISTRY

    entry = REGISTRY.get(name) if isinstance(name, str) else None  # (review: `data.name=[1]` is the spec's to refuse)
    family = changes.get("model.family", spec.model.family)
    # a dataset this model cannot read is refused alone (newcomer QA: the note came before "unknown dataset 'pydocs'")
    if _writes_run_folder() and entry is not None and family in entry.families:
        print(f"playground: note: another dataset, so this is left out of the preset: "
              f"{' and '.join(filter(None, left_out))}", file=sys.stderr)
    return spec.updated({"data.options": {}, "data.path": None})


def _refuse_fixed_architecture(spec: Any, changes: dict[str, Any]) -> None:
    """A --set that contradicts a pretrained model's architecture is named as the --set it is (the spec's own
    refusal says to edit the preset, which the user did not write)."""
    from playground.core.spec import FIELD_TITLES, PRETRAINED_ARCHITECTURES

    pretrained = changes.get("model.pretrained", spec.model.pretrained)
    fixed = PRETRAINED_ARCHITECTURES.get(pretrained) if isinstance(pretrained, str) else None
    for key, value in changes.items():
        field = key.removeprefix("model.")
        if fixed and key.startswith("model.") and field in fixed and value != fixed[field]:
            raise CliError(f"--set {key}={value}: the pretrained model '{pretrained}' has {FIELD_TITLES[key]} "
                           f"{fixed[field]}, and its architecture is fixed; drop this --set, or train a "
                           f"from-scratch preset")


def _cmd_compare(args: argparse.Namespace) -> int:
    from playground.cli_compare import check_figure_path, run_compare
    from playground.core.files import elide
    from playground.core.messages import EXPECTED, one_line

    check_figure_path(args.out, args.overwrite)  # before anything loads: a wrong --out fails in a moment
    from playground.data import describe

    specs = []
    for side, preset in (("A", args.preset_a), ("B", args.preset_b)):
        try:  # its settings, and its data with them, before either trains
            specs.append(_train_spec(argparse.Namespace(**{**vars(args), "preset": preset}), renamed=False))
            describe(specs[-1].data, specs[-1].model)
        except (CliError, *EXPECTED) as err:  # which side cannot train (CLI QA: "the Vision Transformer needs…")
            raise CliError(f"{side} ({elide(preset, 40)}): {one_line(err, (*EXPECTED, CliError))}",
                           getattr(err, "problems", ())) from None  # (the ones it counts listed below it: review)
    return run_compare(*specs, args.out)


@dataclass
class Claim:
    """A run folder this process trains in: its lock, held; the paths claiming it made (deepest first); and whether
    an earlier run there is still to be replaced (--overwrite), until `_train` has built the new run."""

    lock: Any
    run_dir: Path
    made: list[Path]
    replacing: bool


def _claim_run_folder(args: argparse.Namespace, spec: Any) -> Claim:
    """The new run folder, claimed before torch loads, so a second process is refused at once."""
    from playground.training.runs import (
        LOCK_FILE,
        RUNS_ENV,
        claim_run_dir,
        default_runs_dir,
        lock_run_dir,
        new_run_dir,
    )

    if args.out is not None:
        made = _missing_paths(args.out / LOCK_FILE)
        with writing(args.out):
            lock, replacing = claim_run_dir(args.out, spec, overwrite=args.overwrite)
        run_dir = args.out
    else:
        replacing = False
        root = args.runs_dir or default_runs_dir()
        made = _missing_paths(root)
        # the option to change is the one that chose the folder (QA: "choose another --runs-dir" for the variable)
        chosen_by = "--runs-dir" if args.runs_dir or not os.environ.get(RUNS_ENV) else f"--runs-dir or {RUNS_ENV}"
        with writing(root, chosen_by):
            run_dir = new_run_dir(root, spec)
        made[:0] = [run_dir / LOCK_FILE, run_dir]
        lock = lock_run_dir(run_dir)
    lock.acquire()  # a second hold, kept past the session's close: a run that saved nothing is removed under it
    return Claim(lock, run_dir, made, replacing)


def _missing_paths(target: Path) -> list[Path]:
    """`target` and its folders that do not exist yet, deepest first: what making it creates."""
    missing = []
    for path in (target, *target.parents):
        if os.path.lexists(path):
            break
        missing.append(path)
    return missing


def _remove_made(made: list[Path]) -> None:
    """The paths a command made (deepest first): its files, and its folders while they are still empty (rmdir: one
    someone used is kept, and the ones above it)."""
    for path in made:
        try:
            path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        except OSError:
            return


def _discard_if_unsaved(claim: Claim) -> None:
    """Remove a run folder that ended without a checkpoint (bad data, divergence, a Ctrl-C in its first step):
    nothing can resume it, and its stub would block a retry on the same --out and clutter `playground runs`.
    Only what this process made goes: the run's files in the folder it claimed, then the lock file and the folders
    it created. An --overwrite whose new run was never built leaves the earlier run as it was, with or without a
    checkpoint (review: one without lost its files, and a preset.json of the user's with them)."""
    from playground.training.runs import CHECKPOINT_DIR, STATE_FILE, remove_run_entries

    run_dir = claim.run_dir
    try:  # under the lock: no other process writes here
        if claim.replacing or (run_dir / CHECKPOINT_DIR / STATE_FILE).exists():
            return
        remove_run_entries(run_dir)  # the run's own files only: a user's files beside them stay
    finally:
        claim.lock.release(force=True)
    _remove_made(claim.made)


def _refuse_diverged_run(folder: Path, overwrite: bool) -> None:
    """A run that diverged would diverge again if resumed: its retry is a new run at a lower learning rate."""
    from playground.training.runs import is_run_dir, read_run_info

    if not overwrite and is_run_dir(folder) and read_run_info(folder).get("status") == "diverged":
        from playground.core.files import elide

        raise CliError(f"{elide(folder)} holds a run that diverged: to train it again (with a lower --set train.lr) "
                       f"{OVERWRITE_HINT}")


def _writes_run_folder() -> bool:
    """Under torchrun only rank 0 writes the run folder (torchrun tells each process its RANK)."""
    return os.environ.get("RANK", "0") == "0"


def _cmd_resume(args: argparse.Namespace) -> int:
    from playground.training.runs import CHECKPOINT_DIR, PRESET_FILE, checkpoint_folder, lock_run_dir, preset_edited

    run_dir: Path = args.run_dir
    if checkpoint_folder(run_dir) != run_dir / CHECKPOINT_DIR:  # before anything loads: missing in a moment
        raise CliError(f"{run_dir} is a checkpoint folder: resume its run folder, the one above it")
    if args.steps is not None:
        _check_steps(args.steps)
    lock = lock_run_dir(run_dir) if _writes_run_folder() else None
    from playground.core.messages import retrain_command
    from playground.training import distributed
    from playground.training.session import TrainingSession

    dist = distributed.init_from_env(_saved_train_spec(run_dir)) if distributed.launched_by_torchrun() else None
    if dist is not None and not dist.is_main:
        worker = TrainingSession.resume(run_dir / CHECKPOINT_DIR, dist=dist)
        _extend(worker, args.steps)
        return distributed.run_worker(worker, args.steps)
    session = TrainingSession.resume(run_dir / CHECKPOINT_DIR, run_dir=run_dir, dist=dist, run_lock=lock)
    try:
        end = session.spec.train.max_steps
        if _extend(session, args.steps):
            print(f"extending {run_dir} from {end} to {session.spec.train.max_steps} steps: past step {end} at "
                  f"the final learning rate {session.lr_at(end):.3g}", file=sys.stderr)
        elif session.step >= session.planned_end:
            raise CliError(f"{run_dir} already finished its {end} steps: add --steps N to train N more (at its "
                           f"final learning rate)")
        if preset_edited(run_dir):
            print(f"note: {run_dir / PRESET_FILE} was edited since the run started; a resume continues with the "
                  f"settings the run was trained with. To train with your edits, start a new run: "
                  f"{retrain_command(str(run_dir / PRESET_FILE))}", file=sys.stderr)
        elif not (run_dir / PRESET_FILE).exists():  # (CLI QA: resumed unsaid, as if nothing were missing)
            print(f"note: {run_dir / PRESET_FILE} is missing; the resume continues with the settings the run was "
                  f"trained with, its checkpoint's", file=sys.stderr)
        print(f"resuming {run_dir} at step {session.step}", file=sys.stderr)
        status = _drive(session, run_dir, steps=args.steps, resumed=True)
    finally:
        session.close()
    distributed.finish()
    return status


def _check_steps(steps: int) -> None:
    from playground.core.spec import MAX_STEPS

    if not 1 <= steps <= MAX_STEPS:
        raise CliError(f"--steps must be 1..{MAX_STEPS:,}, not {steps:,}")


def _extend(session: Any, steps: int | None) -> bool:
    """Let `steps` more steps go past the run's end (`TrainingSession.extend`); True when the end moved."""
    if steps is None:
        return False
    end = session.spec.train.max_steps
    session.extend(steps)
    return bool(session.spec.train.max_steps != end)


def _cmd_sample(args: argparse.Namespace) -> int:
    from playground.training.runs import checkpoint_folder

    folder = checkpoint_folder(args.run_dir)  # before torch loads: a missing run is reported in a moment
    if not 1 <= args.tokens <= MAX_SAMPLE_TOKENS:
        # the advice for the side it missed (QA: --tokens 0 was told how to get a longer text)
        fix = ("for a longer text, sample again with the end of this one as --prompt" if args.tokens > MAX_SAMPLE_TOKENS else
               "ask for 1 character or more, e.g. --tokens 200")
        raise CliError(f"--tokens must be 1..{MAX_SAMPLE_TOKENS:,}, not {args.tokens:,}: {fix}")
    if not (math.isfinite(args.temperature) and args.temperature >= 0):
        raise CliError(f"--temperature must be a number >= 0 (0 always picks the likeliest character), not "
                       f"{args.temperature}")
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        raise CliError(f"--seed must be a whole number 0..{MAX_SEED:,}, not {args.seed:,}")
    from playground.training.session import TrainingSession

    session = TrainingSession.from_weights(folder)
    if not session.info.samples_text:  # (CLI QA: "this run is a decoder on Reverse: only a decoder trained on text")
        from playground.data import REGISTRY

        texts = ", ".join(key for key, entry in REGISTRY.items() if entry.kind == "text")
        # what it learned can still be looked at (newcomer QA: told only where samples come from)
        source = (f"samples come from a decoder trained on running text (data.name {texts}); see this run's "
                  f"attention with: playground attention {shlex.quote(str(args.run_dir))}")
        if session.spec.model.family == "decoder":
            raise CliError(f"this run's decoder learned {session.info.title}, a task, not running text: {source}")
        title = FAMILY_TITLES[session.spec.model.family]
        from playground.core.files import with_article

        raise CliError(f"this run is {with_article(title)} on {session.info.title}: {source}")
    text, interrupted = _sample_text(session, args.prompt, args.tokens, args.temperature, args.seed)
    print(args.prompt + text)
    if interrupted:
        print(f"playground: interrupted after {len(text):,} of {counted(args.tokens, 'character')}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _sample_text(session: Any, prompt: str, tokens: int, temperature: float, seed: int | None) -> tuple[str, bool]:
    """The sample, and whether Ctrl-C cut it short: then the text so far rather than nothing."""
    so_far: list[str] = []
    try:
        return session.sample(prompt, max_new_tokens=tokens, temperature=temperature, on_token=so_far.append,
                              seed=seed), False
    except KeyboardInterrupt:
        return "".join(so_far), True


def _cmd_export(args: argparse.Namespace) -> int:
    from playground.training.runs import CHECKPOINT_DIR, check_can_create, checkpoint_folder

    checkpoint_folder(args.run_dir)  # before torch loads: a missing run or an unwritable --out fails in a moment
    if args.format == "script":
        return _export_script(args)
    if args.from_scratch:
        raise CliError("--from-scratch leaves the weights out of a script: add --format script")
    if args.out.suffix.lower() == ".py" and not args.out.is_dir():  # (QA: it made a folder named file.py)
        raise CliError(f"--out {args.out.name} names a Python file, and a Hugging Face export is a folder: add "
                       f"--format script for the standalone script, or give --out a folder")
    with writing(args.out):
        check_can_create(args.out, "the export folder")
        check_not_in_run(args.out, f"{args.out.absolute()}-export")
        check_new_output(args.out, args.overwrite)
    from playground.export.hf import NoHFClassError, export_run

    made = _missing_paths(args.out)
    try:
        with writing(args.out):
            result = export_run(args.run_dir, args.out)
    except NoHFClassError as err:  # (CLI QA: told only to train again, where its own script exports it as it is)
        run = args.run_dir.parent if args.run_dir.name == CHECKPOINT_DIR else args.run_dir
        raise CliError(f"{err}; or export it as its own PyTorch script: playground export "
                       f"{shlex.quote(str(args.run_dir))} --format script --out {shlex.quote(f'{run}.py')}") from None
    except BaseException:  # (CLI QA: a Ctrl-C left an empty export folder behind)
        _remove_made(made)
        raise
    print(f"exported {result.architecture} to {result.folder} ({', '.join(result.files)})", file=sys.stderr)
    for note in result.notes:
        print(f"  {note}", file=sys.stderr)
    return 0


def _export_script(args: argparse.Namespace) -> int:
    from playground.export.script import check_script_path
    from playground.training.runs import check_can_create

    check_script_path(args.out)  # first: an --out folder was told to add --overwrite, then that it is no .py (QA)
    with writing(args.out):
        check_can_create(args.out.parent, "the script's folder")
        check_not_in_run(args.out.parent, f"{args.out.parent.absolute()}.py")  # (beside it, as NoHFClassError's)
        for path in (args.out, *([] if args.from_scratch else [args.out.with_suffix(".safetensors")])):
            check_new_output(path, args.overwrite)
    from playground.export.script import export_script

    with writing(args.out):
        result = export_script(args.run_dir, args.out, from_scratch=args.from_scratch)
    written = f"{result.script} and its weights {result.weights.name}" if result.weights else str(result.script)
    # the path as the user gave it, quoted for a shell: copied as is, it runs from where they are
    print(f"exported the run (step {result.step}) as {written}: run it with python {shlex.quote(str(args.out))}",
          file=sys.stderr)
    for note in result.notes:
        print(f"  {note}", file=sys.stderr)
    return 0


def _cmd_runs(args: argparse.Namespace) -> int:
    from playground.core.files import elide
    from playground.training.run_labels import run_labels
    from playground.training.runs import default_runs_dir

    given = [*args.folders, *([args.runs_dir] if args.runs_dir else [])]
    for root in given:  # a mistyped folder is said, not listed as holding no runs (only the default may be new)
        if not root.exists():
            raise CliError(f"no folder at {elide(root)}: check the path")  # (as resume, sample and export say it)
        if not root.is_dir():
            raise CliError(f"{elide(root)} is a file, not a folder: give a folder holding runs, or a run folder")
    roots = given or [default_runs_dir()]
    runs = _runs_in(roots)
    if not runs:
        where = ", ".join(str(root) for root in roots)
        print(f"no runs in {where} (a run written with --out is listed by `playground runs` on its parent folder)",
              file=sys.stderr)
        return 0
    names = run_labels(runs)  # runs of one name told apart as the Runs tab does (lesson 19.4's three listed alike)
    name_width = max(len("NAME"), *(_columns_of(name) for name in names.values()))
    family_width = max(len("FAMILY"), *(len(run.family) for run in runs))
    saved = {run.folder: _checkpoint_word(run) for run in runs}
    saved_width = max(len("CHECKPOINT"), *(len(word) for word in saved.values()))  # ("at 12345678": review)
    print(f"{'NAME':<{name_width}}  {'FAMILY':<{family_width}} {'STEPS':>7} {'VAL LOSS':>9}  "
          f"{'CHECKPOINT':<{saved_width}}  FOLDER")
    for run in runs:
        val = loss_text(run.val_loss) if run.val_loss is not None else "-"
        name = names[run.folder]
        print(f"{name}{' ' * (name_width - _columns_of(name))}  {run.family:<{family_width}} {run.steps:>7} {val:>9}  "
              f"{saved[run.folder]:<{saved_width}}  {run.folder}")
    return 0


def _columns_of(text: str) -> int:
    """The terminal columns `text` takes: a wide character (Chinese, Japanese, Korean) two (newcomer QA: a run named
    in Japanese put the table's columns out of line)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _checkpoint_word(run: Any) -> str:
    """What `resume`, `sample` and `export` find in the run (QA: a run with no checkpoint was listed like the others,
    and one whose weights were cut short as "yes"): its files' headers are read, not its tensors."""
    from playground.training.checkpoint_state import check_tensor_files, read_state
    from playground.training.runs import CHECKPOINT_DIR, training_now

    if not run.has_checkpoint:  # (QA: a run training now, its first checkpoint not saved yet, was listed as "none")
        return "training" if training_now(run.folder) else "none"
    try:
        checkpoint = run.folder / CHECKPOINT_DIR
        state = read_state(checkpoint)
        check_tensor_files(checkpoint, state)
    except ValueError:
        return "damaged"
    if run.status == "diverged":
        return "diverged"
    # a run stopped past its last checkpoint resumes from it (QA: listed at 153 steps, "yes", and resumed at 143)
    return f"at {state['step']}" if state["step"] < run.steps else "yes"  # (as STEPS writes it)


def _runs_in(roots: list[Path]) -> list[Any]:
    """The runs in each folder (a run folder itself counts as one), each once, in the order given."""
    from playground.training.runs import is_run_dir, list_runs, summarize_run

    runs = []
    seen: set[Path] = set()
    for root in roots:
        for run in [summarize_run(root)] if is_run_dir(root) else list_runs(root):
            if run.folder.resolve() not in seen:
                seen.add(run.folder.resolve())
                runs.append(run)
    return runs


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
    key, raw = key.strip(), raw.strip()  # (newcomer QA: "model.norm = pre" was refused as ' pre')
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    if key == "data.options" and not isinstance(value, dict):  # (newcomer QA: told only "must be an object {...}")
        raise CliError(f"--set data.options={raw} is not a dataset's options: set each with --set "
                       f"data.options.NAME=VALUE (e.g. data.options.length=8), or all as a JSON object")
    return key, _as_choice(key, value) if isinstance(value, str) else value


def _as_choice(key: str, value: str) -> str:
    """A setting of a fixed few values in their own case: "Pre" is "pre" (newcomer QA: refused)."""
    return next((choice for choice in setting_choices(key) if isinstance(choice, str)
                 and choice.casefold() == value.casefold()), value)


LOG_BAR_INTERVAL_S = 30.0  # a progress line this often where stderr is a file (a job's log), not a terminal


def _bar_pace(stream: Any) -> dict[str, float]:
    """How often tqdm draws the progress bar on `stream`: its defaults on a terminal; in a log file, where each
    drawing stays, every LOG_BAR_INTERVAL_S, at least and at most (QA: a drawing for every step)."""
    return {} if stream.isatty() else {"mininterval": LOG_BAR_INTERVAL_S, "maxinterval": LOG_BAR_INTERVAL_S}


def _drive(session: Any, run_dir: Path, steps: int | None, resumed: bool) -> int:
    """The CLI's training loop: a tqdm bar with loss and ETA, the run folder's records, a final checkpoint."""
    from tqdm import tqdm

    from playground.recorder import RunRecorder
    from playground.training.events import (
        TRAINING_ON,
        FinishedEvent,
        MetricsEvent,
        SampleEvent,
        SettingChange,
        StatusEvent,
    )
    from playground.training.runs import write_run_info

    for warning in session.info.warnings:  # rows, images or text the data could not use: said, not dropped silently
        print(f"playground: note: {warning}", file=sys.stderr)
    recorder = RunRecorder(run_dir, resume_from_step=session.step if resumed else None)
    for note in recorder.notes:
        print(f"playground: note: {note}", file=sys.stderr)
    session.subscribe(recorder)  # metrics.csv, TensorBoard, attention/ (for `playground attention --out x.gif`)
    # To where this command stops: `resume --steps 60` of a 2,000-step run stopped at step 61 under "61/2000 3%"
    # (newcomer QA)
    # (and a raise of the training steps the resume replays on the way counts: review)
    end = session.planned_end if steps is None else min(session.planned_end, session.step + steps)
    bar = tqdm(total=end, initial=session.step, unit="step", dynamic_ncols=True, file=sys.stderr,
               **_bar_pace(sys.stderr))
    if session.step > 0:  # the session says where it trains only at step 0: a resume says it here, as train does
        bar.write(TRAINING_ON.format(device=session.device_description()), file=sys.stderr)
    val = ""
    status = 0
    stop = _StopOnCtrlC(terminate=session.dist is None, saved=lambda: session.checkpoint_step is not None)
    not_written: BaseException | None = None
    try:
        with stop:
            for event in session.run(steps):
                if isinstance(event, MetricsEvent):
                    if event.val_loss is not None:
                        acc = f" acc {event.val_accuracy:.1%}" if event.val_accuracy is not None else ""
                        val = f"val {loss_text(event.val_loss)}{acc}"
                    bar.set_postfix_str(f"loss {loss_text(event.train_loss)} {val} {event.throughput:,.0f} {event.unit}/s",
                                        refresh=False)  # (drawn by the update, as often as its interval lets it)
                    bar.update(event.step - bar.n)
                elif isinstance(event, StatusEvent):
                    bar.write(event.message, file=sys.stderr)
                elif isinstance(event, SampleEvent):
                    bar.write(f"--- sample at step {event.step} ---\n{event.text}", file=sys.stderr)
                elif isinstance(event, SettingChange):  # recorded by the run after its checkpoint: replayed
                    bar.write(f"after step {event.step}: {event.label}, as the run changed it", file=sys.stderr)
                elif isinstance(event, FinishedEvent) and event.reason != "completed":
                    bar.write(f"playground: {event.message}", file=sys.stderr)
                    status = EXIT_TRAINING_FAILED
                if stop.asked:
                    break
        status = stop.exit_status if stop.asked else status
    except KeyboardInterrupt:  # the second Ctrl-C: stopped at once, maybe midway through a step
        status = stop.exit_status
    except OSError as err:  # a checkpoint that could not be written: a full disk (QA: "unexpected problem")
        not_written = _written_error(run_dir, session, err)
    finally:
        bar.close()
        try:
            recorder.close()
        except OSError as err:  # its own files fail on that disk too: the first failure says what is kept (review)
            not_written = not_written or _written_error(run_dir, session, err)
    if not_written is not None:
        raise not_written from None
    cut_saving = False
    if status != EXIT_TRAINING_FAILED:
        try:
            session.save()  # saves nothing after a step cut off midway: the last checkpoint stays
        except OSError as err:
            raise _written_error(run_dir, session, err) from None
        except KeyboardInterrupt:  # Ctrl-C again while it saved (its evaluation takes a while): the last one stays
            status, cut_saving = EXIT_INTERRUPTED, True
        if session.diverged:  # the weights of this step evaluated as blown up: they were not saved
            print(f"playground: the weights after step {session.step} evaluate as diverged, so they were not "
                  f"saved: train again with a lower learning rate", file=sys.stderr)
            status = EXIT_TRAINING_FAILED
    kept = session.checkpoint_step
    ended = "diverged" if status == EXIT_TRAINING_FAILED else "saved" if kept == session.step else "stopped"
    write_run_info(run_dir, {"step": session.step, "status": ended})
    print(_end_message(run_dir, session.step, kept, status, cut_saving), file=sys.stderr)
    if status == 0 and kept == session.step:
        print(_next_commands(run_dir, session.spec, session.info.samples_text), file=sys.stderr)
    return status


def _next_commands(run_dir: Path, spec: Any, writes_text: bool) -> str:
    """What a trained run can do next, as commands to copy (QA: a finished run said only where it was saved): a model
    Hugging Face's classes would compute otherwise (an ablation's) is exported as its own PyTorch script (review)."""
    from playground.core.spec import hf_incompatibilities

    run = shlex.quote(str(run_dir))
    steps = [f"playground sample {run}"] if writes_text else []
    steps.append(f"playground attention {run} --out attention.png")
    if hf_incompatibilities(spec.model):
        steps.append(f"playground export {run} --format script --out {shlex.quote(f'{run_dir}.py')}")
    else:
        steps.append(f"playground export {run} --out {shlex.quote(f'{run_dir}-hf')}")
    return "next: " + "  ·  ".join(steps)


def _written_error(run_dir: Path, session: Any, err: OSError) -> BaseException:
    """A write into the run folder that failed, as what it still holds and what to do; any other OSError (one
    with no file: a closed pipe) as it is."""
    if err.filename is None:
        return err
    full = err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))  # (Windows has no quota number)
    then = "free some space, then" if full else "once it can be written,"
    why = f"cannot write into the run folder: {err.strerror or err}"  # (named once: a long path elided the rest)
    kept = session.checkpoint_step
    if kept is None:
        return CliError(f"{why}; it holds no checkpoint yet: {then} train again")
    return CliError(f"{why}; its checkpoint of step {kept} is whole: {then} continue with: playground resume "
                    f"{run_dir}")


def _end_message(run_dir: Path, step: int, kept: int | None, status: int, cut_saving: bool = False) -> str:
    """What the run folder holds now and how to go on: never a checkpoint that does not exist (QA: a Ctrl-C while
    the last one saved said only "interrupted")."""
    if kept is None:
        return f"{run_dir} saved no checkpoint, so its files are removed: train again"
    if status == EXIT_TRAINING_FAILED:
        return (f"{run_dir} keeps its last good checkpoint, of step {kept}: train again with a lower --set "
                f"train.lr and another --out, or --out {run_dir} --overwrite to replace this run")
    if kept != step:
        stopped = f"stopped while saving step {step}" if cut_saving else f"stopped midway through step {step + 1}"
        return (f"{stopped}: {run_dir} keeps its checkpoint of step {kept}; continue from it with: playground resume "
                f"{run_dir}")
    if status > 128:  # ended by Ctrl-C or a termination request
        return f"stopped and saved {run_dir} at step {step}; continue with: playground resume {run_dir}"
    return f"saved {run_dir} at step {step}"


class _StopOnCtrlC:
    """While training, the first Ctrl-C asks to stop after the current step, so what is saved is a whole step
    (batch order and random states with it) and `resume` draws exactly the uninterrupted curve; a second Ctrl-C
    stops at once (then the last checkpoint is kept). A termination request (SIGTERM: `kill`, `timeout`, a job
    scheduler) stops the same way where `terminate`: it killed the run outright, and one stopped before its first
    checkpoint kept a folder nothing could resume (QA). Not under torchrun (review): the other ranks end at once on
    it, and a rank 0 finishing its step would wait for them in the step's collective. Only the main thread receives
    signals."""

    def __init__(self, terminate: bool = True, saved: Callable[[], bool] = lambda: True) -> None:
        self.saved = saved  # whether the run has a checkpoint, which stopping at once would keep
        self.asked = False
        self.exit_status = EXIT_INTERRUPTED
        self._signals = (signal.SIGINT, signal.SIGTERM) if terminate else (signal.SIGINT,)
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopOnCtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = {number: signal.signal(number, self._handle) for number in self._signals}
        return self

    def __exit__(self, *exc: object) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
        self.exit_status = 128 + signum  # as the shell reports a process the signal ended: 130 for Ctrl-C
        again = "Ctrl-C" if signum == signal.SIGINT else "a second signal"
        # (QA: a second Ctrl-C before the first checkpoint removed the run's 55 steps, unwarned)
        lost = "" if self.saved() else ", losing the run: it has no checkpoint yet"
        os.write(sys.stderr.fileno(), f"\nstopping after this step ({again} to stop at once{lost})\n".encode())


if __name__ == "__main__":
    run()
