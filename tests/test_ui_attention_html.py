"""File > Export > Attention views as one HTML page: the window writes the same offline page as the CLI."""

import json
import re

import pytest
from conftest import TINY_SENTIMENT
from PySide6.QtWidgets import QLabel

from playground.core.spec import make_spec
from playground.ui import run_tools

WAIT_MS = 60_000


@pytest.mark.slow
def test_the_window_saves_the_attention_page_of_the_inside_tabs_input(open_window, qtbot, tmp_path, monkeypatch):
    window = open_window(make_spec(TINY_SENTIMENT))
    out = tmp_path / "views.html"
    monkeypatch.setattr(run_tools, "ask_html_path", lambda parent, name: out)
    message = window.findChild(QLabel, "messageLabel")
    assert not window.runTools.export_attention_html()  # nothing trained yet: a message, no dialog
    assert "train at least one step" in message.text()

    window.step_once()
    qtbot.waitUntil(lambda: window.progressBar.value() == 1, timeout=WAIT_MS)
    window.inside.inputEdit.setText("a great film")
    window.runTools.actions["exportAttentionHtmlAction"].trigger()
    qtbot.waitUntil(lambda: "Saved" in message.text() or "Could not" in message.text(), timeout=WAIT_MS)
    assert "Saved" in message.text(), message.text()
    text = out.read_text(encoding="utf-8")
    data = json.loads(re.search(r'type="application/json">(.*?)</script>', text, re.S).group(1))
    assert data["labels"][0] == "[CLS]" and data["labels"][2:4] == ["great", "film"]  # the typed input
    assert not re.search(r"https?://", text)
