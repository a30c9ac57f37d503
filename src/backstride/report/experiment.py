"""An n-of-1 experiment's CENT-style report as a self-contained HTML fragment (a ``<section>``).

The words are those of the text report (:mod:`backstride.experiments.report`); the page adds the
periods as a table and a chart of the outcome by day, period and condition (inline SVG, no scripts,
no external resources), from the templates ``experiment.html.j2`` and ``experiment_chart.svg.j2``
(autoescaped: a title the runner typed is shown, never run).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd
from markupsafe import Markup
from sqlalchemy import Connection

from backstride.experiments.analysis import Analysis
from backstride.experiments.model import OUTCOME_SPECS
from backstride.experiments.report import (
    DISCLAIMER,
    effect_text,
    load_report,
    model_text,
    period_summary,
    report_text,
)
from backstride.experiments.store import Experiment
from backstride.report.templating import render
from backstride.units import distance_in

#: Fill colours of the two conditions in the chart (A: usual, B: the remedy).
COLOURS = {"A": "#6b7280", "B": "#2563eb"}


def chart_context(
    obs: pd.DataFrame,
    result: Analysis,
    log_scale: bool,
    width: int = 640,
    height: int = 220,
    unit: str = "km",
) -> dict[str, Any] | None:
    """The chart's geometry in SVG units: every observation by day, periods shaded by condition,
    washout days hatched (distances in ``unit``); ``None`` before there are periods."""
    if not result.periods:
        return None
    start = date.fromisoformat(result.periods[0]["start"])
    end = date.fromisoformat(result.periods[-1]["end"])
    days = (end - start).days + 1
    left, right, top, bottom = 48, 10, 10, 28
    pw, ph = width - left - right, height - top - bottom
    vals = obs["value"].to_numpy(float)
    vals = vals[pd.notna(vals)]
    scale = 1.0 / distance_in(1.0, unit) if log_scale else 1.0  # metres per display unit
    vmax = max(10.0, float(vals.max()) / scale * 1.1) if log_scale and vals.size else 10.0
    vmax = vmax if log_scale else 10.0

    def at(day: date) -> float:
        return left + pw * (day - start).days / days

    periods = []
    for p in result.periods:
        x0 = at(date.fromisoformat(p["start"]))
        x1 = left + pw * ((date.fromisoformat(p["end"]) - start).days + 1) / days
        w0 = at(date.fromisoformat(p["washout_until"]))
        periods.append(
            {
                "x": x0,
                "width": x1 - x0,
                "washout": w0 - x0,
                "middle": (x0 + x1) / 2,
                "condition": p["condition"],
                "colour": COLOURS[p["condition"]],
            }
        )
    points = []
    for _, r in obs.iterrows():
        if not math.isfinite(r["value"]):
            continue
        kind = "open" if not r["used"] else "censored" if r["censored"] and log_scale else "dot"
        points.append(
            {
                "kind": kind,
                "x": left + pw * ((r["day"] - start).days + 0.5) / days,
                "y": top + ph * (1 - min(r["value"] / scale, vmax) / vmax),
                "colour": COLOURS[r["condition"]],
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "plot_height": ph,
        "periods": periods,
        "points": points,
        "ticks": [(top + ph * (1 - tick / vmax), tick) for tick in (0.0, vmax / 2, vmax)],
        "axis": unit if log_scale else "0-10",
    }


def experiment_report_html(
    conn: Connection, user_id: int, experiment_id: int, *, unit: str = "km", chart_width: int = 640
) -> str:
    """The report as a self-contained HTML fragment (a ``<section>``; no scripts, no external links);
    distances in ``unit``, the chart ``chart_width`` SVG units wide."""
    exp, result, obs = load_report(conn, user_id, experiment_id)
    return report_html(exp, result, obs, unit=unit, chart_width=chart_width)


def report_html(
    exp: Experiment, result: Analysis, obs: pd.DataFrame, *, unit: str = "km", chart_width: int = 640
) -> str:
    """:func:`experiment_report_html` of an experiment already analysed."""
    spec = OUTCOME_SPECS[exp.outcome]
    text_lines = report_text(exp, result, unit=unit).split("\n")
    periods = [
        [
            p["pair"],
            p["condition"],
            p["start"],
            p["end"],
            p["washout_until"],
            p["observations"],
            p["used"],
            "" if p["pain_free"] is None else p["pain_free"],
            period_summary(p, spec.log_scale, unit),
        ]
        for p in result.periods
    ]
    chart = chart_context(obs, result, spec.log_scale, chart_width, unit=unit)
    return render(
        "experiment.html.j2",
        exp=exp,
        design=text_lines[1:3],
        periods=periods,
        chart=Markup(render("experiment_chart.svg.j2", c=chart)) if chart is not None else "",
        outcome=spec.label,
        data_text=" ".join(t for t in text_lines if t.startswith(("Adherence", "Used"))),
        model=model_text(exp, result),
        effect=effect_text(result, spec.log_scale),
        result=result,
        randomisation=None if result.randomisation is None else result.randomisation.sentence(),
        disclaimer=DISCLAIMER,
    )


__all__ = ["COLOURS", "chart_context", "experiment_report_html", "report_html"]
