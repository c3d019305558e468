"""A price-, promotion- and calendar-aware machine-learning forecaster (mlforecast + LightGBM).

:class:`MLCandidate` is one global LightGBM model over every series: it learns from the lags and
rolling means of each series' own demand, its price (absolute and relative to the series' usual
price), its deal and feature flags and the Chinese shopping calendar
(:func:`shopmind.features.calendar.calendar_features`). It speaks the language of
statsforecast's models so that :class:`shopmind.forecast.models.Forecaster` can put it into the
per-series selection next to the statistical ones (``Forecaster(ml=MLCandidate(...))``):
``cross_validation`` and ``predict`` return statsforecast's wide columns, ``<name>``,
``<name>-lo-80``, ``<name>-hi-80``, ...

Modelling choices
-----------------
* The target is learned on a signed log scale, ``sign(y) * log1p(|y|)``: promotions multiply
  demand rather than add to it, and one tree then serves a store selling 10 cartons a week and one
  selling 1,000. The point forecast is the back-transformed prediction, close to a conditional
  median (what MASE and WAPE reward), so it runs a little under the mean: see ``bias`` in
  ``docs/forecast-accuracy.md``.
* Prediction is recursive (mlforecast's default): step ``k`` uses the predictions of steps
  ``1..k-1`` as lags.
* Intervals are split-conformal on the log scale, pooled over series: at ``fit``, the model is
  also trained on the history without its last ``calibration_windows * horizon`` periods and
  forecasts them; the errors ``log(actual) - log(forecast)`` of all series at each horizon step
  give the interval's quantiles. Pooling hundreds of series gives stable quantiles from two
  windows where mlforecast's per-series ``PredictionIntervals`` would take the quantile of two
  numbers; ``intervals="per-series"`` uses mlforecast's own ``PredictionIntervals`` instead.
* Future exogenous values: ``predict`` uses ``X_df`` where given. Where the caller has no plan,
  a series keeps its last known value, except the 0/1 flags (``deal``, ``feature``, or any column
  that only held 0 and 1 in training), which are 0: **no promotion is assumed unless one is
  announced**.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from shopmind.errors import NotFittedError, ValidationError, check_param, require
from shopmind.features.calendar import calendar_features

__all__ = ["MLCandidate"]

FloatArray = npt.NDArray[np.float64]

_FREQS: Final = {"D": "D", "W": "7D"}
_DEFAULT_LAGS: Final = {"W": (1, 2, 3, 4, 8, 13, 26, 52), "D": (1, 2, 7, 14, 21, 28, 364)}
_DEFAULT_WINDOWS: Final = {"W": (4, 13), "D": (7, 28)}
_DEFAULT_HORIZON: Final = {"W": 12, "D": 28}
_MAX_RESIDUALS: Final = 50_000  # per horizon step; enough for quantiles to three decimals
_INTERVALS: Final = ("pooled", "per-series")


def _slog(y: npt.ArrayLike) -> FloatArray:
    v = np.asarray(y, dtype=np.float64)
    return np.asarray(np.sign(v) * np.log1p(np.abs(v)), dtype=np.float64)


def _sexp(z: npt.ArrayLike) -> FloatArray:
    v = np.asarray(z, dtype=np.float64)
    return np.asarray(np.sign(v) * np.expm1(np.abs(v)), dtype=np.float64)


@contextlib.contextmanager
def _missing_lags_allowed() -> Iterator[None]:
    """Lags longer than a series' history are missing values, which LightGBM handles."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Found null values", category=UserWarning)
        yield


def _as_float(column: pd.Series) -> pd.Series:
    if column.dtype == bool or str(column.dtype) == "boolean":
        return column.astype("Float64").astype(np.float64)
    return pd.to_numeric(column, errors="coerce").astype(np.float64)


