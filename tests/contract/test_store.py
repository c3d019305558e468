"""The store contract: the same suite on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from shopmind.errors import ConflictError, InvalidParameterError, NotFoundError
from shopmind.schema.tables import events, metadata
from shopmind.store import Store, open_store

CST = dt.timezone(dt.timedelta(hours=8))


def product(sku: str, **kw: object) -> dict[str, object]:
    return {"sku": sku, "title": f"商品 {sku}", "price": 10.0, **kw}


def test_schema_matches_migrations(store: Store) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []


def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    s = open_store(f"sqlite:///{tmp_path}/wal.db")
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_open_twice_is_idempotent(store_url: str) -> None:
    open_store(store_url).close()
    s = open_store(store_url)
    s.create_shop("x", "X")
    assert [r["shop_id"] for r in s.list_shops()] == ["x"]


def test_shops(store: Store) -> None:
    store.create_shop("farm-1", "山野农场")
    assert store.get_shop("farm-1")["name"] == "山野农场"
    with pytest.raises(ConflictError, match="already exists"):
        store.create_shop("farm-1", "again")
    with pytest.raises(InvalidParameterError, match="not valid"):
        store.create_shop("Bad Id!", "x")
    with pytest.raises(NotFoundError, match="shopmind init"):
        store.shop("missing")


def test_upsert_inserts_updates_and_leaves_identical_rows_alone(store: Store) -> None:
    store.create_shop("s", "S")
    shop = store.shop("s")
    first = shop.upsert(
        "products", [product("p1"), product("p2", attributes={"grade": "A"}, harvest_months=[9, 10])]
    )
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    stamp = shop.get("products", {"sku": "p1"})["updated_at"]

    again = shop.upsert(
        "products", [product("p1"), product("p2", attributes={"grade": "A"}, harvest_months=[9, 10])]
    )
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert shop.get("products", {"sku": "p1"})["updated_at"] == stamp

    changed = shop.upsert("products", [product("p1", price=12.5), product("p3")])
    assert (changed.inserted, changed.updated, changed.unchanged) == (1, 1, 0)
    assert shop.get("products", {"sku": "p1"})["price"] == 12.5
    assert shop.get("products", {"sku": "p2"})["attributes"] == {"grade": "A"}
    assert shop.get("products", {"sku": "p2"})["harvest_months"] == [9, 10]
    assert shop.count("products") == 3


def test_defaults_apply_in_batches_with_uneven_columns(store: Store) -> None:
    store.create_shop("s", "S")
    shop = store.shop("s")
    shop.upsert("products", [product("p1"), product("p2", status="inactive")])
    assert shop.get("products", {"sku": "p1"})["status"] == "active"
    assert shop.get("products", {"sku": "p2"})["status"] == "inactive"


def test_composite_keys(store: Store) -> None:
    store.create_shop("s", "S")
    shop = store.shop("s")
    rows = [
        {"sku": "p1", "location_id": "", "on_hand": 5},
        {"sku": "p1", "location_id": "wh-2", "on_hand": 7},
    ]
    assert shop.upsert("inventory", rows).inserted == 2
    res = shop.upsert("inventory", [{"sku": "p1", "location_id": "wh-2", "on_hand": 8}])
    assert (res.inserted, res.updated) == (0, 1)
    assert shop.get("inventory", {"sku": "p1", "location_id": "wh-2"})["on_hand"] == 8
    assert shop.get("inventory", {"sku": "p1", "location_id": ""})["on_hand"] == 5


@pytest.mark.parametrize("method", ["insert_new", "append_events"])
def test_events_read_back_exactly_as_written(store: Store, method: str) -> None:
    store.create_shop("s", "S")
    shop = store.shop("s")
    when = dt.datetime(2026, 2, 17, 20, 30, 15, 123456, tzinfo=CST)
    event = {
        "event_id": "e1",
        "event_type": "search",
        "session_id": "s1",
        "query": "时令水果",
        "ts": when,
        "customer_id": "c1",
        "value": 2.5,
        "channel": "mini_program",
        "properties": {"page": "首页", "n": [1, 2]},
    }
    if method == "insert_new":
        shop.insert_new("events", [event])
    else:
        shop.append_events([event])
    got = shop.get("events", {"event_id": "e1"})
    assert got["ts"].tzinfo is not None
    assert got["ts"] == when
    assert got["ts"].utcoffset() == dt.timedelta(0)
    assert {k: got[k] for k in event if k != "ts"} == {k: v for k, v in event.items() if k != "ts"}
    assert shop.frame("events")["ts"].iloc[0] == when
    # A range on time finds it through SQLAlchemy: both paths store the same text format.
    with store.engine.connect() as conn:
        window = (events.c.ts >= when - dt.timedelta(seconds=1), events.c.ts <= when)
        assert len(conn.execute(select(events.c.event_id).where(*window)).all()) == 1


def test_naive_timestamps_are_refused(store: Store) -> None:
    store.create_shop("s", "S")
    with pytest.raises(Exception, match="no time zone"):
        store.shop("s").insert_new(
            "events",
            [{"event_id": "e1", "event_type": "view", "session_id": "s", "ts": dt.datetime(2026, 1, 1)}],
        )


@pytest.mark.parametrize("method", ["insert_new", "append_events"])
def test_appending_events_is_idempotent(store: Store, method: str) -> None:
    store.create_shop("s", "S")
    store.create_shop("other", "O")
    shop = store.shop("s")

    def append(rows: list[dict[str, object]]) -> int:
        return shop.insert_new("events", rows) if method == "insert_new" else shop.append_events(rows)

    ts = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    events = [
        {"event_id": f"e{i}", "event_type": "view", "sku": "p", "session_id": "s", "ts": ts}
        for i in range(1200)
    ]
    assert append(events) == 1200
    assert append([*events[:10], {**events[0], "event_id": "new"}]) == 1
    assert shop.count("events") == 1201
    assert store.shop("other").append_events(events[:5]) == 5  # the same ids in another shop are new
    assert shop.count("events") == 1201


def test_append_events_refuses_naive_timestamps(store: Store) -> None:
    store.create_shop("s", "S")
    with pytest.raises(InvalidParameterError, match="without a time zone"):
        store.shop("s").append_events(
            [{"event_id": "e", "event_type": "view", "ts": dt.datetime(2026, 1, 1)}]
        )


def test_money_is_exact_to_the_cent(store: Store) -> None:
    store.create_shop("s", "S")
    shop = store.shop("s")
    shop.upsert("products", [product("p1", price=19.99, cost=0.1)])
    row = shop.get("products", {"sku": "p1"})
    assert row["price"] == 19.99
    assert row["cost"] == 0.1


def test_a_shop_never_sees_another_shops_rows(store: Store) -> None:
    store.create_shop("a", "A")
    store.create_shop("b", "B")
    a, b = store.shop("a"), store.shop("b")
    a.upsert("products", [product("same-sku", title="A's")])
    b.upsert("products", [product("same-sku", title="B's"), product("only-b")])
    assert a.get("products", {"sku": "same-sku"})["title"] == "A's"
    assert a.get("products", {"sku": "only-b"}) is None
    assert [r["sku"] for r in a.rows("products")] == ["same-sku"]
    assert a.count("products") == 1
    assert list(a.frame("products")["title"]) == ["A's"]
    assert a.delete("products", {"sku": "only-b"}) is False
    assert b.count("products") == 2
    a.upsert("products", [product("same-sku", title="A changed")])
    assert b.get("products", {"sku": "same-sku"})["title"] == "B's"


def test_frame_list_count_delete(store: Store) -> None:
    store.create_shop("s", "S")
    shop = store.shop("s")
    shop.upsert("products", [product(f"p{i}", price=float(i)) for i in range(5)])
    frame = shop.frame("products", ["sku", "price"])
    assert list(frame.columns) == ["sku", "price"]
    assert sorted(frame["price"]) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [r["sku"] for r in shop.rows("products", limit=2, offset=1)] == ["p1", "p2"]
    assert shop.count("products", where={"price": 3.0}) == 1
    assert shop.delete("products", {"sku": "p0"}) is True
    assert shop.count("products") == 4


def test_unknown_table_is_a_clear_error(store: Store) -> None:
    store.create_shop("s", "S")
    with pytest.raises(InvalidParameterError, match="Unknown table 'nope'"):
        store.shop("s").count("nope")
