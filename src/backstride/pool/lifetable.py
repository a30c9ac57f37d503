"""Pain-free distance from aggregated counts: an actuarial life table over distance bins.

The pool never holds a runner's runs in memory: :mod:`backstride.pool.queries` counts, per distance
bin ``[j*w, (j+1)*w)``, the onsets (``events``) and the runs that left the risk set (``exits``: an
onset or the end of a pain-free run in that bin). From those (Cutler-Ederer),

    entering_j = N - sum_{i<j} exits_i,   censored_j = exits_j - events_j,
    at_risk_j = entering_j - censored_j / 2,   S_j = prod_{i<=j} (1 - events_i / at_risk_i)

is the probability of getting past the end of bin j pain-free: a pain-free run that ends inside a
bin counts as at risk for half of it. (Keeping it at risk for the whole bin, the Kaplan-Meier tie
rule applied to binned distances, overstates S by about 3% of its value at 6 km with 250 m bins.)
It scales to any number of runs, and the tests check it against
:class:`backstride.analysis.survival.KaplanMeier` on the raw distances, on all runs and on a 1%
sample.

Intervals. :func:`life_table` gives Greenwood's variance, which treats every run as independent:
right for one runner's runs, wrong for a pool, where the runs of one runner share that runner's
pain-free distance (on pools of 30 runners whose typical onset varies with SD 0.4 on the log scale,
its nominal 95% interval covered the truth about half the time or less). :func:`pooled_life_table`
works from the counts per runner and bin (:func:`backstride.pool.queries.runner_cells`) and gives

* the **run-weighted** curve (every run counts once: what :func:`life_table` estimates) or the
  **runner-weighted** curve (each runner's runs weighted by 1 / their number of runs, so every
  runner counts once and heavy loggers do not dominate; the mean of the runners' own curves
  when runners differ in how much they log, Williamson et al., Biometrics 2008;64:1153);
* the variance of log S by the **leave-one-runner-out jackknife**: S recomputed without each runner
  in turn, (R - 1) / R times the sum of squared deviations (R runners), vectorised over blocks of
  runners so 100,000 runners cost seconds;
* 95% CIs on the log(-log) scale, as in :mod:`backstride.analysis.survival`, with the quantile of
  Student's t: the number of runners, not of runs, sets the precision. Its degrees of freedom are
  R - 1 when every runner weighs the same (the runner-weighted curve), fewer when a few heavy
  loggers carry most of the weight (:func:`degrees_of_freedom`).

Coverage is checked by simulation with a known truth in ``tests/pool/test_lifetable_coverage.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from backstride.analysis.survival import loglog_interval

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: No pooled figure is shown from fewer runners than this.
MIN_RUNNERS = 10


@dataclass
class LifeTable:
    """A life table; arrays run over the bins (``ends_m``: the end of each bin, metres)."""

    bin_m: int
    ends_m: FloatArray
    at_risk: FloatArray
    events: FloatArray
    exits: FloatArray
    survival: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    #: Runners behind the table (``None`` when built from pooled counts alone).
    runners: int | None = None
    #: ``runs`` (every run counts once) or ``runners`` (every runner counts once).
    weighting: str = "runs"
    #: How the CI was made: ``greenwood`` (runs independent) or ``runner jackknife``.
    interval: str = "greenwood"

    @property
    def runs(self) -> int:
        """Runs behind a run-weighted table (for a runner-weighted one: the number of runners)."""
        return round(float(self.exits.sum()))

    def _first_end(self, curve: FloatArray, level: float = 0.5) -> float | None:
        idx = np.nonzero(curve <= level)[0]
        return float(self.ends_m[idx[0]]) if idx.size else None

    @property
    def median_m(self) -> float | None:
        """First bin end at which S <= 0.5 (metres); ``None`` when the curve stays above."""
        return self._first_end(self.survival)

    @property
    def median_ci_m(self) -> tuple[float | None, float | None]:
        return self._first_end(self.ci_low), self._first_end(self.ci_high)

    def at(self, distance_m: float) -> tuple[float, float, float] | None:
        """(S, low, high) of running past ``distance_m`` pain-free, at the bin end at or below it;
        ``None`` when no run reached it."""
        j = int(distance_m // self.bin_m) - 1
        if j < 0:
            return (1.0, 1.0, 1.0)
        if j >= self.ends_m.size or self.at_risk[j] <= 0 or self.exits[j:].sum() == 0:
            return None
        return float(self.survival[j]), float(self.ci_low[j]), float(self.ci_high[j])

    def to_dict(self, at_m: tuple[float, ...] = (2000.0, 5000.0, 10000.0)) -> dict[str, Any]:
        lo, hi = self.median_ci_m
        points = {}
        for d in at_m:
            value = self.at(d)
            points[f"{int(d)}"] = (
                None if value is None else {"p": value[0], "low": value[1], "high": value[2]}
            )
        return {
            "median_m": self.median_m,
            "median_ci_m": [lo, hi],
            "pain_free_at_m": points,
            "bin_m": self.bin_m,
        }


def _after(x: FloatArray) -> FloatArray:
    """Sum of ``x`` over the later bins (along the last axis): runs still at risk past each bin.
    Summed from the end, so the last runs of a table are exact, not a difference of large sums."""
    out: FloatArray = np.flip(np.cumsum(np.flip(x, axis=-1), axis=-1), axis=-1) - x
    return out


def _actuarial(d: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(at_risk, hazard, survival) of per-bin ``events`` d and ``exits`` x (see the module docstring)."""
    at_risk = _after(x) + (x + d) / 2.0  # = entering - censored / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        # clipped: with weighted counts, rounding can put the last bin's hazard a hair above 1
        hazard = np.clip(np.where(at_risk > 0, d / at_risk, 0.0), 0.0, 1.0)
    surv: FloatArray = np.cumprod(1.0 - hazard).astype(np.float64)
    return at_risk, hazard, surv


