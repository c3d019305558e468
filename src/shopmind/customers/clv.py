"""Customer lifetime value: BG/NBD for purchases and P(alive), Gamma-Gamma for spend.

:class:`CLVModel` is a pure model with the estimator contract: it is fitted on the ``frequency,
recency, T, monetary_value`` summary of :func:`shopmind.features.rfm.btyd_summary` and predicts,
for every customer, the expected number of purchases over a horizon, the probability that the
customer is still active, the expected value of an order and a discounted 12-month value.

* **BG/NBD** (Fader, Hardie and Lee 2005, "Counting your customers the easy way"): while active,
  a customer buys at a Poisson rate ``lambda ~ Gamma(r, alpha)``; after each repeat purchase they
  drop out with probability ``p ~ Beta(a, b)``. The four parameters are fitted by maximum
  likelihood with the ``lifetimes`` library (:class:`lifetimes.BetaGeoFitter`), on the distinct
  ``(frequency, recency, T)`` patterns weighted by how many customers share them, which is the
  same likelihood and much faster on large shops. When lifetimes' optimizer does not converge,
  which happens on short histories where no customer seems to drop out yet (the likelihood keeps
  rising towards ``a -> 0`` or ``b -> inf``), the same likelihood is maximized with every
  parameter kept in [1e-4, 1e4] (L-BFGS-B) and ``notes_`` says so. Predictions use the paper's
  closed forms (equation 10 and Hardie's note 021 for P(alive)), computed here with numpy and
  scipy so that a fitted model holds only numbers, pickles, and predicts without importing
  lifetimes. Unlike lifetimes, equation 10 is evaluated without taking the logarithm of the
  hypergeometric function, which is negative when ``a + b + x < 1`` (Hardie's note 027): lifetimes
  returns NaN for those customers.
* **Gamma-Gamma** (Fader, Hardie and Lee 2005, "RFM and CLV", Hardie's note 025): the value of a
  customer's orders varies around their own mean ``nu ~ Gamma(q, v)`` with shape ``p``. It is
  fitted with :class:`lifetimes.GammaGammaFitter` on repeat buyers with a positive
  ``monetary_value``; a customer's expected order value shrinks their observed mean towards the
  population mean ``p v / (q - 1)``, and one-time buyers get the population mean. With fewer than
  ``min_repeat_buyers`` repeat buyers, or a fit whose population mean is not finite (``q <= 1``),
  the model falls back to the plain mean order value of repeat buyers and says so in ``notes_``.

The 12-month value, discounted monthly, is::

    clv_12m = margin * expected_spend * sum_{m=1..12} (E[X(m L)] - E[X((m-1) L)]) / (1 + d) ** (m / 12)

where ``E[X(t)]`` is the BG/NBD conditional expected number of purchases in the next ``t``,
``L = 365.25 / 12`` days (one average month, converted to the summary's unit) and ``d`` is
``discount_rate_annual``. It is lifetimes' ``customer_lifetime_value`` with the annual rate turned
into an exact monthly one and months of 30.44 days (lifetimes uses 4.345 weeks).

:func:`calibration_holdout` and :func:`holdout_by_frequency` give the classic validation: fit on a
calibration period, compare predicted and actual repeat purchases in the following holdout period
by number of calibration repeat purchases.

Examples
--------
>>> from shopmind.datasets.real import load_cdnow_summary
>>> summary = load_cdnow_summary()  # 2,357 CDNOW customers, weeks; no monetary values
>>> model = CLVModel(unit_days=7).fit(summary)
>>> {k: round(v, 3) for k, v in model.params_.items()}
{'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
>>> scores = model.predict(summary, horizon_days=39 * 7)
>>> round(float(scores["expected_purchases"].sum()))
1653
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import io
import math
import numbers
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit, hyp2f1

from shopmind.errors import NotFittedError, ValidationError, check_param
from shopmind.features.rfm import btyd_summary

__all__ = [
    "DAYS_PER_MONTH",
    "PREDICTION_COLUMNS",
    "CLVModel",
    "CalibrationHoldout",
    "calibration_holdout",
    "holdout_by_frequency",
]

FloatArray = npt.NDArray[np.float64]

#: One average month in days (365.25 / 12), the step of the discounted 12-month value.
DAYS_PER_MONTH: Final = 365.25 / 12
#: Columns of :meth:`CLVModel.predict`.
PREDICTION_COLUMNS: Final = ("expected_purchases", "p_alive", "expected_spend", "clv_12m")
_CLV_MONTHS: Final = 12
_REQUIRED: Final = ("frequency", "recency", "T")
#: Range the BG/NBD parameters are kept in when the likelihood has no interior maximum.
_BOUNDS: Final = (1e-4, 1e4)


# --------------------------------------------------------------------------------------------
# lifetimes, imported lazily and without its side effects
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_lifetimes() -> Iterator[None]:
    """Keep lifetimes from changing process-wide state.

    lifetimes installs a global ``ignore FutureWarning`` filter at import and on every likelihood
    evaluation, sets ``pandas.options.mode.chained_assignment`` at import, and prints the
    optimizer's output when a fit fails. This restores the warning filters and the pandas option
    and swallows the print.
    """
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # the option below is deprecated in pandas 3
        saved = pd.get_option("mode.chained_assignment")
        try:
            yield
        finally:
            pd.set_option("mode.chained_assignment", saved)


def _lifetimes() -> Any:
    """The ``lifetimes`` package (a core dependency; slow to import, so only when fitting)."""
    with _quiet_lifetimes():
        import lifetimes

    return lifetimes


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _summary_arrays(
    summary: pd.DataFrame, owner: str
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray | None]:
    """Check a BTYD summary and return frequency, recency, T and monetary_value (or None)."""
    if not isinstance(summary, pd.DataFrame):
        raise ValidationError(
            f"{owner} expects a pandas DataFrame summary; got {type(summary).__name__}. "
            "Build it with shopmind.features.rfm.btyd_summary(orders, observation_end=..., unit_days=7)."
        )
    missing = [c for c in _REQUIRED if c not in summary.columns]
    if missing:
        raise ValidationError(
            f"The summary given to {owner} has no column {', '.join(map(repr, missing))}. It needs "
            "'frequency', 'recency' and 'T' (and 'monetary_value' for spend); build it with "
            "shopmind.features.rfm.btyd_summary."
        )
    if summary.index.has_duplicates:
        raise ValidationError(
            f"The summary given to {owner} lists some customers twice; index it by customer_id, one "
            "row per customer."
        )
    try:
        x, t_x, age = (summary[c].to_numpy(dtype=np.float64) for c in _REQUIRED)
        money = (
            summary["monetary_value"].to_numpy(dtype=np.float64)
            if "monetary_value" in summary.columns
            else None
        )
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"The summary given to {owner} has non-numeric values: {exc}") from exc
    problems: list[str] = []
    columns = [("frequency", x), ("recency", t_x), ("T", age)]
    if money is not None:
        columns.append(("monetary_value", money))
    for name, values in columns:
        bad = int(np.count_nonzero(~np.isfinite(values)))
        if bad:
            problems.append(f"{bad:,} missing or infinite {name} values")
    if not problems:
        checks = [
            (x < 0, "negative frequency"),
            (x != np.round(x), "frequency that is not a whole number"),
            (t_x < 0, "negative recency"),
            (t_x > age + 1e-9, "recency larger than T"),
            ((x == 0) & (t_x != 0), "recency other than 0 for customers with frequency 0"),
        ]
        if money is not None:
            checks.append((money < 0, "negative monetary_value"))
        for mask, what in checks:
            count = int(np.count_nonzero(mask))
            if count:
                problems.append(f"{count:,} rows with {what}")
    if problems:
        raise ValidationError(
            f"The summary given to {owner} is not a valid BTYD summary: {'; '.join(problems)}. "
            "Build it with shopmind.features.rfm.btyd_summary.",
            errors=[{"field": "summary", "message": p} for p in problems],
        )
    return x, t_x, age, money


def _patterns(
    x: FloatArray, t_x: FloatArray, age: FloatArray
) -> tuple[npt.NDArray[np.intp], FloatArray, FloatArray, FloatArray]:
    """The distinct ``(frequency, recency, T)`` patterns: each customer's pattern number and the
    patterns' values. Customers sharing a pattern share the BG/NBD likelihood and predictions."""
    frame = pd.DataFrame({"x": x, "t_x": t_x, "age": age})
    codes = frame.groupby(["x", "t_x", "age"], sort=False).ngroup().to_numpy().astype(np.intp)
    n_patterns = int(codes.max()) + 1 if len(codes) else 0
    ux, ut_x, uage = (np.empty(n_patterns, dtype=np.float64) for _ in range(3))
    # Rows with the same code hold the same values, so which of them is written last is irrelevant.
    ux[codes], ut_x[codes], uage[codes] = x, t_x, age
    return codes, ux, ut_x, uage


