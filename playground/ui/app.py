"""`run_app()`: what `playground` and `python -m playground` open.

Only Qt and the torch-free core are imported before the window paints; PyTorch loads in the background.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from playground.core.presets import DEFAULT_PRESET, PRESETS_DIR, load_preset, resolve_preset_path
from playground.ui.settings import APPLICATION, ORGANISATION


def make_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    return app  # type: ignore[return-value]


def run_app(preset: str | None = None) -> int:
    """Open the main window on `preset` (a file or built-in name; default: the default preset)."""
    app = make_app()
    source = preset or DEFAULT_PRESET
    spec = load_preset(source)  # a bad preset raises PresetError; the CLI prints it as one line
    path = resolve_preset_path(source)
    builtin = path.resolve().parent == PRESETS_DIR.resolve()

    from playground.ui.main_window import MainWindow

    window = MainWindow(spec, preset_path=None if builtin else path)
    window.show()
    QTimer.singleShot(0, window.start_warmup)
    return app.exec()
