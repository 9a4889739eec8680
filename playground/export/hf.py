"""A trained run as a Hugging Face folder that `transformers` loads with `from_pretrained`.

    export_run(run_dir, out_dir)   # config.json + model.safetensors (+ tokenizer files, README.md)

    decoder                  -> GPT2LMHeadModel
    encoder, mlm             -> BertForMaskedLM
    encoder, classify        -> BertForSequenceClassification
    encoder, tagging         -> BertForTokenClassification
    vit                      -> ViTForImageClassification (+ preprocessor_config.json)

The key-by-key mapping is the one documented at the top of models/encoder.py, decoder.py and vit.py.
Weights are only ever written as safetensors. A tied matrix (GPT-2's lm_head, BERT's MLM decoder) is
written once, as the word embeddings; transformers ties it again on loading.

After writing, the folder is loaded back with transformers and its logits are compared with ours on
the same input: an export that would not compute what the playground computed is removed and refused.
Choices with no Hugging Face equivalent (sinusoidal positions) are refused before anything is written.
Dropout rates are copied; they do not change the logits of a model in eval mode.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from playground.core.spec import RunSpec
from playground.data.base import DataInfo
from playground.data.vocab import Vocab
from playground.models.base import PlaygroundModel
from playground.models.encoder import BERT_HEADS, playground_key_to_bert

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
PREPROCESSOR_FILE = "preprocessor_config.json"
README_FILE = "README.md"
VERIFY_TOLERANCE = 1e-4


class ExportError(ValueError):
    """A run that cannot be exported; `str()` says why and, where there is one, what to do."""


@dataclass
class HFExport:
    """What a conversion produces before anything is written."""

    architecture: str  # the transformers class: "GPT2LMHeadModel", ...
    config: Any  # a transformers PretrainedConfig
    tensors: dict[str, torch.Tensor]
    notes: list[str] = field(default_factory=list)


@dataclass
class ExportResult:
    folder: Path
    architecture: str
    files: list[str]
    max_abs_diff: float  # the largest logit difference found by the check (0 when not checked)
    notes: list[str]


# ----- the public entry point -------------------------------------------------------------------------
def export_run(run_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, verify: bool = True) -> ExportResult:
    """Export the run's checkpoint (RUN_DIR/checkpoint, or a checkpoint folder itself) to `out_dir`."""
    from playground.training.checkpoint import load_checkpoint

    folder = _checkpoint_folder(Path(run_dir))
    saved = load_checkpoint(folder)
    spec = saved.spec
    check_exportable(spec)
    info, vocab, tokenizer_folder = _data_side(spec)
    model = _rebuild(spec, info, saved.model)
    return export_model(model, spec, out_dir, vocab=vocab, tokenizer_folder=tokenizer_folder,
                        image_stats=_image_stats(spec, info), verify=verify)


def export_model(model: PlaygroundModel, spec: RunSpec, out_dir: str | os.PathLike[str], *, vocab: Vocab | None = None,
                 tokenizer_folder: Path | None = None, image_stats: tuple[list[float], list[float]] | None = None,
                 verify: bool = True) -> ExportResult:
    """Export an in-memory model (the window's open session) the same way as export_run.

    vocab: our character/word vocabulary, written as a tokenizer; tokenizer_folder: a pretrained model's
    folder whose own tokenizer files are copied instead (the run's data was tokenized with them).
    """
    check_exportable(spec)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file: choose a folder to export into")
    out.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    converted = convert(model)
    written: list[str] = []
    try:
        converted.config.save_pretrained(str(out))
        written.append(CONFIG_FILE)
        save_file({k: v.detach().cpu().contiguous().clone() for k, v in converted.tensors.items()},
                  str(out / MODEL_FILE), metadata={"format": "pt"})
        written.append(MODEL_FILE)
        notes = list(converted.notes)
        if tokenizer_folder is not None:
            from playground.export.tokenizer import copy_tokenizer

            written += copy_tokenizer(tokenizer_folder, out)
            notes.append(f"tokenizer: the pretrained model's own WordPiece tokenizer (copied from {tokenizer_folder.name})")
        elif vocab is not None:
            from playground.export.tokenizer import save_tokenizer

            prepend_cls = model.info.task == "classify"
            written += save_tokenizer(vocab, out, prepend_cls=prepend_cls, max_length=_positions(model))
            notes.append(_tokenizer_note(vocab, prepend_cls))
        elif model.info.unit == "tokens":
            notes.append("no tokenizer: this run's vocabulary is not known to the playground")
        if image_stats is not None:
            _write_preprocessor(out, spec, image_stats)
            written.append(PREPROCESSOR_FILE)
            notes.append("preprocessor_config.json: resize to the model's image size, scale to [0, 1], "
                         "normalise with the training images' mean and standard deviation")
        diff = verify_folder(model, out, converted.architecture) if verify else 0.0
        (out / README_FILE).write_text(_readme(spec, converted.architecture, notes), encoding="utf-8")
        written.append(README_FILE)
    except BaseException:
        for name in written:
            (out / name).unlink(missing_ok=True)
        raise
    return ExportResult(out, converted.architecture, sorted(set(written)), diff, notes)


