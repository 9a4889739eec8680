"""A trained run as a Hugging Face folder that `transformers` loads with `from_pretrained`.

    export_run(run_dir, out_dir)   # config.json + model.safetensors (+ tokenizer or image processor, README.md)

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

Each folder works in the transformers pipeline of its task (card.PIPELINE_TASKS), called as a user would:
- a grey-image ViT is exported with three input channels weighted as PIL's grey conversion (LUMA), because
  the image pipeline hands every image over as RGB; a grey image (three equal channels) gives exactly our
  logits, a colour one what the playground computes on it after converting it to grey;
- GPT-2's position table is extended to GENERATION_POSITIONS rows, the ones past the trained context
  repeating its last row, so a generation longer than the context runs instead of failing (the README
  says how that differs from `playground sample`, which crops the context);
- labels carry the dataset's names (class names, or the symbols a tagging task outputs).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from playground.core.atomic import replace_keeping_mode
from playground.core.messages import counted
from playground.core.spec import ModelSpec, RunSpec, hf_incompatibilities
from playground.core.tensor_files import write_safetensors
from playground.data.base import DataInfo
from playground.data.images import TRAINED_ON
from playground.data.vocab import Vocab
from playground.export.card import CardFacts, model_card
from playground.export.tokenizer import PRETRAINED_TOKENIZER_FILES
from playground.models.base import PlaygroundModel
from playground.models.encoder import BERT_HEADS, playground_key_to_bert
from playground.training.checkpoint import weights_misfit
from playground.training.checkpoint_state import check_same_data

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
PREPROCESSOR_FILE = "preprocessor_config.json"
README_FILE = "README.md"
EXPORT_FILES = frozenset({MODEL_FILE, CONFIG_FILE, PREPROCESSOR_FILE, README_FILE, *PRETRAINED_TOKENIZER_FILES})
VERIFY_TOLERANCE = 1e-4
LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2: PIL's convert("L"), which the playground reads image files with
GENERATION_POSITIONS = 1024  # GPT-2's own context: what the exported decoder accepts past a shorter trained one


class ExportError(ValueError):
    """A run that cannot be exported; `str()` says why and, where there is one, what to do."""


class NoHFClassError(ExportError):
    """A model no Hugging Face class computes (an ablation's): its own PyTorch script exports it (`export.script`)."""


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


@dataclass(frozen=True)
class DataSide:
    """What the export writes besides the weights: a tokenizer or an image processor, and what the card says."""

    vocab: Vocab | None = None  # our character/word vocabulary, written as a tokenizer
    tokenizer_folder: Path | None = None  # a pretrained model's folder, whose own tokenizer files are copied
    image_stats: tuple[list[float], list[float]] | None = None  # per-channel mean and std of the training images
    image_background: str | None = None  # "dark" or "light": the training images' background (data/images.py)
    sequence: str = ""  # a procedural task's probe sequence, of the one length it trained on: the card's example input
    step: int | None = None  # the training step of the checkpoint

    @property
    def symbols(self) -> bool:
        """A procedural task (it has a probe sequence): whitespace between symbols is skipped, as the playground does."""
        return bool(self.sequence)


# ----- the public entry point -------------------------------------------------------------------------
def export_run(run_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, verify: bool = True) -> ExportResult:
    """Export the run's checkpoint (RUN_DIR/checkpoint, or a checkpoint folder itself) to `out_dir`."""
    from playground.training.checkpoint import load_checkpoint
    from playground.training.memory import check_fits

    folder = _checkpoint_folder(Path(run_dir))
    saved = load_checkpoint(folder, optimizer=False)  # an export writes the weights only
    spec = saved.spec
    check_exportable(spec)
    info, side = _data_side(spec, saved.state)
    check_fits(spec, info, torch.device("cpu"))  # before building: the same refusal as resume and sample
    model = _rebuild(spec, info, saved.model)
    stats, background = _image_stats(spec, info)
    side = replace(side, image_stats=stats, image_background=background, step=saved.step)
    return export_model(model, spec, out_dir, side, verify=verify)


def export_model(model: PlaygroundModel, spec: RunSpec, out_dir: str | os.PathLike[str], side: DataSide = DataSide(),
                 *, verify: bool = True) -> ExportResult:
    """Export an in-memory model the same way as export_run; `side` brings its tokenizer or image statistics, and a
    procedural task's probe sequence for the card's example (`export_run` fills it in)."""
    check_exportable(spec)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file: choose a folder to export into")
    out.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    converted = convert(model, side.vocab)
    # Written and verified in a hidden folder inside `out`, then each file moved into place at once: a crash or a
    # full disk never leaves a half-written config.json or model.safetensors there.
    with tempfile.TemporaryDirectory(dir=out, prefix=".export-") as staging:
        stage = Path(staging)
        converted.config.save_pretrained(str(stage))
        write_safetensors(stage / MODEL_FILE, converted.tensors, metadata={"format": "pt"})
        written = [CONFIG_FILE, MODEL_FILE, *_write_preprocessing(model, converted, side, stage)]
        diff = verify_folder(model, stage, converted.architecture) if verify else 0.0
        card = model_card(CardFacts(spec, model.info, converted.architecture, converted.config, side.vocab,
                                    side.tokenizer_folder is not None, side.step, converted.notes, side.sequence))
        (stage / README_FILE).write_text(card, encoding="utf-8")
        written.append(README_FILE)
        for name in written:
            replace_keeping_mode(stage / name, out / name)
    # An earlier export's files this one does not write go: transformers read a pretrained model's vocab.txt left
    # beside a scratch model's tokenizer, with ids past its embedding (QA: "IndexError: index out of range")
    for name in sorted(EXPORT_FILES - set(written)):
        (out / name).unlink(missing_ok=True)
    return ExportResult(out, converted.architecture, sorted(set(written)), diff, converted.notes)


def _write_preprocessing(model: PlaygroundModel, converted: HFExport, side: DataSide, out: Path) -> list[str]:
    """The tokenizer or image processor files; returns their names and adds what they do to the notes."""
    notes = converted.notes
    if side.tokenizer_folder is not None:
        from playground.export.tokenizer import copy_tokenizer

        notes.append(f"tokenizer: the pretrained model's own WordPiece tokenizer (copied from {side.tokenizer_folder.name})")
        return copy_tokenizer(side.tokenizer_folder, out)
    if side.vocab is not None:
        from playground.export.tokenizer import save_tokenizer

        prepend_cls = model.info.task == "classify"
        notes.append(_tokenizer_note(side.vocab, prepend_cls, side.symbols))
        return save_tokenizer(side.vocab, out, prepend_cls=prepend_cls, max_length=_exported_positions(converted),
                              skip_whitespace=side.symbols)
    if side.image_stats is not None:
        _write_preprocessor(out, model.spec, model.info, side.image_stats)
        notes.append(f"preprocessor_config.json: any image is resized to {model.spec.image_size}x{model.spec.image_size}, "
                     f"scaled to [0, 1] and normalised with the training images' mean and standard deviation")
        if side.image_background is not None:  # what the playground does to a user's image, which this file cannot
            notes.append(f"input images: the model learned {TRAINED_ON[side.image_background]}; invert an image "
                         f"drawn the other way, and fill a transparent background, before classifying it (the "
                         f"playground does both to the images you give it)")
        return [PREPROCESSOR_FILE]
    if model.info.unit == "tokens":
        notes.append("no tokenizer: this run's vocabulary is not known to the playground")
    return []


def check_exportable(spec: RunSpec) -> None:
    """Refuse choices that no Hugging Face class computes (an ablation, sinusoidal positions), before anything is
    written: exporting them would give a model that computes something else."""
    if problems := hf_incompatibilities(spec.model):
        raise NoHFClassError(problems[0])


# ----- conversions --------------------------------------------------------------------------------------
def convert(model: PlaygroundModel, vocab: Vocab | None = None) -> HFExport:
    """Our weights under Hugging Face's names; `vocab` names a tagging task's labels (the symbols it outputs)."""
    family = model.spec.family
    if family == "decoder":
        return _gpt2(model)
    if family == "encoder":
        return _bert(model, _label_names(model.info, vocab))
    return _vit(model, _label_names(model.info, vocab))


def _gpt2(model: PlaygroundModel) -> HFExport:
    from transformers import GPT2Config

    spec, sd = model.spec, model.state_dict()
    vocab_size = model.tok_emb.num_embeddings
    n_positions = max(spec.block_size, GENERATION_POSITIONS)
    config = GPT2Config(
        vocab_size=vocab_size, n_positions=n_positions, n_embd=spec.n_embd, n_layer=spec.n_layer,
        n_head=spec.n_head, n_inner=spec.d_ff, activation_function="gelu_new", layer_norm_epsilon=1e-5,
        resid_pdrop=spec.dropout, embd_pdrop=spec.dropout, attn_pdrop=spec.dropout,
        bos_token_id=None, eos_token_id=None, tie_word_embeddings=True, architectures=["GPT2LMHeadModel"],
    )
    trained = sd["pos_emb.weight"]  # (block_size, C)
    # Rows past the trained context repeat its last one: the newest token sits there, as in sample's cropped window.
    positions = torch.cat([trained, trained[-1:].expand(n_positions - len(trained), -1)])
    t = {"transformer.wte.weight": sd["tok_emb.weight"], "transformer.wpe.weight": positions,
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
    notes = []
    if n_positions > spec.block_size:
        notes.append(f"positions: trained on a context of {spec.block_size} tokens; the table has {n_positions} "
                     f"rows so a longer generation runs, every row past {spec.block_size} a copy of the last trained "
                     f"one (`playground sample` instead crops to the last {spec.block_size} tokens: the same text "
                     f"until the context is full, then it may differ)")
    return HFExport("GPT2LMHeadModel", config, t, notes)


def _bert(model: PlaygroundModel, names: list[str]) -> HFExport:
    from transformers import BertConfig

    spec, info, sd = model.spec, model.info, model.state_dict()
    architecture = {"mlm": "BertForMaskedLM", "classify": "BertForSequenceClassification",
                    "tagging": "BertForTokenClassification"}.get(info.task)
    if architecture is None:
        raise ExportError(f"an encoder trained for '{info.task}' has no Hugging Face BERT head to export to")
    labels: dict[str, Any] = {}
    if info.task != "mlm":
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


def _vit(model: PlaygroundModel, names: list[str]) -> HFExport:
    from transformers import ViTConfig

    spec, info, sd = model.spec, model.info, model.state_dict()
    patches = sd["patch_emb.proj.weight"]  # (C, channels, P, P)
    notes = []
    if info.channels == 1:
        # The image pipeline hands every image over as RGB: weigh the channels as the grey conversion does,
        # so RGB in gives the logits of the grey image (exactly, for a grey image's three equal channels).
        patches = patches * torch.tensor(LUMA, dtype=patches.dtype)[None, :, None, None]
        notes.append("input: trained on grey images; the model takes RGB and weighs its channels as the grey "
                     "conversion does (0.299 R + 0.587 G + 0.114 B), so colour and grey image files both work")
    config = ViTConfig(
        image_size=spec.image_size, patch_size=spec.patch_size, num_channels=patches.shape[1],
        hidden_size=spec.n_embd, num_hidden_layers=spec.n_layer, num_attention_heads=spec.n_head,
        intermediate_size=spec.d_ff, hidden_act="gelu", layer_norm_eps=1e-12, qkv_bias=True,
        hidden_dropout_prob=spec.dropout, attention_probs_dropout_prob=spec.dropout,
        num_labels=info.n_classes, id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)},
        architectures=["ViTForImageClassification"],
    )
    # The names from_pretrained accepts (and save_pretrained writes), not transformers 5's in-memory ones.
    t = {"vit.embeddings.cls_token": sd["cls_token"],
         "vit.embeddings.position_embeddings": sd["pos_emb.weight"][None],  # (N + 1, C) -> (1, N + 1, C)
         "vit.embeddings.patch_embeddings.projection.weight": patches,
         "vit.embeddings.patch_embeddings.projection.bias": sd["patch_emb.proj.bias"],
         "vit.layernorm.weight": sd["norm_f.weight"], "vit.layernorm.bias": sd["norm_f.bias"],
         "classifier.weight": sd["classifier.weight"], "classifier.bias": sd["classifier.bias"]}
    for i in range(spec.n_layer):
        for ours, hf in _VIT_BLOCK.items():
            for p in ("weight", "bias"):
                t[f"vit.encoder.layer.{i}.{hf}.{p}"] = sd[f"blocks.{i}.{ours}.{p}"]
    return HFExport("ViTForImageClassification", config, t, notes)


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
    """The exported model's logits on our input; a grey image goes in as three equal channels, as the
    image pipeline hands it over."""
    if x.dtype.is_floating_point:
        return hf(pixel_values=x.expand(-1, hf.config.num_channels, -1, -1)).logits
    return hf(input_ids=x, attention_mask=None if mask is None else mask.long()).logits


