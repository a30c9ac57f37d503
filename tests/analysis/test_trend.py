"""The trend of the pain-free distance: periods compared on completed data sets, "beyond" windows."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from backstride.analysis.survival import logrank_test
from backstride.analysis.trend import compare_periods, period_trend, rolling_pain_free


def _runs(seed: int, n: int, late_scale: float, interval: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) * 2, unit="D")
    scale = np.where(np.arange(n) < n // 2, 2500.0, late_scale)
    onset = rng.weibull(2.0, n) * scale
    length = rng.uniform(3000, 6000, n)
    pain = onset < length
    lap = np.floor(onset / 1609.344)
    lapped = pain & (rng.random(n) < interval)
    return pd.DataFrame(
        {
            "start": start,
            "distance_m": length,
            "onset_m": np.where(pain & ~lapped, onset, np.nan),
            "onset_low_m": np.where(lapped, lap * 1609.344, np.nan),
            "onset_high_m": np.where(lapped, np.minimum((lap + 1) * 1609.344, length), np.nan),
        }
    )


def test_compare_periods_is_the_log_rank_test_without_intervals() -> None:
    runs = _runs(1, 120, 3500.0)
    split = datetime(2024, 5, 1)
    before = (runs["start"] < split).to_numpy()
    t = runs["onset_m"].fillna(runs["distance_m"]).to_numpy()
    e = runs["onset_m"].notna().to_numpy()
    ref = logrank_test(t[before], e[before], t[~before], e[~before])
    assert compare_periods(runs, split).p_value == ref.p_value


def test_periods_with_lap_only_onsets_are_compared_on_completed_data() -> None:
    runs = _runs(2, 160, 6000.0, interval=0.5)
    test = compare_periods(runs, datetime(2024, 6, 10))
    assert test.p_value < 0.01 and test.observed[1] < test.expected[1]  # later: fewer onsets than expected


def test_both_medians_reached_keeps_the_classic_sentence() -> None:
    trend = period_trend(_runs(3, 120, 2500.0), target_m=3000.0, n_boot=30)
    assert trend.sentence.startswith("before ") and "no clear change yet" in trend.sentence
    assert trend.direction is None and not trend.later_beyond


def test_windows_beyond_the_runs_are_kept() -> None:
    windows = rolling_pain_free(_runs(4, 160, 20000.0), window_days=56, step_days=7)
    beyond = [w for w in windows if w.beyond]
    assert beyond and all(w.median_m is None and w.longest_m for w in beyond)
    assert all(w.runs >= 10 for w in windows)
    assert "beyond" in beyond[0].to_text()
