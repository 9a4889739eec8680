"""`playground bench --learning ablations`: each ablation's built-in preset shows its effect (issue 24).

A row trains the ablated preset and the same preset with the one setting put back as in the preset it ablates
(the same seed, data order and steps), then checks both validation losses against bounds measured on two seeds
with margin (docs/performance.md). The decoder without its mask is also evaluated with the mask put back on its
trained weights: its low loss was a cheat, not a language model.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bound:
    """A validation loss that must stay above `limit` (above=True) or fall below it."""

    limit: float
    above: bool

    def holds(self, value: float) -> bool:
        return value > self.limit if self.above else value < self.limit

    def __str__(self) -> str:
        return f"{'>' if self.above else '<'} {self.limit:g}"


@dataclass(frozen=True)
class Ablation:
    preset: str  # the built-in ablation preset
    original: str  # the preset it ablates: where the setting's value to put back comes from
    setting: str  # the dotted setting that differs ("model.pos_encoding")
    steps: int  # the fewest steps (a whole cosine schedule) after which the effect was clear on two seeds
    ablated: Bound
    restored: Bound
    put_back: Bound | None = None  # the ablated model's trained weights evaluated with the setting put back


ABLATIONS = (
    Ablation("decoder-reverse-no-positions", "decoder-reverse", "model.pos_encoding", 100,
             ablated=Bound(1.0, above=True), restored=Bound(0.05, above=False)),
    Ablation("decoder-no-mask", "decoder-pydoc", "model.causal", 500,
             ablated=Bound(0.5, above=False), restored=Bound(1.5, above=True), put_back=Bound(3.0, above=True)),
    Ablation("encoder-reverse-no-residual", "encoder-reverse", "model.residual", 300,
             ablated=Bound(1.8, above=True), restored=Bound(0.2, above=False)),
    Ablation("vit-shapes-no-layernorm", "vit-shapes", "model.norm", 300,
             ablated=Bound(1.0, above=True), restored=Bound(0.7, above=False)),
    Ablation("encoder-sort-unscaled", "encoder-sort", "model.scale_scores", 200,
             ablated=Bound(0.8, above=True), restored=Bound(0.1, above=False)),
)


def restored_value(ablation: Ablation) -> Any:
    """The setting as the original preset has it (its family's default where the preset leaves it out)."""
    from playground.core.presets import load_preset

    section, key = ablation.setting.split(".")
    return getattr(getattr(load_preset(ablation.original), section), key)


def specs(ablation: Ablation, seed: int | None = None) -> tuple[Any, Any]:
    """(ablated, restored): the ablation preset and the same preset with the setting put back, trained for the
    row's steps from one seed (the preset's unless given); eager, since a compile would cost more than these
    few hundred steps of a tiny model and the figures are losses, not speed."""
    from playground.core.presets import load_preset

    preset = load_preset(ablation.preset)
    common = {"train.max_steps": ablation.steps, "train.compile": "off",
              "train.seed": preset.train.seed if seed is None else seed,
              # the preset's warm-up, within a row shorter than it (a test's)
              "train.warmup_steps": min(preset.train.warmup_steps, ablation.steps - 1)}
    ablated = preset.updated(common)
    return ablated, ablated.updated({ablation.setting: restored_value(ablation)})


def _trained(spec: Any) -> Any:
    from playground.training.session import TrainingSession

    session = TrainingSession(spec)
    while session.step < spec.train.max_steps:
        session.train_step()
    return session


def _loss_with_setting_put_back(trained: Any, restored_spec: Any) -> float:
    """The trained weights in a model built with the setting put back (same shapes), on the same batches."""
    from playground.training.session import TrainingSession

    session = TrainingSession(restored_spec)
    session.model.load_state_dict(trained.model.state_dict())
    return session.evaluate()[0]


def measure(ablation: Ablation, ablated_spec: Any, restored_spec: Any) -> dict[str, float]:
    """Train both sides and return their validation losses (and the put-back loss where the row checks one)."""
    print(f"bench: ablation {ablation.preset} against {ablation.setting} put back ({ablation.steps} steps each)...",
          file=sys.stderr, flush=True)
    ablated = _trained(ablated_spec)
    figures = {"ablated_val_loss": ablated.evaluate()[0], "restored_val_loss": _trained(restored_spec).evaluate()[0]}
    if ablation.put_back is not None:
        figures["put_back_val_loss"] = _loss_with_setting_put_back(ablated, restored_spec)
    return figures


def judge(ablation: Ablation, figures: dict[str, float], seed: int) -> dict[str, Any]:
    """The bench's row: what was compared, each figure against its bound, and PASS only if every bound holds."""
    bounds = {"ablated_val_loss": ablation.ablated, "restored_val_loss": ablation.restored}
    if ablation.put_back is not None:
        bounds["put_back_val_loss"] = ablation.put_back
    checks = {name: bound.holds(figures[name]) for name, bound in bounds.items()}
    return {"preset": ablation.preset, "original": ablation.original, "setting": ablation.setting,
            "restored_value": restored_value(ablation), "steps": ablation.steps, "seed": seed, **figures,
            "targets": {name: str(bound) for name, bound in bounds.items()}, "checks": checks,
            "passed": all(checks.values())}


def run_ablations(seed: int | None = None) -> list[dict[str, Any]]:
    rows = []
    for ablation in ABLATIONS:
        ablated, restored = specs(ablation, seed)
        rows.append(judge(ablation, measure(ablation, ablated, restored), ablated.train.seed))
    return rows


def describe(row: dict[str, Any]) -> str:
    """One printed line: the preset, what it is compared with, each loss against its target, PASS or FAIL."""
    value = str(row["restored_value"]).lower() if isinstance(row["restored_value"], bool) else row["restored_value"]
    put_back = f"{row['setting']}={value}"
    figures = [f"ablated {row['ablated_val_loss']:.3f} ({row['targets']['ablated_val_loss']})",
               f"{put_back} {row['restored_val_loss']:.3f} ({row['targets']['restored_val_loss']})"]
    if "put_back_val_loss" in row:
        figures.append(f"the ablated weights under {put_back} {row['put_back_val_loss']:.3f} "
                       f"({row['targets']['put_back_val_loss']})")
    return (f"ablation {row['preset']:<28} vs {put_back} (as in {row['original']}), {row['steps']} steps, "
            f"seed {row['seed']}: validation loss {', '.join(figures)}: {'PASS' if row['passed'] else 'FAIL'}")
