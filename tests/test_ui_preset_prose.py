"""File > Name and Description: a lecturer names a preset saved for a class and says what it shows, in the window."""

from __future__ import annotations

import json

import pytest
from conftest import TINY_MODEL
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QLineEdit, QPlainTextEdit, QSlider
from test_ui_lecture import _train
from test_ui_lessons import two_lesson_steps_trained
from test_ui_training import TINY, WAIT_MS

from playground.core.presets import PRESETS_DIR, load_preset
from playground.core.spec import MAX_DESCRIPTION, MAX_PRESET_NAME, make_spec
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
    assert dialog.isVisible() and note.text() == "A description has at most 4,000 characters, this one has 4,001: shorten it."
    assert dialog.focusWidget() is description  # in the box to fix (QA: OK clicked kept the focus)
    name.clear()
    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.focusWidget() is name
    qtbot.keyClicks(name, "Lecture 3: heads")
    description.setPlainText("\n" + DESCRIPTION + "\n\n")
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
    _answer(qtbot, "Lecture 3", DESCRIPTION, [])  # the name alone: said there too (QA: the last name stood)
    window.proseAction.trigger()
    assert window.config.messageLabel.text() == f"“Lecture 3”: {DESCRIPTION}"
    _answer(qtbot, "Lecture 3: two layers", DESCRIPTION, [])
    window.proseAction.trigger()
    # an error under the settings stays through a rename (review: it was taken away, the data's warnings said again)
    window.config.show_message("Could not save x.json: the disk is full.", "error")
    _answer(qtbot, "Lecture 3: two layers", DESCRIPTION + " Then the loss.", [])
    window.proseAction.trigger()
    assert window.config.error_shown() == "Could not save x.json: the disk is full."
    window.config.show_message("")
    _answer(qtbot, "Lecture 3: two layers", DESCRIPTION, [])
    window.proseAction.trigger()
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
    was changed; the preset reopened and saved again keeps the name, and says the change made since."""
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
    window.open_preset(path)
    window.findChild(QSlider, "layersSlider").setValue(builtin.model.n_layer + 2)
    assert window.save()
    saved = json.loads(path.read_text())
    assert saved["name"] == "Reversal, the short one"
    assert saved["description"].startswith(f"The built-in decoder-reverse with number of layers "
                                           f"{builtin.model.n_layer + 2}. Its description: ")


@pytest.mark.slow
def test_a_rename_is_undone_and_redone_as_one_change_and_keeps_the_trained_model(open_window, qtbot):
    """QA: Ctrl+Z after a rename undid the change of settings before it (the rename was not on the list); review: a
    model set aside before the rename came back as Undo's message named it, under the name shown now."""
    window = open_window(make_spec(TINY))
    _train(window, qtbot, 2)
    window.findChild(QSlider, "headsSlider").setValue(1)  # the trained model set aside, under the old name
    _answer(qtbot, "Lecture 3", "Watch the\ndiagonal: each head learns to look back.", [])
    window.proseAction.trigger()
    untrained = window.worker
    # the description's first words on one line (review: its line breaks ran into the menu), and none unquoted
    assert window.undoAction.text() == (f"&Undo: name “Lecture 3” → “{TINY['name']}”; description “Watch the "
                                        "diagonal…” → none")
    window.undoAction.trigger()
    assert (window.spec.name, window.spec.description) == (TINY["name"], "") and window.worker is untrained
    assert window.statusBar().currentMessage().startswith(f"Undo — name “Lecture 3” → “{TINY['name']}”")
    assert window.architecture.scene.texts[0].endswith(f" — {TINY['name']}")
    window.redoAction.trigger()
    assert window.spec.name == "Lecture 3" and window.windowTitle().startswith("Lecture 3[*]")
    # the diagram's title too, as a handout exports it (QA: it kept the old name)
    assert window.architecture.scene.texts[0] == "Decoder (GPT-like) — Lecture 3"
    window.undoAction.trigger()  # the rename, then the model set aside before it: under the name shown now
    window.undoAction.trigger()
    assert window.worker.step == 2 and window.spec.model.n_head == TINY["model"]["n_head"]
    assert window.spec.name == TINY["name"]
    window.redoAction.trigger()
    window.redoAction.trigger()
    window.load_spec(make_spec(TINY), None)  # another model on screen: Undo brings back the renamed one's
    window.undoAction.trigger()  # the settings it replaced, untrained, then the model trained before the rename
    assert window.statusBar().currentMessage().startswith("Settings back: “Lecture 3")
    window.undoAction.trigger()
    assert window.statusBar().currentMessage().startswith("Brought back “Lecture 3")
    assert window.spec.name == "Lecture 3" and window.spec.model.n_head == TINY["model"]["n_head"]
    qtbot.waitUntil(lambda: window.worker.step == 2, timeout=WAIT_MS)  # the model trained before the rename


