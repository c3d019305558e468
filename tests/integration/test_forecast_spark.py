"""Forecaster(engine="spark") on a local Spark session gives the local engine's answer.

Needs Java 17 (``make system-deps``) and pyspark (the ``spark`` extra, in ``dev``). Small on
purpose: six short series, so the test is dominated by Spark's start-up (~10-30 s).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shopmind.errors import NotFittedError
from shopmind.forecast.models import Forecaster

pytestmark = pytest.mark.slow
H = 14


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from shopmind.forecast.spark import session

    s = session()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    ds = pd.date_range("2024-01-01", periods=160, freq="D")
    frames = []
    for i in range(6):
        if i % 3 == 2:  # a slow mover
            y = (rng.random(160) < 0.2) * rng.integers(1, 5, 160).astype(float)
        else:
            y = 30 + 10 * (ds.dayofweek >= 5) + 0.05 * np.arange(160) + rng.normal(0, 2, 160)
        frames.append(pd.DataFrame({"unique_id": f"sku-{i}", "ds": ds, "y": y}))
    frames.append(
        pd.DataFrame({"unique_id": "sku-new", "ds": ds[-20:], "y": rng.poisson(3, 20).astype(float)})
    )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def local(panel: pd.DataFrame) -> Forecaster:
    return Forecaster(horizon=H).fit(panel)


def test_spark_engine_matches_the_local_engine(spark: Any, panel: pd.DataFrame, local: Forecaster) -> None:
    remote = Forecaster(horizon=H, engine="spark").fit(panel)
    pd.testing.assert_frame_equal(
        remote.selection_.reset_index(drop=True), local.selection_.reset_index(drop=True), rtol=1e-6
    )
    pd.testing.assert_frame_equal(remote.predict(), local.predict(), rtol=1e-6)
    # beyond the fitted horizon the chosen models run again, on Spark
    pd.testing.assert_frame_equal(remote.predict(H + 7), local.predict(H + 7), rtol=1e-6)


def test_spark_fitted_forecaster_pickles_without_its_spark_data(spark: Any, panel: pd.DataFrame) -> None:
    remote = Forecaster(horizon=H, engine="spark").fit(panel)
    again = pickle.loads(pickle.dumps(remote))
    pd.testing.assert_frame_equal(again.predict(), remote.predict())
    with pytest.raises(NotFittedError, match="call fit"):
        again.predict(H + 1)


def test_spark_engine_takes_a_spark_dataframe(spark: Any, panel: pd.DataFrame, local: Forecaster) -> None:
    sdf = spark.createDataFrame(panel.rename(columns={"unique_id": "sku", "ds": "day", "y": "units"}))
    remote = Forecaster(horizon=H, engine="spark", id_col="sku", time_col="day", target_col="units").fit(sdf)
    out = remote.predict()
    expected = local.predict().rename(columns={"unique_id": "sku", "ds": "day"})
    pd.testing.assert_frame_equal(out, expected, rtol=1e-6)
