"""What makes the pain start earlier or later: Cox models on distance, in plain words.

For each factor (a column of the per-run feature table) a univariable Cox model, then one
multivariable model with every factor that has enough data; hazard ratios with 95% CIs, Benjamini-
Hochberg q-values across the factors of each model, a proportional-hazards check per factor, and a
sentence that words the finding as an association with its uncertainty, never as a cause.

Kinds of factor: ``binary`` and ``continuous`` are fixed for the whole run; ``past`` switches on
inside the run, past a distance computed from the run's history (``column`` x (1 + ``margin``)), in
counting-process form (:mod:`backstride.analysis.counting`), so the run's final length (decided after
the pain started) never enters. A run where that distance is unknown (a lay-off) carries an indicator.

Onsets known only to a lap, or "unknown" (somewhere in the run), are not put at the interval's
middle: every model is fitted on :data:`~backstride.analysis.imputation.N_IMPUTATIONS` completed data
sets drawn from the Turnbull curve and pooled by Rubin's rules
(:mod:`backstride.analysis.imputation`). Ties between onsets use Efron's method.

Penalty: a small ridge penalty keeps estimates finite when every onset falls in one group. lifelines
scales its penalty by the number of rows n (``n * penalizer / 2 * beta^2`` on standardised
covariates), so a fixed penalizer shrinks a log hazard ratio by about ``n * penalizer / events``;
we use ``penalizer = PENALTY_PER_EVENT * events / n``, i.e. a shrinkage of about 1% whatever the
event rate (the validation by simulation checks that the CIs still cover the truth).

Minimum-data rule (:func:`data_check`): a factor is analysed only with at least
``MIN_EVENTS`` (10) onsets overall; a binary factor needs at least ``MIN_RUNS_PER_LEVEL`` (5) runs
and ``MIN_EVENTS_PER_LEVEL`` (3) onsets both with and without it; a continuous factor needs at least
5 distinct values; a ``past`` factor needs 5 runs that reached its distance pain-free and enough
running beyond it to expect 3 onsets at the runner's usual rate (:func:`past_check`): most runners
rarely run far past their recent longest run, and then the data cannot tell. The multivariable model
needs ``MIN_EVENTS_PER_FACTOR`` (10) onsets per factor
(Peduzzi 1995); otherwise only univariable results are given. Tests and CIs use a t reference with
onsets minus coefficients degrees of freedom (:func:`backstride.analysis.imputation.rubin`): with a
few dozen onsets the Wald z test rejects a true null in about 6-7% of runners, not 5% (found by the
size check on 1,000 simulated runners). When a factor falls
short the message estimates how many more runs would reach the rule at the current onset rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from backstride.analysis.counting import Column, Design, PooledFit, build_design, fit_imputed
from backstride.analysis.factor_rules import (
    MIN_RUNS_PER_LEVEL,
    data_check,
    past_check,
)
from backstride.analysis.imputation import N_IMPUTATIONS, Imputed, impute_onsets
from backstride.analysis.result_format import Result, fmt_p, fmt_ratio
from backstride.analysis.survival import survival_columns

PENALTY_PER_EVENT = 0.01
MIN_EVENTS_PER_FACTOR = 10
#: A factor whose values move with an earlier factor's this closely (|Pearson r|) is shown on its own,
#: not adjusted for it: the two cannot be told apart in one runner's data.
MAX_CORRELATION = 0.9
PH_ALPHA = 0.05
Q_FLAG = 0.05


@dataclass(frozen=True)
class Factor:
    """A candidate factor: a column of the runs frame.

    ``label`` is a condition phrase that starts a sentence: "within 48 h of a max-effort lower day"
    (binary) or "with each extra day of glute work in the previous 7 days" (continuous, per ``per``
    units of the column). ``short`` is a few words for tables and messages. A ``past`` factor is on
    while the runner is past ``column`` x (1 + ``margin``) metres inside the run (NaN: unknown).
    ``adjusted`` false: offered on its own only, never in the multivariable model (a factor that
    largely measures the same thing as another one, such as tonnage beside max-effort days).
    """

    name: str
    label: str
    kind: Literal["binary", "continuous", "past"] = "binary"
    per: float = 1.0
    short: str = ""
    column: str = ""
    margin: float = 0.0
    adjusted: bool = True

    def __post_init__(self) -> None:
        if not self.per > 0:
            raise ValueError("Factor.per must be positive")
        if self.kind == "past" and self.per != 1.0:
            raise ValueError("a 'past' factor is 0/1: its per must be 1")

    @property
    def title(self) -> str:
        return self.short or self.name.replace("_", " ")

    @property
    def source(self) -> str:
        """The runs-frame column the factor is read from."""
        return self.column or self.name

    def threshold(self, runs: pd.DataFrame) -> np.ndarray:
        """A ``past`` factor's distance per run (metres; NaN when unknown)."""
        return runs[self.source].to_numpy(float) * (1.0 + self.margin)


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
        """One result per factor, to headline: the adjusted one when the factor is in the
        multivariable model, else its univariable one (analysed on its own, or too little data)."""
        if self.multivariable is None:
            return self.univariable
        adjusted = {r.name: r for r in self.multivariable}
        return [adjusted.get(r.name, r) for r in self.univariable]

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


