"""The chosen dataset's own options in the config panel: built from the registry, driven like a student would."""

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QSpinBox

from playground.core.presets import load_preset
from playground.core.spec import make_spec
from playground.data.registry import REGISTRY
from playground.ui import csv_columns, file_dialogs
from playground.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    w = MainWindow(load_preset("decoder-reverse"))  # reverse: length 8 of 10 symbols, context 17
    qtbot.addWidget(w)
    w.show()
    return w


def option(w: MainWindow, name: str, kind=QSpinBox):
    return w.findChild(kind, f"dataOption:{name}")


def message(w: MainWindow) -> QLabel:
    return w.findChild(QLabel, "messageLabel")


def choose(combo: QComboBox, data) -> None:
    index = next((i for i in range(combo.count()) if combo.itemData(i) == data), -1)  # findData misses tuples
    assert index >= 0, data
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def type_into(qtbot, spin: QSpinBox, text: str) -> None:
    """Select what the box shows, type over it and press Enter, as a student would."""
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


@pytest.mark.slow
def test_procedural_options_appear_with_the_registrys_ranges_and_teaching_tooltips(window):
    length, symbols = option(window, "length"), option(window, "n_symbols")
    assert length.isVisible() and symbols.isVisible()
    assert (length.value(), symbols.value()) == (8, 10)
    defined = REGISTRY["reverse"].options
    assert symbols.minimum() == defined["n_symbols"].low and symbols.maximum() == defined["n_symbols"].high
    assert length.maximum() == defined["length"].high and length.minimum() == defined["length"].low - 1  # auto
    for control in (length, symbols):
        tip = control.toolTip()
        assert len(tip) > 100 and "data.options." in tip and "Allowed" in tip
    assert "2 × length + 1" in length.toolTip() and "[PAD]" in symbols.toolTip()
    titles = {label.buddy().objectName(): label.text() for label in window.config.findChildren(QLabel)
              if label.buddy() in (length, symbols)}
    assert titles == {"dataOption:length": "Sequence length", "dataOption:n_symbols": "Symbols"}


def test_an_option_changed_on_a_trained_model_is_named_as_the_data_settings_name_it(open_window, qtbot):
    """QA: "Changed dataset options: the model was rebuilt" beside the Symbols box just changed."""
    window = open_window(load_preset("decoder-reverse").updated({"train.device": "cpu", "train.compile": "off"}))
    window.step_once()
    qtbot.waitUntil(lambda: window.progressBar.value() == 1, timeout=60_000)
    option(window, "n_symbols").setValue(20)
    assert window.statusBar().message().startswith("Changed Symbols: the model was rebuilt, at step 0")


@pytest.mark.slow
def test_setting_an_option_changes_the_spec_the_window_would_train_and_the_estimates(window, qtbot):
    params = window.findChild(QLabel, "paramCountLabel")
    before, vocab = params.text(), window.config.info().vocab_size
    option(window, "n_symbols").setValue(20)
    assert window.spec.data.options == {"length": 8, "n_symbols": 20}
    assert window.config.info().vocab_size == vocab + 10  # ten more symbols: ten more embedding rows
    assert params.text() != before and message(window).property("level") != "error"
    assert window.isWindowModified()

    type_into(qtbot, option(window, "length"), "5")
    assert window.spec.data.options == {"length": 5, "n_symbols": 20}
    assert option(window, "length").value() == 5
    # What Play trains is the same spec.
    assert window.spec == window.config.spec() and window.spec.data.options["length"] == 5


@pytest.mark.slow
def test_auto_length_is_worked_out_from_the_model_and_shown(window, qtbot):
    length = option(window, "length")
    length.setValue(length.minimum())
    assert "length" not in window.spec.data.options
    assert length.text() == "auto (8)"  # the decoder's default: min(8, (context - 1) // 2)
    assert "auto" in message(window).text() and "8" in message(window).text()
    window.config.slider("model.block_size").slider.setValue(11)  # (11 - 1) // 2 = 5 fits
    assert length.text() == "auto (5)" and "length" not in window.spec.data.options