class CLVModel:
    """Customer lifetime value from BG/NBD (purchases, P(alive)) and Gamma-Gamma (order value).

    Parameters
    ----------
    unit_days : float, default 7.0
        Length in days of the time unit of the summary's ``recency`` and ``T`` (the ``unit_days``
        given to :func:`~shopmind.features.rfm.btyd_summary`; 7 for weeks). Horizons given in days
        are converted with it.
    penalizer : float, default 0.0
        L2 penalty on the parameters of both fits (lifetimes' ``penalizer_coef``); 0 is plain
        maximum likelihood. A small value (0.001) helps on tiny or degenerate shops.
    discount_rate_annual : float, default 0.10
        Annual discount rate of the 12-month value, applied monthly as ``(1 + d) ** (m / 12)``.
    margin : float, default 1.0
        Share of an order's value kept as profit; ``clv_12m`` is revenue when 1.
    min_repeat_buyers : int, default 30
        Fewest repeat buyers with a positive ``monetary_value`` needed to fit Gamma-Gamma; with
        fewer, expected order value is the mean of the repeat buyers' order values.

    Attributes
    ----------
    params_ : dict of str to float
        BG/NBD parameters ``r``, ``alpha`` (in the summary's time unit), ``a``, ``b``.
    spend_params_ : dict of str to float or None
        Gamma-Gamma parameters ``p``, ``q``, ``v``, or None when the fallback was used.
    mean_spend_ : float
        Population mean order value (``p v / (q - 1)`` or the fallback mean); NaN without
        monetary values.
    n_customers_, n_repeat_buyers_ : int
        Customers fitted on and, of them, those with a repeat purchase of positive value.
    spend_frequency_corr_ : float
        Correlation of ``monetary_value`` with ``frequency`` among repeat buyers. Gamma-Gamma
        assumes none; ``notes_`` warns when it is above 0.3 in absolute value.
    notes_ : list of str
        What the fit had to do or assume (fallbacks, missing monetary values).

    Examples
    --------
    >>> import pandas as pd
    >>> from shopmind.features.rfm import btyd_summary
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "b", "c"],
    ...     "ordered_at": pd.to_datetime(["2026-01-05", "2026-02-02", "2026-03-30", "2026-01-12",
    ...                                   "2026-03-02", "2026-02-16"], utc=True),
    ...     "total_amount": [40.0, 35.0, 50.0, 20.0, 25.0, 30.0],
    ... })
    >>> summary = btyd_summary(orders, observation_end="2026-03-31", unit_days=7)
    >>> model = CLVModel(unit_days=7, penalizer=0.01).fit(summary)
    >>> model.spend_params_ is None  # two repeat buyers are too few for Gamma-Gamma
    True
    >>> list(model.predict(summary, horizon_days=90).columns)
    ['expected_purchases', 'p_alive', 'expected_spend', 'clv_12m']
    """

    def __init__(
        self,
        unit_days: float = 7.0,
        penalizer: float = 0.0,
        discount_rate_annual: float = 0.10,
        margin: float = 1.0,
        min_repeat_buyers: int = 30,
    ) -> None:
        self.unit_days = unit_days
        self.penalizer = penalizer
        self.discount_rate_annual = discount_rate_annual
        self.margin = margin
        self.min_repeat_buyers = min_repeat_buyers

    def __repr__(self) -> str:
        return (
            f"CLVModel(unit_days={self.unit_days!r}, penalizer={self.penalizer!r}, "
            f"discount_rate_annual={self.discount_rate_annual!r}, margin={self.margin!r}, "
            f"min_repeat_buyers={self.min_repeat_buyers!r})"
        )

    # -- parameters ---------------------------------------------------------------------------
    def _check_params(self) -> None:
        owner = type(self).__name__
        check_param(
            owner,
            "unit_days",
            self.unit_days,
            _is_number(self.unit_days) and self.unit_days > 0,
            "a number > 0",
        )
        check_param(
            owner,
            "penalizer",
            self.penalizer,
            _is_number(self.penalizer) and self.penalizer >= 0,
            "a number >= 0",
        )
        check_param(
            owner,
            "discount_rate_annual",
            self.discount_rate_annual,
            _is_number(self.discount_rate_annual) and 0 <= self.discount_rate_annual < 10,
            "a number in [0, 10)",
        )
        check_param(
            owner,
            "margin",
            self.margin,
            _is_number(self.margin) and 0 < self.margin <= 1,
            "a number in (0, 1]",
        )
        check_param(
            owner,
            "min_repeat_buyers",
            self.min_repeat_buyers,
            isinstance(self.min_repeat_buyers, numbers.Integral)
            and not isinstance(self.min_repeat_buyers, bool)
            and self.min_repeat_buyers >= 1,
            "an int >= 1",
        )

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, summary: pd.DataFrame) -> CLVModel:
        """Fit BG/NBD and, where possible, Gamma-Gamma on a BTYD summary.

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer with ``frequency`` (repeat purchases), ``recency`` and ``T`` in
            units of ``unit_days``, and optionally ``monetary_value`` (mean value of the repeat
            purchases, 0 for one-time buyers), as made by
            :func:`~shopmind.features.rfm.btyd_summary`.

        Returns
        -------
        CLVModel
            ``self``, fitted.

        Raises
        ------
        InvalidParameterError
            If a constructor parameter is out of range.
        ValidationError
            If the summary is empty or invalid, or BG/NBD does not converge.
        """
        self._check_params()
        x, t_x, age, money = _summary_arrays(summary, "CLVModel.fit")
        if len(x) == 0:
            raise ValidationError("CLVModel.fit got an empty summary; it needs customers who bought.")
        if float(age.max()) <= 0:
            raise ValidationError(
                "Every customer in the summary first bought at the end of the observation period "
                "(T = 0), so there is no history to fit; choose a later observation_end."
            )
        if not np.any(x > 0):
            raise ValidationError(
                "No customer in the summary bought twice, so BG/NBD cannot learn how often customers "
                "return; fit on a longer observation period."
            )
        notes: list[str] = []
        self.params_ = self._fit_purchases(x, t_x, age, notes)
        self.n_customers_ = len(x)
        self._fit_spend(x, money, notes)
        self.notes_ = notes
        return self

    def _fit_purchases(
        self, x: FloatArray, t_x: FloatArray, age: FloatArray, notes: list[str]
    ) -> dict[str, float]:
        codes, ux, ut_x, uage = _patterns(x, t_x, age)
        weights = np.bincount(codes, minlength=len(ux)).astype(np.float64)
        lifetimes = _lifetimes()
        fitter = lifetimes.BetaGeoFitter(penalizer_coef=float(self.penalizer))
        params: dict[str, float] | None = None
        with _quiet_lifetimes():
            try:
                fitter.fit(ux, ut_x, uage, weights=weights)
                params = {k: float(fitter.params_[k]) for k in ("r", "alpha", "a", "b")}
            except (lifetimes.utils.ConvergenceError, np.linalg.LinAlgError):
                pass
        if params is not None and all(_BOUNDS[0] <= v <= _BOUNDS[1] for v in params.values()):
            return params
        bounded = self._bounded_purchases_fit(ux, ut_x, uage, weights)
        if bounded is None:
            raise ValidationError(
                f"BG/NBD did not converge on these {len(x):,} customers. Try penalizer=0.001 (or "
                "larger), or a longer observation period."
            )
        notes.append(
            f"lifetimes' BG/NBD fit did not converge on these {len(x):,} customers (usually: too short a "
            "history to see customers drop out, so the likelihood keeps rising towards the edge of the "
            f"parameter space); refitted with every parameter kept in [{_BOUNDS[0]:g}, {_BOUNDS[1]:g}]: "
            + ", ".join(f"{k}={v:.4g}" for k, v in bounded.items())
            + "."
        )
        return bounded

    def _bounded_purchases_fit(
        self, x: FloatArray, t_x: FloatArray, age: FloatArray, weights: FloatArray
    ) -> dict[str, float] | None:
        """Maximize lifetimes' own BG/NBD likelihood with the parameters bounded (L-BFGS-B).

        Used when the unbounded maximum is on the edge of the parameter space, where lifetimes'
        BFGS does not converge (e.g. ``a -> 0`` or ``b -> inf``: no customer seems to drop out).
        Time is scaled as lifetimes does (longest ``T`` = 1) and ``alpha`` scaled back.
        """
        from scipy.optimize import minimize

        lifetimes = _lifetimes()
        value_and_grad = importlib.import_module("autograd").value_and_grad  # a lifetimes dependency
        scale = 1.0 / float(age.max())
        bounds = [(math.log(_BOUNDS[0]), math.log(_BOUNDS[1]))] * 4
        bounds[1] = (math.log(_BOUNDS[0] * scale), math.log(_BOUNDS[1] * scale))  # alpha, scaled
        with _quiet_lifetimes(), np.errstate(all="ignore"):
            result = minimize(
                value_and_grad(lifetimes.BetaGeoFitter._negative_log_likelihood),
                np.full(4, 0.1),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                args=(x, t_x * scale, age * scale, weights, float(self.penalizer)),
            )
        if not result.success or not np.all(np.isfinite(result.x)):
            return None
        r, alpha, a, b = (float(v) for v in np.exp(result.x))
        return {"r": r, "alpha": alpha / scale, "a": a, "b": b}

    def _fit_spend(self, x: FloatArray, money: FloatArray | None, notes: list[str]) -> None:
        self.spend_params_: dict[str, float] | None = None
        self.spend_frequency_corr_ = math.nan
        if money is None:
            self.n_repeat_buyers_ = int(np.count_nonzero(x > 0))
            self.mean_spend_ = math.nan
            notes.append(
                "The summary has no monetary_value column: expected_spend and clv_12m are NaN. "
                "Build it with btyd_summary(..., amount_col=...) to value customers."
            )
            return
        repeat = (x > 0) & (money > 0)
        n_repeat = int(np.count_nonzero(repeat))
        self.n_repeat_buyers_ = n_repeat
        if n_repeat == 0:
            self.mean_spend_ = math.nan
            notes.append("No repeat buyer has a positive monetary_value: expected_spend and clv_12m are NaN.")
            return
        freq, value = x[repeat], money[repeat]
        fallback = float(value.mean())
        if n_repeat >= 3 and float(value.std()) > 0 and float(freq.std()) > 0:
            self.spend_frequency_corr_ = float(np.corrcoef(freq, value)[0, 1])
            if abs(self.spend_frequency_corr_) > 0.3:
                notes.append(
                    f"Order value and frequency are correlated ({self.spend_frequency_corr_:+.2f}) "
                    "among repeat buyers; Gamma-Gamma assumes they are independent, so expected_spend "
                    "is less reliable."
                )
        if n_repeat < self.min_repeat_buyers:
            self.mean_spend_ = fallback
            notes.append(
                f"Only {n_repeat} repeat buyers with a positive order value (min_repeat_buyers="
                f"{self.min_repeat_buyers}): Gamma-Gamma was not fitted; expected_spend is their mean "
                f"order value, {fallback:.2f}, for everyone."
            )
            return
        lifetimes = _lifetimes()
        fitter = lifetimes.GammaGammaFitter(penalizer_coef=float(self.penalizer))
        with _quiet_lifetimes():
            try:
                fitter.fit(freq, value, q_constraint=True)
                p, q, v = (float(fitter.params_[k]) for k in ("p", "q", "v"))
            except (lifetimes.utils.ConvergenceError, ValueError, np.linalg.LinAlgError) as exc:
                p = q = v = math.nan
                reason = f"did not converge ({type(exc).__name__})"
            else:
                reason = f"gave q = {q:.3g} <= 1 (no finite mean order value)"
        if all(math.isfinite(t) for t in (p, q, v)) and q > 1 + 1e-6 and p > 0 and v > 0:
            self.spend_params_ = {"p": p, "q": q, "v": v}
            self.mean_spend_ = p * v / (q - 1)
            return
        self.mean_spend_ = fallback
        notes.append(
            f"Gamma-Gamma {reason} on {n_repeat:,} repeat buyers; expected_spend is their mean order "
            f"value, {fallback:.2f}, for everyone."
        )

    # -- predictions --------------------------------------------------------------------------
    def _require_fitted(self, method: str) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"This CLVModel is not fitted yet. Call fit(summary) before {method}().")

    def _expected_purchases(self, t: float, x: FloatArray, t_x: FloatArray, age: FloatArray) -> FloatArray:
        """BG/NBD conditional expected repeat purchases in the next ``t`` (equation 10)."""
        if t <= 0:
            return np.zeros_like(x)
        r, alpha, a, b = (self.params_[k] for k in ("r", "alpha", "a", "b"))
        aa, bb, cc = r + x, b + x, a + b + x - 1
        z = t / (alpha + age + t)
        log_ratio = aa * np.log((alpha + age) / (alpha + age + t))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # No logarithm of the hypergeometric function: it is negative when a + b + x < 1
            # (Hardie's note 027, the "#NUM!" problem), which lifetimes turns into NaN.
            term = hyp2f1(aa, bb, cc, z) * np.exp(log_ratio)
            bad = ~np.isfinite(term)
            if bad.any():  # overflow for heavy buyers: Euler's transformation, in logs
                euler = hyp2f1(cc[bad] - aa[bad], cc[bad] - bb[bad], cc[bad], z[bad])
                term[bad] = np.sign(euler) * np.exp(
                    np.log(np.abs(euler)) + (cc[bad] - aa[bad] - bb[bad]) * np.log1p(-z[bad]) + log_ratio[bad]
                )
            numerator = cc / (a - 1) * (1 - term)
            odds = np.where(
                x > 0,
                a / (b + np.maximum(x, 1) - 1) * np.exp(aa * np.log((alpha + age) / (alpha + t_x))),
                0.0,
            )
            result: FloatArray = numerator / (1 + odds)
        return result

    def _p_alive(self, x: FloatArray, t_x: FloatArray, age: FloatArray) -> FloatArray:
        """BG/NBD probability that the customer has not dropped out (Hardie's note 021)."""
        r, alpha, a, b = (self.params_[k] for k in ("r", "alpha", "a", "b"))
        log_odds = (r + x) * np.log((alpha + age) / (alpha + t_x)) + np.log(a / (b + np.maximum(x, 1) - 1))
        result: FloatArray = np.where(x > 0, expit(-log_odds), 1.0)
        return result

    def _expected_spend(self, x: FloatArray, money: FloatArray | None) -> FloatArray:
        """Gamma-Gamma conditional expected order value; the population mean for one-time buyers."""
        if self.spend_params_ is None or money is None:
            return np.full_like(x, self.mean_spend_)
        p, q = self.spend_params_["p"], self.spend_params_["q"]
        weight = np.where(x > 0, p * x / (p * x + q - 1), 0.0)
        result: FloatArray = (1 - weight) * self.mean_spend_ + weight * money
        return result

    def predict(self, summary: pd.DataFrame, horizon_days: float = 90.0) -> pd.DataFrame:
        """Score every customer of a BTYD summary.

        Parameters
        ----------
        summary : pandas.DataFrame
            As for :meth:`fit`, in the same time unit (it may list other customers than the fit).
        horizon_days : float, default 90.0
            Length in days of the period ``expected_purchases`` counts.

        Returns
        -------
        pandas.DataFrame
            Indexed like ``summary`` (by ``customer_id``), with :data:`PREDICTION_COLUMNS`:

            - ``expected_purchases``: expected number of purchases (distinct purchase days) in
              the next ``horizon_days``;
            - ``p_alive``: probability the customer has not dropped out (1 for one-time buyers,
              as in BG/NBD, where dropout happens only after a repeat purchase);
            - ``expected_spend``: expected value of their next orders (Gamma-Gamma conditional
              mean; the population mean for one-time buyers; NaN without monetary values);
            - ``clv_12m``: discounted value of the next 12 months (see the module docstring).

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        InvalidParameterError
            If ``horizon_days`` is negative.
        ValidationError
            If the summary is invalid.
        """
        self._require_fitted("predict")
        check_param(
            "CLVModel.predict",
            "horizon_days",
            horizon_days,
            _is_number(horizon_days) and horizon_days >= 0,
            "a number >= 0",
        )
        x, t_x, age, money = _summary_arrays(summary, "CLVModel.predict")
        # Customers sharing a (frequency, recency, T) pattern share every BG/NBD prediction.
        codes, ux, ut_x, uage = _patterns(x, t_x, age)

        unit = float(self.unit_days)
        purchases = self._expected_purchases(float(horizon_days) / unit, ux, ut_x, uage)
        month = DAYS_PER_MONTH / unit
        discounted = np.zeros_like(ux)
        previous = np.zeros_like(ux)
        for m in range(1, _CLV_MONTHS + 1):
            cumulative = self._expected_purchases(m * month, ux, ut_x, uage)
            discounted += (cumulative - previous) / (1 + float(self.discount_rate_annual)) ** (m / 12)
            previous = cumulative
        spend = self._expected_spend(x, money)
        out = pd.DataFrame(
            {
                "expected_purchases": purchases[codes],
                "p_alive": self._p_alive(ux, ut_x, uage)[codes],
                "expected_spend": spend,
                "clv_12m": float(self.margin) * spend * discounted[codes],
            },
            index=summary.index.copy(),
        )
        if out.index.name is None:
            out.index.name = "customer_id"
        return out


