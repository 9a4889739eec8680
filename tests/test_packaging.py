"""The wheel a user installs holds every module and every built-in preset, and works away from the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Under pytest-xdist, both tests in one worker: the wheel is built once.
pytestmark = pytest.mark.xdist_group("wheel")
# Not copied to build the wheel: what a build or a run leaves in a checkout
LEFT_BY_RUNS = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
                                      "runs", "out", ".venv", "venv", ".whl", ".tox", ".nox")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout: setuptools builds in its source folder, and left build/lib there
    (a stale copy of every module beside the real ones)."""
    source = tmp_path_factory.mktemp("source") / "checkout"
    shutil.copytree(ROOT, source, ignore=LEFT_BY_RUNS, symlinks=True)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(source),
                    "-w", str(out)], check=True, cwd=out, capture_output=True)
    (built,) = out.glob("transformer_playground-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_holds_every_module_and_preset(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "playground").rglob("*.py")}
    presets = {f"playground/presets/{p.name}" for p in (ROOT / "presets").glob("*.json")}
    assert presets and modules - names == set() and presets - names == set()


@pytest.mark.slow
def test_the_installed_wheel_lists_and_loads_its_presets_from_another_folder(wheel: Path, tmp_path: Path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = ("import json, playground; from playground.core.presets import builtin_presets, load_preset; "
              "print(json.dumps([playground.__file__, [p.name for p in builtin_presets()], "
              "load_preset('decoder-pydoc').name]))")
    env = {**os.environ, "PYTHONPATH": str(site)}  # the extracted wheel comes before the editable checkout
    done = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True,
                          check=True)
    where, listed, loaded = json.loads(done.stdout)
    assert Path(where).is_relative_to(site)
    assert sorted(listed) == sorted(p.stem for p in (ROOT / "presets").glob("*.json")) and loaded
