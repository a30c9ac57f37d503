"""Pain-free distance: Kaplan-Meier on distance, its median with a CI, log-rank, rolling windows.

Distance is the clock. Each run is one observation of "metres until the pain started": a run with
an onset is an event at the onset distance, a pain-free run is right-censored at its length, and an
onset known only between two laps is interval-censored (see :mod:`backstride.analysis.interval`).
A run with no pain report is *unknown* and must not be passed here as pain-free.

Conventions (the same as lifelines, against which the tests check every number):

* Kaplan-Meier S(d) = prod over event distances d_j <= d of (1 - events_j / at_risk_j); a censoring at
  the same distance as an event stays in the risk set for that event.
* Greenwood variance; the pointwise 95% CI uses the log(-log) transform ("exponential Greenwood").
* The median is the first distance where S(d) <= 0.5; its CI is the set of distances whose pointwise
  CI contains 0.5 (Brookmeyer-Crowley with the log(-log) transform, which is what lifelines'
  ``median_survival_times(km.confidence_interval_)`` computes). An end that the data do not reach
  is ``None``: "not estimable yet".

Minimum-data rule: a pain-free distance (median, CI, chance of the target) is given only from
:data:`MIN_RUNS` (10) reported runs on; below that the result says so (``enough`` false) and carries
no numbers, wherever it is shown (one run once gave "95% CI 0.40-0.40 mi").

Onsets known only to a lap: the curve is the Turnbull NPMLE (:mod:`backstride.analysis.interval`);
how it moves over time is in :mod:`backstride.analysis.trend`.

Input runs frame (metres): ``distance_m`` (run length), ``onset_m`` (exact onset or NaN), optionally
``onset_low_m``/``onset_high_m`` (the onset lies in this lap) and ``start`` (datetime, for windows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from backstride.analysis.result_format import Result, fmt_m, fmt_p

FloatArray = NDArray[np.float64]

Z95 = float(stats.norm.ppf(0.975))
#: Fewer reported runs than this: no pain-free distance is given, only "too few runs".
MIN_RUNS = 10


@dataclass
class Estimate(Result):
    """A probability with its 95% CI (``None`` where the data do not reach)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None

    def text_lines(self) -> list[str]:
        if self.value is None:
            return ["not estimable yet"]
        if self.value == self.ci_low == self.ci_high and self.value in (0.0, 1.0):
            # The curve is flat at 0 or 1 here: no interval can be drawn around it.
            return [
                "0% (no reported run got this far pain-free)"
                if self.value == 0.0
                else "100% (every reported run that got this far was pain-free)"
            ]
        lo = "?" if self.ci_low is None else f"{self.ci_low:.0%}"
        hi = "?" if self.ci_high is None else f"{self.ci_high:.0%}"
        return [f"{self.value:.0%} (95% CI {lo}-{hi})"]


def loglog_interval(surv: FloatArray, var_log_s: FloatArray, q: float) -> tuple[FloatArray, FloatArray]:
    """Pointwise CI of the survival curve ``surv``, ``q`` standard errors wide on the log(-log S)
    scale, from the variance of log S (Greenwood's sum, or a jackknife's for a pool); S = 1 gives
    [1, 1], S = 0 gives [0, 0], an infinite variance [0, 1]. Kaplan-Meier here and the pooled life
    tables (:mod:`backstride.pool.lifetable`) both use it."""
    low: FloatArray = surv.copy()
    high: FloatArray = surv.copy()
    inside = (surv > 0) & (surv < 1)
    log_s = np.log(surv[inside])
    with np.errstate(invalid="ignore", over="ignore"):
        half = q * np.sqrt(var_log_s[inside]) / np.abs(log_s)
        base = np.log(-log_s)
        low[inside] = np.exp(-np.exp(base + half))
        high[inside] = np.exp(-np.exp(base - half))
    return low, high


def _first_at_or_below(timeline: FloatArray, curve: FloatArray, level: float) -> float | None:
    below = np.nonzero(curve <= level)[0]
    return float(timeline[below[0]]) if below.size else None


