"""The window's file dialogs (QA: typing /proc into Save As froze the app for good): Qt's own dialog read each file's
first bytes on the GUI thread to name its type, and /proc/kmsg never answers; ours name a type from the file's name."""

from PySide6.QtCore import QFileInfo, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QFileIconProvider, QMessageBox

from playground.ui import file_dialogs


def test_a_files_type_is_named_from_its_name_never_its_content(qtbot, tmp_path):
    disguised = tmp_path / "notes"  # no extension: Qt's provider reads it to name its type
    disguised.write_bytes(b"%PDF-1.4\n" + b"\0" * 64)
    info = QFileInfo(str(disguised))
    assert "PDF" in QFileIconProvider().type(info)  # what reading the content says
    assert "PDF" not in file_dialogs.TypesByName().type(info)
    assert file_dialogs.TypesByName().type(QFileInfo(str(tmp_path / "preset.json"))) == \
        QFileIconProvider().type(QFileInfo(str(tmp_path / "preset.json")))  # a named type as Qt names it
    assert not file_dialogs.TypesByName().icon(info).isNull()


def _answer(dialog_action) -> list:
    """Once the dialog is up (modal, in its own event loop), act on it as a user would; the list gets the dialog's
    icon provider, to check after it closed (an assertion failing inside would leave the dialog open for good)."""
    providers = []

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, act)
            return
        providers.append(dialog.iconProvider())
        dialog_action(dialog)

    QTimer.singleShot(0, act)
    return providers


def test_each_dialog_returns_what_the_static_functions_did(qtbot, tmp_path):
    preset = tmp_path / "mine.json"
    preset.write_text("{}", encoding="utf-8")

    def choose(path):
        return lambda dialog: (dialog.selectFile(str(path)), dialog.accept())

    providers = _answer(choose(preset))
    assert file_dialogs.open_file(None, "Open a preset", str(tmp_path), "Presets (*.json)") == \
        (str(preset), "Presets (*.json)")
    assert isinstance(providers[0], file_dialogs.TypesByName)  # the dialog cannot freeze on /proc
    _answer(choose(tmp_path / "new.png"))
    assert file_dialogs.save_file(None, "Save", str(tmp_path / "suggested.png"), "PNG image (*.png)")[0] == \
        str(tmp_path / "new.png")
    (tmp_path / "folder").mkdir()
    _answer(choose(tmp_path / "folder"))
    assert file_dialogs.existing_folder(None, "Export here") == str(tmp_path / "folder")
    _answer(lambda dialog: dialog.reject())  # Cancel
    assert file_dialogs.save_file(None, "Save", str(tmp_path)) == ("", "")


def test_a_dialog_given_no_folder_starts_where_the_last_choice_was_made(qtbot, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the working folder, where Qt's dialogs start by themselves
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)  # (no user-dirs file there: Documents is $HOME/Documents)
    exports = tmp_path / "exports"
    exports.mkdir()
    seen = []

    def look_then(action):
        return lambda dialog: (seen.append((dialog.directory().absolutePath(), dialog.selectedFiles())),
                               action(dialog))

    _answer(look_then(lambda dialog: (dialog.selectFile(str(exports / "grid.png")), dialog.accept())))
    assert file_dialogs.save_file(None, "Save", "grid.png")[0] == str(exports / "grid.png")
    # nothing chosen before: the user's documents, not the working folder (lecturer QA: it was the repository)
    assert seen[-1][0] == str(home / "Documents")
    _answer(look_then(lambda dialog: dialog.reject()))
    file_dialogs.save_file(None, "Save", "curve.png")
    assert seen[-1] == (str(exports), [str(exports / "curve.png")])  # the suggested name, in the last folder
    _answer(look_then(lambda dialog: dialog.reject()))
    file_dialogs.open_file(None, "Open a preset", str(tmp_path))
    assert seen[-1][0] == str(tmp_path)  # a folder given is kept
    exports.rmdir()
    _answer(look_then(lambda dialog: dialog.reject()))
    file_dialogs.existing_folder(None, "Export here")
    assert seen[-1][0] == str(home / "Documents")  # the last folder is gone: the documents again


def test_the_hugging_face_export_dialog_names_the_folder_it_makes(qtbot, tmp_path, monkeypatch):
    from playground.ui import run_tools

    captions = []

    def choose(dialog) -> None:
        captions.append(dialog.windowTitle())
        dialog.setDirectory(str(tmp_path))
        dialog.selectFile(str(tmp_path))
        dialog.accept()

    _answer(choose)
    chosen = run_tools.ask_export_folder(None, "20261205-run-hf")
    # (it said "choose where", and a folder appeared inside the chosen one)
    assert "20261205-run-hf" in captions[0]
    assert chosen == tmp_path / "20261205-run-hf"
    # An export there already: asked first (QA: replaced without a word), and Cancel, the default, exports nothing.
    chosen.mkdir()
    (chosen / "config.json").write_text("{}")
    asked = []
    for answer in (False, True):
        monkeypatch.setattr(run_tools, "ask_go_or_keep", lambda *args, answer=answer: asked.append(args[1]) or answer)
        _answer(choose)
        assert run_tools.ask_export_folder(None, "20261205-run-hf") == (chosen if answer else None)
    assert asked == ["Replace the exported model?"] * 2


