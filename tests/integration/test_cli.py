"""The CLI as a user runs it: a real subprocess, exit codes, JSON output, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SHOPMIND_DATA_DIR": str(tmp_path / "data"),
        "SHOPMIND_SECRET_KEY": "cli-test",
        "COLUMNS": "200",
    }
    env.pop("SHOPMIND_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "shopmind.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_init_import_status_keys(tmp_path: Path) -> None:
    r = run(tmp_path, "init", "--shop", "farm", "--json")
    assert r.returncode == 0, r.stderr
    key = json.loads(r.stdout)["api_key"]
    assert key.startswith("sm_")

    csv = tmp_path / "products.csv"
    csv.write_text("sku,title,price\np1,蜂蜜,30\np2,,10\np3,茶叶,abc\np4,鸡蛋,2\n", encoding="utf-8")
    r = run(tmp_path, "import", str(csv), "--shop", "farm", "--table", "products", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)[0]
    assert (summary["inserted"], summary["rejected"]) == (2, 2)
    assert Path(summary["rejects_file"]).exists()
    r = run(tmp_path, "import", str(csv), "--shop", "farm", "--table", "products")
    assert r.returncode == 0
    assert "rejected" in r.stdout
    assert "row 3, column 'title'" in r.stdout

    r = run(tmp_path, "status", "--shop", "farm", "--json")
    status = json.loads(r.stdout)
    assert status["shops"][0]["counts"]["products"] == 2

    r = run(tmp_path, "keys", "create", "--shop", "farm", "--role", "service", "--json")
    key_id = json.loads(r.stdout)["key_id"]
    assert run(tmp_path, "keys", "revoke", key_id).returncode == 0
    listed = json.loads(run(tmp_path, "keys", "list", "--shop", "farm", "--json").stdout)
    assert {k["key_id"]: k["revoked_at"] is not None for k in listed}[key_id] is True
    assert all("secret_hash" not in k for k in listed)

    r = run(tmp_path, "train", "--shop", "farm", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["kind"] == "popularity"

    # The CLI's imports, trainings and key changes are in the audit log, under the OS user.
    from shopmind.config import Settings
    from shopmind.engine import Shopmind

    sm = Shopmind.open(Settings(data_dir=tmp_path / "data", secret_key="cli-test"))
    actions = {(e["action"], e["resource"]) for e in sm.audit_entries("farm") if e["actor"].startswith("cli")}
    assert {
        ("import", "products"),
        ("train", "models/popularity"),
        ("delete", f"api_keys/{key_id}"),
    } <= actions


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["status", "--shop", "nope"], 3, "Shop 'nope' does not exist"),
        (["import", "missing.csv", "--shop", "farm", "--table", "orders"], 3, "does not exist"),
        (["keys", "create", "--shop", "farm", "--role", "king"], 2, "Unknown role 'king'"),
        (["train", "nope", "--shop", "farm"], 2, "Unknown model kind 'nope'"),
        (["import", "--shop", "farm", "--dataset", "nope"], 2, "Unknown dataset 'nope'"),
        (["keys", "revoke", "000000000000"], 3, "No API key"),
        (["init", "--shop", "Bad Shop"], 2, "not valid"),
        (["frobnicate"], 2, "No such command"),
    ],
)
def test_user_mistakes_get_a_message_not_a_traceback(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    assert run(tmp_path, "init", "--shop", "farm").returncode == 0
    r = run(tmp_path, *args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_cdnow_dataset_import(tmp_path: Path) -> None:
    assert run(tmp_path, "init", "--shop", "cd", "--currency", "USD").returncode == 0
    r = run(tmp_path, "import", "--dataset", "cdnow", "--shop", "cd", "--json")
    assert r.returncode == 0, r.stderr
    by_table = {x["table"]: x for x in json.loads(r.stdout)}
    assert by_table["orders"]["inserted"] == 69_659
    assert by_table["customers"]["inserted"] == 23_570
    assert by_table["orders"]["rejected"] == 0
    again = {
        x["table"]: x
        for x in json.loads(run(tmp_path, "import", "--dataset", "cdnow", "--shop", "cd", "--json").stdout)
    }
    assert (again["orders"]["inserted"], again["orders"]["updated"], again["orders"]["unchanged"]) == (
        0,
        0,
        69_659,
    )
    assert (again["customers"]["inserted"], again["customers"]["updated"]) == (0, 0)


def test_chat_with_the_assistant(tmp_path: Path) -> None:
    assert run(tmp_path, "init", "--shop", "farm").returncode == 0
    r = run(tmp_path, "chat", "你好", "--shop", "farm")
    assert r.returncode == 0, r.stderr
    assert "智能客服" in r.stdout
    assert "greeting" in r.stdout
    r = run(tmp_path, "chat", "我要转人工", "--shop", "farm", "--json")
    first = json.loads(r.stdout)
    assert first["reply"]["handoff"] is True
    assert first["ticket_id"]
    r = run(tmp_path, "chat", "   ", "--shop", "farm")
    assert r.returncode != 0
    assert "The message is empty" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
