"""The run description: validation messages a student can act on, presets round trip and migrate."""

import json
import os

import pytest

from playground.core import presets
from playground.core.spec import SCHEMA_VERSION, ModelSpec, RunSpec, SpecError, make_spec


def test_heads_must_divide_embedding_and_message_names_fixes():
    with pytest.raises(SpecError) as err:
        make_spec({"model": {"n_embd": 100, "n_head": 3}})
    assert "embedding dimension 100 is not divisible by 3 heads: try 99 or 102" in str(err.value)


def test_patch_must_tile_image():
    with pytest.raises(SpecError, match="patch size 3 does not tile an image of 8 pixels: try one of 1, 2, 4"):
        make_spec({"model": {"family": "vit", "image_size": 8, "patch_size": 3}})


def test_unknown_key_and_bad_type_are_explained():
    with pytest.raises(SpecError) as err:
        make_spec({"model": {"n_embed": 64, "n_layer": "many"}})
    text = str(err.value)
    assert "unknown setting 'model.n_embed': did you mean 'model.n_embd'?" in text
    assert "number of layers (model.n_layer)" in text


def test_a_setting_named_without_its_group_or_misspelt_gets_the_one_meant():
    """QA: `--set n_embd=64` said only "check its spelling"."""
    spec = make_spec({})
    for typed, meant in (("n_embd", "model.n_embd"), ("train.lrate", "train.lr"), ("data.val_frac", "data.val_fraction")):
        with pytest.raises(SpecError, match=f"unknown setting '{typed}': did you mean '{meant}'\\?"):
            spec.updated({typed: 1})
    with pytest.raises(SpecError, match="unknown setting 'colour': remove it or check its spelling"):
        spec.updated({"colour": 1})
    with pytest.raises(SpecError, match="unknown setting 'model.x': remove it or check its spelling"):
        spec.updated({"model.x": 1})  # (QA: "did you mean 'model'?", the group it named)


def test_a_setting_of_a_group_another_change_set_to_a_value_is_not_called_unknown():
    """QA: `--set train=5` beside --steps: "unknown setting 'train.max_steps': did you mean 'train.max_steps'?"."""
    with pytest.raises(SpecError) as err:
        make_spec({}).updated({"train": 5, "train.max_steps": 10})
    assert str(err.value) == ("'train' is a group of settings, set to 5 here: set each of its settings by its dotted "
                              "path instead, e.g. 'train.max_steps'")


def test_negative_and_absurd_sizes_refused():
    for bad in ({"train": {"batch_size": -1}}, {"model": {"n_layer": 10_000}}, {"train": {"lr": 1e9}}):
        with pytest.raises(SpecError):
            make_spec(bad)


def test_pretrained_fills_architecture_and_refuses_contradiction():
    spec = ModelSpec(family="encoder", pretrained="minilm")
    assert (spec.n_embd, spec.n_head, spec.n_layer) == (384, 12, 6)
    with pytest.raises(ValueError, match="architecture is fixed"):
        ModelSpec(family="encoder", pretrained="minilm", n_embd=128)


def test_updated_applies_dotted_paths_and_revalidates():
    spec = RunSpec()
    assert spec.updated({"model.n_embd": 96}).model.n_embd == 96
    with pytest.raises(SpecError, match="not divisible"):
        spec.updated({"model.n_embd": 98})
    with pytest.raises(SpecError, match="unknown setting"):
        spec.updated({"modle.n_embd": 96})


def test_warmup_longer_than_run_is_refused_with_fix():
    with pytest.raises(SpecError, match="try warmup_steps=5"):
        make_spec({"train": {"max_steps": 50, "warmup_steps": 60}})


def test_preset_round_trip(tmp_path):
    spec = RunSpec(name="demo", model=ModelSpec(family="vit", image_size=16, patch_size=4))
    path = presets.save_preset(spec, tmp_path / "demo.json")
    assert presets.load_preset(path) == spec
    assert '"family": "vit"' in path.read_text()