class KaplanMeier:
    """Kaplan-Meier estimator of the pain-free distance (lifelines-style: ``fit()`` returns self).

    Fitted attributes (arrays over ``timeline_``, the distinct observed distances in metres):
    ``survival_``, ``variance_`` (Greenwood), ``ci_low_``/``ci_high_`` (95%, log(-log)), ``at_risk_``,
    ``events_at_``; scalars ``median_m_``, ``median_ci_m_`` (tuple, ``None`` ends), ``n_runs_``,
    ``n_events_``.
    """

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = alpha

    def fit(self, durations_m: ArrayLike, events: ArrayLike) -> KaplanMeier:
        """Fit on distances (metres) and event flags (True = onset at that distance)."""
        d = np.asarray(durations_m, dtype=float)
        e = np.asarray(events, dtype=bool)
        if d.shape != e.shape or d.ndim != 1:
            raise ValueError("durations_m and events must be 1-D arrays of equal length")
        if np.any(~np.isfinite(d)) or np.any(d < 0):
            raise ValueError("distances must be finite and non-negative")
        z = float(stats.norm.ppf(1 - self.alpha / 2))
        timeline, inverse = np.unique(d, return_inverse=True)
        removed = np.bincount(inverse, minlength=timeline.size).astype(float)
        died = np.bincount(inverse, weights=e.astype(float), minlength=timeline.size)
        at_risk = d.size - np.concatenate(([0.0], np.cumsum(removed)[:-1]))
        surv = np.cumprod(1.0 - died / at_risk)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(died > 0, died / (at_risk * (at_risk - died)), 0.0)
            greenwood_sum = np.cumsum(terms)
        self.timeline_: FloatArray = timeline
        self.survival_: FloatArray = surv
        with np.errstate(invalid="ignore"):
            self.variance_: FloatArray = np.where(surv > 0, surv**2 * greenwood_sum, 0.0)
        self.ci_low_, self.ci_high_ = loglog_interval(surv, greenwood_sum, z)
        self.at_risk_: FloatArray = at_risk
        self.events_at_: FloatArray = np.asarray(died, dtype=float)
        self.n_runs_ = int(d.size)
        self.n_events_ = int(e.sum())
        self.median_m_ = _first_at_or_below(timeline, surv, 0.5)
        self.median_ci_m_: tuple[float | None, float | None] = (
            _first_at_or_below(timeline, self.ci_low_, 0.5),
            _first_at_or_below(timeline, self.ci_high_, 0.5),
        )
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """The curve as a table, one row per observed distance (index ``distance_m``): ``at_risk``,
        ``events``, ``survival``, ``ci_low``, ``ci_high``."""
        if not hasattr(self, "survival_"):
            from backstride.errors import ValidationError

            raise ValidationError("this KaplanMeier is not fitted yet: call fit() first")
        return pd.DataFrame(
            {
                "at_risk": self.at_risk_,
                "events": self.events_at_,
                "survival": self.survival_,
                "ci_low": self.ci_low_,
                "ci_high": self.ci_high_,
            },
            index=pd.Index(self.timeline_, name="distance_m"),
        )

    def survival_at(self, distance_m: ArrayLike) -> FloatArray:
        """S(d) at the given distances (a right-continuous step function; NaN beyond the data)."""
        x = np.atleast_1d(np.asarray(distance_m, dtype=float))
        idx = np.searchsorted(self.timeline_, x, side="right") - 1
        out = np.where(idx >= 0, self.survival_[np.maximum(idx, 0)], 1.0)
        return np.where(x > self.timeline_[-1], np.nan, out)

    def prob_pain_free(self, distance_m: float) -> Estimate:
        """Probability of reaching ``distance_m`` pain-free, with its 95% CI.

        ``None`` when no run has gone that far (the curve says nothing beyond its last distance).
        """
        if distance_m > self.timeline_[-1]:
            return Estimate(None, None, None)
        idx = int(np.searchsorted(self.timeline_, distance_m, side="right")) - 1
        if idx < 0:
            return Estimate(1.0, 1.0, 1.0)
        return Estimate(float(self.survival_[idx]), float(self.ci_low_[idx]), float(self.ci_high_[idx]))


