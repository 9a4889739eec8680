"""Issue 21: a lecturer's demo, played end to end on the real window with pytest-qt, checking what the class sees
at each step. The default preset is shrunk to a one-layer model so the whole demo takes seconds."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QPushButton, QSlider
from test_ui_data_options import choose

from playground.core.presets import DEFAULT_PRESET, load_preset
from playground.ui import file_dialogs
from playground.ui.main_window import PREPARING
from playground.ui.window_room import PRESENTATION_ZOOM

WAIT_MS = 60_000  # torch and the pretrained MiniLM load on a loaded 2-core machine
SMALL = {"model.n_embd": 32, "model.n_head": 2, "model.n_layer": 1, "model.d_ff": 64, "model.block_size": 16,
         "train.batch_size": 8, "train.warmup_steps": 2, "train.eval_interval": 5, "train.eval_batches": 1,
         "train.compile": "off", "train.device": "cpu"}


def key(qtbot, window, name: str, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{name}"), modifier)


@pytest.mark.slow
def test_a_lecturers_demo_from_the_default_preset_to_the_pretrained_bert(open_window, qtbot, tmp_path, monkeypatch):
    spec = load_preset(DEFAULT_PRESET).updated(SMALL)
    window = open_window(spec)
    assert window.spec.model.family == "decoder" and "Python" in window.windowTitle()
    assert window.tabs.currentWidget() is window.attention and window.loss.train.n == 0

    # Play: the first loss point and the first sample come within the first steps.
    window.samples.promptEdit.setText("def ")
    qtbot.mouseClick(window.findChild(QPushButton, "playButton"), Qt.MouseButton.LeftButton)
    assert window.playButton.text() == "Pause"
    qtbot.waitUntil(lambda: window.loss.train.n >= 1 and bool(window.samples.samples), timeout=WAIT_MS)
    assert window.samples.samples[0].step == 1 and window.samples.samples[0].prompt == "def "
    key(qtbot, window, "Space")  # pause
    assert window.playButton.text() == "Play"
    # Paused after the step under way: the curve and the heatmaps show that step (once no step is under way: a fresh
    # clone's CI read the step before it, and Inside attention then showed the one after)
    qtbot.waitUntil(lambda: window.worker.idle and window.attentionGrid.snapshot is not None
                    and window.loss.train.n == window.attentionGrid.snapshot.step == window.worker.step,
                    timeout=WAIT_MS)
    steps = window.worker.step

    # Hover a cell of the grid: the read-out under it names the head, the two tokens and the weight.
    grid = window.attentionGrid
    scene_point = grid.views[0][1].mapViewToScene(QPointF(1.5, 3.5))
    qtbot.mouseMove(grid.viewport(), grid.mapFromScene(scene_point))
    snap = grid.snapshot
    qtbot.waitUntil(lambda: window.attention.hover.text().startswith("layer 1 · head 2 · query"))
    assert f"{snap.weights[0, 1, 3, 1]:.3f}" in window.attention.hover.text()

    # Switch view: Inside attention computes Step by step for this model, at this step.
    window.tabs.setCurrentWidget(window.inside)
    qtbot.waitUntil(lambda: window.inside.result is not None and window.inside.result.step == steps, timeout=WAIT_MS)

    # A size slider rebuilds the model; Ctrl+Z brings the trained one back, curve and all.
    window.findChild(QSlider, "headsSlider").setValue(1)
    assert window.spec.model.n_head == 1 and window.loss.train.n == 0 and window.undoAction.isEnabled()
    key(qtbot, window, "Z", Qt.KeyboardModifier.ControlModifier)
    assert window.spec.model.n_head == 2 and window.loss.train.n == steps and window.progressBar.value() == steps

    # Another family: nothing of the decoder stays on screen (test_ui_lecture trains each family in turn).
    family = window.findChild(QComboBox, "familyCombo")
    choose(family, "vit")
    assert window.spec.model.family == "vit" and "Vision" in window.windowTitle() and window.worker is None
    assert window.attentionGrid.snapshot is None and window.loss.train.n == 0 and window.samples.samples == []
    assert not window.tabs.isTabVisible(window.tabs.indexOf(window.samples))
    assert "Transformer block" in window.architecture.scene.texts and "Patch embedding" in window.architecture.scene.texts

    # The pretrained BERT: Try it answers the lecture's sentence, before fine-tuning and now.
    choose(family, "pretrained")
    try_it = window.runTools.tryIt
    assert window.spec.model.pretrained and window.tabs.isTabVisible(window.tabs.indexOf(try_it))
    window.tabs.setCurrentWidget(try_it)
    qtbot.mouseClick(try_it.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: try_it.result is not None, timeout=WAIT_MS)
    assert {name for name, _ in try_it.probabilities} == {"first noun", "second noun"}
    assert "step 0" in try_it.nowTitle.text() and not try_it.nowImage.pixmap().isNull()
    assert window.statusBar().currentMessage() != PREPARING  # the model is built: no stale "preparing"

    # Presentation mode on and off: the fonts and the plots' axes grow for the back row, then shrink back.
    normal = QApplication.font().pointSizeF()
    key(qtbot, window, "F5")
    ticks = window.lossPlot.getPlotItem().getAxis("left")
    assert window.zoom == PRESENTATION_ZOOM and window.presentAction.isChecked()
    qtbot.waitUntil(lambda: ticks.style["tickFont"].pointSizeF() == pytest.approx(normal * PRESENTATION_ZOOM))
    key(qtbot, window, "F5")
    assert window.zoom == 1.0 and QApplication.font().pointSizeF() == pytest.approx(normal)
    qtbot.waitUntil(lambda: ticks.style["tickFont"].pointSizeF() == pytest.approx(normal))

    # Save the preset, then close: the run stops, its threads end, nothing is left running.
    target = tmp_path / "my-demo.json"
    monkeypatch.setattr(file_dialogs, "save_file", lambda *args, **kwargs: (str(target), ""))
    window.saveAsAction.trigger()
    assert load_preset(target) == window.spec and not window.isWindowModified() and "my-demo.json" in window.windowTitle()
    workers = window.workers()
    window.close()
    assert not window.isVisible() and window.worker is None
    assert all(w.isFinished() for w in workers) and window.unfinished_threads == []


@pytest.mark.slow
def test_a_finished_run_says_so_where_the_speed_was(open_window, qtbot):
    from test_ui_training import TINY

    from playground.core.spec import make_spec

    window = open_window(make_spec(TINY).updated({"train.max_steps": 3}))
    window.play()
    qtbot.waitUntil(lambda: window.speedLabel.text() == "finished", timeout=WAIT_MS)
    assert window.etaLabel.text() == "" and window.stepLabel.text() == "step 3 / 3" and window.playButton.text() == "Play"
    assert window.speedLabel.toolTip() == ""  # (QA: "Training speed over the last steps." over a finished run's)
    window.speedLabel.setText("1,234 tokens/s")
    assert window.speedLabel.toolTip() == "Training speed over the last steps."
