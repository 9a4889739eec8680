"""Hostile files, drawn by hypothesis: presets, data files and checkpoint folders either load or are refused with
one short line of the project's own error types (never a traceback, a hang on a pipe, or an unbounded read)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground import data as datasets
from playground.core import presets
from playground.core.spec import DataSpec, ModelSpec
from playground.training.checkpoint import load_checkpoint

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLASS_NAME = re.compile(r"\b[A-Z]\w*(Error|Exception)\b")
DEFAULT = json.loads(presets.PRESETS_DIR.joinpath(f"{presets.DEFAULT_PRESET}.json").read_text())

# ----- what a hostile file holds ------------------------------------------------------------------------
leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(), st.text(max_size=20))
value = st.recursive(leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                    max_size=4), max_leaves=10)
huge = st.sampled_from([
    "n" * 300_000, list(range(100_000)), {str(i): i for i in range(20_000)}, 10**4000 // 10**3990, "\u202e" * 1000,
])


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def preset_text(draw: st.DrawFn) -> bytes:
    """A preset's bytes: the default preset with fields replaced, random JSON, a deep nest, or random bytes."""
    kind = draw(st.sampled_from(["mutated", "json", "deep", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "deep":
        return _nested(draw(st.integers(500, 50_000))).encode()
    data = json.loads(json.dumps(DEFAULT)) if kind == "mutated" else draw(value)
    if isinstance(data, dict):
        section = draw(st.sampled_from([None, "model", "data", "train"]))
        node = data.get(section) if section else data
        if isinstance(node, dict):
            key = draw(st.sampled_from([*node, "ffn_width", "x" * 5000]) if node else st.just("x"))
            node[key] = draw(st.one_of(value, huge))
        if draw(st.booleans()):
            data["schema_version"] = draw(st.sampled_from([1, 1, 2, 0, 3, True, "1"]))
    text = json.dumps(data).encode()
    return (b"\xef\xbb\xbf" + text) if draw(st.booleans()) else text


# ----- where it lies: a regular file, or something that only looks like one -----------------------------
PLACES = ["file", "fifo", "folder", "dev_zero", "dev_null", "missing", "traversal", "long_name", "dangling"]


def place(root: Path, name: str, content: bytes, where: str) -> Path:
    """`content` at root/name as a regular file, or a pipe, folder, device link, traversal or impossible name."""
    path = root / name
    if where == "file":
        path.write_bytes(content)
    elif where == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer forever
    elif where == "folder":
        path.mkdir()
    elif where in ("dev_zero", "dev_null"):
        path.symlink_to(f"/dev/{where[4:]}")
    elif where == "dangling":
        path.symlink_to(root / "nowhere")
    elif where == "traversal":
        return root / ("../" * 12 + "etc/passwd")
    elif where == "long_name":
        return root / ("y" * 5000) / name
    return path


def refused_cleanly(load: Callable[[], object]) -> None:
    """`load()` succeeds, or raises one of the project's errors (ValueError subclasses) as one short line."""
    try:
        load()
    except ValueError as err:
        message = str(err)
        assert type(err).__module__.startswith("playground."), f"{type(err).__name__}: {message[:300]}"
        assert message and "\n" not in message and len(message) <= 300, message[:600]
        assert not CLASS_NAME.search(message), message


@pytest.mark.slow
@FUZZ
@given(preset_text(), st.sampled_from(PLACES))
def test_hostile_presets_load_or_are_refused_in_one_line(content: bytes, where: str):
    with tempfile.TemporaryDirectory() as tmp:
        path = place(Path(tmp), "p.json", content, where)
        refused_cleanly(lambda: presets.load_preset(path))


csv_text = st.lists(st.lists(st.text(max_size=30), min_size=1, max_size=4).map(",".join), max_size=30).map(
    lambda rows: "\n".join(["text,label", *rows]).encode())
data_bytes = st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode), csv_text,
                       st.sampled_from([b"\xef\xbb\xbfa", b"x" * 200_000, b"%PDF-1.4", ("a,b\n" * 50).encode("utf-16")]))


@FUZZ
@given(st.sampled_from(["text_file", "csv_file"]), data_bytes, st.sampled_from(PLACES),
       st.sampled_from([{}, {"text_column": "x" * 3000}, {"label_column": ""}, {"bogus": 1}]))
def test_hostile_text_and_csv_files_load_or_are_refused_in_one_line(name: str, content: bytes, where: str,
                                                                   options: dict):
    family = "encoder" if name == "csv_file" or len(content) % 2 else "decoder"
    with tempfile.TemporaryDirectory() as tmp:
        path = place(Path(tmp), "data.csv" if name == "csv_file" else "data.txt", content, where)
        spec = DataSpec(name=name, path=str(path), options=options if name == "csv_file" else {})
        refused_cleanly(lambda: datasets.describe(spec, ModelSpec(family=family, block_size=8)))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "." * 3, "c" * 200]), st.sampled_from(PLACES),
                          st.binary(max_size=64)), max_size=6),
       st.sampled_from(["folder", "file", "fifo", "missing", "traversal", "long_name"]))
def test_hostile_image_folders_load_or_are_refused_in_one_line(files: list, where: str):
    with tempfile.TemporaryDirectory() as tmp:
        root = place(Path(tmp), "images", b"", where)
        if where == "folder":
            for i, (label, kind, content) in enumerate(files):
                (root / label).mkdir(exist_ok=True)
                place(root / label, f"{i}.png", b"\x89PNG" + content, kind)
        spec = DataSpec(name="image_folder", path=str(root))
        refused_cleanly(lambda: datasets.describe(spec, ModelSpec(family="vit")))


state_names = st.one_of(st.sampled_from(["model.safetensors", "../../etc/passwd", "/etc/passwd", "..", "", "a\0b",
                                         "x" * 300, "state.json"]), value)


@pytest.mark.slow
@FUZZ
@given(st.one_of(st.just(None), st.builds(dict, spec=st.just(DEFAULT) | value, step=leaf,
                                          model_file=state_names, optimizer_file=state_names), value),
       st.sampled_from(PLACES), st.sampled_from(["file", "fifo", "dev_zero", "folder", "dangling"]), st.binary(max_size=64))
def test_hostile_checkpoint_folders_load_or_are_refused_in_one_line(state, where: str, weights: str, content: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "checkpoint"
        folder.mkdir()
        text = b"" if state is None else json.dumps(state).encode()
        place(folder, "state.json", text, where)
        place(folder, "model.safetensors", content, weights)
        refused_cleanly(lambda: load_checkpoint(folder))