@pytest.mark.slow
def test_a_length_that_does_not_fit_the_context_is_refused_with_a_fix_and_nothing_is_lost(window, qtbot):
    option(window, "n_symbols").setValue(12)
    good = window.spec
    type_into(qtbot, option(window, "length"), "40")
    text = message(window).text()
    assert message(window).property("level") == "error"
    assert "81" in text and "at most 8" in text  # 2 x 40 + 1 tokens needed; the context of 17 fits 8
    assert window.spec == good
    assert option(window, "length").value() == 8 and option(window, "n_symbols").value() == 12
    option(window, "n_symbols").setValue(14)  # and the panel goes on working
    assert window.spec.data.options == {"length": 8, "n_symbols": 14} and message(window).text() == ""


def test_a_length_whose_context_is_past_the_sliders_end_is_not_offered_that_context(window, qtbot):
    """Review: a length of 200 was offered "or raise Context length (model.block_size) to 401", past the window's
    slider, which stops at 256 (the command line may offer it: its --set goes further)."""
    from playground.data import DataError, plan

    type_into(qtbot, option(window, "length"), "200")
    text = message(window).text()
    assert text.endswith("set Sequence length (data.options.length) to at most 8 (or up to 127 with Context length "
                         "(model.block_size) raised to 256)"), text  # what the slider's end holds (review)
    assert window.spec.data.options.get("length", 8) == 8
    with pytest.raises(DataError, match=r"or raise Context length \(model\.block_size\) to 401$"):
        plan(window.spec.data.model_copy(update={"options": {"length": 200}}), window.spec.model)


def test_the_spin_box_keeps_values_inside_the_registrys_range_and_says_what_it_refused(window, qtbot):
    option(window, "n_symbols").setValue(12)
    # 36 symbols at most (0-9, a-z): the second 9 is refused, and the value from before the edit is kept, not the 9
    type_into(qtbot, option(window, "n_symbols"), "99")
    assert window.spec.data.options["n_symbols"] == 12 and option(window, "n_symbols").text() == "12"
    assert message(window).property("level") == "error"  # said, not dropped silently
    assert "Symbols 99 is out of range: type 2 to 36" in message(window).text()
    length, shown = window.spec.data.options.get("length"), option(window, "length").text()
    type_into(qtbot, option(window, "length"), "50000")  # an "auto" option says how to get auto back too
    # the digit the box dropped past the refused 5000 counted too (session 49's QA: "5,000 and up" for 5000, and
    # 99999 said as "9,999 and up")
    assert "Sequence length 50,000 is out of range: type 1 to 4,096, or step below 1 to “auto”" in message(window).text()
    type_into(qtbot, option(window, "length"), "5000")
    assert "Sequence length 5,000 is out of range: type 1 to 4,096" in message(window).text()
    box = option(window, "n_symbols")  # digits typed in front of the number: as the box read them (review: "95,008")
    box.setValue(12)
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Home)
    qtbot.keyClicks(box, "98")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert "Symbols 812 is out of range" in message(window).text()
    assert window.spec.data.options.get("length") == length and option(window, "length").text() == shown
    type_into(qtbot, option(window, "n_symbols"), "99")  # refused again, then corrected before Enter: not said
    spin = option(window, "n_symbols")
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "99")
    qtbot.keyClick(spin, Qt.Key.Key_Backspace)
    qtbot.keyClicks(spin, "2")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert window.spec.data.options["n_symbols"] == 2 and "out of range" not in message(window).text()
    spin.selectAll()
    qtbot.keyClicks(spin, "1")  # below the minimum, then Tab: still "intermediate" (1 may become 12), so refused too
    qtbot.keyClick(spin, Qt.Key.Key_Tab)
    assert spin.value() == 2 and "Symbols 1 is out of range: type 2 to 36" in message(window).text()
    spin.selectAll()
    qtbot.keyClicks(spin, "-5")  # QA: taken as 5, silently
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 2 and "Symbols -5 is out of range: type 2 to 36" in message(window).text()
    spin.setFocus()
    spin.lineEdit().insert("²")  # not a digit int() reads: refused like any letter, and no crash
    spin.lineEdit().insert("--5")
    assert spin.value() == 2
    spin.selectAll()
    qtbot.keyClicks(spin, "-")  # a stray minus, then a number typed over it: the number is taken (review)
    spin.selectAll()
    qtbot.keyClicks(spin, "7")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 7
    spin.selectAll()
    qtbot.keyClicks(spin, "-123456789012")  # review: past C's int, raised inside Qt; a minus takes 2 digits here
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 7 and "Symbols -123,456,789,012 is out of range: type 2 to 36" in message(window).text()


