"""What the validation tests share: size checks with a Holm-adjusted bound, two-sided coverage, and
the per-runner collection of factor results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from backstride.analysis.factors import Factor, analyze_factors

ALPHA = 0.05


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (same order as given)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    m = p.size
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out.tolist()


def size_p_value(rejections: int, n: int, alpha: float = ALPHA) -> float:
    """Exact one-sided p-value of "the test rejects more often than alpha": P(X >= rejections)."""
    return float(stats.binom.sf(rejections - 1, n, alpha))


def lower_bound(successes: int, n: int) -> float:
    """Exact (Clopper-Pearson) one-sided 95% lower confidence bound of a proportion."""
    return 0.0 if successes == 0 else float(stats.beta.ppf(0.05, successes, n - successes + 1))


def covers(low: float | None, high: float | None, truth: float) -> bool:
    """An open end (``None``: the data do not reach it) is no bound on that side."""
    return (low is None or low <= truth) and (high is None or truth <= high)


@dataclass
class Rejections:
    """Per factor, over many simulated runners: in how many it could be estimated and in how many
    its Wald test (the headline result: adjusted when in the multivariable model) rejected at 5%."""

    names: list[str]
    n: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    flagged_runners: int = 0
    runners: int = 0

    def add(self, runs: pd.DataFrame, factors: list[Factor]) -> None:
        result = analyze_factors(runs, factors)
        self.runners += 1
        self.flagged_runners += any(f.flagged for f in result.primary)
        for f in result.primary:
            if f.status != "ok" or f.p_value is None:
                continue
            self.n[f.name] = self.n.get(f.name, 0) + 1
            self.rejected[f.name] = self.rejected.get(f.name, 0) + int(f.p_value < ALPHA)

    def table(self) -> dict[str, tuple[int, int, float]]:
        return {
            k: (self.rejected.get(k, 0), self.n.get(k, 0), self.rejected.get(k, 0) / max(self.n.get(k, 0), 1))
            for k in self.names
        }

    def holm_adjusted(self) -> dict[str, float]:
        p = [size_p_value(self.rejected.get(k, 0), self.n.get(k, 0)) for k in self.names]
        return dict(zip(self.names, holm(p), strict=True))


def collect(frames: Iterable[pd.DataFrame], factors: list[Factor]) -> Rejections:
    out = Rejections([f.name for f in factors])
    for runs in frames:
        out.add(runs, factors)
    return out