# --------------------------------------------------------------------------------------------
# Calibration / holdout validation
# --------------------------------------------------------------------------------------------

DateLike = dt.datetime | dt.date | pd.Timestamp | str


def _utc_day(value: DateLike) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.normalize()


@dataclass(frozen=True)
class CalibrationHoldout:
    """A calibration summary and what the same customers bought in the holdout period after it.

    Attributes
    ----------
    summary : pandas.DataFrame
        :func:`~shopmind.features.rfm.btyd_summary` at ``calibration_end`` (index ``customer_id``).
    holdout_purchases : pandas.Series
        Actual purchases (distinct purchase days) of each customer of ``summary`` after
        ``calibration_end`` up to ``holdout_end`` (0 when none); aligned with ``summary``.
    holdout_spend : pandas.Series
        Their total order value in the holdout period.
    calibration_end, holdout_end : pandas.Timestamp
        Last days (UTC) of the two periods, both included.
    unit_days : float
        Time unit of the summary in days.
    """

    summary: pd.DataFrame
    holdout_purchases: pd.Series
    holdout_spend: pd.Series
    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    unit_days: float

    @property
    def horizon_days(self) -> float:
        """Length of the holdout period in days (pass it to :meth:`CLVModel.predict`)."""
        return float((self.holdout_end - self.calibration_end) / pd.Timedelta(days=1))


