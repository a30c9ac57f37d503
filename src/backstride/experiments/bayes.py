"""Bayesian normal regression with interval censoring, for many data sets at once.

The model behind every experiment outcome (on the model scale: log metres for pain-free distance,
points for severity and PEG):

    y_i = x_i' beta + e_i,   e_i ~ N(0, sigma^2),

where y_i may be known exactly (``lo == hi``), right-censored (``hi = +inf``: a pain-free run of that
length), or known to lie between two values (``lo < hi``: an onset known only to a lap). For pain-free
distance this is the log-normal accelerated-failure-time model: exp(beta_B) is the ratio of pain-free
distance under B to that under A.

Priors: beta_j ~ N(m_j, s_j^2) (independent), sigma ~ half-normal(scale).

The posterior is computed without MCMC and deterministically: Newton's method finds the posterior
mode (Hessian by central differences of the analytic gradient), then importance sampling from a
multivariate t (4 degrees of freedom) centred at the mode with the Laplace covariance corrects the
normal approximation's tails. Every array carries a leading axis S (one data set per row; unused
slots are masked), so a simulation study fits hundreds of experiments in a few numpy calls.
Parameters are ``theta = (beta_1..beta_p, log sigma)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import log_ndtr

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
T_DF = 4.0


@dataclass(frozen=True)
class Prior:
    """Normal priors on the coefficients (``mean``/``sd``, length p; per data set if 2-D) and a
    half-normal prior with ``sigma_scale`` on the residual standard deviation."""

    mean: FloatArray
    sd: FloatArray
    sigma_scale: float


@dataclass
class Batch:
    """S data sets of up to n observations with p covariates each.

    ``X`` (S, n, p); ``lo``/``hi`` (S, n) bounds on the model scale (``-inf``/``+inf`` allowed;
    equal for an exact value); ``mask`` (S, n) true for the observations that exist.
    """

    X: FloatArray
    lo: FloatArray
    hi: FloatArray
    mask: BoolArray

    @property
    def exact(self) -> BoolArray:
        return self.mask & (self.lo == self.hi)

    @property
    def censored(self) -> BoolArray:
        return self.mask & (self.lo != self.hi)

    def take(self, rows: Any) -> Batch:
        return Batch(self.X[rows], self.lo[rows], self.hi[rows], self.mask[rows])


def single(X: FloatArray, lo: FloatArray, hi: FloatArray) -> Batch:
    """A batch holding one data set."""
    n = len(lo)
    return Batch(
        np.asarray(X, float).reshape(1, n, -1),
        np.asarray(lo, float).reshape(1, n),
        np.asarray(hi, float).reshape(1, n),
        np.ones((1, n), bool),
    )


def _log_interval(zl: FloatArray, zh: FloatArray) -> FloatArray:
    """log(Phi(zh) - Phi(zl)) for zl < zh, accurate in both tails."""
    upper = zl > 0  # both in the upper tail: use survival functions
    a = np.where(upper, log_ndtr(-zl), log_ndtr(zh))
    b = np.where(upper, log_ndtr(-zh), log_ndtr(zl))
    return a + np.log1p(-np.exp(np.minimum(b - a, 0.0)))


def _loglik(mu: FloatArray, u: FloatArray, batch: Batch) -> FloatArray:
    """Per-observation log-likelihood only, for draws (s, M, n): exact and censored parts computed
    where they apply."""
    s = np.exp(u)
    exact = batch.exact[:, None, :]
    lo = np.where(batch.mask, batch.lo, 0.0)[:, None, :]
    z = (lo - mu) / s
    out = np.where(exact, -u - 0.5 * z * z - _LOG_SQRT_2PI, 0.0)
    cens = batch.censored
    if cens.any():
        rows, cols = np.nonzero(cens)
        zl = (batch.lo[rows, cols][:, None] - mu[rows, :, cols]) / s[rows, :, 0]
        zh = (batch.hi[rows, cols][:, None] - mu[rows, :, cols]) / s[rows, :, 0]
        out[rows, :, cols] = _log_interval(zl, zh)
    return out


def _obs_terms(
    mu: FloatArray, u: FloatArray, batch: Batch, exact: BoolArray, cens: BoolArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-observation log-likelihood and its derivatives in mu and in log sigma (shapes of ``mu``)."""
    s = np.exp(u)
    lo = np.where(batch.mask, batch.lo, 0.0)
    hi = np.where(batch.mask, batch.hi, 1.0)
    lo_b, hi_b = (lo, hi) if mu.ndim == lo.ndim else (lo[:, None, :], hi[:, None, :])
    ex_b, ce_b = (exact, cens) if mu.ndim == lo.ndim else (exact[:, None, :], cens[:, None, :])
    z = (lo_b - mu) / s
    zl = np.where(ce_b, z, -1.0)
    zh = np.where(ce_b, (hi_b - mu) / s, 1.0)
    ll_exact = -u - 0.5 * z * z - _LOG_SQRT_2PI
    log_l = _log_interval(zl, zh)
    ll = np.where(ex_b, ll_exact, np.where(ce_b, log_l, 0.0))

    # d/dmu and d/du of log(Phi(zh) - Phi(zl)): phi ratios computed on the log scale.
    def ratio(zv: FloatArray) -> FloatArray:
        finite = np.isfinite(zv)
        zf = np.where(finite, zv, 0.0)
        return np.where(finite, np.exp(-0.5 * zf * zf - _LOG_SQRT_2PI - log_l), 0.0)

    rh, rl = ratio(zh), ratio(zl)
    zh_f = np.where(np.isfinite(zh), zh, 0.0)
    zl_f = np.where(np.isfinite(zl), zl, 0.0)
    dmu = np.where(ex_b, z / s, np.where(ce_b, (rl - rh) / s, 0.0))
    du = np.where(ex_b, z * z - 1.0, np.where(ce_b, zl_f * rl - zh_f * rh, 0.0))
    return ll, dmu, du


