"""Findings on the demo runner after the round trip through FIT/TCX/GPX files, a Strong CSV and the
log: the features equal the simulator's covariates, and the truth lies inside the CIs (fixed seed)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from backstride.analysis.features import MODEL_FACTORS
from backstride.demo import DemoResult, run_demo


@pytest.fixture
def demo(demo_result: DemoResult) -> DemoResult:
    """The session's demo (made with the default seed, DEMO_SEED; read only)."""
    return demo_result


def test_features_recover_the_simulated_covariates(demo: DemoResult) -> None:
    assert demo.findings is not None
    table, sim = demo.findings.table, demo.runner.runs
    assert len(table) == len(sim)
    for name in ("me_lower_48h", "glute_days_7d", "headphones"):
        np.testing.assert_array_equal(table[name].to_numpy(float), sim[name].to_numpy(float), err_msg=name)
    # distances go through files (cm resolution, GPX/TCX recomputation): spike to 1%
    np.testing.assert_allclose(table["spike"], sim["spike"], atol=0.01)
    weeks = table["weeks"].to_numpy(float) - sim["weeks"].to_numpy(float)
    assert np.ptp(weeks) < 1e-9  # the same clock up to the first run's offset
    lap = (sim["report"] == "lap").to_numpy()
    np.testing.assert_allclose(
        table["onset_m"].to_numpy(float)[lap], sim["onset_m"].to_numpy(float)[lap], atol=3
    )
    interval = (sim["report"] == "interval").to_numpy()
    np.testing.assert_allclose(table["onset_low_m"].to_numpy(float)[interval], sim["onset_low_m"][interval])
    assert (table["pain_status"].to_numpy() == "unknown").sum() == (sim["report"] == "unknown").sum()


def test_truth_inside_the_cis_for_the_main_effects(demo: DemoResult) -> None:
    f = demo.findings
    assert f is not None and f.enough_data
    truth = demo.runner.truth
    lo, hi = f.pain_free.ci_m
    assert lo is not None and hi is not None
    assert lo <= demo.runner.true_median_m() <= hi
    by_name = {r.name: r for r in f.factors}
    for factor in MODEL_FACTORS:
        if factor.name not in ("me_lower_48h", "glute_days_7d"):
            continue
        r = by_name[factor.name]
        true = truth.hazard_ratio(factor.name, factor.per)
        assert r.ci_low is not None and r.ci_high is not None
        assert r.ci_low <= true <= r.ci_high, (factor.name, true, r.ci_low, r.ci_high)
        assert r.flagged, f"{factor.name} should stand out after Benjamini-Hochberg"
    headphones = by_name["headphones"]
    assert not headphones.flagged  # the null factor
    assert f.terrain is not None
    descent = next(t for t in f.terrain.terms if t.name == "steep_descent")
    assert descent.ci_low is not None and descent.ci_high is not None
    assert descent.ci_low <= math.exp(truth.descent_log_rr) <= descent.ci_high


def test_findings_dict_and_text(demo: DemoResult) -> None:
    f = demo.findings
    assert f is not None
    data = f.to_dict()
    assert data["pain_free"]["runs"] == f.reported and data["pain_free"]["events"] == f.pain_free.events
    assert [x["name"] for x in data["factors"]] == [m.name for m in MODEL_FACTORS]
    text = f.to_text()
    assert "What the data cannot tell yet" in text and "runs have no pain report" in text
    assert any("glute" in c.what for c in f.changes)


def test_too_little_data_says_so(tmp_path: Path) -> None:
    small = run_demo(tmp_path, weeks=2, report=False)
    f = small.findings
    assert f is not None and not f.enough_data
    assert f.factor_analysis is None and "Not enough data yet" in f.to_text()