def calibration_holdout(
    orders: pd.DataFrame,
    calibration_end: DateLike,
    holdout_end: DateLike,
    *,
    unit_days: float = 7.0,
    customer_col: str = "customer_id",
    time_col: str = "ordered_at",
    amount_col: str | None = "total_amount",
    cohort_start: DateLike | None = None,
    cohort_end: DateLike | None = None,
) -> CalibrationHoldout:
    """Split orders into a calibration summary and the actual purchases of the holdout period.

    Parameters
    ----------
    orders : pandas.DataFrame
        One row per order (purchases only; see :func:`shopmind.features.rfm.purchases`).
    calibration_end, holdout_end : datetime, date or str
        Last days of the calibration and holdout periods (calendar days in UTC, both included).
    unit_days : float, default 7.0
        Time unit of the summary's ``recency`` and ``T`` in days.
    customer_col, time_col, amount_col : str
        Column names, as in :func:`~shopmind.features.rfm.btyd_summary`.
    cohort_start, cohort_end : datetime, date or str, optional
        Keep only customers whose first purchase falls on these days (both included), e.g. the
        first 12 weeks of CDNOW as in Fader, Hardie and Lee (2005).

    Returns
    -------
    CalibrationHoldout
        The calibration summary of the customers who first bought by ``calibration_end`` (and in
        the cohort), with their holdout purchases and spend.

    Raises
    ------
    InvalidParameterError
        If ``holdout_end`` is not after ``calibration_end`` or ``unit_days`` is not positive.
    ValidationError
        If a column is missing or no customer is left.

    Examples
    --------
    >>> from shopmind.datasets.real import load_cdnow
    >>> split = calibration_holdout(load_cdnow(), "1997-09-30", "1998-06-30")  # doctest: +SKIP
    >>> split.horizon_days  # doctest: +SKIP
    273.0
    """
    check_param(
        "calibration_holdout", "unit_days", unit_days, _is_number(unit_days) and unit_days > 0, "a number > 0"
    )
    cal_end, hold_end = _utc_day(calibration_end), _utc_day(holdout_end)
    check_param(
        "calibration_holdout", "holdout_end", holdout_end, hold_end > cal_end, "a day after calibration_end"
    )
    summary = btyd_summary(
        orders,
        observation_end=cal_end,
        customer_col=customer_col,
        time_col=time_col,
        amount_col=amount_col,
        unit_days=unit_days,
    )
    customers = orders[customer_col].astype(str)
    days = pd.to_datetime(orders[time_col], utc=True).dt.floor("D")
    if cohort_start is not None or cohort_end is not None:
        first = days.groupby(customers.to_numpy()).min()
        keep = pd.Series(True, index=first.index)
        if cohort_start is not None:
            keep &= first >= _utc_day(cohort_start)
        if cohort_end is not None:
            keep &= first <= _utc_day(cohort_end)
        summary = summary[summary.index.isin(first.index[keep.to_numpy()])]
    if summary.empty:
        raise ValidationError(
            "No customer made a first purchase by calibration_end (and in the cohort); check the dates."
        )
    in_holdout = ((days > cal_end) & (days <= hold_end)).to_numpy()
    held = pd.DataFrame(
        {
            "customer_id": customers.to_numpy()[in_holdout],
            "day": days.to_numpy()[in_holdout],
            "amount": (
                pd.to_numeric(orders[amount_col], errors="coerce").fillna(0.0).to_numpy()[in_holdout]
                if amount_col
                else 0.0
            ),
        }
    )
    per_customer = held.groupby("customer_id")
    holdout_purchases = (
        per_customer["day"]
        .nunique()
        .reindex(summary.index, fill_value=0)
        .astype("int64")
        .rename("holdout_purchases")
    )
    holdout_spend = (
        per_customer["amount"].sum().reindex(summary.index, fill_value=0.0).rename("holdout_spend")
    )
    return CalibrationHoldout(
        summary=summary,
        holdout_purchases=holdout_purchases,
        holdout_spend=holdout_spend,
        calibration_end=cal_end,
        holdout_end=hold_end,
        unit_days=float(unit_days),
    )


