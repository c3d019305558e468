"""The search relevance benchmark keeps working: a smoke run on the real electronics listings writes
results in the documented format. (Figures are measured by the benchmark, not asserted here,
except that shopmind's row exists and is a valid nDCG.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_search_relevance_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "search_relevance.json"
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "search_relevance.py"),
        "--catalog",
        "electronics",
        "--systems",
        "shopmind,sqlite-fts5",
        "--no-semantic",
        "--no-visual",
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["benchmark"] == "search_relevance"
    rows = {r["system"]: r for r in result["rows"]}
    assert {"shopmind", "sqlite-fts5"} <= set(rows)
    for row in rows.values():
        assert 0 <= row["ndcg@10"] <= 1
        assert 0 <= row["zero_result_rate"] <= 1
        assert "ndcg@10_typo" in row
