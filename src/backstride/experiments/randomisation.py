"""The randomisation test: a frequentist cross-check that uses only the design's own randomness.

Under the null hypothesis that the remedy makes no difference, the outcomes would have been the same
whichever order (AB or BA) the coin had picked in each pair. The test statistic is the sum over pairs
of (mean score in the B period - mean score in the A period); swapping a pair's order flips the sign
of its term, so the exact null distribution comes from all 2^pairs sign patterns.

Scores: for pain-free distance (censored) Gehan's generalised Wilcoxon score of each run against all
other used runs, +1 for every run it certainly outlasted and -1 for every run that certainly outlasted
it (an interval or a censoring that overlaps counts as neither); for the 0-10 scores, the value with
its sign turned so that higher means better. With 3 pairs the smallest two-sided p-value possible is
2/8 = 0.25: the test can only confirm a strong, consistent effect in longer experiments.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backstride.experiments.bayes import FloatArray

MAX_EXACT_PAIRS = 16


@dataclass(frozen=True)
class RandomisationTest:
    """Observed statistic (higher = B better), exact p-values and the pairs that carried data."""

    statistic: float
    p_two_sided: float
    p_benefit: float  # one-sided: B better
    pairs_used: int
    assignments: int

    def to_dict(self) -> dict[str, float | int]:
        return {
            "statistic": self.statistic,
            "p_two_sided": self.p_two_sided,
            "p_one_sided_benefit": self.p_benefit,
            "pairs_used": self.pairs_used,
            "assignments": self.assignments,
        }


def gehan_scores(lo: FloatArray, hi: FloatArray) -> FloatArray:
    """For each observation: #others it certainly exceeds - #others that certainly exceed it."""
    lo_i, hi_i = lo[:, None], hi[:, None]
    above = (lo_i > hi[None, :]).sum(axis=1)
    below = (hi_i < lo[None, :]).sum(axis=1)
    return (above - below).astype(float)


def pair_differences(obs: pd.DataFrame, scores: FloatArray) -> FloatArray:
    """Per pair with data in both periods: mean score under B - mean score under A."""
    frame = pd.DataFrame({"pair": obs["pair"].to_numpy(), "cond": obs["condition"].to_numpy(), "s": scores})
    means = frame.groupby(["pair", "cond"])["s"].mean().unstack()
    if "A" not in means or "B" not in means:
        return np.zeros(0)
    both = means.dropna()
    return (both["B"] - both["A"]).to_numpy(float)


def randomisation_test(obs: pd.DataFrame, censored_outcome: bool, direction: int) -> RandomisationTest | None:
    """The exact test on the used observations of ``obs`` (see :mod:`backstride.experiments.model`)."""
    used = obs[obs["used"]]
    if used.empty:
        return None
    lo, hi = used["lo"].to_numpy(float), used["hi"].to_numpy(float)
    scores = gehan_scores(lo, hi) if censored_outcome else direction * lo
    d = pair_differences(used, scores)
    if d.size == 0 or d.size > MAX_EXACT_PAIRS:
        return None
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=d.size)))
    null = signs @ d
    observed = float(d.sum())
    tol = 1e-9 * max(1.0, abs(observed))
    return RandomisationTest(
        statistic=observed,
        p_two_sided=float(np.mean(np.abs(null) >= abs(observed) - tol)),
        p_benefit=float(np.mean(null >= observed - tol)),
        pairs_used=int(d.size),
        assignments=int(signs.shape[0]),
    )


__all__ = ["RandomisationTest", "gehan_scores", "pair_differences", "randomisation_test"]