def test_a_lessons_back_after_a_rename_brings_back_the_model_it_trained(open_window, qtbot):
    """Review: renamed mid-lesson, Back trained the step's model anew in front of the class (the model kept for it
    was under the old name)."""
    window, whole = two_lesson_steps_trained(open_window, qtbot)
    _answer(qtbot, "Lecture 3", DESCRIPTION, [])
    window.proseAction.trigger()
    window.lessonBar.back()
    assert window.worker.resume_from == whole and window.spec.name == "Lecture 3"


def test_compare_keeps_b_for_a_renamed_preset_and_opens_for_the_longest_name(open_window, qtbot):
    """Review: renamed, the preset's Compare A/B opened B as a fresh copy (its layer more gone); with a 120-character
    name, " (B)" made B's name too long and Compare did not open."""
    from test_ui_compare import _active_compare

    window = open_window(make_spec(TINY))
    compare = _active_compare(window, qtbot)
    layers = compare.findChild(QSlider, "layersSlider")
    layers.setValue(layers.value() + 1)
    b = compare.spec_b
    compare.close()
    _answer(qtbot, "Lecture 3", DESCRIPTION, [])
    window.proseAction.trigger()
    compare = _active_compare(window, qtbot)
    assert compare.spec_b.model.n_layer == b.model.n_layer
    compare.close()
    _answer(qtbot, "L" * MAX_PRESET_NAME, DESCRIPTION, [])
    window.proseAction.trigger()
    window.findChild(QSlider, "layersSlider").setValue(b.model.n_layer)  # another A: a new comparison, a new B
    compare = _active_compare(window, qtbot)
    assert compare.spec_b.name == "L" * (MAX_PRESET_NAME - 4) + " (B)"


def test_a_run_renamed_while_it_trains_is_renamed_and_comes_back_with_its_file(open_window, qtbot, tmp_path,
                                                                               monkeypatch):
    """QA: renamed while it trained and saved as a file, the run kept its old name in the Runs tab, and File >
    Resume Last Run brought back the old name without the file (Ctrl+S then asked for a new one)."""
    from playground.training.runs import read_run_info

    tiny = {f"model.{key}": value for key, value in TINY_MODEL.items()}
    window = open_window(load_preset("decoder-reverse").updated({**tiny, "train.device": "cpu", "train.compile": "off"}))
    _train(window, qtbot, 2)
    run = window.worker.run_dir
    path = tmp_path / "lecture3.json"
    monkeypatch.setattr(file_dialogs, "save_file", lambda *args, **kwargs: (str(path), ""))
    assert window.save_as() and window.spec.name == "lecture3"  # a changed built-in: named after its file
    _answer(qtbot, "Lecture 3", DESCRIPTION, [])
    window.proseAction.trigger()
    assert read_run_info(run)["name"] == "Lecture 3"  # (review: after a Save As it kept the built-in's)
    assert window.save()
    window.open_preset(path)  # another model on screen; the run stopped, remembered as the last
    qtbot.waitUntil(lambda: window._last_run() is not None, timeout=WAIT_MS)  # (its checkpoint saved as it stopped)
    window.resume_last_run()
    assert window.worker.resume_from == run and window.preset_path == path
    assert window.windowTitle().startswith("Lecture 3 — lecture3.json") and not window.isWindowModified()


def test_a_rename_leaves_a_run_the_user_named_in_the_runs_tab_as_named(open_window, qtbot):
    """Review: a run named "baseline, lr 3e-3" in the Runs tab took the preset's new name, and Undo then its old."""
    from playground.training.runs import read_run_info, rename_run

    window = open_window(make_spec(TINY))
    _train(window, qtbot, 1)
    rename_run(window.worker.run_dir, "baseline, lr 3e-3")
    _answer(qtbot, "Lecture 3", DESCRIPTION, [])
    window.proseAction.trigger()
    assert read_run_info(window.worker.run_dir)["name"] == "baseline, lr 3e-3" and window.spec.name == "Lecture 3"
    # a message under the settings about something else stays through a new name alone (review: it was cleared)
    window.config.show_message("Resuming “x” from its checkpoint: press Play to continue.", "info")
    _answer(qtbot, "Lecture 4", DESCRIPTION, [])
    window.proseAction.trigger()
    assert window.config.messageLabel.text() == "Resuming “x” from its checkpoint: press Play to continue."


def test_a_rename_undone_before_a_save_leaves_the_file_to_name_the_changed_built_in(open_window, qtbot, tmp_path,
                                                                                   monkeypatch):
    """Review: renamed, the rename undone, then saved: the changed built-in kept the built-in's name, as if the user
    had given it."""
    builtin = load_preset("decoder-reverse")
    window = open_window(builtin)
    window.findChild(QSlider, "layersSlider").setValue(builtin.model.n_layer + 1)
    _answer(qtbot, "Reversal, the short one", builtin.description, [])
    window.proseAction.trigger()
    window.undoAction.trigger()
    assert window.spec.name == builtin.name
    path = tmp_path / "deeper.json"
    monkeypatch.setattr(file_dialogs, "save_file", lambda *args, **kwargs: (str(path), ""))
    assert window.save_as() and json.loads(path.read_text())["name"] == "deeper"