def test_version_1_preset_is_migrated(tmp_path):
    old = {"schema_version": 1, "name": "old", "model": {"family": "decoder", "ffn_width": 256, "context_length": 32}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    spec = presets.load_preset(path)
    assert (spec.model.d_ff, spec.model.block_size, spec.schema_version) == (256, 32, SCHEMA_VERSION)


def test_newer_schema_and_broken_json_get_messages(tmp_path):
    newer = tmp_path / "new.json"
    newer.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(presets.PresetError, match="newer Transformer Playground"):
        presets.load_preset(newer)
    broken = tmp_path / "broken.json"
    broken.write_text('{"model": {')
    with pytest.raises(presets.PresetError, match=r"broken.json is not valid JSON: .* at line 1, column \d+: fix it there"):
        presets.load_preset(broken)
    empty = tmp_path / "empty.json"
    empty.write_text("\n")  # QA: "not valid JSON (line 1, column 1: Expecting value)"
    with pytest.raises(presets.PresetError, match="empty.json is empty: a preset is a JSON object"):
        presets.load_preset(empty)
    with pytest.raises(presets.PresetError, match="no preset named 'nope'"):
        presets.load_preset("nope")


def test_builtin_presets_cover_every_family():
    infos = presets.builtin_presets()
    assert {info.family for info in infos} == {"encoder", "decoder", "vit"}
    for info in infos:
        assert f'"family": "{info.family}"' in info.path.read_text()
        assert info.description
    assert presets.DEFAULT_PRESET in {info.name for info in infos}


def test_booleans_are_not_numbers():
    with pytest.raises(SpecError, match=r"number of layers \(model.n_layer\): true/false is not a number"):
        make_spec({"model": {"n_layer": True}})
    with pytest.raises(SpecError, match="learning rate"):
        make_spec({"train": {"lr": True}})
    assert make_spec({"model": {"n_layer": 2.0}}).model.n_layer == 2  # a slider's float of a whole number


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_setting_that_is_not_a_finite_number_is_said_so(value):
    """QA: `--set train.lr=nan` said "should be less than or equal to 10, got 'nan'"."""
    with pytest.raises(SpecError, match=r"learning rate \(train.lr\): input should be a finite number"):
        make_spec({"train": {"lr": value}})


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"name": "bom"}).encode())
    assert presets.load_preset(path).name == "bom"


@pytest.mark.parametrize(("model", "message"), [
    (5, "cannot be migrated: its model is 5, not an object"),
    ("big", "cannot be migrated: its model is 'big', not an object"),
    ({"ffn_width": 256, "d_ff": 512}, "sets both 'ffn_width' \\(the old name\\) and 'd_ff'"),
    ({"ffn_width": 7}, "this version 1 preset cannot be migrated: feed-forward width"),
])
def test_version_1_preset_that_cannot_migrate_says_so(tmp_path, model, message):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"schema_version": 1, "model": model}))
    with pytest.raises(presets.PresetError, match=message):
        presets.load_preset(path)


@pytest.mark.slow
def test_deep_nesting_and_huge_values_give_one_short_line(tmp_path):
    cases = {
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "list.json": json.dumps({"model": list(range(100_000))}),
        "name.json": json.dumps({"name": "n" * 900_000}),
        "key.json": json.dumps({"k" * 900_000: 1}),
        "options.json": json.dumps({"data": {"options": {str(i): [i] for i in range(50_000)}}}),
        "digits.json": '{"seed": ' + "9" * 5000 + "}",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(presets.PresetError) as err:
            presets.load_preset(tmp_path / name)
        message = str(err.value)
        assert name in message and len(message) <= 300 and "\n" not in message, message


@pytest.mark.parametrize(("path", "kind"), [("/dev/zero", "a device"), ("/dev/null", "a device"), (".", "a folder")])
def test_special_files_are_refused_as_presets(path, kind):
    with pytest.raises(presets.PresetError, match=f"is {kind}, not a preset file"):
        presets.load_preset(path if path != "." else "./")


def test_a_fifo_preset_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(presets.PresetError, match="is a pipe"):
        presets.load_preset(fifo)


def test_a_preset_over_the_cap_is_refused_on_the_bytes_read(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(" " * (presets.MAX_PRESET_BYTES + 1) + "{}")
    with pytest.raises(presets.PresetError, match="larger than 1 MB"):
        presets.load_preset(path)


def test_unknown_names_and_impossible_paths_are_short(tmp_path):
    for source in ["x" * 900_000, "a\x00b", str(tmp_path / ("y" * 5000) / "p.json")]:
        with pytest.raises(presets.PresetError) as err:
            presets.load_preset(source)
        assert len(str(err.value)) <= 300


def bad_option_preset(tmp_path, data: dict) -> str:
    """A preset file like a student's: a built-in one with `data` edited in."""
    raw = presets.load_preset("vit-shapes" if data["name"] in ("shapes", "image_folder") else "decoder-reverse")
    path = tmp_path / "edited.json"
    path.write_text(json.dumps({**raw.to_dict(), "data": data}))
    return str(path)


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "reverse", "options": {"length": "x"}}, "length of reverse must be a whole number, got 'x'"),
    ({"name": "reverse", "options": {"n_symbols": "five"}}, "n_symbols of reverse must be a whole number"),
    ({"name": "shapes", "options": {"n_images": "lots"}}, "n_images of shapes must be a whole number"),
    ({"name": "shapes", "options": {"n_images": float("inf")}}, "n_images of shapes must be a whole number, got Infinity"),
    ({"name": "reverse", "options": {"length": True}}, "length of reverse must be a whole number, got true"),
    ({"name": "reverse", "options": {"length": -5}}, "length of reverse must be between 1 and 4096, got -5"),
    ({"name": "reverse", "options": {"length": 1_000_000}}, "length of reverse must be between 1 and 4096"),
    ({"name": "reverse", "options": {"length": 3.5}}, "length of reverse must be a whole number, got 3.5"),
    ({"name": "image_folder", "path": "/no/such/folder", "options": {"channels": "x"}},
     "channels of image_folder must be a whole number"),  # refused on its type, without looking for the folder
    ({"name": "csv_file", "path": "/no/such.csv", "options": {"text_column": 5}},
     "text_column of csv_file must be a non-empty name, got 5"),
])
def test_a_preset_with_a_data_option_of_the_wrong_type_or_range_is_refused_as_it_loads(tmp_path, data, message):
    with pytest.raises(presets.PresetError, match=f"^edited.json: option {message}"):
        presets.load_preset(bad_option_preset(tmp_path, data))


