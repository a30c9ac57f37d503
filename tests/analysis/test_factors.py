"""Factor analysis: BH q-values, the minimum-data rule, wording, JSON shape, recovery of a known HR."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from backstride.analysis.factors import Factor, analyze_factors, benjamini_hochberg, data_check

LIFT = Factor("heavy_dl_48h", "within 48 h of heavy deadlifts", short="heavy deadlifts in the previous 48 h")
NOISE = Factor("noise", "with each unit of noise", "continuous")


def test_benjamini_hochberg_by_hand() -> None:
    # sorted p: .01 .03 .04 .2 -> p*m/rank: .04 .06 .0533 .2 -> step-up minima: .04 .0533 .0533 .2
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.2])
    np.testing.assert_allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.2])


def _runs(seed: int, n: int, log_hr: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lift = (rng.random(n) < 0.4).astype(float)
    onset = rng.weibull(2.0, n) * 2500 * np.exp(-log_hr * lift / 2.0)
    length = rng.uniform(2000, 6000, n)
    return pd.DataFrame(
        {
            "distance_m": length,
            "onset_m": np.where(onset < length, onset, np.nan),
            "heavy_dl_48h": lift,
            "noise": rng.normal(size=n),
        }
    )


def test_recovers_known_hazard_ratio_and_words_it() -> None:
    runs = _runs(1, 600, np.log(2.0))
    result = analyze_factors(runs, [LIFT, NOISE])
    lift = result.primary[0]
    assert result.multivariable is not None
    assert lift.ci_low is not None and lift.ci_high is not None
    assert lift.ci_low < 2.0 < lift.ci_high
    assert lift.flagged and lift.q_value is not None and lift.q_value < 0.05
    assert lift.sentence.startswith("Within 48 h of heavy deadlifts the pain tends to start earlier: about")
    for word in ("cause", "because", "diagnos"):
        assert word not in lift.sentence.lower()
    data = json.loads(json.dumps(result.to_dict()))
    assert {"name", "hazard_ratio", "ci_low", "ci_high", "q_value"} <= set(data["factors"][0])
    assert "not proof of cause" in result.to_text()


def test_minimum_data_rule_message() -> None:
    runs = _runs(2, 40, 0.0)
    runs["rare"] = 0.0
    runs.loc[:1, "rare"] = 1.0  # two runs with the factor
    rare = Factor("rare", "after a rare thing", short="the rare thing")
    ok, message, more = data_check(runs["rare"].to_numpy(), runs["onset_m"].notna().to_numpy(), rare)
    assert not ok and more is not None and more >= 3
    assert (
        message.startswith("not enough runs yet: about")
        and "with and 0 more without the rare thing" in message
    )
    result = analyze_factors(runs, [rare])
    assert result.univariable[0].status == "insufficient"
    assert result.univariable[0].hazard_ratio is None


def test_too_few_events_overall() -> None:
    runs = _runs(3, 12, 0.0)
    runs["onset_m"] = np.nan
    runs.loc[:2, "onset_m"] = 500.0
    result = analyze_factors(runs, [LIFT])
    assert result.univariable[0].status == "insufficient"
    assert "3 onsets so far" in result.univariable[0].sentence


def test_per_scaling() -> None:
    runs = _runs(4, 300, 0.0)
    one = analyze_factors(runs, [NOISE]).univariable[0]
    ten = analyze_factors(runs, [Factor("noise", "x", "continuous", per=10.0)]).univariable[0]
    assert ten.hazard_ratio == pytest.approx(one.hazard_ratio**10)
    assert ten.p_value == pytest.approx(one.p_value)


SPIKE = Factor(
    "spike",
    "past 110% of the longest run of the previous 30 days",
    "past",
    column="longest_30d_m",
    margin=0.10,
)


def _spike_runs(seed: int, n: int, log_hr: float, cut_short: bool) -> pd.DataFrame:
    """Runs whose hazard is exp(log_hr) times higher past 110% of a given longest run; painful runs
    end soon after the onset when ``cut_short``."""
    rng = np.random.default_rng(seed)
    longest = rng.uniform(3000, 6000, n)
    threshold = 1.1 * longest
    planned = longest * rng.lognormal(0.0, 0.3, n)
    h_thr = (threshold / 6000.0) ** 2
    target = rng.exponential(1.0, n)
    past = target > h_thr
    reached = np.where(past, h_thr + (target - h_thr) / np.exp(log_hr), target)
    onset = 6000.0 * np.sqrt(reached)
    pain = onset < planned
    length = np.where(pain & cut_short, onset + 100.0, planned)
    return pd.DataFrame(
        {
            "distance_m": length,
            "onset_m": np.where(pain, onset, np.nan),
            "longest_30d_m": longest,
            "spike": length / longest - 1.0,
        }
    )


def test_spike_inside_the_run_recovers_the_truth_when_runs_are_cut_short() -> None:
    """Issue 12, fault 1: coded from the final length, a harmful spike looks protective once painful
    runs are cut short; coded inside the run it is recovered."""
    runs = _spike_runs(5, 3000, np.log(2.0), cut_short=True)
    inside = analyze_factors(runs, [SPIKE]).univariable[0]
    assert inside.status == "ok" and inside.ci_low is not None and inside.ci_high is not None
    assert inside.ci_low < 2.0 < inside.ci_high
    final = analyze_factors(runs, [Factor("spike", "per 10% longer", "continuous", 0.1)]).univariable[0]
    assert final.hazard_ratio is not None and final.hazard_ratio < 1.0  # the old coding: wrong way


def test_spike_data_rule_counts_exposure_not_onsets() -> None:
    runs = _spike_runs(6, 40, 0.0, cut_short=False)
    runs["longest_30d_m"] *= 3  # nobody gets near the threshold
    result = analyze_factors(runs, [SPIKE]).univariable[0]
    assert result.status == "insufficient"
    assert "too little running past 110% of the longest run" in result.sentence
    assert "runs got there still pain-free" in result.sentence


def test_a_layoff_is_not_a_safe_run() -> None:
    runs = _spike_runs(7, 600, 0.0, cut_short=False)
    runs.loc[:59, "longest_30d_m"] = np.nan  # 60 runs after a break
    result = analyze_factors(runs, [SPIKE])
    assert result.univariable[0].status == "ok"
    assert any("after a break" in note for note in result.notes)