def holdout_by_frequency(
    split: CalibrationHoldout, predicted: pd.Series, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Actual and predicted holdout purchases by number of calibration repeat purchases.

    This is the calibration/holdout chart of Fader, Hardie and Lee (2005, figure 4).

    Parameters
    ----------
    split : CalibrationHoldout
        From :func:`calibration_holdout`.
    predicted : pandas.Series
        Predicted holdout purchases per customer, indexed by ``customer_id`` (e.g.
        ``model.predict(split.summary, horizon_days=split.horizon_days)["expected_purchases"]``).
    max_frequency : int, default 7
        Customers with this many calibration repeat purchases or more share the last row.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``calibration_repeat_purchases`` (``"0"``, ``"1"``, ..., ``"7+"``, then
        ``"all"``), with ``customers``, ``actual_mean`` and ``predicted_mean`` (mean holdout
        purchases per customer) and ``mae`` (mean absolute error per customer). The ``"all"``
        row is the whole split: its ``mae`` is the overall mean absolute error.

    Raises
    ------
    ValidationError
        If ``predicted`` misses customers of the split.
    """
    check_param(
        "holdout_by_frequency",
        "max_frequency",
        max_frequency,
        isinstance(max_frequency, numbers.Integral)
        and not isinstance(max_frequency, bool)
        and max_frequency >= 1,
        "an int >= 1",
    )
    index = split.summary.index
    pred = pd.Series(predicted).reindex(index)
    if pred.isna().any():
        raise ValidationError(
            f"predicted has no value for {int(pred.isna().sum()):,} customers of the split; predict on "
            "split.summary."
        )
    actual = split.holdout_purchases.reindex(index).to_numpy(dtype=np.float64)
    guess = pred.to_numpy(dtype=np.float64)
    group = np.minimum(split.summary["frequency"].to_numpy(dtype=np.int64), max_frequency)
    frame = pd.DataFrame(
        {"group": group, "actual": actual, "predicted": guess, "error": np.abs(actual - guess)}
    )
    table = frame.groupby("group").agg(
        customers=("actual", "size"),
        actual_mean=("actual", "mean"),
        predicted_mean=("predicted", "mean"),
        mae=("error", "mean"),
    )
    table = table.reindex(range(max_frequency + 1))
    table["customers"] = table["customers"].fillna(0).astype("int64")
    table.index = pd.Index(
        [str(k) if k < max_frequency else f"{max_frequency}+" for k in table.index],
        name="calibration_repeat_purchases",
    )
    total = pd.DataFrame(
        {
            "customers": [len(frame)],
            "actual_mean": [float(actual.mean())],
            "predicted_mean": [float(guess.mean())],
            "mae": [float(frame["error"].mean())],
        },
        index=pd.Index(["all"], name="calibration_repeat_purchases"),
    )
    return pd.concat([table, total])
