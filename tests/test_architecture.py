"""The core never imports Qt, and the window module never needs torch to paint."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "playground"
CORE_MODULES = sorted(
    ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
    for p in PACKAGE.rglob("*.py")
    if "ui" not in p.relative_to(PACKAGE).parts and p.name != "__main__.py"
)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")


@pytest.fixture(scope="module")
def imports_in_a_fresh_process() -> subprocess.CompletedProcess[str]:
    """One fresh interpreter (one torch import, not two) that imports every core module and prints the Qt modules
    that loaded, then imports each module with no other playground module loaded and prints 'ok'."""
    modules = sorted(_module_name(p) for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")
    code = ("import importlib, sys\n"
            f"for name in {CORE_MODULES!r}: importlib.import_module(name)\n"
            "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph'))\n"
            "print(len(qt)); print(qt[:5], flush=True)\n"
            f"for name in {modules!r}:\n"
            "    for loaded in [m for m in sys.modules if m == 'playground' or m.startswith('playground.')]:\n"
            "        del sys.modules[loaded]\n"
            "    importlib.import_module(name)\n"
            "print('ok', len(sys.modules))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_core_imports_no_qt(imports_in_a_fresh_process):
    out = imports_in_a_fresh_process
    assert out.stdout.splitlines()[:1] == ["0"], (out.stdout, out.stderr[-2000:])
    assert len(CORE_MODULES) > 30  # the walk really found the package


def test_only_the_entry_points_open_the_window():
    # The CLI opens the window and the bench times it, both lazily inside a function; nothing else may.
    users = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if "ui" not in p.relative_to(PACKAGE).parts and "playground.ui" in p.read_text()}
    assert users == {"cli.py", "bench/window.py"}


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The playground modules a file imports anywhere (at the top, inside functions, or for type checking):
    `from a.b import c` imports the module a.b.c where there is one, else a.b."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("playground"):
            names |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                      for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name.startswith("playground")}
    return names & modules


@pytest.mark.slow
def test_no_module_imports_itself_through_others():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: _imports(path, set(modules)) - {name} for name, path in modules.items()}

    def reaches(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(graph[name])
        return seen

    cycles = sorted(name for name in graph if name in reaches(name))
    assert len(graph) > 60 and cycles == []


@pytest.mark.slow
def test_every_module_imports_on_its_own(imports_in_a_fresh_process):
    # Each module imported in a process where no other playground module is loaded yet: none relies on another
    # having been imported first.
    out = imports_in_a_fresh_process
    assert out.returncode == 0 and "\nok " in out.stdout, out.stderr[-2000:]
