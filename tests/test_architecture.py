"""The core never imports Qt, and the window module never needs torch to paint."""

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "playground"
CORE_MODULES = sorted(
    ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
    for p in PACKAGE.rglob("*.py")
    if "ui" not in p.relative_to(PACKAGE).parts and p.name != "__main__.py"
)


def test_core_imports_no_qt():
    code = ("import importlib, sys\n"
            f"for name in {CORE_MODULES!r}: importlib.import_module(name)\n"
            "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph'))\n"
            "print(len(qt)); print(qt[:5])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines()[0] == "0", out.stdout
    assert len(CORE_MODULES) > 30  # the walk really found the package


def test_only_the_entry_points_open_the_window():
    # The CLI opens the window and the bench times it, both lazily inside a function; nothing else may.
    users = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if "ui" not in p.relative_to(PACKAGE).parts and "playground.ui" in p.read_text()}
    assert users == {"cli.py", "bench/window.py"}
