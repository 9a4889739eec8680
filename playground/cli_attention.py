"""`playground attention RUN_DIR --out FILE` (the CLI's attention command): the views rendered without a window.

    playground attention RUN --out grid.png                         every layer and head on the probe
    playground attention RUN --input "3 1 4 1 5" --view steps --layer 1 --head 2 --out steps.svg
    playground attention RUN --view lines --layer 2 --out lines.svg  (all heads; --head for one)
    playground attention RUN --view lines --input "the animal ... it was tired" --highlight it --out it.png
    playground attention RUN --view roles --out roles.png
    playground attention RUN --view vit --input cat.png --out cls.png   (a ViT run)
    playground attention RUN --view embeddings|positions --out pca.png
    playground attention RUN --out evolution.gif                     the snapshots saved during training
    playground attention RUN --input "3 1 4 1 5" --out views.html   grid, head view and steps in one offline page

--layer and --head count from 1, as the window's pickers and the figures do: `--layer 1 --head 1` is the
first head of the first layer; so does a numeric --highlight (`--highlight 1` is the first token). They
become 0-based indices here, at the edge; every Python function below (render_view, evolution_frames, the
views) takes 0-based indices.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from playground.cli_output import check_new_output, out_path, writing
from playground.core.estimates import format_bytes

VIEWS = ("grid", "steps", "lines", "roles", "vit", "embeddings", "positions")
STILL_FORMATS = (".png", ".svg")


def default_view(family: str) -> str:
    """The view each model family is best shown in: the ViT's [CLS] map, the grid for the others."""
    return "vit" if family == "vit" else "grid"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder written by `playground train`")
    parser.add_argument("--input", help="text to feed the model, or an image file for a ViT (default: the probe)")
    parser.add_argument("--layer", type=int, metavar="L",
                        help="layer, counted from 1 (1 = the first layer, as in the window): the layer for "
                             "steps/lines (default 1); for the grid or a GIF: only this layer")
    parser.add_argument("--head", type=int, metavar="H",
                        help="head, counted from 1 (1 = the first head): the head for steps (default 1) and "
                             "lines (default: all heads)")
    parser.add_argument("--view", choices=VIEWS, help="what to draw (default: grid, or vit for a ViT)")
    parser.add_argument("--highlight", metavar="TOKEN",
                        help="lines view: the query token whose lines stand out: its text (e.g. 'it'), or its "
                             "position counted from 1 (1 = the first token, like --layer and --head)")
    parser.add_argument("--out", type=out_path, required=True,
                        help="output file: .png, .svg, .gif for the evolution, or .html for one self-contained page "
                             "with the grid, the head view and the steps (opens offline; --layer/--head: the head "
                             "shown first)")


def to_index(number: int | None, what: str, count: int) -> int | None:
    """The 0-based index of a 1-based --layer/--head number, or a one-line error in the user's 1-based terms,
    e.g. "layer 5 does not exist: this model has layers 1..4". None stays None (the flag was not given)."""
    if number is None:
        return None
    if not 1 <= number <= count:
        raise ValueError(f"{what} {number} does not exist: this model has {what}s 1..{count}")
    return number - 1


def model_shape(session) -> tuple[int, int]:  # noqa: ANN001
    """(layers, heads per layer) of a session's model."""
    blocks = session.model.blocks
    return len(blocks), int(blocks[0].attn.n_head)


def run_attention(args: argparse.Namespace) -> int:
    out: Path = args.out
    suffix = out.suffix.lower()
    if suffix not in (*STILL_FORMATS, ".gif", ".html"):
        raise ValueError(f"--out must end in .png, .svg, .gif or .html, not {out.name!r}")
    if args.input is not None and not args.input.strip():
        raise ValueError("--input is empty: give some text (or an image for a ViT), or leave --input out to draw "
                         "the run's own example")
    from playground.training.runs import checkpoint_folder

    run_dir = _run_folder(args.run_dir)
    if suffix != ".gif" or not run_dir.is_dir():  # (a .gif needs the timeline alone: refused below without one)
        checkpoint_folder(run_dir)  # refused in resume's, sample's and export's words (CLI QA: three wordings)
    with writing(out):
        check_new_output(out, args.overwrite)
    if suffix == ".gif":
        return _evolution(args, run_dir, out)
    if suffix == ".html":
        return _page(args, run_dir, out)
    return _still(args, run_dir, out)


def _run_folder(path: Path) -> Path:
    """The run folder given, or above the checkpoint folder given: sample and export take either, and attention
    reads the run folder (its checkpoint, and attention/ for a .gif)."""
    from playground.training.runs import CHECKPOINT_DIR, STATE_FILE

    return path.parent if path.name == CHECKPOINT_DIR and (path / STATE_FILE).exists() else path


def _evolution(args: argparse.Namespace, run_dir: Path, out: Path) -> int:
    from playground.analysis.timeline import SnapshotTimeline
    from playground.viz.canvas import save_gif
    from playground.viz.views import evolution_frames

    if args.input:
        raise ValueError("a GIF replays the probe snapshots saved during training: drop --input, or write a "
                         ".png/.svg for your own input")
    timeline = SnapshotTimeline.load(run_dir)
    snapshots = timeline.snapshots
    view = args.view or ("vit" if snapshots and snapshots[0].image is not None else "grid")
    n_layers, n_heads = snapshots[0].weights.shape[:2] if snapshots else (0, 0)
    layer, head = to_index(args.layer, "layer", n_layers), to_index(args.head, "head", n_heads)
    frames = evolution_frames(snapshots, view, layer=layer, head=head)
    with writing(out):
        save_gif(frames, out)
    print(f"wrote {out} ({len(frames)} frames, steps {snapshots[0].step}..{snapshots[-1].step})", file=sys.stderr)
    return 0


