"""`playground compare PRESET_A PRESET_B --out FIG.png`: train two presets from the same start, side by side, and
draw both loss curves on one plot with a line saying what differs and which weights were shared."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from playground.cli_output import EXIT_INTERRUPTED, check_can_write_file, check_new_output, writing
from playground.core.messages import loss_text

FIGURE_FORMATS = (".png", ".svg")
COLOURS = ("#1f77b4", "#ff7f0e")  # A blue, B orange: the window's compare colours too


def check_figure_path(out: Path, overwrite: bool = False) -> None:
    """Refuse at once, before torch loads, a figure that could not be written or would replace a file unasked."""
    from playground.training.runs import check_can_create

    if out.suffix.lower() not in FIGURE_FORMATS:
        raise ValueError(f"--out must end in .png or .svg, not {out.name!r}")
    with writing(out):
        if out.is_dir():
            raise ValueError(f"--out {out} is a folder: give a file name such as {out / 'compare.png'}")
        check_can_create(out.parent, "the figure's folder")
        check_new_output(out, overwrite)
        check_can_write_file(out)  # a figure that cannot be written is refused now, not after both have trained


def run_compare(spec_a: Any, spec_b: Any, out: Path) -> int:
    """Train A and B in turn from the same start, with a progress bar, and write the figure."""
    from tqdm import tqdm

    from playground.core.differences import (
        difference_line,
        labels,
        last_gap_line,
        not_compared_line,
        why_not_compared,
    )
    from playground.training.compare import start_pair, train_pair

    pair = start_pair(spec_a, spec_b)
    print(f"A: {spec_a.name}\nB: {pair.b.spec.name}\n{difference_line(spec_a, pair.b.spec)}\n{pair.start.summary()}",
          file=sys.stderr)
    apart = why_not_compared(spec_a, pair.b.spec)  # before training: said once it is known (review: after minutes)
    if apart:  # (newcomer QA: a decoder's and a ViT's losses drawn as comparable, unsaid)
        print(f"playground: note: {not_compared_line(apart)}", file=sys.stderr)
    total = max(pair.a.spec.train.max_steps, pair.b.spec.train.max_steps)
    drawn: list[Any] = []  # the curves, drawn to the step both had reached
    with tqdm(total=total, unit="step", dynamic_ncols=True, file=sys.stderr) as bar:
        def progress(step: int, a: Any, b: Any) -> None:
            drawn[:] = [a, b]
            bar.set_postfix_str(" ".join(f"{side} {loss_text(c.losses[-1])}" for side, c in (("A", a), ("B", b)) if c.losses))
            bar.update(step - bar.n)

        try:
            curves = train_pair(pair, on_step=progress)
        except KeyboardInterrupt:  # Ctrl-C: the curves so far (QA: "interrupted", and nothing written)
            if not drawn:
                raise
            stopped = bar.n
            curves = tuple(curve.up_to(stopped) for curve in drawn)
        else:
            stopped = None
        finally:
            pair.close()
    figure = comparison_figure(spec_a, pair.b.spec, curves, pair.start.summary(), labels(spec_a, pair.b.spec), apart)
    with writing(out):
        figure.save(out)
    for side, curve in zip("AB", curves):
        if curve.finished is not None and curve.finished.reason != "completed":
            print(f"playground: {side} stopped early: {curve.finished.message}", file=sys.stderr)
    gap = last_gap_line(*((c.val_steps, c.val_losses) for c in curves), not_compared=apart)
    if gap:  # the answer, on stdout, as the window says it over its plot (newcomer QA: only the figure held it)
        print(gap)
    if stopped is not None:
        print(f"playground: interrupted at step {stopped:,}: wrote {out} with the curves so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"wrote {out}", file=sys.stderr)
    return 0


def comparison_figure(spec_a: Any, spec_b: Any, curves: Any, shared: str, legend: tuple[str, str],
                      apart: str = "") -> Any:
    """Both curves on one plot; under the title, what differs, what was shared, where each ended and `apart`, why
    their losses are not on one scale where they are not."""
    from playground.core.differences import difference_line, not_compared_line
    from playground.viz.curves import CurveData, render_curves

    data = [CurveData(label, colour, c.steps, c.losses, c.val_steps, c.val_losses)
            for label, colour, c in zip(legend, COLOURS, curves)]
    ends = "; ".join(f"{side} ends at step {c.steps[-1]:,} with training loss {loss_text(c.losses[-1])}"
                     + (f", validation loss {loss_text(c.val_losses[-1])}" if c.val_losses else "")
                     for side, c in zip("AB", curves) if c.steps)
    return render_curves(data, "Compare A/B: two models trained from the same start",
                         [f"A: {spec_a.name}", f"B: {spec_b.name}", difference_line(spec_a, spec_b),
                          f"Start: {shared}.", ends, *([not_compared_line(apart)] if apart else [])])
