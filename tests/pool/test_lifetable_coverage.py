"""The pooled life table's intervals against a known truth, by simulation (issue 12 item 7).

Pools of 30 runners: runner i's onsets are Weibull (shape 2) with scale 5 km x exp(b_i),
b_i ~ N(0, 0.4^2) (the spread between runners on the log scale), runs about 6 km long (lognormal,
the same for everyone, so censoring does not depend on the runner), and a number of runs per runner
that varies a lot (3 + negative binomial, mean 40, size 2: heavy and light loggers). The truth is
computed by Gauss-Hermite quadrature:

* the mean of the runners' curves, E_b[S_b(d)], which the runner-weighted curve estimates;
* the run-weighted mixture E_b[m(b) S_b(d)] / E_b[m(b)] (m(b): a runner's expected number of runs),
  which the run-weighted curve estimates; the two are equal when logging does not depend on b.

A 95% interval should cover the truth in about 95% of pools: the checks bound the rate on both
sides (too narrow and too wide) at three distances. With 1,000 pools the binomial sd of a rate near
0.95 is 0.007; the bounds [0.92, 0.98] leave room for the small-sample error of a runner-level
method with 30 runners and reject Greenwood's independent-runs interval (about 0.35-0.55 here) or
an interval far too wide. (In development, on 600 pools per case: t with R - 1 degrees of freedom
covered 0.92-0.96, but only 0.88-0.92 for the run-weighted curve with 10 runners of whom the heavy
loggers differ; the Satterthwaite degrees of freedom for unequal runner weights brought that case
to 0.92-0.95 and the others to 0.94-0.97.)
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from backstride.pool.lifetable import life_table, pooled_life_table

BIN_M, N_BINS = 250, 201
DISTANCES = np.array([2000, 4000, 6000])
RUNNERS, SD, MEAN_RUNS, REPS = 30, 0.4, 40.0, 1000
_X, _W = np.polynomial.hermite_e.hermegauss(80)
_W = _W / _W.sum()

Arrays = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]


def _survival(d: NDArray[np.int64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = np.exp(-((d[:, None] / (5000.0 * np.exp(b[None, :]))) ** 2))
    return out


def _mean_runs(b: NDArray[np.float64], slope: float) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 3.0 + (MEAN_RUNS - 3.0) * np.exp(slope * b)
    return out


def truths(slope: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(mean of the runners' curves, run-weighted mixture) at :data:`DISTANCES`."""
    b = _X * SD
    s = _survival(DISTANCES, b)
    m = _mean_runs(b, slope)
    return s @ _W, (s * m) @ _W / float(m @ _W)


def simulated_pool(rng: np.random.Generator, slope: float) -> Arrays:
    """(runner, bin, event) per run; ``slope`` > 0: runners with later onsets log more runs."""
    b = rng.normal(0.0, SD, RUNNERS)
    mu = _mean_runs(b, slope) - 3.0
    n = 3 + rng.negative_binomial(2, 2.0 / (2.0 + mu))
    runner = np.repeat(np.arange(RUNNERS), n)
    length = 6000.0 * rng.lognormal(0.0, 0.35, runner.size)
    onset = 5000.0 * np.exp(b[runner]) * rng.weibull(2.0, runner.size)
    event = onset < length
    bins = np.minimum(np.floor(np.where(event, onset, length) / BIN_M), N_BINS - 1).astype(np.int64)
    return runner.astype(np.int64), bins, event.astype(float)


def _covers(table: object, truth: NDArray[np.float64]) -> NDArray[np.bool_]:
    j = DISTANCES // BIN_M - 1  # S at the end of the bin that ends at the distance
    low, high = table.ci_low[j], table.ci_high[j]  # type: ignore[attr-defined]
    out: NDArray[np.bool_] = (low <= truth) & (truth <= high)
    return out


