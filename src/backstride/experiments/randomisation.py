"""The randomisation test: a frequentist cross-check that uses only the design's own randomness.

Under the null hypothesis that the remedy makes no difference, the outcomes would have been the same
whichever order (AB or BA) the coin had picked in each pair. The test statistic is the sum over pairs
of (mean score in the B period - mean score in the A period); swapping a pair's order flips the sign
of its term, so the exact null distribution comes from all 2^pairs sign patterns.

Scores: for pain-free distance (censored) Gehan's generalised Wilcoxon score of each run against all
other used runs, +1 for every run it certainly outlasted and -1 for every run that certainly outlasted
it (an interval or a censoring that overlaps counts as neither); for the 0-10 scores, the value with
its sign turned so that higher means better.

The design limits the smallest p-value the test can give: with n pairs it is 2/2^n two-sided and
1/2^n one-sided (0.25 and 0.125 with 3 pairs, 0.125 and 0.0625 with 4). With 4 or fewer pairs it
cannot reach 0.05 however strong the effect, so a large p from a short experiment is not evidence of no
effect: :attr:`RandomisationTest.smallest_p_two_sided` and :meth:`RandomisationTest.sentence` say so.
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
    smallest_p_two_sided: float = 1.0  # the smallest p this design can give (all pairs one way)
    smallest_p_benefit: float = 1.0

    @property
    def can_reach(self) -> bool:
        """Whether this design can give a two-sided p at or below :data:`ALPHA` at all."""
        return self.smallest_p_two_sided <= ALPHA + 1e-12

    def sentence(self) -> str:
        """The test in words; with too few pairs, the smallest p it could give instead of a p that
        reads like evidence of no effect."""
        head = f"Randomisation test ({self.assignments} possible orders of {self.pairs_used} pairs): "
        if not self.can_reach:
            return (
                head + f"with {self.pairs_used} pairs the smallest two-sided p it can give is "
                f"{self.smallest_p_two_sided:.3f} (one-sided {self.smallest_p_benefit:.3f}), so it cannot "
                f"reach {ALPHA} whatever the effect; its p = {self.p_two_sided:.3f} is not evidence of no "
                f"effect. It needs at least {pairs_to_reach(ALPHA)} pairs."
            )
        return head + (
            f"two-sided p = {self.p_two_sided:.3f}, one-sided p (B better) = {self.p_benefit:.3f} "
            f"(the smallest possible is {self.smallest_p_two_sided:.3f})."
        )

    def to_dict(self) -> dict[str, float | int | bool | str]:
        return {
            "statistic": self.statistic,
            "p_two_sided": self.p_two_sided,
            "p_one_sided_benefit": self.p_benefit,
            "pairs_used": self.pairs_used,
            "assignments": self.assignments,
            "smallest_p_two_sided": self.smallest_p_two_sided,
            "smallest_p_one_sided_benefit": self.smallest_p_benefit,
            "can_reach_0_05": self.can_reach,
            "sentence": self.sentence(),
        }


#: The conventional level the sentence compares the design's smallest p with.
ALPHA = 0.05


def pairs_to_reach(alpha: float = ALPHA) -> int:
    """Fewest pairs whose smallest two-sided p (2 / 2^n) is at most ``alpha``."""
    n = 1
    while 2.0 / 2**n > alpha:
        n += 1
    return n


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
    # The most extreme outcome the design allows (every pair favouring one condition).
    extreme = float(np.abs(d).sum())
    etol = 1e-9 * max(1.0, extreme)
    return RandomisationTest(
        statistic=observed,
        p_two_sided=float(np.mean(np.abs(null) >= abs(observed) - tol)),
        p_benefit=float(np.mean(null >= observed - tol)),
        pairs_used=int(d.size),
        assignments=int(signs.shape[0]),
        smallest_p_two_sided=float(np.mean(np.abs(null) >= extreme - etol)),
        smallest_p_benefit=float(np.mean(null >= extreme - etol)),
    )


__all__ = [
    "ALPHA",
    "RandomisationTest",
    "gehan_scores",
    "pair_differences",
    "pairs_to_reach",
    "randomisation_test",
]
