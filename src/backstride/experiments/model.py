"""From an experiment's runs (or check-ins) to the data and design matrix of its Bayesian model.

**Outcomes** (fixed when the experiment is created):

* ``onset`` (default), pain-free distance per run, in metres, analysed as log metres: a run with pain
  is an event at its onset distance (an onset known only to a lap is interval-censored, an unknown
  onset is known only to be below the run's length); a pain-free run is right-censored at its length;
  a run with no pain report is *unknown* and left out. The effect is the ratio B/A of pain-free
  distance; a meaningful benefit is a ratio of at least 1.3 (30% longer, DOMAIN.md section 4).
* ``severity``: the peak pain (0-10) of every reported run (0 for a pain-free run); normal model; a
  meaningful benefit is at least 1 point lower under B.
* ``peg``: the weekly PEG score (0-10). A check-in recalls the 7 days before the day it is taken; it
  counts for the period holding at least 4 of those days outside the washout, else it is left out.
  Meaningful benefit: at least 1 point lower (minimal important difference about 1.0).

Observations on a washout day (the first ``washout_days`` of each period) are left out.

**Terms, by a rule fixed in advance** (Trialist-style; see :func:`choose_terms`):

* condition (always): 1 in B periods;
* linear time trend when the design has at least 4 pairs (with 3 pairs it would use up too much of
  the little information there is); time is scaled to -0.5 at the start and +0.5 at the end;
* carry-over (1 in an A period that follows a B period) only when there is no washout and at least
  4 pairs, and only when that column is not constant within the A periods;
* AR(1) errors only for the normal outcomes (severity, PEG) with at least 10 observations: the
  autocorrelation is estimated from the residuals of the independent fit and removed by the
  Prais-Winsten transform (a plug-in, not a full posterior for rho). Runs are irregular in time and
  the censored distance outcome has no AR(1) term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from backstride.experiments.bayes import FloatArray, Prior
from backstride.experiments.design import Period, period_on

#: Floor for an onset distance on the log scale: an onset in the first metres is "below 10 m".
MIN_ONSET_M = 10.0
PEG_RECALL_DAYS = 7
PEG_MIN_DAYS = 4


@dataclass(frozen=True)
class OutcomeSpec:
    """How an outcome is modelled and what counts as meaningful (on the model scale)."""

    name: str
    label: str
    log_scale: bool
    direction: int  # +1: higher is better (distance); -1: lower is better (pain scores)
    meaningful: float  # log(1.3) for the ratio, 1 point for the scores
    unit: str


OUTCOME_SPECS: dict[str, OutcomeSpec] = {
    "onset": OutcomeSpec("onset", "pain-free distance per run", True, +1, math.log(1.3), "m"),
    "severity": OutcomeSpec("severity", "peak pain per run (0-10)", False, -1, 1.0, "points"),
    "peg": OutcomeSpec("peg", "weekly PEG score (0-10)", False, -1, 1.0, "points"),
}

OBS_COLUMNS = (
    "day",
    "period",
    "pair",
    "condition",
    "followed",
    "activity_id",
    "value",
    "censored",
    "lo",
    "hi",
    "used",
    "reason",
)


def onset_bounds(row: pd.Series) -> tuple[float, float, float, bool] | None:
    """(lo, hi, shown value in metres, censored) on the log scale, or None when not usable."""
    dist = row["distance_m"]
    if row["status"] == "none":
        if not (isinstance(dist, float) and dist > 0):
            return None
        return math.log(dist), math.inf, dist, True
    low, high, exact = row["onset_low_m"], row["onset_high_m"], row["onset_m"]

    def log_floor(x: float) -> float:
        return -math.inf if x < MIN_ONSET_M else math.log(x)

    if not math.isnan(low) and not math.isnan(high) and high - low > 1.0:
        hi_m = max(high, MIN_ONSET_M)
        shown = exact if not math.isnan(exact) else 0.5 * (low + high)
        return log_floor(low), math.log(hi_m), shown, True
    value = exact if not math.isnan(exact) else low
    if math.isnan(value):
        if isinstance(dist, float) and dist > 0:
            return -math.inf, math.log(max(dist, MIN_ONSET_M)), dist / 2, True
        return None
    if value < MIN_ONSET_M:
        return -math.inf, math.log(MIN_ONSET_M), value, True
    return math.log(value), math.log(value), value, False


def observations(
    spec: OutcomeSpec,
    schedule: list[Period],
    logged: dict[date, bool],
    runs: pd.DataFrame,
    checkins: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per run (or check-in for PEG) in the schedule (:data:`OBS_COLUMNS`).

    ``used`` says whether it enters the model; ``reason`` says why not (washout, no pain report, ...).
    ``lo``/``hi`` are the bounds on the model scale; ``value`` is what the report shows (metres or
    points). ``followed`` is the runner's adherence that day (true unless logged otherwise).
    """
    records = []
    if spec.name == "peg":
        frame = checkins if checkins is not None else pd.DataFrame({"day": [], "peg_score": []})
        for day, score in zip(frame["day"], frame["peg_score"], strict=True):
            counts: dict[int, int] = {}
            for k in range(1, PEG_RECALL_DAYS + 1):
                p = period_on(schedule, day - timedelta(days=k))
                if p is not None and not p.in_washout(day - timedelta(days=k)):
                    counts[p.index] = counts.get(p.index, 0) + 1
            best = max(counts, key=lambda i: counts[i]) if counts else None
            if best is None or counts[best] < PEG_MIN_DAYS:
                continue
            p = schedule[best]
            records.append(
                _record(day, p, logged, None, float(score), False, float(score), float(score), None)
            )
        return _frame(records)
    for _, row in runs.iterrows():
        day = row["day"]
        p = period_on(schedule, day)
        if p is None:
            continue
        reason = None
        bounds: tuple[float, float, float, bool] | None = None
        if row["status"] is None:
            reason = "no pain report"
        elif spec.name == "onset":
            bounds = onset_bounds(row)
            reason = None if bounds is not None else "no distance"
        else:
            sev = row["severity"]
            if math.isnan(sev):
                reason = "no severity"
            else:
                bounds = (float(sev), float(sev), float(sev), False)
        if reason is None and p.in_washout(day):
            reason = "washout"
        lo, hi, value, cens = bounds if bounds is not None else (math.nan, math.nan, math.nan, False)
        records.append(_record(day, p, logged, int(row["activity_id"]), value, cens, lo, hi, reason))
    return _frame(records)


