"""Helpers shared by the tests (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
import uvicorn
from fastapi.testclient import TestClient

from shopmind.devtools.postgres import free_port
from shopmind.engine import Shopmind

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


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


@contextmanager
def console_page(browser: Browser, base_url: str, username: str, password: str) -> Iterator[Page]:
    """A console page logged in as *username* (Chinese, the default); fails the test on any
    JavaScript error."""
    ctx = browser.new_context(base_url=base_url, viewport={"width": 1360, "height": 1000})
    ctx.set_default_timeout(15_000)
    errors: list[str] = []
    p = ctx.new_page()
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.goto("/console/login")
    p.fill("input[name=username]", username)
    p.fill("input[name=password]", password)
    p.click("#login-user")
    p.wait_for_load_state("load")
    yield p
    ctx.close()
    assert not errors, errors
