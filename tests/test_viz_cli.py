"""`playground attention` end to end on a tiny trained run: stills from the checkpoint, a GIF from the
snapshots `playground train` recorded, and one-line errors."""

import json
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from playground.cli import main
from playground.cli_attention import find_token

TINY = ["--set", "model.n_layer=2", "--set", "model.n_embd=32", "--set", "model.n_head=2", "--set", "model.d_ff=64",
        "--set", "train.batch_size=8", "--set", "train.snapshot_interval=5", "--set", "train.eval_interval=10",
        "--device", "cpu"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "encoder"
    assert main(["train", "encoder-reverse", "--steps", "20", "--out", str(out), *TINY]) == 0
    return out


@pytest.mark.slow
def test_train_records_the_attention_timeline(run_dir):
    assert (run_dir / "attention" / "timeline.safetensors").exists()


@pytest.mark.parametrize("view", ["grid", "steps", "lines", "roles", "embeddings", "positions"])
def test_each_view_to_png_and_svg(run_dir, tmp_path, view, capsys):
    png, svg = tmp_path / f"{view}.png", tmp_path / f"{view}.svg"
    assert main(["attention", str(run_dir), "--view", view, "--layer", "2", "--out", str(png)]
                + (["--head", "2"] if view in ("steps", "lines") else [])) == 0
    assert "wrote" in capsys.readouterr().err
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 200 and image.height > 150
    assert main(["attention", str(run_dir), "--view", view, "--out", str(svg)]) == 0
    assert ET.parse(svg).getroot().tag.endswith("svg")


def test_lines_highlight_a_token(run_dir, tmp_path):
    plain, marked = tmp_path / "plain.png", tmp_path / "marked.png"
    assert main(["attention", str(run_dir), "--view", "lines", "--input", "1 2 3", "--out", str(plain)]) == 0
    assert main(["attention", str(run_dir), "--view", "lines", "--input", "1 2 3", "--highlight", "2",
                 "--out", str(marked)]) == 0
    assert plain.read_bytes() != marked.read_bytes()


@pytest.mark.slow
def test_a_numeric_highlight_counts_positions_from_one(run_dir, tmp_path):
    """Like --layer and --head, --highlight 1 is the first token; a token's own text still wins first."""
    def lines(highlight):
        out = tmp_path / f"h{highlight}.png"
        assert main(["attention", str(run_dir), "--view", "lines", "--input", "5 6 7", "--highlight", highlight,
                     "--out", str(out)]) == 0
        return out.read_bytes()

    first = lines("5")  # the text of the first token
    assert lines("1") == first  # "1" is no token of "5 6 7": position 1, the first token
    assert lines("2") == lines("6") != first  # position 2 is the second token, "6"
    assert lines("12") != first  # the encoder pads to its context of 12: position 12 is the last [PAD]


def test_find_token_prefers_text_then_takes_a_position_from_one():
    labels = ["the", "It", "2", "[PAD]"]
    assert find_token(labels, "It") == 1 and find_token(labels, "it") == 1  # exact, then case-insensitive
    assert find_token(labels, "2") == 2  # the token "2" (index 2), not position 2 (index 1)
    assert find_token(labels, "1") == 0 and find_token(labels, "4") == 3  # positions count from 1
    for wrong in ("0", "5"):
        with pytest.raises(ValueError, match=f"position {wrong} does not exist: this input has positions 1..4"):
            find_token(labels, wrong)
    with pytest.raises(ValueError, match=r"'dog' is not a token of this input .*a position 1\.\.4"):
        find_token(labels, "dog")


@pytest.mark.slow
def test_own_input_changes_the_picture(run_dir, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["attention", str(run_dir), "--input", "1 2 3 4", "--view", "steps", "--out", str(a)]) == 0
    assert main(["attention", str(run_dir), "--input", "9 8 7 7 7 1", "--view", "steps", "--out", str(b)]) == 0
    assert a.read_bytes() != b.read_bytes()


@pytest.mark.slow
def test_gif_replays_every_saved_snapshot(run_dir, tmp_path, capsys):
    gif = tmp_path / "evolution.gif"
    assert main(["attention", str(run_dir), "--out", str(gif)]) == 0
    assert "5 frames, steps 0..20" in capsys.readouterr().err  # snapshots at steps 0, 5, 10, 15, 20
    with Image.open(gif) as image:
        assert image.n_frames == 5
    lines = tmp_path / "lines.gif"
    assert main(["attention", str(run_dir), "--view", "lines", "--layer", "2", "--head", "1", "--out", str(lines)]) == 0
    with Image.open(lines) as image:
        assert image.n_frames == 5
    one_layer = tmp_path / "layer1.gif"
    assert main(["attention", str(run_dir), "--layer", "2", "--out", str(one_layer)]) == 0
    with Image.open(one_layer) as small, Image.open(gif) as full:
        assert small.n_frames == 5 and small.height < full.height


@pytest.mark.parametrize("args, message", [
    (["--input", "1 2", "--out", "x.gif"], "drop --input"),
    (["--view", "steps", "--out", "x.gif"], "needs the model"),
    (["--out", "x.jpg"], "must end in .png, .svg, .gif or .html"),
    (["--view", "steps", "--layer", "7", "--out", "x.png"], "layer 7 does not exist: this model has layers 1..2"),
    (["--view", "steps", "--layer", "0", "--out", "x.png"], "layer 0 does not exist: this model has layers 1..2"),
    (["--view", "steps", "--head", "3", "--out", "x.png"], "head 3 does not exist: this model has heads 1..2"),
    (["--view", "lines", "--head", "0", "--out", "x.png"], "head 0 does not exist: this model has heads 1..2"),
    (["--view", "vit", "--out", "x.png"], "the vit view is for Vision Transformer runs, and this run trained an encoder"),
    (["--input", "hello", "--out", "x.png"], "symbols"),
    (["--head", "1", "--out", "x.png"], "the grid shows every head"),
    (["--view", "lines", "--highlight", "z", "--out", "x.png"], "'z' is not a token"),
    (["--highlight", "1", "--out", "x.png"], "add --view lines"),
    (["--view", "lines", "--input", "5 6 7", "--highlight", "0", "--out", "x.png"],
     "position 0 does not exist: this input has positions 1..12"),
    (["--view", "lines", "--input", "5 6 7", "--highlight", "13", "--out", "x.png"],
     "position 13 does not exist: this input has positions 1..12"),
    (["--head", "1", "--out", "x.gif"], "the grid shows every head"),
    (["--layer", "3", "--out", "x.gif"], "layer 3 does not exist: this model has layers 1..2"),
    (["--view", "lines", "--head", "3", "--out", "x.gif"], "head 3 does not exist: this model has heads 1..2"),
])
def test_errors_are_one_line(run_dir, tmp_path, capsys, args, message):
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    assert main(["attention", str(run_dir), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_layer_and_head_flags_count_from_one(run_dir, tmp_path, capsys):
    """--layer 1 --head 1 is the first head of the first layer, written so in the figure."""
    def texts(args):
        svg = tmp_path / "x.svg"
        assert main(["attention", str(run_dir), *args, "--out", str(svg), "--overwrite"]) == 0  # one file, redrawn
        return [t.text or "" for t in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text")]

    first = texts(["--layer", "1"])
    assert "layer 1, head 1" in first and "layer 1, head 2" in first and "layer 2, head 1" not in first
    assert "layer 2, head 2" in texts(["--layer", "2"])
    assert any(t.startswith("Head view: layer 2, head 1") for t in texts(["--view", "lines", "--layer", "2", "--head", "1"]))
    steps = texts(["--view", "steps", "--head", "2"])
    assert any(t.startswith("Self-attention step by step: layer 1, head 2") for t in steps)
    assert any(t.startswith("head 2") and "this one" in t for t in steps)


def test_help_says_layers_and_heads_count_from_one(capsys):
    with pytest.raises(SystemExit):
        main(["attention", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "layer, counted from 1" in out and "head, counted from 1" in out
    assert "position counted from 1 (1 = the first token" in out  # --highlight's number


def test_missing_run_and_missing_timeline(tmp_path, capsys):
    assert main(["attention", str(tmp_path / "nope"), "--out", str(tmp_path / "x.png")]) == 2
    assert f"no run folder at {tmp_path / 'nope'}: check the path" in capsys.readouterr().err  # as resume says it
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "run.json").write_text(json.dumps({}))
    assert main(["attention", str(tmp_path / "empty"), "--out", str(tmp_path / "x.gif")]) == 2
    assert "no attention snapshots" in capsys.readouterr().err
    assert main(["attention", str(tmp_path / "empty"), "--out", str(tmp_path / "x.png")]) == 2
    assert "empty has no checkpoint yet" in capsys.readouterr().err  # as sample says it (review)
    (tmp_path / "notrun").mkdir()
    assert main(["attention", str(tmp_path / "notrun"), "--out", str(tmp_path / "x.png")]) == 2
    assert "notrun is not a run folder (it has no checkpoint/state.json)" in capsys.readouterr().err


def test_a_damaged_timeline_is_named_and_stops_no_resume(tmp_path, capsys):
    """QA: random bytes over attention/timeline.safetensors stopped `resume` with "unexpected problem: … header too
    large: please report it", though the checkpoint was whole; `attention --out x.gif` said the same."""
    import shutil

    out = tmp_path / "run"
    assert main(["train", "encoder-reverse", "--steps", "5", "--out", str(out), *TINY]) == 0
    timeline = out / "attention" / "timeline.safetensors"
    for damage in (b"\x07" * 64, timeline.read_bytes()[: timeline.stat().st_size // 2]):
        run = tmp_path / f"damaged{len(damage)}"
        shutil.copytree(out, run)
        (run / "attention" / "timeline.safetensors").write_bytes(damage)
        capsys.readouterr()
        assert main(["attention", str(run), "--out", str(tmp_path / "x.gif")]) == 2
        said = capsys.readouterr().err
        assert "timeline.safetensors is damaged" in said and "delete it" in said and "please report" not in said
        assert main(["resume", str(run), "--steps", "5"]) == 0  # a fresh record from the resumed step on
        assert main(["attention", str(run), "--out", str(run / "replayed.gif")]) == 0


@pytest.mark.slow
def test_a_vit_input_image_read_inverted_is_said(tmp_path, capsys):
    """The window says when a user's image was inverted to match the training images; so does the command line."""
    from PIL import ImageDraw

    out = tmp_path / "vit"
    assert main(["train", "vit-shapes", "--steps", "2", "--out", str(out), "--set", "model.n_layer=1",
                 "--set", "model.n_embd=16", "--set", "model.n_head=2", "--set", "model.d_ff=32",
                 "--set", "train.batch_size=8", "--device", "cpu"]) == 0
    image = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(image).line([(8, 8), (56, 56)], fill="black", width=8)
    image.save(tmp_path / "line.png")
    capsys.readouterr()
    assert main(["attention", str(out), "--view", "vit", "--input", str(tmp_path / "line.png"),
                 "--out", str(tmp_path / "vit.png")]) == 0
    err = capsys.readouterr().err
    assert "playground: note: line.png is a dark drawing on a light background" in err and "inverted" in err


def test_the_roles_view_measures_a_padded_probes_tokens_alone(tiny_session):
    """As the window's Head roles measures them (review: the CLI still counted the padding)."""
    from playground.analysis.roles import role_table
    from playground.cli_attention import render_view
    from playground.viz.views import render_roles

    session = tiny_session("encoder", "sentiment", block_size=16)
    for _ in range(3):
        session.train_step()
    snapshot = session.snapshot()
    assert snapshot.tokens is not None and snapshot.tokens < snapshot.weights.shape[-1]

    def texts(figure) -> list[str]:
        return [op["s"] for kind, op in figure.ops if kind == "text"]

    shown = texts(render_view(session, "roles", None, None, None))
    assert shown == texts(render_roles(role_table(snapshot.tokens_only().weights)))
    assert shown != texts(render_roles(role_table(snapshot.weights)))  # (the last token's "next" differs)
