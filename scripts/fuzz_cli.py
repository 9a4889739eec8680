"""Fuzz the command line: N hostile presets, data files and checkpoint folders (default 5,000 of each) through
`playground.cli.main`, in this process, under a memory limit; count tracebacks, hangs, out-of-memory and long lines.

Usage: python scripts/fuzz_cli.py [--cases 5000] [--memory-gb 8] [--timeout 20] [--seed 0] [--json FILE]
A preset case is `train PRESET --set train.max_steps=0` (the preset is read and checked, nothing trains); a data
case trains one step of a tiny model on the file; a checkpoint case is `resume FOLDER` or `sample FOLDER`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_fuzz import place

MAX_LINE = 300
TINY = {"model": {"family": "decoder", "n_embd": 8, "n_head": 1, "n_layer": 1, "d_ff": 8, "block_size": 4},
        "train": {"batch_size": 2, "warmup_steps": 0, "max_steps": 1, "eval_interval": 1, "eval_batches": 1,
                  "device": "cpu", "compile": "off", "checkpoint_interval": 1}}
PLACES = ["file"] * 6 + ["fifo", "folder", "dev_zero", "dev_null", "missing", "traversal", "long_name", "dangling"]


class Hang(Exception):
    """A case ran past the timeout."""


def _alarm(_signum: int, _frame: object) -> None:
    raise Hang


def random_value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -5, 1, 2, 7, 64, 10**6, 10**30, -(10**18)])
    if kind == 3:
        return rng.choice([0.5, -1.0, 1e308, 3e-3, float("nan")])
    if kind == 4:
        return "".join(rng.choice("ab é\u202e\0\n{}") for _ in range(rng.randrange(12)))
    if kind == 5:
        return rng.choice(["n" * 200_000, "decoder", "zen", "text_file", "auto", "../../etc/passwd"])
    if kind == 6:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 7:
        return list(range(rng.choice([3, 100_000])))
    return {rng.choice(["model", "data", "train", "n_layer", "x" * 3000, "d_ff", "ffn_width", "path"]):
            random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def mutated(rng: random.Random, base: dict) -> dict:
    """`base` with one to three settings replaced, added or removed."""
    data = json.loads(json.dumps(base))
    for _ in range(rng.randrange(1, 4)):
        section = rng.choice([None, "model", "data", "train"])
        node = data.get(section, data) if section else data
        if not isinstance(node, dict):
            continue
        key = rng.choice([*node, "ffn_width", "d_ff", "path", "x" * 5000]) if node else "x"
        if rng.random() < 0.2:
            node.pop(key, None)
        else:
            node[key] = random_value(rng)
    if rng.random() < 0.2:
        data["schema_version"] = rng.choice([1, 2, 3, 0, True, "1"])
    return data


def preset_bytes(rng: random.Random, base: dict) -> bytes:
    kind = rng.randrange(10)
    if kind == 0:
        return rng.randbytes(rng.randrange(300))
    if kind == 1:
        depth = rng.choice([900, 5000, 100_000])
        return ("[" * depth + "]" * depth).encode()
    text = json.dumps(mutated(rng, base) if kind > 3 else random_value(rng)).encode()
    return b"\xef\xbb\xbf" + text if rng.random() < 0.2 else text


def data_bytes(rng: random.Random) -> bytes:
    kind = rng.randrange(7)
    if kind == 0:
        return rng.randbytes(rng.randrange(400))
    if kind == 1:
        return rng.choice([b"", b"a", b"\xef\xbb\xbfab", b"%PDF-1.4", "hello".encode("utf-16"), b"x" * 300_000])
    if kind == 2:
        rows = [",".join(rng.choice(["a", "b", "good", "", '"', "x" * 2000]) for _ in range(rng.randrange(1, 4)))
                for _ in range(rng.randrange(40))]
        return "\n".join(["text,label", *rows]).encode()
    return "".join(rng.choice("abcdefgh \n") for _ in range(rng.randrange(2, 3000))).encode()


def preset_case(rng: random.Random, root: Path, base: dict) -> list[str]:
    path = place(root, rng.choice(["p.json", "p", "x" * 200 + ".json"]), preset_bytes(rng, base), rng.choice(PLACES))
    return ["train", str(path), "--set", "train.max_steps=0"]


def data_case(rng: random.Random, root: Path, base: dict) -> list[str]:
    name = rng.choice(["text_file", "csv_file", "image_folder", "zen"])
    where = rng.choice(PLACES)
    if name == "image_folder" and where == "folder":
        path = place(root, "images", b"", "folder")
        for i in range(rng.randrange(6)):
            label = path / rng.choice(["a", "b", "c" * 200])
            label.mkdir(exist_ok=True)
            place(label, f"{i}.png", b"\x89PNG" + rng.randbytes(rng.randrange(64)), rng.choice(PLACES))
    else:
        path = place(root, "data.csv" if name == "csv_file" else "data.txt", data_bytes(rng), where)
    family = {"csv_file": "encoder", "image_folder": "vit"}.get(name, "decoder")
    spec = {**TINY, "model": {**TINY["model"], "family": family},
            "data": {"name": name, "path": str(path) if rng.random() < 0.95 else None,
                     "options": rng.choice([{}, {}, {"text_column": "x" * 3000}, {"bogus": 1}])}}
    preset = root / "data-preset.json"
    preset.write_text(json.dumps(spec))
    return ["train", str(preset), "--out", str(root / "run")]


def checkpoint_case(rng: random.Random, root: Path, base: dict) -> list[str]:
    folder = root / "run" / "checkpoint"
    folder.mkdir(parents=True)
    state = {"spec": mutated(rng, base) if rng.random() < 0.7 else random_value(rng),
             "step": rng.choice([0, 1, -5, None, True, 2.5, 10**20, "3"]),
             "model_file": rng.choice(["model.safetensors", "../../etc/passwd", "/etc/passwd", "..", "", "x" * 300,
                                       "state.json", None, 5]),
             "optimizer_file": rng.choice(["optimizer.safetensors", "../x", "/dev/zero"])}
    text = json.dumps(state) if rng.random() < 0.9 else rng.choice(["[" * 50_000, "", "{", "null"])
    place(folder, "state.json", text.encode(), rng.choice(PLACES))
    for name in ("model.safetensors", "optimizer.safetensors"):
        place(folder, name, rng.randbytes(rng.randrange(80)), rng.choice(PLACES))
    return [rng.choice(["resume", "sample"]), str(root / "run" if rng.random() < 0.8 else folder)]


def run_case(argv: list[str], timeout_s: int) -> tuple[str, int | None, str]:
    """(outcome, exit code, stderr) of `playground.cli.main(argv)`."""
    from playground.cli import main

    err = io.StringIO()
    signal.alarm(timeout_s)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
    except Hang:
        return "hang", None, err.getvalue()
    except MemoryError:
        return "out_of_memory", None, err.getvalue()
    except BaseException as exc:  # noqa: BLE001 - anything escaping main() is a traceback the user would see
        return "traceback", None, f"{err.getvalue()}{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        signal.alarm(0)
    text = err.getvalue()
    if "Traceback" in text:
        return "traceback", code, text
    if "out of memory" in text:
        return "out_of_memory", code, text
    return "ok", code, text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000, help="cases of each kind")
    parser.add_argument("--memory-gb", type=float, default=8.0, help="address-space limit (RLIMIT_AS)")
    parser.add_argument("--timeout", type=int, default=20, help="seconds a case may take before it counts as a hang")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default="presets,data,checkpoints")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("PLAYGROUND_RUNS_DIR", tempfile.mkdtemp(prefix="fuzz-runs-"))
    import playground.training.session  # noqa: F401 - torch loaded before the limit, as a long-lived app has it

    limit = int(args.memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    base = json.loads((Path(__file__).resolve().parents[1] / "presets" / "decoder-pydoc.json").read_text())
    makers = {"presets": preset_case, "data": data_case, "checkpoints": checkpoint_case}
    rng = random.Random(args.seed)
    report: dict[str, dict] = {}
    for kind in args.kinds.split(","):
        outcomes: Counter[str] = Counter()
        codes: Counter[str] = Counter()
        examples: dict[str, str] = {}
        longest = 0
        started = time.perf_counter()
        for _ in range(args.cases):
            with tempfile.TemporaryDirectory() as tmp:
                argv = makers[kind](rng, Path(tmp), base)
                outcome, code, text = run_case(argv, args.timeout)
            lines = text.splitlines() or [""]
            longest = max(longest, *map(len, lines))
            if any(len(line) > MAX_LINE for line in lines):
                outcomes["line_over_300"] += 1
                examples.setdefault("line_over_300", max(lines, key=len)[:400])
            outcomes[outcome] += 1
            codes[str(code)] += 1
            if outcome != "ok":
                examples.setdefault(outcome, text[-600:])
        report[kind] = {"cases": args.cases, "tracebacks": outcomes["traceback"], "hangs": outcomes["hang"],
                        "out_of_memory": outcomes["out_of_memory"], "lines_over_300": outcomes["line_over_300"],
                        "longest_line": longest, "exit_codes": dict(codes),
                        "seconds": round(time.perf_counter() - started, 1), "examples": examples}
        print(json.dumps({kind: report[kind]}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    bad = sum(r["tracebacks"] + r["hangs"] + r["out_of_memory"] + r["lines_over_300"] for r in report.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