@torch.no_grad()
def verify_folder(model: PlaygroundModel, folder: Path, architecture: str) -> float:
    """Load `folder` with transformers and compare its logits with ours; ExportError when they differ."""
    hf = load_exported(folder, architecture)  # (its "Loading weights" bar: the command turns it off, cli.py)
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


def _data_side(spec: RunSpec, state: dict[str, Any]) -> tuple[DataInfo, DataSide]:
    """The dataset's info, and its vocabulary or (pretrained models) the folder of the tokenizer it used, as the run
    trained on them."""
    from playground.data.registry import plan

    try:
        p = plan(spec.data, spec.model)
    except ValueError as err:
        raise ExportError(f"the run's data cannot be read ({err}): the export needs it for the vocabulary and "
                          f"class names") from None
    check_same_data(spec, state, p.fingerprint())
    tokenizer_folder = None
    if getattr(p, "tokenizer", None) or spec.model.pretrained:
        from playground.models.pretrained import pretrained_path

        tokenizer_folder = pretrained_path(getattr(p, "tokenizer", None) or spec.model.pretrained)
    vocab = None if tokenizer_folder else p.vocab
    sequence = _probe_sequence(p, spec) if p.entry.kind == "procedural" else ""
    return p.info, DataSide(vocab, tokenizer_folder, sequence=sequence)


