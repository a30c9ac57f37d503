"""The numpy Cox engine against lifelines' CoxPHFitter (Efron ties), CoxTimeVaryingFitter and
proportional_hazard_test; the batch engine against one fit at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, CoxTimeVaryingFitter
from lifelines.statistics import proportional_hazard_test

from backstride.analysis.cox import ConvergenceError, fit_cox, fit_cox_batch

TENTH_MILE = 160.9344


@pytest.mark.parametrize(
    ("seed", "penalizer", "rounding"),
    [(0, 0.0, None), (1, 0.01, None), (2, 0.05, None), (3, 0.0, TENTH_MILE), (4, 0.01, TENTH_MILE)],
)
def test_matches_lifelines(seed: int, penalizer: float, rounding: float | None) -> None:
    """Also with onsets typed to 0.1 mi, where many tie (lifelines uses Efron's method)."""
    rng = np.random.default_rng(seed)
    n = 250
    x = pd.DataFrame(
        {"a": rng.integers(0, 2, n).astype(float), "b": rng.uniform(0, 7, n), "c": rng.normal(size=n)}
    )
    onset = rng.weibull(2, n) * 3000 * np.exp(-0.4 * x["a"] + 0.08 * x["b"])
    if rounding:
        onset = np.maximum(np.round(onset / rounding), 1) * rounding
        assert len(np.unique(onset)) < n / 3  # many ties
    length = rng.uniform(1000, 6000, n)
    df = x.assign(T=np.minimum(onset, length), E=(onset < length).astype(int))
    ref = CoxPHFitter(penalizer=penalizer).fit(df, "T", "E")
    ours = fit_cox(df["T"], df["E"], x.to_numpy(), list(x.columns), penalizer=penalizer)
    np.testing.assert_allclose(ours.coef, ref.params_.to_numpy(), atol=1e-5)
    np.testing.assert_allclose(ours.se, ref.standard_errors_.to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.p_value, ref.summary["p"].to_numpy(), rtol=1e-3, atol=1e-9)
    ph = proportional_hazard_test(ref, df, time_transform="rank")
    np.testing.assert_allclose(ours.ph_statistic, ph.summary["test_statistic"].to_numpy(), rtol=1e-4)


def test_constant_covariate_is_refused() -> None:
    with pytest.raises(ConvergenceError):
        fit_cox([1.0, 2.0, 3.0], [1, 1, 0], np.ones((3, 1)))


def _counting_process(seed: int, n: int = 200) -> pd.DataFrame:
    """Runs split where a 0/1 factor switches on inside the run; onsets rounded to 100 m (ties)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        a = float(rng.integers(0, 2))
        threshold = rng.uniform(500, 4000)
        length = rng.uniform(1000, 6000)
        onset = rng.weibull(2) * 3000 * np.exp(-0.3 * a)
        end = round(min(onset, length) / 100) * 100 + 100
        event = int(onset < length)
        if threshold < end:
            rows += [(i, 0.0, threshold, 0, a, 0.0), (i, threshold, end, event, a, 1.0)]
        else:
            rows.append((i, 0.0, end, event, a, 0.0))
    return pd.DataFrame(rows, columns=["id", "start", "stop", "E", "a", "z"])


@pytest.mark.parametrize("penalizer", [0.0, 0.02])
def test_counting_process_matches_lifelines_time_varying(penalizer: float) -> None:
    df = _counting_process(5)
    ref = CoxTimeVaryingFitter(penalizer=penalizer).fit(
        df, id_col="id", event_col="E", start_col="start", stop_col="stop"
    )
    entry = df["start"].where(df["start"] > 0)  # NaN: at risk from the start of the run
    ours = fit_cox(df["stop"], df["E"], df[["a", "z"]].to_numpy(), ["a", "z"], penalizer, entry=entry)
    np.testing.assert_allclose(ours.coef, ref.params_.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(ours.se, ref.standard_errors_.to_numpy(), rtol=1e-6)


def test_breslow_attenuates_against_efron_with_ties() -> None:
    """Breslow's method (the old engine) pulls the log hazard ratio towards 0 when onsets tie."""
    rng = np.random.default_rng(9)
    n = 400
    a = rng.integers(0, 2, n).astype(float)
    onset = np.maximum(np.round(rng.weibull(2, n) * 3000 * np.exp(-0.5 * a) / TENTH_MILE), 1) * TENTH_MILE
    length = rng.uniform(2000, 6000, n)
    t, e = np.minimum(onset, length), (onset < length).astype(float)
    efron = fit_cox(t, e, a[:, None])
    breslow = fit_cox(t, e, a[:, None], ties="breslow")
    assert 0 < breslow.coef[0] < efron.coef[0] - 0.02
    exact = fit_cox(np.minimum(onset + rng.uniform(-1, 1, n), length), e, a[:, None])  # ties broken
    assert abs(exact.coef[0] - efron.coef[0]) < abs(exact.coef[0] - breslow.coef[0])


def test_batch_equals_one_fit_at_a_time() -> None:
    """Models of different sizes in one batch (padding rows left out) give the single fits."""
    rng = np.random.default_rng(11)
    sizes = [120, 80, 150]
    n = max(sizes)
    stop = np.zeros((3, n))
    event = np.zeros((3, n))
    x = np.zeros((3, n, 2))
    keep = np.zeros((3, n), bool)
    singles = []
    for b, m in enumerate(sizes):
        xb = np.column_stack([rng.integers(0, 2, m), rng.normal(size=m)]).astype(float)
        onset = rng.weibull(2, m) * 3000 * np.exp(-0.3 * xb[:, 0])
        length = rng.uniform(1000, 6000, m)
        tb, eb = np.round(np.minimum(onset, length), -2), (onset < length).astype(float)
        stop[b, :m], event[b, :m], x[b, :m], keep[b, :m] = tb, eb, xb, True
        singles.append(fit_cox(tb, eb, xb, penalizer=0.01))
    batch = fit_cox_batch(stop, event, x, keep=keep, penalizer=0.01)
    for b, single in enumerate(singles):
        np.testing.assert_allclose(batch.coef[b], single.coef, atol=1e-9)
        np.testing.assert_allclose(batch.se[b], single.se, rtol=1e-9)
        np.testing.assert_allclose(batch.ph_statistic[b], single.ph_statistic, rtol=1e-9)


def test_a_failed_model_does_not_stop_the_others() -> None:
    stop = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]])
    event = np.array([[1, 1, 0, 1], [1, 0, 1, 1]], dtype=float)
    x = np.array([[[1.0], [1.0], [1.0], [1.0]], [[0.0], [1.0], [0.0], [1.0]]])
    batch = fit_cox_batch(stop, event, x)
    assert batch.error[0] is not None and "no variation" in batch.error[0]
    assert batch.error[1] is None and np.isfinite(batch.coef[1]).all()
    with pytest.raises(ConvergenceError):
        batch.result(0)