@dataclass
class LogRankResult(Result):
    """Two-group log-rank test (distance as the clock)."""

    statistic: float
    p_value: float
    observed: tuple[float, float]
    expected: tuple[float, float]
    runs: tuple[int, int]
    labels: tuple[str, str] = ("before", "after")

    def text_lines(self) -> list[str]:
        a, b = self.labels
        return [
            f"Log-rank {a} vs {b}: chi-square {self.statistic:.2f}, p = {fmt_p(self.p_value)} "
            f"(onsets {self.observed[0]:.0f} observed vs {self.expected[0]:.1f} expected {a}; "
            f"{self.observed[1]:.0f} vs {self.expected[1]:.1f} {b})"
        ]


def logrank_test(
    durations_a: ArrayLike,
    events_a: ArrayLike,
    durations_b: ArrayLike,
    events_b: ArrayLike,
    labels: tuple[str, str] = ("before", "after"),
) -> LogRankResult:
    """Log-rank test of equal pain-free distance curves in two groups (e.g. two periods)."""
    da, db = np.asarray(durations_a, float), np.asarray(durations_b, float)
    ea, eb = np.asarray(events_a, bool), np.asarray(events_b, bool)
    d = np.concatenate((da, db))
    e = np.concatenate((ea, eb)).astype(float)
    g = np.concatenate((np.zeros(da.size), np.ones(db.size)))
    times, inv = np.unique(d, return_inverse=True)
    removed = np.bincount(inv, minlength=times.size).astype(float)
    removed_a = np.bincount(inv, weights=1 - g, minlength=times.size)
    died = np.bincount(inv, weights=e, minlength=times.size)
    died_a = np.bincount(inv, weights=e * (1 - g), minlength=times.size)
    n = d.size - np.concatenate(([0.0], np.cumsum(removed)[:-1]))
    n_a = da.size - np.concatenate(([0.0], np.cumsum(removed_a)[:-1]))
    expected_a = died * n_a / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n > 1, died * (n_a / n) * (1 - n_a / n) * (n - died) / (n - 1), 0.0)
    obs_a = float(died_a.sum())
    exp_a = float(expected_a.sum())
    v = float(var.sum())
    stat = (obs_a - exp_a) ** 2 / v if v > 0 else 0.0
    total = float(died.sum())
    return LogRankResult(
        statistic=stat,
        p_value=float(stats.chi2.sf(stat, 1)),
        observed=(obs_a, total - obs_a),
        expected=(exp_a, total - exp_a),
        runs=(int(da.size), int(db.size)),
        labels=labels,
    )


