"""One shop's demand forecasts and replenishment plan, fitted from its demand series.

:class:`ShopForecast` runs the :class:`~shopmind.forecast.models.Forecaster` (per-series model
selection, with the price- and calendar-aware LightGBM model as one more candidate), keeps a window
of history for the charts, forecasts products too new to have a history from their neighbours, and
turns the forecasts into the replenishment plan and alerts of
:class:`~shopmind.forecast.inventory.InventoryPolicy`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from shopmind.errors import NotFittedError, NotFoundError, check_param

#: Forecast columns kept per series and step.
FORECAST_COLUMNS = ("unique_id", "ds", "mean", "lo_80", "hi_80", "lo_95", "hi_95", "model")


def default_horizon(freq: str) -> int:
    """Four weeks ahead: 28 days, or 12 weeks for weekly data (a quarter)."""
    return 28 if freq == "D" else 12


def _split_id(unique_id: str) -> tuple[str, str]:
    sku, _, location = unique_id.partition("|")
    return sku, location


class ShopForecast:
    """Forecasts per SKU (or SKU x location) and what to reorder.

    Parameters
    ----------
    horizon : int, optional
        Periods ahead (default 28 days or 12 weeks).
    level : sequence of int
        Prediction interval levels in percent.
    n_windows : int
        Rolling-origin windows for the per-series model choice.
    use_ml : bool
        Let the LightGBM model (price, deal, festivals, solar terms) compete in the selection.
    policy : InventoryPolicy, optional
        Service level, costs and caps of the replenishment plan (default settings when not given).
    history_periods : int, optional
        Past periods kept for the charts (default: 4 horizons).
    """

    def __init__(
        self,
        horizon: int | None = None,
        *,
        level: Sequence[int] = (80, 95),
        n_windows: int = 2,
        use_ml: bool = True,
        policy: Any = None,
        history_periods: int | None = None,
    ) -> None:
        self.horizon = horizon
        self.level = level
        self.n_windows = n_windows
        self.use_ml = use_ml
        self.policy = policy
        self.history_periods = history_periods

    def fit(
        self,
        series: pd.DataFrame,
        *,
        freq: str,
        products: pd.DataFrame,
        inventory: pd.DataFrame,
        today: dt.date | pd.Timestamp,
    ) -> Self:
        """Forecast every series of ``series`` (``unique_id, ds, y[, price, deal, feature]``) and plan."""
        from shopmind.forecast.inventory import InventoryPolicy

        check_param("ShopForecast", "freq", freq, freq in ("D", "W"), "'D' or 'W'")
        if series.empty:
            raise NotFittedError("No demand history to forecast: import orders or sales first.")
        self.freq_ = freq
        self.horizon_ = self.horizon or default_horizon(freq)
        self.notes_: list[str] = []
        ml = None
        if self.use_ml:
            from shopmind.forecast.ml import MLCandidate

            ml = MLCandidate(freq=freq, level=tuple(self.level), horizon=self.horizon_)
        try:
            self.forecaster_ = self._forecaster(freq, ml).fit(series)
        except ValueError as exc:  # mlforecast refuses series too short for its lags and windows
            if ml is None:
                raise NotFittedError(f"Too little history to forecast yet: {exc}") from exc
            self.notes_.append(f"The LightGBM candidate was left out: {exc}")
            try:
                self.forecaster_ = self._forecaster(freq, None).fit(series)
            except ValueError as again:
                raise NotFittedError(f"Too little history to forecast yet: {again}") from again
        self.forecasts_ = self.forecaster_.predict()[list(FORECAST_COLUMNS)]
        self.selection_ = self.forecaster_.selection_
        self.new_products_: list[str] = []
        self._forecast_new_products(series, products, freq)
        keep = self.history_periods or 4 * self.horizon_
        ordered = series.sort_values(["unique_id", "ds"])
        self.history_ = ordered.groupby("unique_id", sort=False).tail(keep)[["unique_id", "ds", "y"]]
        self.today_ = pd.Timestamp(today).date()
        policy = self.policy or InventoryPolicy()
        self.plan_ = policy.plan(self.forecasts_, inventory, products, today=self.today_)
        self.alerts_ = policy.alerts(self.forecasts_, inventory, products, today=self.today_)
        totals = series.groupby("unique_id")["y"].sum()
        sku_of = pd.Series([_split_id(str(u))[0] for u in totals.index], index=totals.index)
        self.skus_ = [str(s) for s in totals.groupby(sku_of).sum().sort_values(ascending=False).index]
        self.titles_ = (
            dict(zip(products["sku"].astype(str), products["title"].astype(str), strict=True))
            if "title" in products
            else {}
        )
        return self

    def _forecaster(self, freq: str, ml: Any) -> Any:
        from shopmind.forecast.models import Forecaster

        return Forecaster(
            freq=freq,
            horizon=self.horizon_,
            level=tuple(self.level),
            n_windows=self.n_windows,
            ml=ml,
            # A year of weekly history is enough to let the models compete (the default asks for two).
            min_train=52 if freq == "W" else None,
        )

    def _forecast_new_products(self, series: pd.DataFrame, products: pd.DataFrame, freq: str) -> None:
        """Products with no sales yet get forecasts from their nearest products (category,
        attributes, price), so that the plan stocks them too."""
        from shopmind.errors import ShopmindError
        from shopmind.forecast.new_products import SimilarProductForecaster

        ids = set(series["unique_id"].astype(str))
        if any("|" in u for u in ids) or "sku" not in products:
            return  # per-location series: a new product's stores are not known yet
        status = products["status"] if "status" in products else pd.Series("active", index=products.index)
        new = products[~products["sku"].astype(str).isin(ids) & status.fillna("active").eq("active")]
        if new.empty:
            return
        try:
            similar = SimilarProductForecaster(freq=freq, horizon=self.horizon_, level=tuple(self.level))
            similar.fit(series[["unique_id", "ds", "y"]], products)
            start = pd.Timestamp(series["ds"].max()) + pd.Timedelta(days=1 if freq == "D" else 7)
            extra = similar.predict(new, h=self.horizon_, start=start)
        except ShopmindError as exc:
            self.notes_.append(f"New products not forecast: {exc.message}")
            return
        extra = extra.reindex(columns=list(FORECAST_COLUMNS))
        self.forecasts_ = pd.concat([self.forecasts_, extra], ignore_index=True)
        self.new_products_ = sorted(new["sku"].astype(str))

    def _check(self) -> None:
        if not hasattr(self, "forecasts_"):
            raise NotFittedError(
                "This ShopForecast is not fitted yet. Call fit() with the shop's demand series."
            )

    def forecast_for(self, sku: str, location_id: str | None = None, history: int = 90) -> dict[str, Any]:
        """History, forecast and intervals of one SKU's series (one per location when it has several)."""
        self._check()
        ids = [
            u
            for u in self.forecasts_["unique_id"].unique()
            if _split_id(str(u))[0] == sku and (location_id is None or _split_id(str(u))[1] == location_id)
        ]
        if not ids:
            raise NotFoundError(
                f"No forecast for SKU {sku!r}{f' at {location_id!r}' if location_id else ''}: it has no sales "
                "history yet, or the forecast model was trained before it sold. Retrain with "
                "`shopmind train forecast`."
            )
        chosen = self.selection_.set_index("unique_id") if "unique_id" in self.selection_ else self.selection_
        out = []
        for uid in sorted(ids):
            past = self.history_[self.history_["unique_id"] == uid].tail(history)
            ahead = self.forecasts_[self.forecasts_["unique_id"] == uid]
            info = chosen.loc[uid].to_dict() if uid in chosen.index else {}
            out.append(
                {
                    "unique_id": uid,
                    "location_id": _split_id(str(uid))[1] or None,
                    "model": str(ahead["model"].iloc[0]) if len(ahead) else None,
                    "selection": {str(k): _json(v) for k, v in info.items()},
                    "history": [
                        {"ds": _day(d), "y": float(y)} for d, y in zip(past["ds"], past["y"], strict=True)
                    ],
                    "forecast": [
                        {"ds": _day(r["ds"]), **{c: _json(r[c]) for c in FORECAST_COLUMNS[2:7]}}
                        for r in ahead.to_dict("records")
                    ],
                }
            )
        return {
            "sku": sku,
            "title": self.titles_.get(sku),
            "freq": self.freq_,
            "horizon": self.horizon_,
            "as_of": self.today_.isoformat(),
            "series": out,
        }

    def replenishment(self, only_orders: bool = False) -> dict[str, Any]:
        """The plan (orders first, soonest first) and the alerts, JSON-ready."""
        self._check()
        plan = self.plan_
        if only_orders:
            plan = plan[plan["order_qty"] > 0]
        plan = plan.sort_values(["order_qty", "days_to_reorder"], ascending=[False, True], key=_order_key)
        return {
            "as_of": self.today_.isoformat(),
            "plan": [{k: _json(v) for k, v in r.items()} for r in plan.to_dict("records")],
            "alerts": [{k: _json(v) for k, v in r.items()} for r in self.alerts_.to_dict("records")],
        }


def _order_key(col: pd.Series) -> pd.Series:
    # Orders (qty > 0) first, then the soonest reorder; NaN last.
    return (col > 0).astype(int) if col.name == "order_qty" else col.fillna(np.inf)


def _day(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()


def _json(value: Any) -> Any:
    if isinstance(value, pd.Timestamp | dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
