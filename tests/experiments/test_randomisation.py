"""The exact randomisation test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backstride.experiments.randomisation import gehan_scores, pairs_to_reach, randomisation_test


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


@pytest.mark.parametrize(
    ("pairs", "smallest_two", "smallest_one", "reach"),
    [
        (3, 2 / 8, 1 / 8, False),
        (4, 2 / 16, 1 / 16, False),
        (5, 2 / 32, 1 / 32, False),
        (6, 2 / 64, 1 / 64, True),
    ],
)
def test_smallest_p_the_design_can_give(
    pairs: int, smallest_two: float, smallest_one: float, reach: bool
) -> None:
    """Issue 12 item 9: with 4 or fewer pairs no result can reach 0.05; say so instead of a bare p."""
    order = ["A", "B", "B", "A"] * pairs
    # No effect at all: every pair differs a little, in both directions.
    values = [v for i in range(pairs) for v in (1.0, 1.0 + 0.1 * (i + 1) * (-1) ** i)]
    obs = _obs(order[: 2 * pairs], values)
    test = randomisation_test(obs, censored_outcome=False, direction=+1)
    assert test is not None and test.pairs_used == pairs
    assert test.smallest_p_two_sided == pytest.approx(smallest_two)
    assert test.smallest_p_benefit == pytest.approx(smallest_one)
    assert test.can_reach is reach
    sentence = test.sentence()
    if reach:
        assert f"two-sided p = {test.p_two_sided:.3f}" in sentence
    else:
        assert f"the smallest two-sided p it can give is {smallest_two:.3f}" in sentence
        assert "not evidence of no effect" in sentence
    assert test.to_dict()["can_reach_0_05"] is reach


def test_pairs_needed_to_reach_005() -> None:
    assert pairs_to_reach(0.05) == 6
    assert pairs_to_reach(0.25) == 3
