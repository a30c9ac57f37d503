"""The exact randomisation test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from backstride.experiments.randomisation import gehan_scores, randomisation_test


def test_gehan_scores_with_censoring() -> None:
    # 1 km event, 2 km event, pain-free at 1.5 km (>1.5), interval 0.5-3 km
    lo = np.log([1000.0, 2000.0, 1500.0, 500.0])
    hi = np.array([math.log(1000.0), math.log(2000.0), math.inf, math.log(3000.0)])
    # run0 < run1, run0 < run2 (censored above 1.5); run1 vs run2 unknown; run3 overlaps all
    assert gehan_scores(lo, hi).tolist() == [-2.0, 1.0, 1.0, 0.0]


def _obs(order: list[str], values: list[float]) -> pd.DataFrame:
    rows = []
    for i, cond in enumerate(order):
        rows.append({"pair": i // 2, "condition": cond, "lo": values[i], "hi": values[i], "used": True})
    return pd.DataFrame(rows)


def test_perfect_separation_with_three_pairs() -> None:
    obs = _obs(["A", "B", "B", "A", "A", "B"], [1.0, 2.0, 2.1, 1.1, 0.9, 2.2])
    test = randomisation_test(obs, censored_outcome=False, direction=+1)
    assert test is not None
    assert test.assignments == 8
    assert test.p_benefit == 1 / 8
    assert test.p_two_sided == 2 / 8


def test_no_difference_gives_large_p() -> None:
    obs = _obs(["A", "B", "B", "A", "A", "B", "B", "A"], [1.0, 1.1, 1.0, 1.1, 1.0, 1.0, 1.2, 1.2])
    test = randomisation_test(obs, censored_outcome=False, direction=+1)
    assert test is not None and test.p_two_sided >= 0.5
