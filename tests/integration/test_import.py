"""File imports: row-by-row validation, rejects with reasons, idempotent re-runs, every format."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from shopmind.engine import Shopmind
from shopmind.errors import InvalidParameterError, NotFoundError, ValidationError
from shopmind.ingest import ColumnMapping, import_file

ORDERS_CSV = """\
订单号,买家,下单时间,实付金额,状态,渠道
A001,c1,2026-09-25 10:00:00,128.00,completed,mini_program
A002,c2,2026-09-25 11:30:00,不知道,completed,app
A003,c3,2026-09-26 09:00:00,56.50,completed,live_stream
A004,c1,,88.00,completed,web
A005,c4,2026-09-27 20:15:00,35.00,completed,app
A006,c5,2026-09-28 08:00:00,42.00,teleported,web
A007,c6,2026-09-29 12:00:00+00:00,99.90,paid,short_video
"""

MAPPING = """\
table: orders
columns:
  order_id: 订单号
  customer_id: 买家
  ordered_at: 下单时间
  total_amount: 实付金额
  status: 状态
  channel: 渠道
timezone: Asia/Shanghai
defaults:
  currency: CNY
"""


@pytest.fixture
def orders_file(tmp_path: Path) -> tuple[Path, ColumnMapping]:
    path = tmp_path / "订单导出.csv"
    path.write_text(ORDERS_CSV, encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return path, ColumnMapping.from_file(mapping)


def test_three_broken_rows_are_reported_and_the_rest_load(
    sm: Shopmind, orders_file: tuple[Path, ColumnMapping], tmp_path: Path
) -> None:
    path, mapping = orders_file
    engine = sm.engine("a")
    rejects_path = tmp_path / "rejects.csv"
    report = import_file(engine, path, mapping=mapping, rejects_path=rejects_path)
    assert (report.rows, report.inserted, report.rejected) == (7, 4, 3)
    with open(rejects_path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["row"], r["column"]) for r in rows] == [("3", "实付金额"), ("5", "下单时间"), ("7", "状态")]
    assert rows[0]["value"] == "不知道"
    assert "number" in rows[0]["reason"]
    assert "required" in rows[1]["reason"].lower()
    assert rows[2]["value"] == "teleported"
    assert all(r["file"] == "订单导出.csv" for r in rows)
    # Good rows are in, with the mapping's time zone and defaults applied.
    a001 = engine.data.get("orders", {"order_id": "A001"})
    assert a001["ordered_at"].isoformat() == "2026-09-25T02:00:00+00:00"
    assert a001["currency"] == "CNY"
    assert engine.data.get("orders", {"order_id": "A007"})["ordered_at"].hour == 12
    assert engine.data.count("orders") == 4


def test_importing_twice_changes_nothing(sm: Shopmind, orders_file: tuple[Path, ColumnMapping]) -> None:
    path, mapping = orders_file
    engine = sm.engine("a")
    import_file(engine, path, mapping=mapping)
    before = engine.data.rows("orders")
    again = import_file(engine, path, mapping=mapping)
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 4, 3)
    assert engine.data.rows("orders") == before


def test_a_changed_row_is_updated(sm: Shopmind, orders_file: tuple[Path, ColumnMapping]) -> None:
    path, mapping = orders_file
    engine = sm.engine("a")
    import_file(engine, path, mapping=mapping)
    path.write_text(ORDERS_CSV.replace("128.00", "118.00"), encoding="utf-8")
    again = import_file(engine, path, mapping=mapping)
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 3)
    assert engine.data.get("orders", {"order_id": "A001"})["total_amount"] == 118.0


def test_parquet_and_excel_load_like_csv(sqlite_sm: Shopmind, tmp_path: Path) -> None:
    engine = sqlite_sm.engine("a")
    frame = pd.DataFrame(
        {
            "sku": ["p1", "p2", "p3"],
            "title": ["赣南脐橙 5kg", "", "西湖龙井 250g"],
            "price": [59.9, 10.0, -3.0],
            "harvest_months": ["11,12,1", None, None],
            "certifications": ['["geographical_indication"]', None, "organic|green_food"],
            "shelf_life_days": [20, 10, 540],
        }
    )
    for suffix, writer in ((".parquet", frame.to_parquet), (".xlsx", frame.to_excel)):
        path = tmp_path / f"products{suffix}"
        writer(path, index=False)  # type: ignore[operator]
        report = import_file(engine, path, table="products", rejects_path=tmp_path / f"rej{suffix}.csv")
        assert report.rows == 3
        assert report.rejected == 2, report.rejects
        assert {r.column for r in report.rejects} == {"title", "price"}
    p1 = engine.data.get("products", {"sku": "p1"})
    assert p1["harvest_months"] == [11, 12, 1]
    assert p1["certifications"] == ["geographical_indication"]
    assert engine.data.count("products") == 1


def test_unknown_columns_are_reported_not_silently_dropped(sqlite_sm: Shopmind, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("sku,title,colour\np1,苹果,red\n", encoding="utf-8")
    report = import_file(sqlite_sm.engine("a"), path, table="products")
    assert report.ignored_columns == ["colour"]
    assert report.inserted == 1


def test_duplicate_ids_in_one_file_are_counted(sqlite_sm: Shopmind, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("sku,title\np1,first\np1,second\n", encoding="utf-8")
    report = import_file(sqlite_sm.engine("a"), path, table="products")
    assert (report.inserted, report.duplicate_keys) == (1, 1)
    assert sqlite_sm.engine("a").data.get("products", {"sku": "p1"})["title"] == "second"


def test_events_import_appends_only_new_events(sqlite_sm: Shopmind, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,event_type,customer_id,sku,query,ts\n"
        "e1,view,c1,p1,,2026-03-01T10:00:00+08:00\n"
        "e2,search,c1,,时令水果,2026-03-01T10:01:00+08:00\n"
        "e3,search,c1,,,2026-03-01T10:02:00+08:00\n",
        encoding="utf-8",
    )
    engine = sqlite_sm.engine("a")
    first = import_file(engine, path, table="events")
    assert (first.inserted, first.rejected) == (2, 1)
    assert "query" in first.rejects[0].reason
    second = import_file(engine, path, table="events")
    assert (second.inserted, second.unchanged) == (0, 2)


def test_contacts_are_encrypted_on_import(sqlite_sm: Shopmind, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "customer_id,province,email,phone,consent_marketing\nc1,浙江,a@b.cn,13900001111,是\n",
        encoding="utf-8",
    )
    import_file(sqlite_sm.engine("a"), path, table="customers")
    row = sqlite_sm.engine("a").data.get("customers", {"customer_id": "c1"})
    assert row["email_enc"]
    assert b"a@b.cn" not in bytes(row["email_enc"])
    assert sqlite_sm.cipher.decrypt(row["email_enc"]) == "a@b.cn"
    assert row["consent_marketing"] is True


def test_clear_errors_for_bad_files_and_mappings(sqlite_sm: Shopmind, tmp_path: Path) -> None:
    engine = sqlite_sm.engine("a")
    with pytest.raises(NotFoundError, match="does not exist"):
        import_file(engine, tmp_path / "nope.csv", table="orders")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InvalidParameterError, match=r"\.csv, \.tsv, \.parquet or \.xlsx"):
        import_file(engine, tmp_path / "x.json", table="orders")
    path = tmp_path / "o.csv"
    path.write_text("id\n1\n")
    with pytest.raises(ValidationError, match="no column"):
        import_file(engine, path, mapping=ColumnMapping(table="orders", columns={"order_id": "订单号"}))
    with pytest.raises(InvalidParameterError, match="Say which table"):
        import_file(engine, path)
    bad_mapping = tmp_path / "m.yaml"
    bad_mapping.write_text("columns: {a: b}\n")
    with pytest.raises(InvalidParameterError, match="'table'"):
        ColumnMapping.from_file(bad_mapping)
