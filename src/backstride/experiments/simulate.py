"""Simulated experiments with a known truth, many at once: for the validation study and the power helper.

Each simulated runner follows a design of ``pairs`` block pairs (AB or BA at random), runs on
``runs_per_period`` distinct random days of every period, and on each run the pain would start at

    log T = log(median_onset_m) + log(ratio) * B + trend * t + sigma * e

(e standard normal, or a standardised Gumbel for a Weibull onset when ``error="weibull"``); the run
itself is log-normal around ``run_median_m``. A run that ends before T is pain-free (right-censored
at its length). Runs in the washout days are dropped, as the analysis does.

A remedy can carry over (``carryover_days``): after a switch the previous period's condition still
acts, fading out linearly over that many days while the new one fades in (an effect that outlasts
stopping, and takes as long to build). The analysis does not know this; a washout at least as long as
the carry-over removes it.

From the command line, the chance of each verdict for one scenario (or the carry-over study):

    python -m backstride.experiments.simulate --ratio 1.5 --carryover 5 --washout 2 --period 7
    python -m backstride.experiments.simulate --carryover-study

The analysis then goes through the very same code as a real experiment
(:func:`backstride.experiments.analysis.summarise` and :func:`backstride.experiments.verdict.decide`).

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
    carryover_days: int = 0
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
    # What the runner's body responds to: the previous period's condition fades out linearly over
    # the carry-over days after a switch (and the new one fades in).
    prev_b = np.concatenate([is_b[:, :1], is_b[:, :-1]], axis=1)
    fading = np.clip(1.0 - (day_in + 0.5) / max(setting.carryover_days, 1e-9), 0.0, 1.0)
    if setting.carryover_days == 0:
        fading = np.zeros_like(fading)
    acting = fading * prev_b[:, :, None] + (1.0 - fading) * B
    logged = np.ones((n, periods, k), bool)
    if setting.outcomes == "field":
        from backstride.simulate.field import experiment_outcomes

        lo3, hi3, logged, log_d = experiment_outcomes(
            rng, acting, setting.ratio, setting.median_onset_m, setting.run_median_m, setting.run_sigma
        )
        lo, hi = lo3.reshape(n, -1), hi3.reshape(n, -1)
    else:
        eps = _errors(rng, (n, periods, k), setting.error)
        log_t = math.log(setting.median_onset_m) + math.log(setting.ratio) * acting + setting.trend * t
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


def verdict_rates(setting: Setting, n: int, seed: int) -> dict[str, float]:
    """The share of each verdict over ``n`` simulated experiments."""
    from backstride.experiments.verdict import VERDICTS

    _, verdicts = run_study(setting, n, seed)
    found = np.array(verdicts)
    return {v: float(np.mean(found == v)) for v in VERDICTS}


def carryover_study(n: int = 600, seed: int = 202, carryover: int = 5) -> list[tuple[str, Setting, float]]:
    """Benefit detection for a true 50% longer pain-free distance: no carry-over; a ``carryover``-day
    carry-over with the old fixed 2-day washout; and with the design sized from the carry-over
    (:meth:`backstride.plan.knowledge.ExperimentDef.design`)."""
    from backstride.plan.knowledge import ExperimentDef

    period, washout = ExperimentDef(
        testable=True, period_days=7, carryover_days=carryover, outcome="onset", how="-"
    ).design()
    per_week = 4
    rows = [
        ("no carry-over, 7-day periods, 2-day washout", Setting(ratio=1.5)),
        (
            f"{carryover}-day carry-over, 7-day periods, 2-day washout",
            Setting(ratio=1.5, carryover_days=carryover),
        ),
        (
            f"{carryover}-day carry-over, {period}-day periods, {washout}-day washout (sized from it)",
            Setting(
                ratio=1.5,
                carryover_days=carryover,
                period_days=period,
                washout_days=washout,
                runs_per_period=round(per_week * period / 7),
            ),
        ),
    ]
    return [(label, s, verdict_rates(s, n, seed)["benefit"]) for label, s in rows]


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m backstride.experiments.simulate",
        description="Verdicts of simulated n-of-1 experiments with a known truth.",
    )
    parser.add_argument("--ratio", type=float, default=1.5, help="true ratio of pain-free distance, B/A")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--period", type=int, default=7, help="days per period")
    parser.add_argument("--washout", type=int, default=2, help="days left out at the start of a period")
    parser.add_argument("--carryover", type=int, default=0, help="true carry-over in days")
    parser.add_argument("--runs-per-week", type=float, default=4.0)
    parser.add_argument("-n", type=int, default=600, help="simulated experiments")
    parser.add_argument("--seed", type=int, default=202)
    parser.add_argument("--carryover-study", action="store_true", help="before/after sizing the washout")
    args = parser.parse_args(argv)
    if args.carryover_study:
        for label, _, rate in carryover_study(args.n, args.seed, args.carryover or 5):
            print(f"{rate:6.1%}  benefit detected: {label} (n = {args.n}, true ratio 1.5)")
        return
    setting = Setting(
        pairs=args.pairs,
        period_days=args.period,
        washout_days=args.washout,
        runs_per_period=max(1, round(args.runs_per_week * args.period / 7)),
        ratio=args.ratio,
        carryover_days=args.carryover,
    )
    for verdict, share in verdict_rates(setting, args.n, args.seed).items():
        print(f"{share:6.1%}  {verdict}")


__all__ = ["Setting", "carryover_study", "main", "run_study", "simulate_batch", "verdict_rates"]


if __name__ == "__main__":
    main()
