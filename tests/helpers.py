"""Helpers shared by the tests (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shopmind.engine import Shopmind


def client_for(inst: Shopmind) -> TestClient:
    from shopmind.api.app import create_app

    return TestClient(create_app(inst), raise_server_exceptions=False)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
