"""The canonical store: one interface over SQLite and PostgreSQL, chosen by URL.

``open_store(url)`` migrates the database to the newest schema and returns a :class:`Store`.
Business data is only reachable through :meth:`Store.shop`, which returns a :class:`ShopStore`
bound to one shop: every statement it issues filters by that shop's id, so code that holds a
``ShopStore`` cannot read or write another shop's rows.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    Table,
    and_,
    bindparam,
    create_engine,
    event,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from shopmind.errors import ConflictError, InvalidParameterError, NotFoundError, StoreError
from shopmind.schema import tables as t

_SHOP_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CHUNK = 500  # rows per statement: below SQLite's bound-parameter limit for every table


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did: rows new to the store, rows changed, rows already identical."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


def normalize_url(url: str) -> str:
    """Accept the short forms people type (``postgresql://``) and pick the installed driver."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store at ``url``.

    Parameters
    ----------
    url : str
        ``sqlite:///path/to/shop.db``, ``sqlite://`` (in memory) or ``postgresql://user:pw@host/db``.
    migrate : bool
        Bring the schema to the newest version first (Alembic).
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        else:
            engine = create_engine(
                "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
            )
        event.listen(engine, "connect", _sqlite_pragmas)
    elif url.startswith("postgresql"):
        from shopmind.errors import require

        require("psycopg", "postgresql", "A PostgreSQL store")
        # psycopg prepares statements after 5 runs and PostgreSQL then reuses a generic plan made
        # while a table was still empty: the upsert's key lookup became a full scan as imports
        # grew (6x slower). Custom plans keep using the key index.
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
        )
    else:
        raise InvalidParameterError(
            f"Unsupported database URL {url!r}. Use sqlite:///path/to/shop.db or postgresql://user:pass@host/db."
        )
    store = Store(engine)
    try:
        if migrate:
            store.migrate()
        else:
            with engine.connect():
                pass
    except OperationalError as exc:
        raise StoreError(
            f"Cannot open the database at {engine.url!r}: {exc.orig}. Check the URL and that the server is running."
        ) from exc
    return store


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the API read while an import writes; NORMAL sync is durable across app crashes
    # (WAL is fsynced at checkpoints) and several times faster than FULL.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Store:
    """A database of many shops. Use :meth:`shop` for a shop's data."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def migrate(self) -> None:
        """Upgrade the schema to the newest Alembic revision."""
        from shopmind.store.migrate import upgrade

        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- shops --------------------------------------------------------------------------------
    def create_shop(
        self, shop_id: str, name: str, *, currency: str = "CNY", timezone: str = "Asia/Shanghai"
    ) -> None:
        if not _SHOP_ID.match(shop_id):
            raise InvalidParameterError(
                f"Shop id {shop_id!r} is not valid: use 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit."
            )
        if self.get_shop(shop_id) is not None:
            raise ConflictError(f"Shop {shop_id!r} already exists. Pick another id or use the existing shop.")
        with self.begin() as conn:
            conn.execute(
                t.shops.insert().values(
                    shop_id=shop_id, name=name, currency=currency, timezone=timezone, created_at=utcnow()
                )
            )

    def get_shop(self, shop_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.shops).where(t.shops.c.shop_id == shop_id)).mappings().first()
        return dict(row) if row else None

    def list_shops(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(t.shops).order_by(t.shops.c.shop_id)).mappings()]

    def shop(self, shop_id: str) -> ShopStore:
        """The store seen by one shop. Raises :class:`NotFoundError` for an unknown shop."""
        if self.get_shop(shop_id) is None:
            raise NotFoundError(
                f"Shop {shop_id!r} does not exist. Create it with `shopmind init --shop {shop_id}`."
            )
        return ShopStore(self, shop_id)

    # -- credentials (looked up before the shop is known) ---------------------------------------
    def insert_row(self, table: Table, row: Mapping[str, Any]) -> None:
        with self.begin() as conn:
            conn.execute(table.insert().values(**row))

    def get_api_key(self, key_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.api_keys).where(t.api_keys.c.key_id == key_id)).mappings().first()
        return dict(row) if row else None

    def get_user(self, username: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.users).where(t.users.c.username == username)).mappings().first()
        return dict(row) if row else None


def _same(a: Any, b: Any) -> bool:
    if (isinstance(a, float) and isinstance(b, (int, float))) or (
        isinstance(b, float) and isinstance(a, int)
    ):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        # The database keeps microseconds; both sides are aware.
        return a == b
    return bool(a == b)


class ShopStore:
    """One shop's view of the store. Every statement is filtered by ``shop_id``."""

    def __init__(self, store: Store, shop_id: str) -> None:
        self.store = store
        self.shop_id = shop_id

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def table(name: str) -> Table:
        if name not in t.KEYED_TABLES:
            raise InvalidParameterError(f"Unknown table {name!r}. Use one of: {', '.join(t.DATA_TABLES)}.")
        return t.metadata.tables[name]

    def _where_key(self, table: Table, key: Mapping[str, Any]) -> Any:
        pk = t.KEYED_TABLES[table.name]
        missing = [c for c in pk if c not in key]
        if missing:
            raise InvalidParameterError(
                f"A {table.name} key needs {', '.join(pk)}; missing {', '.join(missing)}."
            )
        return and_(table.c.shop_id == self.shop_id, *[table.c[c] == key[c] for c in pk])

    # -- writes ---------------------------------------------------------------------------------
    def upsert(
        self, table_name: str, rows: Sequence[Mapping[str, Any]], *, conn: Connection | None = None
    ) -> UpsertResult:
        """Insert new rows and update changed ones, keyed by the table's external ids.

        Rows identical to what is stored are left alone, so importing the same data twice changes
        nothing (not even ``updated_at``). Runs in one transaction.
        """
        table = self.table(table_name)
        if conn is None:
            with self.store.begin() as c:
                return self.upsert(table_name, rows, conn=c)
        result = UpsertResult()
        for start in range(0, len(rows), _CHUNK):
            result = result + self._upsert_chunk(conn, table, rows[start : start + _CHUNK])
        return result

    def _upsert_chunk(
        self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> UpsertResult:
        pk = t.KEYED_TABLES[table.name]
        has_ts = "updated_at" in table.c
        by_key: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        key_defaults = {c: _column_default(table, c) for c in pk if table.c[c].default is not None}
        for row in rows:  # within a batch the last row for a key wins, like a sequential replay
            if any(c not in row for c in pk):
                missing = [c for c in pk if c not in row and c not in key_defaults]
                if missing:
                    raise InvalidParameterError(f"A {table.name} row needs {', '.join(missing)}.")
                row = {**key_defaults, **row}
            by_key[tuple(row[c] for c in pk)] = row
        key_cols = [table.c[c] for c in pk]
        existing: dict[tuple[Any, ...], RowMapping] = {}
        if by_key:
            keys = list(by_key)
            cond = tuple_(*key_cols).in_(keys) if len(pk) > 1 else key_cols[0].in_([k[0] for k in keys])
            for r in conn.execute(select(table).where(table.c.shop_id == self.shop_id, cond)).mappings():
                existing[tuple(r[c] for c in pk)] = r
        now = utcnow()
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        unchanged = 0
        for key, row in by_key.items():
            old = existing.get(key)
            if old is None:
                new = {**row, "shop_id": self.shop_id}
                if has_ts:
                    new.setdefault("created_at", now)
                    new.setdefault("updated_at", now)
                inserts.append(new)
            elif all(_same(old[c], v) for c, v in row.items() if c not in ("created_at", "updated_at")):
                unchanged += 1
            else:
                changed = {
                    c: v for c, v in row.items() if c not in pk and c not in ("created_at", "updated_at")
                }
                if has_ts:
                    changed["updated_at"] = now
                updates.append({**{f"k_{c}": key[i] for i, c in enumerate(pk)}, **changed})
        if inserts:
            conn.execute(table.insert(), _fill_columns(table, inserts))
        if updates:
            # Rows in one executemany must share their columns; group by column set.
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for u in updates:
                groups.setdefault(tuple(sorted(c for c in u if not c.startswith("k_"))), []).append(u)
            for cols, group in groups.items():
                stmt = (
                    update(table)
                    .where(table.c.shop_id == self.shop_id, *[table.c[c] == bindparam(f"k_{c}") for c in pk])
                    .values({c: bindparam(c) for c in cols})
                )
                conn.execute(stmt, group)
        return UpsertResult(len(inserts), len(updates), unchanged)

    def insert_new(
        self, table_name: str, rows: Sequence[Mapping[str, Any]], *, conn: Connection | None = None
    ) -> int:
        """Insert rows whose key is not stored yet and ignore the rest (idempotent appends such as
        events). Returns how many rows were new."""
        table = self.table(table_name)
        if not rows:
            return 0
        if conn is None:
            with self.store.begin() as c:
                return self.insert_new(table_name, rows, conn=c)
        pk = ["shop_id", *t.KEYED_TABLES[table_name]]
        ins: Any = (
            sqlite_dialect.insert(table) if self.store.dialect == "sqlite" else pg_dialect.insert(table)
        )
        # RETURNING counts the rows really inserted on every backend (rowcount does not for
        # psycopg's executemany); SQLAlchemy batches it into multi-row INSERTs.
        stmt = ins.on_conflict_do_nothing(index_elements=pk).returning(table.c[pk[1]])
        payload = [{**r, "shop_id": self.shop_id} for r in rows]
        inserted = 0
        for start in range(0, len(payload), _CHUNK * 2):
            res = conn.execute(stmt, _fill_columns(table, payload[start : start + _CHUNK * 2]))
            inserted += len(res.all())
        return inserted

    def append_events(self, rows: Sequence[Mapping[str, Any]], *, conn: Connection | None = None) -> int:
        """Append events, ignoring ids already stored; returns how many were new.

        The hottest write path (``POST /v1/events``), so it bypasses SQLAlchemy's per-row type
        processing and uses the driver's ``executemany`` directly; it stores exactly what the
        ``events`` table's types store (naive UTC timestamps, JSON text), which the store contract
        tests check by reading the rows back through SQLAlchemy.
        """
        if not rows:
            return 0
        if conn is None:
            with self.store.begin() as c:
                return self.append_events(rows, conn=c)
        sqlite = self.store.dialect == "sqlite"
        json_param: Any = json.dumps
        if not sqlite:
            from psycopg.types.json import Json

            json_param = Json
        params = []
        for r in rows:
            ts = r["ts"]
            if ts.tzinfo is None:
                raise InvalidParameterError(
                    f"Event {r['event_id']!r} has a timestamp without a time zone; give one, e.g. +08:00 or Z."
                )
            ts = ts.astimezone(dt.UTC).replace(tzinfo=None)
            props = r.get("properties")
            params.append(
                (
                    self.shop_id,
                    r["event_id"],
                    r["event_type"],
                    r.get("customer_id"),
                    r.get("session_id"),
                    r.get("sku"),
                    r.get("query"),
                    r.get("value"),
                    # SQLAlchemy's SQLite DateTime text format, so reads parse it back.
                    ts.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else ts,
                    r.get("channel"),
                    None if props is None else json_param(props),
                )
            )
        cols = "shop_id, event_id, event_type, customer_id, session_id, sku, query, value, ts, channel, properties"
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if sqlite:
            sql = f"INSERT INTO events ({cols}) VALUES ({', '.join('?' * 11)}) ON CONFLICT (shop_id, event_id) DO NOTHING"
            before = raw.total_changes
            raw.cursor().executemany(sql, params)
            return int(raw.total_changes - before)
        sql = f"INSERT INTO events ({cols}) VALUES ({', '.join(['%s'] * 11)}) ON CONFLICT (shop_id, event_id) DO NOTHING RETURNING 1"
        cur = raw.cursor()
        cur.executemany(sql, params, returning=True)  # type: ignore[call-arg]
        inserted = 0
        while True:
            inserted += len(cur.fetchall())
            if not cur.nextset():
                break
        return inserted

    def delete(self, table_name: str, key: Mapping[str, Any]) -> bool:
        table = self.table(table_name)
        with self.store.begin() as conn:
            return bool(conn.execute(table.delete().where(self._where_key(table, key))).rowcount)

    # -- reads ----------------------------------------------------------------------------------
    def get(self, table_name: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        table = self.table(table_name)
        with self.store.engine.connect() as conn:
            row = conn.execute(select(table).where(self._where_key(table, key))).mappings().first()
        return _public(row) if row else None

    def rows(
        self,
        table_name: str,
        *,
        limit: int = 100,
        offset: int = 0,
        where: Mapping[str, Any] | None = None,
        order_by: str | None = None,
        descending: bool = False,
    ) -> list[dict[str, Any]]:
        table = self.table(table_name)
        stmt = select(table).where(table.c.shop_id == self.shop_id)
        for col, value in (where or {}).items():
            stmt = stmt.where(table.c[col] == value)
        order_cols = [table.c[order_by]] if order_by else [table.c[c] for c in t.KEYED_TABLES[table_name]]
        stmt = stmt.order_by(*[c.desc() if descending else c for c in order_cols]).limit(limit).offset(offset)
        with self.store.engine.connect() as conn:
            return [_public(r) for r in conn.execute(stmt).mappings()]

    def count(self, table_name: str, where: Mapping[str, Any] | None = None) -> int:
        table = self.table(table_name)
        stmt = select(func.count()).select_from(table).where(table.c.shop_id == self.shop_id)
        for col, value in (where or {}).items():
            stmt = stmt.where(table.c[col] == value)
        with self.store.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def frame(self, table_name: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """A table of this shop as a DataFrame (for models: pure code gets tables, not a store)."""
        table = self.table(table_name)
        cols = [table.c[c] for c in columns] if columns else [c for c in table.c if c.name != "shop_id"]
        stmt = select(*cols).where(table.c.shop_id == self.shop_id)
        with self.store.engine.connect() as conn:
            result = conn.execute(stmt)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def execute(self, stmt: Any) -> list[dict[str, Any]]:
        """Run a read-only statement built by a capability. The caller must filter by
        ``self.shop_id``; :func:`shop_filter` does so for every shop-scoped table it names."""
        with self.store.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]


def _public(row: RowMapping | Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "shop_id"}


def _column_default(table: Table, column: str) -> Any:
    """The scalar default of a column (what a single-row insert would use), else None."""
    default = table.c[column].default
    return getattr(default, "arg", None) if default is not None and default.is_scalar else None


def _fill_columns(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # executemany needs every row to bind the same parameters; a row without a column gets the
    # column's default, as a single-row insert would.
    cols: set[str] = set()
    for r in rows:
        cols.update(r)
    if all(len(r) == len(cols) for r in rows):
        return rows
    defaults = {c: _column_default(table, c) for c in cols}
    return [{c: r.get(c, defaults[c]) for c in cols} for r in rows]


__all__ = ["SQLAlchemyError", "ShopStore", "Store", "StoreError", "UpsertResult", "open_store"]