def check_exportable(spec: RunSpec) -> None:
    """Refuse choices that no Hugging Face class computes, before anything is written."""
    if spec.model.pos_encoding == "sinusoidal":
        target = {"decoder": "GPT-2", "encoder": "BERT", "vit": "ViT"}[spec.model.family]
        raise ExportError(
            f"this model uses sinusoidal positions, and Hugging Face's {target} only has learned position "
            f"tables: exporting it would write a model that computes something else. Train with "
            f"pos_encoding 'learned' to export it."
        )


# ----- conversions --------------------------------------------------------------------------------------
def convert(model: PlaygroundModel) -> HFExport:
    family = model.spec.family
    if family == "decoder":
        return _gpt2(model)
    if family == "encoder":
        return _bert(model)
    return _vit(model)


def _gpt2(model: PlaygroundModel) -> HFExport:
    from transformers import GPT2Config

    spec, sd = model.spec, model.state_dict()
    vocab_size = model.tok_emb.num_embeddings
    config = GPT2Config(
        vocab_size=vocab_size, n_positions=spec.block_size, n_embd=spec.n_embd, n_layer=spec.n_layer,
        n_head=spec.n_head, n_inner=spec.d_ff, activation_function="gelu_new", layer_norm_epsilon=1e-5,
        resid_pdrop=spec.dropout, embd_pdrop=spec.dropout, attn_pdrop=spec.dropout,
        bos_token_id=None, eos_token_id=None, tie_word_embeddings=True, architectures=["GPT2LMHeadModel"],
    )
    t = {"transformer.wte.weight": sd["tok_emb.weight"], "transformer.wpe.weight": sd["pos_emb.weight"],
         "transformer.ln_f.weight": sd["norm_f.weight"], "transformer.ln_f.bias": sd["norm_f.bias"]}
    # lm_head.weight is tied to wte: written once (safetensors refuses shared tensors), transformers re-ties it.
    for i in range(spec.n_layer):
        ours, hf = f"blocks.{i}.", f"transformer.h.{i}."
        # Conv1D keeps weights as (in, out): transpose, and fuse q | k | v along the output dimension.
        t[hf + "attn.c_attn.weight"] = torch.cat([sd[ours + f"attn.{p}.weight"] for p in "qkv"], 0).T
        t[hf + "attn.c_attn.bias"] = torch.cat([sd[ours + f"attn.{p}.bias"] for p in "qkv"])
        for o, h in (("attn.proj", "attn.c_proj"), ("ffn.fc1", "mlp.c_fc"), ("ffn.fc2", "mlp.c_proj")):
            t[hf + h + ".weight"] = sd[ours + o + ".weight"].T
            t[hf + h + ".bias"] = sd[ours + o + ".bias"]
        for o, h in (("norm1", "ln_1"), ("norm2", "ln_2")):
            t[hf + h + ".weight"] = sd[ours + o + ".weight"]
            t[hf + h + ".bias"] = sd[ours + o + ".bias"]
    return HFExport("GPT2LMHeadModel", config, t)


def _bert(model: PlaygroundModel) -> HFExport:
    from transformers import BertConfig

    spec, info, sd = model.spec, model.info, model.state_dict()
    architecture = {"mlm": "BertForMaskedLM", "classify": "BertForSequenceClassification",
                    "tagging": "BertForTokenClassification"}.get(info.task)
    if architecture is None:
        raise ExportError(f"an encoder trained for '{info.task}' has no Hugging Face BERT head to export to")
    labels: dict[str, Any] = {}
    if info.task != "mlm":
        names = _label_names(info)
        labels = {"num_labels": info.n_classes, "id2label": dict(enumerate(names)),
                  "label2id": {n: i for i, n in enumerate(names)}}
    config = BertConfig(
        vocab_size=model.vocab_size, hidden_size=spec.n_embd, num_hidden_layers=spec.n_layer,
        num_attention_heads=spec.n_head, intermediate_size=spec.d_ff, hidden_act="gelu",
        max_position_embeddings=model.n_positions, type_vocab_size=2, layer_norm_eps=1e-12,
        hidden_dropout_prob=spec.dropout, attention_probs_dropout_prob=spec.dropout,
        pad_token_id=info.pad_id if info.pad_id is not None else 0, position_embedding_type="absolute",
        architectures=[architecture], **labels,
    )
    t = {}
    for ours, tensor in sd.items():
        name = playground_key_to_bert(ours)
        if name is not None:  # None: the MLM decoder, tied to the word embeddings and written once as them
            t[name if name.startswith(BERT_HEADS) else "bert." + name] = tensor
    return HFExport(architecture, config, t)


