"""Fit an experiment's model and summarise the condition effect: estimate, interval, probabilities.

:func:`summarise` works on a batch of posteriors (the simulation study and the power helper use the
same code as a single analysis); :func:`analyse` runs the whole analysis of one experiment's
observations (see :mod:`backstride.experiments.model` for the data and the terms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from backstride.experiments.bayes import Batch, FloatArray, Posterior, find_mode, sample, single
from backstride.experiments.design import Period
from backstride.experiments.model import (
    OutcomeSpec,
    Terms,
    choose_terms,
    default_prior,
    design_matrix,
    prais_winsten,
    residual_rho,
)
from backstride.experiments.randomisation import RandomisationTest, randomisation_test
from backstride.experiments.verdict import Probabilities, decide, more_pairs, verdict_text

#: Importance-sampling draws for one analysis (a fixed seed keeps every analysis reproducible).
DRAWS = 4000
SEED = 20250303
EFFECT_INDEX = 1


@dataclass
class EffectSummaries:
    """Vectorised summaries of the condition effect on the model scale, one entry per data set."""

    median: FloatArray
    low: FloatArray
    high: FloatArray
    sd: FloatArray
    p_benefit: FloatArray
    p_harm: FloatArray
    p_better: FloatArray
    p_worse: FloatArray

    def probabilities(self, i: int) -> Probabilities:
        return Probabilities(
            float(self.p_benefit[i]), float(self.p_harm[i]), float(self.p_better[i]), float(self.p_worse[i])
        )

    def verdicts(self) -> list[str]:
        return [decide(self.probabilities(i)) for i in range(len(self.median))]


def summarise(post: Posterior, spec: OutcomeSpec, index: int = EFFECT_INDEX) -> EffectSummaries:
    """Median and 95% credible interval of the effect, and the probabilities that drive the verdict."""
    q = post.quantiles(index, (0.025, 0.5, 0.975, 0.1587, 0.8413))
    m = spec.meaningful
    if spec.direction > 0:
        benefit, harm = post.prob(index, low=m), post.prob(index, high=-m)
        better, worse = post.prob(index, low=0.0), post.prob(index, high=0.0)
    else:
        benefit, harm = post.prob(index, high=-m), post.prob(index, low=m)
        better, worse = post.prob(index, high=0.0), post.prob(index, low=0.0)
    return EffectSummaries(q[:, 1], q[:, 0], q[:, 2], 0.5 * (q[:, 4] - q[:, 3]), benefit, harm, better, worse)


@dataclass
class Analysis:
    """The analysis of one experiment. ``effect``/``interval`` are on the natural scale: the ratio
    of pain-free distance B/A, or the difference B - A in points."""

    outcome: str
    effect: float | None
    interval: list[float] | None
    p_benefit: float | None
    p_harm: float | None
    p_no_difference: float | None
    p_better: float | None
    verdict: str
    verdict_text: str
    more_pairs: int | None
    runs_used: int
    observations_used: int
    excluded: dict[str, int]
    terms: list[str]
    ar1_rho: float | None
    sigma: float | None
    ess: float | None
    randomisation: RandomisationTest | None
    periods: list[dict[str, Any]] = field(default_factory=list)
    adherence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "randomisation"}
        out["randomisation_test"] = None if self.randomisation is None else self.randomisation.to_dict()
        return out


def period_table(obs: pd.DataFrame, schedule: list[Period], spec: OutcomeSpec) -> list[dict[str, Any]]:
    """Per period: condition, dates, observations in all and used, pain-free runs, and a summary
    (geometric mean of pain-free distance, pain-free runs counted at their length; or the mean score)."""
    out = []
    for p in schedule:
        rows = obs[obs["period"] == p.index]
        used = rows[rows["used"]]
        vals = used["value"].to_numpy(float)
        vals = vals[np.isfinite(vals)]
        if spec.log_scale:
            vals = vals[vals > 0]
            summary = float(np.exp(np.mean(np.log(vals)))) if vals.size else None
        else:
            summary = float(np.mean(vals)) if vals.size else None
        out.append(
            {
                **p.to_dict(),
                "pair": p.pair + 1,
                "washout_until": p.analysed_from.isoformat(),
                "observations": len(rows),
                "used": len(used),
                "pain_free": int(used["censored"].sum()) if spec.log_scale else None,
                "summary": summary,
            }
        )
    return out


def _posterior(
    spec: OutcomeSpec, X: FloatArray, lo: FloatArray, hi: FloatArray, terms: Terms, typical_m: float | None
) -> tuple[Posterior, float | None]:
    prior = default_prior(spec, X.shape[1], typical_m)
    rho = None
    if terms.ar1:
        mode, _, _ = find_mode(single(X, lo, hi), prior)
        rho = residual_rho(lo, X, mode[0, :-1])
        lo, X = prais_winsten(lo, X, rho)
        hi = lo.copy()
        prior = default_prior(spec, X.shape[1], typical_m)
    batch: Batch = single(X, lo, hi)
    return sample(batch, prior, draws=DRAWS, seed=SEED), rho


def analyse(
    spec: OutcomeSpec,
    obs: pd.DataFrame,
    schedule: list[Period],
    washout_days: int,
    remedy: str,
    typical_m: float | None = None,
) -> Analysis:
    """Fit the model to the used observations of ``obs`` and turn the posterior into a verdict."""
    used = obs[obs["used"]].sort_values("day", kind="stable")
    excluded = obs.loc[~obs["used"], "reason"].value_counts().to_dict()
    periods = period_table(obs, schedule, spec)
    n_a, n_b = int((used["condition"] == "A").sum()), int((used["condition"] == "B").sum())
    terms = choose_terms(spec, schedule, washout_days, len(used))
    runs_used = int(used["activity_id"].notna().sum())
    base: dict[str, Any] = {
        "outcome": spec.name,
        "runs_used": runs_used,
        "observations_used": len(used),
        "excluded": {str(k): int(v) for k, v in excluded.items()},
        "periods": periods,
    }
    if n_a < 2 or n_b < 2:
        return Analysis(
            effect=None,
            interval=None,
            p_benefit=None,
            p_harm=None,
            p_no_difference=None,
            p_better=None,
            verdict="inconclusive",
            verdict_text=(
                "Inconclusive: not enough data yet (at least 2 usable observations under A and under B)."
            ),
            more_pairs=None,
            terms=terms.names(),
            ar1_rho=None,
            sigma=None,
            ess=None,
            randomisation=None,
            **base,
        )
    X = design_matrix(used, schedule, terms)
    lo, hi = used["lo"].to_numpy(float), used["hi"].to_numpy(float)
    post, rho = _posterior(spec, X, lo, hi, terms, typical_m)
    s = summarise(post, spec)
    probs = s.probabilities(0)
    verdict = decide(probs)
    extra = None
    if verdict == "inconclusive":
        pairs_with_data = int(used.groupby("pair")["condition"].nunique().eq(2).sum())
        extra = more_pairs(
            float(s.median[0]), float(s.sd[0]), pairs_with_data, spec.meaningful, spec.direction
        )
    to_natural = math.exp if spec.log_scale else float
    sigma = float(np.exp(post.mode[0, -1]))
    return Analysis(
        effect=to_natural(float(s.median[0])),
        interval=[to_natural(float(s.low[0])), to_natural(float(s.high[0]))],
        p_benefit=float(s.p_benefit[0]),
        p_harm=float(s.p_harm[0]),
        p_no_difference=probs.no_difference,
        p_better=float(s.p_better[0]),
        verdict=verdict,
        verdict_text=verdict_text(verdict, remedy, extra),
        more_pairs=extra,
        terms=terms.names() + (["AR(1)"] if terms.ar1 else []),
        ar1_rho=rho,
        sigma=sigma,
        ess=float(post.ess[0]),
        randomisation=randomisation_test(used, spec.log_scale, spec.direction),
        **base,
    )


__all__ = [
    "DRAWS",
    "SEED",
    "Analysis",
    "EffectSummaries",
    "analyse",
    "period_table",
    "summarise",
]