def _coverage(slope: float, seed: int) -> dict[str, NDArray[np.float64]]:
    runner_truth, run_truth = truths(slope)
    rng = np.random.default_rng(seed)
    hits = {k: np.zeros(DISTANCES.size) for k in ("runs", "runners", "runs_vs_runner_mean", "greenwood")}
    mean = {k: np.zeros(DISTANCES.size) for k in ("runs_estimate", "runners_estimate")}
    for _ in range(REPS):
        runner, bins, event = simulated_pool(rng, slope)
        ones = np.ones(runner.size)
        by_runs = pooled_life_table(runner, bins, event, ones, BIN_M, N_BINS)
        by_runners = pooled_life_table(runner, bins, event, ones, BIN_M, N_BINS, weighting="runners")
        greenwood = life_table(
            np.bincount(bins, weights=event, minlength=N_BINS), np.bincount(bins, minlength=N_BINS), BIN_M
        )
        hits["runs"] += _covers(by_runs, run_truth)
        hits["runners"] += _covers(by_runners, runner_truth)
        hits["runs_vs_runner_mean"] += _covers(by_runs, runner_truth)
        hits["greenwood"] += _covers(greenwood, run_truth)
        j = DISTANCES // BIN_M - 1
        mean["runs_estimate"] += by_runs.survival[j]
        mean["runners_estimate"] += by_runners.survival[j]
    return {k: v / REPS for k, v in {**hits, **mean}.items()}


@pytest.mark.slow
def test_runner_level_intervals_cover_at_the_nominal_rate() -> None:
    """The issue's case: logging does not depend on the runner's pain, so both curves estimate the
    same truth; both intervals cover it at about 95%, and Greenwood's (runs as independent) does not."""
    got = _coverage(slope=0.0, seed=20251201)
    for name in ("runs", "runners"):
        assert np.all((got[name] >= 0.92) & (got[name] <= 0.98)), (name, got[name])
    assert np.all(got["greenwood"] < 0.7), got["greenwood"]
    runner_truth, _ = truths(0.0)
    # the estimates are unbiased to within the actuarial binning (and 1,000 pools' noise)
    assert np.all(np.abs(got["runners_estimate"] - runner_truth) < 0.01), got["runners_estimate"]


@pytest.mark.slow
def test_runner_weighted_curve_when_heavy_loggers_differ() -> None:
    """Runners with later onsets log more runs (slope 1.5): the run-weighted curve is pulled toward
    the heavy loggers (its interval covers the mean runner's curve in well under 85% of pools),
    while the runner-weighted curve estimates the mean of the runners' curves at the nominal rate;
    each interval covers its own estimand at the nominal rate."""
    got = _coverage(slope=1.5, seed=20251202)
    runner_truth, run_truth = truths(1.5)
    assert np.all(run_truth - runner_truth > 0.05)
    for name in ("runs", "runners"):
        assert np.all((got[name] >= 0.92) & (got[name] <= 0.98)), (name, got[name])
    assert np.all(got["runs_vs_runner_mean"] < 0.85), got["runs_vs_runner_mean"]
    assert np.all(np.abs(got["runners_estimate"] - runner_truth) < 0.01), got["runners_estimate"]
    assert np.all(got["runs_estimate"] - runner_truth > 0.04), got["runs_estimate"]


def test_independent_runs_give_greenwood() -> None:
    """With one run per 'runner' the jackknife interval is Greenwood's (to t(n-1) vs z and the
    jackknife's O(1/n) difference, checked where at least 50 runs are at risk), and the curve is
    the same."""
    rng = np.random.default_rng(4)
    _, bins, event = simulated_pool(rng, 0.0)
    ids = np.arange(bins.size)
    pooled = pooled_life_table(ids, bins, event, np.ones(bins.size), BIN_M, N_BINS)
    plain = life_table(
        np.bincount(bins, weights=event, minlength=N_BINS), np.bincount(bins, minlength=N_BINS), BIN_M
    )
    np.testing.assert_array_equal(pooled.survival, plain.survival)
    shown = (plain.at_risk >= 50) & (plain.survival < 1)
    np.testing.assert_allclose(pooled.ci_low[shown], plain.ci_low[shown], rtol=2e-3)
    np.testing.assert_allclose(pooled.ci_high[shown], plain.ci_high[shown], rtol=2e-3)