def test_digits_typed_after_a_refused_letter_are_refused_with_it(window, qtbot):
    """QA: "1e3" typed into Symbols set 13 and rebuilt the model, its "e" dropped without a word."""
    spin = option(window, "n_symbols")
    spin.setValue(12)
    type_into(qtbot, spin, "1e3")
    assert spin.value() == 12 and window.spec.data.options["n_symbols"] == 12
    assert "Symbols “1e3” is not a whole number" in message(window).text()
    type_into(qtbot, spin, "14")  # then a number alone is taken
    assert window.spec.data.options["n_symbols"] == 14


def test_a_refusal_goes_once_the_next_value_typed_into_its_box_is_taken_even_one_it_already_had(window, qtbot):
    """QA: "Sequence length -5 is out of range" stood under the settings after 0 and Tab set the box back to "auto",
    which it already was (no change, so nothing said the refusal was past). Another box's message stays."""
    length = option(window, "length")
    length.setValue(length.minimum())  # auto
    type_into(qtbot, length, "-5")
    assert "-5 is out of range" in message(window).text() and length.text().startswith("auto")
    length.selectAll()
    qtbot.keyClicks(length, "0")  # the step below the range: "auto", as it was
    qtbot.keyClick(length, Qt.Key.Key_Tab)
    assert length.text().startswith("auto") and message(window).text() == ""
    type_into(qtbot, option(window, "n_symbols"), "99")  # a refusal of another box
    said = message(window).text()
    assert "Symbols 99 is out of range" in said
    length.setFocus()
    length.selectAll()
    qtbot.keyClicks(length, "0")
    qtbot.keyClick(length, Qt.Key.Key_Tab)
    assert message(window).text() == said  # not this box's: it stays


def paste(qtbot, spin: QSpinBox, text: str) -> None:
    """Put `text` on the clipboard and paste it over what the box shows with Ctrl+V, then press Enter."""
    QApplication.clipboard().setText(text)
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_text_pasted_into_a_number_box_is_said_as_no_number_and_the_value_kept(window, qtbot):
    """QA: "12abc" pasted into a number box did nothing and said nothing, an earlier refusal's message staying."""
    spin = option(window, "n_symbols")
    spin.setValue(12)
    type_into(qtbot, spin, "99")  # an earlier refusal, whose message must not stand for the paste's
    paste(qtbot, spin, "12abc")
    assert spin.value() == 12 and spin.text() == "12" and window.spec.data.options["n_symbols"] == 12
    assert message(window).property("level") == "error"
    assert "Symbols “12abc” is not a whole number: type 2 to 36" in message(window).text()
    type_into(qtbot, spin, "12abc")  # typed, each letter refused on its own: said as typed (QA: "12c")
    assert spin.value() == 12 and "Symbols “12abc” is not a whole number" in message(window).text()
    length = option(window, "length")  # a box showing "auto (8)": said as typed, not with its "auto" (QA)
    length.setValue(length.minimum())
    assert length.text() == "auto (8)"
    type_into(qtbot, length, "9x")
    assert length.text() == "auto (8)" and "“9x” is not a whole number" in message(window).text(), message(window).text()
    paste(qtbot, spin, "x" * 500)  # a whole clipboard: said cut short
    assert "Symbols “xxxxxxxxxxxxxxxxxxxxxxx…” is not a whole number" in message(window).text()
    paste(qtbot, spin, "20")  # a number pasted is taken
    assert spin.value() == 20 and window.spec.data.options["n_symbols"] == 20
    assert "not a whole number" not in message(window).text()


