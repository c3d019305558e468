"""benchmarks/forecast_backtest.py keeps working: a quick run on Dominick's orange juice writes results in
the documented format. Only the shape is checked (the figures are the benchmark's business)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shopmind.datasets import real

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "benchmarks" / "forecast_backtest.py"
SYSTEMS = {
    "shopmind",
    "shopmind-ml",
    "shopmind-ml (no calendar)",
    "seasonal-naive",
    "autoets",
    "autoarima",
    "prophet",
}
METRICS = {"mase", "wape", "bias", "coverage80", "coverage95", "mase_deal", "wape_deal", "fit_s", "points"}


@pytest.mark.slow
def test_forecast_backtest_quick_run(tmp_path: Path) -> None:
    try:
        real.bayesm_rda_path()
    except real.MissingDatasetError as exc:
        pytest.skip(str(exc))
    out = tmp_path / "forecast_backtest.json"
    cmd = [sys.executable, str(SCRIPT), "--quick", "--prophet", "off", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "mase_deal" in done.stdout
    result = json.loads(out.read_text())
    assert result["benchmark"] == "forecast_backtest"
    assert {"date", "machine", "data", "rows", "notes", "goals", "origins", "new_products"} <= set(result)
    assert result["quick"] is True
    assert result["windows"] == len(result["origins"]) == 1
    rows = result["rows"]
    assert {(r["system"], r["horizon"]) for r in rows} == {(s, h) for s in SYSTEMS for h in (12, 4)}
    for r in rows:
        if r["system"] == "prophet":
            assert r["skipped"] == "--prophet off"
            continue
        assert set(r) >= METRICS, r["system"]
        assert 0 <= r["coverage80"] <= r["coverage95"] <= 1
        assert r["mase"] > 0
        assert r["wape"] > 0
    assert {"h12", "h4"} == set(result["goals"])
    assert set(result["selection"]) == {"h12", "h4"}
    systems = {r["system"] for r in result["new_products"]}
    assert systems == {"shopmind-similar-products", "category-mean", "own-history-level (reference)"}
