"""The random-effects meta-analysis: against a direct reference, and against the simulated truth."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from backstride.pool.cohort import REMEDIES, CohortSummary
from backstride.pool.lifetable import MIN_RUNNERS
from backstride.pool.meta import TAU_GRID, MetaResult, dl_tau2, from_sums, meta_analyses, remedy_entries
from backstride.pool.queries import open_pool


def reference(y: np.ndarray, v: np.ndarray) -> dict[str, float]:
    """DerSimonian-Laird, the HKSJ interval and the Q-profile CI by root finding (textbook formulas)."""
    k = y.size
    w = 1 / v
    mu_fe = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu_fe) ** 2)
    tau2 = max(0.0, (q - (k - 1)) / (np.sum(w) - np.sum(w * w) / np.sum(w)))
    ws = 1 / (v + tau2)
    mu = np.sum(ws * y) / np.sum(ws)
    se_hksj = math.sqrt(np.sum(ws * (y - mu) ** 2) / ((k - 1) * np.sum(ws)))
    t = stats.t.ppf(0.975, k - 1)

    def qgen(t: float) -> float:
        ww = 1 / (v + t)
        m = np.sum(ww * y) / np.sum(ww)
        return float(np.sum(ww * (y - m) ** 2))

    def crossing(level: float) -> float:
        if qgen(0) <= level:
            return 0.0
        return optimize.brentq(lambda t: qgen(t) - level, 0, 100) if qgen(100) < level else math.inf

    lo = crossing(stats.chi2.ppf(0.975, k - 1))
    hi = crossing(stats.chi2.ppf(0.025, k - 1))
    return {
        "mu": mu,
        "se": math.sqrt(1 / np.sum(ws)),
        "ci_low": mu - t * se_hksj,
        "ci_high": mu + t * se_hksj,
        "tau": math.sqrt(tau2),
        "tau_lo": math.sqrt(lo),
        "tau_hi": math.sqrt(hi),
    }


def per_runner(rows: pd.DataFrame) -> pd.DataFrame:
    """Finished experiments combined per runner and remedy by inverse variance, written out here."""
    done = rows[rows["finished"] == True]  # noqa: E712 (null: unknown)
    done = done.assign(iv=1 / done["se"] ** 2, ivy=done["effect"] / done["se"] ** 2)
    g = done.groupby(["remedy", "bundle"], as_index=False).agg(
        s=("iv", "sum"), sy=("ivy", "sum"), n=("iv", "size")
    )
    return g.assign(effect=g["sy"] / g["s"], var=1 / g["s"])


def _results(root: Path) -> dict[str, MetaResult]:
    return {r.remedy: r for r in meta_analyses(open_pool(root))}


@pytest.mark.slow
def test_meta_analysis_equals_the_reference(validation_cohort: tuple[Path, CohortSummary]) -> None:
    """One estimate per runner from the finished experiments (the cohort has runners who tested a
    remedy twice and experiments still running), then DerSimonian-Laird with the HKSJ interval."""
    root, _ = validation_cohort
    rows = duckdb.sql(
        f"select bundle, remedy, effect, se, finished from read_parquet('{root}/experiments/*/*.parquet')"
    ).df()
    assert (~rows["finished"]).sum() > 50 and rows.duplicated(["bundle", "remedy"]).sum() > 100
    results = _results(root)
    assert set(results) == {r.remedy for r in REMEDIES}
    for remedy, g in per_runner(rows).groupby("remedy"):
        ref = reference(g["effect"].to_numpy(float), g["var"].to_numpy(float))
        got = results[str(remedy)]
        assert got.k == got.runners == len(g) and got.experiments == int(g["n"].sum()) > len(g)
        assert got.mu == pytest.approx(ref["mu"], rel=1e-9, abs=1e-12)
        assert got.se == pytest.approx(ref["se"], rel=1e-9)
        assert got.mu_ci == pytest.approx((ref["ci_low"], ref["ci_high"]), rel=1e-9, abs=1e-12)
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


def meta_of(y: np.ndarray, v: np.ndarray, alpha: float = 0.05) -> MetaResult:
    """:func:`from_sums` on sums computed here in numpy (one estimate per runner already)."""
    k = y.size
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
            "experiments": [k],
            "s1": [ws.sum()],
            "sy": [(ws * y).sum()],
            "syy": [(ws * y * y).sum()],
            "tau2": [t2],
        }
    )
    return from_sums(profile, final, alpha)[0]


def _coverage(k: int, reps: int, seed: int) -> tuple[float, float, float]:
    """(HKSJ coverage of mu, z coverage of mu, Q-profile coverage of tau) over ``reps`` replicate
    meta-analyses of ``k`` runners with mu = 0.2, tau = 0.15, se ~ U(0.08, 0.25)."""
    rng = np.random.default_rng(seed)
    mu, tau = 0.2, 0.15
    z = stats.norm.ppf(0.975)
    hits_mu = hits_z = hits_tau = 0
    for _ in range(reps):
        se = rng.uniform(0.08, 0.25, k)
        y = rng.normal(mu, tau, k) + rng.normal(0, se)
        r = meta_of(y, se * se)
        assert r.mu_ci[0] is not None and r.mu_ci[1] is not None
        hits_mu += r.mu_ci[0] <= mu <= r.mu_ci[1]
        hits_z += r.mu - z * r.se <= mu <= r.mu + z * r.se
        hits_tau += (r.tau_ci[0] or 0) <= tau <= (r.tau_ci[1] or 9)
    return hits_mu / reps, hits_z / reps, hits_tau / reps


def test_q_profile_intervals_cover_at_their_nominal_rate() -> None:
    """Calibration by simulation: over 200 replicate meta-analyses of 60 runners with a known mu
    and tau, the 95% intervals of mu (HKSJ) and of tau each contain the truth in about 95% of them
    (binomial(200, 0.95): 95% of replicates fall in [184, 196])."""
    hksj, _, tau = _coverage(k=60, reps=200, seed=99)
    assert 0.92 <= hksj <= 0.995
    assert 0.92 <= tau <= 0.995


@pytest.mark.slow
def test_hksj_covers_with_few_runners_where_z_does_not() -> None:
    """Ten runners (a remedy in a small pool): over 2,000 replicates the HKSJ interval covers mu at
    close to 95% (binomial sd 0.005; bounds on both sides), and clearly more often than the z
    interval of the same replicates. (On 10,000 replicates in development: HKSJ 0.942, z 0.917.)"""
    hksj, z, _ = _coverage(k=10, reps=2000, seed=100)
    assert 0.925 <= hksj <= 0.97, hksj
    assert z <= hksj - 0.01, (z, hksj)


def test_hksj_equals_statsmodels() -> None:
    """mu, its se, tau^2 and the HKSJ interval against statsmodels' ``combine_effects`` (DerSimonian-
    Laird, ``use_t``), on data where the DL tau^2 is positive (statsmodels does not truncate it at
    0); with a truncated tau^2 against the hand calculation."""
    from statsmodels.stats.meta_analysis import combine_effects

    rng = np.random.default_rng(7)
    checked = 0
    for k in (3, 5, 10, 40):
        for _ in range(5):
            se = rng.uniform(0.08, 0.25, k)
            y = rng.normal(0.2, 0.3, k) + rng.normal(0, se)
            ours = meta_of(y, se * se)
            ref = reference(y, se * se)
            assert ours.mu_ci == pytest.approx((ref["ci_low"], ref["ci_high"]), abs=1e-9)
            sm = combine_effects(y, se * se, method_re="dl", use_t=True)
            if sm.tau2 <= 0:
                assert ours.tau == 0.0
                continue
            checked += 1
            low, high = sm.conf_int(use_t=True)[3]  # random effects, HKSJ variance, t(k-1)
            assert ours.mu == pytest.approx(sm.mean_effect_re, abs=1e-9)
            assert ours.se == pytest.approx(sm.sd_eff_w_re, abs=1e-9)
            assert ours.se_hksj == pytest.approx(sm.sd_eff_w_re_hksj, abs=1e-9)
            assert ours.tau**2 == pytest.approx(sm.tau2, abs=1e-9)
            assert ours.mu_ci == pytest.approx((low, high), abs=1e-9)
    assert checked >= 12


def test_small_remedies_are_suppressed() -> None:
    few = MetaResult("x", 9, MIN_RUNNERS - 1, 0.2, 0.05, (0.1, 0.3), 0.1, (0.0, 0.3), 9.0, (0.0, 0.4))
    many = MetaResult("y", 12, MIN_RUNNERS, 0.2, 0.05, (0.1, 0.3), 0.1, (0.0, 0.3), 9.0, (0.0, 0.4))
    out = remedy_entries([few, many])
    assert out[0] == {"remedy": "x", "runners": MIN_RUNNERS - 1, "suppressed": True}
    assert out[1]["suppressed"] is False and out[1]["effect"] == pytest.approx(math.exp(0.2))
