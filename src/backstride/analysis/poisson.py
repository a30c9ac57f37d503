"""Poisson regression with a log-exposure offset, by Newton-Raphson (the piecewise-exponential model).

``counts ~ Poisson(exposure * exp(X @ beta))``. With one row per run segment, ``counts`` the onset
(0 or 1) and ``exposure`` the pain-free metres spent in the segment, the likelihood is exactly the
piecewise-exponential survival likelihood, so ``exp(beta)`` are rate ratios per metre of running.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from backstride.errors import ConvergenceError

FloatArray = NDArray[np.float64]


@dataclass
class PoissonFit:
    """Coefficients (log rate ratios), standard errors, Wald p-values and 95% CIs of exp(coef)."""

    names: list[str]
    coef: FloatArray
    se: FloatArray
    p_value: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    log_likelihood: float


def fit_poisson(
    x: ArrayLike,
    counts: ArrayLike,
    exposure: ArrayLike,
    names: list[str],
    n_baseline: int = 0,
    ridge: float = 1e-8,
    alpha: float = 0.05,
    max_iter: int = 100,
) -> PoissonFit:
    """Fit by Newton-Raphson with step halving; a tiny ridge keeps the information invertible.

    The first ``n_baseline`` columns are baseline indicators (e.g. distance bands) and start at the
    crude log rate, which speeds convergence.
    """
    xm = np.asarray(x, dtype=float)
    y = np.asarray(counts, dtype=float)
    offset = np.log(np.asarray(exposure, dtype=float))
    k = xm.shape[1]
    beta = np.zeros(k)
    # start the indicator (band) columns at the crude rate for faster convergence
    crude = np.log(max(y.sum(), 0.5) / np.exp(offset).sum())

    def loglik(b: FloatArray) -> float:
        eta = offset + xm @ b
        return float(np.sum(y * eta - np.exp(eta))) - 0.5 * ridge * float(b @ b)

    beta[:n_baseline] = crude
    ll = loglik(beta)
    for _ in range(max_iter):
        mu = np.exp(offset + xm @ beta)
        grad = xm.T @ (y - mu) - ridge * beta
        info = (xm * mu[:, None]).T @ xm + ridge * np.eye(k)
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError as exc:
            raise ConvergenceError("singular information in the Poisson model") from exc
        size = 1.0
        while True:
            cand = beta + size * step
            ll_new = loglik(cand)
            if ll_new >= ll - 1e-10 or size < 1e-4:
                break
            size /= 2
        done = abs(ll_new - ll) < 1e-10 and np.max(np.abs(size * step)) < 1e-8
        beta, ll = cand, ll_new
        if done:
            break
    else:
        raise ConvergenceError("the Poisson model did not converge")
    mu = np.exp(offset + xm @ beta)
    cov = np.linalg.inv((xm * mu[:, None]).T @ xm + ridge * np.eye(k))
    se = np.sqrt(np.diag(cov))
    zq = float(stats.norm.ppf(1 - alpha / 2))
    with np.errstate(over="ignore"):  # a separated term: an infinite upper bound, checked by callers
        low, high = np.exp(beta - zq * se), np.exp(beta + zq * se)
    return PoissonFit(
        names=names,
        coef=beta,
        se=se,
        p_value=2 * stats.norm.sf(np.abs(beta / se)),
        ci_low=low,
        ci_high=high,
        log_likelihood=ll,
    )