def test_switching_dataset_rebuilds_the_controls(window):
    datasets = window.findChild(QComboBox, "datasetCombo")
    choose(datasets, "zen")
    assert option(window, "length") is None and option(window, "n_symbols") is None
    assert window.spec.data.options == {}
    choose(datasets, "sort")
    assert option(window, "length").text() == "auto (8)" and option(window, "n_symbols").value() == 10

    family = window.findChild(QComboBox, "familyCombo")
    choose(family, "vit")
    choose(datasets, "shapes")
    assert option(window, "length") is None
    images = option(window, "n_images")
    assert images.value() == 2000 and images.text() == "2,000"
    epochs = window.findChild(QLabel, "epochsLabel").text()
    images.setValue(500)
    assert window.spec.data.options == {"n_images": 500} and window.config.info().n_train == 450
    assert window.findChild(QLabel, "epochsLabel").text() != epochs and "450" in window.findChild(
        QLabel, "epochsLabel").text()
    choose(datasets, "digits")
    assert option(window, "n_images") is None and window.spec.data.options == {}

    choose(family, "encoder")
    choose(datasets, "pronoun")
    labels = option(window, "labels", QComboBox)
    assert [labels.itemText(i) for i in range(labels.count())] == ["position", "kind"]
    assert "word order" in labels.toolTip()
    choose(labels, "kind")
    assert window.spec.data.options == {"labels": "kind"}
    assert window.config.info().class_names == ("the animal", "the place or thing")


def test_opening_a_preset_shows_its_options(window):
    spec = make_spec({"name": "odd", "model": {"family": "encoder", "n_embd": 32, "n_head": 2, "n_layer": 1,
                                               "d_ff": 64, "block_size": 20},
                      "data": {"name": "sort", "options": {"length": 12, "n_symbols": 30}}})
    window.load_spec(spec, None)
    assert option(window, "length").value() == 12 and option(window, "n_symbols").value() == 30
    option(window, "length").setValue(option(window, "length").minimum())
    assert option(window, "length").text() == "auto (20)"  # the encoder fills its context
    assert window.spec.data.options == {"n_symbols": 30}


