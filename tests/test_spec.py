"""The run description: validation messages a student can act on, presets round trip and migrate."""

import json

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
    assert "unknown setting 'model.n_embed'" in text
    assert "number of layers (model.n_layer)" in text


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
    with pytest.raises(presets.PresetError, match=r"broken.json is not valid JSON \(line 1"):
        presets.load_preset(broken)
    with pytest.raises(presets.PresetError, match="no preset named 'nope'"):
        presets.load_preset("nope")


def test_builtin_presets_cover_every_family():
    infos = presets.builtin_presets()
    assert {info.family for info in infos} == {"encoder", "decoder", "vit"}
    for info in infos:
        assert f'"family": "{info.family}"' in info.path.read_text()
        assert info.description
    assert presets.DEFAULT_PRESET in {info.name for info in infos}
