"""Screenshots of the "Inside attention" and "Architecture" tabs after some real training.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots_attention.py [--steps-scale 1.0] [--size 1280x720] [--out DIR]

Writes steps.png, head-view.png, roles.png, embeddings.png and architecture.png (an encoder learning to
reverse a sequence) and vit-attention.png (a ViT on the digits). Settings and run folders go to a
temporary folder, never the user's.
"""

from __future__ import annotations

import argparse
import sys
import time

from shots import parse_shot_args, pump, scratch_app

FAST = {"train.snapshot_interval": 10, "train.eval_interval": 50, "train.device": "cpu"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps-scale", type=float, default=1.0, help="multiply the training steps (0.1 = quick look)")
    args = parse_shot_args(parser)
    app = scratch_app()

    from playground.core.presets import load_preset
    from playground.ui.main_window import MainWindow

    def spin(seconds: float) -> None:
        pump(app, seconds)

    def trained(preset: str, steps: int) -> MainWindow:
        window = MainWindow(load_preset(preset).updated(FAST))
        window.resize(*args.size)
        window.show()
        window.centreSplitter.setSizes([220, 640])  # the loss plot small, the tab large
        window.tabs.setCurrentWidget(window.inside)
        window.play()
        started = time.perf_counter()
        while window.progressBar.value() < max(2, int(steps * args.steps_scale)) and time.perf_counter() - started < 600:
            app.processEvents()
            time.sleep(0.02)
        window.pause()
        spin(1.5)
        return window

    def wait_result(window: MainWindow, text: str) -> None:
        started = time.perf_counter()
        while time.perf_counter() - started < 30:
            result = window.inside.result
            if result is not None and result.text == text and window.inside._pending is None:
                break
            spin(0.05)
        spin(0.3)

    def shot(window: MainWindow, name: str) -> None:
        target = args.out / name
        window.grab().save(str(target))
        print(f"{target}: step {window.progressBar.value()}", file=sys.stderr)

    window = trained("encoder-reverse", 300)
    inside = window.inside
    inside.set_input("3 1 4 1 5 9 2 6 5 3")
    wait_result(window, "3 1 4 1 5 9 2 6 5 3")
    inside.tabs.setCurrentWidget(inside.steps)
    spin(0.3)
    shot(window, "steps.png")
    inside.tabs.setCurrentWidget(inside.headView)
    inside.headView.select(0, None)  # layer 1: the mirror pattern
    spin(0.3)
    lines = inside.headView.lines
    lines.set_hover(("query", 2))
    spin(0.2)
    shot(window, "head-view.png")
    inside.tabs.setCurrentWidget(inside.roles)
    spin(0.5)
    inside.roles.slider.setValue(inside.roles.slider.maximum() // 3)
    spin(0.3)
    shot(window, "roles.png")
    inside.tabs.setCurrentWidget(inside.embeddings)
    started = time.perf_counter()
    while inside.embeddings.positions.points is None and time.perf_counter() - started < 30:
        spin(0.1)
    spin(0.5)
    shot(window, "embeddings.png")
    window.tabs.setCurrentWidget(window.architecture)
    spin(0.3)
    shot(window, "architecture.png")
    window.close()

    window = trained("vit-digits", 200)
    window.inside.tabs.setCurrentWidget(window.inside.vit)
    window.inside.use_probe()
    spin(2.0)
    shot(window, "vit-attention.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
