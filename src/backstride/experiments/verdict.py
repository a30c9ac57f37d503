"""The verdict in plain words, and how many more pairs an inconclusive experiment needs.

Probabilities come from the posterior of the condition effect (B vs A); "meaningful" is a ratio of
pain-free distance of at least 1.3 (or at most 1/1.3 for harm), or at least 1 point on the 0-10
scores (DOMAIN.md section 4).

The rule (calibrated by simulation, see ``tests/experiments/test_validation.py``):

* **benefit** when P(meaningful benefit) >= :data:`MEANINGFUL_PROB` AND P(B better at all) >=
  :data:`SURE_PROB`;
* **harm** symmetrically;
* **no meaningful difference** when P(neither meaningful benefit nor meaningful harm) >= 0.8;
* otherwise **inconclusive**, with the number of further pairs after which, if the effect stayed at
  its current estimate, the verdict would be settled (a normal approximation in which the posterior
  standard deviation shrinks with the square root of the number of pairs).

Why not simply P(meaningful benefit) >= 0.8: with 4 pairs of 7 days the posterior of the log ratio has
a standard deviation of about 0.15 for a runner whose onset varies by 30%. A true 50% longer distance
(log 1.5 = 0.41) then reaches P(ratio >= 1.3) >= 0.8 in only 53-58% of simulated experiments, while
a lower threshold on that probability alone would call noise a benefit in small experiments.
Requiring the posterior median to be meaningful (probability 0.5) together with 95% certainty of the
direction gives, in 600 simulated experiments each: "benefit" in 1.0-1.5% with no effect (3.2% with 3
pairs), in 83-87% with a true ratio of 1.5 (82.5% with Weibull onsets). For a runner whose onset
varies by 50% run to run the same design reaches only 48%: the power helper shows this before the
start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

MEANINGFUL_PROB = 0.5
SURE_PROB = 0.95
NO_DIFFERENCE_PROB = 0.8
MAX_EXTRA_PAIRS = 10

VERDICTS = ("benefit", "harm", "no meaningful difference", "inconclusive")


@dataclass(frozen=True)
class Probabilities:
    benefit: float  # P(meaningful benefit)
    harm: float  # P(meaningful harm)
    better: float  # P(B better at all)
    worse: float  # P(B worse at all)

    @property
    def no_difference(self) -> float:
        return max(0.0, 1.0 - self.benefit - self.harm)


def decide(p: Probabilities) -> str:
    """One of :data:`VERDICTS`."""
    if p.benefit >= MEANINGFUL_PROB and p.better >= SURE_PROB:
        return "benefit"
    if p.harm >= MEANINGFUL_PROB and p.worse >= SURE_PROB:
        return "harm"
    if p.no_difference >= NO_DIFFERENCE_PROB:
        return "no meaningful difference"
    return "inconclusive"


def normal_probabilities(mean: float, sd: float, meaningful: float, direction: int) -> Probabilities:
    """The probabilities for a normal posterior of the effect on the model scale."""
    good = direction * mean
    cdf = stats.norm.cdf
    return Probabilities(
        benefit=float(1 - cdf((meaningful - good) / sd)),
        harm=float(cdf((-meaningful - good) / sd)),
        better=float(1 - cdf(-good / sd)),
        worse=float(cdf(-good / sd)),
    )


def more_pairs(mean: float, sd: float, pairs: int, meaningful: float, direction: int) -> int | None:
    """Fewest further pairs after which the verdict would be settled if the estimate held; None when
    more than :data:`MAX_EXTRA_PAIRS` would be needed."""
    if pairs <= 0 or not math.isfinite(sd) or sd <= 0:
        return None
    for extra in range(1, MAX_EXTRA_PAIRS + 1):
        sd_k = sd * math.sqrt(pairs / (pairs + extra))
        if decide(normal_probabilities(mean, sd_k, meaningful, direction)) != "inconclusive":
            return extra
    return None


def verdict_text(verdict: str, remedy: str, extra: int | None) -> str:
    """The verdict in plain words (associations with uncertainty, never a diagnosis)."""
    if verdict == "benefit":
        return f"Benefit: with {remedy} your outcome was probably meaningfully better than without it."
    if verdict == "harm":
        return f"Harm: with {remedy} your outcome was probably meaningfully worse than without it."
    if verdict == "no meaningful difference":
        return f"No meaningful difference: {remedy} probably makes little difference for you either way."
    if extra is None:
        return (
            "Inconclusive: the data cannot tell yet, and even 10 more pairs might not settle it "
            "(the difference, if any, may be small)."
        )
    return f"Inconclusive: keep going for {extra} more pair{'s' if extra != 1 else ''}."


__all__ = [
    "MEANINGFUL_PROB",
    "NO_DIFFERENCE_PROB",
    "SURE_PROB",
    "VERDICTS",
    "Probabilities",
    "decide",
    "more_pairs",
    "normal_probabilities",
    "verdict_text",
]
