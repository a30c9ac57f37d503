"""Kaplan-Meier, median CI, log-rank and Turnbull against lifelines and the Freireich leukemia data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_leukemia
from lifelines.fitters.npmle import npmle
from lifelines.statistics import logrank_test as lifelines_logrank
from lifelines.utils import median_survival_times

from backstride.analysis.interval import Turnbull
from backstride.analysis.survival import (
    KaplanMeier,
    logrank_test,
    pain_free_distance,
    survival_columns,
)
from backstride.analysis.trend import rolling_pain_free


def _data(seed: int, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    onset = rng.weibull(2.0, n) * 3000
    length = rng.uniform(1000, 7000, n)
    return np.round(np.minimum(onset, length), -1), onset < length


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_km_matches_lifelines(seed: int) -> None:
    d, e = _data(seed)
    km = KaplanMeier().fit(d, e)
    ref = KaplanMeierFitter().fit(d, e)
    sf = ref.survival_function_.iloc[:, 0].loc[km.timeline_].to_numpy()
    ci = ref.confidence_interval_.loc[km.timeline_]
    np.testing.assert_allclose(km.survival_, sf, atol=1e-12)
    np.testing.assert_allclose(km.ci_low_, ci.iloc[:, 0].to_numpy(), atol=1e-10)
    np.testing.assert_allclose(km.ci_high_, ci.iloc[:, 1].to_numpy(), atol=1e-10)
    assert km.median_m_ == ref.median_survival_time_
    ref_ci = median_survival_times(ref.confidence_interval_).to_numpy()[0]
    assert km.median_ci_m_ == (
        ref_ci[0] if np.isfinite(ref_ci[0]) else None,
        ref_ci[1] if np.isfinite(ref_ci[1]) else None,
    )


def test_freireich_reference_values() -> None:
    """Freireich et al. 1963 (6-MP vs placebo): medians 23 and 8 weeks, log-rank chi-square 16.79
    (Kleinbaum & Klein, Survival Analysis, ch. 2)."""
    df = load_leukemia()
    drug, placebo = df[df["Rx"] == 0], df[df["Rx"] == 1]
    assert KaplanMeier().fit(drug["t"], drug["status"]).median_m_ == 23
    assert KaplanMeier().fit(placebo["t"], placebo["status"]).median_m_ == 8
    result = logrank_test(drug["t"], drug["status"], placebo["t"], placebo["status"])
    assert result.statistic == pytest.approx(16.79, abs=0.01)
    ref = lifelines_logrank(drug["t"], placebo["t"], drug["status"], placebo["status"])
    assert result.p_value == pytest.approx(ref.p_value, rel=1e-10)


def test_median_ci_not_estimable_is_none() -> None:
    km = KaplanMeier().fit([1000, 2000, 3000, 4000, 5000], [True, False, False, False, False])
    assert km.median_m_ is None
    assert km.median_ci_m_[1] is None  # the upper end is not reached: not estimable
    assert km.prob_pain_free(6000).value is None
    est = km.prob_pain_free(2500)
    assert est.value == pytest.approx(0.8)
    assert est.ci_low is not None and est.ci_low < 0.8 < (est.ci_high or 0)


def test_turnbull_equals_km_without_intervals() -> None:
    d, e = _data(4)
    tb = Turnbull().fit(d, np.where(e, d, np.inf))
    km = KaplanMeier().fit(d, e)
    np.testing.assert_allclose(
        tb.survival_[np.isfinite(tb.right_)], km.survival_at(tb.right_[np.isfinite(tb.right_)]), atol=1e-7
    )
    assert tb.median_m_ == pytest.approx(km.median_m_)


def test_turnbull_matches_lifelines_npmle() -> None:
    d, e = _data(5, 80)
    rng = np.random.default_rng(0)
    lap = 1000.0
    low = np.floor(d / lap) * lap
    # censoring distances off the lap grid: lifelines treats (c, inf) as closed at c, we as open
    left = np.where(e, low + rng.uniform(0, 50, d.size), d + 0.5)
    right = np.where(e, low + lap, np.inf)
    tb = Turnbull().fit(left, right)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probs, intervals = npmle(left, right, tol=1e-10)
    ref_left = np.array([i.left for i in intervals])
    ref_right = np.array([i.right for i in intervals])
    np.testing.assert_allclose(tb.left_, ref_left)
    np.testing.assert_allclose(tb.right_, ref_right)
    np.testing.assert_allclose(tb.mass_, probs, atol=1e-5)


def test_logrank_matches_lifelines() -> None:
    d, e = _data(6)
    g = np.arange(d.size) % 2 == 0
    ours = logrank_test(d[g], e[g], d[~g], e[~g])
    ref = lifelines_logrank(d[g], d[~g], e[g], e[~g])
    assert ours.statistic == pytest.approx(ref.test_statistic, rel=1e-10)


def test_survival_columns_and_summary() -> None:
    runs = pd.DataFrame(
        {
            "distance_m": [3000.0, 4000.0, 5000.0],
            "onset_m": [1500.0, np.nan, np.nan],
            "onset_low_m": [np.nan, 1609.0, np.nan],
            "onset_high_m": [np.nan, 3218.0, np.nan],
        }
    )
    left, right = survival_columns(runs)
    np.testing.assert_array_equal(left, [1500.0, 1609.0, 5000.0])
    np.testing.assert_array_equal(right, [1500.0, 3218.0, np.inf])
    result = pain_free_distance(runs, target_m=4828, n_boot=20, min_runs=1)
    assert result.method == "turnbull" and result.runs == 3 and result.events == 2
    assert set(result.to_dict()) >= {"median_m", "ci_m", "runs", "events"}


def test_rolling_windows_show_adaptation() -> None:
    rng = np.random.default_rng(7)
    n = 200
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) * 2, unit="D")
    scale = np.linspace(1500, 4000, n)  # onsets move later over time
    onset = rng.weibull(2.0, n) * scale
    length = rng.uniform(3000, 8000, n)
    runs = pd.DataFrame(
        {"start": start, "distance_m": length, "onset_m": np.where(onset < length, onset, np.nan)}
    )
    windows = rolling_pain_free(runs, window_days=56, step_days=7)
    assert len(windows) == 50  # runs on days 0-398, 8-week windows a week apart
    assert all(w.runs >= 10 for w in windows)
    first, last = windows[0].median_m, windows[-1].median_m
    assert first is not None and last is not None and last > 1.5 * first