_VIT_BLOCK = {
    "norm1": "layernorm_before", "attn.q": "attention.attention.query", "attn.k": "attention.attention.key",
    "attn.v": "attention.attention.value", "attn.proj": "attention.output.dense", "norm2": "layernorm_after",
    "ffn.fc1": "intermediate.dense", "ffn.fc2": "output.dense",
}


def _vit(model: PlaygroundModel) -> HFExport:
    from transformers import ViTConfig

    spec, info, sd = model.spec, model.info, model.state_dict()
    names = _label_names(info)
    config = ViTConfig(
        image_size=spec.image_size, patch_size=spec.patch_size, num_channels=info.channels,
        hidden_size=spec.n_embd, num_hidden_layers=spec.n_layer, num_attention_heads=spec.n_head,
        intermediate_size=spec.d_ff, hidden_act="gelu", layer_norm_eps=1e-12, qkv_bias=True,
        hidden_dropout_prob=spec.dropout, attention_probs_dropout_prob=spec.dropout,
        num_labels=info.n_classes, id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)},
        architectures=["ViTForImageClassification"],
    )
    # The names from_pretrained accepts (and save_pretrained writes), not transformers 5's in-memory ones.
    t = {"vit.embeddings.cls_token": sd["cls_token"],
         "vit.embeddings.position_embeddings": sd["pos_emb.weight"][None],  # (N + 1, C) -> (1, N + 1, C)
         "vit.embeddings.patch_embeddings.projection.weight": sd["patch_emb.proj.weight"],
         "vit.embeddings.patch_embeddings.projection.bias": sd["patch_emb.proj.bias"],
         "vit.layernorm.weight": sd["norm_f.weight"], "vit.layernorm.bias": sd["norm_f.bias"],
         "classifier.weight": sd["classifier.weight"], "classifier.bias": sd["classifier.bias"]}
    for i in range(spec.n_layer):
        for ours, hf in _VIT_BLOCK.items():
            for p in ("weight", "bias"):
                t[f"vit.encoder.layer.{i}.{hf}.{p}"] = sd[f"blocks.{i}.{ours}.{p}"]
    return HFExport("ViTForImageClassification", config, t)


# ----- checking the written folder ----------------------------------------------------------------------
def load_exported(folder: str | os.PathLike[str], architecture: str | None = None) -> torch.nn.Module:
    """The exported folder loaded by transformers, in eval mode."""
    import transformers

    folder = Path(folder)
    if architecture is None:
        architecture = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))["architectures"][0]
    cls = getattr(transformers, architecture)
    return cls.from_pretrained(str(folder)).eval()