def test_a_preset_of_an_unknown_dataset_is_refused_as_it_loads_naming_what_its_family_reads(tmp_path):
    """QA: a preset naming "tinyshakespeare-xyz" loaded (every other mistake in a file was refused), and the training's
    refusal listed every family's datasets, digits and shapes for a decoder among them."""
    with pytest.raises(presets.PresetError) as err:
        presets.load_preset(bad_option_preset(tmp_path, {"name": "reverses"}))
    assert str(err.value) == ("edited.json: unknown dataset 'reverses': did you mean 'reverse'? the Decoder (GPT-like) "
                              "reads pydoc, zen, copy, reverse, sort, shift, text_file")


def test_loading_a_preset_does_not_read_its_data_file(tmp_path):
    """Columns are the data layer's check when the file is read: a preset naming any columns of a missing CSV
    loads (opening a preset must stay quick however large the file)."""
    path = bad_option_preset(tmp_path, {"name": "csv_file", "path": str(tmp_path / "gone.csv"),
                                        "options": {"text_column": "review", "label_column": "stars"}})
    assert presets.load_preset(path).data.options == {"text_column": "review", "label_column": "stars"}


def test_a_number_too_long_to_read_is_named_as_such(tmp_path):
    path = tmp_path / "digits.json"
    path.write_text('{"train": {"seed": ' + "9" * 5000 + "}}")
    with pytest.raises(presets.PresetError) as err:
        presets.load_preset(path)
    assert str(err.value) == "digits.json has a number too long to read (over 4,300 digits): shorten it"


def test_a_wrong_value_says_got_once():
    """QA: "input should be a valid integer, got a number with a fractional part, got 128.5"."""
    with pytest.raises(SpecError) as err:
        make_spec({"model": {"n_embd": 128.5}})
    assert str(err.value).count("got") == 1 and "(128.5)" in str(err.value)


def test_a_preset_that_leaves_out_a_section_says_the_defaults_fill_it_in(tmp_path):
    """QA: a hand-written preset without "model" trained the default decoder without a word."""
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"name": "mine", "data": {"name": "zen"}}))
    assert presets.sections_left_out(mine) == ["model", "train"]
    assert presets.left_out_note(mine) == "has no model and train settings: the defaults fill them in"
    assert presets.left_out_note("decoder-pydoc") == ""  # the built-in presets have all three
    (tmp_path / "list.json").write_text("[1]")
    assert presets.sections_left_out(tmp_path / "list.json") == []  # load_preset says what is wrong with it


