"""The assistant benchmarks keep working: smoke runs write results in the documented format. (The
figures are measured by the benchmarks and reported in docs/assistant.md, not asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _run(script: str, *args: str) -> dict[str, object]:
    out = Path(args[args.index("--out") + 1])
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(out.read_text())
    return result


def test_assistant_eval_smoke_run(tmp_path: Path) -> None:
    result = _run("assistant_eval.py", "--limit", "80", "--no-semantic", "--out", str(tmp_path / "e.json"))
    assert result["benchmark"] == "assistant_eval"
    rows = {r["system"]: r for r in result["rows"]}  # type: ignore[attr-defined]
    assert set(rows) == {"shopmind", "tfidf-lr"}
    for key in ("intent_accuracy", "intent_accuracy_zh", "intent_accuracy_en", "oos_recall"):
        assert 0 <= rows["shopmind"][key] <= 1
        assert 0 <= rows["tfidf-lr"][key] <= 1
    assert 0 <= rows["shopmind"]["groundedness"] <= 1
    assert 0 <= rows["shopmind"]["handoff_precision"] <= 1


def test_assistant_speed_smoke_run(tmp_path: Path) -> None:
    result = _run("assistant.py", "--conversations", "6", "--no-semantic", "--out", str(tmp_path / "s.json"))
    (ours, _) = result["rows"]  # type: ignore[misc]
    assert ours["system"] == "shopmind"
    assert {"p50_ms", "p95_ms", "conversations_per_s"} <= set(ours)
    assert result["replies"] == 24
