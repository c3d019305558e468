"""Shared fixtures: a real PostgreSQL server for the session, stores on both backends, an
installation in a temporary folder and an API client.

The PostgreSQL server is a throwaway one (``shopmind.devtools.postgres``) started from Debian's
binaries (``make system-deps`` installs them). Set ``SHOPMIND_TEST_POSTGRES_URL`` to use a server of
your own instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopmind.config import Settings
from shopmind.devtools.postgres import new_database, postgres_server
from shopmind.engine import Shopmind
from shopmind.errors import MissingDependencyError
from shopmind.store import Store, open_store

# Training all models would embed every test catalog with the multilingual model (about a dozen
# texts a second here); tests that exercise semantic search turn it on explicitly.
os.environ.setdefault("SHOPMIND_SEARCH_SEMANTIC", "false")
os.environ.setdefault("SHOPMIND_ASSISTANT_SEMANTIC", "false")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL (without database) of a PostgreSQL server running for the whole test session."""
    try:
        with postgres_server() as url:
            yield url
    except MissingDependencyError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def pg_url(pg_server: str) -> str:
    return new_database(pg_server)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.db'}"
    return new_database(request.getfixturevalue("pg_server"))


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
