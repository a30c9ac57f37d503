"""The estimator classes over data frames against lifelines (Cox) and statsmodels (Poisson GLM), to
the tolerances of the engine tests (tests/analysis/test_cox.py); and the Poisson class against the
terrain model it stands for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import CoxPHFitter, CoxTimeVaryingFitter
from lifelines.statistics import proportional_hazard_test

from backstride.analysis.regression import CoxRegression, PoissonRegression
from backstride.analysis.terrain import analyze_terrain, segment_runs, term_values
from backstride.errors import ValidationError
from tests.analysis.test_cox import TENTH_MILE, _counting_process
from tests.analysis.test_terrain import _simulate

#: statsmodels' IRLS stops at a deviance change of 1e-8 by default and takes its standard errors from
#: the weights of the step before, a few parts in a million off in a band with few onsets: the
#: reference is converged fully instead.
GLM_TOL = 1e-12
COX_COLUMNS = ["coef", "hazard_ratio", "se", "ci_low", "ci_high", "z", "p", "ph_statistic", "ph_p"]


def _runs(seed: int, rounding: float | None = None, n: int = 250) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {"a": rng.integers(0, 2, n).astype(float), "b": rng.uniform(0, 7, n), "c": rng.normal(size=n)}
    )
    onset = rng.weibull(2, n) * 3000 * np.exp(-0.4 * x["a"] + 0.08 * x["b"])
    if rounding:
        onset = np.maximum(np.round(onset / rounding), 1) * rounding
    length = rng.uniform(1000, 6000, n)
    return x.assign(T=np.minimum(onset, length), E=(onset < length).astype(int))


@pytest.mark.parametrize(
    ("seed", "penalizer", "rounding"),
    [(0, 0.0, None), (1, 0.05, None), (3, 0.0, TENTH_MILE), (4, 0.01, TENTH_MILE)],
)
def test_cox_regression_matches_lifelines(seed: int, penalizer: float, rounding: float | None) -> None:
    df = _runs(seed, rounding)
    ref = CoxPHFitter(penalizer=penalizer).fit(df, "T", "E")
    model = CoxRegression(penalizer=penalizer)
    assert model.fit(df, duration_col="T", event_col="E") is model  # every other column is a covariate
    summary = model.summary
    assert list(summary.index) == ["a", "b", "c"] and list(summary.columns) == COX_COLUMNS
    np.testing.assert_allclose(model.params_, ref.params_, atol=1e-5)
    np.testing.assert_allclose(model.standard_errors_, ref.standard_errors_, rtol=1e-5)
    np.testing.assert_allclose(summary["p"], ref.summary["p"], rtol=1e-3, atol=1e-9)
    np.testing.assert_allclose(model.hazard_ratios_, ref.hazard_ratios_, rtol=1e-5)
    np.testing.assert_allclose(summary["ci_low"], ref.summary["exp(coef) lower 95%"], rtol=1e-5)
    np.testing.assert_allclose(summary["ci_high"], ref.summary["exp(coef) upper 95%"], rtol=1e-5)
    np.testing.assert_allclose(summary["z"], ref.summary["z"], rtol=1e-4)
    if penalizer == 0:
        assert model.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-8)
    ph = proportional_hazard_test(ref, df, time_transform="rank")
    np.testing.assert_allclose(summary["ph_statistic"], ph.summary["test_statistic"], rtol=1e-4)
    np.testing.assert_allclose(summary["ph_p"], ph.summary["p"], rtol=1e-3)
    assert model.n_rows_ == len(df) and model.n_events_ == int(df["E"].sum())


def test_cox_regression_chosen_covariates_and_alpha() -> None:
    df = _runs(2)
    ref = CoxPHFitter(alpha=0.1).fit(df[["T", "E", "a", "c"]], "T", "E")
    model = CoxRegression(alpha=0.1).fit(df, "T", "E", covariates=["a", "c"])
    assert list(model.params_.index) == ["a", "c"]
    np.testing.assert_allclose(model.params_, ref.params_, atol=1e-5)
    np.testing.assert_allclose(
        model.confidence_intervals_["ci_low"], ref.summary["exp(coef) lower 90%"], rtol=1e-5
    )


@pytest.mark.parametrize("penalizer", [0.0, 0.02])
def test_cox_regression_counting_process_matches_lifelines(penalizer: float) -> None:
    """Rows ``(entry, stop]`` of one run with a covariate that switches on inside it."""
    df = _counting_process(5)
    ref = CoxTimeVaryingFitter(penalizer=penalizer).fit(
        df, id_col="id", event_col="E", start_col="start", stop_col="stop"
    )
    model = CoxRegression(penalizer=penalizer).fit(
        df, duration_col="stop", event_col="E", entry_col="start", covariates=["a", "z"]
    )
    np.testing.assert_allclose(model.params_, ref.params_, atol=1e-6)
    np.testing.assert_allclose(model.standard_errors_, ref.standard_errors_, rtol=1e-6)
    ignoring_entry = CoxRegression(penalizer=penalizer).fit(df, "stop", "E", covariates=["a", "z"])
    assert abs(ignoring_entry.params_["z"] - model.params_["z"]) > 0.05  # the entry column is used


def test_cox_regression_refuses_what_it_cannot_fit() -> None:
    df = _runs(6)
    df.loc[3, "b"] = np.nan
    with pytest.raises(ValidationError, match=r"column 'b' has 1 missing"):
        CoxRegression().fit(df, "T", "E")
    with pytest.raises(ValidationError, match=r"no column 'd'"):
        CoxRegression().fit(df, "T", "E", covariates=["a", "d"])
    with pytest.raises(ValidationError, match=r"column 'shoe' is not numeric"):
        CoxRegression().fit(df.assign(shoe="Clifton 9"), "T", "E", covariates=["a", "shoe"])
    with pytest.raises(ValidationError, match="not fitted yet"):
        _ = CoxRegression().summary
    assert repr(CoxRegression()) == "<CoxRegression: not fitted>"


def _segments(seed: int = 0, n_runs: int = 400) -> pd.DataFrame:
    streams, onsets = _simulate(seed, n_runs)
    seg = segment_runs(streams, onsets)
    return seg.assign(
        steep_descent=(seg["grade"] < -0.04).astype(float),
        event=seg["event"].astype(int),
        band=np.minimum(((seg["start_m"] + seg["end_m"]) / 2 // 1000).astype(int), 3),
    )


def test_poisson_regression_matches_statsmodels_glm() -> None:
    seg = _segments()
    x = seg[["steep_descent", "descent_prev_m"]]
    ref = sm.GLM(
        seg["event"], sm.add_constant(x), family=sm.families.Poisson(), offset=np.log(seg["exposure_m"])
    ).fit(tol=GLM_TOL)
    model = PoissonRegression()
    assert model.fit(seg, "event", "exposure_m", covariates=list(x.columns)) is model
    assert list(model.summary.index) == ["intercept", "steep_descent", "descent_prev_m"]
    np.testing.assert_allclose(model.params_, ref.params, atol=1e-6)
    np.testing.assert_allclose(model.standard_errors_, ref.bse, rtol=1e-6)
    np.testing.assert_allclose(model.summary["p"], ref.pvalues, rtol=1e-5, atol=1e-12)
    ci = np.exp(ref.conf_int())
    np.testing.assert_allclose(model.confidence_intervals_["ci_low"], ci[0], rtol=1e-6)
    np.testing.assert_allclose(model.confidence_intervals_["ci_high"], ci[1], rtol=1e-6)
    assert model.log_likelihood_ == pytest.approx(ref.llf, rel=1e-9)
    assert model.n_events_ == int(seg["event"].sum()) and model.exposure_ == pytest.approx(
        seg["exposure_m"].sum()
    )


def test_poisson_regression_baseline_per_band_matches_statsmodels_glm() -> None:
    """One baseline rate per distance band (the terrain model's layout), no intercept."""
    seg = _segments(1)
    dummies = pd.get_dummies(seg["band"], prefix="band", prefix_sep="=", dtype=float)
    x = pd.concat([dummies, seg[["steep_descent"]]], axis=1)
    ref = sm.GLM(seg["event"], x, family=sm.families.Poisson(), offset=np.log(seg["exposure_m"])).fit(
        tol=GLM_TOL
    )
    model = PoissonRegression().fit(
        seg, "event", "exposure_m", covariates=["steep_descent"], baseline_col="band"
    )
    assert list(model.params_.index) == [*dummies.columns, "steep_descent"]
    np.testing.assert_allclose(model.params_, ref.params, atol=1e-6)
    np.testing.assert_allclose(model.standard_errors_, ref.bse, rtol=1e-6)
    assert model.log_likelihood_ == pytest.approx(ref.llf, rel=1e-9)


def test_poisson_regression_reproduces_the_terrain_model() -> None:
    """Fitted on the terrain model's segments and bands, the class gives its rate ratios."""
    streams, onsets = _simulate(2, 500)
    seg = segment_runs(streams, onsets)
    result = analyze_terrain(seg)
    terms = [t for t in result.terms if t.status == "ok"]
    assert [t.name for t in terms] == ["steep_descent", "descent_prev_m"]  # the simulation has no climbs
    from backstride.analysis.terrain import DEFAULT_TERMS

    frame = seg.assign(**{t.name: term_values(seg, t) for t in DEFAULT_TERMS}).dropna(
        subset=[t.name for t in DEFAULT_TERMS]
    )
    mid = ((frame["start_m"] + frame["end_m"]) / 2).to_numpy()
    frame = frame.assign(
        band=np.searchsorted(result.bands_m, mid, side="right"), event=frame["event"].astype(int)
    )
    model = PoissonRegression().fit(
        frame, "event", "exposure_m", covariates=[t.name for t in terms], baseline_col="band"
    )
    per = {t.name: t.per for t in DEFAULT_TERMS}
    for t in terms:
        assert t.rate_ratio == pytest.approx(float(np.exp(model.params_[t.name] * per[t.name])), rel=1e-9)
        ci = model.confidence_intervals_.loc[t.name] ** per[t.name]
        assert (t.ci_low, t.ci_high) == pytest.approx((ci["ci_low"], ci["ci_high"]), rel=1e-9)
        assert t.p_value == pytest.approx(model.summary.loc[t.name, "p"], rel=1e-9)


def test_poisson_regression_refuses_bad_exposure() -> None:
    seg = _segments(3, 50)
    with pytest.raises(ValidationError, match="'exposure_m' > 0"):
        PoissonRegression().fit(
            seg.assign(exposure_m=0.0), "event", "exposure_m", covariates=["steep_descent"]
        )
    with pytest.raises(ValidationError, match="column 'grade' has"):
        PoissonRegression().fit(seg.assign(grade=np.nan), "event", "exposure_m", covariates=["grade"])


def test_kaplan_meier_summary_matches_lifelines() -> None:
    """The third estimator of the public API has the same ``summary`` surface."""
    from lifelines import KaplanMeierFitter

    from backstride.analysis.survival import KaplanMeier

    df = _runs(7, TENTH_MILE)
    km = KaplanMeier()
    with pytest.raises(ValidationError, match="not fitted yet"):
        _ = km.summary
    assert km.fit(df["T"], df["E"]) is km
    ref = KaplanMeierFitter().fit(df["T"], df["E"])
    table = ref.event_table.loc[km.timeline_]
    summary = km.summary
    assert summary.index.name == "distance_m" and list(summary.columns) == [
        "at_risk",
        "events",
        "survival",
        "ci_low",
        "ci_high",
    ]
    np.testing.assert_array_equal(summary["at_risk"], table["at_risk"])
    np.testing.assert_array_equal(summary["events"], table["observed"])
    np.testing.assert_allclose(
        summary["survival"], ref.survival_function_.iloc[:, 0].loc[km.timeline_], atol=1e-12
    )
    ci = ref.confidence_interval_.loc[km.timeline_]
    np.testing.assert_allclose(summary[["ci_low", "ci_high"]], ci, atol=1e-10)
