"""`playground attention RUN --out views.html`: one self-contained page (no network) holding the model's numbers."""

import json
import re

import numpy as np
import pytest

from playground.cli import main
from playground.training.session import TrainingSession
from playground.viz import html as page_module

TINY = ["--set", "model.n_layer=2", "--set", "model.n_embd=32", "--set", "model.n_head=2", "--set", "model.d_ff=64",
        "--set", "train.batch_size=8", "--device", "cpu"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "encoder"
    assert main(["train", "encoder-reverse", "--steps", "5", "--out", str(out), *TINY]) == 0
    return out


def page_data(text: str) -> dict:
    found = re.search(r'<script id="attention-data" type="application/json">(.*?)</script>', text, re.S)
    assert found, "the numbers are inline"
    return json.loads(found.group(1))


@pytest.mark.slow
def test_the_page_is_one_offline_file_with_the_models_numbers(run_dir, tmp_path, capsys):
    out = tmp_path / "views.html"
    assert main(["attention", str(run_dir), "--input", "3 1 4", "--layer", "2", "--head", "2", "--out", str(out)]) == 0
    size = out.stat().st_size  # said as it is (CLI QA: a 30 KB page "0.0 MB")
    assert f"wrote {out} ({size / 1024:.1f} KiB, one file" in capsys.readouterr().err and 1024 < size < 2**20
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"https?://|//cdn|<script[^>]*\bsrc=|<link\b|@import|url\(", text), "nothing loads from elsewhere"
    assert text.count("<script") == 2 and "<style>" in text  # the data and the program, both inline

    data = page_data(text)
    session = TrainingSession.resume(run_dir / "checkpoint")
    snapshot = session.snapshot(session.dataset.example("3 1 4"))
    assert data["labels"][:3] == ["3", "1", "4"] and len(data["labels"]) == snapshot.weights.shape[-1]
    assert data["selected"] == [1, 1] and (data["nLayers"], data["nHeads"]) == snapshot.weights.shape[:2]
    np.testing.assert_allclose(np.array(data["weights"]).reshape(snapshot.weights.shape), snapshot.weights,
                               rtol=1e-3, atol=1e-6)
    assert set(data["steps"]) == {"0,0", "0,1", "1,0", "1,1"}
    keys = [s["key"] for s in data["stepInfo"]]
    assert keys == ["q", "k", "v", "scores", "scaled", "mask", "masked", "weights", "output"]
    head = data["steps"]["1,1"]
    np.testing.assert_allclose(head["weights"]["v"], snapshot.weights[1, 1].ravel(), rtol=1e-3, atol=1e-6)
    masked = np.array([np.nan if v is None else v for v in head["masked"]["v"]])
    assert np.array_equal(np.isnan(masked), ~np.array(head["mask"]["v"], dtype=bool)), "-inf written as null"


def test_a_large_model_keeps_the_steps_of_the_chosen_head_only(run_dir, monkeypatch):
    monkeypatch.setattr(page_module, "ALL_STEPS_LIMIT", 0)
    session = TrainingSession.resume(run_dir / "checkpoint")
    data = page_data(page_module.attention_page(session, None, layer=1, head=0))
    assert list(data["steps"]) == ["1,0"] and not data["allSteps"]


def test_the_page_takes_no_single_view_options(run_dir, tmp_path, capsys):
    assert main(["attention", str(run_dir), "--view", "lines", "--out", str(tmp_path / "v.html")]) == 2
    assert "drop --view" in capsys.readouterr().err
    assert not (tmp_path / "v.html").exists()
