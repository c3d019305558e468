"""The churn benchmark keeps working: a --quick run writes results in the documented format.
(No timing is asserted: speed is measured by the benchmark, not tested.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_churn_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "churn.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "churn.py"), "--quick", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "precision_top_decile" in done.stdout
    result = json.loads(out.read_text())
    assert result["benchmark"] == "churn"
    assert {"date", "machine", "data", "rows", "calibration"} <= set(result)
    rows = {r["system"]: r for r in result["rows"]}
    assert {"shopmind-churn-gbm", "shopmind-p_alive", "shopmind-bgnbd", "recency"} <= set(rows)
    for name in ("shopmind-churn-gbm", "shopmind-p_alive", "shopmind-bgnbd"):
        row = rows[name]
        assert {"auc", "precision_top_decile", "brier", "base_rate"} <= set(row), name
        assert 0.0 <= row["auc"] <= 1.0, name
        assert 0.0 <= row["brier"] <= 1.0, name
        bins = result["calibration"][name]
        assert len(bins) == 10, name
        assert sum(b["n"] for b in bins) == row["n_customers"], name
        assert {"bin_low", "bin_high", "mean_predicted", "observed_rate"} <= set(bins[0]), name
    assert rows["recency"]["brier"] is None  # a ranking, not a probability
    assert rows["shopmind-churn-gbm"]["mode"] == "supervised"
    assert rows["shopmind-churn-gbm"]["auc"] > 0.7
