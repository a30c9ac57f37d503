"""The random-effects meta-analysis: against a direct reference, and against the simulated truth."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy import optimize, stats

from backstride.pool.cohort import REMEDIES, CohortSummary
from backstride.pool.lifetable import MIN_RUNNERS
from backstride.pool.meta import MetaResult, meta_analyses, remedy_entries
from backstride.pool.queries import open_pool


def reference(y: np.ndarray, v: np.ndarray) -> dict[str, float]:
    """DerSimonian-Laird and the Q-profile CI by root finding (textbook formulas)."""
    k = y.size
    w = 1 / v
    mu_fe = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu_fe) ** 2)
    tau2 = max(0.0, (q - (k - 1)) / (np.sum(w) - np.sum(w * w) / np.sum(w)))
    ws = 1 / (v + tau2)
    mu = np.sum(ws * y) / np.sum(ws)

    def qgen(t: float) -> float:
        ww = 1 / (v + t)
        m = np.sum(ww * y) / np.sum(ww)
        return float(np.sum(ww * (y - m) ** 2))

    hi_q, lo_q = stats.chi2.ppf(0.975, k - 1), stats.chi2.ppf(0.025, k - 1)
    lo = optimize.brentq(lambda t: qgen(t) - hi_q, 0, 4) if qgen(0) > hi_q else 0.0
    hi = optimize.brentq(lambda t: qgen(t) - lo_q, 0, 4) if qgen(0) > lo_q else 0.0
    return {
        "mu": mu,
        "se": math.sqrt(1 / np.sum(ws)),
        "tau": math.sqrt(tau2),
        "tau_lo": math.sqrt(lo),
        "tau_hi": math.sqrt(hi),
    }


def _results(root: Path) -> dict[str, MetaResult]:
    return {r.remedy: r for r in meta_analyses(open_pool(root))}


@pytest.mark.slow
def test_meta_analysis_equals_the_reference(validation_cohort: tuple[Path, CohortSummary]) -> None:
    root, _ = validation_cohort
    rows = duckdb.sql(f"select remedy, effect, se from read_parquet('{root}/experiments/*/*.parquet')").df()
    results = _results(root)
    assert set(results) == {r.remedy for r in REMEDIES}
    for remedy, g in rows.groupby("remedy"):
        ref = reference(g["effect"].to_numpy(float), g["se"].to_numpy(float) ** 2)
        got = results[str(remedy)]
        assert got.k == len(g)
        assert got.mu == pytest.approx(ref["mu"], rel=1e-9, abs=1e-12)
        assert got.se == pytest.approx(ref["se"], rel=1e-9)
        assert got.tau == pytest.approx(ref["tau"], rel=1e-9, abs=1e-12)
        # the Q-profile is interpolated on a grid of tau in steps of 0.01
        assert got.tau_ci[0] == pytest.approx(ref["tau_lo"], abs=2e-3)
        assert got.tau_ci[1] == pytest.approx(ref["tau_hi"], abs=2e-3)


@pytest.mark.slow
def test_meta_analysis_recovers_the_simulated_truth(validation_cohort: tuple[Path, CohortSummary]) -> None:
    """Ten intervals at once (the mean and the tau of five remedies) are checked as a family at 95%
    (Bonferroni: each at 1 - 0.05/10). Their per-interval 95% coverage is checked by simulation in
    :func:`test_q_profile_intervals_cover_at_their_nominal_rate`."""
    root, summary = validation_cohort
    results = {r.remedy: r for r in meta_analyses(open_pool(root), alpha=0.05 / 10)}
    for remedy, (mu, tau) in summary.truth.items():
        r = results[remedy]
        assert r.mu_ci[0] <= mu <= r.mu_ci[1], remedy
        assert r.tau_ci[0] is not None and r.tau_ci[1] is not None
        assert r.tau_ci[0] <= tau <= r.tau_ci[1], remedy


def test_q_profile_intervals_cover_at_their_nominal_rate() -> None:
    """Calibration by simulation: over 200 replicate meta-analyses with a known mu and tau, the 95%
    intervals of mu and of tau each contain the truth in about 95% of them."""
    import pandas as pd

    from backstride.pool.meta import TAU_GRID, dl_tau2, from_sums

    rng = np.random.default_rng(99)
    hits_mu = hits_tau = 0
    reps = 200
    for _ in range(reps):
        k, mu, tau = 60, 0.2, 0.15
        se = rng.uniform(0.08, 0.25, k)
        y = rng.normal(mu, tau, k) + rng.normal(0, se)
        v = se * se
        grid = np.array([t * t for t in TAU_GRID])
        w = 1 / (v[None, :] + grid[:, None])
        profile = pd.DataFrame(
            {
                "remedy": "r",
                "tau2": grid,
                "k": k,
                "s1": w.sum(1),
                "sy": (w * y).sum(1),
                "syy": (w * y * y).sum(1),
                "s2": (w * w).sum(1),
            }
        )
        t2 = float(dl_tau2(profile)["tau2"].iloc[0])
        ws = 1 / (v + t2)
        final = pd.DataFrame(
            {
                "remedy": ["r"],
                "k": [k],
                "runners": [k],
                "s1": [ws.sum()],
                "sy": [(ws * y).sum()],
                "tau2": [t2],
            }
        )
        r = from_sums(profile, final)[0]
        hits_mu += r.mu_ci[0] <= mu <= r.mu_ci[1]
        hits_tau += (r.tau_ci[0] or 0) <= tau <= (r.tau_ci[1] or 9)
    # binomial(200, 0.95): 95% of replicates fall in [184, 196]
    assert 184 <= hits_mu <= 199
    assert 184 <= hits_tau <= 199


def test_shrinkage_pulls_a_runner_toward_the_group() -> None:
    r = MetaResult("x", 50, 50, 0.2, 0.02, (0.16, 0.24), 0.1, (0.05, 0.15), 70.0, (0.0, 0.4))
    noisy, _ = r.shrink(1.0, 0.5)
    precise, _ = r.shrink(1.0, 0.01)
    assert 0.2 < noisy < precise < 1.0
    assert noisy == pytest.approx(0.2 + 0.01 / (0.01 + 0.25) * 0.8)


def test_small_remedies_are_suppressed() -> None:
    few = MetaResult("x", 9, MIN_RUNNERS - 1, 0.2, 0.05, (0.1, 0.3), 0.1, (0.0, 0.3), 9.0, (0.0, 0.4))
    many = MetaResult("y", 12, MIN_RUNNERS, 0.2, 0.05, (0.1, 0.3), 0.1, (0.0, 0.3), 9.0, (0.0, 0.4))
    out = remedy_entries([few, many])
    assert out[0] == {"remedy": "x", "runners": MIN_RUNNERS - 1, "suppressed": True}
    assert out[1]["suppressed"] is False and out[1]["effect"] == pytest.approx(math.exp(0.2))
