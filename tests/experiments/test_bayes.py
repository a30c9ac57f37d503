"""The censored Bayesian regression against independent computations."""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from backstride.experiments.bayes import Prior, find_mode, neg_log_post, sample, single


def _data(seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 30
    X = np.c_[np.ones(n), rng.integers(0, 2, n), rng.normal(size=n)]
    y = X @ [8.5, 0.4, 0.1] + rng.normal(0, 0.3, n)
    c = rng.normal(8.8, 0.2, n)
    lo = np.minimum(y, c)
    hi = np.where(y <= c, y, np.inf)
    hi[:3] = lo[:3] + 0.2  # three onsets known only to an interval
    return X, lo, hi


PRIOR = Prior(np.array([8.0, 0.0, 0.0]), np.array([2.0, 1.0, 1.0]), 1.0)


def test_gradient_matches_finite_differences() -> None:
    X, lo, hi = _data()
    batch = single(X, lo, hi)
    theta = np.array([[8.3, 0.2, 0.0, np.log(0.4)]])
    _, grad = neg_log_post(theta, batch, PRIOR)
    for j in range(4):
        e = np.zeros(4)
        e[j] = 1e-6
        num = (neg_log_post(theta + e, batch, PRIOR)[0] - neg_log_post(theta - e, batch, PRIOR)[0]) / 2e-6
        assert abs(num[0] - grad[0, j]) < 1e-4 * max(1.0, abs(num[0]))


def test_mode_matches_nelder_mead() -> None:
    X, lo, hi = _data()
    batch = single(X, lo, hi)
    mode, _, ok = find_mode(batch, PRIOR)
    ref = optimize.minimize(
        lambda t: neg_log_post(t[None], batch, PRIOR)[0][0],
        np.array([8.0, 0.0, 0.0, -1.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 40000, "maxfev": 40000},
    )
    assert ok[0]
    assert np.allclose(mode[0], ref.x, atol=1e-5)


def test_uncensored_interval_matches_classical_t_interval() -> None:
    """With vague priors and no censoring the 95% credible interval is the OLS t-interval."""
    rng = np.random.default_rng(5)
    n = 40
    X = np.c_[np.ones(n), np.repeat([0.0, 1.0], n // 2)]
    y = X @ [5.0, -1.0] + rng.normal(0, 1.5, n)
    prior = Prior(np.zeros(2), np.array([1000.0, 1000.0]), 100.0)
    post = sample(single(X, y, y), prior, draws=20000, seed=3)
    beta, res, _, _ = np.linalg.lstsq(X, y, rcond=None)
    s2 = res[0] / (n - 2)
    se = np.sqrt(s2 * np.linalg.inv(X.T @ X)[1, 1])
    t = stats.t.ppf(0.975, n - 2)
    q = post.quantiles(1, (0.025, 0.5, 0.975))[0]
    assert abs(q[1] - beta[1]) < 0.1 * se
    assert abs((q[2] - q[0]) / (2 * t * se) - 1) < 0.05
