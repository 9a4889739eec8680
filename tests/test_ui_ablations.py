"""Issue 24 in the window: the ablation controls of the settings panel, driven as a student would."""

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel

from playground.core.presets import load_preset
from playground.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    w = MainWindow(load_preset("decoder-reverse"))
    qtbot.addWidget(w)
    w.show()
    return w


def control(window: MainWindow, kind: type, name: str):
    found = window.findChild(kind, name)
    assert found is not None, name
    return found


def choose(combo: QComboBox, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))
    combo.activated.emit(combo.currentIndex())


def test_each_ablation_has_a_control_with_a_lecture_tooltip(window):
    words = {"residualCheck": "x + attention(x)", "causalCheck": "upper", "scaleCheck": "√d",
             "normCombo": "LN(x + sublayer(x))", "positionsCombo": "order-blind"}
    for name, phrase in words.items():
        kind = QCheckBox if name.endswith("Check") else QComboBox
        assert phrase in control(window, kind, name).toolTip(), name


@pytest.mark.slow
def test_unticking_and_choosing_change_the_spec_and_the_estimates(window):
    params = window.findChild(QLabel, "paramCountLabel")
    before = params.text()
    for name, key in (("residualCheck", "residual"), ("causalCheck", "causal"), ("scaleCheck", "scale_scores")):
        check = control(window, QCheckBox, name)
        assert check.isChecked() and getattr(window.spec.model, key) is True
        check.click()
        assert getattr(window.spec.model, key) is False, key
    assert params.text() == before  # none of the three adds or removes a weight
    choose(control(window, QComboBox, "positionsCombo"), "none")
    assert window.spec.model.pos_encoding == "none" and params.text() != before  # the position table is gone
    choose(control(window, QComboBox, "normCombo"), "none")
    assert window.spec.model.norm == "none"


@pytest.mark.slow
def test_the_causal_mask_is_offered_for_the_decoder_only(window):
    check = control(window, QCheckBox, "causalCheck")
    assert check.isVisible()
    window.load_spec(load_preset("encoder-reverse"), None)
    assert not check.isVisible() and window.spec.model.causal is False
    norm = control(window, QComboBox, "normCombo")
    assert norm.currentData() == "post"  # BERT's own layout


@pytest.mark.slow
def test_a_preset_with_ablations_shows_them(window):
    window.load_spec(load_preset("decoder-reverse").updated(
        {"model.residual": False, "model.norm": "post", "model.pos_encoding": "sinusoidal", "model.causal": False,
         "model.scale_scores": False}), None)
    assert not control(window, QCheckBox, "residualCheck").isChecked()
    assert not control(window, QCheckBox, "causalCheck").isChecked()
    assert not control(window, QCheckBox, "scaleCheck").isChecked()
    assert control(window, QComboBox, "normCombo").currentData() == "post"
    assert control(window, QComboBox, "positionsCombo").currentData() == "sinusoidal"


@pytest.mark.slow
def test_the_pretrained_model_keeps_its_design_and_says_why(window):
    family = control(window, QComboBox, "familyCombo")
    control(window, QCheckBox, "residualCheck").click()  # an ablation before switching to fine-tuning
    choose(family, "pretrained")
    spec = window.spec.model
    assert spec.pretrained == "minilm" and spec.residual and spec.norm == "post" and not spec.causal
    for name in ("residualCheck", "scaleCheck"):
        check = control(window, QCheckBox, name)
        assert not check.isEnabled() and "pretrained MiniLM" in check.toolTip()
    assert not control(window, QComboBox, "normCombo").isEnabled()
    choose(family, "decoder")  # a from-scratch family again: its own design, unlocked
    spec = window.spec.model
    assert spec.causal and spec.norm == "pre" and control(window, QCheckBox, "residualCheck").isEnabled()
