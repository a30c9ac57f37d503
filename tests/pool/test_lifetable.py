"""The aggregated life table against Kaplan-Meier (backstride.analysis.survival)."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pytest

from backstride.analysis.survival import KaplanMeier
from backstride.pool.cohort import CohortSummary
from backstride.pool.lifetable import life_table
from backstride.pool.queries import lifetable_cells, open_pool

BIN_M, MAX_BIN = 250, 200


def _runs(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = duckdb.sql(
        f"select bundle, distance_m, pain, onset_m from read_parquet('{root}/runs/*/*.parquet')"
    ).df()
    time_m = np.where(frame["pain"], frame["onset_m"], frame["distance_m"]).astype(float)
    return frame["bundle"].to_numpy(), time_m, frame["pain"].to_numpy(bool)


def _pooled(root: Path) -> object:
    t = open_pool(root)
    cells = t.execute(lifetable_cells(t, BIN_M, MAX_BIN, ["lifts"]))
    e = np.bincount(cells["bin"], weights=cells["events"], minlength=MAX_BIN + 1)
    x = np.bincount(cells["bin"], weights=cells["exits"], minlength=MAX_BIN + 1)
    return life_table(e, x, BIN_M)


def test_life_table_counts_and_formula_match_the_runs(small_cohort: tuple[Path, CohortSummary]) -> None:
    """The aggregated counts equal counting the raw runs; S and its Greenwood CI follow the actuarial
    formulas (reference written out here, per bin, in plain Python)."""
    root, summary = small_cohort
    table = _pooled(root)
    _, time_m, event = _runs(root)
    assert table.runs == summary.runs
    bins = np.minimum(np.floor(time_m / BIN_M), MAX_BIN).astype(int)
    s, gw = 1.0, 0.0
    for j in range(MAX_BIN + 1):
        entering = int(np.sum(bins >= j))
        d = int(np.sum((bins == j) & event))
        c = int(np.sum((bins == j) & ~event))
        assert table.events[j] == d and table.exits[j] == d + c
        if entering == 0:
            break
        n = entering - c / 2
        s *= 1 - d / n
        if 0 < d < n:
            gw += d / (n * (n - d))
        assert table.survival[j] == pytest.approx(s, rel=1e-12, abs=1e-15)
        if 0 < s < 1:
            half = 1.959963984540054 * math.sqrt(gw) / abs(math.log(s))
            assert table.ci_low[j] == pytest.approx(
                math.exp(-math.exp(math.log(-math.log(s)) + half)), rel=1e-9
            )


def test_life_table_agrees_with_kaplan_meier_on_all_runs(small_cohort: tuple[Path, CohortSummary]) -> None:
    root, _ = small_cohort
    table = _pooled(root)
    _, time_m, event = _runs(root)
    km = KaplanMeier().fit(time_m, event)
    for d in (500.0, 1000.0, 2000.0, 3000.0, 5000.0):
        pooled = table.at(d)
        full = km.prob_pain_free(d - 10.0)
        assert pooled is not None and full.ci_low is not None and full.ci_high is not None
        assert full.ci_low <= pooled[0] <= full.ci_high
        assert pooled[1] <= float(full.value) <= pooled[2]


@pytest.mark.slow
def test_life_table_matches_kaplan_meier_on_a_one_percent_sample(
    validation_cohort: tuple[Path, CohortSummary],
) -> None:
    """Six distances are compared at once, so the sample's CIs are simultaneous 95% (Bonferroni:
    each at 1 - 0.05/6)."""
    root, _ = validation_cohort
    table = _pooled(root)
    _, time_m, event = _runs(root)
    rng = np.random.default_rng(7)
    sample = rng.random(time_m.size) < 0.01
    distances = (1000.0, 2000.0, 3000.0, 4000.0, 6000.0, 8000.0)
    km = KaplanMeier(alpha=0.05 / len(distances)).fit(time_m[sample], event[sample])
    for d in distances:
        pooled = table.at(d)
        sampled = km.prob_pain_free(d - 10.0)  # the bins hold distances below their end
        assert pooled is not None and sampled.ci_low is not None and sampled.ci_high is not None
        assert sampled.ci_low <= pooled[0] <= sampled.ci_high, d
    assert table.median_m is not None and km.median_m_ is not None
    assert abs(table.median_m - km.median_m_) <= BIN_M


def test_report_intervals_are_runner_level(small_cohort: tuple[Path, CohortSummary]) -> None:
    """The report's "all" group: the curve of every run, its interval from the runners (the
    leave-one-runner-out jackknife on the raw runs, recomputed here from the Parquet files), wider
    than Greenwood's, which treats runs as independent; and the runner-weighted curve beside it."""
    from backstride.pool.lifetable import pooled_life_table
    from backstride.pool.report import pool_report

    root, _ = small_cohort
    group = pool_report(open_pool(root), fields=("all",))["groups"][0]
    bundle, time_m, event = _runs(root)
    bins = np.minimum(np.floor(time_m / BIN_M), MAX_BIN).astype(np.int64)
    ones = np.ones(bins.size)
    by_runs = pooled_life_table(bundle, bins, event, ones, BIN_M, MAX_BIN + 1)
    by_runners = pooled_life_table(bundle, bins, event, ones, BIN_M, MAX_BIN + 1, weighting="runners")
    greenwood = _pooled(root)
    assert group["ci_method"] == "runner jackknife" and group["runners"] == by_runs.runners == 300
    assert group["median_m"] == greenwood.median_m == by_runs.median_m
    for d in (2000.0, 5000.0):
        shown = group["pain_free_at_m"][str(int(d))]
        s, low, high = by_runs.at(d) or (0.0, 0.0, 0.0)
        assert (shown["p"], shown["low"], shown["high"]) == pytest.approx((s, low, high), rel=1e-12)
        _, g_low, g_high = greenwood.at(d) or (0.0, 0.0, 0.0)
        assert high - low > 1.2 * (g_high - g_low)
        rw = group["runner_weighted"]["pain_free_at_m"][str(int(d))]
        assert (rw["p"], rw["low"], rw["high"]) == pytest.approx(by_runners.at(d), rel=1e-12)
    assert group["runner_weighted"]["median_m"] == by_runners.median_m
