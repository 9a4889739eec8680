"""A trained run as one plain PyTorch script a student can read, run and change at home.

    export_script(run_dir, "train_mine.py")   # train_mine.py + train_mine.safetensors (the trained weights)

The script needs only torch and numpy: the model classes for the run's family and settings (model part:
script_model.py), the run's data regenerated, read or embedded (script_data.py), and the training loop with the
run's AdamW, warm-up + cosine schedule, evaluation batches and seed. `python train_mine.py` loads the weights beside
it and evaluates them; `--from-scratch` trains anew and draws the run's loss curve.

The weights are read by a dozen lines of the script itself (a safetensors file is a JSON header and raw bytes), so
the `safetensors` package is not needed at home. After writing, the script is imported and checked against the
playground: the same batches, the same initial weights for the seed, the same logits for the trained weights. An
export that would not reproduce the run is refused, and the files already at its names are left as they were.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import tempfile
import textwrap
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from playground.core.atomic import atomic_write_text, replace_keeping_mode
from playground.core.files import elide
from playground.core.messages import counted
from playground.core.spec import FAMILY_TITLES, RunSpec
from playground.core.tensor_files import write_safetensors
from playground.data.base import DataInfo, Dataset
from playground.data.registry import plan as data_plan
from playground.export.script_data import DataSource, ScriptDataError, data_source
from playground.export.script_model import model_source
from playground.export.scriptable import ScriptExportError, check_scriptable
from playground.training.checkpoint_state import check_same_data

CHECK_TOLERANCE = 1e-4  # largest logit difference (relative to the largest logit) the check accepts
DEFAULT_BETAS = (0.9, 0.95)  # training/session.py's AdamW betas, for a checkpoint that does not record them
MODEL_CLASSES = {"decoder": "Decoder", "encoder": "Encoder", "vit": "ViT"}


@dataclass
class ScriptResult:
    script: Path
    weights: Path | None  # None with from_scratch: the script trains anew
    step: int  # the checkpoint's step
    notes: list[str] = field(default_factory=list)


def export_script(run_dir: str | Path, out: str | Path, *, from_scratch: bool = False,
                  verify: bool = True) -> ScriptResult:
    """Write the run's training script to `out` (a .py file) and, unless `from_scratch`, its trained weights
    beside it as <name>.safetensors."""
    from playground.export.hf import _checkpoint_folder
    from playground.training.checkpoint import load_checkpoint

    out = Path(out)
    check_script_path(out)
    saved = load_checkpoint(_checkpoint_folder(Path(run_dir)), optimizer=False)  # the weights only
    spec = saved.spec
    check_scriptable(spec)
    source = script_source(spec, saved.state, saved.step, out.name, with_weights=not from_scratch)
    weights = None if from_scratch else out.with_suffix(".safetensors")
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written and checked in a hidden folder beside `out`, then each file moved into place at once (as the Hugging
    # Face export does): Ctrl-C or a failed check leaves the user's files as they were, and no temporaries.
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".export-") as staging:
        staged = Path(staging) / out.name
        atomic_write_text(staged, source.text)
        if weights is not None:
            write_safetensors(staged.with_suffix(".safetensors"), {k: v.float() for k, v in saved.model.items()})
        if verify:
            check_script(staged, spec, source, saved.model)
        if weights is not None:
            replace_keeping_mode(staged.with_suffix(".safetensors"), weights)
        replace_keeping_mode(staged, out)
    return ScriptResult(out, weights, saved.step, source.notes)


def check_script_path(out: Path) -> None:
    """Refuse an --out that is not a new-or-replaceable .py file, before anything loads."""
    if out.is_dir():
        raise ScriptExportError(f"{elide(out)} is a folder: name the script file, e.g. {elide(out / 'train_mine.py')}")
    if out.suffix != ".py":
        raise ScriptExportError(f"the script's name {elide(out.name, 60)} does not end in .py: name it e.g. "
                                f"train_mine.py")


@dataclass
class ScriptSource:
    text: str  # the script
    info: DataInfo  # the run's data
    data_expression: str  # what makes the script's dataset with its defaults, evaluated in the script's namespace
    notes: list[str]  # where the script will not match the run step for step, for the user


def script_source(spec: RunSpec, state: dict[str, Any], step: int, name: str,
                  with_weights: bool = True) -> ScriptSource:
    """The script for a run saved at `step` with checkpoint `state`, named `name`."""
    plan = data_plan(spec.data, spec.model)
    check_same_data(spec, state, plan.fingerprint())  # the script's vocabulary is the data's now, the run's then
    info = plan.info
    padded = _has_padding(spec, plan)
    try:
        data = data_source(spec, plan, padded)
    except ScriptDataError as err:
        raise ScriptExportError(str(err)) from None
    notes = _notes(spec, state)
    parts = [
        _header(spec, info, data, name, step, with_weights),
        _imports(data),
        _settings(spec, info, state),
        _section("the model"),
        model_source(spec.model, info, padded),
        _section("the data"),
        data.code,
        _section("training"),
        _training(spec, info, padded),
        _main(spec, info, data, step),
    ]
    if data.embedded:
        parts += [_section("the run's data"), data.embedded]
    parts.append(MAIN_GUARD)
    text = "\n\n\n".join(textwrap.dedent(p).strip("\n") for p in parts) + "\n"
    return ScriptSource(text, info, data.build.replace("args.data", ""), notes)


MAIN_GUARD = """
if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C: one line instead of a traceback (the --metrics file has the steps so far)
        print("stopped (Ctrl-C)")
        raise SystemExit(130)
