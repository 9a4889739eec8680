"""Hugging Face export and import: a trained run becomes a folder transformers loads, with the same logits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from transformers import (  # noqa: E402
    AutoImageProcessor,
    AutoModelForCausalLM,
    AutoModelForImageClassification,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
)

from playground.core.presets import load_preset  # noqa: E402
from playground.export import ExportError, export_run, import_bert_folder  # noqa: E402
from playground.export import hf as hf_export  # noqa: E402
from playground.training.checkpoint import PICKLE_SUFFIXES  # noqa: E402
from playground.training.session import TrainingSession  # noqa: E402

TINY = {"model.n_layer": 2, "model.n_embd": 16, "model.n_head": 2, "model.d_ff": 32, "train.batch_size": 4,
        "train.max_steps": 3, "train.warmup_steps": 0, "train.device": "cpu", "train.eval_batches": 1,
        "train.eval_interval": 3}


def trained_run(tmp_path: Path, preset: str, **changes) -> tuple[Path, TrainingSession]:
    """A preset trained for 3 tiny steps and saved, as `playground train` leaves it."""
    spec = load_preset(preset).updated({**TINY, **changes})
    run_dir = tmp_path / "run"
    session = TrainingSession(spec, run_dir=run_dir)
    for _ in session.run():
        pass
    session.save()
    return run_dir, session


CASES = [
    # preset, Auto class, expected architecture, text to tokenize (None: images)
    ("decoder-pydoc", AutoModelForCausalLM, "GPT2LMHeadModel", "Return the list of items.\n"),
    ("encoder-mlm-pydoc", AutoModelForMaskedLM, "BertForMaskedLM", "Return the [MASK]ist."),
    ("encoder-sentiment", AutoModelForSequenceClassification, "BertForSequenceClassification",
     "The movie was NOT great!"),
    ("encoder-reverse", AutoModelForTokenClassification, "BertForTokenClassification", "0123"),
    ("vit-digits", AutoModelForImageClassification, "ViTForImageClassification", None),
]


@pytest.mark.parametrize(("preset", "auto", "architecture", "text"), CASES, ids=[c[0] for c in CASES])
def test_export_loads_in_transformers_with_the_same_logits(tmp_path, preset, auto, architecture, text):
    run_dir, session = trained_run(tmp_path, preset)
    out = tmp_path / "hf"
    result = export_run(run_dir, out)
    assert result.architecture == architecture
    assert {"config.json", "model.safetensors"} <= set(result.files)
    assert not [p for p in out.iterdir() if p.suffix in PICKLE_SUFFIXES], "weights are only ever safetensors"

    hf = auto.from_pretrained(str(out)).eval()
    assert type(hf).__name__ == architecture
    ours = session.model.eval()
    batch = session.dataset.batch("val", 4, torch.Generator().manual_seed(5))
    with torch.no_grad():
        expected = ours(batch.x, batch.mask).logits
        got = hf_export.hf_logits(hf, batch.x, batch.mask)
    assert got.shape == expected.shape
    if batch.mask is not None and expected.dim() == 3:
        expected, got = expected[batch.mask], got[batch.mask]
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)

    if text is None:
        processor = AutoImageProcessor.from_pretrained(str(out))
        assert processor.size["height"] == session.spec.model.image_size
        torch.testing.assert_close(torch.tensor(processor.image_mean), session.dataset._mean.flatten())
        return
    tokenizer = AutoTokenizer.from_pretrained(str(out))
    if session.info.task == "classify":
        ours_ids = session.dataset.example(text).x[0].tolist()  # [CLS] + words, as in training
    else:
        ours_ids = session.dataset.encode(text)
    assert tokenizer(text)["input_ids"] == ours_ids
    if session.info.task != "classify":
        assert tokenizer.decode(ours_ids) == text  # characters joined back exactly


def test_sinusoidal_positions_are_refused_before_writing(tmp_path):
    run_dir, _ = trained_run(tmp_path, "decoder-reverse", **{"model.pos_encoding": "sinusoidal"})
    out = tmp_path / "hf"
    with pytest.raises(ExportError, match="sinusoidal positions"):
        export_run(run_dir, out)
    assert not (out / "model.safetensors").exists()


def test_an_export_that_computes_something_else_is_removed(tmp_path, monkeypatch):
    run_dir, _ = trained_run(tmp_path, "vit-digits")
    real_convert = hf_export.convert

    def broken(model):
        converted = real_convert(model)
        converted.tensors["classifier.bias"] = converted.tensors["classifier.bias"] + 1.0
        return converted

    monkeypatch.setattr(hf_export, "convert", broken)
    with pytest.raises(ExportError, match="different logits"):
        export_run(run_dir, tmp_path / "hf")
    assert not (tmp_path / "hf" / "model.safetensors").exists()
    assert not (tmp_path / "hf" / "config.json").exists()


@pytest.mark.parametrize("preset", ["encoder-mlm-pydoc", "encoder-sentiment"])
def test_exported_bert_folder_imports_back_into_our_encoder(tmp_path, preset):
    run_dir, session = trained_run(tmp_path, preset)
    export_run(run_dir, tmp_path / "hf")
    imported = import_bert_folder(tmp_path / "hf", session.info, session.spec.model).eval()
    batch = session.dataset.batch("val", 4, torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(imported(batch.x, batch.mask).logits, session.model.eval()(batch.x, batch.mask).logits,
                                   atol=1e-5, rtol=1e-5)


def test_export_command(tmp_path):
    run_dir, _ = trained_run(tmp_path, "decoder-reverse")
    out = tmp_path / "exported"
    done = subprocess.run([sys.executable, "-m", "playground", "export", str(run_dir), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "GPT2LMHeadModel" in done.stderr
    assert (out / "config.json").exists() and (out / "tokenizer.json").exists()
    model = AutoModelForCausalLM.from_pretrained(str(out))
    assert model.config.n_positions == load_preset("decoder-reverse").model.block_size

    empty = tmp_path / "empty"
    empty.mkdir()
    refused = subprocess.run([sys.executable, "-m", "playground", "export", str(empty), "--out", str(tmp_path / "x")],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2
    assert "has no checkpoint" in refused.stderr and "Traceback" not in refused.stderr
