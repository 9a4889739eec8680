"""Shared test setup: Qt runs offscreen, and the window's settings and run folders live in tmp_path."""

import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_playground_dirs(tmp_path, monkeypatch):
    """Never touch the user's QSettings or ~/.local/share runs folder."""
    monkeypatch.setenv("PLAYGROUND_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    window = sys.modules.get("playground.ui.main_window")
    if window is not None:
        # A modal "unsaved changes?" box would hang a headless run: tests answer Discard unless they say otherwise.
        monkeypatch.setattr(window, "ask_unsaved", lambda *args: window.QMessageBox.StandardButton.Discard)
