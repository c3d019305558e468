"""A throwaway PostgreSQL server for tests and benchmarks, started from Debian's binaries.

It lives in a temporary folder, listens on a free loopback port, trusts local connections and
runs with fsync off: it measures shopmind, not the disk. As root it runs as the ``postgres`` user
(initdb refuses root). Set ``SHOPMIND_TEST_POSTGRES_URL`` to use a server of your own instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from shopmind.errors import MissingDependencyError


def _bindir() -> Path | None:
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(d, "initdb").exists():
            return Path(d)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """URL (without a database name) of a PostgreSQL server living as long as the context."""
    if url := os.environ.get("SHOPMIND_TEST_POSTGRES_URL"):
        yield url.rsplit("/", 1)[0]
        return
    bindir = _bindir()
    if bindir is None:
        raise MissingDependencyError(
            "PostgreSQL server binaries not found. Run `make system-deps` (installs Debian's postgresql)."
        )
    base = Path(tempfile.mkdtemp(prefix="shopmind-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:
        run_as = ["runuser", "-u", "postgres", "--"]
        for p in (base, sock):
            shutil.chown(p, "postgres", "postgres")
    initdb = [
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "shopmind",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    ]
    subprocess.run([*run_as, *initdb], check=True, capture_output=True)
    port = free_port()
    opts = (
        f"-p {port} -k {sock} -c listen_addresses=127.0.0.1"
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    pg_ctl = [*run_as, str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run([*pg_ctl, "-o", opts, "-l", str(log), "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://shopmind@127.0.0.1:{port}"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def new_database(server: str) -> str:
    """Create an empty database on ``server``; returns its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"
