"""The benchmark scripts keep working: a smoke run writes results in the documented format.
(No timing is asserted: speed is measured by the benchmarks, not tested.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_ingest_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "ingest.json"
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "ingest.py"),
        "--quick",
        "--batches",
        "3",
        "--backends",
        "sqlite",
        "--no-import",
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "events_per_s" in done.stdout
    result = json.loads(out.read_text())
    assert result["benchmark"] == "ingest"
    assert {"date", "machine", "data", "rows"} <= set(result)
    sqlite = next(r for r in result["rows"] if r["system"] == "shopmind-sqlite")
    assert sqlite["events_per_s"] > 0
