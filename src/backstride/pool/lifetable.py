"""Pain-free distance from aggregated counts: an actuarial life table over distance bins, Greenwood CIs.

The pool never holds a runner's runs in memory: :func:`backstride.pool.queries.lifetable_cells`
counts, per distance bin ``[j*w, (j+1)*w)``, the onsets (``events``) and the runs that left the risk
set (``exits``: an onset or the end of a pain-free run in that bin). From those (Cutler-Ederer),

    entering_j = N - sum_{i<j} exits_i,   censored_j = exits_j - events_j,
    at_risk_j = entering_j - censored_j / 2,   S_j = prod_{i<=j} (1 - events_i / at_risk_i)

is the probability of getting past the end of bin j pain-free: a pain-free run that ends inside a
bin counts as at risk for half of it. (Keeping it at risk for the whole bin, the Kaplan-Meier tie
rule applied to binned distances, overstates S by about 3% of its value at 6 km with 250 m bins.)
It scales to any number of runs, and the tests check it against
:class:`backstride.analysis.survival.KaplanMeier` on the raw distances, on all runs and on a 1%
sample. Variance: Greenwood with the same ``at_risk``; 95% CI: log(-log), as in
:mod:`backstride.analysis.survival`. Runs of one runner are not independent: the CI describes the
runs, and is narrower than a runner-level interval would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

FloatArray = NDArray[np.float64]

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

    @property
    def runs(self) -> int:
        return int(self.exits.sum())

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


def life_table(events: ArrayLike, exits: ArrayLike, bin_m: int, alpha: float = 0.05) -> LifeTable:
    """The life table of per-bin ``events`` and ``exits`` (bin j = distances in [j*bin_m, (j+1)*bin_m))."""
    d = np.asarray(events, dtype=float)
    x = np.asarray(exits, dtype=float)
    entering = x.sum() - np.concatenate(([0.0], np.cumsum(x)[:-1]))
    at_risk = entering - (x - d) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, d / at_risk, 0.0)
        surv: FloatArray = np.cumprod(1.0 - hazard).astype(np.float64)
        terms = np.where((d > 0) & (at_risk > d), d / (at_risk * (at_risk - d)), 0.0)
    gw = np.cumsum(terms)
    z = float(stats.norm.ppf(1 - alpha / 2))
    low: FloatArray = surv.copy()
    high: FloatArray = surv.copy()
    inside = (surv > 0) & (surv < 1)
    log_s = np.log(surv[inside])
    half = z * np.sqrt(gw[inside]) / np.abs(log_s)
    base = np.log(-log_s)
    low[inside] = np.exp(-np.exp(base + half))
    high[inside] = np.exp(-np.exp(base - half))
    ends = (np.arange(d.size, dtype=float) + 1.0) * bin_m
    return LifeTable(bin_m, ends, at_risk, d, x, surv, low, high)


__all__ = ["MIN_RUNNERS", "LifeTable", "life_table"]
