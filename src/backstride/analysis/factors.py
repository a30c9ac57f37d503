"""What makes the pain start earlier or later: Cox models on distance, in plain words.

For each factor (a column of the per-run feature table) a univariable Cox model, then one
multivariable model with every factor that has enough data; hazard ratios with 95% CIs, Benjamini-
Hochberg q-values across the factors of each model, a proportional-hazards check per factor, and a
sentence that words the finding as an association with its uncertainty, never as a cause.

Penalty: a small ridge penalty keeps estimates finite when every onset falls in one group. lifelines
scales its penalty by the number of runs n (``n * penalizer / 2 * beta^2`` on standardised
covariates), so a fixed penalizer shrinks a log hazard ratio by about ``n * penalizer / events``;
we use ``penalizer = PENALTY_PER_EVENT * events / n``, i.e. a shrinkage of about 1% whatever the
event rate (the validation by simulation checks that the CIs still cover the truth).

Minimum-data rule (:func:`data_check`): a factor is analysed only with at least
``MIN_EVENTS`` (10) onsets overall; a binary factor needs at least ``MIN_RUNS_PER_LEVEL`` (5) runs
and ``MIN_EVENTS_PER_LEVEL`` (3) onsets both with and without it; a continuous factor needs at least
5 distinct values. The multivariable model needs ``MIN_EVENTS_PER_FACTOR`` (5) onsets per factor
(Vittinghoff & McCulloch 2007); otherwise only univariable results are given. When a factor falls
short the message estimates how many more runs would reach the rule at the current onset rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from backstride.analysis.cox import ConvergenceError, CoxFit, fit_cox
from backstride.analysis.results import Result, fmt_p, fmt_ratio
from backstride.analysis.survival import survival_columns

PENALTY_PER_EVENT = 0.01
MIN_EVENTS = 10
MIN_RUNS_PER_LEVEL = 5
MIN_EVENTS_PER_LEVEL = 3
MIN_DISTINCT = 5
MIN_EVENTS_PER_FACTOR = 5
PH_ALPHA = 0.05
Q_FLAG = 0.05


@dataclass(frozen=True)
class Factor:
    """A candidate factor: a column of the runs frame.

    ``label`` is a condition phrase that starts a sentence: "within 48 h of a max-effort lower day"
    (binary) or "with each extra day of glute work in the previous 7 days" (continuous, per ``per``
    units of the column). ``short`` is a few words for tables and messages.
    """

    name: str
    label: str
    kind: Literal["binary", "continuous"] = "binary"
    per: float = 1.0
    short: str = ""

    def __post_init__(self) -> None:
        if not self.per > 0:
            raise ValueError("Factor.per must be positive")

    @property
    def title(self) -> str:
        return self.short or self.name.replace("_", " ")


@dataclass
class FactorResult(Result):
    """One factor in one model. Hazard ratio per ``per`` units (binary: with vs without)."""

    name: str
    label: str
    model: Literal["univariable", "multivariable"]
    status: Literal["ok", "insufficient", "failed"]
    n_runs: int
    n_events: int
    hazard_ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    q_value: float | None = None
    ph_p_value: float | None = None
    ph_ok: bool | None = None
    flagged: bool = False
    per: float = 1.0
    sentence: str = ""
    more_runs_needed: int | None = None

    def text_lines(self) -> list[str]:
        return [self.sentence]


@dataclass
class FactorAnalysis(Result):
    """All factors: univariable always; multivariable (adjusted for each other) when data allow."""

    univariable: list[FactorResult]
    multivariable: list[FactorResult] | None
    runs: int
    events: int
    notes: list[str] = field(default_factory=list)

    @property
    def primary(self) -> list[FactorResult]:
        """The results to headline: adjusted when available, else univariable."""
        return self.multivariable if self.multivariable is not None else self.univariable

    def to_dict(self) -> dict[str, object]:
        out = super().to_dict()
        out["factors"] = [f.to_dict() for f in self.primary]
        return out

    def text_lines(self) -> list[str]:
        head = "adjusted for each other" if self.multivariable is not None else "one at a time"
        lines = [
            f"What goes with an earlier or later onset ({self.runs} runs, {self.events} onsets; {head}):"
        ]
        lines += [f"- {f.sentence}" for f in self.primary]
        lines += [f"Note: {n}" for n in self.notes]
        return lines


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), same order as given."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q.tolist()


def data_check(values: np.ndarray, events: np.ndarray, factor: Factor) -> tuple[bool, str, int | None]:
    """The minimum-data rule. Returns (ok, message, about how many more runs are needed)."""
    n, d = values.size, int(events.sum())
    rate = max(d / n, 0.05) if n else 0.5
    if d < MIN_EVENTS:
        more = math.ceil((MIN_EVENTS - d) / rate)
        return False, f"not enough runs yet: {d} onsets so far, about {more} more runs needed", more
    if factor.kind == "binary":
        with_it = values > 0.5
        needs = []
        for mask in (with_it, ~with_it):
            runs_l, ev_l = int(mask.sum()), int(events[mask].sum())
            rate_l = max(ev_l / runs_l, 0.05) if runs_l else rate
            needs.append(
                max(MIN_RUNS_PER_LEVEL - runs_l, math.ceil((MIN_EVENTS_PER_LEVEL - ev_l) / rate_l), 0)
            )
        if any(needs):
            return (
                False,
                f"not enough runs yet: about {needs[0]} more with and {needs[1]} more without {factor.title}",
                sum(needs),
            )
        return True, "", None
    if np.unique(values).size < MIN_DISTINCT:
        return False, f"not enough variation in {factor.title} yet", None
    return True, "", None


def sentence(factor: Factor, hr: float, lo: float, hi: float, p: float, q: float) -> str:
    """The finding in plain words: an association with its uncertainty, never a cause."""
    lead = factor.label[:1].upper() + factor.label[1:]
    ratio = f"about {fmt_ratio(hr)}x the hazard (95% CI {fmt_ratio(lo)}-{fmt_ratio(hi)})"
    if q <= Q_FLAG:
        way = "earlier" if hr > 1 else "later"
        return f"{lead} the pain tends to start {way}: {ratio}."
    if p < 0.05:
        way = "earlier" if hr > 1 else "later"
        return (
            f"{lead} the pain may start {way}: {ratio}, but this is not clear once all factors "
            f"are tested together (q = {fmt_p(q)})."
        )
    return f"{lead} there is no clear difference yet: {ratio}."


def _results_from_fit(
    fit: CoxFit, factors: list[Factor], model: Literal["univariable", "multivariable"], cols: list[int]
) -> list[FactorResult]:
    out = []
    for j, i in enumerate(cols):
        f = factors[i]
        scale = f.per
        out.append(
            FactorResult(
                name=f.name,
                label=f.label,
                model=model,
                status="ok",
                n_runs=fit.n,
                n_events=fit.n_events,
                hazard_ratio=float(np.exp(fit.coef[j] * scale)),
                ci_low=float(fit.ci_low[j] ** scale),
                ci_high=float(fit.ci_high[j] ** scale),
                p_value=float(fit.p_value[j]),
                ph_p_value=float(fit.ph_p_value[j]),
                ph_ok=bool(fit.ph_p_value[j] >= PH_ALPHA) if np.isfinite(fit.ph_p_value[j]) else None,
                per=scale,
            )
        )
    return out


def _finish(results: list[FactorResult], factors: dict[str, Factor]) -> None:
    ok = [r for r in results if r.status == "ok"]
    for r, q in zip(ok, benjamini_hochberg([r.p_value or 1.0 for r in ok]), strict=True):
        r.q_value = q
        r.flagged = q <= Q_FLAG
        assert r.hazard_ratio is not None and r.ci_low is not None and r.ci_high is not None
        r.sentence = sentence(factors[r.name], r.hazard_ratio, r.ci_low, r.ci_high, r.p_value or 1.0, q)
        if r.ph_ok is False:
            r.sentence += " (The association seems to change with distance, so read it as an average.)"


def analyze_factors(runs: pd.DataFrame, factors: list[Factor]) -> FactorAnalysis:
    """Cox models of the onset distance on each factor (columns of ``runs``; see module doc).

    Runs with an interval-censored onset enter at the middle of their lap. Rows with a missing
    value of a factor are left out of that factor's univariable model and of the multivariable one.
    """
    left, right = survival_columns(runs)
    events = np.isfinite(right)
    dist = np.where(events, (left + np.where(events, right, left)) / 2, left)
    by_name = {f.name: f for f in factors}
    uni: list[FactorResult] = []
    usable: list[int] = []
    notes: list[str] = []
    for i, f in enumerate(factors):
        values = runs[f.name].to_numpy(float)
        keep = np.isfinite(values)
        ok, message, more = data_check(values[keep], events[keep], f)
        n_k, d_k = int(keep.sum()), int(events[keep].sum())
        if not ok:
            uni.append(
                FactorResult(
                    f.name,
                    f.label,
                    "univariable",
                    "insufficient",
                    n_k,
                    d_k,
                    sentence=f"{f.title[:1].upper()}{f.title[1:]}: {message}.",
                    more_runs_needed=more,
                )
            )
            continue
        try:
            fit = fit_cox(
                dist[keep],
                events[keep],
                values[keep, None],
                [f.name],
                penalizer=PENALTY_PER_EVENT * d_k / n_k,
            )
        except ConvergenceError as exc:
            uni.append(
                FactorResult(
                    f.name,
                    f.label,
                    "univariable",
                    "failed",
                    n_k,
                    d_k,
                    sentence=f"{f.title}: could not be estimated ({exc}).",
                )
            )
            continue
        uni.extend(_results_from_fit(fit, factors, "univariable", [i]))
        usable.append(i)
    _finish(uni, by_name)
    multi: list[FactorResult] | None = None
    if len(usable) >= 2:
        x = runs[[factors[i].name for i in usable]].to_numpy(float)
        keep = np.isfinite(x).all(axis=1)
        d_k = int(events[keep].sum())
        if d_k >= MIN_EVENTS_PER_FACTOR * len(usable):
            try:
                fit = fit_cox(
                    dist[keep],
                    events[keep],
                    x[keep],
                    [factors[i].name for i in usable],
                    penalizer=PENALTY_PER_EVENT * d_k / int(keep.sum()),
                )
                multi = _results_from_fit(fit, factors, "multivariable", usable)
                _finish(multi, by_name)
            except ConvergenceError as exc:
                notes.append(f"the factors could not be adjusted for each other ({exc})")
        else:
            notes.append(
                f"too few onsets ({d_k}) to adjust {len(usable)} factors for each other "
                f"(needs {MIN_EVENTS_PER_FACTOR} per factor); each is shown on its own"
            )
    notes.append("these are associations in your own runs, not proof of cause")
    return FactorAnalysis(uni, multi, int(dist.size), int(events.sum()), notes)