def test_jackknife_equals_leaving_each_runner_out_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vectorised jackknife (in blocks of 7 runners here) against refitting the plain life table
    without each runner in turn, with both weightings."""
    from scipy import stats

    from backstride.pool import lifetable

    monkeypatch.setattr(lifetable, "JACKKNIFE_BLOCK", 7)
    rng = np.random.default_rng(5)
    runner, bins, event = simulated_pool(rng, 0.0)
    for weighting in ("runs", "runners"):
        table = pooled_life_table(runner, bins, event, np.ones(runner.size), BIN_M, N_BINS, weighting)
        n_runs = np.bincount(runner, minlength=RUNNERS).astype(float)
        w = (np.ones(RUNNERS) if weighting == "runs" else 1.0 / n_runs)[runner]
        logs = []
        for i in range(RUNNERS):
            keep = runner != i
            t = life_table(
                np.bincount(bins[keep], weights=(w * event)[keep], minlength=N_BINS),
                np.bincount(bins[keep], weights=w[keep], minlength=N_BINS),
                BIN_M,
            )
            with np.errstate(divide="ignore"):
                logs.append(np.log(t.survival))
        full = life_table(
            np.bincount(bins, weights=w * event, minlength=N_BINS),
            np.bincount(bins, weights=w, minlength=N_BINS),
            BIN_M,
        )
        np.testing.assert_allclose(table.survival, full.survival, rtol=1e-12)
        finite = np.isfinite(np.array(logs)).all(axis=0)
        dev = np.array(logs)[:, finite]
        var = np.full(N_BINS, np.inf)
        var[finite] = (RUNNERS - 1) / RUNNERS * ((dev - dev.mean(axis=0)) ** 2).sum(axis=0)
        big_w = np.bincount(runner, weights=w, minlength=RUNNERS)
        df = min(RUNNERS - 1, (big_w**2).sum() ** 2 / (big_w**4).sum())
        assert df <= RUNNERS - 1 and (df == RUNNERS - 1) == (weighting == "runners")
        q = stats.t.ppf(0.975, df)
        j = np.nonzero((full.survival > 0.02) & (full.survival < 0.98) & finite)[0]
        assert j.size > 15
        s = full.survival[j]
        half = q * np.sqrt(var[j]) / np.abs(np.log(s))
        np.testing.assert_allclose(table.ci_low[j], np.exp(-np.exp(np.log(-np.log(s)) + half)), rtol=1e-9)
        np.testing.assert_allclose(table.ci_high[j], np.exp(-np.exp(np.log(-np.log(s)) - half)), rtol=1e-9)
        assert table.runners == RUNNERS and table.weighting == weighting


def test_edge_cases() -> None:
    empty = pooled_life_table([], [], [], [], BIN_M, N_BINS)
    assert empty.runners == 0 and empty.median_m is None and np.all(empty.survival == 1.0)
    one = pooled_life_table([7, 7, 7], [3, 5, 9], [1, 0, 1], [1, 1, 1], BIN_M, N_BINS)
    # one onset among 3 runs at risk at bin 3; no runner-level interval from one runner
    assert one.runners == 1 and one.at(2000.0) == pytest.approx((2 / 3, 0.0, 1.0))
    with pytest.raises(ValueError, match="bins"):
        pooled_life_table([1], [N_BINS], [1], [1], BIN_M, N_BINS)
    with pytest.raises(ValueError, match="weighting"):
        pooled_life_table([1], [0], [1], [1], BIN_M, N_BINS, weighting="weeks")
