"""The findings for notebooks: :class:`Analysis`, with ``summary`` tables, a text form and HTML.

Everything renders from the findings objects of :mod:`backstride.analysis` (the same ones behind
``backstride analyze`` and the report), in the runner's unit: the text is the findings' own summary
lines (:meth:`~backstride.analysis.findings.Findings.text_lines`) with their SI quantities rewritten
into miles or kilometres by :func:`backstride.units.localize` (the report's ``say`` filter); the
tables are built from the result dataclasses, distances in the unit (columns named ``..._mi`` or
``..._km``), ratios, p-values and probabilities as numbers; the HTML (``_repr_html_``, what Jupyter
shows) is the text followed by the tables, through a Jinja template of the report, with numbers
formatted as the report formats them (:mod:`backstride.analysis.result_format`).
"""

from __future__ import annotations

import functools
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from backstride.analysis.factors import FactorAnalysis
from backstride.analysis.features import MODEL_FACTORS
from backstride.analysis.findings import Findings, Sensitivity
from backstride.analysis.result_format import fmt_p, fmt_ratio
from backstride.analysis.survival import Estimate, PainFreeResult
from backstride.analysis.terrain import TerrainResult
from backstride.analysis.trend import Trend, WindowResult
from backstride.errors import ValidationError
from backstride.report.templating import render
from backstride.units import distance_in, localize

#: The tables of :attr:`Analysis.summary`, in order, with their headings.
TABLES = {
    "pain_free": "Pain-free distance",
    "trend": "Trend: rolling 8-week windows",
    "factors": "What goes with an earlier or later onset (Cox models)",
    "terrain": "Terrain inside the runs (piecewise-exponential model)",
}


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _chance(p: Estimate | None) -> dict[str, float]:
    """A chance of the target pain-free as three columns (NaN where not estimable)."""
    if p is None:
        return {"p_target": math.nan, "p_target_low": math.nan, "p_target_high": math.nan}
    return {
        "p_target": _number(p.value),
        "p_target_low": _number(p.ci_low),
        "p_target_high": _number(p.ci_high),
    }


def _frame(rows: list[dict[str, Any]], columns: list[str], index: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[index, *columns])
    return frame.set_index(index)


def _dist(metres: float | None, unit: str) -> float:
    return math.nan if metres is None else distance_in(metres, unit)


def _estimate_columns(unit: str) -> list[str]:
    return [
        "runs",
        "onsets",
        f"median_{unit}",
        f"ci_low_{unit}",
        f"ci_high_{unit}",
        "beyond",
        f"longest_{unit}",
        "p_target",
        "p_target_low",
        "p_target_high",
    ]


def _estimate(result: PainFreeResult | Sensitivity | WindowResult, unit: str) -> dict[str, Any]:
    """What every pain-free estimate has: runs, onsets, the median with its CI (a sensitivity line
    has none), whether it lies beyond the longest run, and the chance of the target."""
    low, high = getattr(result, "ci_m", (None, None))
    return {
        "runs": result.runs,
        "onsets": result.events,
        f"median_{unit}": _dist(result.median_m, unit),
        f"ci_low_{unit}": _dist(low, unit),
        f"ci_high_{unit}": _dist(high, unit),
        "beyond": result.beyond,
        f"longest_{unit}": _dist(result.longest_m, unit),
        **_chance(result.p_target),
    }


def pain_free_frame(findings: Findings, unit: str) -> pd.DataFrame:
    """The headline pain-free distance, then each sensitivity line (index ``estimate``)."""
    pf = findings.pain_free
    target = {f"target_{unit}": _dist(findings.target_m, unit)}
    rows = [
        {
            "estimate": "headline",
            "method": pf.method,
            "enough": pf.enough,
            "onsets_in_a_lap": pf.interval_censored,
            **target,
            **_estimate(pf, unit),
        }
    ]
    for s in findings.sensitivity:
        rows.append({"estimate": localize(s.label, unit), "enough": s.enough, **target, **_estimate(s, unit)})
    columns = ["method", "enough", "onsets_in_a_lap", f"target_{unit}", *_estimate_columns(unit)]
    return _frame(rows, columns, "estimate")


def trend_frame(trend: Trend, unit: str) -> pd.DataFrame:
    """One row per rolling window (the trend chart's points); windows with too few runs are absent."""
    rows = [
        {"window": i, "start": w.start.date(), "end": w.end.date(), **_estimate(w, unit)}
        for i, w in enumerate(trend.windows)
    ]
    return _frame(rows, ["start", "end", *_estimate_columns(unit)], "window")


FACTOR_COLUMNS = [
    "title",
    "model",
    "status",
    "runs",
    "onsets",
    "per",
    "hazard_ratio",
    "ci_low",
    "ci_high",
    "p",
    "q",
    "ph_p",
    "flagged",
    "more_runs_needed",
    "sentence",
]


def factors_frame(analysis: FactorAnalysis | None, unit: str) -> pd.DataFrame:
    """One row per factor, its headline model (adjusted when it is in the multivariable one)."""
    titles = {f.name: f.title for f in MODEL_FACTORS}
    rows = [
        {
            "factor": r.name,
            "title": titles.get(r.name, r.name.replace("_", " ")),
            "model": r.model,
            "status": r.status,
            "runs": r.n_runs,
            "onsets": r.n_events,
            "per": r.per,
            "hazard_ratio": _number(r.hazard_ratio),
            "ci_low": _number(r.ci_low),
            "ci_high": _number(r.ci_high),
            "p": _number(r.p_value),
            "q": _number(r.q_value),
            "ph_p": _number(r.ph_p_value),
            "flagged": r.flagged,
            "more_runs_needed": r.more_runs_needed,
            "sentence": localize(r.sentence, unit),
        }
        for r in (analysis.primary if analysis is not None else [])
    ]
    return _frame(rows, FACTOR_COLUMNS, "factor")