def _results(
    fit: PooledFit, factors: list[Factor], model: Literal["univariable", "multivariable"]
) -> list[FactorResult]:
    out = []
    for f in factors:
        j = fit.names.index(f.name)
        pooled = fit.coef[j]
        lo, hi = pooled.ci()
        scale = f.per
        ph = float(fit.ph_p_value[j])
        out.append(
            FactorResult(
                name=f.name,
                label=f.label,
                model=model,
                status="ok",
                n_runs=fit.n_runs,
                n_events=fit.n_events,
                hazard_ratio=float(np.exp(pooled.estimate * scale)),
                ci_low=float(np.exp(lo * scale)),
                ci_high=float(np.exp(hi * scale)),
                p_value=pooled.p_value,
                ph_p_value=ph if np.isfinite(ph) else None,
                ph_ok=bool(ph >= PH_ALPHA) if np.isfinite(ph) else None,
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


@dataclass
class _Data:
    """What every model of one analysis shares: the completed data sets and the onset bounds."""

    imputed: Imputed
    left: np.ndarray
    right: np.ndarray
    distance: np.ndarray


def _columns(
    runs: pd.DataFrame, data: _Data, chosen: list[Factor], keep: np.ndarray
) -> tuple[list[Column], np.ndarray, str | None]:
    """The model's columns over the runs in ``keep`` (updated: a ``past`` factor's unknown-threshold
    runs get an indicator column when there are enough of them, else they are left out)."""
    cols: list[Column] = []
    keep = keep.copy()
    note = None
    for f in chosen:
        if f.kind != "past":
            cols.append(Column(f.name, runs[f.source].to_numpy(float)))
            continue
        threshold = f.threshold(runs)
        unknown = ~np.isfinite(threshold) & keep
        with_onset = int((unknown & data.imputed.events).sum())
        if unknown.sum() >= MIN_RUNS_PER_LEVEL and with_onset >= 1:
            cols.append(Column(f"{f.name}_none", unknown.astype(float)))
            note = (
                f"{int(unknown.sum())} runs came after a break (no run in the 30 days before), so "
                f"{f.title} is unknown for them: they are counted apart, not as safe runs"
            )
        else:
            keep &= np.isfinite(threshold)
        cols.append(Column(f.name, threshold=threshold))
    return cols, keep, note


def _design(
    runs: pd.DataFrame, data: _Data, chosen: list[Factor], keep: np.ndarray
) -> tuple[Design, int, int, str | None]:
    cols, keep, note = _columns(runs, data, chosen, keep)
    return build_design(data.imputed, cols, keep), int(keep.sum()), int(data.imputed.events[keep].sum()), note


def _fit(
    runs: pd.DataFrame, data: _Data, models: list[tuple[list[Factor], np.ndarray]]
) -> list[tuple[PooledFit, str | None]]:
    """Fit each (factors, runs kept) model on every completed data set, in as few batches as possible."""
    built = [_design(runs, data, chosen, keep) for chosen, keep in models]
    fits = fit_imputed([b[0] for b in built], [b[1] for b in built], [b[2] for b in built], PENALTY_PER_EVENT)
    return [(fit, b[3]) for fit, b in zip(fits, built, strict=True)]


def _check(runs: pd.DataFrame, data: _Data, f: Factor) -> tuple[bool, str, int | None, np.ndarray]:
    events = data.imputed.events
    if f.kind == "past":
        keep = np.ones(events.size, bool)
        ok, message, more = past_check(f.threshold(runs), data.imputed.exits[0], events, f)
        return ok, message, more, keep
    values = runs[f.source].to_numpy(float)
    keep = np.isfinite(values)
    ok, message, more = data_check(values[keep], events[keep], f)
    return ok, message, more, keep


def _separable(runs: pd.DataFrame, usable: list[Factor], notes: list[str]) -> list[Factor]:
    """``usable`` without the factors offered on their own and those that move with an earlier one
    (see :data:`MAX_CORRELATION`)."""
    kept: list[Factor] = []
    alone = [f.title for f in usable if not f.adjusted]
    if alone:
        notes.append(f"{', '.join(alone)}: shown on its own, not adjusted for the other factors")
    for f in (f for f in usable if f.adjusted):
        if f.kind == "past":
            kept.append(f)
            continue
        v = runs[f.source].to_numpy(float)
        clash = None
        for g in kept:
            if g.kind == "past":
                continue
            w = runs[g.source].to_numpy(float)
            both = np.isfinite(v) & np.isfinite(w)
            if both.sum() > 2 and np.std(v[both]) > 0 and np.std(w[both]) > 0:
                r = float(np.corrcoef(v[both], w[both])[0, 1])
                if abs(r) > MAX_CORRELATION:
                    clash = (g, r)
                    break
        if clash is None:
            kept.append(f)
        else:
            notes.append(
                f"{f.title} is shown on its own, not adjusted: it moves with {clash[0].title} "
                f"(correlation {clash[1]:.2f}), so your runs cannot tell the two apart"
            )
    return kept


def analyze_factors(
    runs: pd.DataFrame, factors: list[Factor], imputations: int = N_IMPUTATIONS, seed: int = 0
) -> FactorAnalysis:
    """Cox models of the onset distance on each factor (columns of ``runs``; see module doc).

    Onsets known only to an interval are multiply imputed (``imputations`` completed data sets,
    seeded). Rows with a missing value of a fixed factor are left out of that factor's univariable
    model and of the multivariable one.
    """
    left, right = survival_columns(runs)
    distance = runs["distance_m"].to_numpy(float)
    data = _Data(impute_onsets(left, right, imputations, seed), left, right, distance)
    events = data.imputed.events
    by_name = {f.name: f for f in factors}
    uni: list[FactorResult] = []
    usable: list[Factor] = []
    notes: list[str] = []
    checked = [(f, *_check(runs, data, f)) for f in factors]
    to_fit = [(f, keep) for f, ok, _, _, keep in checked if ok]
    fitted = dict(
        zip([f.name for f, _ in to_fit], _fit(runs, data, [([f], k) for f, k in to_fit]), strict=True)
    )
    for f, ok, message, more, keep in checked:
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
        fit, note = fitted[f.name]
        if fit.error is not None:
            uni.append(
                FactorResult(
                    f.name,
                    f.label,
                    "univariable",
                    "failed",
                    n_k,
                    d_k,
                    sentence=f"{f.title}: could not be estimated ({fit.error}).",
                )
            )
            continue
        if note and note not in notes:
            notes.append(note)
        uni.extend(_results(fit, [f], "univariable"))
        usable.append(f)
    _finish(uni, by_name)
    multi: list[FactorResult] | None = None
    usable = _separable(runs, usable, notes)
    if len(usable) >= 2:
        keep = np.ones(events.size, bool)
        for f in usable:
            if f.kind != "past":
                keep &= np.isfinite(runs[f.source].to_numpy(float))
        d_k = int(events[keep].sum())
        if d_k >= MIN_EVENTS_PER_FACTOR * len(usable):
            fit, _ = _fit(runs, data, [(usable, keep)])[0]
            if fit.error is None:
                multi = _results(fit, usable, "multivariable")
                _finish(multi, by_name)
            else:
                notes.append(f"the factors could not be adjusted for each other ({fit.error})")
        else:
            notes.append(
                f"too few onsets ({d_k}) to adjust {len(usable)} factors for each other "
                f"(needs {MIN_EVENTS_PER_FACTOR} per factor); each is shown on its own"
            )
    if data.imputed.m > 1:
        notes.append(
            f"{int(data.imputed.interval.sum())} onsets are known only to a lap or not at all: the models "
            f"average {data.imputed.m} completed data sets drawn from your pain-free curve"
        )
    notes.append("these are associations in your own runs, not proof of cause")
    return FactorAnalysis(uni, multi, int(left.size), int(events.sum()), notes)