def neg_log_post(theta: FloatArray, batch: Batch, prior: Prior) -> tuple[FloatArray, FloatArray]:
    """Negative log posterior (up to a constant) of theta (S, q) and its gradient (S, q)."""
    beta, u = theta[:, :-1], theta[:, -1]
    mu = np.einsum("snp,sp->sn", batch.X, beta)
    with np.errstate(all="ignore"):
        ll, dmu, du = _obs_terms(mu, u[:, None], batch, batch.exact, batch.censored)
        s2 = np.exp(2.0 * u) / prior.sigma_scale**2
    sd = np.broadcast_to(prior.sd, beta.shape)
    dev = (beta - prior.mean) / sd
    value = -ll.sum(axis=1) + 0.5 * (dev * dev).sum(axis=1) + 0.5 * s2 - u
    grad = np.empty_like(theta)
    grad[:, :-1] = -np.einsum("snp,sn->sp", batch.X, dmu) + dev / sd
    grad[:, -1] = -du.sum(axis=1) + s2 - 1.0
    return value, grad


def hessian(theta: FloatArray, batch: Batch, prior: Prior, step: float = 1e-5) -> FloatArray:
    """Hessian of :func:`neg_log_post` (S, q, q) by central differences of the analytic gradient."""
    q = theta.shape[1]
    out = np.empty((theta.shape[0], q, q))
    for j in range(q):
        e = np.zeros(q)
        e[j] = step
        out[:, :, j] = (
            neg_log_post(theta + e, batch, prior)[1] - neg_log_post(theta - e, batch, prior)[1]
        ) / (2 * step)
    return 0.5 * (out + out.transpose(0, 2, 1))


def initial(batch: Batch, prior: Prior) -> FloatArray:
    """A starting point: prior means, the intercept (column 0) at the mean of the finite bounds."""
    S, _, p = batch.X.shape
    theta = np.zeros((S, p + 1))
    theta[:, :-1] = np.broadcast_to(prior.mean, (S, p))
    finite = batch.mask & np.isfinite(batch.lo)
    vals = np.where(finite, batch.lo, 0.0)
    count = np.maximum(finite.sum(axis=1), 1)
    mean = vals.sum(axis=1) / count
    var = (np.where(finite, batch.lo - mean[:, None], 0.0) ** 2).sum(axis=1) / count
    theta[:, 0] = mean
    theta[:, -1] = np.log(np.clip(np.sqrt(var), 0.05 * prior.sigma_scale, prior.sigma_scale))
    return theta


