"""`playground bench --smoke`: runs in seconds and writes every field the full bench reports (no timing checks)."""

import json

from playground.cli import main


def test_bench_smoke_writes_the_fields(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "bench.json"
    assert main(["bench", "--smoke", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    row = result["training"][0]
    for key in ("playground_per_s", "reference_per_s", "speed_ratio", "playground_val_loss", "reference_val_loss",
                "val_loss_ratio", "compile_s", "path"):
        assert key in row
    assert row["speed_ratio"] > 0 and row["playground_val_loss"] > 0
    assert result["contention"]["contended_ratio"] > 0
    assert "one_thread_speed_ratio" in result["threads"]
    assert result["capture"]["percent_at_interval"] >= 0
    assert result["memory"]["growth_ratio"] > 0

