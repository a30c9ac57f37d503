"""Onsets known only to a lap: multiple imputation from the Turnbull curve, and Rubin's rules.

An onset noted as "during lap 3", or only as "somewhere in this run" ("unknown"), is known to lie in
an interval. Putting it at the interval's middle invents a precise onset the runner never gave, and
dropping the run selects runs on their outcome (only pain runs are dropped). Estimators that have no
interval-censored likelihood here (Cox, log-rank, the terrain model, rolling windows) instead see
``M`` completed data sets: each draws every interval onset from the Turnbull NPMLE of the pain-free
distance restricted to its interval (mass in an innermost interval is spread evenly across it). Each
draw uses the NPMLE of a bootstrap resample of the runs ("proper" imputation: the curve's own
uncertainty enters the between-imputation variance). Results are combined by Rubin's rules
(:func:`rubin`: estimates averaged, variances within + (1 + 1/M) x between, t reference with Rubin's
degrees of freedom) and chi-square tests by the D2 rule (:func:`combine_chi2`, Li, Meng, Raghunathan
& Rubin 1991).

Exact onsets and pain-free runs are the same in every completed data set; with no interval onset at
all there is one "imputation", the data themselves, and the results are the ordinary ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Completed data sets per analysis when some onsets are known only to an interval.
N_IMPUTATIONS = 10


@dataclass
class Imputed:
    """``exits`` (M x n): the onset distance (pain runs) or the run's length (pain-free runs) in
    metres in each completed data set; ``events`` (n): an onset happened; ``interval`` (n): the onset
    was drawn (known only to an interval)."""

    exits: FloatArray
    events: NDArray[np.bool_]
    interval: NDArray[np.bool_]

    @property
    def m(self) -> int:
        return int(self.exits.shape[0])


def impute_onsets(left: ArrayLike, right: ArrayLike, m: int = N_IMPUTATIONS, seed: int = 0) -> Imputed:
    """Completed data sets for bounds ``left``/``right`` (metres; ``right`` = inf: pain-free at
    ``left``; ``left == right``: exact onset). One data set when no onset is interval-censored."""
    lo = np.asarray(left, dtype=float)
    hi = np.asarray(right, dtype=float)
    events = np.isfinite(hi)
    interval = events & (hi > lo)
    if not interval.any() or m < 1:
        return Imputed(lo[None, :].copy(), events, interval)
    from backstride.analysis.interval import Turnbull, em_batch

    tb = Turnbull(tol=1e-7).fit(lo, hi)  # draws need the curve to 1e-7, not the headline's 1e-9
    _, _, _, first, last = tb._obs
    n = lo.size
    rng = np.random.default_rng(seed)
    counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(m)]).astype(float)
    start = np.maximum(tb.mass_, 1e-6)
    start /= start.sum()
    masses = em_batch(first, last, tb.mass_.size, counts, start, 1e-4, 200)
    idx = np.nonzero(interval)[0]
    f, la = first[idx], last[idx]
    out = np.repeat(lo[None, :], m, axis=0)
    for k in range(m):
        out[k, idx] = _draw(masses[k], tb.mass_, tb.left_, tb.right_, f, la, lo[idx], hi[idx], rng)
    return Imputed(out, events, interval)


def _draw(
    mass: FloatArray,
    fallback: FloatArray,
    q: FloatArray,
    p: FloatArray,
    first: NDArray[np.intp],
    last: NDArray[np.intp],
    lo: FloatArray,
    hi: FloatArray,
    rng: np.random.Generator,
) -> FloatArray:
    """One draw per interval onset: an innermost interval by its mass, then a point evenly inside it."""
    values = np.empty(lo.size)
    todo = np.ones(lo.size, bool)
    for weights in (mass, fallback):
        cum = np.concatenate(([0.0], np.cumsum(weights)))
        total = cum[last] - cum[first]
        ok = todo & (total > 1e-12)
        u = cum[first] + rng.random(lo.size) * total
        j = np.clip(np.searchsorted(cum, u, side="right") - 1, first, np.maximum(last - 1, first))
        a = np.maximum(q[np.minimum(j, q.size - 1)], lo)
        b = np.minimum(p[np.minimum(j, p.size - 1)], hi)
        b = np.where(np.isfinite(b) & (b >= a), b, a)
        values[ok] = (a + rng.random(lo.size) * (b - a))[ok]
        todo &= ~ok
    values[todo] = (lo + rng.random(lo.size) * (hi - lo))[todo]
    return values


@dataclass
class Pooled:
    """Rubin's rules for one coefficient: estimate, total standard error, degrees of freedom
    (``inf`` when every completed data set agrees), and the share of the variance due to the
    imputation."""

    estimate: float
    se: float
    df: float
    missing_info: float

    def ci(self, alpha: float = 0.05) -> tuple[float, float]:
        from scipy import stats

        q = (
            float(stats.norm.ppf(1 - alpha / 2))
            if math.isinf(self.df)
            else float(stats.t.ppf(1 - alpha / 2, self.df))
        )
        return self.estimate - q * self.se, self.estimate + q * self.se

    @property
    def p_value(self) -> float:
        from scipy import stats

        if not self.se > 0:
            return float("nan")
        z = abs(self.estimate / self.se)
        return float(2 * (stats.norm.sf(z) if math.isinf(self.df) else stats.t.sf(z, self.df)))


def rubin(estimates: ArrayLike, variances: ArrayLike, complete_df: float = math.inf) -> Pooled:
    """Combine one coefficient over M completed data sets (Rubin 1987).

    ``complete_df``: the degrees of freedom the analysis would have without missing data; with a
    finite value the small-sample degrees of freedom of Barnard & Rubin (1999) are used, so that one
    data set gives a t test with ``complete_df`` degrees of freedom. The Cox models use onsets minus
    coefficients: a Wald z test with a few onsets per coefficient rejects a true null too often."""
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = q.size
    qbar = float(q.mean())
    within = float(u.mean())
    between = float(q.var(ddof=1)) if m > 1 else 0.0
    extra = (1 + 1 / m) * between if m > 1 else 0.0
    total = within + extra
    share = extra / total if total > 0 else 0.0
    df_m = math.inf if extra <= 1e-300 else (m - 1) * (1 + within / extra) ** 2
    if math.isfinite(complete_df) and complete_df > 0:
        observed = (complete_df + 1) / (complete_df + 3) * complete_df * (1 - share)
        df = 1 / (1 / df_m + 1 / observed) if math.isfinite(df_m) else observed
    else:
        df = df_m
    return Pooled(qbar, math.sqrt(total), df, share)


def combine_chi2(statistics: ArrayLike, df: int = 1) -> float:
    """p-value of chi-square statistics (``df`` each) from M completed data sets by the D2 rule."""
    from scipy import stats

    d = np.asarray(statistics, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan")
    m = d.size
    if m == 1:
        return float(stats.chi2.sf(d[0], df))
    r = (1 + 1 / m) * float(np.var(np.sqrt(np.maximum(d, 0.0)), ddof=1))
    stat = (float(d.mean()) / df - (m + 1) / (m - 1) * r) / (1 + r)
    if stat <= 0:
        return 1.0
    if r <= 1e-12:
        return float(stats.chi2.sf(stat * df, df))
    df2 = df ** (-3 / m) * (m - 1) * (1 + 1 / r) ** 2
    return float(stats.f.sf(stat, df, df2))


__all__ = ["N_IMPUTATIONS", "Imputed", "Pooled", "combine_chi2", "impute_onsets", "rubin"]
