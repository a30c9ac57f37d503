"""The numpy Cox engine against lifelines' CoxPHFitter and proportional_hazard_test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test

from backstride.analysis.cox import ConvergenceError, fit_cox


@pytest.mark.parametrize(("seed", "penalizer"), [(0, 0.0), (1, 0.01), (2, 0.05)])
def test_matches_lifelines(seed: int, penalizer: float) -> None:
    rng = np.random.default_rng(seed)
    n = 250
    x = pd.DataFrame(
        {"a": rng.integers(0, 2, n).astype(float), "b": rng.uniform(0, 7, n), "c": rng.normal(size=n)}
    )
    onset = rng.weibull(2, n) * 3000 * np.exp(-0.4 * x["a"] + 0.08 * x["b"])
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
