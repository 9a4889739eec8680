"""Compare A/B (issue 24): the same start for two settings, the curves it gives, and `playground compare`'s figure."""

import re

import numpy as np
import pytest
import torch
from PIL import Image

from playground.cli import main
from playground.core.differences import difference_line, gap_line, labels
from playground.core.presets import to_json
from playground.core.spec import make_spec
from playground.training.compare import start_pair, train_pair
from playground.training.session import TrainingSession

# Dropout on: identical settings must still give identical curves (each side keeps its own dropout randomness).
TINY = make_spec({
    "name": "tiny-reverse",
    "model": {"family": "encoder", "n_embd": 16, "n_head": 2, "n_layer": 1, "d_ff": 32, "block_size": 8,
              "dropout": 0.1},
    "data": {"name": "reverse"},
    "train": {"batch_size": 4, "warmup_steps": 1, "max_steps": 4, "eval_interval": 2, "eval_batches": 1,
              "device": "cpu", "compile": "off", "snapshot_interval": 2},
})


@pytest.mark.slow
def test_identical_settings_give_identical_curves_and_the_curve_a_run_alone_draws():
    pair = start_pair(TINY, TINY)
    a, b = train_pair(pair)
    assert pair.start.not_shared == () and len(pair.start.shared) > 5 and pair.start.same_batches
    assert a.steps == b.steps == [1, 2, 3, 4]
    assert a.losses == b.losses and a.val_losses == b.val_losses  # bitwise
    np.testing.assert_array_equal(a.snapshot.weights, b.snapshot.weights)
    alone = TrainingSession(TINY)
    assert [e.train_loss for e in alone.run() if type(e).__name__ == "MetricsEvent"] == a.losses
    assert labels(TINY, TINY) == ("A: the same settings", "B: the same settings")
    assert difference_line(TINY, TINY).endswith("change something in B to compare it")  # no promise of one curve


def test_other_shapes_share_exactly_the_tensors_of_the_same_name_and_shape():
    b_spec = TINY.updated({"model.n_layer": 2, "train.seed": 7})
    before = TrainingSession(TINY).model  # A's initial weights, as A alone builds them
    own = TrainingSession(b_spec.updated({"train.seed": TINY.train.seed})).model  # B's own, from A's seed
    pair = start_pair(TINY, b_spec)
    a_shapes = {n: p.shape for n, p in before.named_parameters()}
    expected = [n for n, p in pair.b.model.named_parameters() if a_shapes.get(n) == p.shape]
    assert list(pair.start.shared) == expected and len(expected) == len(a_shapes)  # every one of A's tensors
    assert pair.start.not_shared and all(n.startswith("blocks.1.") for n in pair.start.not_shared)
    b_params = dict(pair.b.model.named_parameters())
    for name, param in before.named_parameters():
        assert torch.equal(b_params[name], param), name
    own_params = dict(own.named_parameters())
    for name in pair.start.not_shared:
        assert torch.equal(b_params[name], own_params[name]), name  # B's own seeded initial values
    assert pair.b.spec.train.seed == TINY.train.seed and pair.start.same_batches
    assert "blocks.1.* (16)" in pair.start.summary() and f"{len(expected)} of {len(b_params)}" in pair.start.summary()

    wider = start_pair(TINY, TINY.updated({"model.n_embd": 32, "model.block_size": 6}))
    assert "embedding dimension 16 → 32" in difference_line(TINY, wider.b.spec)
    assert not wider.start.same_batches and "different batches" in wider.start.summary()
    assert "tok_emb.weight" in wider.start.not_shared and "tok_emb.weight" not in wider.start.shared

    order_blind = start_pair(TINY, TINY.updated({"model.pos_encoding": "none"}))  # B lacks A's position table
    assert order_blind.start.not_shared == () and order_blind.start.a_only == ("pos_emb.weight",)
    assert "A's own: pos_emb.weight" in order_blind.start.summary()


@pytest.mark.slow
def test_cli_compare_writes_one_figure_with_both_curves(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(to_json(TINY))
    b.write_text(to_json(TINY.updated({"model.residual": False})))
    out = tmp_path / "figs" / "ab.png"
    assert main(["compare", str(a), str(b), "--steps", "3", "--out", str(out)]) == 0
    said = capsys.readouterr()
    err = said.err
    # the answer in the terminal, as the window says it (newcomer QA: only the figure held it)
    assert re.fullmatch(r"Validation loss at step 3: A \d\.\d{3}, B \d\.\d{3}\. (Level, to the third decimal\.|"
                        r"[AB] is \d\.\d{3} lower( \(\d+\.\d% below [AB]\))?\.)\n", said.out), said.out
    assert "residual connections on → off" in err and "all" in err and "weight tensors shared" in err
    assert re.search(r"A \d\.\d{4} B \d\.\d{4}\]", err), err  # the bar's losses as the app prints them
    pixels = np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3)
    for colour in ((0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)):  # A blue and B orange
        assert (np.abs(pixels.astype(int) - colour).sum(axis=1) < 30).sum() > 50


