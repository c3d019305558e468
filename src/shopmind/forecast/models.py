"""Per-series demand forecasting: cheap model selection by rolling-origin cross-validation.

:class:`Forecaster` forecasts many series at once (per SKU, per SKU x store, daily or weekly) with
Nixtla's statsforecast models and picks a model *per series*:

1. **Classify** each series by the Syntetos-Boylan scheme: the average demand interval (ADI) and
   the squared coefficient of variation of the non-zero demands (CV²). Intermittent and lumpy series
   (ADI >= 1.32) get the intermittent-demand models (CrostonOptimized, ADIDA, IMAPA); smooth and
   erratic ones get AutoETS and AutoTheta. SeasonalNaive is a candidate everywhere: it is the
   baseline every model has to beat.
2. **Cross-validate** on ``n_windows`` rolling origins, each ``horizon`` steps long, with every
   candidate trained on the last ``window`` observations before the origin. The expensive models
   (AutoETS, AutoTheta, AutoARIMA) are fitted once, at the first origin, and *forwarded* (their
   parameters applied to the newer data) at the later origins, so cross-validation costs one fit per
   candidate.
3. **AutoARIMA only where it can win**: it is fitted only for the series where neither AutoETS nor
   AutoTheta beats SeasonalNaive by the margin ``arima_gate`` (one AutoARIMA fit costs about five
   AutoETS fits).
4. **Choose** per series the candidate with the lowest error: MASE (mean absolute error over all
   windows, scaled by the in-sample mean absolute error of the seasonal naive forecast) for smooth
   and erratic series, RMSSE (the squared-error analogue, M5's measure) for intermittent and lumpy
   ones, where the absolute error rewards forecasting zero (``metric=``). The chosen model
   forecasts from the latest data (by default with the parameters it got at the first origin,
   ``refit=``), with prediction intervals from the model (statsforecast's ``level=``) or, for the
   models without native intervals (the Croston family, and an ML candidate that gives none),
   conformal intervals from that series' own cross-validation errors.

Series too short for cross-validation get SeasonalNaive (Naive when shorter than a season) and
say so in :attr:`Forecaster.selection_` (``status="short_history"``). Forecasts of series that
never go below zero are clipped at zero.

An ML candidate (``ml=``; for instance mlforecast with LightGBM over price, deal and calendar
features) joins the selection: its cross-validation errors on the same origins are scaled the same
way and it wins a series when its error is the lowest. ``engine="spark"`` runs the per-series work
on Spark (see :mod:`shopmind.forecast.spark`); the numbers are the same as the local engine's.

The models are pure: data frames in, data frames out. statsforecast is imported on first use.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import os
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd

from shopmind.errors import NotFittedError, ValidationError, check_param

__all__ = [
    "INTERMITTENT_MODELS",
    "STAT_MODELS",
    "Forecaster",
    "MLCandidateLike",
    "classify_demand",
]

FloatArray = npt.NDArray[np.float64]

#: statsforecast models a :class:`Forecaster` can choose from, by name.
STAT_MODELS: tuple[str, ...] = (
    "SeasonalNaive",
    "Naive",
    "AutoETS",
    "AutoTheta",
    "AutoARIMA",
    "CrostonOptimized",
    "ADIDA",
    "IMAPA",
)
#: The intermittent-demand models (no native prediction intervals: conformal ones are used).
INTERMITTENT_MODELS: tuple[str, ...] = ("CrostonOptimized", "ADIDA", "IMAPA")
_NATIVE_INTERVALS = frozenset({"SeasonalNaive", "Naive", "AutoETS", "AutoTheta", "AutoARIMA"})
# Fitted once per series in cross-validation and forwarded to the later origins.
_EXPENSIVE = frozenset({"AutoETS", "AutoTheta", "AutoARIMA"})
_SMOOTH_CANDIDATES = ("SeasonalNaive", "AutoETS", "AutoTheta")
_INTERMITTENT_CANDIDATES = ("SeasonalNaive", *INTERMITTENT_MODELS)
#: Syntetos-Boylan cut-offs: average demand interval and squared coefficient of variation.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
_DEFAULT_SEASON = {"D": 7, "B": 5, "W": 52, "M": 12, "MS": 12, "ME": 12, "Q": 4, "QS": 4, "QE": 4}
_DEFAULT_SEASON.update({"H": 24, "h": 24, "Y": 1, "YS": 1, "YE": 1, "A": 1, "AS": 1})
_ENGINES = ("local", "spark")
_STATUS_SELECTED = "selected"


@runtime_checkable
class MLCandidateLike(Protocol):
    """What an ML candidate passed as ``Forecaster(ml=...)`` provides (statsforecast's conventions).

    ``cross_validation`` returns ``unique_id, ds, cutoff, y, <name>`` (and ``<name>-lo-<level>``,
    ``<name>-hi-<level>`` when it has intervals); ``predict`` returns ``unique_id, ds, <name>`` (and
    the interval columns). Both take the long frame ``unique_id, ds, y`` plus exogenous columns.
    """

    name: str

    def cross_validation(
        self, df: pd.DataFrame, h: int, n_windows: int, step_size: int, level: Sequence[int]
    ) -> pd.DataFrame: ...

    def fit(self, df: pd.DataFrame) -> Any: ...

    def predict(
        self,
        h: int,
        X_df: pd.DataFrame | None = None,  # noqa: N803 (statsforecast's name)
        level: Sequence[int] = ...,
    ) -> pd.DataFrame: ...


# -- the per-series work (pure numpy; runs in worker processes and on Spark executors) --------------------
@dataclass(frozen=True)
class _Plan:
    """Everything the per-series work needs; small and picklable."""

    h: int
    m: int
    level: tuple[int, ...]
    n_windows: int
    window: int | None
    refit: bool
    models: tuple[str, ...] | None  # None: the automatic candidate sets
    arima_gate: float
    min_train: int
    metric: str  # "mase", "rmsse" or "auto" (RMSSE for intermittent and lumpy series)


@dataclass
class _SeriesFit:
    """One series' selection and forecast (``mean`` and ``bounds`` are ``h`` long)."""

    uid: Any
    n_obs: int
    demand_class: str
    status: str
    model: str
    intervals: str
    nonneg: bool
    metric: str = "mase"
    scale: float = float("nan")  # MASE denominator
    scale_sq: float = float("nan")  # RMSSE denominator (squared)
    mase: dict[str, float] = field(default_factory=dict)
    rmsse: dict[str, float] = field(default_factory=dict)
    mean: FloatArray = field(default_factory=lambda: np.empty(0))
    bounds: dict[int, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    conformal: dict[int, float] = field(default_factory=dict)
    last_ds: Any = None


def classify_demand(y: npt.ArrayLike) -> str:
    """The Syntetos-Boylan class of a demand series.

    Parameters
    ----------
    y : array-like
        The demand, one value per period.

    Returns
    -------
    str
        ``"smooth"``, ``"erratic"`` (ADI < 1.32, CV² below or above 0.49), ``"intermittent"``,
        ``"lumpy"`` (ADI >= 1.32), or ``"no_demand"`` when no period has positive demand.

    Examples
    --------
    >>> classify_demand([0, 0, 3, 0, 0, 0, 2, 0, 0, 3])
    'intermittent'
    >>> classify_demand([5, 6, 5, 7, 6, 5])
    'smooth'
    """
    arr = np.asarray(y, dtype=np.float64)
    demand = arr[arr > 0]
    if demand.size == 0:
        return "no_demand"
    adi = arr.size / demand.size
    cv2 = float((demand.std() / demand.mean()) ** 2)
    if adi >= ADI_CUTOFF:
        return "lumpy" if cv2 >= CV2_CUTOFF else "intermittent"
    return "erratic" if cv2 >= CV2_CUTOFF else "smooth"


def _sf_model(name: str, m: int) -> Any:
    from statsforecast import models as sm  # imported on first use: ~2 s

    if name == "SeasonalNaive":
        return sm.SeasonalNaive(season_length=m) if m > 1 else sm.Naive(alias="SeasonalNaive")
    if name == "Naive":
        return sm.Naive()
    if name == "AutoETS":
        return sm.AutoETS(season_length=m)
    if name == "AutoTheta":
        return sm.AutoTheta(season_length=m)
    if name == "AutoARIMA":
        # the CSS approximation and a capped stepwise search, as R's auto.arima does on long
        # series: 2.5 times faster at the same accuracy on the benchmark's series
        return sm.AutoARIMA(season_length=m, approximation=True, nmodels=20)
    if name == "CrostonOptimized":
        return sm.CrostonOptimized()
    if name == "ADIDA":
        return sm.ADIDA()
    if name == "IMAPA":
        return sm.IMAPA()
    raise ValueError(f"unknown model {name!r}")  # parameters are checked in fit


def _scales(y: FloatArray, m: int) -> tuple[float, float]:
    """In-sample mean absolute and mean squared error of the seasonal naive forecast.

    The denominators of MASE and RMSSE; a series whose seasonal naive forecast is perfect is
    scaled by its mean absolute level (by 1 when that is zero too).
    """
    lag = m if y.size > m else 1
    if y.size <= lag:
        return 1.0, 1.0
    diff = y[lag:] - y[:-lag]
    mae, mse = float(np.mean(np.abs(diff))), float(np.mean(diff**2))
    level = float(np.mean(np.abs(y))) or 1.0
    return (mae if mae > 0 else level), (mse if mse > 0 else level**2)


def _train(y: FloatArray, end: int, plan: _Plan) -> FloatArray:
    """The training data for an origin at ``end``: about the last ``window`` observations.

    Every origin's window starts a whole number of seasons after the first origin's, so a model
    fitted at the first origin can be forwarded to the later ones: statsforecast's ETS keeps its
    initial seasonal states when forwarded, and they must fall on the same phase of the season.
    The window is therefore between ``window`` and ``window + season_length - 1`` long.
    """
    if plan.window is None:
        return y[:end]
    first = y.size - plan.n_windows * plan.h
    start0 = max(0, first - plan.window)
    start = start0 + plan.m * (max(0, end - plan.window - start0) // plan.m)
    return y[start:end]


def _cross_validate(name: str, y: FloatArray, plan: _Plan, nonneg: bool) -> tuple[FloatArray, Any]:
    """Errors (actual - forecast) of ``name`` over the rolling origins (windows x steps, flattened)."""
    h = plan.h
    first = y.size - plan.n_windows * h
    model = _sf_model(name, plan.m)
    fitted = None
    errors = np.empty(plan.n_windows * h)
    for w in range(plan.n_windows):
        cut = first + w * h
        train = _train(y, cut, plan)
        if name in _EXPENSIVE:
            if fitted is None:
                fitted = model.fit(y=train)
                fc = fitted.predict(h=h)["mean"]
            else:
                fc = fitted.forward(y=train, h=h)["mean"]
        else:
            fc = model.forecast(y=train, h=h)["mean"]
        fc = np.asarray(fc, dtype=np.float64)
        if nonneg:
            fc = np.maximum(fc, 0.0)
        errors[w * h : (w + 1) * h] = y[cut : cut + h] - fc
    if not np.all(np.isfinite(errors)):
        raise FloatingPointError(f"{name} gave a non-finite forecast")
    return errors, fitted


def _conformal_quantiles(errors: FloatArray, level: tuple[int, ...]) -> dict[int, float]:
    """Split-conformal half-widths from errors pooled over windows and steps."""
    errors = np.abs(errors)
    k = errors.size
    out: dict[int, float] = {}
    for lv in level:
        q = min(1.0, math.ceil((k + 1) * lv / 100) / k)
        out[lv] = float(np.quantile(errors, q, method="higher"))
    return out


Forecast = tuple[FloatArray, dict[int, tuple[FloatArray, FloatArray]]]


def _model_forecast(
    y: FloatArray, name: str, h: int, plan: _Plan, conformal: dict[int, float], fitted: Any
) -> Forecast:
    level = list(plan.level) if plan.level and name in _NATIVE_INTERVALS else None
    model = _sf_model(name, plan.m)
    first = y.size - plan.n_windows * plan.h
    if name in _EXPENSIVE and not plan.refit and first >= plan.min_train:
        # parameters estimated at the first cross-validation origin, forwarded to the latest data
        if fitted is None:
            fitted = model.fit(y=_train(y, first, plan))
        out = fitted.forward(y=_train(y, y.size, plan), h=h, level=level)
    else:
        out = model.forecast(y=_train(y, y.size, plan), h=h, level=level)
    mean = np.asarray(out["mean"], dtype=np.float64)
    bounds: dict[int, tuple[FloatArray, FloatArray]] = {}
    for lv in plan.level:
        if level is not None:
            lo = np.asarray(out[f"lo-{lv}"], dtype=np.float64)
            hi = np.asarray(out[f"hi-{lv}"], dtype=np.float64)
        else:
            half = conformal.get(lv, float("nan"))
            lo, hi = mean - half, mean + half
        bounds[lv] = (lo, hi)
    if not np.all(np.isfinite(mean)):
        raise FloatingPointError(f"{name} gave a non-finite forecast")
    return mean, bounds


def _final_forecast(
    y: FloatArray,
    name: str,
    h: int,
    plan: _Plan,
    conformal: dict[int, float],
    nonneg: bool,
    fitted: Any = None,
) -> tuple[str, FloatArray, dict[int, tuple[FloatArray, FloatArray]]]:
    """Forecast ``h`` steps with the chosen model, with intervals at ``plan.level``.

    ``fitted`` is the model fitted at the first cross-validation origin, when there is one. If the
    chosen model fails on the latest data, SeasonalNaive (Naive when shorter than a season) is
    used; the model actually used is returned first.
    """
    try:
        mean, bounds = _model_forecast(y, name, h, plan, conformal, fitted)
    except Exception:
        name = "SeasonalNaive" if y.size >= plan.m else "Naive"
        mean, bounds = _model_forecast(y, name, h, plan, {}, None)
    if nonneg:
        mean = np.maximum(mean, 0.0)
        bounds = {lv: (np.maximum(lo, 0.0), np.maximum(hi, 0.0)) for lv, (lo, hi) in bounds.items()}
    return name, mean, bounds


def _candidates(plan: _Plan, demand_class: str) -> tuple[str, ...]:
    if plan.models is not None:
        return plan.models
    if demand_class in ("intermittent", "lumpy"):
        return _INTERMITTENT_CANDIDATES
    return _SMOOTH_CANDIDATES


def _intermittent(demand_class: str) -> bool:
    return demand_class in ("intermittent", "lumpy")


def _fit_series(uid: Any, y: FloatArray, plan: _Plan) -> _SeriesFit:
    """Classify, cross-validate, choose and forecast one series."""
    n = y.size
    nonneg = bool(np.all(y >= 0))
    demand_class = classify_demand(y)
    first = n - plan.n_windows * plan.h
    metric = plan.metric
    if metric == "auto":
        metric = "rmsse" if _intermittent(demand_class) else "mase"
    fit = _SeriesFit(
        uid=uid, n_obs=n, demand_class=demand_class, status=_STATUS_SELECTED, model="", intervals="",
        nonneg=nonneg, metric=metric,
    )  # fmt: skip
    fitted: dict[str, Any] = {}
    if n and np.all(y == y[0]):
        fit.status, fit.model = "constant", "Naive"
    elif first < plan.min_train:
        fit.status = "short_history"
        fit.model = "SeasonalNaive" if n >= plan.m else "Naive"
    else:
        fit.scale, fit.scale_sq = _scales(y[:first], plan.m)
        errors: dict[str, FloatArray] = {}
        failed: list[str] = []

        def run(name: str) -> None:
            try:
                errors[name], fitted[name] = _cross_validate(name, y, plan, nonneg)
            except Exception:  # a model that cannot fit this series is not a candidate
                failed.append(name)

        def score(name: str) -> float:
            e = errors[name]
            if metric == "rmsse":
                return math.sqrt(float(np.mean(e**2)) / fit.scale_sq)
            return float(np.mean(np.abs(e))) / fit.scale

        for name in _candidates(plan, demand_class):
            run(name)
        if plan.models is None and not _intermittent(demand_class) and "SeasonalNaive" in errors:
            # AutoARIMA only where AutoETS and AutoTheta do not clearly beat the baseline
            best = min((score(k) for k in ("AutoETS", "AutoTheta") if k in errors), default=math.inf)
            if best > plan.arima_gate * score("SeasonalNaive"):
                run("AutoARIMA")
        for name, e in errors.items():
            fit.mase[name] = float(np.mean(np.abs(e))) / fit.scale
            fit.rmsse[name] = math.sqrt(float(np.mean(e**2)) / fit.scale_sq)
        for name in failed:
            fit.mase[name] = fit.rmsse[name] = float("nan")
        if errors:
            fit.model = min(errors, key=lambda k: (score(k), STAT_MODELS.index(k)))
        else:
            fit.status = "fallback"
            fit.model = "SeasonalNaive" if n >= plan.m else "Naive"
        if fit.model not in _NATIVE_INTERVALS and fit.model in errors:
            fit.conformal = _conformal_quantiles(errors[fit.model], plan.level)
    used, fit.mean, fit.bounds = _final_forecast(
        y, fit.model, plan.h, plan, fit.conformal, nonneg, fitted.get(fit.model)
    )
    if used != fit.model:
        fit.status, fit.model, fit.conformal = "fallback", used, {}
    fit.intervals = "native" if fit.model in _NATIVE_INTERVALS else "conformal"
    return fit


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Hide AutoARIMA's notices: its stepwise search is capped on purpose, and a candidate whose
    optimizer did not converge is judged by its cross-validation errors like any other."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Stepwise search was stopped early")
        warnings.filterwarnings("ignore", message="possible convergence problem")
        yield


def _fit_chunk(uids: Sequence[Any], ys: Sequence[FloatArray], plan: _Plan) -> list[_SeriesFit]:
    with _quiet():
        return [_fit_series(uid, y, plan) for uid, y in zip(uids, ys, strict=True)]


def _forecast_chunk(
    fits: Sequence[_SeriesFit], ys: Sequence[FloatArray], h: int, plan: _Plan
) -> list[tuple[str, FloatArray, dict[int, tuple[FloatArray, FloatArray]]]]:
    with _quiet():
        return [
            _final_forecast(y, f.model, h, plan, f.conformal, f.nonneg) for f, y in zip(fits, ys, strict=True)
        ]


def fit_frame(frame: pd.DataFrame, plan: _Plan, n_jobs: int = 1) -> list[_SeriesFit]:
    """Run the per-series work on a frame ``unique_id, ds, y`` (any order); one result per series."""
    uids, ys, last = _split(frame)
    fits: list[_SeriesFit] = _map_chunks(_fit_chunk, uids, ys, (plan,), n_jobs)
    for f, ds in zip(fits, last, strict=True):
        f.last_ds = ds
    return fits


def _split(frame: pd.DataFrame) -> tuple[list[Any], list[FloatArray], list[Any]]:
    frame = frame.sort_values(["unique_id", "ds"], kind="stable")
    codes, uniques = pd.factorize(frame["unique_id"], sort=False)
    y = frame["y"].to_numpy(dtype=np.float64)
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(frame)]))
    ds = frame["ds"].to_numpy()
    return (
        list(uniques),
        [y[s:e] for s, e in zip(starts, ends, strict=True)],
        [pd.Timestamp(ds[e - 1]) for e in ends],
    )


