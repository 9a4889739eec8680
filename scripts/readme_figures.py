"""The README's attention figures (resources/figures/), rendered headless.

    python scripts/readme_figures.py RUNS [--out resources/figures]

RUNS is a folder holding run folders written by `playground train`, named after their presets:
decoder-reverse and encoder-reverse (400 steps) and vit-digits (160 steps), e.g.
`playground train decoder-reverse --steps 400 --out RUNS/decoder-reverse --device cpu`. The four views are
what `playground attention RUN --view ... --out FILE` draws on each run's probe; the fifth figure is the
pretrained MiniLM (preset bert-pronoun, before fine-tuning): the head whose "it" looks most at "animal".
Layers and heads are written counted from 1, as in the window.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STILLS = [  # (view, run folder, file name)
    ("steps", "decoder-reverse", "steps-decoder-reverse.png"),
    ("grid", "encoder-reverse", "grid-encoder-reverse.png"),
    ("lines", "decoder-reverse", "lines-decoder-reverse.png"),
    ("vit", "vit-digits", "vit-digits-cls.png"),
]
SENTENCE = "The animal didn't cross the street because it was too tired"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, help="folder with the decoder-reverse, encoder-reverse and vit-digits runs")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "figures")
    args = parser.parse_args()
    from playground.cli import main as cli

    args.out.mkdir(parents=True, exist_ok=True)
    for view, run, name in STILLS:
        if cli(["attention", str(args.runs / run), "--view", view, "--out", str(args.out / name)]) != 0:
            return 1
    minilm_it(args.out / "lines-minilm-it.png")
    return 0


def minilm_it(path: Path) -> None:
    from playground.core.presets import load_preset
    from playground.training.session import TrainingSession
    from playground.viz import render_lines

    session = TrainingSession(load_preset("bert-pronoun").updated({"train.device": "cpu"}))
    snapshot = session.snapshot(session.dataset.example(SENTENCE))
    it, animal = snapshot.labels.index("it"), snapshot.labels.index("animal")
    to_animal = snapshot.weights[:, :, it, animal]
    layer, head = (int(i) for i in np.unravel_index(to_animal.argmax(), to_animal.shape))  # 0-based indices
    render_lines(snapshot, heads=head, layer=layer, highlight=it,
                 title=f"Pretrained MiniLM: 'it' in layer {layer + 1}, head {head + 1} (before fine-tuning)").save(path)
    print(f"wrote {path} (layer {layer + 1}, head {head + 1} counted from 1)")


if __name__ == "__main__":
    raise SystemExit(main())
