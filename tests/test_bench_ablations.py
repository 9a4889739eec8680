"""`playground bench --learning ablations`: each row compares the right two models and judges its figures
(the real training runs are the bench's; here they are a couple of steps)."""

import dataclasses
import json

import pytest

from playground.bench import ablations
from playground.bench.ablations import ABLATIONS, Ablation, describe, judge, specs
from playground.cli import main
from playground.core.presets import load_preset


@pytest.mark.parametrize("ablation", ABLATIONS, ids=lambda a: a.preset)
def test_a_row_trains_the_preset_and_the_same_preset_with_the_setting_put_back(ablation: Ablation) -> None:
    ablated, restored = specs(ablation)
    section, key = ablation.setting.split(".")
    original_value = getattr(getattr(load_preset(ablation.original), section), key)
    assert getattr(ablated.model, key) != original_value == getattr(restored.model, key)
    assert ablated.model == load_preset(ablation.preset).model
    # Nothing else differs: the same data, seed and steps (a whole schedule of the row's length).
    one, other = ablated.to_dict(), restored.to_dict()
    other[section][key] = one[section][key]
    assert one == other
    assert ablated.train.max_steps == ablation.steps and ablated.train.seed == load_preset(ablation.preset).train.seed
    assert {s.train.seed for s in specs(ablation, seed=7)} == {7}


def _just(bound: ablations.Bound, inside: bool) -> float:
    """A figure a hair inside (or outside) the bound."""
    return bound.limit * (1.01 if bound.above == inside else 0.99)


@pytest.mark.parametrize("ablation", ABLATIONS, ids=lambda a: a.preset)
def test_a_row_passes_only_when_every_figure_is_on_its_side_of_its_target(ablation: Ablation) -> None:
    bounds = {"ablated_val_loss": ablation.ablated, "restored_val_loss": ablation.restored}
    if ablation.put_back:
        bounds["put_back_val_loss"] = ablation.put_back
    good = {name: _just(bound, inside=True) for name, bound in bounds.items()}
    row = judge(ablation, good, seed=1)
    assert row["passed"] and describe(row).endswith("PASS") and ablation.preset in describe(row)
    for name, bound in bounds.items():
        row = judge(ablation, {**good, name: _just(bound, inside=False)}, seed=1)
        assert not row["passed"] and row["checks"] == {n: n != name for n in bounds}
        assert describe(row).endswith("FAIL") and f"({bound})" in describe(row)


def test_learning_takes_which_part_to_run() -> None:
    from playground.cli import _parser

    parse = _parser().parse_args
    assert parse(["bench", "--learning"]).learning == "all" and parse(["bench"]).learning is None
    args = parse(["bench", "--learning", "ablations", "--seed", "3"])
    assert (args.learning, args.seed) == ("ablations", 3)
    with pytest.raises(SystemExit):
        parse(["bench", "--learning", "everything"])


@pytest.mark.slow
def test_bench_learning_ablations_prints_and_writes_each_row(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    cheat = next(a for a in ABLATIONS if a.preset == "decoder-no-mask")  # the row with a third figure
    monkeypatch.setattr(ablations, "ABLATIONS", (dataclasses.replace(cheat, steps=1),))
    out = tmp_path / "bench.json"
    assert main(["bench", "--learning", "ablations", "--json", str(out)]) == 1  # 1 step shows no effect yet
    result = json.loads(out.read_text())
    assert "learning" not in result  # only the ablations ran
    (row,) = result["ablations"]
    assert row["preset"] == "decoder-no-mask" and not row["passed"] and row["steps"] == 1 and row["seed"] == 1337
    assert row["restored_value"] is True and row["put_back_val_loss"] > row["ablated_val_loss"] * 0.5 > 0
    printed = capsys.readouterr().out
    assert "ablation decoder-no-mask" in printed and "model.causal=true (as in decoder-pydoc)" in printed
    assert printed.rstrip().endswith("FAIL")
