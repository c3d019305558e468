"""Shared fixtures: a real PostgreSQL server for the session, stores on both backends, an
installation in a temporary folder and an API client.

The PostgreSQL server is started from Debian's binaries (``make system-deps`` installs them) in a
temporary folder, on a free loopback port, with fsync off (tests, not durability). Set
``SHOPMIND_TEST_POSTGRES_URL`` to use a server of your own instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopmind.config import Settings
from shopmind.engine import Shopmind
from shopmind.store import Store, open_store


def _pg_bindir() -> Path | None:
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(d, "initdb").exists():
            return Path(d)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL (without database) of a PostgreSQL server running for the whole test session."""
    if url := os.environ.get("SHOPMIND_TEST_POSTGRES_URL"):
        yield url.rsplit("/", 1)[0]
        return
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries not found. Run `make system-deps` (installs Debian's postgresql)."
        )
    base = Path(tempfile.mkdtemp(prefix="shopmind-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as the postgres user
        run_as = ["runuser", "-u", "postgres", "--"]
        for p in (base, sock):
            shutil.chown(p, "postgres", "postgres")
    subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "shopmind",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://shopmind@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


def new_pg_database(server: str) -> str:
    """Create an empty database on the test server; returns its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


@pytest.fixture
def pg_url(pg_server: str) -> str:
    return new_pg_database(pg_server)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.db'}"
    return new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture
def sm(store_url: str, tmp_path: Path) -> Iterator[Shopmind]:
    """An installation (on each backend) with two shops, ``a`` and ``b``."""
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url, secret_key="test-secret")
    inst = Shopmind.open(settings)
    inst.create_shop("a", "Shop A")
    inst.create_shop("b", "Shop B")
    yield inst
    inst.close()


@pytest.fixture
def sqlite_sm(tmp_path: Path) -> Iterator[Shopmind]:
    """An installation on SQLite only, with shops ``a`` and ``b``."""
    settings = Settings(
        data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'shop.db'}", secret_key="test-secret"
    )
    inst = Shopmind.open(settings)
    inst.create_shop("a", "Shop A")
    inst.create_shop("b", "Shop B")
    yield inst
    inst.close()
