"""All findings of one runner in one object: :func:`analyze_user`.

From the store to answers: the feature table (:mod:`backstride.analysis.features`), the pain-free
distance (Kaplan-Meier or Turnbull) with the chance of finishing the target pain-free, its trend
(:mod:`backstride.analysis.trend`), the factors (Cox, univariable and adjusted, Benjamini-Hochberg),
the terrain inside runs (piecewise exponential), what changed when, and what the data cannot tell
yet. ``to_dict()`` is the stable ``backstride analyze --json`` shape; ``to_text()`` the plain-words
summary. Findings are associations with uncertainty, never diagnoses.

Which runs count: runs with a confirmed report (pain or pain-free). A lap-button draft the runner has
not confirmed stays out (a stray press is not an onset), and a run with no report is unknown, not
pain-free: runners log painful runs more often than good ones, so either choice would move the
headline. Two sensitivity lines show how far: the estimate with the unconfirmed drafts counted, and
the estimate if every run with no report was pain-free (:class:`Sensitivity`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from backstride.analysis.factors import FactorAnalysis, FactorResult, analyze_factors
from backstride.analysis.features import MODEL_FACTORS, feature_table, reported_runs
from backstride.analysis.features_terrain import Streams
from backstride.analysis.result_format import Result, fmt_m, fmt_p, jsonable
from backstride.analysis.survival import MIN_RUNS, Estimate, PainFreeResult, pain_free_distance
from backstride.analysis.terrain import TerrainResult
from backstride.analysis.terrain_runs import terrain_of_runs
from backstride.analysis.trend import Trend, period_trend
from backstride.units import DEFAULT_TARGETS

#: The headline pain-free distance uses the runs of this many days before the last run ("now"); a
#: long history mixes years of adaptation, and the trend shows the rest. With fewer than
#: :data:`MIN_RUNS` runs in that window, all runs are used.
RECENT_DAYS = 365
#: Bootstrap resamples for Turnbull CIs.
N_BOOT = 200


@dataclass
class Sensitivity(Result):
    """The headline pain-free distance under another choice of runs (see the module docstring)."""

    label: str
    runs: int
    events: int
    median_m: float | None
    beyond: bool
    longest_m: float | None
    p_target: Estimate | None
    enough: bool = True

    def text_lines(self) -> list[str]:
        if not self.enough:
            return [f"{self.label}: too few runs for an estimate"]
        median = f"beyond {fmt_m(self.longest_m)}" if self.beyond else fmt_m(self.median_m)
        line = f"{self.label}: median {median} ({self.runs} runs, {self.events} onsets)"
        if self.p_target is not None and self.p_target.value is not None:
            line += f", chance of the target pain-free {self.p_target.value:.0%}"
        return [line]

    @classmethod
    def of(cls, label: str, result: PainFreeResult) -> Sensitivity:
        return cls(
            label,
            result.runs,
            result.events,
            result.median_m,
            result.beyond,
            result.longest_m,
            result.p_target,
            result.enough,
        )


@dataclass
class Change(Result):
    """Something that changed on a day (a routine taken up, a new shoe)."""

    day: date
    what: str

    def text_lines(self) -> list[str]:
        return [f"{self.day:%Y-%m-%d}: {self.what}"]


@dataclass
class Findings(Result):
    """Everything :func:`analyze_user` found (see the module docstring)."""

    user_id: int
    runs: int
    reported: int
    unknown: int
    target_m: float
    enough_data: bool
    pain_free: PainFreeResult
    trend: Trend
    factor_analysis: FactorAnalysis | None
    terrain: TerrainResult | None
    changes: list[Change]
    cannot_tell: list[str]
    drafts: int = 0
    sensitivity: list[Sensitivity] = field(default_factory=list)
    table: pd.DataFrame = field(repr=False, metadata={"json": False}, default_factory=pd.DataFrame)
    streams: dict[int, Streams] = field(repr=False, metadata={"json": False}, default_factory=dict)

    @property
    def factors(self) -> list[FactorResult]:
        return self.factor_analysis.primary if self.factor_analysis is not None else []

    def to_dict(self) -> dict[str, Any]:
        fa = self.factor_analysis
        return {
            "runs": {
                "total": self.runs,
                "reported": self.reported,
                "unknown": self.unknown,
                "drafts": self.drafts,
            },
            "enough_data": self.enough_data,
            "target_m": self.target_m,
            "pain_free": self.pain_free.to_dict(),
            "trend": self.trend.to_dict(),
            "factors": [f.to_dict() for f in self.factors],
            "factors_model": None if fa is None else ("multivariable" if fa.multivariable else "univariable"),
            "factors_univariable": [] if fa is None else [f.to_dict() for f in fa.univariable],
            "factor_notes": [] if fa is None else list(fa.notes),
            "terrain": None if self.terrain is None else self.terrain.to_dict(),
            "changes": [jsonable(c) for c in self.changes],
            "cannot_tell": list(self.cannot_tell),
            "sensitivity": [x.to_dict() for x in self.sensitivity],
        }

    def text_lines(self) -> list[str]:
        lines = [f"{self.runs} runs, {self.reported} with a pain report ({self.unknown} without: left out)."]
        if self.drafts:
            lines.append(f"{self.drafts} lap-button drafts wait for your confirmation: left out until then.")
        if not self.enough_data:
            lines.append(
                f"Not enough data yet: {self.reported} runs with a pain report; about {MIN_RUNS} are "
                "needed for a first estimate. Log pain (or 'none') after each run."
            )
        lines += self.pain_free.text_lines()
        lines += [f"- {x.to_text()}" for x in self.sensitivity]
        lines.append(f"Trend: {self.trend.sentence}")
        if self.factor_analysis is not None:
            lines += self.factor_analysis.text_lines()
        if self.terrain is not None:
            lines += self.terrain.text_lines()
        if self.changes:
            lines.append("What changed: " + "; ".join(c.to_text() for c in self.changes))
        lines.append("What the data cannot tell yet:")
        lines += [f"- {c}" for c in self.cannot_tell]
        return lines


def _changes(table: pd.DataFrame) -> list[Change]:
    out: list[Change] = []
    for col, words in (
        ("glute_days_7d", "glute work taken up"),
        ("core_days_7d", "core work taken up"),
        ("stretch_days_7d", "stretching taken up"),
        ("back_extensor_days_7d", "back-extensor work taken up"),
    ):
        values = table[col].to_numpy(float)
        regular = np.nonzero(values >= 2)[0]
        if regular.size:
            out.append(Change(table["date"].iloc[int(regular[0])], words))
    shoes = table["shoe"]
    first = shoes.notna() & (shoes != shoes.ffill().shift())
    for i in np.nonzero(first.to_numpy())[0][1:]:
        out.append(Change(table["date"].iloc[int(i)], f"new shoe: {shoes.iloc[int(i)]}"))
    return sorted(out, key=lambda c: c.day)


def _factors(runs: pd.DataFrame, cannot: list[str]) -> FactorAnalysis | None:
    logged = []
    for f in MODEL_FACTORS:
        if runs[f.source].notna().any():
            logged.append(f)
        else:
            cannot.append(
                f"{f.title[:1].upper()}{f.title[1:]}: nothing logged yet, so its link cannot be checked."
            )
    if not logged or runs.empty:
        return None
    return analyze_factors(runs, logged)


def _cannot_tell(findings: Findings, cannot: list[str]) -> list[str]:
    pf = findings.pain_free
    out = list(cannot)
    if findings.unknown:
        line = f"{findings.unknown} runs have no pain report; they are left out, not counted as pain-free."
        unknown = next((x for x in findings.sensitivity if x.label.startswith("If the")), None)
        if unknown is not None and unknown.enough:
            line += " " + unknown.to_text() + "."
        out.append(line)
    if not pf.enough:
        out.append(f"The pain-free distance: fewer than {MIN_RUNS} runs with a confirmed report so far.")
    elif pf.median_m is None:
        out.append("The median pain-free distance: fewer than half of your runs have reached an onset yet.")
    elif pf.ci_m[1] is None:
        out.append("How long the pain-free distance could be at best: the upper end of its range is open.")
    fa = findings.factor_analysis
    if fa is not None:
        for r in fa.univariable:
            if r.status != "ok":
                out.append(r.sentence)
        for r in fa.primary:
            if r.ph_ok is False:
                out.append(
                    f"The link with {MODEL_BY_NAME[r.name].title} may change along the run "
                    f"(proportional-hazards check p = {fmt_p(r.ph_p_value)}); its ratio is an average."
                )
    if findings.terrain is not None:
        out += [t.sentence for t in findings.terrain.terms if t.status != "ok"]
        out += [n for n in findings.terrain.notes if "not enough" in n]
    out.append("Whether any of these causes the pain: these are associations in your own runs.")
    return out


MODEL_BY_NAME = {f.name: f for f in MODEL_FACTORS}


def recent_runs(runs: pd.DataFrame, days: int = RECENT_DAYS) -> pd.DataFrame:
    """The runs of the last ``days`` days before the latest run (all runs if that leaves too few)."""
    start = pd.to_datetime(runs["start"])
    recent = runs[start >= start.max() - pd.Timedelta(days=days)]
    return recent if len(recent) >= MIN_RUNS else runs


def analyze_user(
    conn_or_engine: Connection | Engine, user_id: int, target_m: float | None = None
) -> Findings:
    """Build the feature table of ``user_id`` and every finding from it (see the module docstring)."""
    streams: dict[int, Streams] = {}
    table = feature_table(conn_or_engine, user_id, streams_out=streams)
    return analyze_table(table, streams, user_id, target_m)


def _sensitivity(table: pd.DataFrame, target: float, drafts: int, unknown: int) -> list[Sensitivity]:
    out: list[Sensitivity] = []
    if drafts:
        with_drafts = reported_runs(table, drafts=True)
        result = pain_free_distance(recent_runs(with_drafts), target_m=target, n_boot=N_BOOT)
        out.append(Sensitivity.of(f"With the {drafts} unconfirmed lap-button drafts counted", result))
    if unknown:
        filled = table.copy()
        missing = filled["pain_status"] == "unknown"
        filled.loc[missing, "pain_status"] = "none"
        filled.loc[missing, ["onset_m", "onset_low_m", "onset_high_m"]] = np.nan
        filled.loc[missing, "pain_confirmed"] = True
        result = pain_free_distance(recent_runs(reported_runs(filled)), target_m=target, n_boot=N_BOOT)
        out.append(Sensitivity.of(f"If the {unknown} runs with no report were pain-free", result))
    return out


def analyze_table(
    table: pd.DataFrame, streams: dict[int, Streams], user_id: int, target_m: float | None = None
) -> Findings:
    """Every finding from a feature table and its analysis streams (see :func:`analyze_user`)."""
    target = DEFAULT_TARGETS["mi"] if target_m is None else float(target_m)
    runs = reported_runs(table) if not table.empty else pd.DataFrame()
    if runs.empty:
        pain_free = PainFreeResult("kaplan-meier", 0, 0, 0, None, (None, None), target, None, enough=False)
    else:
        pain_free = pain_free_distance(recent_runs(runs), target_m=target, n_boot=N_BOOT)
    cannot: list[str] = []
    enough = len(runs) >= MIN_RUNS and pain_free.events > 0
    trend = (
        period_trend(runs, target, n_boot=N_BOOT)
        if not runs.empty
        else Trend([], None, None, None, None, "no reported runs yet", target)
    )
    factor_analysis = _factors(runs, cannot) if enough else None
    terrain = terrain_of_runs(runs, streams) if enough else None
    if not enough:
        cannot.append(
            f"Almost everything: {len(runs)} runs with a pain report and {pain_free.events} onsets so far."
        )
    unknown = int((table["pain_status"] == "unknown").sum()) if not table.empty else 0
    drafts = 0
    if not table.empty:
        drafts = int(((table["pain_status"] != "unknown") & (table["pain_confirmed"] == False)).sum())  # noqa: E712
    findings = Findings(
        user_id=user_id,
        runs=len(table),
        reported=len(runs),
        unknown=unknown,
        target_m=target,
        enough_data=enough,
        pain_free=pain_free,
        trend=trend,
        factor_analysis=factor_analysis,
        terrain=terrain,
        changes=_changes(table) if not table.empty else [],
        cannot_tell=[],
        drafts=drafts,
        sensitivity=_sensitivity(table, target, drafts, unknown) if not table.empty else [],
        table=table,
        streams=streams,
    )
    findings.cannot_tell = _cannot_tell(findings, cannot)
    return findings
