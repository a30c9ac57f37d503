"""The power helper: how many pairs this runner needs, from their own past variability.

From the runs of the weeks before the experiment (pain reports only; unknown runs left out), an
intercept-only censored log-normal model gives the runner's typical pain-free distance and how much
it varies from run to run (``sigma``, log scale); the run lengths and runs per week come from the
same runs. Experiments are then simulated with exactly the analysis that the real one will get
(:mod:`backstride.experiments.simulate`, importance sampling with 200 draws per experiment), for 3, 4,
... pairs: the number needed is the fewest pairs
with which at least 80% of experiments show B better (posterior probability >= 0.95) when the remedy
truly gives a 30% longer pain-free distance. With too little history, an assumed sigma of 0.4 is
used and said so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection

from backstride.experiments.bayes import find_mode, single
from backstride.experiments.design import MAX_PAIRS, MIN_PAIRS
from backstride.experiments.model import OUTCOME_SPECS, default_prior, onset_bounds
from backstride.experiments.simulate import Setting, run_study
from backstride.experiments.store import runs_between
from backstride.experiments.verdict import SURE_PROB

HISTORY_WEEKS = 12
ASSUMED_SIGMA = 0.4
TARGET_POWER = 0.8
DETECT_RATIO = 1.3
SIMS = 200
DRAWS = 200
SEED = 7


@dataclass
class History:
    """What the runner's past runs say (metres; ``sigma`` log scale)."""

    runs: int
    reported: int
    with_pain: int
    runs_per_week: float
    median_onset_m: float
    sigma: float
    run_median_m: float
    run_sigma: float
    assumed: bool


@dataclass
class PowerResult:
    history: History
    runs_per_period: int
    by_pairs: list[dict[str, Any]] = field(default_factory=list)
    needed_pairs: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "history": self.history.__dict__,
            **{k: v for k, v in self.__dict__.items() if k != "history"},
        }

    def text(self, pairs: int) -> str:
        h = self.history
        source = (
            f"assumed run-to-run variation {h.sigma:.2f} (too few reported runs: {h.reported})"
            if h.assumed
            else f"your last {h.reported} reported runs vary by about {math.expm1(h.sigma):.0%} run to run"
        )
        chosen = next((r for r in self.by_pairs if r["pairs"] == pairs), None)
        lines = [f"Power ({source}; about {self.runs_per_period} runs per period):"]
        if chosen is not None:
            lines.append(
                f"  with {pairs} pairs: {chosen['p_detect_30']:.0%} chance to show a 30% longer pain-free "
                f"distance, {chosen['p_benefit_50']:.0%} chance of a 'benefit' verdict if it is 50% longer"
            )
        if self.needed_pairs is None:
            lines.append(
                f"  even {MAX_PAIRS} pairs would not reach {TARGET_POWER:.0%}: expect an uncertain answer"
            )
        else:
            lines.append(f"  pairs needed for {TARGET_POWER:.0%} power: {self.needed_pairs}")
        return "\n".join(lines)


def history(conn: Connection, user_id: int, before: date, weeks: int = HISTORY_WEEKS) -> History:
    """The runner's variability from the runs in the ``weeks`` before ``before``."""
    runs = runs_between(conn, user_id, before - timedelta(weeks=weeks), before - timedelta(days=1))
    dist = runs["distance_m"].to_numpy(float)
    dist = dist[np.isfinite(dist) & (dist > 0)]
    run_median = float(np.median(dist)) if dist.size else 8000.0
    run_sigma = float(np.std(np.log(dist))) if dist.size >= 3 else 0.25
    span_days = (runs["day"].max() - runs["day"].min()).days + 1 if len(runs) >= 2 else 7 * weeks
    per_week = len(runs) / max(span_days, 7) * 7 if len(runs) else 3.0
    reported = runs[runs["status"].notna()]
    bounds = [b for b in (onset_bounds(r) for _, r in reported.iterrows()) if b is not None]
    with_pain = sum(1 for b in bounds if not math.isinf(b[1]))
    median_onset, sigma, assumed = 0.6 * run_median, ASSUMED_SIGMA, True
    if len(bounds) >= 6 and with_pain >= 3:
        lo = np.array([b[0] for b in bounds])
        hi = np.array([b[1] for b in bounds])
        prior = default_prior(OUTCOME_SPECS["onset"], 1, run_median)
        mode, _, ok = find_mode(single(np.ones((len(lo), 1)), lo, hi), prior)
        if ok[0]:
            median_onset, sigma, assumed = float(np.exp(mode[0, 0])), float(np.exp(mode[0, 1])), False
    return History(
        runs=len(runs),
        reported=len(reported),
        with_pain=with_pain,
        runs_per_week=per_week,
        median_onset_m=median_onset,
        sigma=sigma,
        run_median_m=run_median,
        run_sigma=max(run_sigma, 0.05),
        assumed=assumed,
    )


def power_for(
    hist: History, pairs: int, period_days: int, washout_days: int, with_benefit: bool = True
) -> dict[str, Any]:
    """Simulated chances for one design (see the module docstring)."""
    per_period = max(1, min(period_days, round(hist.runs_per_week * period_days / 7)))
    base = Setting(
        pairs=pairs,
        period_days=period_days,
        washout_days=washout_days,
        runs_per_period=per_period,
        median_onset_m=hist.median_onset_m,
        sigma=hist.sigma,
        run_median_m=hist.run_median_m,
        run_sigma=hist.run_sigma,
    )
    s30, _ = run_study(Setting(**{**base.__dict__, "ratio": DETECT_RATIO}), SIMS, SEED, draws=DRAWS)
    out: dict[str, Any] = {"pairs": pairs, "p_detect_30": float(np.mean(s30.p_better >= SURE_PROB))}
    if with_benefit:
        _, v50 = run_study(Setting(**{**base.__dict__, "ratio": 1.5}), SIMS, SEED + 10, draws=DRAWS)
        out["p_benefit_50"] = float(np.mean(np.array(v50) == "benefit"))
    return out


def power_helper(
    conn: Connection, user_id: int, before: date, pairs: int, period_days: int, washout_days: int
) -> PowerResult:
    """Power of the chosen design, and the fewest pairs reaching :data:`TARGET_POWER`."""
    hist = history(conn, user_id, before)
    per_period = max(1, min(period_days, round(hist.runs_per_week * period_days / 7)))
    out = PowerResult(hist, per_period)
    chosen = power_for(hist, pairs, period_days, washout_days)
    out.by_pairs.append(chosen)
    k = MIN_PAIRS
    while k <= MAX_PAIRS:
        row = chosen if k == pairs else power_for(hist, k, period_days, washout_days, with_benefit=False)
        if k != pairs:
            out.by_pairs.append(row)
        if row["p_detect_30"] >= TARGET_POWER:
            out.needed_pairs = k
            break
        k += 1
    out.by_pairs.sort(key=lambda r: r["pairs"])
    return out


__all__ = ["History", "PowerResult", "history", "power_for", "power_helper"]