def _map_chunks(fn: Any, first: list[Any], ys: list[FloatArray], extra: tuple[Any, ...], n_jobs: int) -> Any:
    """``fn(first, ys, *extra)`` over interleaved chunks, in ``n_jobs`` processes; results in order."""
    n = len(first)
    if n_jobs <= 1 or n < 2:
        return fn(first, ys, *extra)
    n_chunks = min(n, n_jobs * 4)
    order = [list(range(i, n, n_chunks)) for i in range(n_chunks)]  # interleaved: balanced costs
    with ProcessPoolExecutor(max_workers=n_jobs) as pool:
        futures = [pool.submit(fn, [first[i] for i in idx], [ys[i] for i in idx], *extra) for idx in order]
        parts = [f.result() for f in futures]
    out: list[Any] = [None] * n
    for idx, part in zip(order, parts, strict=True):
        for i, r in zip(idx, part, strict=True):
            out[i] = r
    return out


# -- the estimator ---------------------------------------------------------------------------------------
class Forecaster:
    """Forecast many demand series, choosing a model per series by rolling-origin cross-validation.

    Parameters
    ----------
    freq : str, default "D"
        The series' frequency, a pandas alias (``"D"``, ``"W"``, ``"W-MON"``, ``"MS"`` ...).
    season_length : int, optional
        Observations per season; by default 7 for daily and 52 for weekly data (12 monthly, 1
        when the frequency has no usual season).
    horizon : int, default 28
        Steps forecast by :meth:`predict` and the length of each cross-validation window.
    level : sequence of int, default (80, 95)
        Prediction-interval coverages in percent.
    n_windows : int, default 2
        Rolling origins of the cross-validation; the last ``n_windows * horizon`` observations of
        each series are used to choose its model.
    models : "auto", "all" or sequence of str, default "auto"
        ``"auto"``: candidates by demand class (see the module docs) and AutoARIMA only where
        AutoETS and AutoTheta do not clearly beat SeasonalNaive. ``"all"``: every model in
        :data:`STAT_MODELS` on every series (slow). A list: exactly those models on every series.
    engine : {"local", "spark"}, default "local"
        Where the per-series work runs. ``"spark"`` uses the active SparkSession, or starts a local
        one (``local[2]``); ``fit`` then accepts a Spark DataFrame as well.
    ml : MLCandidateLike, optional
        A global ML model (such as mlforecast with LightGBM over price, deal and calendar
        features) that joins the per-series selection; see :class:`MLCandidateLike`.
    n_jobs : int, default 1
        Worker processes of the local engine (-1: every core).
    window : int, "auto" or None, default "auto"
        Observations each model is trained on (the most recent ones), in cross-validation and
        for the final forecast. ``"auto"`` is 52 seasons (364 days of daily data, all of any
        weekly history); None is the whole history. AutoETS, AutoTheta and AutoARIMA cost time in
        proportion to the series length, and older data rarely helps a model of the recent level
        and weekly pattern (docs/forecast-models.md has the measurements).
    refit : bool, default False
        False: the final forecast applies the parameters estimated at the first
        cross-validation origin to the latest data (statsforecast's ``forward``; the states are
        updated through the last observation), so each expensive model is fitted once per series.
        True: the chosen model is fitted again on the latest ``window`` observations (35% more
        CPU time and no more accurate on the benchmark's series).
    arima_gate : float, default 0.9
        AutoARIMA is tried on a smooth or erratic series only when the best of AutoETS and
        AutoTheta has a cross-validation MAE above ``arima_gate`` times SeasonalNaive's
        (``models="auto"`` only): 0 tries it on every smooth or erratic series, ``math.inf``
        on none.
    metric : {"auto", "mase", "rmsse"}, default "auto"
        The cross-validated error a series' model is chosen by. ``"auto"``: MASE for smooth and
        erratic series, RMSSE for intermittent and lumpy ones, where the absolute error rewards
        forecasting zero.
    min_train : int, optional
        Observations needed before the first cross-validation origin; shorter series get
        SeasonalNaive (``status="short_history"``). Default: one season, at least 14.
    id_col, time_col, target_col : str
        Column names of the long input frame (statsforecast's ``unique_id``, ``ds``, ``y``).

    Attributes
    ----------
    selection_ : pandas.DataFrame
        One row per series: ``model`` (chosen), ``demand_class``, ``status`` (``selected``,
        ``short_history``, ``constant`` or ``fallback``), ``intervals`` (``native``,
        ``conformal``, or ``model`` for the ML candidate's own), ``metric`` (the error it was
        chosen by), ``n_obs``, ``scale`` and ``scale_sq`` (the MASE and RMSSE denominators), and
        ``mase_<model>`` and ``rmsse_<model>`` for every candidate tried on any series (NaN where
        not tried or failed).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> ds = pd.date_range("2024-01-01", periods=200, freq="D")
    >>> y = 10 + 5 * (ds.dayofweek >= 5) + np.random.default_rng(0).normal(0, 1, 200)
    >>> df = pd.DataFrame({"unique_id": "sku-1", "ds": ds, "y": y})
    >>> fc = Forecaster(horizon=14).fit(df)
    >>> fc.predict().columns.tolist()
    ['unique_id', 'ds', 'mean', 'lo_80', 'hi_80', 'lo_95', 'hi_95', 'model']
    """

    def __init__(
        self,
        freq: str = "D",
        season_length: int | None = None,
        horizon: int = 28,
        level: Sequence[int] = (80, 95),
        n_windows: int = 2,
        models: Sequence[str] | str = "auto",
        engine: str = "local",
        ml: Any | None = None,
        n_jobs: int = 1,
        window: int | str | None = "auto",
        refit: bool = False,
        arima_gate: float = 0.9,
        min_train: int | None = None,
        metric: str = "auto",
        id_col: str = "unique_id",
        time_col: str = "ds",
        target_col: str = "y",
    ) -> None:
        self.freq = freq
        self.season_length = season_length
        self.horizon = horizon
        self.level = level
        self.n_windows = n_windows
        self.models = models
        self.engine = engine
        self.ml = ml
        self.n_jobs = n_jobs
        self.window = window
        self.refit = refit
        self.arima_gate = arima_gate
        self.min_train = min_train
        self.metric = metric
        self.id_col = id_col
        self.time_col = time_col
        self.target_col = target_col

    # -- parameters ----------------------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters (scikit-learn's convention)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def _plan(self) -> _Plan:
        owner = "Forecaster"
        check_param(owner, "freq", self.freq, isinstance(self.freq, str) and _offset(self.freq) is not None,
                    "a pandas frequency alias such as 'D' or 'W'")  # fmt: skip
        m = self.season_length if self.season_length is not None else _default_season(self.freq)
        check_param(owner, "season_length", self.season_length, _is_int(m) and m >= 1, "an int >= 1 or None")
        check_param(
            owner, "horizon", self.horizon, _is_int(self.horizon) and self.horizon >= 1, "an int >= 1"
        )
        levels = (
            tuple(self.level)
            if isinstance(self.level, Sequence) and not isinstance(self.level, str)
            else None
        )
        check_param(owner, "level", self.level,
                    levels is not None and all(_is_int(v) and 0 < v < 100 for v in levels)
                    and len(set(levels)) == len(levels),
                    "a sequence of distinct ints between 1 and 99")  # fmt: skip
        check_param(owner, "n_windows", self.n_windows, _is_int(self.n_windows) and self.n_windows >= 1,
                    "an int >= 1")  # fmt: skip
        models: tuple[str, ...] | None
        if isinstance(self.models, str):
            check_param(owner, "models", self.models, self.models in ("auto", "all"),
                        f"'auto', 'all' or a list of {list(STAT_MODELS)}")  # fmt: skip
            models = None if self.models == "auto" else STAT_MODELS
        else:
            models = tuple(self.models)
            check_param(owner, "models", self.models,
                        len(models) > 0 and all(m_ in STAT_MODELS for m_ in models)
                        and len(set(models)) == len(models),
                        f"'auto', 'all' or a list of distinct names from {list(STAT_MODELS)}")  # fmt: skip
        check_param(owner, "engine", self.engine, self.engine in _ENGINES, f"one of {list(_ENGINES)}")
        check_param(owner, "n_jobs", self.n_jobs, _is_int(self.n_jobs) and (self.n_jobs >= 1 or self.n_jobs == -1),
                    "an int >= 1 or -1")  # fmt: skip
        window = self.window
        check_param(owner, "window", window,
                    window is None or window == "auto" or (_is_int(window) and int(window) >= 2),
                    "an int >= 2, 'auto' or None")  # fmt: skip
        win: int | None = 52 * int(m) if window == "auto" else (None if window is None else int(window))
        check_param(owner, "refit", self.refit, isinstance(self.refit, bool), "a bool")
        check_param(owner, "arima_gate", self.arima_gate,
                    isinstance(self.arima_gate, int | float) and not isinstance(self.arima_gate, bool)
                    and self.arima_gate >= 0,
                    "a number >= 0")  # fmt: skip
        min_train = self.min_train if self.min_train is not None else max(int(m), 14)
        check_param(
            owner, "min_train", self.min_train, _is_int(min_train) and min_train >= 2, "an int >= 2 or None"
        )
        check_param(owner, "metric", self.metric, self.metric in ("auto", "mase", "rmsse"),
                    "one of ['auto', 'mase', 'rmsse']")  # fmt: skip
        if self.ml is not None:
            ok = all(callable(getattr(self.ml, a, None)) for a in ("cross_validation", "fit", "predict"))
            check_param(owner, "ml", self.ml, ok and isinstance(getattr(self.ml, "name", None), str),
                        "an ML candidate with name, cross_validation, fit and predict")  # fmt: skip
            check_param(owner, "ml", self.ml, self.ml.name not in STAT_MODELS,
                        "an ML candidate whose name differs from the statistical models'")  # fmt: skip
        for col in ("id_col", "time_col", "target_col"):
            check_param(owner, col, getattr(self, col), isinstance(getattr(self, col), str), "a str")
        return _Plan(
            h=int(self.horizon),
            m=int(m),
            level=tuple(sorted(int(v) for v in levels or ())),
            n_windows=int(self.n_windows),
            window=win,
            refit=self.refit,
            models=models,
            arima_gate=float(self.arima_gate),
            min_train=int(min_train),
            metric=self.metric,
        )

    # -- fit -----------------------------------------------------------------------------------------------
    def fit(self, df: Any) -> Self:
        """Choose a model per series and forecast ``horizon`` steps.

        Parameters
        ----------
        df : pandas.DataFrame (or pyspark DataFrame with ``engine="spark"``)
            Long frame ``unique_id, ds, y`` (names set by ``id_col``, ``time_col``,
            ``target_col``), one row per series and period, no gaps; extra columns (price, deal,
            feature ...) are passed to the ML candidate only.

        Returns
        -------
        Forecaster
            ``self``, with :attr:`selection_`.
        """
        plan = self._plan()
        self.plan_ = plan
        is_spark = _is_spark_frame(df)
        if is_spark and self.engine != "spark":
            raise ValidationError(
                "Got a Spark DataFrame with engine='local'. Use Forecaster(engine='spark') or pass "
                "a pandas DataFrame."
            )
        pdf: pd.DataFrame | None = None
        if is_spark:
            from shopmind.forecast import spark

            sdf = spark.standard_frame(df, self.id_col, self.time_col, self.target_col)
            if self.ml is not None:  # the ML candidate is one global model: it runs on the driver
                pdf = self._validate(df.toPandas())
        else:
            pdf = self._validate(df)
        if self.engine == "spark":
            from shopmind.forecast import spark

            if not is_spark:
                assert pdf is not None
                sdf = spark.to_spark(pdf)
            fits = spark.fit_on_spark(sdf, plan)
            self._train_: Any = sdf
        else:
            assert pdf is not None
            fits = fit_frame(pdf[["unique_id", "ds", "y"]], plan, _n_jobs(self.n_jobs))
            self._train_ = pdf[["unique_id", "ds", "y"]]
        fits.sort(key=lambda f: f.uid)
        self.fits_ = fits
        self.ml_uids_: set[Any] = set()
        self.ml_conformal_: dict[Any, dict[int, float]] = {}
        selection = self._selection_frame(fits)
        if self.ml is not None:
            assert pdf is not None
            selection = self._join_ml(pdf, selection, plan)
        self.selection_ = selection.rename(columns={"unique_id": self.id_col})
        return self

    def _validate(self, df: Any) -> pd.DataFrame:
        if not isinstance(df, pd.DataFrame):
            raise ValidationError(
                f"Forecaster.fit expects a pandas DataFrame with columns {self.id_col!r}, "
                f"{self.time_col!r}, {self.target_col!r}; got {type(df).__name__}."
            )
        missing = [c for c in (self.id_col, self.time_col, self.target_col) if c not in df.columns]
        if missing:
            raise ValidationError(
                f"The data has no column {missing[0]!r}; expected a long frame with columns "
                f"{self.id_col!r}, {self.time_col!r}, {self.target_col!r} (set id_col, time_col, "
                "target_col to use other names).",
                errors=[{"column": c, "error": "missing"} for c in missing],
            )
        if df.empty:
            raise ValidationError("The data has no rows; give at least one series to forecast.")
        out = df.rename(
            columns={self.id_col: "unique_id", self.time_col: "ds", self.target_col: "y"}
        ).reset_index(drop=True)
        try:
            out["ds"] = pd.to_datetime(out["ds"])
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"The {self.time_col!r} column must hold dates: {exc}") from exc
        if getattr(out["ds"].dt, "tz", None) is not None:
            out["ds"] = out["ds"].dt.tz_localize(None)
        y = pd.to_numeric(out["y"], errors="coerce")
        bad = out.loc[~np.isfinite(y.to_numpy(dtype=np.float64, na_value=np.nan)), "unique_id"]
        if len(bad):
            ids = sorted(map(str, pd.unique(bad)))
            raise ValidationError(
                f"{len(bad)} {self.target_col!r} values are missing or not numbers (series "
                f"{', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}); fill periods without sales with 0.",
                errors=[{"unique_id": i, "error": "missing or non-numeric target"} for i in ids[:100]],
            )
        out["y"] = y.astype(np.float64)
        out = out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        dup = out.duplicated(["unique_id", "ds"])
        if dup.any():
            ids = sorted(map(str, pd.unique(out.loc[dup, "unique_id"])))
            raise ValidationError(
                f"{int(dup.sum())} rows repeat a ({self.id_col}, {self.time_col}) pair (series "
                f"{', '.join(ids[:5])}); aggregate to one row per series and period.",
                errors=[{"unique_id": i, "error": "duplicate periods"} for i in ids[:100]],
            )
        gaps = _gap_series(out, self.freq)
        if gaps:
            raise ValidationError(
                f"{len(gaps)} series have missing periods at frequency {self.freq!r} (series "
                f"{', '.join(map(str, gaps[:5]))}); fill periods without sales with 0 "
                "(shopmind.forecast.series does) or set freq to the data's frequency.",
                errors=[{"unique_id": str(i), "error": "missing periods"} for i in gaps[:100]],
            )
        return out

    def _selection_frame(self, fits: list[_SeriesFit]) -> pd.DataFrame:
        tried = [m for m in STAT_MODELS if any(m in f.mase for f in fits)]
        rows = []
        for f in fits:
            row: dict[str, Any] = {
                "unique_id": f.uid,
                "model": f.model,
                "demand_class": f.demand_class,
                "status": f.status,
                "intervals": f.intervals,
                "metric": f.metric,
                "n_obs": f.n_obs,
                "scale": f.scale,
                "scale_sq": f.scale_sq,
            }
            for m in tried:
                row[f"mase_{m}"] = f.mase.get(m, float("nan"))
            for m in tried:
                row[f"rmsse_{m}"] = f.rmsse.get(m, float("nan"))
            rows.append(row)
        cols = [
            "unique_id",
            "model",
            "demand_class",
            "status",
            "intervals",
            "metric",
            "n_obs",
            "scale",
            "scale_sq",
        ]
        return pd.DataFrame(rows, columns=cols + [f"{k}_{m}" for k in ("mase", "rmsse") for m in tried])

    def _join_ml(self, pdf: pd.DataFrame, selection: pd.DataFrame, plan: _Plan) -> pd.DataFrame:
        """Cross-validate the ML candidate on the same origins; it wins where its error is lowest."""
        ml: Any = self.ml
        name: str = ml.name
        cv = ml.cross_validation(
            pdf, h=plan.h, n_windows=plan.n_windows, step_size=plan.h, level=list(plan.level)
        )
        missing = [c for c in ("unique_id", "y", name) if c not in cv.columns]
        if missing:
            raise ValidationError(
                f"The ML candidate {name!r} returned cross-validation results without column "
                f"{missing[0]!r}; it must follow statsforecast's columns (unique_id, ds, cutoff, y, {name})."
            )
        err = (cv["y"] - cv[name]).astype(np.float64)
        by_uid = err.groupby(cv["unique_id"])
        mae = by_uid.apply(lambda e: float(np.mean(np.abs(e))))
        mse = by_uid.apply(lambda e: float(np.mean(e**2)))
        selection = selection.copy()
        uid = selection["unique_id"]
        selection[f"mase_{name}"] = uid.map(mae).astype(np.float64) / selection["scale"]
        selection[f"rmsse_{name}"] = np.sqrt(uid.map(mse).astype(np.float64) / selection["scale_sq"])
        wins = pd.Series(False, index=selection.index)
        for metric in ("mase", "rmsse"):
            stat_cols = [
                c for c in selection.columns if c.startswith(f"{metric}_") and c != f"{metric}_{name}"
            ]
            best = (
                selection[stat_cols].min(axis=1, skipna=True)
                if stat_cols
                else pd.Series(np.inf, index=uid.index)
            )
            wins |= (selection["metric"] == metric) & (selection[f"{metric}_{name}"] < best.fillna(np.inf))
        wins &= selection["status"] == _STATUS_SELECTED
        selection.loc[wins, "model"] = name
        selection.loc[wins, "intervals"] = "model"
        self.ml_uids_ = set(selection.loc[wins, "unique_id"])
        if self.ml_uids_:
            self.ml_nonneg_ = {f.uid: f.nonneg for f in self.fits_}
            for key, g in by_uid:
                if key in self.ml_uids_:
                    self.ml_conformal_[key] = _conformal_quantiles(g.to_numpy(np.float64), plan.level)
            ml.fit(pdf)
        return selection

    # -- predict -------------------------------------------------------------------------------------------
    def predict(self, h: int | None = None, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecasts with prediction intervals, from each series' chosen model.

        Parameters
        ----------
        h : int, optional
            Steps ahead (default ``horizon``). Up to ``horizon`` the forecasts made by ``fit`` are
            returned; beyond it the chosen models are fitted again.
        future_exog : pandas.DataFrame, optional
            Future values of the exogenous columns (``unique_id, ds, price, deal ...``) for the
            ML candidate; not used by the statistical models.

        Returns
        -------
        pandas.DataFrame
            ``unique_id, ds, mean, lo_<l>, hi_<l>`` (for each level, ascending) ``, model``: one row
            per series and step.
        """
        if not hasattr(self, "fits_"):
            raise NotFittedError("This Forecaster is not fitted yet. Call fit(df) before predict().")
        plan = self.plan_
        h = plan.h if h is None else h
        check_param("Forecaster.predict", "h", h, _is_int(h) and h >= 1, "an int >= 1")
        fits = self.fits_
        if h <= plan.h:
            names = [f.model for f in fits]
            means = [f.mean[:h] for f in fits]
            bounds = [{lv: (lo[:h], hi[:h]) for lv, (lo, hi) in f.bounds.items()} for f in fits]
        else:
            results = self._forecast_again(h)
            names = [r[0] for r in results]
            means = [r[1] for r in results]
            bounds = [r[2] for r in results]
        n = len(fits)
        lengths = np.array([len(m) for m in means])
        out = pd.DataFrame(
            {
                "unique_id": np.repeat(np.array([f.uid for f in fits], dtype=object), lengths),
                "ds": _future_dates([f.last_ds for f in fits], h, self.freq),
                "mean": np.concatenate(means) if n else np.empty(0),
            }
        )
        for lv in plan.level:
            out[f"lo_{lv}"] = np.concatenate([b[lv][0] for b in bounds]) if n else np.empty(0)
            out[f"hi_{lv}"] = np.concatenate([b[lv][1] for b in bounds]) if n else np.empty(0)
        out["model"] = np.repeat(np.array(names, dtype=object), lengths)
        if self.ml_uids_:
            out = self._with_ml(out, h, future_exog)
        return out.rename(columns={"unique_id": self.id_col, "ds": self.time_col})

    def _forecast_again(
        self, h: int
    ) -> list[tuple[str, FloatArray, dict[int, tuple[FloatArray, FloatArray]]]]:
        plan = self.plan_
        if self._train_ is None:
            raise NotFittedError(
                f"This Forecaster was fitted on Spark and then pickled, which keeps the forecasts "
                f"up to horizon={plan.h} but not the Spark data; call fit(df) again to forecast "
                f"{h} steps."
            )
        if self.engine == "spark":
            from shopmind.forecast import spark

            return spark.forecast_on_spark(self._train_, self.fits_, h, plan)
        uids, ys, _ = _split(self._train_)
        by_uid = dict(zip(uids, ys, strict=True))
        return _map_chunks(  # type: ignore[no-any-return]
            _forecast_chunk, self.fits_, [by_uid[f.uid] for f in self.fits_], (h, plan), _n_jobs(self.n_jobs)
        )

    def _with_ml(self, out: pd.DataFrame, h: int, future_exog: pd.DataFrame | None) -> pd.DataFrame:
        plan = self.plan_
        ml: Any = self.ml
        name: str = ml.name
        exog = None
        if future_exog is not None:
            exog = future_exog.rename(columns={self.id_col: "unique_id", self.time_col: "ds"})
        fc = ml.predict(h, X_df=exog, level=list(plan.level))
        fc = fc[fc["unique_id"].isin(self.ml_uids_)].copy()
        fc["ds"] = pd.to_datetime(fc["ds"])
        frame = pd.DataFrame({"unique_id": fc["unique_id"], "ds": fc["ds"], "mean": fc[name].astype(float)})
        for lv in plan.level:
            lo, hi = f"{name}-lo-{lv}", f"{name}-hi-{lv}"
            if lo in fc.columns and hi in fc.columns:
                frame[f"lo_{lv}"] = fc[lo].astype(float)
                frame[f"hi_{lv}"] = fc[hi].astype(float)
            else:  # conformal from the candidate's own cross-validation errors
                half = fc["unique_id"].map(lambda u, lv=lv: self.ml_conformal_.get(u, {}).get(lv, np.nan))
                frame[f"lo_{lv}"] = frame["mean"] - half.astype(float)
                frame[f"hi_{lv}"] = frame["mean"] + half.astype(float)
        nonneg = frame["unique_id"].map(self.ml_nonneg_).fillna(False).astype(bool)
        value_cols = ["mean"] + [f"{s}_{lv}" for lv in plan.level for s in ("lo", "hi")]
        frame.loc[nonneg, value_cols] = frame.loc[nonneg, value_cols].clip(lower=0.0)
        frame["model"] = name
        keep = out[~out["unique_id"].isin(self.ml_uids_)]
        merged = pd.concat([keep, frame[out.columns]], ignore_index=True)
        order = {uid: i for i, uid in enumerate(pd.unique(out["unique_id"]))}
        merged["_o"] = merged["unique_id"].map(order)
        return merged.sort_values(["_o", "ds"], kind="stable").drop(columns="_o").reset_index(drop=True)

    # -- backtest ------------------------------------------------------------------------------------------
    def cross_validation(
        self, df: pd.DataFrame, h: int | None = None, n_windows: int = 1, step_size: int | None = None
    ) -> pd.DataFrame:
        """Rolling-origin backtest of the whole procedure, selection included.

        At each origin a fresh copy of this Forecaster is fitted on each series' data up to the
        origin and forecasts ``h`` steps, which are compared with what happened.

        Parameters
        ----------
        df : pandas.DataFrame
            The long frame, as for :meth:`fit`.
        h : int, optional
            Steps forecast at each origin (default ``horizon``).
        n_windows : int, default 1
            Number of origins; the last is ``h`` steps before each series' end.
        step_size : int, optional
            Steps between origins (default ``h``).

        Returns
        -------
        pandas.DataFrame
            ``unique_id, ds, cutoff, y, mean, lo_<l>, hi_<l>, model``.
        """
        h = self.horizon if h is None else h
        step = h if step_size is None else step_size
        check_param("Forecaster.cross_validation", "h", h, _is_int(h) and h >= 1, "an int >= 1")
        check_param("Forecaster.cross_validation", "n_windows", n_windows, _is_int(n_windows) and n_windows >= 1,
                    "an int >= 1")  # fmt: skip
        check_param("Forecaster.cross_validation", "step_size", step_size, _is_int(step) and step >= 1,
                    "an int >= 1 or None")  # fmt: skip
        data = self._validate(df)
        exog = [c for c in data.columns if c not in ("unique_id", "ds", "y")]
        pos = data.groupby("unique_id", sort=False).cumcount()
        size = data.groupby("unique_id", sort=False)["y"].transform("size")
        pieces = []
        for w in range(n_windows):
            offset = h + (n_windows - 1 - w) * step  # observations after the origin
            train = data[pos < size - offset]
            test = data[(pos >= size - offset) & (pos < size - offset + h)]
            if train.empty or test.empty:
                continue
            model = type(self)(
                **{**self.get_params(), "id_col": "unique_id", "time_col": "ds", "target_col": "y"}
            )
            model.fit(train)
            future = test[["unique_id", "ds", *exog]] if exog else None
            fc = model.predict(h, future_exog=future)
            cutoff = train.groupby("unique_id")["ds"].max().rename("cutoff")
            fc = fc.merge(test[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="inner")
            fc = fc.merge(cutoff, left_on="unique_id", right_index=True, how="left")
            pieces.append(fc)
        cols = ["unique_id", "ds", "cutoff", "y", "mean"]
        cols += [f"{s}_{lv}" for lv in sorted(self.level) for s in ("lo", "hi")] + ["model"]
        if not pieces:
            return pd.DataFrame(columns=cols)
        out = pd.concat(pieces, ignore_index=True)[cols]
        return out.rename(columns={"unique_id": self.id_col, "ds": self.time_col, "y": self.target_col})

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if _is_spark_frame(state.get("_train_")):  # lives in a Spark session: not picklable
            state["_train_"] = None
        return state

    def __repr__(self) -> str:
        defaults = {
            k: v.default for k, v in inspect.signature(type(self).__init__).parameters.items() if k != "self"
        }
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k) != v]
        return f"Forecaster({', '.join(changed)})"


# -- helpers ---------------------------------------------------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _n_jobs(n_jobs: int) -> int:
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


def _offset(freq: str) -> Any:
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except (TypeError, ValueError):
        return None


def _default_season(freq: str) -> int:
    offset = _offset(freq)
    if offset is None:
        return 1
    base = offset.name.split("-")[0]
    return _DEFAULT_SEASON.get(base, 1) if offset.n == 1 else 1


def _fixed_step(freq: str) -> pd.Timedelta | None:
    """The step of a fixed-length frequency (weeks included, whatever their anchor day)."""
    offset = _offset(freq)
    if offset is None:
        return None
    if offset.name.startswith("W"):
        return pd.Timedelta(days=7 * offset.n)
    try:
        return pd.Timedelta(offset)
    except (TypeError, ValueError):
        return None


def _gap_series(frame: pd.DataFrame, freq: str) -> list[Any]:
    """Series (of a frame sorted by unique_id, ds) whose periods are not consecutive."""
    step = _fixed_step(freq)
    same = frame["unique_id"].to_numpy()[1:] == frame["unique_id"].to_numpy()[:-1]
    if step is not None:
        diffs = np.diff(frame["ds"].to_numpy().astype("datetime64[ns]").astype(np.int64))
        bad = same & (diffs != step.value)
        return list(pd.unique(frame["unique_id"].to_numpy()[1:][bad]))
    out = []
    for uid, g in frame.groupby("unique_id", sort=False)["ds"]:
        expected = pd.date_range(g.iloc[0], g.iloc[-1], freq=freq)
        if len(expected) != len(g) or not (expected == pd.DatetimeIndex(g)).all():
            out.append(uid)
    return out


def _future_dates(last: list[Any], h: int, freq: str) -> pd.DatetimeIndex | npt.NDArray[Any]:
    """``h`` dates after each series' last date, flattened series by series."""
    if not last:
        return pd.DatetimeIndex([])
    step = _fixed_step(freq)
    starts = pd.DatetimeIndex(last)
    if step is not None:
        steps = np.arange(1, h + 1, dtype=np.int64) * step.value
        values = starts.asi8[:, None] + steps[None, :]
        return pd.DatetimeIndex(values.ravel().astype("datetime64[ns]"))
    cache: dict[pd.Timestamp, npt.NDArray[Any]] = {}
    parts = []
    for ts in starts:
        if ts not in cache:
            cache[ts] = pd.date_range(ts, periods=h + 1, freq=freq)[1:].to_numpy()
        parts.append(cache[ts])
    return np.concatenate(parts)


def _is_spark_frame(df: Any) -> bool:
    return type(df).__module__.startswith("pyspark.")
