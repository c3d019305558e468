"""Forecasts for new products from their nearest established products (analogous forecasting).

A product with no sales history (or only a few periods) borrows the demand of the established
products most like it:

1. **Similarity** of two products is a weighted mean of three parts, each in [0, 1]:

   * *category*: the share of the category path they have in common (``"饮料/果汁/橙汁"`` and
     ``"饮料/果汁/苹果汁"`` share 2 of 3 levels: 0.67);
   * *attributes*: the Jaccard overlap of their ``key=value`` attributes (brand, origin, pack
     size, ...; numbers are compared rounded to 2 significant digits);
   * *price*: ``exp(-|log(p1 / p2)| / log 2)`` -- 1 at the same price, 0.37 at double or half.

   A part missing on either side (no price, no attributes) drops out of that pair's mean.
2. **Neighbours**: the ``k`` most similar established products (at least ``min_history`` periods
   of history), weighted by similarity.
3. **Profile** of each neighbour by age (periods since its first sale): its launch curve when its
   launch is inside the history (its first sale comes after the history's first period), its
   recent level (mean of the last ``level_window`` periods) after that and for products already
   selling when the history starts.
4. **Scaling**: each neighbour's profile is multiplied by ``(new price / its price) **
   price_elasticity`` (clipped to 0.25..4), and, when the new product has a few periods of its
   own, by the ratio of its sales to the blend's over those periods, shrunk towards 1
   (``n / (n + shrinkage)`` of the log ratio for ``n`` periods).

Intervals come from leave-one-out at ``fit``: each established product is forecast from its own
neighbours as if it were new, and the log errors of its recent periods against that forecast give
the quantiles. ``loo_wape_`` is the same check's weighted absolute percentage error.

Pure: frames in, frames out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from shopmind.errors import NotFittedError, ValidationError, check_param

__all__ = ["SimilarProductForecaster"]

FloatArray = npt.NDArray[np.float64]

_STEP: Final = {"D": pd.Timedelta(days=1), "W": pd.Timedelta(days=7)}
_CHUNK: Final = 512  # new products compared at once (bounds the dense similarity block)
_PRICE_FACTOR: Final = (0.25, 4.0)


def _path(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, list | tuple):
        parts = [str(v).strip() for v in value]
    else:
        text = str(value)
        for sep in (">", "|", "\\"):
            text = text.replace(sep, "/")
        parts = [p.strip() for p in text.split("/")]
    return [p for p in parts if p]


def _token(key: str, value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return f"{key}={bool(value)}"
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        if v == 0:
            return f"{key}=0"
        digits = 1 - math.floor(math.log10(abs(v)))
        return f"{key}={round(v, digits):g}"
    return f"{key}={str(value).strip().casefold()}"


class SimilarProductForecaster:
    """Forecast products with little or no history from similar established products.

    Parameters
    ----------
    freq : {"W", "D"}, default "W"
        Period of the history and the forecasts.
    horizon : int, default 12
        Periods forecast by :meth:`predict` when ``h`` is not given.
    k : int, default 5
        Neighbours per new product.
    min_history : int, default 8
        Periods of history an established product needs to serve as a neighbour.
    level_window : int, default 8
        Recent periods averaged into a neighbour's level.
    category_weight, attribute_weight, price_weight : float, default 0.5, 0.3, 0.2
        Weights of the three similarity parts (at least one > 0).
    price_elasticity : float, default -1.0
        Demand scales with ``(price / neighbour price) ** price_elasticity``; 0 turns it off.
    shrinkage : float, default 4.0
        Periods of own history worth as much as the neighbours' blend.
    level : sequence of int, default (80, 95)
        Interval coverages in percent.
    id_col, category_col, attributes_col, price_col : str
        Column names of the products table (``attributes_col`` holds dicts; other columns can be
        named in ``attribute_cols``).
    attribute_cols : sequence of str, default ()
        Further product columns compared as attributes.

    Attributes
    ----------
    established_ : list of str
        Products that can serve as neighbours.
    loo_wape_ : float
        Leave-one-out WAPE of the recent periods of the established products, each forecast
        from its neighbours as if it were new (NaN with fewer than two established products).

    Examples
    --------
    >>> import pandas as pd
    >>> ds = pd.date_range("2025-01-02", periods=10, freq="7D")
    >>> history = pd.DataFrame({"unique_id": ["a"] * 10 + ["b"] * 10, "ds": list(ds) * 2,
    ...                         "y": [10.0] * 10 + [40.0] * 10})
    >>> products = pd.DataFrame({"sku": ["a", "b"], "category": ["果汁/橙汁", "零食/坚果"],
    ...                          "price": [5.0, 5.0]})
    >>> model = SimilarProductForecaster(k=1).fit(history, products)
    >>> new = pd.DataFrame({"sku": ["c"], "category": ["果汁/橙汁"], "price": [5.0]})
    >>> float(model.predict(new, h=2)["mean"].iloc[0])
    10.0
    """

    def __init__(
        self,
        freq: str = "W",
        horizon: int = 12,
        k: int = 5,
        min_history: int = 8,
        level_window: int = 8,
        category_weight: float = 0.5,
        attribute_weight: float = 0.3,
        price_weight: float = 0.2,
        price_elasticity: float = -1.0,
        shrinkage: float = 4.0,
        level: Sequence[int] = (80, 95),
        id_col: str = "sku",
        category_col: str = "category",
        attributes_col: str = "attributes",
        price_col: str = "price",
        attribute_cols: Sequence[str] = (),
    ) -> None:
        self.freq = freq
        self.horizon = horizon
        self.k = k
        self.min_history = min_history
        self.level_window = level_window
        self.category_weight = category_weight
        self.attribute_weight = attribute_weight
        self.price_weight = price_weight
        self.price_elasticity = price_elasticity
        self.shrinkage = shrinkage
        self.level = level
        self.id_col = id_col
        self.category_col = category_col
        self.attributes_col = attributes_col
        self.price_col = price_col
        self.attribute_cols = attribute_cols

    # -- checks ---------------------------------------------------------------------------------------
    def _check_params(self) -> None:
        own = "SimilarProductForecaster"

        def is_int(v: Any, low: int) -> bool:
            return bool(isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= low)

        def is_num(v: Any, low: float) -> bool:
            return bool(
                isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) and v >= low
            )

        check_param(own, "freq", self.freq, self.freq in _STEP, 'one of "W", "D"')
        check_param(own, "horizon", self.horizon, is_int(self.horizon, 1), "an int >= 1")
        check_param(own, "k", self.k, is_int(self.k, 1), "an int >= 1")
        check_param(own, "min_history", self.min_history, is_int(self.min_history, 1), "an int >= 1")
        check_param(own, "level_window", self.level_window, is_int(self.level_window, 1), "an int >= 1")
        for name in ("category_weight", "attribute_weight", "price_weight"):
            check_param(own, name, getattr(self, name), is_num(getattr(self, name), 0.0), "a number >= 0")
        check_param(
            own,
            "category_weight",
            self.category_weight,
            self.category_weight + self.attribute_weight + self.price_weight > 0,
            "> 0 when the other weights are 0",
        )
        check_param(
            own,
            "price_elasticity",
            self.price_elasticity,
            is_num(self.price_elasticity, -math.inf) and math.isfinite(self.price_elasticity),
            "a finite number",
        )
        check_param(own, "shrinkage", self.shrinkage, is_num(self.shrinkage, 0.0), "a number >= 0")
        check_param(
            own,
            "level",
            self.level,
            not isinstance(self.level, str | int)
            and len(self.level) > 0
            and all(is_int(v, 1) and v < 100 for v in self.level),
            "a sequence of ints in 1..99",
        )

    def _product_frame(self, products: pd.DataFrame, what: str) -> pd.DataFrame:
        if self.id_col not in products.columns:
            raise ValidationError(f"The {what} table has no {self.id_col!r} column (the product id).")
        frame = products.copy()
        frame[self.id_col] = frame[self.id_col].astype(str)
        if frame[self.id_col].duplicated().any():
            dup = frame.loc[frame[self.id_col].duplicated(), self.id_col].iloc[0]
            raise ValidationError(f"The {what} table lists product {dup!r} twice; keep one row per product.")
        return frame.reset_index(drop=True)

    # -- similarity -----------------------------------------------------------------------------------
    def _encode(self, products: pd.DataFrame) -> dict[str, Any]:
        """Category-prefix and attribute tokens (sparse), depths, log prices."""
        n = len(products)
        cats = (
            [_path(v) for v in products[self.category_col]]
            if self.category_col in products.columns
            else [[] for _ in range(n)]
        )
        cat_tokens = [["/".join(p[: i + 1]) for i in range(len(p))] for p in cats]
        attr_tokens: list[list[str]] = [[] for _ in range(n)]
        if self.attributes_col in products.columns:
            for i, value in enumerate(products[self.attributes_col]):
                if isinstance(value, dict):
                    attr_tokens[i].extend(t for k, v in value.items() if (t := _token(str(k), v)) is not None)
        for col in self.attribute_cols:
            if col not in products.columns:
                raise ValidationError(
                    f"attribute_cols names {col!r}, which the products table does not have."
                )
            for i, value in enumerate(products[col]):
                token = _token(col, value)
                if token is not None:
                    attr_tokens[i].append(token)
        prices = (
            pd.to_numeric(products[self.price_col], errors="coerce").to_numpy(np.float64)
            if self.price_col in products.columns
            else np.full(n, np.nan)
        )
        log_price = np.where(prices > 0, np.log(np.where(prices > 0, prices, 1.0)), np.nan)
        return {
            "cat": cat_tokens,
            "attr": [sorted(set(t)) for t in attr_tokens],
            "depth": np.array([len(p) for p in cats], dtype=np.float64),
            "log_price": log_price,
        }

    def _vocabulary(self, enc: dict[str, Any]) -> None:
        self.cat_vocab_ = {t: i for i, t in enumerate(sorted({t for ts in enc["cat"] for t in ts}))}
        self.attr_vocab_ = {t: i for i, t in enumerate(sorted({t for ts in enc["attr"] for t in ts}))}

    @staticmethod
    def _matrix(tokens: list[list[str]], vocab: dict[str, int]) -> sparse.csr_matrix:
        rows, cols = [], []
        for i, ts in enumerate(tokens):
            for t in ts:
                j = vocab.get(t)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        data = np.ones(len(rows), dtype=np.float64)
        return sparse.csr_matrix((data, (rows, cols)), shape=(len(tokens), max(len(vocab), 1)))

    def _similarity(self, enc: dict[str, Any]) -> FloatArray:
        """Dense similarity of the encoded products (rows) to the established ones (columns)."""
        base = self.base_
        parts: list[tuple[float, FloatArray, npt.NDArray[np.bool_]]] = []
        if self.category_weight > 0:
            common = (self._matrix(enc["cat"], self.cat_vocab_) @ base["cat_m"].T).toarray()
            depth = np.maximum(enc["depth"][:, None], base["depth"][None, :])
            ok = (enc["depth"][:, None] > 0) & (base["depth"][None, :] > 0)
            parts.append((self.category_weight, np.where(ok, common / np.maximum(depth, 1.0), 0.0), ok))
        if self.attribute_weight > 0:
            own = self._matrix(enc["attr"], self.attr_vocab_)
            common = (own @ base["attr_m"].T).toarray()
            sizes = np.array([len(t) for t in enc["attr"]], dtype=np.float64)
            union = sizes[:, None] + base["attr_n"][None, :] - common
            ok = (sizes[:, None] > 0) & (base["attr_n"][None, :] > 0)
            parts.append((self.attribute_weight, np.where(ok, common / np.maximum(union, 1.0), 0.0), ok))
        if self.price_weight > 0:
            diff = np.abs(enc["log_price"][:, None] - base["log_price"][None, :])
            ok = np.isfinite(diff)
            parts.append(
                (self.price_weight, np.where(ok, np.exp(-np.nan_to_num(diff) / math.log(2.0)), 0.0), ok)
            )
        num = np.zeros((len(enc["depth"]), len(base["depth"])))
        den = np.zeros_like(num)
        for weight, sim, ok in parts:
            num += weight * sim
            den += weight * ok
        return np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)

    # -- fit ------------------------------------------------------------------------------------------
    def fit(self, history: pd.DataFrame, products: pd.DataFrame) -> SimilarProductForecaster:
        """Learn the established products' profiles and calibrate the intervals.

        Parameters
        ----------
        history : pandas.DataFrame
            Long frame ``unique_id, ds, y`` of the established products' demand, one row per
            product and period (periods without sales as 0).
        products : pandas.DataFrame
            One row per product: ``id_col`` (matching ``unique_id``), and any of
            ``category_col`` (a path such as ``"饮料/果汁/橙汁"`` or a list of levels),
            ``attributes_col`` (dicts), ``price_col`` and ``attribute_cols``.

        Returns
        -------
        SimilarProductForecaster
            ``self``.

        Raises
        ------
        ValidationError
            If columns are missing or no product has ``min_history`` periods of history.
        """
        self._check_params()
        missing = [c for c in ("unique_id", "ds", "y") if c not in history.columns]
        if missing:
            raise ValidationError(f"The history needs columns unique_id, ds, y; {missing[0]!r} is missing.")
        hist = history[["unique_id", "ds", "y"]].copy()
        hist["unique_id"] = hist["unique_id"].astype(str)
        hist["ds"] = pd.to_datetime(hist["ds"])
        hist["y"] = pd.to_numeric(hist["y"], errors="coerce").fillna(0.0)
        hist = hist.sort_values(["unique_id", "ds"], kind="stable")
        prods = self._product_frame(products, "products")
        sizes = hist.groupby("unique_id", sort=True).size()
        known = set(prods[self.id_col])
        eligible = [u for u, n in sizes.items() if n >= self.min_history and u in known]
        if not eligible:
            raise ValidationError(
                f"No product has {self.min_history} periods of history and a row in the products table; "
                "lower min_history or give more history."
            )
        start = hist["ds"].min()
        self.end_ = hist["ds"].max()
        curves: list[FloatArray] = []
        levels = np.empty(len(eligible))
        recent: list[FloatArray] = []
        groups: dict[Any, pd.DataFrame] = dict(list(hist.groupby("unique_id", sort=False)))
        for i, uid in enumerate(eligible):
            g = groups[uid]
            y = g["y"].to_numpy(np.float64)
            positive = np.flatnonzero(y > 0)
            first = int(positive[0]) if positive.size else 0
            tail = y[-self.level_window :]
            levels[i] = float(tail.mean())
            recent.append(tail)
            launched = g["ds"].iloc[first] > start
            curves.append(y[first:] if launched else np.empty(0))
        self.established_ = eligible
        table = prods.set_index(self.id_col).loc[eligible].reset_index()
        enc = self._encode(table)
        self._vocabulary(enc)
        self.base_ = {
            "cat_m": self._matrix(enc["cat"], self.cat_vocab_),
            "attr_m": self._matrix(enc["attr"], self.attr_vocab_),
            "attr_n": np.array([len(t) for t in enc["attr"]], dtype=np.float64),
            "depth": enc["depth"],
            "log_price": enc["log_price"],
        }
        self.curves_ = curves
        self.levels_ = levels
        self._loo(enc, recent)
        return self

    def _neighbours(
        self, sim: FloatArray, exclude: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Top-k columns per row (``exclude[i]`` >= 0 is left out) and their normalized weights."""
        sim = sim.copy()
        rows = np.flatnonzero(exclude >= 0)
        sim[rows, exclude[rows]] = -np.inf
        k = min(self.k, sim.shape[1] - (1 if (exclude >= 0).any() else 0))
        k = max(k, 1)
        idx = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        w = np.take_along_axis(sim, idx, axis=1)
        finite = np.isfinite(w)
        w = np.where(finite, np.maximum(w, 0.0), 0.0)
        total = w.sum(axis=1, keepdims=True)
        equal = finite / np.maximum(finite.sum(axis=1, keepdims=True), 1)
        w = np.where(total > 0, w / np.where(total > 0, total, 1.0), equal)
        return idx, w

    def _price_factor(self, log_price: FloatArray, idx: npt.NDArray[np.int64]) -> FloatArray:
        diff = log_price[:, None] - self.base_["log_price"][idx]
        factor = np.exp(self.price_elasticity * np.nan_to_num(diff, nan=0.0))
        return np.asarray(np.clip(factor, *_PRICE_FACTOR), dtype=np.float64)

    def _profiles(self, idx: npt.NDArray[np.int64], ages: npt.NDArray[np.int64]) -> FloatArray:
        """Neighbour demand at each age: shape (rows, k, len(ages))."""
        out = np.empty((*idx.shape, len(ages)))
        for j in np.unique(idx):
            curve = self.curves_[j]
            values = np.full(len(ages), self.levels_[j])
            inside = ages < len(curve)
            values[inside] = curve[ages[inside]]
            out[idx == j] = values
        return out

    def _loo(self, enc: dict[str, Any], recent: list[FloatArray]) -> None:
        n = len(self.established_)
        self.residuals_ = np.zeros(1)
        self.loo_wape_ = float("nan")
        if n < 2:
            return
        sim = self._similarity(enc)
        idx, w = self._neighbours(sim, np.arange(n))
        factor = self._price_factor(enc["log_price"], idx)
        forecast = (w * factor * self.levels_[idx]).sum(axis=1)
        actual = np.concatenate(recent)
        predicted = np.repeat(forecast, [len(r) for r in recent])
        self.residuals_ = np.sort(np.log1p(np.maximum(actual, 0)) - np.log1p(np.maximum(predicted, 0)))
        total = float(np.abs(actual).sum())
        self.loo_wape_ = float(np.abs(actual - predicted).sum() / total) if total > 0 else float("nan")

    # -- predict --------------------------------------------------------------------------------------
    def neighbours(self, products: pd.DataFrame) -> pd.DataFrame:
        """The established products each product borrows from.

        Parameters
        ----------
        products : pandas.DataFrame
            Products to forecast, with the columns given to :meth:`fit`.

        Returns
        -------
        pandas.DataFrame
            ``unique_id, neighbour, similarity, weight``: ``k`` rows per product, most similar
            first (a product that is itself established is not its own neighbour).
        """
        self._require_fitted()
        prods = self._product_frame(products, "products")
        pieces = []
        for start in range(0, len(prods), _CHUNK):
            part = prods.iloc[start : start + _CHUNK]
            enc = self._encode(part)
            sim = self._similarity(enc)
            idx, w = self._neighbours(sim, self._self_index(part))
            ids = np.asarray(self.established_, dtype=object)
            pieces.append(
                pd.DataFrame(
                    {
                        "unique_id": np.repeat(part[self.id_col].to_numpy(dtype=object), idx.shape[1]),
                        "neighbour": ids[idx].ravel(),
                        "similarity": np.take_along_axis(sim, idx, axis=1).ravel(),
                        "weight": w.ravel(),
                    }
                )
            )
        return pd.concat(pieces, ignore_index=True)

    def _self_index(self, part: pd.DataFrame) -> npt.NDArray[np.int64]:
        pos = {u: i for i, u in enumerate(self.established_)}
        return np.array([pos.get(u, -1) for u in part[self.id_col]], dtype=np.int64)

    def _require_fitted(self) -> None:
        if not hasattr(self, "base_"):
            raise NotFittedError(
                "This SimilarProductForecaster is not fitted yet; call fit(history, products) first."
            )

    def predict(
        self,
        products: pd.DataFrame,
        h: int | None = None,
        start: Any = None,
        history: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast the given products from their neighbours.

        Parameters
        ----------
        products : pandas.DataFrame
            Products to forecast (``id_col`` plus the similarity columns). A product that is
            itself established is forecast from its other neighbours (leave-one-out).
        h : int, optional
            Periods to forecast (default ``horizon``).
        start : date-like, optional
            First forecast period (default: the period after the fitted history's last one).
        history : pandas.DataFrame, optional
            The new products' own few periods, ``unique_id, ds, y``: their age at ``start`` is
            counted from their first sale, and their sales so far scale the blend.

        Returns
        -------
        pandas.DataFrame
            ``unique_id, ds, mean, lo_<l>, hi_<l>`` (each level, ascending) ``, model`` with
            ``model = "similar-products"``.
        """
        self._require_fitted()
        h = self.horizon if h is None else h
        check_param(
            "SimilarProductForecaster.predict",
            "h",
            h,
            isinstance(h, int | np.integer) and not isinstance(h, bool) and h >= 1,
            "an int >= 1",
        )
        step = _STEP[self.freq]
        first_ds = self.end_ + step if start is None else pd.Timestamp(start)
        prods = self._product_frame(products, "products")
        own: dict[str, FloatArray] = {}
        if history is not None:
            hist = history[["unique_id", "ds", "y"]].copy()
            hist["unique_id"] = hist["unique_id"].astype(str)
            hist["ds"] = pd.to_datetime(hist["ds"])
            hist = hist[hist["ds"] < first_ds].sort_values(["unique_id", "ds"], kind="stable")
            for uid, g in hist.groupby("unique_id", sort=False):
                y = pd.to_numeric(g["y"], errors="coerce").fillna(0.0).to_numpy(np.float64)
                positive = np.flatnonzero(y > 0)
                own[str(uid)] = y[int(positive[0]) :] if positive.size else np.empty(0)
        levels = sorted({int(v) for v in self.level})
        pieces = []
        for begin in range(0, len(prods), _CHUNK):
            part = prods.iloc[begin : begin + _CHUNK]
            enc = self._encode(part)
            idx, w = self._neighbours(self._similarity(enc), self._self_index(part))
            factor = self._price_factor(enc["log_price"], idx)
            ids = part[self.id_col].tolist()
            ages_known = np.array([len(own.get(u, ())) for u in ids], dtype=np.int64)
            means = np.empty((len(ids), h))
            for a in np.unique(ages_known):
                rows = np.flatnonzero(ages_known == a)
                ages = np.arange(0, a + h, dtype=np.int64)
                prof = self._profiles(idx[rows], ages)  # rows x k x (a + h)
                blend = (w[rows, :, None] * factor[rows, :, None] * prof).sum(axis=1)
                if a > 0:
                    seen = np.array([own[ids[r]].sum() for r in rows])
                    expected = blend[:, :a].sum(axis=1)
                    ratio = np.where(
                        (expected > 0) & (seen > 0), seen / np.where(expected > 0, expected, 1.0), 1.0
                    )
                    ratio = np.where((expected > 0) & (seen == 0), 0.25, ratio)
                    shrink = a / (a + self.shrinkage) if a + self.shrinkage > 0 else 1.0
                    blend = blend * np.exp(shrink * np.log(np.clip(ratio, 0.05, 20.0)))[:, None]
                means[rows] = blend[:, a:]
            frame = pd.DataFrame(
                {
                    "unique_id": np.repeat(np.asarray(ids, dtype=object), h),
                    "ds": np.tile(first_ds + np.arange(h) * step, len(ids)),
                    "mean": np.maximum(means.ravel(), 0.0),
                }
            )
            z = np.log1p(frame["mean"].to_numpy())
            for v in levels:
                alpha = (100 - v) / 200
                lo, hi = np.quantile(self.residuals_, [alpha, 1 - alpha])
                frame[f"lo_{v}"] = np.minimum(np.maximum(np.expm1(z + lo), 0.0), frame["mean"])
                frame[f"hi_{v}"] = np.maximum(np.expm1(z + hi), frame["mean"])
            frame["model"] = "similar-products"
            pieces.append(frame)
        cols = ["unique_id", "ds", "mean", *[f"{s}_{v}" for v in levels for s in ("lo", "hi")], "model"]
        return pd.concat(pieces, ignore_index=True)[cols]