def test_cli_compare_of_different_data_says_the_losses_are_not_on_one_scale(tmp_path, capsys, monkeypatch):
    """Newcomer QA: `compare decoder-reverse vit-digits` drew both losses on one axis, nothing said of it."""
    from playground import cli_compare

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(to_json(TINY))
    b.write_text(to_json(TINY.updated({"data.name": "sort", "data.options": {}})))
    figures = []
    real_figure = cli_compare.comparison_figure
    monkeypatch.setattr(cli_compare, "comparison_figure", lambda *args: figures.append(real_figure(*args)) or figures[0])
    assert main(["compare", str(a), str(b), "--steps", "2", "--out", str(tmp_path / "ab.png")]) == 0
    said = "Not compared: A and B learn from different data, so their losses are not on one scale."
    printed = capsys.readouterr()
    err = printed.err
    assert printed.out.startswith("Validation loss at step 2: A ") and printed.out.endswith(f". {said}\n")
    assert err.index(f"playground: note: {said}") < err.index("2/2 [")  # said before training (review: after it)
    assert said in [op["s"] for kind, op in figures[0].ops if kind == "text"]  # the figure says it too


def test_ctrl_c_during_compare_draws_the_curves_so_far(tmp_path, capsys, monkeypatch):
    """QA: Ctrl-C after ~200 of 3000 steps printed "playground: interrupted" and wrote no figure."""
    from playground.training import compare

    real = compare._one_step
    taken = []

    def interrupted_at_step_4(run, curve):
        taken.append(1)
        if len(taken) > 9:  # A and B have taken 4 steps each, and A its fifth
            raise KeyboardInterrupt
        return real(run, curve)

    from playground import cli_compare

    drawn, real_figure = [], cli_compare.comparison_figure
    monkeypatch.setattr(cli_compare, "comparison_figure",
                        lambda a, b, curves, *rest: drawn.append(curves) or real_figure(a, b, curves, *rest))
    monkeypatch.setattr(compare, "_one_step", interrupted_at_step_4)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(to_json(TINY))
    b.write_text(to_json(TINY.updated({"model.residual": False})))
    out = tmp_path / "ab.png"
    assert main(["compare", str(a), str(b), "--steps", "50", "--out", str(out)]) == 130
    assert f"playground: interrupted at step 4: wrote {out} with the curves so far" in capsys.readouterr().err
    assert Image.open(out).width > 200
    assert [curve.steps for curve in drawn[0]] == [[1, 2, 3, 4]] * 2  # both to the step both reached (review)


def test_cli_compare_on_a_file_of_ones_own_keeps_each_sides_name(tmp_path, capsys):
    """Review: renamed for what they train on, both sides were "A: Decoder (GPT-like) on mine.txt", "B: (the same)"."""
    a, b, text = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "mine.txt"
    a.write_text(to_json(TINY.updated({"name": "first"})))
    b.write_text(to_json(TINY.updated({"name": "second", "model.residual": False})))
    text.write_text("a quick brown fox jumps over the lazy dog " * 30, encoding="utf-8")
    out = tmp_path / "ab.png"
    assert main(["compare", str(a), str(b), "--steps", "2", "--out", str(out), "--set", "data.name=text_file",
                 "--set", f"data.path={text}"]) == 0
    err = capsys.readouterr().err
    assert "A: first" in err and "B: second" in err, err