def _record(
    day: date,
    p: Period,
    logged: dict[date, bool],
    activity_id: int | None,
    value: float,
    censored: bool,
    lo: float,
    hi: float,
    reason: str | None,
) -> dict[str, object]:
    return {
        "day": day,
        "period": p.index,
        "pair": p.pair,
        "condition": p.condition,
        "followed": logged.get(day, True),
        "activity_id": activity_id,
        "value": value,
        "censored": censored,
        "lo": lo,
        "hi": hi,
        "used": reason is None,
        "reason": reason,
    }


def _frame(records: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(OBS_COLUMNS))
    for column in ("value", "lo", "hi"):
        frame[column] = frame[column].astype("float64")
    frame["used"] = frame["used"].astype(bool)
    frame["censored"] = frame["censored"].astype(bool)
    return frame


@dataclass(frozen=True)
class Terms:
    """Which optional terms the model has (see the module docstring for the rule)."""

    trend: bool
    carryover: bool
    ar1: bool

    def names(self) -> list[str]:
        return [
            "intercept",
            "B",
            *(["trend"] if self.trend else []),
            *(["carry-over"] if self.carryover else []),
        ]


def choose_terms(spec: OutcomeSpec, schedule: list[Period], washout_days: int, n_used: int) -> Terms:
    """The stated rule: trend with >= 4 pairs; carry-over with no washout and >= 4 pairs; AR(1) for
    the normal outcomes with >= 10 observations."""
    pairs = len(schedule) // 2
    carry = washout_days == 0 and pairs >= 4
    if carry:
        follows_b = [
            schedule[i - 1].condition == "B" for i in range(1, len(schedule)) if schedule[i].condition == "A"
        ]
        follows_b += [False] if schedule[0].condition == "A" else []
        carry = len(set(follows_b)) > 1
    return Terms(trend=pairs >= 4, carryover=carry, ar1=not spec.log_scale and n_used >= 10)


def design_matrix(obs: pd.DataFrame, schedule: list[Period], terms: Terms) -> FloatArray:
    """Columns per :meth:`Terms.names` for the rows of ``obs``."""
    start = schedule[0].start
    total = (schedule[-1].end - start).days + 1
    cols = [np.ones(len(obs)), (obs["condition"] == "B").to_numpy(float)]
    if terms.trend:
        t = np.array([((d - start).days + 0.5) / total - 0.5 for d in obs["day"]], float)
        cols.append(t)
    if terms.carryover:
        after_b = [
            schedule[p].condition == "A" and p > 0 and schedule[p - 1].condition == "B" for p in obs["period"]
        ]
        cols.append(np.array(after_b, float))
    return np.column_stack(cols) if len(obs) else np.zeros((0, len(cols)))


def default_prior(spec: OutcomeSpec, n_coef: int, typical_m: float | None = None) -> Prior:
    """Weakly informative priors.

    Distance (log metres): intercept N(log typical run length, 2^2); condition, trend and carry-over
    N(0, 1^2) (a ratio between 0.14 and 7 a priori with 95% probability); sigma half-normal(1).
    Scores (points): intercept N(5, 5^2); other coefficients N(0, 3^2); sigma half-normal(3).
    """
    if spec.log_scale:
        centre = math.log(typical_m) if typical_m and typical_m > 0 else math.log(5000.0)
        mean = np.array([centre] + [0.0] * (n_coef - 1))
        sd = np.array([2.0] + [1.0] * (n_coef - 1))
        return Prior(mean, sd, 1.0)
    return Prior(np.array([5.0] + [0.0] * (n_coef - 1)), np.array([5.0] + [3.0] * (n_coef - 1)), 3.0)


def prais_winsten(y: FloatArray, X: FloatArray, rho: float) -> tuple[FloatArray, FloatArray]:
    """Remove AR(1) correlation ``rho`` from (y, X) in time order."""
    ys, Xs = y.copy(), X.copy()
    ys[1:] = y[1:] - rho * y[:-1]
    Xs[1:] = X[1:] - rho * X[:-1]
    scale = math.sqrt(1.0 - rho * rho)
    ys[0], Xs[0] = scale * y[0], scale * X[0]
    return ys, Xs


def residual_rho(y: FloatArray, X: FloatArray, beta: FloatArray) -> float:
    """Lag-1 autocorrelation of the residuals, clipped to [-0.9, 0.9]."""
    e = y - X @ beta
    denom = float(e @ e)
    if denom <= 0 or len(e) < 3:
        return 0.0
    return float(np.clip((e[1:] @ e[:-1]) / denom, -0.9, 0.9))


__all__ = [
    "OBS_COLUMNS",
    "OUTCOME_SPECS",
    "OutcomeSpec",
    "Terms",
    "choose_terms",
    "default_prior",
    "design_matrix",
    "observations",
    "prais_winsten",
    "residual_rho",
]
