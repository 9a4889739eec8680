"""Our three families compute exactly what their Hugging Face counterparts compute.

BERT: Hugging Face folders load through load_bert_folder (the packaged MiniLM and tiny random ones).
GPT-2 and ViT: our weights, renamed as documented in decoder.py / vit.py, saved as a Hugging Face folder
and loaded by transformers: the same logits come out.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from transformers import (
    BertConfig,
    BertForMaskedLM,
    BertForSequenceClassification,
    BertModel,
    GPT2LMHeadModel,
    ViTForImageClassification,
)

from playground.core.estimates import PRETRAINED_TABLES
from playground.core.spec import ModelSpec
from playground.data.base import DataInfo
from playground.export.hf import convert
from playground.models import Encoder, build_model, load_bert_folder, load_pretrained_encoder
from playground.models.encoder import bert_key_to_playground, playground_key_to_bert
from playground.models.pretrained import pretrained_path

TINY_BERT = dict(
    vocab_size=29, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
    max_position_embeddings=12,
)


def padded_batch(vocab: int, lo: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(lo, vocab, (3, 10), generator=g)
    mask = torch.ones(3, 10, dtype=torch.bool)
    mask[1, 6:] = False
    mask[2, 3:] = False
    ids[~mask] = 0
    return ids, mask


@pytest.mark.slow
def test_minilm_equals_transformers_bert() -> None:
    path = pretrained_path("minilm")
    info = DataInfo(name="t", title="T", task="classify", vocab_size=30522, n_classes=3)
    ours = load_pretrained_encoder("minilm", info).eval()
    hf = BertModel.from_pretrained(str(path)).eval()
    ids, mask = padded_batch(30522, lo=1000)
    ids[:, 0] = 101  # [CLS]
    with torch.no_grad():
        expected = hf(input_ids=ids, attention_mask=mask.long())
        hidden = ours.last_hidden_state(ids, mask)
        pooled = ours.pooler(hidden)
    torch.testing.assert_close(hidden, expected.last_hidden_state, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(pooled, expected.pooler_output, atol=1e-4, rtol=1e-4)
    ours.set_attention_impl("explicit")
    with torch.no_grad():
        torch.testing.assert_close(ours.last_hidden_state(ids, mask), expected.last_hidden_state, atol=1e-4, rtol=1e-4)


@pytest.mark.slow
def test_minilm_through_build_model() -> None:
    spec = ModelSpec(family="encoder", pretrained="minilm", block_size=128, freeze_layers=4, dropout=0.1)
    info = DataInfo(name="t", title="T", task="mlm", vocab_size=30522, n_classes=30522)
    model = build_model(spec, info)
    config = json.loads((pretrained_path("minilm") / "config.json").read_text())
    assert PRETRAINED_TABLES["minilm"] == (config["vocab_size"], config["max_position_embeddings"])
    assert isinstance(model, Encoder) and model.tok_emb.num_embeddings == 30522
    assert model.pos_emb.weight.shape == (512, 384)
    assert not model.blocks[3].attn.q.weight.requires_grad and model.blocks[4].attn.q.weight.requires_grad
    assert model.mlm_head.dense.weight.requires_grad  # the fresh head trains
    assert model(torch.tensor([[101, 2000, 102]])).logits.shape == (1, 3, 30522)
    with pytest.raises(ValueError, match="at most 512"):
        build_model(spec.model_copy(update={"block_size": 600}), info)


def test_tiny_bert_mlm_folder_loads_with_its_head(tmp_path: Path) -> None:
    torch.manual_seed(0)
    hf = BertForMaskedLM(BertConfig(**TINY_BERT)).eval()
    hf.save_pretrained(tmp_path)
    info = DataInfo(name="t", title="T", task="mlm", vocab_size=29, n_classes=29)
    ours = load_bert_folder(tmp_path, info).eval()
    ids, mask = padded_batch(29)
    with torch.no_grad():
        expected = hf(input_ids=ids, attention_mask=mask.long()).logits
        torch.testing.assert_close(ours(ids, mask).logits, expected, atol=1e-5, rtol=1e-5)


def test_tiny_bert_classifier_folder_loads_with_pooler_and_classifier(tmp_path: Path) -> None:
    torch.manual_seed(0)
    hf = BertForSequenceClassification(BertConfig(**TINY_BERT, num_labels=3)).eval()
    hf.save_pretrained(tmp_path)
    ours = load_bert_folder(tmp_path, DataInfo(name="t", title="T", task="classify", vocab_size=29, n_classes=3)).eval()
    ids, mask = padded_batch(29)
    with torch.no_grad():
        expected = hf(input_ids=ids, attention_mask=mask.long()).logits
        torch.testing.assert_close(ours(ids, mask).logits, expected, atol=1e-5, rtol=1e-5)
    # a classifier for another number of classes stays fresh, the body still loads
    five = load_bert_folder(tmp_path, DataInfo(name="t", title="T", task="classify", vocab_size=29, n_classes=5))
    torch.testing.assert_close(five.blocks[1].ffn.fc2.weight, ours.blocks[1].ffn.fc2.weight)


def test_bert_key_mapping() -> None:
    assert bert_key_to_playground("bert.encoder.layer.3.attention.self.query.weight") == "blocks.3.attn.q.weight"
    assert bert_key_to_playground("encoder.layer.0.output.LayerNorm.bias") == "blocks.0.norm2.bias"
    assert bert_key_to_playground("cls.predictions.bias") == "mlm_head.bias"
    assert bert_key_to_playground("embeddings.position_ids") is None
    assert bert_key_to_playground("cls.seq_relationship.weight") is None
    assert playground_key_to_bert("blocks.11.ffn.fc1.bias") == "encoder.layer.11.intermediate.dense.bias"
    assert playground_key_to_bert("mlm_head.decoder.weight") is None  # tied to the word embeddings


@pytest.mark.parametrize("task", ["mlm", "tagging", "classify"])
def test_one_bert_name_table_serves_import_and_export(task: str) -> None:
    """Every key of our encoder has a BERT name, and that name reads back as the same key."""
    spec = ModelSpec(family="encoder", n_embd=16, n_head=2, n_layer=2, d_ff=32, block_size=8)
    model = build_model(spec, DataInfo(name="t", title="T", task=task, vocab_size=29, n_classes=29 if task == "mlm" else 3))
    keys = [k for k in model.state_dict() if k != "mlm_head.decoder.weight"]
    names = [playground_key_to_bert(k) for k in keys]
    assert None not in names and len(set(names)) == len(keys)
    assert [bert_key_to_playground("bert." + n) for n in names] == keys


def test_non_bert_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({**TINY_BERT, "hidden_act": "relu"}))
    with pytest.raises(ValueError, match="activation is 'relu'"):
        load_bert_folder(tmp_path, DataInfo(name="t", title="T", task="mlm", vocab_size=29, n_classes=29))


def _save_folder(path: Path, config: dict, tensors: dict[str, torch.Tensor]) -> None:
    (path / "config.json").write_text(json.dumps(config))
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path / "model.safetensors"))


def _as_hf_folder(ours, path: Path) -> None:
    """Our weights, renamed as documented in decoder.py / vit.py (the export's conversion), as an HF folder."""
    export = convert(ours)
    _save_folder(path, export.config.to_dict(), export.tensors)


def test_decoder_equals_gpt2(tmp_path: Path) -> None:
    torch.manual_seed(0)
    spec = ModelSpec(family="decoder", n_embd=16, n_head=2, n_layer=2, d_ff=40, block_size=10)
    ours = build_model(spec, DataInfo(name="t", title="T", task="lm", vocab_size=29, n_classes=29)).eval()
    _as_hf_folder(ours, tmp_path)  # lm_head.weight is tied to wte: saved once, transformers ties it again
    hf = GPT2LMHeadModel.from_pretrained(str(tmp_path)).eval()
    ids = torch.randint(0, 29, (3, 10), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(ours(ids).logits, hf(input_ids=ids).logits, atol=1e-5, rtol=1e-5)


def test_vit_equals_transformers_vit(tmp_path: Path) -> None:
    torch.manual_seed(0)
    spec = ModelSpec(family="vit", n_embd=16, n_head=2, n_layer=2, d_ff=40, image_size=8, patch_size=2)
    info = DataInfo(name="t", title="T", task="classify", n_classes=4, unit="images", channels=3, image_size=8)
    ours = build_model(spec, info).eval()
    _as_hf_folder(ours, tmp_path)
    hf = ViTForImageClassification.from_pretrained(str(tmp_path)).eval()
    images = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(ours(images).logits, hf(pixel_values=images).logits, atol=1e-5, rtol=1e-5)
