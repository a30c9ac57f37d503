"""Multiple imputation of lap-only onsets, Rubin's rules and the D2 rule, by hand; counting-process rows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from backstride.analysis.counting import Column, build_design
from backstride.analysis.imputation import combine_chi2, impute_onsets, rubin


def test_draws_stay_inside_their_intervals_and_follow_the_curve() -> None:
    rng = np.random.default_rng(0)
    n = 300
    onset = rng.weibull(2.0, n) * 3000
    length = rng.uniform(2000, 7000, n)
    pain = onset < length
    lap = np.floor(onset / 1609.344)
    interval = pain & (rng.random(n) < 0.4)
    left = np.where(pain, np.where(interval, lap * 1609.344, onset), length)
    right = np.where(pain, np.where(interval, np.minimum((lap + 1) * 1609.344, length), onset), np.inf)
    imp = impute_onsets(left, right, m=20, seed=1)
    assert imp.exits.shape == (20, n) and imp.interval.sum() == interval.sum()
    drawn = imp.exits[:, interval]
    assert (drawn >= left[interval] - 1e-9).all() and (drawn <= right[interval] + 1e-9).all()
    np.testing.assert_array_equal(imp.exits[:, ~interval], np.repeat(left[None, ~interval], 20, axis=0))
    # within the first lap the Weibull density rises: more draws in its second half than its first
    first = interval & (lap == 0) & (right >= 1609.344)
    share = np.mean(imp.exits[:, first] > 804.672)
    assert share > 0.55
    # no interval: the data themselves, once
    assert impute_onsets(onset, onset).m == 1


def test_rubin_by_hand() -> None:
    q, u = [0.5, 0.7, 0.6], [0.04, 0.05, 0.06]
    pooled = rubin(q, u)
    within, between = 0.05, np.var(q, ddof=1)
    total = within + (1 + 1 / 3) * between
    assert pooled.estimate == pytest.approx(0.6) and pooled.se == pytest.approx(math.sqrt(total))
    r = (1 + 1 / 3) * between / within
    assert pooled.df == pytest.approx(2 * (1 + 1 / r) ** 2)
    lo, hi = pooled.ci()
    assert hi - 0.6 == pytest.approx(0.6 - lo) == pytest.approx(stats.t.ppf(0.975, pooled.df) * pooled.se)
    one = rubin([0.5], [0.04])
    assert one.df == math.inf and one.p_value == pytest.approx(2 * stats.norm.sf(2.5))
    small = rubin([0.5], [0.04], complete_df=20)  # one data set, 20 df: a t test with 20 * 21/23 df
    assert small.df == pytest.approx(20 * 21 / 23)
    assert small.p_value == pytest.approx(2 * stats.t.sf(2.5, 20 * 21 / 23))


def test_d2_rule() -> None:
    assert combine_chi2([3.84]) == pytest.approx(stats.chi2.sf(3.84, 1))
    d = np.array([4.0, 6.0, 5.0, 3.0])
    m = d.size
    r = (1 + 1 / m) * np.var(np.sqrt(d), ddof=1)
    stat = (d.mean() - (m + 1) / (m - 1) * r) / (1 + r)
    df2 = (m - 1) * (1 + 1 / r) ** 2
    assert combine_chi2(d) == pytest.approx(stats.f.sf(stat, 1, df2))
    # data sets that disagree this much: the D2 statistic is negative, no evidence at all
    assert combine_chi2([0.0, 0.0, 9.0]) == 1.0


def test_a_run_past_its_threshold_becomes_two_rows() -> None:
    from backstride.analysis.imputation import Imputed

    exits = np.array([[1000.0, 3000.0, 4000.0, 2500.0]])
    imp = Imputed(exits, np.array([True, True, False, True]), np.zeros(4, bool))
    threshold = np.array([2000.0, 2000.0, 3500.0, np.nan])
    design = build_design(
        imp, [Column("a", np.array([1.0, 0.0, 1.0, 0.0])), Column("s", threshold=threshold)], np.ones(4, bool)
    )
    keep = design.keep[0]
    rows = sorted(
        zip(
            design.entry[0][keep],
            design.stop[0][keep],
            design.event[0][keep],
            design.x[0][keep][:, 1],
            strict=True,
        ),
        key=lambda r: (r[1], np.nan_to_num(r[0], nan=-1)),
    )
    # run 1 (onset 1000 before 2000): one row, factor off; run 2 (onset 3000): (0, 2000] off then
    # (2000, 3000] on with the onset; run 3 (pain-free to 4000 past 3500): split, no onset; run 4: no
    # threshold (a lay-off): one row, off
    assert [(np.isnan(e) or e, s, ev, x) for e, s, ev, x in rows] == [
        (True, 1000.0, 1.0, 0.0),
        (True, 2000.0, 0.0, 0.0),
        (True, 2500.0, 1.0, 0.0),
        (2000.0, 3000.0, 1.0, 1.0),
        (True, 3500.0, 0.0, 0.0),
        (3500.0, 4000.0, 0.0, 1.0),
    ]