def _probe_sequence(p: Any, spec: RunSpec) -> str:
    """A procedural task's probe sequence as text: as long as every sequence it trained on (a shorter one came back
    wrong, QA: the reversal model gave '321015' for '012345'), and shuffled for sort as the playground's probe is."""
    from playground.data.procedural import ProceduralDataset

    length = int(p.options["length"])
    return p.vocab.decode(ProceduralDataset(p, spec.model, spec.train.seed).probe().x[0, :length].tolist())


def _rebuild(spec: RunSpec, info: DataInfo, weights: dict[str, torch.Tensor]) -> PlaygroundModel:
    from playground.models import build_model

    model = build_model(spec.model, info)
    misfit = weights_misfit(model, weights)
    if misfit:
        raise ExportError(f"the checkpoint's weights do not fit the model its settings describe ({misfit}): its "
                          f"settings were edited, or its files come from another run; export a checkpoint the "
                          f"playground saved as it saved it")
    model.load_state_dict(weights, strict=True)
    return model.eval()


def _image_stats(spec: RunSpec, info: DataInfo) -> tuple[tuple[list[float], list[float]] | None, str | None]:
    """The per-channel mean and std the training images were normalised with, and their background if they share
    one (ViT only; None, None otherwise)."""
    if info.unit != "images":
        return None, None
    from playground import data as datasets

    try:
        dataset = datasets.load(spec.data, spec.model, spec.train.seed)
        stats = dataset._mean.flatten().tolist(), dataset._std.flatten().tolist()  # type: ignore[attr-defined]
        return stats, getattr(dataset, "background", None)
    except (ValueError, OSError, AttributeError):
        return None, None  # the model still exports; only the preprocessor file is left out