"""


def _has_padding(spec: RunSpec, plan: Any) -> bool:
    """Whether the run's batches carry a padding mask (so attention must hide padding keys)."""
    if plan.entry.kind == "classify":
        return True
    if plan.entry.kind != "procedural":
        return False
    length = int(plan.options["length"])
    used = 2 * length + 1 if spec.model.family == "decoder" else length
    return used != spec.model.block_size


def _notes(spec: RunSpec, state: dict[str, Any]) -> list[str]:
    notes = []
    if spec.model.dropout:
        notes.append("the run uses dropout, whose random draws the script makes in its own order: its curve "
                     "follows the run's closely but not step for step")
    peak = state.get("peak_lr")
    if isinstance(peak, (int, float)) and not math.isclose(peak, spec.train.lr):
        notes.append(f"the learning rate was changed to {peak:.3g} during the run; the script trains at the preset's "
                     f"{spec.train.lr:.3g} throughout")
    if spec.train.precision == "bf16" or spec.train.device not in ("auto", "cpu"):
        notes.append("the script trains on the CPU in float32; a run trained in bfloat16 or on a GPU matches it to "
                     "that precision's rounding")
    return notes


def _section(title: str) -> str:
    return f"# ----- {title} " + "-" * (110 - len(title) - 9)


def _header(spec: RunSpec, info: DataInfo, data: DataSource, name: str, step: int, with_weights: bool) -> str:
    weights = Path(name).with_suffix(".safetensors").name
    title = FAMILY_TITLES[spec.model.family]
    first = textwrap.fill(spec.name, 116)
    what = textwrap.fill(f"A{'n' if title[0] in 'AEIOU' else ''} {title} trained on {info.title}, exported from "
                         f"Transformer Playground as a plain PyTorch script. Run it:", 116)
    load = (f"    python {name}                 # load the trained weights ({weights}, step {step}) and evaluate\n"
            if with_weights else
            f"    python {name}                 # train it (or load {weights} when one lies beside the script)\n")
    model = spec.model
    about = textwrap.fill(f"It needs only PyTorch{' and NumPy' if 'numpy' in data.imports else ''}. The model: "
                          f"{counted(model.n_layer, 'layer')} of {counted(model.n_head, 'attention head')}, "
                          f"{model.n_embd} channels, a feed-forward width of {model.d_ff}. The data: {data.note}.", 116)
    return f'''"""{first}

{what}

{load}    python {name} --from-scratch  # train anew from seed {spec.train.seed}: the run's loss curve, step by step

{about}
"""
'''


def _imports(data: DataSource) -> str:
    lines = ["import argparse", "import json", "import math"]
    if "re" in data.imports:
        lines.append("import re")
    lines += ["from dataclasses import dataclass", "from pathlib import Path", ""]
    if "numpy" in data.imports:
        lines += ["import numpy as np"]
    lines += ["import torch", "import torch.nn.functional as F", "from torch import nn"]
    return "\n" + "\n".join(lines) + "\n"