def find_mode(
    batch: Batch, prior: Prior, max_iter: int = 60, tol: float = 1e-7
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Posterior modes (S, q), Hessians there (S, q, q) and whether each converged (S,)."""
    theta = initial(batch, prior)
    value, grad = neg_log_post(theta, batch, prior)
    done = np.zeros(theta.shape[0], bool)
    for _ in range(max_iter):
        H = hessian(theta, batch, prior)
        # Saddle-free Newton: eigenvalues replaced by their absolute value (floored), so the step is
        # always a descent direction; long steps are shortened as a whole, keeping their direction.
        w, v = np.linalg.eigh(H)
        w = np.maximum(np.abs(w), 1e-4)
        step = np.einsum("sij,sj,skj,sk->si", v, 1.0 / w, v, grad)
        norm = np.linalg.norm(step, axis=1)
        step *= np.minimum(1.0, 3.0 / np.maximum(norm, 1e-300))[:, None]
        t = np.ones(theta.shape[0])
        accepted = done.copy()
        new_theta, new_value, new_grad = theta.copy(), value.copy(), grad.copy()
        for _half in range(40):
            trial = theta - t[:, None] * step
            v_new, g_new = neg_log_post(trial, batch, prior)
            ok = ~accepted & np.isfinite(v_new) & (v_new <= value)
            new_theta[ok], new_value[ok], new_grad[ok] = trial[ok], v_new[ok], g_new[ok]
            accepted |= ok
            if accepted.all():
                break
            t = np.where(accepted, t, 0.5 * t)
        moved = np.abs(new_theta - theta).max(axis=1)
        theta, value, grad = new_theta, new_value, new_grad
        small_grad = np.abs(grad).max(axis=1) < 1e-5
        done = small_grad | (done | (accepted & (moved < tol)))
        if done.all():
            break
    return theta, hessian(theta, batch, prior), done


@dataclass
class Posterior:
    """Weighted posterior draws: ``draws`` (S, M, q), normalised ``weights`` (S, M), effective sample
    size ``ess`` (S,), the ``mode`` (S, q) and whether Newton converged."""

    draws: FloatArray
    weights: FloatArray
    ess: FloatArray
    mode: FloatArray
    converged: BoolArray

    def prob(self, index: int, low: float = -np.inf, high: float = np.inf) -> FloatArray:
        """Posterior probability that parameter ``index`` lies in [low, high] (S,)."""
        x = self.draws[:, :, index]
        return (self.weights * ((x >= low) & (x <= high))).sum(axis=1)

    def quantiles(self, index: int, qs: tuple[float, ...]) -> FloatArray:
        """Weighted quantiles of parameter ``index`` (S, len(qs))."""
        x = self.draws[:, :, index]
        order = np.argsort(x, axis=1)
        xs = np.take_along_axis(x, order, axis=1)
        cum = np.cumsum(np.take_along_axis(self.weights, order, axis=1), axis=1)
        idx = [np.minimum((cum < q).sum(axis=1), x.shape[1] - 1) for q in qs]
        return np.stack([xs[np.arange(x.shape[0]), i] for i in idx], axis=1)


def sample(
    batch: Batch, prior: Prior, draws: int = 4000, seed: int = 20250303, chunk_elems: int = 4_000_000
) -> Posterior:
    """The posterior of every data set in ``batch`` by importance sampling around the mode."""
    mode, H, converged = find_mode(batch, prior)
    S, q = mode.shape
    rng = np.random.Generator(np.random.PCG64(seed))
    w_eig, v_eig = np.linalg.eigh(H)
    cov_half = v_eig / np.sqrt(np.maximum(w_eig, 1e-10))[:, None, :]  # (S, q, q): cov = A A'
    z = rng.standard_normal((S, draws, q))
    chi = rng.chisquare(T_DF, size=(S, draws, 1))
    scaled = z / np.sqrt(chi / T_DF)
    theta = mode[:, None, :] + np.einsum("sij,smj->smi", cov_half, scaled)
    maha = (scaled * scaled).sum(axis=2)
    log_q = -0.5 * (T_DF + q) * np.log1p(maha / T_DF)
    log_p = np.empty((S, draws))
    n = batch.X.shape[1]
    per = max(1, chunk_elems // max(1, draws * n))
    for a in range(0, S, per):
        part = batch.take(slice(a, a + per))
        th = theta[a : a + per]
        log_p[a : a + per] = -_neg_log_post_draws(th, part, _rows(prior, slice(a, a + per)))
    with np.errstate(all="ignore"):
        log_w = log_p - log_q
        log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
        top = log_w.max(axis=1, keepdims=True)
        log_w = np.where(np.isfinite(top), log_w - top, 0.0)  # no finite weight at all: uniform
        w = np.exp(log_w)
    w /= w.sum(axis=1, keepdims=True)
    ess = 1.0 / (w * w).sum(axis=1)
    return Posterior(theta, w, ess, mode, converged)


def _rows(prior: Prior, rows: slice) -> Prior:
    mean, sd = np.asarray(prior.mean), np.asarray(prior.sd)
    if mean.ndim == 2:
        mean = mean[rows]
    if sd.ndim == 2:
        sd = sd[rows]
    return Prior(mean, sd, prior.sigma_scale)


def _neg_log_post_draws(theta: FloatArray, batch: Batch, prior: Prior) -> FloatArray:
    """:func:`neg_log_post` for draws (s, M, q) of each data set, values only (s, M)."""
    beta, u = theta[:, :, :-1], theta[:, :, -1]
    mu = np.einsum("snp,smp->smn", batch.X, beta)
    with np.errstate(all="ignore"):
        ll = _loglik(mu, u[:, :, None], batch)
        s2 = np.exp(2.0 * u) / prior.sigma_scale**2
    mean, sd = np.asarray(prior.mean), np.asarray(prior.sd)
    mean = mean[:, None, :] if mean.ndim == 2 else mean
    sd = sd[:, None, :] if sd.ndim == 2 else sd
    dev = (beta - mean) / sd
    return -ll.sum(axis=2) + 0.5 * (dev * dev).sum(axis=2) + 0.5 * s2 - u


__all__ = ["Batch", "Posterior", "Prior", "find_mode", "neg_log_post", "sample", "single"]