def terrain_frame(terrain: TerrainResult | None, unit: str) -> pd.DataFrame:
    """One row per terrain term: the rate ratio of onsets per distance run pain-free."""
    exposure = f"exposure_with_{unit}"
    columns = [
        "label",
        "status",
        "rate_ratio",
        "ci_low",
        "ci_high",
        "p",
        "q",
        "onsets_with",
        exposure,
        "sentence",
    ]
    rows = [
        {
            "term": t.name,
            "label": localize(t.label, unit),
            "status": t.status,
            "rate_ratio": _number(t.rate_ratio),
            "ci_low": _number(t.ci_low),
            "ci_high": _number(t.ci_high),
            "p": _number(t.p_value),
            "q": _number(t.q_value),
            "onsets_with": t.events_with,
            exposure: _dist(None if t.exposure_km_with is None else t.exposure_km_with * 1000, unit),
            "sentence": localize(t.sentence, unit),
        }
        for t in (terrain.terms if terrain is not None else [])
    ]
    return _frame(rows, columns, "term")


def _cell(column: str, value: Any) -> str:
    """A table cell as the report writes numbers."""
    if value is None or (isinstance(value, float | np.floating) and not math.isfinite(value)):
        return "-"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if column in ("p", "q", "ph_p"):
            return fmt_p(float(value))
        if column in ("hazard_ratio", "rate_ratio", "ci_low", "ci_high"):
            return fmt_ratio(float(value))
        if column.startswith("p_target"):
            return f"{value:.0%}"
        if column.endswith(("_mi", "_km")):
            return f"{value:,.2f}"
        return f"{value:,.4g}"
    return str(value)


class Analysis:
    """Every finding for one runner, in ``unit`` (``"mi"`` or ``"km"``); made by
    :func:`backstride.analyze`.

    ``summary``: the tables (pandas DataFrames) ``pain_free``, ``trend``, ``factors`` and
    ``terrain`` (see :data:`TABLES`); ``str(analysis)`` or :meth:`to_text`: the findings in plain
    words; in a notebook the object shows as HTML (both, formatted as the report formats them);
    :meth:`to_dict`: the ``backstride analyze --json`` shape (SI units); ``findings``: the result
    objects behind it all; ``table``: the per-run feature table it was computed from.
    """

    def __init__(self, findings: Findings, *, unit: str) -> None:
        if unit not in ("mi", "km"):
            raise ValidationError(f"unit must be 'mi' or 'km', not {unit!r}")
        self.findings = findings
        self.unit = unit

    @property
    def table(self) -> pd.DataFrame:
        """The per-run feature table the findings were computed from (SI units)."""
        return self.findings.table

    @functools.cached_property
    def summary(self) -> dict[str, pd.DataFrame]:
        """The summary tables by name, in the order of :data:`TABLES`."""
        f, unit = self.findings, self.unit
        return {
            "pain_free": pain_free_frame(f, unit),
            "trend": trend_frame(f.trend, unit),
            "factors": factors_frame(f.factor_analysis, unit),
            "terrain": terrain_frame(f.terrain, unit),
        }

    def text_lines(self) -> list[str]:
        """The findings' summary lines, in the unit."""
        return [localize(line, self.unit) for line in self.findings.text_lines()]

    def to_text(self) -> str:
        """The findings in plain words, one finding a line, in the unit."""
        return "\n".join(self.text_lines())

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        f = self.findings
        reported = f"{f.reported} with a pain report"
        return f"<Analysis of user {f.user_id}: {f.runs} runs, {reported}; unit {self.unit}>"

    def to_dict(self) -> dict[str, Any]:
        """The ``backstride analyze --json`` object (metres; plain JSON types)."""
        return self.findings.to_dict()

    def _paragraphs(self) -> list[dict[str, Any]]:
        """The text lines as paragraphs: a line that starts with "- " or "Note: " belongs to the
        paragraph before it."""
        out: list[dict[str, Any]] = []
        for line in self.text_lines():
            if out and line.startswith("- "):
                out[-1]["items"].append(line[2:])
            elif out and line.startswith("Note: "):
                out[-1]["notes"].append(line[6:])
            else:
                out.append({"text": line, "items": [], "notes": []})
        return out

    def _tables(self) -> list[dict[str, Any]]:
        tables = []
        for name, frame in self.summary.items():
            shown = [c for c in frame.columns if c != "sentence"]
            rows = [
                [str(index), *(_cell(c, row[c]) for c in shown)]
                for index, row in zip(frame.index, frame.to_dict("records"), strict=True)
            ]
            tables.append(
                {"name": name, "heading": TABLES[name], "columns": [frame.index.name, *shown], "rows": rows}
            )
        return tables

    def _repr_html_(self) -> str:
        return render("summary.html.j2", paragraphs=self._paragraphs(), tables=self._tables(), unit=self.unit)


__all__ = ["TABLES", "Analysis", "factors_frame", "pain_free_frame", "terrain_frame", "trend_frame"]