def _config_fields(spec: RunSpec, info: DataInfo) -> list[tuple[str, Any, str]]:
    model = spec.model
    fields: list[tuple[str, Any, str]] = []
    if info.unit == "tokens":
        fields += [("vocab_size", info.vocab_size, "token ids are 0 .. vocab_size - 1"),
                   ("block_size", model.block_size, "the context length in tokens")]
    else:
        fields += [("image_size", model.image_size, "the image side in pixels"),
                   ("patch_size", model.patch_size, "the patch side in pixels"),
                   ("n_patches", model.n_patches, "(image_size / patch_size) ** 2"),
                   ("channels", info.channels, "1 grey, 3 colour")]
    if info.task in ("tagging", "classify"):
        fields.append(("n_classes", info.n_classes, "the output labels"))
    fields += [("n_layer", model.n_layer, "transformer blocks"), ("n_head", model.n_head, "attention heads per layer"),
               ("n_embd", model.n_embd, "the embedding dimension C"),
               ("d_ff", model.d_ff, "the feed-forward network's hidden width")]
    if model.dropout:
        fields.append(("dropout", model.dropout, ""))
    return fields


def _settings(spec: RunSpec, info: DataInfo, state: dict[str, Any]) -> str:
    train = spec.train
    config = "\n".join(f"    {n}: int = {v!r}" + (f"  # {why}" if why else "") if isinstance(v, int)
                       else f"    {n}: float = {v!r}" + (f"  # {why}" if why else "")
                       for n, v, why in _config_fields(spec, info))
    betas = _betas(state)
    decay_end = int(state.get("lr_decay_end", train.max_steps))
    data_size = ("BLOCK_SIZE = CONFIG.block_size" if info.unit == "tokens" else "IMAGE_SIZE = CONFIG.image_size")
    val_fraction = f"\nVAL_FRACTION = {spec.data.val_fraction!r}  # the share of the data kept for validation"
    decay = (f"\nDECAY_END = {decay_end}  # the cosine decay ends here (the run was extended past it)"
             if decay_end != train.max_steps else "\nDECAY_END = MAX_STEPS")
    freeze = (f"\nFREEZE_LAYERS = {spec.model.freeze_layers}  # the embeddings and the lowest blocks stay as "
              f"initialised" if spec.model.freeze_layers else "")
    return f'''
{_section("the run's settings")}


@dataclass
class ModelConfig:
{config}


CONFIG = ModelConfig()
{data_size}{val_fraction}
SEED = {train.seed}  # the initial weights, the batch order (SEED) and the validation batches (SEED + 1)
BATCH_SIZE = {train.batch_size}
MAX_STEPS = {train.max_steps}
LR = {train.lr!r}  # the peak learning rate, reached after the warm-up
WARMUP_STEPS = {train.warmup_steps}{decay}
MIN_LR_RATIO = {train.min_lr_ratio!r}  # the cosine decay ends at LR * MIN_LR_RATIO
BETAS = {betas!r}  # AdamW's momentum and squared-gradient averages
WEIGHT_DECAY = {train.weight_decay!r}  # on weight matrices only
GRAD_CLIP = {train.grad_clip!r}  # the largest gradient norm{"; 0 turns clipping off" if not train.grad_clip else ""}
EVAL_INTERVAL = {train.eval_interval}  # steps between validation losses
LOG_INTERVAL = {max(1, train.eval_interval // 10)}  # steps between training-loss lines, between validations
EVAL_BATCHES = {train.eval_batches}  # batches in a validation loss (a smaller validation set: each row once){freeze}
IGNORE = -100  # targets the loss skips (prompt positions, unmasked tokens, padding)
'''


def _betas(state: dict[str, Any]) -> tuple[float, float]:
    groups = state.get("param_groups")
    try:
        b1, b2 = groups[0]["betas"]  # type: ignore[index]
        return float(b1), float(b2)
    except (TypeError, KeyError, IndexError, ValueError):
        return DEFAULT_BETAS


