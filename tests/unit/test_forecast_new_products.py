"""New products borrow demand from their category and attribute neighbours, scaled by price and by
their own first sales."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from shopmind.errors import InvalidParameterError, NotFittedError, ValidationError
from shopmind.forecast.new_products import SimilarProductForecaster

WEEKS = pd.date_range("2025-01-02", periods=20, freq="7D")


def flat(uid: str, level: float, weeks: pd.DatetimeIndex = WEEKS) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": weeks, "y": float(level)})


@pytest.fixture
def shop() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Juices sell about 100 a week, nuts about 10; the juice brand 'sun' sells 150."""
    history = pd.concat(
        [
            flat("oj-sun-1l", 150),
            flat("oj-sun-2l", 150),
            flat("oj-moon-1l", 60),
            flat("oj-moon-2l", 60),
            flat("nuts-a", 10),
            flat("nuts-b", 12),
        ],
        ignore_index=True,
    )
    products = pd.DataFrame(
        {
            "sku": ["oj-sun-1l", "oj-sun-2l", "oj-moon-1l", "oj-moon-2l", "nuts-a", "nuts-b"],
            "category": ["饮料/果汁/橙汁"] * 4 + ["零食/坚果", "零食/坚果"],
            "attributes": [
                {"brand": "sun", "size_l": 1},
                {"brand": "sun", "size_l": 2},
                {"brand": "moon", "size_l": 1},
                {"brand": "moon", "size_l": 2},
                {"brand": "x"},
                {"brand": "y"},
            ],
            "price": [10.0, 10.0, 10.0, 10.0, 10.0, 10.0],
        }
    )
    return history, products


def new(
    sku: str, category: str, attributes: dict[str, object] | None = None, price: float = 10.0
) -> pd.DataFrame:
    return pd.DataFrame(
        {"sku": [sku], "category": [category], "attributes": [attributes or {}], "price": [price]}
    )


