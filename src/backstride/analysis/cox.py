"""Cox proportional hazards on distance, in numpy: the engine behind :mod:`backstride.analysis.factors`.

Why not call lifelines' ``CoxPHFitter`` directly: it takes about 0.4 s per fit on 7,000 runs (pandas
and autograd overhead), and the factor analysis fits one univariable model per factor plus a
multivariable one; the validation by simulation fits thousands. This engine solves the same problem
the same way, and the tests check it against ``CoxPHFitter(penalizer=...)`` and lifelines'
``proportional_hazard_test`` to 1e-6:

* covariates are centred and scaled by their standard deviation (ddof=1) before fitting, as lifelines
  does, and the ridge penalty ``n * penalizer / 2 * ||beta_scaled||^2`` is lifelines' (l1_ratio=0);
* Newton-Raphson with step halving on the penalised log partial likelihood;
* ties between onset distances use Breslow's method (lifelines uses Efron's; with distances to the
  metre, tied onsets are rare and the two agree exactly when there are none);
* standard errors from the inverse of the penalised information, Wald z tests and 95% CIs;
* the proportional-hazards check is the Grambsch-Therneau score test on scaled Schoenfeld residuals
  against the rank of the onset distance (lifelines' ``time_transform="rank"``), one per covariate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from backstride.errors import BackstrideError

FloatArray = NDArray[np.float64]


class ConvergenceError(BackstrideError):
    """The Cox fit did not converge (usually perfect separation or collinear covariates)."""


@dataclass
class CoxFit:
    """A fitted Cox model. Coefficients are log hazard ratios per unit of each covariate."""

    names: list[str]
    coef: FloatArray
    se: FloatArray
    z: FloatArray
    p_value: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    log_likelihood: float
    n: int
    n_events: int
    ph_statistic: FloatArray
    ph_p_value: FloatArray

    @property
    def hazard_ratio(self) -> FloatArray:
        return np.exp(self.coef)


def _risk_sums(
    x: FloatArray, eta: FloatArray, first: NDArray[np.intp]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Sums over each row's risk set (all rows at or after its first tied position), sorted by time."""
    r = np.exp(eta - eta.max())
    s0 = np.cumsum(r[::-1])[::-1]
    s1 = np.cumsum((r[:, None] * x)[::-1], axis=0)[::-1]
    s2 = np.cumsum((r[:, None, None] * x[:, :, None] * x[:, None, :])[::-1], axis=0)[::-1]
    return s0[first], s1[first], s2[first]


def _loglik_grad_hess(
    x: FloatArray, e: FloatArray, beta: FloatArray, first: NDArray[np.intp]
) -> tuple[float, FloatArray, FloatArray]:
    eta = x @ beta
    shift = eta.max()
    s0, s1, s2 = _risk_sums(x, eta, first)
    ev = e > 0
    s0e, s1e, s2e = s0[ev], s1[ev], s2[ev]
    mean = s1e / s0e[:, None]
    ll = float(np.sum(eta[ev] - shift - np.log(s0e)))
    grad = np.sum(x[ev] - mean, axis=0)
    hess = -np.sum(s2e / s0e[:, None, None] - mean[:, :, None] * mean[:, None, :], axis=0)
    return ll, grad, hess


def fit_cox(
    durations: ArrayLike,
    events: ArrayLike,
    covariates: ArrayLike,
    names: list[str] | None = None,
    penalizer: float = 0.0,
    alpha: float = 0.05,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> CoxFit:
    """Fit a Cox model of the onset distance on ``covariates`` (n x k; no intercept, no NaN)."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=float)
    x_raw = np.asarray(covariates, dtype=float)
    if x_raw.ndim == 1:
        x_raw = x_raw[:, None]
    n, k = x_raw.shape
    names = names if names is not None else [f"x{i}" for i in range(k)]
    if not np.isfinite(x_raw).all():
        raise ValueError("covariates contain NaN or infinite values")
    mean = x_raw.mean(axis=0)
    std = x_raw.std(axis=0, ddof=1)
    if np.any(std == 0):
        raise ConvergenceError(f"no variation in {[nm for nm, s in zip(names, std, strict=True) if s == 0]}")
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    x = (x_raw[order] - mean) / std
    first = np.searchsorted(t, t, side="left")
    pen = n * penalizer

    def objective(b: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        ll, g, h = _loglik_grad_hess(x, e, b, first)
        return ll - 0.5 * pen * float(b @ b), g - pen * b, h - pen * np.eye(k)

    beta = np.zeros(k)
    ll, g, h = objective(beta)
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(-h, g)
        except np.linalg.LinAlgError as exc:
            raise ConvergenceError("singular information matrix (collinear covariates?)") from exc
        size = 1.0
        while True:
            cand = beta + size * step
            ll_new, g_new, h_new = objective(cand)
            if ll_new >= ll - 1e-12 or size < 1e-4:
                break
            size /= 2
        beta, done = cand, abs(ll_new - ll) < tol and np.max(np.abs(size * step)) < 1e-7
        ll, g, h = ll_new, g_new, h_new
        if done:
            break
    else:
        raise ConvergenceError("Cox fit did not converge (separation: all onsets in one group?)")
    if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 50:
        raise ConvergenceError("Cox fit diverged (separation: all onsets in one group?)")
    cov_scaled = np.linalg.inv(-h)
    coef = beta / std
    cov = cov_scaled / np.outer(std, std)
    se = np.sqrt(np.diag(cov))
    z = coef / se
    zq = float(stats.norm.ppf(1 - alpha / 2))
    ph_stat = _ph_test(x, e, beta, first, cov, std)
    return CoxFit(
        names=list(names),
        coef=coef,
        se=se,
        z=z,
        p_value=2 * stats.norm.sf(np.abs(z)),
        ci_low=np.exp(coef - zq * se),
        ci_high=np.exp(coef + zq * se),
        log_likelihood=ll,
        n=n,
        n_events=int(e.sum()),
        ph_statistic=ph_stat,
        ph_p_value=stats.chi2.sf(ph_stat, 1),
    )


def _ph_test(
    x: FloatArray, e: FloatArray, beta: FloatArray, first: NDArray[np.intp], cov: FloatArray, std: FloatArray
) -> FloatArray:
    """Grambsch-Therneau test per covariate with the rank time transform (as lifelines computes it)."""
    ev = e > 0
    d = int(ev.sum())
    if d < 3:
        return np.full(beta.size, np.nan)
    s0, s1, _ = _risk_sums(x, x @ beta, first)
    resid = (x[ev] - s1[ev] / s0[ev][:, None]) * std  # Schoenfeld residuals, original units
    scaled = d * resid @ cov
    ranks = np.cumsum(e)[ev]
    g = ranks - ranks.mean()
    se2 = np.diag(cov)
    return np.asarray((g @ scaled) ** 2 / (d * se2 * float(g @ g)))