def _training(spec: RunSpec, info: DataInfo, padded: bool) -> str:
    fields = "x, y, mask" if padded else "x, y"
    inputs = "x, mask" if padded else "x"
    accuracy = "val accuracy"
    clip = ("\n        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)  # tame the occasional huge "
            "gradient" if spec.train.grad_clip else "")
    return f'''
def lr_at(step: int) -> float:
    """Linear warm-up to LR over WARMUP_STEPS, then a cosine decay to LR * MIN_LR_RATIO at DECAY_END."""
    if step < WARMUP_STEPS:
        return LR * (step + 1) / WARMUP_STEPS
    progress = min(1.0, (step - WARMUP_STEPS) / max(1, DECAY_END - WARMUP_STEPS))
    floor = LR * MIN_LR_RATIO
    return floor + 0.5 * (LR - floor) * (1 + math.cos(math.pi * progress))


def configure_optimizer(model: nn.Module) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only: decaying biases and LayerNorm gains hurts small models."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {{"params": [p for p in params if p.dim() >= 2], "weight_decay": WEIGHT_DECAY}},
        {{"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}},
    ]
    return torch.optim.AdamW(groups, lr=lr_at(0), betas=BETAS)


def loss_of(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over every scored target (IGNORE ones skipped)."""
    return F.cross_entropy(logits.float().flatten(0, -2), y.flatten(), ignore_index=IGNORE)


def validation_batches(data) -> list[tuple[torch.Tensor, ...]]:
    """The batches every validation is scored on: each validation row once, in order, where they fit in EVAL_BATCHES
    batches (a small set), else EVAL_BATCHES random batches drawn with seed SEED + 1."""
    rows = data.rows["val"] if hasattr(data, "take") else None
    if rows is not None and len(rows) <= BATCH_SIZE * EVAL_BATCHES:
        return [data.take(rows[start:start + BATCH_SIZE]) for start in range(0, len(rows), BATCH_SIZE)]
    generator = torch.Generator().manual_seed(SEED + 1)
    return [data.batch("val", BATCH_SIZE, generator) for _ in range(EVAL_BATCHES)]


@torch.no_grad()
def evaluate(model: nn.Module, data, device: str) -> tuple[float, float]:
    """Validation loss (a mean over the batches' rows) and accuracy, on the same batches every time."""
    model.eval()
    total, correct, counted, rows = 0.0, 0, 0, 0
    for batch in validation_batches(data):
        {fields} = (t.to(device) for t in batch)
        logits = model({inputs})
        total += loss_of(logits, y).item() * len(y)
        rows += len(y)
        scored = y != IGNORE
        correct += (logits.argmax(-1)[scored] == y[scored]).sum().item()
        counted += scored.sum().item()
    model.train()
    return total / rows, correct / max(counted, 1)


def train(model: nn.Module, data, device: str, metrics: Path | None) -> None:
    """MAX_STEPS steps of AdamW on random batches; a validation loss every EVAL_INTERVAL steps and at the end.
    With `metrics`, each step's losses are added to that CSV file as the step ends."""
    optimizer = configure_optimizer(model)
    generator = torch.Generator().manual_seed(SEED)  # the batch order: the same seed, the same batches
    if metrics is not None:
        metrics.write_text("step,train_loss,val_loss,{accuracy.replace(' ', '_')},lr\\n", encoding="utf-8")
    for step in range(1, MAX_STEPS + 1):
        lr = lr_at(step - 1)
        for group in optimizer.param_groups:
            group["lr"] = lr
        {fields} = (t.to(device) for t in data.batch("train", BATCH_SIZE, generator))
        loss = loss_of(model({inputs}), y)
        loss.backward(){clip}
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        val_loss = val_accuracy = ""
        evaluated = step % EVAL_INTERVAL == 0 or step == MAX_STEPS
        if evaluated:
            val_loss, val_accuracy = evaluate(model, data, device)
        if metrics is not None:  # added step by step (before its line), so a Ctrl-C keeps every step it did
            with open(metrics, "a", encoding="utf-8") as csv:
                csv.write(f"{{step}},{{loss.item():.6g}},{{val_loss if val_loss == '' else format(val_loss, '.6g')}},"
                          f"{{val_accuracy if val_accuracy == '' else format(val_accuracy, '.6g')}},{{lr:.6g}}\\n")
        if evaluated:
            print(f"step {{step:6d}} | train loss {{loss.item():.4f}} | val loss {{val_loss:.4f}} | "
                  f"{accuracy} {{val_accuracy:.1%}} | lr {{lr:.3g}}")
        elif step == 1 or step % LOG_INTERVAL == 0:  # a line at once, then every few steps: it is training
            print(f"step {{step:6d}} | train loss {{loss.item():.4f}} | lr {{lr:.3g}}")


DTYPES = {{"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}}


def load_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """A .safetensors file: 8 bytes giving the header's length, a JSON header naming each tensor's dtype, shape
    and byte range, then the raw little-endian bytes. Only numbers: nothing in it can run code."""
    raw = path.read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len])
    body = bytearray(raw[8 + header_len :])
    tensors = {{}}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        flat = torch.frombuffer(body[start:end], dtype=DTYPES[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors
''' + (_freeze(spec) if spec.model.freeze_layers else "") + (GENERATE if info.samples_text else "")