def probe_inputs(model: PlaygroundModel, batch: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
    """A fixed input every family accepts: token ids (with some padding for the encoder) or images."""
    g = torch.Generator().manual_seed(seed)
    spec, info = model.spec, model.info
    if info.unit == "images":
        return torch.randn(batch, info.channels, spec.image_size, spec.image_size, generator=g), None
    length = min(_positions(model), 16)
    ids = torch.randint(0, model.tok_emb.num_embeddings, (batch, length), generator=g)
    if spec.family != "encoder" or batch < 2:
        return ids, None
    mask = torch.ones(batch, length, dtype=torch.bool)
    mask[-1, max(1, length // 2):] = False  # the last row is padded
    if info.pad_id is not None:
        ids[~mask] = info.pad_id
    return ids, mask


def hf_logits(hf: torch.nn.Module, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if x.dtype.is_floating_point:
        return hf(pixel_values=x).logits
    return hf(input_ids=x, attention_mask=None if mask is None else mask.long()).logits


@torch.no_grad()
def verify_folder(model: PlaygroundModel, folder: Path, architecture: str) -> float:
    """Load `folder` with transformers and compare its logits with ours; ExportError when they differ."""
    hf = load_exported(folder, architecture)
    x, mask = probe_inputs(model)
    ours = model.eval()(x, mask).logits.float()
    theirs = hf_logits(hf, x, mask).float()
    if mask is not None and ours.dim() == 3:  # padded query positions are not compared
        ours, theirs = ours[mask], theirs[mask]
    if ours.shape != theirs.shape:
        raise ExportError(f"the exported {architecture} gives logits of shape {tuple(theirs.shape)}, ours "
                          f"{tuple(ours.shape)}: this export would be wrong, so it was removed")
    diff = float((ours - theirs).abs().max())
    if not diff <= VERIFY_TOLERANCE * max(1.0, float(ours.abs().max())):
        raise ExportError(f"the exported {architecture} computes different logits (largest difference {diff:.3g}): "
                          f"this export would be wrong, so it was removed")
    return diff


# ----- the run's side of things -------------------------------------------------------------------------
def _checkpoint_folder(run_dir: Path) -> Path:
    from playground.training.runs import CHECKPOINT_DIR

    if (run_dir / CHECKPOINT_DIR / "state.json").exists():
        return run_dir / CHECKPOINT_DIR
    if (run_dir / "state.json").exists():
        return run_dir
    raise ExportError(f"{run_dir} has no checkpoint: export a run folder written by training (it holds "
                      f"{CHECKPOINT_DIR}/state.json), after at least one save")


def _data_side(spec: RunSpec) -> tuple[DataInfo, Vocab | None, Path | None]:
    """The dataset's info, and its vocabulary or (pretrained models) the folder of the tokenizer it used."""
    from playground.data.registry import plan

    try:
        p = plan(spec.data, spec.model)
    except ValueError as err:
        raise ExportError(f"the run's data cannot be read ({err}): the export needs it for the vocabulary and "
                          f"class names") from None
    tokenizer_folder = None
    if getattr(p, "tokenizer", None) or spec.model.pretrained:
        from playground.models.pretrained import pretrained_path

        tokenizer_folder = pretrained_path(getattr(p, "tokenizer", None) or spec.model.pretrained)
    return p.info, (None if tokenizer_folder else p.vocab), tokenizer_folder


def _rebuild(spec: RunSpec, info: DataInfo, weights: dict[str, torch.Tensor]) -> PlaygroundModel:
    from playground.models import build_model

    model = build_model(spec.model, info)
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as err:
        raise ExportError(f"the checkpoint does not fit the model its preset describes: {err}") from None
    return model.eval()


def _image_stats(spec: RunSpec, info: DataInfo) -> tuple[list[float], list[float]] | None:
    """The per-channel mean and std the training images were normalised with (ViT only)."""
    if info.unit != "images":
        return None
    from playground import data as datasets

    try:
        dataset = datasets.load(spec.data, spec.model, spec.train.seed)
        return dataset._mean.flatten().tolist(), dataset._std.flatten().tolist()  # type: ignore[attr-defined]
    except (ValueError, OSError, AttributeError):
        return None  # the model still exports; only the preprocessor file is left out


def _write_preprocessor(out: Path, spec: RunSpec, stats: tuple[list[float], list[float]]) -> None:
    mean, std = stats
    config = {
        "image_processor_type": "ViTImageProcessor", "do_resize": True,
        "size": {"height": spec.model.image_size, "width": spec.model.image_size}, "resample": 2,
        "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": mean, "image_std": std,
    }
    (out / PREPROCESSOR_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")


def _positions(model: PlaygroundModel) -> int:
    return int(getattr(model, "n_positions", model.spec.block_size))


def _label_names(info: DataInfo) -> list[str]:
    names = list(info.class_names)
    if len(names) != info.n_classes or len(set(names)) != len(names):
        names = [f"LABEL_{i}" for i in range(info.n_classes)]
    return names


def _tokenizer_note(vocab: Vocab, prepend_cls: bool) -> str:
    level = "word" if vocab.level == "word" else "character"
    note = f"tokenizer: the run's {level} vocabulary ({len(vocab)} tokens), ids identical to the playground's"
    if prepend_cls:
        note += "; [CLS] is put in front as in training"
    if "[UNK]" not in vocab.tokens:
        note += "; characters outside the vocabulary have no id and raise an error"
    return note


def _readme(spec: RunSpec, architecture: str, notes: list[str]) -> str:
    lines = [
        f"# {spec.name}", "",
        f"Exported from Transformer Playground ({spec.model.family}) as `{architecture}`.", "",
        "```python",
        f"from transformers import {architecture}",
        f'model = {architecture}.from_pretrained("path/to/this/folder")',
        "```", "",
    ]
    lines += [f"- {n}" for n in notes]
    if spec.description:
        lines += ["", spec.description]
    return "\n".join(lines) + "\n"
