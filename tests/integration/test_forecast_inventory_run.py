"""The inventory simulation benchmark keeps working: a --quick run writes results in the documented format.
(No timing and no figure is asserted: the benchmark measures, the unit tests check the rules.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_forecast_inventory_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "forecast_inventory.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "forecast_inventory.py"), "--quick", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "fill_rate" in done.stdout
    assert "expired_units" in done.stdout
    result = json.loads(out.read_text())
    assert result["benchmark"] == "forecast_inventory"
    assert {"date", "machine", "data", "rows", "assumptions", "forecasts"} <= set(result)
    rows = {(r["data"], r["system"]): r for r in result["rows"]}
    expected = {
        ("oj", "shopmind-policy"),
        ("oj", "shopmind-policy-ets@0.95"),
        ("oj", "naive-mean-cover"),
        ("oj", "naive-last-period"),
        ("demo", "shopmind-policy"),
        ("demo", "naive-mean-cover"),
        ("demo", "naive-last-period"),
    }
    assert expected <= set(rows)
    for key, row in rows.items():
        assert {"fill_rate", "stockout_periods", "avg_stock", "expired_units", "orders"} <= set(row), key
        assert 0.0 <= row["fill_rate"] <= 1.0, key
        for metric in ("stockout_periods", "orders", "avg_stock", "expired_units"):
            assert row[metric] >= 0, (key, metric)
        assert row["lost_units"] <= row["demand_units"], key