def survival_columns(runs: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    """(left, right) bounds of each run's onset distance in metres.

    Exact onset: left = right = onset. Interval (``onset_low_m``/``onset_high_m``): the lap's bounds.
    Pain-free: left = run distance, right = inf.
    """
    dist = runs["distance_m"].to_numpy(float)
    onset = runs["onset_m"].to_numpy(float) if "onset_m" in runs else np.full(dist.size, np.nan)
    left = dist.copy()
    right = np.full(dist.size, np.inf)
    if "onset_low_m" in runs and "onset_high_m" in runs:
        lo = runs["onset_low_m"].to_numpy(float)
        hi = runs["onset_high_m"].to_numpy(float)
        has_interval = np.isfinite(lo) & np.isfinite(hi) & ~np.isfinite(onset)
        left[has_interval] = lo[has_interval]
        right[has_interval] = hi[has_interval]
    exact = np.isfinite(onset)
    left[exact] = onset[exact]
    right[exact] = onset[exact]
    return left, right


@dataclass
class PainFreeResult(Result):
    """The pain-free distance summary (the ``pain_free`` object of ``backstride analyze --json``)."""

    method: str
    runs: int
    events: int
    interval_censored: int
    median_m: float | None
    ci_m: tuple[float | None, float | None]
    target_m: float | None = None
    p_target: Estimate | None = None
    curve_m: list[float] = field(default_factory=list)
    curve_survival: list[float] = field(default_factory=list)
    enough: bool = True
    longest_m: float | None = None

    @property
    def beyond(self) -> bool:
        """Enough runs, but fewer than half reached an onset: the median lies beyond the data."""
        return self.enough and self.median_m is None and self.runs > 0

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["beyond"] = self.beyond
        return out

    def text_lines(self) -> list[str]:
        if not self.enough:
            return [
                f"Pain-free distance: too few runs yet ({self.runs} with a pain report; "
                f"{MIN_RUNS} are needed for an estimate)"
            ]
        if self.beyond:
            lines = [
                f"Pain-free distance ({self.method}, {self.runs} runs, {self.events} with an onset): "
                f"fewer than half of the runs reached an onset, so the median lies beyond "
                f"{fmt_m(self.longest_m)}"
            ]
            if self.target_m is not None and self.p_target is not None:
                lines.append(f"Chance of {fmt_m(self.target_m)} pain-free: {self.p_target.to_text()}")
            return lines
        lo, hi = self.ci_m
        ci = f"95% CI {fmt_m(lo) if lo is not None else '?'} to {fmt_m(hi) if hi is not None else '?'}"
        lines = [
            f"Pain-free distance ({self.method}, {self.runs} runs, {self.events} with an onset): "
            f"median {fmt_m(self.median_m)} ({ci})"
        ]
        if self.target_m is not None and self.p_target is not None:
            lines.append(f"Chance of {fmt_m(self.target_m)} pain-free: {self.p_target.to_text()}")
        return lines


def pain_free_distance(
    runs: pd.DataFrame,
    target_m: float | None = None,
    n_boot: int = 200,
    seed: int = 0,
    min_runs: int = MIN_RUNS,
) -> PainFreeResult:
    """Median pain-free distance (95% CI) and the chance of reaching ``target_m`` pain-free.

    Uses Kaplan-Meier when every onset is exact, and the Turnbull NPMLE (with a seeded bootstrap
    for the CIs) when some onsets are known only between two laps. With fewer than ``min_runs``
    runs the result carries no numbers (``enough`` false).
    """
    from backstride.analysis.interval import Turnbull

    left, right = survival_columns(runs)
    events = np.isfinite(right)
    interval = int(np.sum(events & (right > left)))
    if left.size == 0 or left.size < min_runs:
        return PainFreeResult(
            "kaplan-meier",
            int(left.size),
            int(events.sum()),
            interval,
            None,
            (None, None),
            target_m,
            None,
            enough=False,
        )
    longest = float(np.max(np.where(events, right, left)))
    if interval == 0:
        km = KaplanMeier().fit(left, events)
        p_target = km.prob_pain_free(target_m) if target_m is not None else None
        return PainFreeResult(
            "kaplan-meier",
            km.n_runs_,
            km.n_events_,
            0,
            km.median_m_,
            km.median_ci_m_,
            target_m,
            p_target,
            km.timeline_.tolist(),
            km.survival_.tolist(),
            longest_m=longest,
        )
    tb = Turnbull().fit(left, right)
    boot = tb.bootstrap(n_boot=n_boot, seed=seed, target_m=target_m)
    p_target = None
    if target_m is not None:
        value = tb.survival_at(target_m)
        p_target = Estimate(None if math.isnan(value) else value, *boot.target_ci)
    return PainFreeResult(
        "turnbull",
        int(left.size),
        int(events.sum()),
        interval,
        tb.median_m_,
        boot.median_ci,
        target_m,
        p_target,
        tb.right_.tolist(),
        tb.survival_.tolist(),
        longest_m=longest,
    )
