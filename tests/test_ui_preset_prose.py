"""File > Name and Description: a lecturer names a preset saved for a class and says what it shows, in the window."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QPlainTextEdit, QSlider
from test_ui_lecture import _train

from playground.core.presets import PRESETS_DIR, load_preset
from playground.core.spec import MAX_DESCRIPTION
from playground.ui import file_dialogs
from playground.ui.preset_prose import ABOUT, PresetProseDialog

DESCRIPTION = "Watch the diagonal: each head learns to look one character back."


def test_the_dialog_keeps_a_blank_name_or_a_too_long_description_open_and_says_why(qtbot):
    dialog = PresetProseDialog(None, "Decoder on Python docs", "Its old words.")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    name, note = dialog.findChild(QLineEdit, "proseName"), dialog.findChild(QLabel, "proseNote")
    assert name.text() == "Decoder on Python docs" and note.text() == ABOUT
    name.selectAll()
    qtbot.keyClicks(name, "   ")
    qtbot.keyClick(name, Qt.Key.Key_Return)  # OK with a blank name: it stays open, saying why
    assert dialog.isVisible() and note.text() == "A preset needs a name: type at least one character."
    qtbot.keyClicks(name, " Lecture 3: heads ")
    assert note.text() == ABOUT  # what was said goes with the typing
    description = dialog.findChild(QPlainTextEdit, "proseDescription")
    description.setPlainText("x" * (MAX_DESCRIPTION + 1))
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert dialog.isVisible() and note.text() == "A description has at most 4,000 characters, this one has 4,001."
    description.setPlainText(DESCRIPTION + "\n\n")
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.prose() == ("Lecture 3: heads", DESCRIPTION)


def _answer(qtbot, name: str, description: str, seen: list) -> None:
    """Fill the dialog the window opens (modal) with `name` and `description` and press OK, as a user does."""
    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        seen.append((dialog.findChild(QLineEdit, "proseName").text(),
                     dialog.findChild(QPlainTextEdit, "proseDescription").toPlainText()))
        dialog.findChild(QLineEdit, "proseName").setText(name)
        dialog.findChild(QPlainTextEdit, "proseDescription").setPlainText(description)
        qtbot.keyClick(dialog.findChild(QLineEdit, "proseName"), Qt.Key.Key_Return)

    QTimer.singleShot(0, fill)


@pytest.mark.slow
def test_a_built_in_named_and_described_keeps_its_model_and_saves_the_users_words(open_window, qtbot, tmp_path,
                                                                                    monkeypatch):
    """QA: a preset saved for a class kept a description that no longer fitted its settings (a built-in's saved with
    changes took the file's name and a list of what was changed), and only editing the JSON could change either."""
    builtin = load_preset("decoder-reverse")
    window = open_window(builtin.updated({"model.n_embd": 32, "model.n_head": 2, "model.n_layer": 1,
                                         "model.d_ff": 64, "train.compile": "off", "train.device": "cpu"}))
    window.say_opened(window.spec, PRESETS_DIR / "decoder-reverse.json", builtin=True)
    assert builtin.description.split(".")[0] in window.config.messageLabel.text()
    window.findChild(QSlider, "layersSlider").setValue(2)  # settings of the lecturer's, then a step trained
    _train(window, qtbot, 1)
    trained, seen = window.worker, []
    _answer(qtbot, "Lecture 3: two layers", DESCRIPTION, seen)
    window.proseAction.trigger()
    assert seen == [(builtin.name, builtin.description)]  # it starts from the preset's own words
    assert (window.spec.name, window.spec.description) == ("Lecture 3: two layers", DESCRIPTION)
    assert window.worker is trained and window.worker.step == 1  # prose: the trained model stays
    assert window.windowTitle().startswith("Lecture 3: two layers[*]") and window.isWindowModified()
    assert window.statusBar().currentMessage().startswith("Named “Lecture 3: two layers”: Save Preset (Ctrl+S)")
    # under the settings, the words the class will read as it opens, not the built-in's it opened with
    assert window.config.messageLabel.text() == f"“Lecture 3: two layers”: {DESCRIPTION}"
    path = tmp_path / "lecture3.json"
    monkeypatch.setattr(file_dialogs, "save_file", lambda *args, **kwargs: (str(path), ""))
    assert window.save_as()
    saved = json.loads(path.read_text())
    assert (saved["name"], saved["description"]) == ("Lecture 3: two layers", DESCRIPTION)  # not "lecture3"
    assert not window.isWindowModified()
    # Cancel changes nothing
    QTimer.singleShot(0, lambda: qtbot.keyClick(QApplication.activeModalWidget(), Qt.Key.Key_Escape))
    window.proseAction.trigger()
    assert window.spec.name == "Lecture 3: two layers" and not window.isWindowModified()


def test_a_built_in_saved_again_after_naming_only_keeps_the_name_and_says_what_was_changed(open_window, qtbot,
                                                                                           tmp_path, monkeypatch):
    """A name of the user's is kept where the description is still the built-in's: only the description says what
    was changed; the preset reopened and saved again keeps both."""
    builtin = load_preset("decoder-reverse")
    window = open_window(builtin)
    _answer(qtbot, "Reversal, the short one", builtin.description, [])
    window.proseAction.trigger()
    window.findChild(QSlider, "layersSlider").setValue(builtin.model.n_layer + 1)
    path = tmp_path / "short.json"
    monkeypatch.setattr(file_dialogs, "save_file", lambda *args, **kwargs: (str(path), ""))
    assert window.save_as()
    saved = json.loads(path.read_text())
    assert saved["name"] == "Reversal, the short one"
    assert saved["description"].startswith(f"The built-in decoder-reverse with number of layers "
                                           f"{builtin.model.n_layer + 1}. Its description: ")