def _write_preprocessor(out: Path, spec: ModelSpec, info: DataInfo, stats: tuple[list[float], list[float]]) -> None:
    mean, std = stats
    if info.channels == 1:  # the model takes RGB (see _vit): every channel is normalised as the grey one was
        mean, std = mean * 3, std * 3
    config = {
        "image_processor_type": "ViTImageProcessor", "do_resize": True,
        "size": {"height": spec.image_size, "width": spec.image_size}, "resample": 2,
        "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": mean, "image_std": std,
    }
    (out / PREPROCESSOR_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")


def _positions(model: PlaygroundModel) -> int:
    return int(getattr(model, "n_positions", model.spec.block_size))


def _exported_positions(converted: HFExport) -> int:
    return int(converted.config.max_position_embeddings)


def _label_names(info: DataInfo, vocab: Vocab | None) -> list[str]:
    """The dataset's class names; for a tagging task the symbols it outputs (its labels are token ids)."""
    names = list(info.class_names)
    if not names and info.task == "tagging" and vocab is not None:
        names = list(vocab.tokens)
    if len(names) != info.n_classes or len(set(names)) != len(names):
        names = [f"LABEL_{i}" for i in range(info.n_classes)]
    return names


def _tokenizer_note(vocab: Vocab, prepend_cls: bool, symbols: bool) -> str:
    level = "word" if vocab.level == "word" else "character"
    note = f"tokenizer: the run's {level} vocabulary ({counted(len(vocab), 'token')}), ids identical to the playground's"
    if prepend_cls:
        note += "; [CLS] is put in front as in training"
    if symbols:
        note += "; whitespace between symbols is skipped"
    unknown = vocab.unknown
    if unknown is None:
        note += "; characters outside the vocabulary have no id and raise an error"
    else:
        note += f"; a {level} outside the vocabulary is read as {unknown!r}"
    return note
