"""Each real-dataset adapter loads its data through the importer (validation included)."""

from __future__ import annotations

import pytest

from shopmind.engine import Shopmind
from shopmind.ingest.datasets import import_dataset

pytestmark = pytest.mark.slow


def _by_table(reports: list) -> dict:  # type: ignore[type-arg]
    return {r.table: r for r in reports}


def test_movielens_loads_as_rate_events(sqlite_sm: Shopmind) -> None:
    engine = sqlite_sm.engine("a")
    reports = _by_table(import_dataset(engine, "movielens"))
    assert reports["events"].inserted == 100_004
    assert reports["products"].inserted == 9_066
    assert reports["customers"].inserted == 671
    assert sum(r.rejected for r in reports.values()) == 0
    events = engine.frame("events", ["event_type", "value"])
    assert set(events["event_type"]) == {"rate"}
    assert events["value"].between(0.5, 5).all()


def test_amazon_fine_foods_loads_training_reviews_only(sqlite_sm: Shopmind) -> None:
    engine = sqlite_sm.engine("a")
    reports = _by_table(import_dataset(engine, "amazon-fine-foods"))
    assert reports["reviews"].inserted == 4_000
    labels = engine.frame("reviews", ["label", "language"])
    assert set(labels["label"]) == {"great", "other"}
    assert (labels["language"] == "en").all()


def test_orange_juice_loads_weekly_sales_with_prices_and_deals(sqlite_sm: Shopmind) -> None:
    engine = sqlite_sm.engine("a")
    reports = _by_table(import_dataset(engine, "orange-juice"))
    assert reports["sales"].inserted == 106_139
    assert reports["products"].inserted == 11
    assert reports["locations"].inserted == 83
    assert sum(r.rejected for r in reports.values()) == 0
    sales = engine.frame("sales", ["sku", "location_id", "period", "units", "price", "deal"])
    assert set(sales["period"]) == {"W"}
    assert sales["units"].gt(0).all()
    assert 0 < sales["deal"].mean() < 1
    # Importing again changes nothing.
    again = _by_table(import_dataset(engine, "orange-juice"))
    assert (again["sales"].inserted, again["sales"].updated, again["sales"].unchanged) == (0, 0, 106_139)