def test_a_dialog_is_wide_enough_for_its_caption_within_the_screen(qtbot, tmp_path):
    """QA: the Hugging Face export's caption lost the name of the folder it makes, cut in its middle."""
    caption = ("Export the model as a Hugging Face folder: choose where to make its folder "
               "20261205-193342-Decoder-on-Python-s-help-text-hf")
    widths = []
    _answer(lambda dialog: (widths.append((dialog.width(), dialog.fontMetrics().horizontalAdvance(caption),
                                           dialog.screen().availableGeometry().width())), dialog.reject()))
    assert file_dialogs.existing_folder(None, caption, str(tmp_path)) == ""
    width, text, screen = widths[0]
    assert width >= min(text, screen) and width <= screen


def _answer_in_turn(*actions) -> list:
    """Each of `actions` (kind, act) done to the next modal dialog of that kind as it comes up; the list gets what
    each saw (the file dialog's selected files, the question's text)."""
    seen, left = [], list(actions)

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not left:
            return
        kind, action = left[0]
        if not isinstance(dialog, kind) or not dialog.isVisible():
            QTimer.singleShot(20, act)
            return
        left.pop(0)
        seen.append((dialog, dialog.selectedFiles() if isinstance(dialog, QFileDialog) else dialog.text()))
        action(dialog)
        QTimer.singleShot(20, act)

    QTimer.singleShot(0, act)
    return seen


def _press(label: str):
    return lambda box: next(b for b in box.buttons() if b.text().replace("&", "") == label).click()


def test_a_save_asks_before_replacing_the_file_it_will_write_with_its_suffix(qtbot, tmp_path):
    """QA: typing "other" saved over other.json unasked (Qt asked about "other", which did not exist), and "ab
    plot.png" for a CSV asked about ab plot.png and replaced ab plot.csv."""
    other = tmp_path / "other.json"
    other.write_text('{"name": "MY OTHER LECTURE"}', encoding="utf-8")
    seen = _answer_in_turn(
        (QFileDialog, lambda d: (d.selectFile(str(tmp_path / "other")), d.accept())),
        (QMessageBox, _press("Cancel")),
        (QFileDialog, lambda d: d.reject()))  # back in the dialog on other.json: cancelled
    assert file_dialogs.save_file(None, "Save preset", str(tmp_path / "x.json"), "Presets (*.json)") == ("", "")
    assert "other.json already exists" in seen[1][1] and seen[2][1] == [str(other)]
    assert "MY OTHER LECTURE" in other.read_text(encoding="utf-8")
    _answer_in_turn((QFileDialog, lambda d: (d.selectFile(str(tmp_path / "other")), d.accept())),
                    (QMessageBox, _press("Replace")))
    assert file_dialogs.save_file(None, "Save preset", str(tmp_path / "x.json"), "Presets (*.json)")[0] == str(other)
    notes = tmp_path / "ab plot.csv"
    notes.write_text("MY LECTURE NOTES", encoding="utf-8")
    for typed, written in (("ab plot.txt", "ab plot.txt.csv"), ("ab plot.png", "ab plot.png.csv")):
        _answer_in_turn((QFileDialog, lambda d, typed=typed: (d.selectFile(str(tmp_path / typed)), d.accept())))
        assert file_dialogs.save_file(None, "Save", str(tmp_path / "x.csv"), "CSV file (*.csv)")[0] == \
            str(tmp_path / written)
    _answer_in_turn((QFileDialog, lambda d: (d.selectFile(str(tmp_path / "plot")), d.selectNameFilter(
        "SVG vector image (*.svg)"), d.accept())))
    assert file_dialogs.save_file(None, "Save", str(tmp_path / "x.png"), "PNG image (*.png);;SVG vector image (*.svg)")[0] == \
        str(tmp_path / "plot.svg")


def test_a_path_the_caller_refuses_is_returned_unasked(qtbot, tmp_path):
    """Session 49's QA: Save Preset As over a built-in preset asked "Replace the file?", then refused it."""
    mine = tmp_path / "builtin.json"
    mine.write_text("{}", encoding="utf-8")
    seen = _answer_in_turn((QFileDialog, lambda d: (d.selectFile(str(mine)), d.accept())))
    chosen = file_dialogs.save_file(None, "Save preset", str(tmp_path / "x.json"), "Presets (*.json)",
                                    refused=lambda path: path == str(mine))
    assert chosen[0] == str(mine) and [type(dialog) for dialog, _ in seen] == [QFileDialog]  # no question