def test_category_neighbours_decide_the_level(shop: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, products = shop
    model = SimilarProductForecaster(k=2).fit(history, products)
    nut = model.predict(new("nuts-c", "零食/坚果"), h=4)
    assert nut["mean"].tolist() == pytest.approx([11.0] * 4)
    juice = model.predict(new("oj-new", "饮料/果汁/橙汁"), h=4)
    assert juice["mean"].iloc[0] > 50


def test_attributes_pick_the_brand(shop: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, products = shop
    model = SimilarProductForecaster(k=2).fit(history, products)
    sun = model.predict(new("oj-sun-3l", "饮料/果汁/橙汁", {"brand": "sun", "size_l": 3}), h=2)
    moon = model.predict(new("oj-moon-3l", "饮料/果汁/橙汁", {"brand": "moon", "size_l": 3}), h=2)
    assert sun["mean"].iloc[0] == pytest.approx(150.0)
    assert moon["mean"].iloc[0] == pytest.approx(60.0)
    near = model.neighbours(new("oj-sun-3l", "饮料/果汁/橙汁", {"brand": "sun", "size_l": 3}))
    assert set(near["neighbour"]) == {"oj-sun-1l", "oj-sun-2l"}
    assert near["weight"].sum() == pytest.approx(1.0)
    assert (near["similarity"].diff().dropna() <= 0).all()


def test_without_attributes_the_brand_is_unknown(shop: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, products = shop
    blind = SimilarProductForecaster(k=2, attribute_weight=0.0).fit(history, products)
    sun = blind.predict(new("oj-sun-3l", "饮料/果汁/橙汁", {"brand": "sun"}), h=1)
    assert sun["mean"].iloc[0] < 150.0


def test_price_scales_the_borrowed_demand(shop: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, products = shop
    elastic = SimilarProductForecaster(k=2, price_weight=0.0, price_elasticity=-1.0).fit(history, products)
    dear = elastic.predict(new("nuts-dear", "零食/坚果", price=20.0), h=1)
    assert dear["mean"].iloc[0] == pytest.approx(11.0 / 2)
    rigid = SimilarProductForecaster(k=2, price_weight=0.0, price_elasticity=0.0).fit(history, products)
    assert rigid.predict(new("nuts-dear", "零食/坚果", price=20.0), h=1)["mean"].iloc[0] == pytest.approx(
        11.0
    )


def test_price_similarity_breaks_ties() -> None:
    history = pd.concat([flat("cheap", 100), flat("dear", 10)], ignore_index=True)
    products = pd.DataFrame({"sku": ["cheap", "dear"], "category": ["a/b", "a/b"], "price": [5.0, 50.0]})
    model = SimilarProductForecaster(k=1, price_elasticity=0.0).fit(history, products)
    fc = model.predict(pd.DataFrame({"sku": ["n"], "category": ["a/b"], "price": [45.0]}), h=1)
    assert fc["mean"].iloc[0] == pytest.approx(10.0)


def test_own_first_weeks_scale_the_forecast(shop: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, products = shop
    model = SimilarProductForecaster(k=2, shrinkage=4.0).fit(history, products)
    first = pd.DataFrame({"unique_id": "nuts-c", "ds": WEEKS[-4:], "y": [22.0, 22.0, 22.0, 22.0]})
    start = WEEKS[-1] + pd.Timedelta(weeks=1)
    plain = model.predict(new("nuts-c", "零食/坚果"), h=2, start=start)["mean"].iloc[0]
    scaled = model.predict(new("nuts-c", "零食/坚果"), h=2, start=start, history=first)["mean"].iloc[0]
    assert plain == pytest.approx(11.0)
    # twice the neighbours' sales for 4 weeks: half-way (in logs) towards 2x with shrinkage 4
    assert scaled == pytest.approx(11.0 * 2**0.5)


def test_launch_curves_are_followed_by_age() -> None:
    ramp = [0, 0, 0, 0, 5, 10, 20, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40]
    history = pd.concat(
        [pd.DataFrame({"unique_id": "launched", "ds": WEEKS, "y": np.asarray(ramp, float)}), flat("old", 40)],
        ignore_index=True,
    )
    products = pd.DataFrame({"sku": ["launched", "old"], "category": ["a/b", "a/c"]})
    model = SimilarProductForecaster(k=1, min_history=8).fit(history, products)
    fc = model.predict(pd.DataFrame({"sku": ["n"], "category": ["a/b"]}), h=6)
    assert fc["mean"].tolist() == pytest.approx([5, 10, 20, 40, 40, 40])
    two_weeks_in = pd.DataFrame({"unique_id": "n", "ds": WEEKS[-2:], "y": [5.0, 10.0]})
    later = model.predict(
        pd.DataFrame({"sku": ["n"], "category": ["a/b"]}),
        h=2,
        start=WEEKS[-1] + pd.Timedelta(weeks=1),
        history=two_weeks_in,
    )
    assert later["mean"].tolist() == pytest.approx([20, 40])


def test_established_products_are_forecast_leave_one_out(shop: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, products = shop
    model = SimilarProductForecaster(k=1).fit(history, products)
    fc = model.predict(products[products["sku"] == "nuts-a"], h=1)
    assert fc["mean"].iloc[0] == pytest.approx(12.0)  # from nuts-b, not itself
    near = model.neighbours(products[products["sku"] == "nuts-a"])
    assert near["neighbour"].tolist() == ["nuts-b"]
    assert 0 <= model.loo_wape_ < 0.5


def test_output_layout_and_intervals(shop: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, products = shop
    noisy = history.assign(y=history["y"] * np.random.default_rng(0).uniform(0.7, 1.3, len(history)))
    model = SimilarProductForecaster(k=2, level=(95, 80)).fit(noisy, products)
    both = pd.concat([new("a", "零食/坚果"), new("b", "饮料/果汁/橙汁")], ignore_index=True)
    fc = model.predict(both, h=3)
    assert list(fc.columns) == ["unique_id", "ds", "mean", "lo_80", "hi_80", "lo_95", "hi_95", "model"]
    assert fc["unique_id"].tolist() == ["a"] * 3 + ["b"] * 3
    assert fc["ds"].iloc[0] == WEEKS[-1] + pd.Timedelta(weeks=1)
    assert (fc["model"] == "similar-products").all()
    assert (fc["lo_95"] <= fc["lo_80"]).all()
    assert (fc["lo_80"] <= fc["mean"]).all()
    assert (fc["mean"] <= fc["hi_80"]).all()
    assert (fc["hi_80"] <= fc["hi_95"]).all()
    assert (fc["lo_80"] < fc["hi_80"]).all()
    again = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(again.predict(both, h=3), fc)


def test_errors(shop: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, products = shop
    with pytest.raises(NotFittedError, match="fit"):
        SimilarProductForecaster().predict(new("a", "x"))
    with pytest.raises(InvalidParameterError, match="'k' parameter of SimilarProductForecaster"):
        SimilarProductForecaster(k=0).fit(history, products)
    with pytest.raises(InvalidParameterError, match="'category_weight'"):
        SimilarProductForecaster(category_weight=0, attribute_weight=0, price_weight=0).fit(history, products)
    with pytest.raises(ValidationError, match="min_history"):
        SimilarProductForecaster(min_history=50).fit(history, products)
    with pytest.raises(ValidationError, match="twice"):
        SimilarProductForecaster().fit(history, pd.concat([products, products.head(1)]))
    with pytest.raises(ValidationError, match="'sku' column"):
        SimilarProductForecaster().fit(history, products.rename(columns={"sku": "id"}))
    with pytest.raises(ValidationError, match="'y' is missing"):
        SimilarProductForecaster().fit(history.drop(columns="y"), products)
