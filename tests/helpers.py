"""Helpers shared by the tests (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi.testclient import TestClient

from shopmind.devtools.postgres import free_port
from shopmind.engine import Shopmind


def client_for(inst: Shopmind) -> TestClient:
    from shopmind.api.app import create_app

    return TestClient(create_app(inst), raise_server_exceptions=False)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@contextmanager
def serve(sm: Shopmind) -> Iterator[str]:
    """Serve *sm*'s API and console in a thread; yields the base URL once /healthz answers."""
    from shopmind.api.app import create_app as _create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(_create_app(sm), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-e2e", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as r:
                if r.status == 200 and json.loads(r.read())["ok"]:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            pytest.fail(f"uvicorn did not answer {base_url}/healthz within 15 s")
        time.sleep(0.05)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(10)