def _freeze(spec: RunSpec) -> str:
    embeddings = {"decoder": "model.tok_emb, model.pos_emb", "encoder": "model.tok_emb, model.pos_emb, model.type_emb, "
                  "model.emb_norm", "vit": "model.patch_emb, model.pos_emb"}[spec.model.family]
    if spec.model.pos_encoding != "learned":
        embeddings = embeddings.replace(", model.pos_emb", "")
    if spec.model.norm == "none":
        embeddings = embeddings.replace(", model.emb_norm", "")
    cls = "\n    model.cls_token.requires_grad_(False)" if spec.model.family == "vit" else ""
    return f'''

def freeze_lower_layers(model: nn.Module) -> None:
    """Stop training the embeddings and the lowest FREEZE_LAYERS blocks (a tied output head freezes with them)."""
    for module in ({embeddings}, *model.blocks[:FREEZE_LAYERS]):
        module.requires_grad_(False){cls}
'''


GENERATE = '''

@torch.no_grad()
def generate(model: nn.Module, idx: torch.Tensor, new_tokens: int, temperature: float = 0.8) -> torch.Tensor:
    """Continue idx (1, T0) one token at a time, feeding the model at most its context of BLOCK_SIZE tokens."""
    model.eval()
    for _ in range(new_tokens):
        logits = model(idx[:, -BLOCK_SIZE:])[:, -1, :]  # the last position's next-token logits
        probs = F.softmax(logits / temperature, dim=-1)
        idx = torch.cat([idx, torch.multinomial(probs, 1)], dim=1)
    return idx
'''


def _main(spec: RunSpec, info: DataInfo, data: DataSource, step: int) -> str:
    model_class = MODEL_CLASSES[spec.model.family]
    data_arg = ('\n    parser.add_argument("--data", default=TEXT_FILE, help="the text file to train on (default: the '
                'run\'s)")' if spec.data.name == "text_file" else "")
    freeze = "\n    freeze_lower_layers(model)" if spec.model.freeze_layers else ""
    sample = '''
    prompt = data.splits["val"][:1][None].to(args.device)
    print(data.decode(generate(model, prompt, 200)[0].tolist()))''' if info.samples_text else ""
    return f'''

def main() -> None:
    weights = Path(__file__).with_suffix(".safetensors")
    parser = argparse.ArgumentParser(description=__doc__.split("\\n")[0])
    parser.add_argument("--from-scratch", action="store_true",
                        help=f"train anew from seed {{SEED}} even when {{weights.name}} lies beside the script")
    parser.add_argument("--metrics", type=Path, help="write every step's losses to this CSV file")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "mps"),
                        help="cpu (the run's numbers), cuda or mps"){data_arg}
    args = parser.parse_args()
    if args.device != "cpu" and not getattr(torch, args.device).is_available():
        parser.error(f"this PyTorch has no {{args.device}} device: use --device cpu")

    data = {data.build}
    torch.manual_seed(SEED)  # the initial weights: the same seed gives the run's
    model = {model_class}(CONFIG){freeze}
    if weights.exists() and not args.from_scratch:
        try:
            model.load_state_dict(load_safetensors(weights))
        except (ValueError, KeyError, TypeError, RuntimeError) as err:  # damaged, or another run's weights
            raise SystemExit(f"cannot load {{weights.name}} ({{str(err)[:200]}}): put this script's own weights "
                             f"beside it, or add --from-scratch to train anew") from None
        model.to(args.device)
        val_loss, val_accuracy = evaluate(model, data, args.device)
        print(f"{{weights.name}} (the run's weights after step {step}): val loss {{val_loss:.4f}}, "
              f"val accuracy {{val_accuracy:.1%}}")
        if args.metrics is not None:
            print(f"{{args.metrics}} is not written: --metrics records training; add --from-scratch to train")
    else:
        if not args.from_scratch:
            print(f"no {{weights.name}} beside the script: training anew from seed {{SEED}}")
        model.to(args.device)
        train(model, data, args.device, args.metrics){sample}
'''