def _open(run_dir: Path):
    """The run's last checkpoint as a session (refused before building when it would not fit in memory)."""
    from playground.training.runs import checkpoint_folder
    from playground.training.session import TrainingSession

    return TrainingSession.from_weights(checkpoint_folder(run_dir))


def note_input(session: Any, text: str | None) -> None:
    """Say on stderr how the input was read where the figure shows it changed: only part of a long text, an image's
    background filled or its colours inverted to match the training images."""
    from playground.analysis.inputs import read_input

    for note in read_input(session, text or "")[1]:
        print(f"playground: note: {note}", file=sys.stderr)


def _page(args: argparse.Namespace, run_dir: Path, out: Path) -> int:
    from playground.viz.html import save_attention_html

    if args.view or args.highlight:
        raise ValueError("an HTML page holds the grid, the head view and the steps together: drop --view and "
                         "--highlight (hover a token in the page instead)")
    session = _open(run_dir)
    n_layers, n_heads = model_shape(session)
    layer, head = to_index(args.layer, "layer", n_layers), to_index(args.head, "head", n_heads)
    with writing(out):
        save_attention_html(session, out, args.input, layer or 0, head or 0)
    note_input(session, args.input)
    # (in binary units, as every size the app says: a 30 KB page read "0.0 MB", CLI QA)
    print(f"wrote {out} ({format_bytes(out.stat().st_size)}, one file, opens offline; step {session.step})",
          file=sys.stderr)
    return 0


def _still(args: argparse.Namespace, run_dir: Path, out: Path) -> int:
    session = _open(run_dir)
    n_layers, n_heads = model_shape(session)
    layer, head = to_index(args.layer, "layer", n_layers), to_index(args.head, "head", n_heads)
    figure = render_view(session, args.view, args.input, layer, head, args.highlight)
    note_input(session, args.input)
    with writing(out):
        figure.save(out)
    print(f"wrote {out} ({figure.width}x{figure.height}, step {session.step})", file=sys.stderr)
    return 0


def find_token(labels: list[str], token: str) -> int:
    """The 0-based index of --highlight's `token` among the labels: its first exact (then case-insensitive) match,
    else a position counted from 1 like --layer and --head ("1" is the first token, index 0)."""
    for match in (lambda t: t == token, lambda t: t.lower() == token.lower()):
        for index, label in enumerate(labels):
            if match(label):
                return index
    if token.isdigit():
        position = int(token)
        if not 1 <= position <= len(labels):
            raise ValueError(f"position {position} does not exist: this input has positions 1..{len(labels)} "
                             f"({' '.join(labels)})")
        return position - 1
    raise ValueError(f"'{token}' is not a token of this input ({' '.join(labels)}): pass one of them or a position "
                     f"1..{len(labels)}")


def render_view(session, view: str | None, text: str | None, layer: int | None, head: int | None,  # noqa: ANN001, ANN201
                highlight: str | None = None):
    """One view of `session`'s model on `text` (or its probe) as a Figure.

    layer, head: 0-based indices (None: the view's default); the CLI converts its 1-based flags first."""
    from playground.analysis.embeddings import position_projection, token_embedding_projection
    from playground.analysis.roles import role_table
    from playground.analysis.steps import attention_steps
    from playground.viz import views

    view = view or default_view(session.spec.model.family)
    if highlight is not None and view != "lines":
        raise ValueError("--highlight belongs to the lines view: add --view lines")
    batch = session.dataset.example(text) if text else session.dataset.probe()
    n_layers, n_heads = model_shape(session)
    if layer is not None and not 0 <= layer < n_layers:
        raise ValueError(f"layer index {layer} does not exist: this model has layer indices 0..{n_layers - 1}")
    if head is not None and not 0 <= head < n_heads:
        raise ValueError(f"head index {head} does not exist: this model has head indices 0..{n_heads - 1}")
    if view == "steps":
        return views.render_steps(attention_steps(session, batch, layer or 0, head or 0))
    if view == "embeddings":
        return views.render_embeddings(token_embedding_projection(session))
    if view == "positions":
        return views.render_embeddings(position_projection(session), connect=True)
    snapshot = session.snapshot(batch)
    if view == "grid":
        if head is not None:
            raise ValueError("the grid shows every head: use --view lines or --view steps for one head")
        return views.render_grid(snapshot, layers=None if layer is None else [layer])
    if view == "lines":
        where = None if highlight is None else find_token(snapshot.labels, highlight)
        return views.render_lines(snapshot, heads=head, layer=layer or 0, highlight=where)
    if view == "roles":  # measured on the input's tokens, as the window's Head roles measures them
        tokens = snapshot.tokens_only()
        return views.render_roles(role_table(tokens.weights, layout=tokens.layout), patches=tokens.layout is not None)
    if view == "vit":
        family = session.spec.model.family
        if family != "vit":  # (QA: "the ViT view needs the input image", as if an image were missing)
            article = "an" if family[0] in "aeiou" else "a"
            raise ValueError(f"the vit view is for Vision Transformer runs, and this run trained {article} {family}: "
                             f"choose another view ({', '.join(v for v in VIEWS if v != 'vit')})")
        return views.render_vit(snapshot)
    raise ValueError(f"unknown view {view!r}: choose one of {', '.join(VIEWS)}")
