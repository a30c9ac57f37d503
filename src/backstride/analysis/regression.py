"""Estimator classes over data frames, in lifelines' style, for the Cox and the Poisson engines.

:class:`CoxRegression` wraps :func:`backstride.analysis.cox.fit_cox` (Efron ties, counting-process
rows through ``entry_col``, lifelines' ridge penalty, the Grambsch-Therneau check) and
:class:`PoissonRegression` wraps :func:`backstride.analysis.poisson.fit_poisson` (a log-exposure
offset: the piecewise-exponential model of :mod:`backstride.analysis.terrain`). Neither computes
anything itself: they pick the columns, refuse missing values with a message naming the column, call
the engine, and lay the result out as pandas objects. As in lifelines (and as
:class:`backstride.analysis.survival.KaplanMeier`): settings go to the constructor, ``fit()`` returns
the estimator, fitted attributes end in ``_``, and ``summary`` is a DataFrame with one row per
covariate.

``summary`` columns (the same names as the factor and terrain tables of
:attr:`backstride.report.summary.Analysis.summary`): ``coef`` (log ratio per unit of the covariate),
``hazard_ratio`` or ``rate_ratio`` (``exp(coef)``), ``se`` (of ``coef``), ``ci_low``/``ci_high`` (the
ratio's confidence interval at level ``1 - alpha``), ``z``, ``p`` (Wald); the Cox model adds
``ph_statistic`` and ``ph_p`` (the proportional-hazards check, rank time transform).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from backstride.analysis.cox import CoxFit, Ties, fit_cox
from backstride.analysis.poisson import PoissonFit, fit_poisson
from backstride.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd


def _covariates(df: pd.DataFrame, covariates: Sequence[str] | None, used: Sequence[str | None]) -> list[str]:
    """The covariate columns: those named, else every column not used for anything else."""
    taken = [c for c in used if c is not None]
    missing = [c for c in [*taken, *(covariates or [])] if c not in df.columns]
    if missing:
        raise ValidationError(f"no column {missing[0]!r} in the data frame (it has {list(df.columns)})")
    chosen = list(covariates) if covariates is not None else [c for c in df.columns if c not in taken]
    if not chosen:
        raise ValidationError("no covariate columns to fit")
    return [str(c) for c in chosen]


def _numbers(df: pd.DataFrame, column: str) -> np.ndarray:
    """A column as floats; a non-numeric column or a missing value is refused, naming the column."""
    try:
        values = df[column].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"column {column!r} is not numeric ({df[column].dtype})") from exc
    bad = int((~np.isfinite(values)).sum())
    if bad:
        raise ValidationError(
            f"column {column!r} has {bad} missing or infinite values: drop or fill those rows first "
            f"(for example df.dropna(subset=[{column!r}]))"
        )
    return values


class _Fitted:
    """What both estimators share: the fitted coefficients as pandas objects, ``summary``, ``repr``."""

    _what = "model"
    _ratio = "ratio"  # the name of exp(coef) in ``summary``
    _index = "term"
    _fit: CoxFit | PoissonFit

    def _keep(self, fit: CoxFit | PoissonFit) -> None:
        import pandas as pd

        names = list(fit.names)
        self.params_ = pd.Series(fit.coef, index=names, name="coef")
        self.standard_errors_ = pd.Series(fit.se, index=names, name="se")
        self.confidence_intervals_ = pd.DataFrame({"ci_low": fit.ci_low, "ci_high": fit.ci_high}, index=names)
        self._fit = fit

    def _extra(self) -> dict[str, Any]:
        return {}

    @property
    def summary(self) -> pd.DataFrame:
        """One row per term of the model (columns: see :mod:`backstride.analysis.regression`)."""
        import pandas as pd

        if not hasattr(self, "_fit"):
            raise ValidationError(f"this {type(self).__name__} is not fitted yet: call fit() first")
        f = self._fit
        columns = {
            "coef": f.coef,
            self._ratio: np.exp(f.coef),
            "se": f.se,
            "ci_low": f.ci_low,
            "ci_high": f.ci_high,
            "z": f.coef / f.se,
            "p": f.p_value,
            **self._extra(),
        }
        return pd.DataFrame(columns, index=pd.Index(list(f.names), name=self._index))

    def __repr__(self) -> str:
        if not hasattr(self, "_fit"):
            return f"<{type(self).__name__}: not fitted>"
        rows, events = getattr(self, "n_rows_", 0), getattr(self, "n_events_", 0)
        return f"<{type(self).__name__}: {self._what} fitted on {rows} rows, {events} onsets>"


class CoxRegression(_Fitted):
    """Cox proportional hazards of the onset distance (distance is the clock).

    ``penalizer``: lifelines' ridge penalty (``n_rows * penalizer / 2 * ||beta||^2`` on standardised
    covariates); ``alpha``: 1 - the confidence level; ``ties``: ``"efron"`` (lifelines' default) or
    ``"breslow"``.

    Fitted attributes: ``params_`` (log hazard ratios, a Series by covariate), ``hazard_ratios_``,
    ``standard_errors_``, ``confidence_intervals_`` (hazard-ratio bounds, a DataFrame),
    ``log_likelihood_`` (penalised log partial likelihood), ``n_rows_``, ``n_events_``; ``summary``.
    """

    _what = "Cox model"
    _ratio = "hazard_ratio"
    _index = "covariate"

    def __init__(self, penalizer: float = 0.0, alpha: float = 0.05, ties: Ties = "efron") -> None:
        self.penalizer = penalizer
        self.alpha = alpha
        self.ties = ties

    def fit(
        self,
        df: pd.DataFrame,
        duration_col: str,
        event_col: str,
        *,
        entry_col: str | None = None,
        covariates: Sequence[str] | None = None,
    ) -> CoxRegression:
        """Fit on ``df``: ``duration_col`` the distance (m) of the onset or of the row's end,
        ``event_col`` 1 when the onset came there, ``entry_col`` (optional) the distance from which the
        row is at risk, for counting-process rows (one run as several rows whose covariates change
        inside the run), ``covariates`` the columns of the model (default: every other column)."""
        import pandas as pd

        names = _covariates(df, covariates, (duration_col, event_col, entry_col))
        x = np.column_stack([_numbers(df, c) for c in names])
        entry = _numbers(df, entry_col) if entry_col is not None else None
        fit = fit_cox(
            _numbers(df, duration_col),
            _numbers(df, event_col),
            x,
            names,
            penalizer=self.penalizer,
            alpha=self.alpha,
            entry=entry,
            ties=self.ties,
        )
        self._keep(fit)
        self.hazard_ratios_ = pd.Series(fit.hazard_ratio, index=names, name="hazard_ratio")
        self.log_likelihood_ = fit.log_likelihood
        self.n_rows_ = fit.n
        self.n_events_ = fit.n_events
        return self

    def _extra(self) -> dict[str, Any]:
        fit = self._fit
        assert isinstance(fit, CoxFit)
        return {"ph_statistic": fit.ph_statistic, "ph_p": fit.ph_p_value}


class PoissonRegression(_Fitted):
    """Poisson regression of onset counts with the log of the exposure as offset.

    With one row per stretch of pain-free running, ``event_col`` the onsets in it (0 or 1) and
    ``exposure_col`` the metres run pain-free in it, this is the piecewise-exponential survival model
    and ``exp(coef)`` are rate ratios per metre of running (the terrain model). ``ridge`` is a tiny
    unscaled penalty ``ridge / 2 * ||beta||^2`` that keeps the information invertible; ``alpha``: 1 -
    the confidence level.

    Fitted attributes: ``params_`` (log rate ratios; the baseline terms are log rates per unit of
    exposure), ``rate_ratios_``, ``standard_errors_``, ``confidence_intervals_``, ``log_likelihood_``
    (the full Poisson log-likelihood, as statsmodels reports it), ``n_rows_``, ``n_events_``,
    ``exposure_``; ``summary``.
    """

    _what = "Poisson model"
    _ratio = "rate_ratio"

    def __init__(self, alpha: float = 0.05, ridge: float = 1e-8) -> None:
        self.alpha = alpha
        self.ridge = ridge

    def fit(
        self,
        df: pd.DataFrame,
        event_col: str,
        exposure_col: str,
        *,
        covariates: Sequence[str] | None = None,
        baseline_col: str | None = None,
    ) -> PoissonRegression:
        """Fit on ``df``. The baseline is one rate (a term named ``intercept``) or, with
        ``baseline_col``, one rate per value of that column (terms ``<baseline_col>=<value>``: the
        terrain model's distance bands, so that the hazard rising with distance is not mistaken for
        a covariate). ``covariates``: the columns of the model (default: every other column)."""
        import pandas as pd
        from scipy.special import gammaln

        names = _covariates(df, covariates, (event_col, exposure_col, baseline_col))
        counts, exposure = _numbers(df, event_col), _numbers(df, exposure_col)
        if np.any(counts < 0) or np.any(exposure <= 0):
            raise ValidationError(f"{event_col!r} must be >= 0 and {exposure_col!r} > 0 in every row")
        if baseline_col is None:
            levels, base = ["intercept"], np.ones((len(df), 1))
        else:
            if df[baseline_col].isna().any():
                raise ValidationError(f"column {baseline_col!r} has missing values")
            values = df[baseline_col].to_numpy()
            unique = pd.unique(values)
            ordered = sorted(unique.tolist())
            levels = [f"{baseline_col}={v}" for v in ordered]
            base = (values[:, None] == np.asarray(ordered, dtype=values.dtype)[None, :]).astype(float)
        x = np.column_stack([base, *(_numbers(df, c) for c in names)])
        terms = [*levels, *names]
        fit = fit_poisson(
            x, counts, exposure, terms, n_baseline=len(levels), ridge=self.ridge, alpha=self.alpha
        )
        self._keep(fit)
        self.rate_ratios_ = pd.Series(np.exp(fit.coef), index=terms, name="rate_ratio")
        # the engine drops log(y!), constant in beta; statsmodels and R report the full likelihood
        self.log_likelihood_ = float(fit.log_likelihood - gammaln(counts + 1).sum())
        self.n_rows_ = len(df)
        self.n_events_ = int(counts.sum())
        self.exposure_ = float(exposure.sum())
        return self


__all__ = ["CoxRegression", "PoissonRegression"]