def _ends(n_bins: int, bin_m: int) -> FloatArray:
    return (np.arange(n_bins, dtype=float) + 1.0) * bin_m


def life_table(events: ArrayLike, exits: ArrayLike, bin_m: int, alpha: float = 0.05) -> LifeTable:
    """The life table of per-bin ``events`` and ``exits`` (bin j = distances in [j*bin_m, (j+1)*bin_m))
    with Greenwood's CI: for runs that are independent (one runner's runs, or a check against
    Kaplan-Meier); a pool of runners needs :func:`pooled_life_table`."""
    d = np.asarray(events, dtype=float)
    x = np.asarray(exits, dtype=float)
    at_risk, _, surv = _actuarial(d, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where((d > 0) & (at_risk > d), d / (at_risk * (at_risk - d)), 0.0)
    z = float(stats.norm.ppf(1 - alpha / 2))
    low, high = loglog_interval(surv, np.cumsum(terms), z)
    return LifeTable(bin_m, _ends(d.size, bin_m), at_risk, d, x, surv, low, high)


#: Runners per block of the vectorised jackknife (a block holds two runners x bins arrays).
JACKKNIFE_BLOCK = 4096
WEIGHTINGS = ("runs", "runners")


def _dense(rows: IntArray, j: IntArray, values: FloatArray, m: int, n_bins: int) -> FloatArray:
    flat = np.bincount(rows * n_bins + j, weights=values, minlength=m * n_bins)
    out: FloatArray = flat.astype(np.float64).reshape(m, n_bins)
    return out


def _jackknife_var(
    r: IntArray, j: IntArray, d: FloatArray, x: FloatArray, w: FloatArray, n_bins: int
) -> FloatArray:
    """Leave-one-runner-out jackknife variance of log S per bin. ``r`` (runner 0..R-1, sorted, every
    runner with a row), ``j`` (bin), ``d``/``x`` (events/exits of that runner in that bin), ``w``
    (weight per runner).

    Leaving runner c out changes the hazard only in the bins up to c's last one; after it, c's
    deviation of log S stays constant. So runners are taken in blocks in the order of their last bin,
    each block only as wide as its longest runner needs, and the constant tails are added at the end
    (the work is the sum of the runners' last bins, not runners x bins). Counts without runner c are
    differences of weighted sums: any true count is at least half the smallest run weight, so what
    is below a quarter of it is rounding and set to 0 (a runner who was the last one at risk leaves
    S = 0 behind, and an infinite variance, not a rounding error's)."""
    n_runners = w.size
    tiny = 0.25 * float(w.min())
    big_d = np.bincount(j, weights=w[r] * d, minlength=n_bins).astype(np.float64)
    big_x = np.bincount(j, weights=w[r] * x, minlength=n_bins).astype(np.float64)
    _, hazard, _ = _actuarial(big_d, big_x)
    keep = 1.0 - hazard
    later = _after(big_x)
    starts = np.searchsorted(r, np.arange(n_runners))
    counts = np.diff(np.append(starts, r.size))
    order = np.argsort(np.maximum.reduceat(j, starts), kind="stable")
    offsets = np.concatenate(([0], np.cumsum(counts[order])))
    rows = np.repeat(starts[order] - offsets[:-1], counts[order]) + np.arange(r.size)
    rank = np.repeat(np.arange(n_runners), counts[order])
    jj, dd, xx, ww = j[rows], d[rows], x[rows], w[order]
    s1 = np.zeros(n_bins)
    s2 = np.zeros(n_bins)
    t1 = np.zeros(n_bins + 1)
    t2 = np.zeros(n_bins + 1)

    def snap(v: FloatArray) -> FloatArray:
        return np.where(v < tiny, 0.0, v)

    for first in range(0, n_runners, JACKKNIFE_BLOCK):
        m = min(JACKKNIFE_BLOCK, n_runners - first)
        lo, hi = offsets[first], offsets[first + m]
        width = int(jj[lo:hi].max()) + 1
        block = rank[lo:hi] - first
        dc = _dense(block, jj[lo:hi], dd[lo:hi], m, width)
        xc = _dense(block, jj[lo:hi], xx[lo:hi], m, width)
        wb = ww[first : first + m, None]
        dm = snap(big_d[:width] - wb * dc)
        censored = snap((big_x[:width] - big_d[:width]) - wb * (xc - dc))
        survivors = snap(snap(later[:width] - wb * _after(xc)) + censored / 2.0)
        at_risk = survivors + dm
        with np.errstate(divide="ignore", invalid="ignore"):
            keep_m = np.where(at_risk > 0, survivors / at_risk, 1.0)
            # log(1 - h_without) - log(1 - h): small differences kept accurate
            delta = np.where(keep[:width] > 0, np.log1p((keep_m - keep[:width]) / keep[:width]), 0.0)
        dev = np.cumsum(delta, axis=1)
        s1[:width] += dev.sum(axis=0)
        s2[:width] += (dev * dev).sum(axis=0)
        t1[width] += dev[:, -1].sum()
        t2[width] += (dev[:, -1] ** 2).sum()
    s1 += np.cumsum(t1)[:n_bins]
    s2 += np.cumsum(t2)[:n_bins]
    with np.errstate(invalid="ignore"):
        var = np.where(np.isfinite(s2), (s2 - s1 * s1 / n_runners) * (n_runners - 1) / n_runners, np.inf)
    out: FloatArray = np.maximum(var, 0.0)
    return out


def degrees_of_freedom(runner_weights: ArrayLike) -> float:
    """Degrees of freedom of the runner-level interval: Satterthwaite's for a mean over runners
    whose total weights W differ, (sum W^2)^2 / sum W^4 (Bell & McCaffrey 2002), at most R - 1.
    Equal weights (the runner-weighted curve) give R - 1; a pool dominated by a few heavy loggers
    (the run-weighted curve) gives fewer, and a wider interval."""
    big_w = np.asarray(runner_weights, dtype=float)
    if big_w.size < 2:
        return 0.0
    w2 = big_w * big_w
    return float(min(big_w.size - 1.0, w2.sum() ** 2 / (w2 * w2).sum()))


def pooled_life_table(
    runner: ArrayLike,
    bins: ArrayLike,
    events: ArrayLike,
    exits: ArrayLike,
    bin_m: int,
    n_bins: int,
    weighting: str = "runs",
    alpha: float = 0.05,
) -> LifeTable:
    """The life table of a pool from counts per runner and bin: rows of ``runner`` (any id),
    ``bins`` (0..n_bins-1), ``events`` and ``exits``; ``weighting`` ``runs`` or ``runners``; the CI
    by the leave-one-runner-out jackknife (see the module docstring)."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, not {weighting!r}")
    ids = np.asarray(runner)
    j = np.asarray(bins, dtype=np.int64)
    d = np.asarray(events, dtype=float)
    x = np.asarray(exits, dtype=float)
    if j.size and (j.min() < 0 or j.max() >= n_bins):
        raise ValueError(f"bins must lie in 0..{n_bins - 1}")
    if ids.size > 1 and not bool(np.all(ids[1:] >= ids[:-1])):
        order = np.argsort(ids, kind="stable")
        ids, j, d, x = ids[order], j[order], d[order], x[order]
    r: IntArray = np.cumsum(np.concatenate(([0], ids[1:] != ids[:-1]))).astype(np.int64)
    r = r[: ids.size]
    n_runners = int(r[-1]) + 1 if r.size else 0
    runs_of = np.bincount(r, weights=x, minlength=n_runners)
    w = np.ones(n_runners) if weighting == "runs" else 1.0 / np.maximum(runs_of, 1.0)
    big_d = np.bincount(j, weights=w[r] * d, minlength=n_bins).astype(np.float64)
    big_x = np.bincount(j, weights=w[r] * x, minlength=n_bins).astype(np.float64)
    at_risk, _, surv = _actuarial(big_d, big_x)
    var = _jackknife_var(r, j, d, x, w, n_bins) if n_runners > 1 else np.full(n_bins, np.inf)
    df = degrees_of_freedom(w * runs_of)
    q = float(stats.t.ppf(1 - alpha / 2, df)) if df > 0 else np.inf
    low, high = loglog_interval(surv, var, q)
    return LifeTable(
        bin_m,
        _ends(n_bins, bin_m),
        at_risk,
        big_d,
        big_x,
        surv,
        low,
        high,
        runners=n_runners,
        weighting=weighting,
        interval="runner jackknife",
    )


__all__ = [
    "JACKKNIFE_BLOCK",
    "MIN_RUNNERS",
    "WEIGHTINGS",
    "LifeTable",
    "degrees_of_freedom",
    "life_table",
    "pooled_life_table",
]