@pytest.mark.slow
def test_csv_columns_can_be_changed_and_a_missing_one_is_refused(window, qtbot, tmp_path, monkeypatch):
    rows = [f"{'good' if i % 2 else 'bad'} film number {i},{'pos' if i % 2 else 'neg'},{i % 3}" for i in range(40)]
    path = tmp_path / "reviews.csv"
    path.write_text("review,sentiment,stars\n" + "\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(file_dialogs, "open_file", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(csv_columns, "ask_columns", lambda parent, p: ("review", "sentiment"))
    choose(window.findChild(QComboBox, "familyCombo"), "encoder")
    choose(window.findChild(QComboBox, "datasetCombo"), ("open", "csv_file"))
    label_column = option(window, "label_column", QLineEdit)
    assert label_column.text() == "sentiment" and option(window, "text_column", QLineEdit).text() == "review"
    assert window.config.info().n_classes == 2

    label_column.setFocus()
    label_column.selectAll()
    qtbot.keyClicks(label_column, "stars")
    qtbot.keyClick(label_column, Qt.Key.Key_Return)
    assert window.spec.data.options == {"text_column": "review", "label_column": "stars"}
    assert window.config.info().n_classes == 3

    good = window.spec
    label_column.selectAll()
    qtbot.keyClicks(label_column, "rating")
    qtbot.keyClick(label_column, Qt.Key.Key_Return)
    assert "no column 'rating'" in message(window).text() and "stars" in message(window).text()
    assert window.spec == good and label_column.text() == "stars"


def test_running_text_after_a_csv_gets_the_default_context_back(window, tmp_path, monkeypatch):
    """Newcomer QA: a text file opened after a CSV trained with the context fitted to the CSV's short texts (5),
    unsaid; a built-in text after it likewise."""
    from playground.ui.config_panel import DEFAULT_CONTEXT

    reviews = tmp_path / "reviews.csv"
    reviews.write_text("text,label\n" + "\n".join(f"film {i},{'pos' if i % 2 else 'neg'}" for i in range(40)) + "\n",
                       encoding="utf-8")
    story = tmp_path / "story.txt"
    story.write_text("once upon a time there was a model. " * 100, encoding="utf-8")
    opened = [reviews]
    monkeypatch.setattr(file_dialogs, "open_file", lambda *a, **k: (str(opened[-1]), ""))
    monkeypatch.setattr(csv_columns, "ask_columns", lambda parent, p: ("text", "label"))
    choose(window.findChild(QComboBox, "familyCombo"), "encoder")
    choose(window.findChild(QComboBox, "datasetCombo"), ("open", "csv_file"))
    fitted = window.spec.model.block_size
    assert fitted < DEFAULT_CONTEXT and "Context length set to" in message(window).text()
    opened.append(story)
    choose(window.findChild(QComboBox, "datasetCombo"), ("open", "text_file"))
    assert window.spec.data.path == str(story) and window.spec.model.block_size == DEFAULT_CONTEXT
    assert (f"Context length set back to {DEFAULT_CONTEXT}: {fitted} was fitted to the short texts of reviews.csv."
            in message(window).text())
    opened.append(reviews)
    choose(window.findChild(QComboBox, "datasetCombo"), ("open", "csv_file"))
    choose(window.findChild(QComboBox, "datasetCombo"), "zen")  # a built-in text
    assert window.spec.data.name == "zen" and window.spec.model.block_size == DEFAULT_CONTEXT


@pytest.mark.slow
def test_setting_an_option_back_to_its_default_leaves_it_out_of_the_spec(window, qtbot, tmp_path, monkeypatch):
    """A reset option must not stay in data.options (and so in a saved preset) as a copy of its default."""
    symbols, length = option(window, "n_symbols"), option(window, "length")
    type_into(qtbot, symbols, "12")
    assert window.config.spec().data.options == {"length": 8, "n_symbols": 12} and window.isWindowModified()
    type_into(qtbot, symbols, str(REGISTRY["reverse"].options["n_symbols"].default))  # back to 10, the default
    assert symbols.text() == "10"
    assert window.config.spec().data.options == {"length": 8}  # as the preset had it
    assert not window.isWindowModified()  # nothing left to save
    length.setValue(length.minimum())  # the "auto" option: back to the length worked out from the model
    assert length.text() == "auto (8)" and window.config.spec().data.options == {}
    assert "auto again" in message(window).text()

    target = tmp_path / "reset.json"
    monkeypatch.setattr(file_dialogs, "save_file", lambda *a, **k: (str(target), ""))
    window.saveAsAction.trigger()
    assert load_preset(target).data.options == {}  # the saved preset carries no default

    choose(window.findChild(QComboBox, "familyCombo"), "encoder")
    choose(window.findChild(QComboBox, "datasetCombo"), "pronoun")
    labels = option(window, "labels", QComboBox)
    choose(labels, "kind")
    assert window.config.spec().data.options == {"labels": "kind"}
    choose(labels, "position")  # the default choice
    assert labels.currentText() == "position" and window.config.spec().data.options == {}
    assert "auto" not in message(window).text()  # a fixed default is not worked out from the model


@pytest.mark.slow
def test_emptying_a_column_box_goes_back_to_its_default_column(window, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label,stars\n" + "\n".join(f"film {i},{'pos' if i % 2 else 'neg'},{i % 3}"
                                                     for i in range(40)) + "\n", encoding="utf-8")
    monkeypatch.setattr(file_dialogs, "open_file", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(csv_columns, "ask_columns", lambda parent, p: ("text", "stars"))
    choose(window.findChild(QComboBox, "familyCombo"), "encoder")
    choose(window.findChild(QComboBox, "datasetCombo"), ("open", "csv_file"))
    assert window.config.info().n_classes == 3
    label_column = option(window, "label_column", QLineEdit)
    label_column.setFocus()
    label_column.selectAll()
    qtbot.keyClick(label_column, Qt.Key.Key_Delete)
    qtbot.keyClick(label_column, Qt.Key.Key_Return)
    assert "label_column" not in window.config.spec().data.options  # not an empty column name
    assert label_column.text() == "label" and window.config.info().n_classes == 2  # the default column, pos/neg


def choose_csv(window: MainWindow, monkeypatch, path) -> None:
    """Family Encoder, then Dataset > Open CSV file… answered with `path`; the real column chooser reads it."""
    monkeypatch.setattr(file_dialogs, "open_file", lambda *a, **k: (str(path), ""))
    choose(window.findChild(QComboBox, "familyCombo"), "encoder")
    choose(window.findChild(QComboBox, "datasetCombo"), ("open", "csv_file"))


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_choosing_a_pipe_or_device_as_csv_is_refused_without_reading_it(window, monkeypatch, tmp_path, kind):
    """A FIFO's open() waited for a writer forever and froze the window; /dev/zero made a 65,000-character message."""
    path = tmp_path / "pipe.csv"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path = "/dev/zero"
    choose(window.findChild(QComboBox, "familyCombo"), "encoder")
    before = window.spec
    choose_csv(window, monkeypatch, path)
    assert message(window).text() == (f"{Path(path).name} is not a regular file (a device, pipe or socket): pick a "
                                      f"CSV file saved on disk")
    assert message(window).property("level") == "error" and window.spec == before


def test_a_csv_header_of_one_enormous_column_is_quoted_short(window, monkeypatch, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("x" * 70_000 + "\n1\n", encoding="utf-8")
    choose_csv(window, monkeypatch, path)
    text = message(window).text()
    assert text.startswith("wide.csv needs a header with at least two columns") and len(text) < 200, len(text)


def test_opening_a_preset_with_a_wrong_option_type_is_refused_and_keeps_the_settings(window, tmp_path):
    preset = load_preset("decoder-reverse").to_dict()
    preset["data"]["options"] = {"length": "x"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(preset), encoding="utf-8")
    before = window.spec
    assert not window.open_preset(str(path))  # it raised ValueError from int("x") in the options' spin box
    assert message(window).text() == "bad.json: option length of reverse must be a whole number, got 'x'"
    assert window.spec == before and option(window, "length").value() == 8


def test_opening_a_preset_of_an_unknown_dataset_is_refused_and_keeps_the_settings(window, tmp_path):
    """QA: it loaded, the old model under Ctrl+Z and the Dataset list empty, unlike every other mistake in a file."""
    preset = load_preset("decoder-reverse").to_dict()
    preset["data"]["name"] = "tinyshakespeare-xyz"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(preset), encoding="utf-8")
    before = window.spec
    assert not window.open_preset(str(path))
    assert message(window).text().startswith("bad.json: unknown dataset 'tinyshakespeare-xyz': ")
    assert window.spec == before


def test_a_spec_with_a_wrong_option_type_shows_the_data_layers_refusal(window):
    """A spec that bypassed the preset check (a run's own record) is shown, not raised on, and says what is wrong."""
    spec = make_spec({**load_preset("vit-shapes").to_dict(), "data": {"name": "shapes", "options": {"n_images": "lots"}}})
    window.load_spec(spec, None)
    assert message(window).text() == "option n_images of shapes must be a whole number, got 'lots'"
    assert option(window, "n_images").value() == option(window, "n_images").minimum()
