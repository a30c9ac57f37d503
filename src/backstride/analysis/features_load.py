"""Load columns of the feature table: running load, lifting with lags, routine adherence, warm-up.

Every function takes the runs in start order (``start_local``: naive local wall-clock time, which is
how lifting apps and the routine log record their times) and returns columns aligned with them.
All windows look strictly back from the run: an entry at the run's start or later never counts.

Definitions follow :mod:`backstride.simulate.runner`, so a simulated runner's covariates are recovered
exactly after the round trip through files and the log:

* ``longest_30d_m``: the longest run on the 30 calendar days before the run's day (NaN when there was
  none: a lay-off); the ``spike`` factor of the models is "past 110% of it" at each distance inside
  the run (:data:`backstride.analysis.features.MODEL_FACTORS`);
* ``spike``: distance / ``longest_30d_m`` - 1 (NaN after a lay-off): a description of the finished
  run, never a model factor (the run's length is decided after the pain starts);
* ``me_lower_48h``: a max-effort lower session started in the 48 h before the run (0/1);
* ``glute_days_7d``: days with a glute routine among the 7 calendar days before the run's day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from backstride.log.lifting import max_effort_sets
from backstride.log.routines import CATEGORIES

FloatArray = NDArray[np.float64]

#: Hours of the back-loading windows before a run.
LIFT_WINDOWS_H = (24, 48, 72)
#: A warm-up logged up to this long before the run's start, on its day, counts as "warm-up before".
WARMUP_WINDOW_H = 2.0


def category_column(category: str) -> str:
    """The feature column of a routine category: ``glute`` -> ``glute_days_7d``."""
    return f"{category.replace('-', '_')}_days_7d"


def _ns(values: pd.Series | pd.DatetimeIndex) -> NDArray[np.int64]:
    return np.asarray(pd.to_datetime(values).to_numpy("datetime64[ns]").astype(np.int64))


def _window_sum(
    times: NDArray[np.int64], weights: FloatArray, at: NDArray[np.int64], span_ns: int
) -> FloatArray:
    """Sum of ``weights`` of events with time in ``[at - span, at)`` (``times`` sorted)."""
    cum = np.concatenate(([0.0], np.cumsum(weights)))
    hi = np.searchsorted(times, at, side="left")
    lo = np.searchsorted(times, at - span_ns, side="left")
    return np.asarray(cum[hi] - cum[lo], dtype=float)


def running_load(start_local: pd.Series, distance_m: FloatArray) -> pd.DataFrame:
    """``spike``, ``longest_30d_m``, ``weekly_distance_change``, ``days_since_prev_run``, ``runs_28d``,
    ``weeks``, ``distance_7d_m`` for runs in start order (distances in metres)."""
    day = (pd.to_datetime(start_local).dt.normalize() - pd.Timestamp("1970-01-01")).dt.days.to_numpy()
    n = day.size
    if n == 0:
        cols = [
            "spike",
            "longest_30d_m",
            "weekly_distance_change",
            "days_since_prev_run",
            "runs_28d",
            "weeks",
            "distance_7d_m",
        ]
        return pd.DataFrame({c: np.empty(0) for c in cols})
    first = int(day.min())
    idx = day - first
    span = int(idx.max()) + 1
    dist = np.nan_to_num(np.asarray(distance_m, float))
    longest_day = np.zeros(span)
    np.maximum.at(longest_day, idx, dist)
    total_day = np.bincount(idx, weights=dist, minlength=span)
    count_day = np.bincount(idx, minlength=span).astype(float)
    padded = pd.Series(np.concatenate((np.zeros(1), longest_day)))
    # value at position idx (padded index shift of 1) = max over days idx-30 .. idx-1
    longest_30 = padded.rolling(30, min_periods=1).max().to_numpy()[idx]
    longest_30 = np.where(longest_30 > 0, longest_30, np.nan)
    spike = dist / longest_30 - 1.0
    cum_total = np.concatenate(([0.0], np.cumsum(total_day)))
    cum_count = np.concatenate(([0.0], np.cumsum(count_day)))

    def before(cum: FloatArray, back_from: int, back_to: int) -> FloatArray:
        """Sum over days idx-back_from .. idx-back_to (inclusive)."""
        hi = np.clip(idx - back_to + 1, 0, span)
        lo = np.clip(idx - back_from, 0, span)
        return np.asarray(cum[hi] - cum[lo], dtype=float)

    last7 = before(cum_total, 7, 1)
    prev7 = before(cum_total, 14, 8)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(prev7 > 0, last7 / np.where(prev7 > 0, prev7, 1.0) - 1.0, np.nan)
    ns = _ns(start_local)
    since_prev = np.concatenate(([np.nan], np.diff(ns) / 86_400e9))
    return pd.DataFrame(
        {
            "spike": spike,
            "longest_30d_m": longest_30,
            "weekly_distance_change": change,
            "days_since_prev_run": since_prev,
            "runs_28d": before(cum_count, 28, 1),
            "weeks": idx / 7.0,
            "distance_7d_m": last7,
        }
    )


def lifting_sessions(sets: pd.DataFrame) -> pd.DataFrame:
    """One row per lifting session from :func:`backstride.log.lifting.session_sets`: ``started_at``,
    ``back_tonnage_kg`` (kg x reps of working sets whose back loading is high), ``total_tonnage_kg``,
    ``max_effort_lower`` (:func:`backstride.log.lifting.max_effort_sets`: tag, title, RPE, or 90% of
    the lift's estimated one-rep max)."""
    if sets.empty:
        return pd.DataFrame(
            {
                "started_at": pd.Series(dtype="datetime64[ns]"),
                "back_tonnage_kg": pd.Series(dtype=float),
                "total_tonnage_kg": pd.Series(dtype=float),
                "max_effort_lower": pd.Series(dtype=bool),
            }
        )
    working = sets["set_type"] != "warmup"
    reps = sets["reps"].astype("float64")
    tonnage = sets["weight_kg"].astype("float64").fillna(0.0) * reps.fillna(0.0)
    frame = sets.assign(
        back=tonnage.where(working & (sets["back_loading"] == "high"), 0.0),
        total=tonnage.where(working, 0.0),
        me=max_effort_sets(sets),
    )
    out = frame.groupby("session_id", sort=False).agg(
        started_at=("started_at", "first"),
        back_tonnage_kg=("back", "sum"),
        total_tonnage_kg=("total", "sum"),
        max_effort_lower=("me", "any"),
    )
    out["started_at"] = pd.to_datetime(out["started_at"])
    return out.sort_values("started_at").reset_index(drop=True)


def lifting_columns(start_local: pd.Series, sessions: pd.DataFrame) -> pd.DataFrame:
    """``back_tonnage_24h/48h/72h`` (kg), ``lifting_tonnage_7d`` (kg), ``days_since_max_effort_lower``
    (days), ``me_lower_48h`` (0/1). All NaN when no lifting was ever logged (unknown, not zero)."""
    at = _ns(start_local)
    names = [f"back_tonnage_{h}h" for h in LIFT_WINDOWS_H]
    names += ["lifting_tonnage_7d", "days_since_max_effort_lower", "me_lower_48h"]
    if sessions.empty:
        return pd.DataFrame({c: np.full(at.size, np.nan) for c in names})
    times = _ns(sessions["started_at"])
    back = sessions["back_tonnage_kg"].to_numpy(float)
    out = {f"back_tonnage_{h}h": _window_sum(times, back, at, h * 3_600_000_000_000) for h in LIFT_WINDOWS_H}
    out["lifting_tonnage_7d"] = _window_sum(
        times, sessions["total_tonnage_kg"].to_numpy(float), at, 7 * 86_400_000_000_000
    )
    me_times = times[sessions["max_effort_lower"].to_numpy(bool)]
    if me_times.size:
        last = np.searchsorted(me_times, at, side="left") - 1
        since = np.where(last >= 0, (at - me_times[np.maximum(last, 0)]) / 86_400e9, np.nan)
    else:  # lifting is logged but no session counts as max effort: never before, not unknown
        since = np.full(at.size, np.nan)
    out["days_since_max_effort_lower"] = since
    recent_me = _window_sum(me_times, np.ones(me_times.size), at, 48 * 3_600_000_000_000)
    out["me_lower_48h"] = (recent_me > 0).astype(float)
    return pd.DataFrame(out)


def routine_columns(
    start_local: pd.Series, activity_id: NDArray[np.int64], log: pd.DataFrame
) -> pd.DataFrame:
    """``<category>_days_7d`` for every routine category (days with it among the 7 calendar days
    before the run's day) and ``warmup_before`` (0/1: a warm-up linked to the run, or logged up to
    :data:`WARMUP_WINDOW_H` before its start). All NaN when no routine was ever logged."""
    n = len(start_local)
    names = [category_column(c) for c in CATEGORIES]
    if log.empty:
        return pd.DataFrame({c: np.full(n, np.nan) for c in [*names, "warmup_before"]})
    run_day = (pd.to_datetime(start_local).dt.normalize() - pd.Timestamp("1970-01-01")).dt.days.to_numpy()
    done = pd.to_datetime(log["done_at"])
    log_day = (done.dt.normalize() - pd.Timestamp("1970-01-01")).dt.days.to_numpy()
    lo_day = int(min(run_day.min(), log_day.min())) - 8
    hi_day = int(max(run_day.max(), log_day.max())) + 1
    out: dict[str, FloatArray] = {}
    for category, name in zip(CATEGORIES, names, strict=True):
        days = np.unique(log_day[(log["category"] == category).to_numpy()])
        flag = np.zeros(hi_day - lo_day + 1)
        flag[days - lo_day] = 1.0
        cum = np.concatenate(([0.0], np.cumsum(flag)))
        pos = run_day - lo_day
        out[name] = cum[pos] - cum[pos - 7]
    warm = log[log["category"] == "warm-up"]
    linked = set(warm["activity_id"].dropna().astype(int).tolist())
    at = _ns(start_local)
    w_times = np.sort(_ns(warm["done_at"])) if not warm.empty else np.empty(0, np.int64)
    recent = _window_sum(w_times, np.ones(w_times.size), at, int(WARMUP_WINDOW_H * 3_600_000_000_000)) > 0
    is_linked = np.isin(np.asarray(activity_id), list(linked)) if linked else np.zeros(n, bool)
    out["warmup_before"] = (recent | is_linked).astype(float)
    return pd.DataFrame(out)