@pytest.mark.parametrize("out, expected", [("ab.txt", "--out must end in .png or .svg"), ("ab.png", "is a folder")])
def test_cli_compare_refuses_a_figure_it_cannot_write_in_one_line(tmp_path, capsys, out, expected):
    (tmp_path / "ab.png").mkdir()
    assert main(["compare", "encoder-reverse", "encoder-sort", "--out", str(tmp_path / out)]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "\n" not in err and err.startswith("playground: error:")


def test_the_gap_line_says_which_side_is_lower_by_how_much_or_that_they_are_level():
    assert gap_line(400, 1.834, 1.712) == ("Validation loss at step 400: A 1.834, B 1.712. "
                                           "B is 0.122 lower (6.7% below A).")
    assert gap_line(1200, 2.0, 2.5).endswith("A is 0.500 lower (20.0% below B).")
    assert gap_line(1200, 1.7121, 1.7124) == "Validation loss at step 1,200: A 1.712, B 1.712. Level, to the third decimal."
    assert gap_line(9, 1.7124, 1.7126).endswith("A 1.712, B 1.713. A is 0.001 lower (0.1% below B).")  # as shown
    # QA: "B is 0.046 lower" at step 200, "A is 0.008 lower" at 300: a lead that changes sides is called no lead
    flipped = gap_line(300, 2.0, 2.008, [0.1, -0.046])
    assert flipped.endswith("A is 0.008 lower (0.4% below B). The lead changed sides over the last 3 evaluations: "
                            "too close to call yet.")
    assert gap_line(300, 2.0, 2.008, [-0.1, 0.1, 0.05]) == gap_line(300, 2.0, 2.008)  # it held: said as it is
    assert gap_line(300, 2.0, 2.008, [-0.1]) == gap_line(300, 2.0, 2.008)  # too few evaluations to tell
    assert gap_line(900, 0.0001, 0.002).endswith("A 0.000, B 0.002. A is 0.002 lower.")  # no "100.0% below B"


def test_the_gap_line_is_at_the_last_step_both_sides_were_evaluated_at():
    """A and B evaluated at different intervals (review): the line is at their last common step, and the lead's
    history counts only the steps both have."""
    from playground.core.differences import last_gap_line

    a = ([100, 200, 300, 400], [2.5, 2.2, 2.0, 1.9])
    b = ([150, 300, 450], [2.4, 2.1, 1.7])
    assert last_gap_line(a, b) == "Validation loss at step 300: A 2.000, B 2.100. A is 0.100 lower (4.8% below B)."
    assert last_gap_line(a, ([150, 250], [2.4, 2.1])) == ""
    assert last_gap_line(a, b, "A and B learn from different data").endswith("so their losses are not on one scale.")


def test_losses_on_different_data_are_shown_but_not_compared():
    """QA: a decoder reversing sequences was "99.6% below" a ViT reading digits."""
    from playground.core.differences import why_not_compared
    from playground.core.presets import load_preset

    reverse, sort, digits = (load_preset(name) for name in ("decoder-reverse", "encoder-sort", "vit-digits"))
    assert why_not_compared(reverse, digits) == why_not_compared(reverse, sort) == "A and B learn from different data"
    assert why_not_compared(reverse, reverse.updated({"model.n_layer": 4, "data.options": {"length": 8}})) == ""
    own = reverse.updated({"data.name": "text_file", "data.path": "a.txt", "data.options": {}})
    assert why_not_compared(own, own.updated({"data.path": "b.txt"})) == "A and B learn from different data"
    assert gap_line(100, 0.005, 1.207, not_compared="A and B learn from different data") == (
        "Validation loss at step 100: A 0.005, B 1.207. Not compared: A and B learn from different data, so their "
        "losses are not on one scale.")


def test_losses_of_another_task_from_the_same_data_are_not_compared():
    """Review: the same dataset with 10 symbols against 26 (chance ln 10 against ln 26), or read by an encoder
    against a decoder (masked characters against the next one), was compared as if one scale."""
    from playground.core.differences import why_not_compared
    from playground.core.presets import load_preset

    reverse = load_preset("decoder-reverse")
    assert why_not_compared(reverse, reverse.updated({"data.options": {"n_symbols": 26}})) == (
        "A and B learn different tasks from the data (symbols 10 against 26)")
    encoder = reverse.updated({"model.family": "encoder", "model.causal": False})
    assert why_not_compared(reverse, encoder) == ("A and B learn different tasks from the data (predicting the next "
                                                  "token against labelling each position)")
    text = load_preset("decoder-pydoc")
    assert "filling in masked tokens" in why_not_compared(text, text.updated({"model.family": "encoder",
                                                                            "model.causal": False}))
    shapes = load_preset("vit-digits").updated({"data.name": "shapes", "model.image_size": 16})
    assert why_not_compared(shapes, shapes.updated({"data.options": {"n_images": 500}})) == ""  # more of the same


def test_a_changed_rate_is_written_as_the_sliders_write_it():
    """QA: Undo said "learning rate 5e-05 → 0.003" beside sliders reading 5e-5 and 3e-3."""
    from playground.core.differences import changes
    from playground.core.spec import make_spec

    base = make_spec({"name": "a", "train": {"lr": 3e-3, "weight_decay": 0.1}})
    assert changes(base, base.updated({"train.lr": 5e-5, "train.weight_decay": 0.05})) == [
        "learning rate 3e-3 → 5e-5", "weight decay 0.1 → 0.05"]


def test_a_dataset_option_left_out_is_named_by_its_default_and_auto_only_where_worked_out():
    """QA: Undo said "dataset option channels 3 → auto" where the Channels box had shown 1 (grayscale)."""
    from playground.core.differences import changes
    from playground.core.spec import make_spec

    folder = make_spec({"model": {"family": "vit"}, "data": {"name": "image_folder", "path": "imgs"}})
    assert changes(folder.updated({"data.options": {"channels": 3}}), folder) == ["channels 3 → 1"]
    reverse = make_spec({"data": {"name": "reverse"}})
    assert changes(reverse.updated({"data.options": {"length": 8}}), reverse) == ["sequence length 8 → auto"]