class MLCandidate:
    """Global LightGBM forecaster over lags, prices, promotions and the Chinese calendar.

    Parameters
    ----------
    freq : {"W", "D"}, default "W"
        Weekly (periods 7 days apart, any weekday) or daily series.
    lags : sequence of int, optional
        Lags of the target used as features. Default ``(1, 2, 3, 4, 8, 13, 26, 52)`` weekly and
        ``(1, 2, 7, 14, 21, 28, 364)`` daily; lags longer than a series' history are missing values,
        which LightGBM handles.
    windows : sequence of int, optional
        Rolling means of the lag-1 target over these windows (default ``(4, 13)`` weekly,
        ``(7, 28)`` daily), plus a rolling median over the first, robust to a promotion week.
    exog : sequence of str, default ("price", "deal", "feature")
        Time-varying columns used when present in the frame given to ``fit`` (absent ones are
        skipped; ``exog_`` lists those used). With ``price`` the model also sees ``price_rel``,
        the price over the series' median training price.
    calendar : bool, default True
        Add :func:`~shopmind.features.calendar.calendar_features` (festivals, solar term, week of
        year, month).
    level : sequence of int, default (80, 95)
        Interval coverages (percent) returned when ``predict``/``cross_validation`` get none.
    horizon : int, optional
        Periods the conformal intervals are calibrated for at ``fit`` (default 12 weekly, 28
        daily). ``predict(h)`` with a longer ``h`` reuses the last step's calibration.
    calibration_windows : int, default 2
        Windows of ``horizon`` periods held out at ``fit`` to calibrate the intervals (fewer
        when the history is short; with none, the training errors are used, see ``calibration_``).
    intervals : {"pooled", "per-series"}, default "pooled"
        Split-conformal quantiles of log errors pooled over series per horizon step, or
        mlforecast's ``PredictionIntervals(method="conformal_distribution")`` per series.
    n_estimators, learning_rate, num_leaves, min_child_samples : LightGBM parameters
        Defaults 300, 0.05, 31 and 20.
    random_state : int, default 0
        Seed of LightGBM's feature sampling.
    name : str, default "LightGBM"
        Model name: the forecast column and the prefix of the interval columns.

    Attributes
    ----------
    exog_ : list of str
        The exogenous columns used (a subset of ``exog``).
    features_ : list of str
        Every feature column of the trained model.
    calibration_ : dict
        How the intervals were calibrated: ``method`` (``"holdout"``, ``"mlforecast"`` or, when no
        window fits the history, ``"in-sample"``: the model's training errors, too narrow),
        ``windows``, ``horizon``, ``series`` and the log errors per horizon step.
    last_values_ : pandas.DataFrame
        Per series, the last known value of each exogenous column (the default future).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> ds = pd.date_range("2024-01-01", periods=80, freq="7D")
    >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 10.0 + np.arange(80) % 4,
    ...                    "deal": np.arange(80) % 5 == 0})
    >>> model = MLCandidate(freq="W", horizon=4, n_estimators=20).fit(df)
    >>> list(model.predict(4).columns)
    ['unique_id', 'ds', 'LightGBM', 'LightGBM-lo-95', 'LightGBM-lo-80', 'LightGBM-hi-80', 'LightGBM-hi-95']
    """

    def __init__(
        self,
        freq: str = "W",
        lags: Sequence[int] | None = None,
        windows: Sequence[int] | None = None,
        exog: Sequence[str] = ("price", "deal", "feature"),
        calendar: bool = True,
        level: Sequence[int] = (80, 95),
        horizon: int | None = None,
        calibration_windows: int = 2,
        intervals: str = "pooled",
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        random_state: int = 0,
        name: str = "LightGBM",
    ) -> None:
        self.freq = freq
        self.lags = lags
        self.windows = windows
        self.exog = exog
        self.calendar = calendar
        self.level = level
        self.horizon = horizon
        self.calibration_windows = calibration_windows
        self.intervals = intervals
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.random_state = random_state
        self.name = name

    # -- parameters ---------------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters (scikit-learn's convention), for cloning."""
        return {
            k: getattr(self, k)
            for k in (
                "freq",
                "lags",
                "windows",
                "exog",
                "calendar",
                "level",
                "horizon",
                "calibration_windows",
                "intervals",
                "n_estimators",
                "learning_rate",
                "num_leaves",
                "min_child_samples",
                "random_state",
                "name",
            )
        }

    def _check_params(self) -> None:
        own = "MLCandidate"
        check_param(own, "freq", self.freq, self.freq in _FREQS, 'one of "W", "D"')

        def ints(value: Any, low: int) -> bool:
            return (
                value is not None
                and not isinstance(value, str)
                and len(value) > 0
                and all(
                    isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= low for v in value
                )
            )

        if self.lags is not None:
            check_param(own, "lags", self.lags, ints(self.lags, 1), "a non-empty sequence of ints >= 1")
        if self.windows is not None:
            check_param(own, "windows", self.windows, ints(self.windows, 2), "a sequence of ints >= 2")
        check_param(
            own,
            "exog",
            self.exog,
            not isinstance(self.exog, str) and all(isinstance(c, str) for c in self.exog),
            "a sequence of column names",
        )
        check_param(
            own,
            "level",
            self.level,
            ints(self.level, 1) and all(0 < v < 100 for v in self.level),
            "a sequence of ints in 1..99",
        )
        if self.horizon is not None:
            check_param(own, "horizon", self.horizon, ints([self.horizon], 1), "an int >= 1")
        check_param(
            own,
            "calibration_windows",
            self.calibration_windows,
            ints([self.calibration_windows], 1),
            "an int >= 1",
        )
        check_param(
            own, "intervals", self.intervals, self.intervals in _INTERVALS, 'one of "pooled", "per-series"'
        )
        check_param(own, "n_estimators", self.n_estimators, ints([self.n_estimators], 1), "an int >= 1")
        check_param(
            own,
            "learning_rate",
            self.learning_rate,
            isinstance(self.learning_rate, float | int) and self.learning_rate > 0,
            "a number > 0",
        )
        check_param(own, "num_leaves", self.num_leaves, ints([self.num_leaves], 2), "an int >= 2")
        check_param(
            own, "min_child_samples", self.min_child_samples, ints([self.min_child_samples], 1), "an int >= 1"
        )
        check_param(own, "name", self.name, isinstance(self.name, str) and self.name != "", "a non-empty str")

    # -- building blocks ----------------------------------------------------------------------------
    def _lags(self) -> list[int]:
        return sorted(set(self.lags if self.lags is not None else _DEFAULT_LAGS[self.freq]))

    def _windows(self) -> list[int]:
        return sorted(set(self.windows if self.windows is not None else _DEFAULT_WINDOWS[self.freq]))

    def _new_mlforecast(self) -> Any:
        mlforecast = require("mlforecast", "forecast", "The ML forecaster")
        lightgbm = require("lightgbm", "forecast", "The ML forecaster")
        lag_transforms_module = require("mlforecast.lag_transforms", "forecast", "The ML forecaster")
        windows = self._windows()
        transforms: list[Any] = [lag_transforms_module.RollingMean(window_size=w) for w in windows]
        transforms.append(lag_transforms_module.RollingQuantile(p=0.5, window_size=windows[0]))
        model = lightgbm.LGBMRegressor(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            random_state=self.random_state,
            n_jobs=1,
            verbose=-1,
        )
        return mlforecast.MLForecast(
            models={self.name: model},
            freq=_FREQS[self.freq],
            lags=self._lags(),
            lag_transforms={1: transforms},
            num_threads=1,
        )

    def _validate(self, df: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in ("unique_id", "ds", "y") if c not in df.columns]
        if missing:
            raise ValidationError(
                f"MLCandidate needs a long frame with columns unique_id, ds, y; {missing[0]!r} is missing."
            )
        if df.empty:
            raise ValidationError("MLCandidate got an empty frame; give it at least one series.")
        frame = df.copy()
        frame["unique_id"] = frame["unique_id"].astype(str)
        frame["ds"] = pd.to_datetime(frame["ds"])
        if frame["ds"].dt.tz is not None:
            frame["ds"] = frame["ds"].dt.tz_localize(None)
        frame["y"] = pd.to_numeric(frame["y"], errors="coerce").astype(np.float64)
        if frame["y"].isna().any():
            bad = frame.loc[frame["y"].isna(), "unique_id"].iloc[0]
            raise ValidationError(f"Series {bad!r} has a missing y; fill it (0 for no sales) first.")
        frame = frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        step = pd.Timedelta(days=1 if self.freq == "D" else 7)
        gaps = frame.groupby("unique_id", sort=False)["ds"].diff().dropna()
        if (gaps != step).any():
            bad = frame.loc[gaps.index[gaps != step][0], "unique_id"]
            raise ValidationError(
                f"Series {bad!r} is not regular at freq={self.freq!r} (periods {step.days} day(s) apart, "
                "no gaps or duplicates); fill missing periods first (zero demand, last known price)."
            )
        return frame

    def _exog_frame(self, frame: pd.DataFrame, future: bool = False) -> pd.DataFrame:
        """Numeric exogenous columns plus derived price and calendar features (same row order).

        ``<col>_prev`` is the previous period's value (a promotion's after-effect); for the first
        future period it is the series' last known value.
        """
        out = frame[["unique_id", "ds"]].copy()
        for col in self.exog_:
            out[col] = _as_float(frame[col])
        if "price" in self.exog_:
            out["price"] = out.groupby("unique_id", sort=False)["price"].transform(
                lambda s: s.ffill().bfill()
            )
            ref = out["unique_id"].map(self.reference_price_)
            out["price_rel"] = out["price"] / ref.where(ref > 0)
        for col in self.exog_:
            prev = out.groupby("unique_id", sort=False)[col].shift(1)
            if future:
                first = out["unique_id"].ne(out["unique_id"].shift(1))
                prev = prev.where(~first, out["unique_id"].map(self.last_values_[col]))
            out[f"{col}_prev"] = prev
        if self.calendar:
            feats = calendar_features(out["ds"], freq=self.freq)
            feats.index = out.index
            for col in feats.columns:
                out[f"cal_{col}"] = feats[col].astype(np.float64)
        return out

    def _training_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        exog = self._exog_frame(frame)
        exog["y"] = _slog(frame["y"].to_numpy())
        return exog[["unique_id", "ds", "y", *[c for c in exog.columns if c not in ("unique_id", "ds", "y")]]]

    # -- fit ----------------------------------------------------------------------------------------
    def fit(self, df: pd.DataFrame) -> MLCandidate:
        """Train LightGBM on every series and calibrate the intervals.

        Parameters
        ----------
        df : pandas.DataFrame
            Long frame ``unique_id, ds, y`` plus any of the ``exog`` columns; each series regular
            at ``freq`` (no missing periods). Flags may be bool or 0/1.

        Returns
        -------
        MLCandidate
            ``self``.

        Raises
        ------
        ValidationError
            If columns are missing or a series has gaps or missing targets.
        """
        self._check_params()
        frame = self._validate(df)
        self.exog_ = [c for c in self.exog if c in frame.columns]
        horizon = self.horizon if self.horizon is not None else _DEFAULT_HORIZON[self.freq]
        if "price" in self.exog_:
            prices = _as_float(frame["price"])
            self.reference_price_ = prices.groupby(frame["unique_id"]).median().to_dict()
        else:
            self.reference_price_ = {}
        self.nonnegative_ = bool((frame["y"] >= 0).all())
        last = frame.groupby("unique_id", sort=True).tail(1).set_index("unique_id")
        self.last_values_ = pd.DataFrame(index=last.index)
        self.flags_: list[str] = []
        for col in self.exog_:
            values = _as_float(frame[col])
            filled = values.groupby(frame["unique_id"]).ffill()
            self.last_values_[col] = filled.groupby(frame["unique_id"]).last()
            if values.dropna().isin([0.0, 1.0]).all():
                self.flags_.append(col)
        self.last_ds_ = last["ds"]
        train = self._training_frame(frame)
        self.calibration_ = self._calibrate(train, horizon)
        self.model_ = self._new_mlforecast()
        fit_kwargs: dict[str, Any] = {"static_features": [], "dropna": False}
        method = self.calibration_["method"]
        if method == "mlforecast":
            utils = require("mlforecast.utils", "forecast", "The ML forecaster")
            fit_kwargs["prediction_intervals"] = utils.PredictionIntervals(
                n_windows=self.calibration_["windows"], h=horizon, method="conformal_distribution"
            )
        if method == "in-sample":
            fit_kwargs["fitted"] = True
        with _missing_lags_allowed():
            self.model_.fit(train, **fit_kwargs)
        if method == "in-sample":
            fitted = self.model_.forecast_fitted_values()
            errors = (fitted["y"] - fitted[self.name]).to_numpy(dtype=np.float64)
            errors = np.sort(errors[np.isfinite(errors)])
            self.calibration_["residuals"] = [errors] * horizon
        self.features_ = list(self.model_.ts.features_order_)
        self.horizon_ = horizon
        return self

    def _calibrate(self, train: pd.DataFrame, horizon: int) -> dict[str, Any]:
        """Hold out the last windows, forecast them, keep the log errors per horizon step.

        With too short a history for one window, the errors are the model's in-sample ones
        (``method="in-sample"``, filled in by ``fit``): narrower than they should be.
        """
        sizes = train.groupby("unique_id", sort=False).size()
        min_train = max(horizon, 8)
        info: dict[str, Any] = {"horizon": horizon}
        for windows in range(self.calibration_windows, 0, -1):
            eligible = sizes.index[sizes >= windows * horizon + min_train]
            if len(eligible) == 0:
                continue
            info.update(windows=windows, series=len(eligible))
            if self.intervals == "per-series" and windows >= 2 and len(eligible) == len(sizes):
                # mlforecast's own PredictionIntervals need two windows on every series; otherwise pooled
                return {**info, "method": "mlforecast", "residuals": None}
            part = train[train["unique_id"].isin(set(eligible))]
            with _missing_lags_allowed():
                cv = self._new_mlforecast().cross_validation(
                    part,
                    n_windows=windows,
                    h=horizon,
                    step_size=horizon,
                    refit=False,
                    static_features=[],
                    dropna=False,
                )
            cv = cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable")
            step = cv.groupby(["unique_id", "cutoff"], sort=False).cumcount().to_numpy()
            errors = (cv["y"] - cv[self.name]).to_numpy(dtype=np.float64)
            rng = np.random.default_rng(self.random_state)
            residuals: list[FloatArray] = []
            for k in range(horizon):
                r = errors[step == k]
                r = r[np.isfinite(r)]
                if len(r) > _MAX_RESIDUALS:
                    r = rng.choice(r, _MAX_RESIDUALS, replace=False)
                residuals.append(np.sort(r))
            return {**info, "method": "holdout", "residuals": residuals}
        return {"horizon": horizon, "windows": 0, "series": 0, "method": "in-sample", "residuals": None}

    def _interval_shifts(self, step: npt.NDArray[np.int64], level: int) -> tuple[FloatArray, FloatArray]:
        """Log-scale offsets of the interval ends for each row, from its horizon step's errors."""
        residuals: list[FloatArray] = self.calibration_["residuals"]
        alpha = (100 - level) / 200
        q_lo = np.array([np.quantile(r, alpha) if len(r) else 0.0 for r in residuals])
        q_hi = np.array([np.quantile(r, 1 - alpha) if len(r) else 0.0 for r in residuals])
        step = np.minimum(step, len(residuals) - 1)
        return q_lo[step], q_hi[step]

    # -- predict ------------------------------------------------------------------------------------
    def _future(self, h: int, X_df: pd.DataFrame | None) -> pd.DataFrame:  # noqa: N803
        step = pd.Timedelta(days=1 if self.freq == "D" else 7)
        ids = self.last_ds_.index.to_numpy()
        offsets = np.arange(1, h + 1)
        future = pd.DataFrame(
            {
                "unique_id": np.repeat(ids, h),
                "ds": np.repeat(self.last_ds_.to_numpy(), h) + np.tile(offsets, len(ids)) * step,
            }
        )
        given = [c for c in self.exog_ if X_df is not None and c in X_df.columns]
        if X_df is not None and given:
            if "unique_id" not in X_df.columns or "ds" not in X_df.columns:
                raise ValidationError("X_df needs the columns unique_id and ds next to the exogenous ones.")
            x = X_df[["unique_id", "ds", *given]].copy()
            x["unique_id"] = x["unique_id"].astype(str)
            x["ds"] = pd.to_datetime(x["ds"])
            if x["ds"].dt.tz is not None:
                x["ds"] = x["ds"].dt.tz_localize(None)
            for col in given:
                x[col] = _as_float(x[col])
            x = x.drop_duplicates(["unique_id", "ds"], keep="last")
            future = future.merge(x, on=["unique_id", "ds"], how="left")
        for col in self.exog_:
            default = (
                pd.Series(0.0, index=future.index)
                if col in self.flags_
                else future["unique_id"].map(self.last_values_[col])
            )
            future[col] = future[col].fillna(default) if col in future.columns else default
        return future

    def predict(
        self,
        h: int,
        X_df: pd.DataFrame | None = None,  # noqa: N803 (mlforecast's and statsforecast's name)
        level: Sequence[int] | None = None,
    ) -> pd.DataFrame:
        """Forecast ``h`` periods after each series' last one, with intervals.

        Parameters
        ----------
        h : int
            Periods to forecast.
        X_df : pandas.DataFrame, optional
            Future exogenous values: ``unique_id``, ``ds`` and any of ``exog_``. Missing rows or
            columns take the series' last known value, and 0 for the 0/1 flags (no deal, not
            featured).
        level : sequence of int, optional
            Interval coverages in percent (default: the ``level`` parameter).

        Returns
        -------
        pandas.DataFrame
            ``unique_id, ds, <name>``, then ``<name>-lo-<l>`` (widest first) and
            ``<name>-hi-<l>`` for each level, statsforecast's layout. Non-negative when the
            training targets were.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        """
        if not hasattr(self, "model_"):
            raise NotFittedError("This MLCandidate is not fitted yet; call fit(df) before predict.")
        check_param("MLCandidate.predict", "h", h, isinstance(h, int | np.integer) and h >= 1, "an int >= 1")
        levels = sorted({int(v) for v in (self.level if level is None else level)})
        check_param(
            "MLCandidate.predict",
            "level",
            level,
            all(0 < v < 100 for v in levels),
            "a sequence of ints in 1..99",
        )
        future = self._exog_frame(self._future(int(h), X_df), future=True)
        has_features = len(future.columns) > 2  # mlforecast wants no X_df without exogenous columns
        kwargs: dict[str, Any] = {"X_df": future if has_features else None}
        per_series = self.calibration_["method"] == "mlforecast"
        if per_series:
            kwargs["level"] = levels
        with _missing_lags_allowed():
            raw = self.model_.predict(int(h), **kwargs)
        raw["unique_id"] = raw["unique_id"].astype(str)
        raw = raw.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        z = raw[self.name].to_numpy(dtype=np.float64)
        out = raw[["unique_id", "ds"]].copy()
        out[self.name] = _sexp(z)
        lo_cols = [f"{self.name}-lo-{v}" for v in reversed(levels)]
        hi_cols = [f"{self.name}-hi-{v}" for v in levels]
        if per_series:
            for col in (*lo_cols, *hi_cols):
                out[col] = _sexp(raw[col].to_numpy(dtype=np.float64))
        else:
            step = raw.groupby("unique_id", sort=False).cumcount().to_numpy()
            for v in levels:
                shift_lo, shift_hi = self._interval_shifts(step, v)
                out[f"{self.name}-lo-{v}"] = _sexp(z + shift_lo)
                out[f"{self.name}-hi-{v}"] = _sexp(z + shift_hi)
        value_cols = [self.name, *lo_cols, *hi_cols]
        if self.nonnegative_:
            out[value_cols] = out[value_cols].clip(lower=0.0)
        # An interval always contains its point forecast.
        for v in levels:
            lo, hi = f"{self.name}-lo-{v}", f"{self.name}-hi-{v}"
            out[lo] = np.minimum(out[lo], out[self.name])
            out[hi] = np.maximum(out[hi], out[self.name])
        result: pd.DataFrame = out[["unique_id", "ds", *value_cols]]
        return result

    # -- cross-validation ---------------------------------------------------------------------------
    def cross_validation(
        self,
        df: pd.DataFrame,
        h: int,
        n_windows: int = 1,
        step_size: int | None = None,
        level: Sequence[int] | None = None,
    ) -> pd.DataFrame:
        """Rolling-origin evaluation with statsforecast's windows and columns.

        Each window refits a fresh copy (same parameters, intervals calibrated for ``h``) on the
        history up to its cutoff and forecasts the next ``h`` periods with the actual future
        exogenous values (prices and promotions are planned ahead).

        Parameters
        ----------
        df : pandas.DataFrame
            As for :meth:`fit`.
        h : int
            Forecast horizon of each window.
        n_windows : int, default 1
            Number of windows.
        step_size : int, optional
            Periods between cutoffs (default ``h``).
        level : sequence of int, optional
            Interval coverages (default: the ``level`` parameter).

        Returns
        -------
        pandas.DataFrame
            ``unique_id, ds, cutoff, y, <name>, <name>-lo-<l>..., <name>-hi-<l>...``.
        """
        self._check_params()
        check_param("MLCandidate.cross_validation", "h", h, isinstance(h, int) and h >= 1, "an int >= 1")
        check_param(
            "MLCandidate.cross_validation",
            "n_windows",
            n_windows,
            isinstance(n_windows, int) and n_windows >= 1,
            "an int >= 1",
        )
        step = h if step_size is None else step_size
        check_param(
            "MLCandidate.cross_validation",
            "step_size",
            step_size,
            isinstance(step, int) and step >= 1,
            "an int >= 1",
        )
        processing = require("utilsforecast.processing", "forecast", "The ML forecaster")
        frame = self._validate(df)
        params = {**self.get_params(), "horizon": h}
        pieces = []
        splits = processing.backtest_splits(
            frame,
            n_windows=n_windows,
            h=h,
            id_col="unique_id",
            time_col="ds",
            freq=_FREQS[self.freq],
            step_size=step,
        )
        for cutoffs, train, valid in splits:
            if train.empty:
                continue
            model = MLCandidate(**params).fit(train)
            fc = model.predict(h, X_df=valid, level=level)
            fc = fc.merge(valid[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="inner")
            fc = fc.merge(cutoffs, on="unique_id", how="left")
            pieces.append(fc)
        if not pieces:
            raise ValidationError(
                f"MLCandidate.cross_validation: no series has history before its first window "
                f"({n_windows} windows of {h} periods); use fewer or shorter windows."
            )
        out = pd.concat(pieces, ignore_index=True)
        value_cols = [c for c in out.columns if c not in ("unique_id", "ds", "cutoff", "y")]
        return out[["unique_id", "ds", "cutoff", "y", *value_cols]]