# ----- the check ------------------------------------------------------------------------------------------
def load_script(path: Path) -> types.ModuleType:
    """The written script as a module (its main() does not run)."""
    name = f"_playground_exported_{abs(hash(str(path)))}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    try:
        module_spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def check_script(path: Path, spec: RunSpec, source: ScriptSource, weights: dict[str, torch.Tensor]) -> None:
    """The script rebuilds the run: the same batches, the same initial weights for the seed, the same logits for
    the trained weights. Raises ScriptExportError naming the first difference."""
    from playground import data as datasets
    from playground.models import build_model

    script = load_script(path)
    seed = spec.train.seed
    with torch.random.fork_rng(devices=[]):  # the checks seed torch: the caller's random state is left as it was
        dataset = datasets.load(spec.data, spec.model, seed)
        theirs_data = eval(source.data_expression, vars(script))  # the expression script_source wrote
        batches = _compare_batches(dataset, theirs_data, spec)
        torch.manual_seed(seed)
        ours = build_model(spec.model, source.info)
        torch.manual_seed(seed)
        theirs = getattr(script, MODEL_CLASSES[spec.model.family])(script.CONFIG)
        _compare_initial(ours, theirs)
        ours.load_state_dict(weights)
        theirs.load_state_dict(script.load_safetensors(path.with_suffix(".safetensors"))
                               if path.with_suffix(".safetensors").exists() else weights)
        _compare_logits(ours.eval(), theirs.eval(), batches)


def _compare_batches(ours: Dataset, theirs: Any, spec: RunSpec) -> list[tuple[torch.Tensor, ...]]:
    drawn = []
    for split in ("train", "val"):
        generator_ours = torch.Generator().manual_seed(spec.train.seed)
        generator_theirs = torch.Generator().manual_seed(spec.train.seed)
        for _ in range(2):
            batch = ours.batch(split, spec.train.batch_size, generator_ours)
            expected = (batch.x, batch.y) if batch.mask is None else (batch.x, batch.y, batch.mask)
            got = theirs.batch(split, spec.train.batch_size, generator_theirs)
            if len(got) != len(expected) or not all(torch.equal(a, b) for a, b in zip(expected, got)):
                raise ScriptExportError(f"the script's {split} batches differ from the playground's: this is a bug "
                                        f"of the script export, please report it")
            drawn.append(expected)
    return drawn


def _compare_initial(ours: torch.nn.Module, theirs: torch.nn.Module) -> None:
    expected, got = ours.state_dict(), theirs.state_dict()
    if expected.keys() != got.keys():
        missing = sorted(set(expected) ^ set(got))
        raise ScriptExportError(f"the script's model has other weights than the playground's "
                                f"({elide(', '.join(missing), 80)}): this is a bug of the script export, please "
                                f"report it")
    for key, value in expected.items():
        if not torch.equal(value, got[key]):
            raise ScriptExportError(f"the script's initial {key} differs from the playground's for the same seed: "
                                    f"this is a bug of the script export, please report it")


@torch.no_grad()
def _compare_logits(ours: torch.nn.Module, theirs: torch.nn.Module, batches: list[tuple[torch.Tensor, ...]]) -> None:
    for batch in batches:
        x, mask = batch[0], (batch[2] if len(batch) == 3 else None)
        expected = ours(x, mask).logits
        got = theirs(x, mask) if mask is not None else theirs(x)
        scale = max(1.0, float(expected.abs().max()))
        if got.shape != expected.shape or float((got - expected).abs().max()) > CHECK_TOLERANCE * scale:
            raise ScriptExportError("the script's model computes other logits than the playground's for the run's "
                                    "weights: this is a bug of the script export, please report it")