def test_settings_a_family_does_not_read_are_no_difference():
    """`playground compare decoder-reverse vit-digits` said "context length 17 → 64": the ViT's 64 is unused (its
    tokens are its patches)."""
    from playground.core.differences import differences
    from playground.core.presets import load_preset

    decoder, vit = load_preset("decoder-reverse"), load_preset("vit-digits")
    assert "model.block_size" not in differences(decoder, vit) and "model.image_size" not in differences(decoder, vit)
    assert "model.family" in differences(decoder, vit)
    assert "model.image_size" in differences(vit, vit.updated({"model.image_size": 16, "model.patch_size": 4}))
    assert differences(decoder, decoder.updated({"model.block_size": 24})) == ["model.block_size"]
    # QA: "B: model family vit, causal mask off": a ViT has no causal mask to turn off, and the family in words
    from playground.core.differences import difference_line, setting_text

    assert decoder.model.causal and "model.causal" not in differences(decoder, vit)
    assert differences(decoder, decoder.updated({"model.causal": False})) == ["model.causal"]
    assert setting_text("model.family", vit) == "model family Vision Transformer"
    assert "model family Decoder (GPT-like) → Vision Transformer" in difference_line(decoder, vit)
    # the datasets by their titles, and one dataset's options are no difference from another's (QA re-check)
    assert "dataset Reverse → Handwritten digits" in difference_line(decoder, vit)
    assert "data.options.length" not in differences(decoder, vit)
    longer = decoder.updated({"data.options": {"length": 5}})
    assert differences(decoder, longer) == ["data.options.length"]
    assert "sequence length auto → 5" in difference_line(decoder.updated({"data.options": {}}), longer)


def test_a_builtin_lesson_saved_with_its_lesson_edited_keeps_its_description():
    """QA: a lesson edited and saved had 3,560 characters of "[{'text': '<b>Self-attention…" as its description,
    shown under the settings and in a tooltip half the screen high: a lesson is prose, not a setting changed."""
    from pathlib import Path

    from playground.core.differences import differences
    from playground.core.presets import load_preset, named_after_file

    builtin = load_preset("lesson-19.2-self-attention")
    lesson = builtin.lesson.model_dump()
    lesson["steps"][0]["text"] += " And mine."
    edited = named_after_file(builtin.updated({"lesson": lesson}), Path("mylesson.json"))
    assert edited.description == builtin.description and edited.lesson.steps[0].text.endswith("And mine.")
    both = named_after_file(builtin.updated({"lesson": lesson, "model.n_head": 4}), Path("mylesson.json"))
    assert both.description.startswith("The built-in lesson-19.2-self-attention with number of heads 4. Its")
    assert differences(builtin, builtin.updated({"lesson": None})) == []


def test_a_changed_builtin_changed_back_then_changed_again_says_what_was_changed():
    """Review: changed back, its description was the built-in's but its name the file's, and the next change was
    not said ("cut into 16 patches of 2x2 pixels" over 1-pixel patches, the QA finding the naming fixed)."""
    from pathlib import Path

    from playground.core.presets import load_preset, named_after_file

    builtin, path = load_preset("vit-digits"), Path("mine.json")
    changed = named_after_file(builtin.updated({"model.patch_size": 1}), path)
    assert changed.name == "mine" and "patch size 1" in changed.description
    back = named_after_file(changed.updated({"model.patch_size": 2}), path)
    assert back.description == builtin.description
    again = named_after_file(back.updated({"model.patch_size": 1}), path)
    assert again.name == "mine" and again.description.startswith("The built-in vit-digits with patch size 1")


def test_a_changed_builtin_takes_each_files_name_unless_the_user_named_it():
    """Saved as another file, a name an earlier save gave it follows the new file; one the user gave it (File > Name
    and Description) stays."""
    from pathlib import Path

    from playground.core.presets import load_preset, named_after_file

    changed = load_preset("vit-digits").updated({"model.patch_size": 1})
    first = named_after_file(changed, Path("mine.json"))
    assert named_after_file(first, Path("other.json"), opened=Path("mine.json")).name == "other"
    named = first.updated({"name": "Lecture 3"})
    assert named_after_file(named, Path("other.json"), opened=Path("mine.json")).name == "Lecture 3"


def test_a_data_file_with_a_long_name_gives_a_run_name_that_fits(tmp_path):
    """Newcomer QA: `--set data.path=` a file of a 98-character name was refused as "preset name (name): string should
    have at most 120 characters", a setting never typed."""
    from playground.core.presets import load_preset, with_changes
    from playground.core.spec import MAX_PRESET_NAME

    long = tmp_path / ("lecture_notes_week_03_" + "attention_" * 12 + "final.txt")
    spec = with_changes(load_preset("decoder-pydoc"), {"data.name": "text_file", "data.path": str(long)})
    assert len(spec.name) == MAX_PRESET_NAME and spec.name.startswith("Decoder (GPT-like) on lecture_notes_week_03_")
    assert spec.name.endswith("attention_final.txt") and "…" in spec.name
    short = with_changes(load_preset("decoder-pydoc"), {"data.name": "text_file", "data.path": str(tmp_path / "a  b.txt")})
    assert short.name == "Decoder (GPT-like) on a  b.txt"  # as it is, where it fits
