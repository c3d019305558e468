"""benchmarks/customers.py keeps working: a quick run writes results in the documented format, with or
without PyMC-Marketing installed. (No timing is asserted: speed is measured by the benchmark.)"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "benchmarks" / "customers.py"
SHOPMIND_METRICS = {
    "r",
    "alpha",
    "a",
    "b",
    "fit_s",
    "holdout_mae",
    "holdout_pred",
    "holdout_actual",
    "refresh_1m_s",
    "peak_mb",
    "refresh_cdnow_s",
}
CHART_LABELS = ["0", "1", "2", "3", "4", "5", "6", "7+", "all"]


def _check_shape(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert result["benchmark"] == "customers"
    assert {"date", "machine", "data", "rows", "calibration_chart"} <= set(result)
    rows = {r["system"]: r for r in result["rows"]}
    assert {"shopmind", "pymc-marketing", "pymc-marketing (flat priors)"} <= set(rows)
    shop = rows["shopmind"]
    assert set(shop) >= SHOPMIND_METRICS
    assert shop["r"] == pytest.approx(0.243, rel=0.02)
    assert 0 < shop["holdout_mae"] < 2
    assert shop["holdout_actual"] == 19_684
    assert shop["refresh_customers"] == 3_000
    chart = result["calibration_chart"]
    assert [line["calibration_repeat_purchases"] for line in chart] == CHART_LABELS
    assert all({"customers", "actual", "shopmind"} <= set(line) for line in chart)
    return rows


@pytest.mark.slow
def test_customers_benchmark_quick_run(tmp_path: Path) -> None:
    out = tmp_path / "customers.json"
    cmd = [sys.executable, str(SCRIPT), "--quick", "--customers", "3000", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "holdout_mae" in done.stdout
    rows = _check_shape(json.loads(out.read_text()))
    # --quick leaves the peers out unless asked (--pymc on), and says so.
    assert "skipped" in rows["pymc-marketing"]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_customers", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_customers_benchmark_without_pymc_marketing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI installs the dev extra only: the peer rows then say why they were skipped."""
    bench = _load_script()
    monkeypatch.setattr(
        bench,
        "pymc_available",
        lambda: (False, "pymc-marketing is not installed (pip install -e '.[bench]')"),
    )
    out = tmp_path / "customers.json"
    assert bench.main(["--quick", "--customers", "3000", "--pymc", "on", "--out", str(out)]) == 0
    rows = _check_shape(json.loads(out.read_text()))
    for name in ("pymc-marketing", "pymc-marketing (flat priors)"):
        assert "not installed" in rows[name]["skipped"]
