"""Simulated experiments with a known truth, many at once: for the validation study and the power helper.

Each simulated runner follows a design of ``pairs`` block pairs (AB or BA at random), runs on
``runs_per_period`` distinct random days of every period, and on each run the pain would start at

    log T = log(median_onset_m) + log(ratio) * B + trend * t + sigma * e

(e standard normal, or a standardised Gumbel for a Weibull onset when ``error="weibull"``); the run
itself is log-normal around ``run_median_m``. A run that ends before T is pain-free (right-censored
at its length). Runs in the washout days are dropped, as the analysis does. The analysis then goes
through the very same code as a real experiment (:func:`backstride.experiments.analysis.summarise`
and :func:`backstride.experiments.verdict.decide`).

``outcomes="field"`` draws the runs instead from the second, independent generator
(:func:`backstride.simulate.field.experiment_outcomes`: Weibull onsets with runner and per-run
frailty, pain-free runs often unlogged, onsets typed to 0.1 mi or known only to a lap), so the
verdict thresholds are checked on data they were not tuned on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from backstride.experiments.analysis import EffectSummaries, summarise
from backstride.experiments.bayes import Batch, Prior, sample
from backstride.experiments.model import OUTCOME_SPECS, default_prior

EULER_GAMMA = 0.5772156649015329


@dataclass(frozen=True)
class Setting:
    """One simulated scenario (metres; ``sigma`` and ``run_sigma`` are log-scale SDs; ``trend`` is
    the change in log onset over the whole experiment)."""

    pairs: int = 4
    period_days: int = 7
    washout_days: int = 2
    runs_per_period: int = 4
    median_onset_m: float = 5000.0
    sigma: float = 0.3
    run_median_m: float = 8000.0
    run_sigma: float = 0.2
    ratio: float = 1.0
    trend: float = 0.0
    error: str = "normal"
    outcomes: str = "model"


def _errors(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> np.ndarray:
    if kind == "normal":
        return rng.standard_normal(shape)
    # log of a Weibull variable = location + (1/k) * (minimum Gumbel); standardised to mean 0, sd 1.
    g = np.log(rng.exponential(size=shape))
    return (g + EULER_GAMMA) / (math.pi / math.sqrt(6.0))


def simulate_batch(setting: Setting, n: int, seed: int) -> tuple[Batch, Prior]:
    """``n`` simulated experiments as a batch for :func:`backstride.experiments.bayes.sample`."""
    rng = np.random.Generator(np.random.PCG64(seed))
    P, L, k = setting.pairs, setting.period_days, setting.runs_per_period
    periods = 2 * P
    # Sequence: per pair 0 = AB, 1 = BA; B indicator per period.
    flips = rng.integers(0, 2, size=(n, P))
    is_b = np.empty((n, periods))
    is_b[:, 0::2] = flips
    is_b[:, 1::2] = 1 - flips
    # k distinct run days in each period.
    day_in = np.argsort(rng.random((n, periods, L)), axis=2)[:, :, :k]
    day = day_in + (np.arange(periods) * L)[None, :, None]
    B = np.repeat(is_b[:, :, None], k, axis=2)
    keep = day_in >= setting.washout_days
    total = periods * L
    t = (day + 0.5) / total - 0.5
    logged = np.ones((n, periods, k), bool)
    if setting.outcomes == "field":
        from backstride.simulate.field import experiment_outcomes

        lo3, hi3, logged, log_d = experiment_outcomes(
            rng, B, setting.ratio, setting.median_onset_m, setting.run_median_m, setting.run_sigma
        )
        lo, hi = lo3.reshape(n, -1), hi3.reshape(n, -1)
    else:
        eps = _errors(rng, (n, periods, k), setting.error)
        log_t = math.log(setting.median_onset_m) + math.log(setting.ratio) * B + setting.trend * t
        log_t = log_t + setting.sigma * eps
        log_d = math.log(setting.run_median_m) + setting.run_sigma * rng.standard_normal((n, periods, k))
        pain = log_t <= log_d
        lo = np.where(pain, log_t, log_d).reshape(n, -1)
        hi = np.where(pain, log_t, np.inf).reshape(n, -1)
    cols = [np.ones_like(B), B]
    if P >= 4:
        cols.append(t)
    if setting.washout_days == 0 and P >= 4:
        prev_b = np.concatenate([np.zeros((n, 1)), is_b[:, :-1]], axis=1)
        carry = (1 - is_b) * prev_b
        a_vals = np.where(is_b == 0, carry, np.nan)
        varies = np.nanmax(a_vals, axis=1) != np.nanmin(a_vals, axis=1)
        cols.append(np.repeat((carry * varies[:, None])[:, :, None], k, axis=2))
    X = np.stack([c.reshape(n, -1) for c in cols], axis=2)
    mask = (keep & logged).reshape(n, -1)
    run_m = np.exp(np.where(mask, log_d.reshape(n, -1), np.nan))
    typical = np.nanmedian(run_m, axis=1)
    base = default_prior(OUTCOME_SPECS["onset"], X.shape[2])
    mean = np.tile(base.mean, (n, 1))
    mean[:, 0] = np.log(typical)
    return Batch(X, lo, hi, mask), Prior(mean, np.tile(base.sd, (n, 1)), base.sigma_scale)


def run_study(setting: Setting, n: int, seed: int, draws: int = 1000) -> tuple[EffectSummaries, list[str]]:
    """Analyse ``n`` simulated experiments; the summaries of the effect and the verdicts."""
    batch, prior = simulate_batch(setting, n, seed)
    summaries = summarise(sample(batch, prior, draws=draws, seed=seed + 1), OUTCOME_SPECS["onset"])
    return summaries, summaries.verdicts()


__all__ = ["Setting", "run_study", "simulate_batch"]
