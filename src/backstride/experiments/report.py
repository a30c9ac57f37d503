"""A CENT-style experiment report (CENT 2015, BMJ 2015;350:h1738): an HTML fragment and plain text.

Sections: design (randomisation, periods, washout, primary outcome), the periods with their data,
adherence, the model and its terms, the result with its uncertainty and the verdict, the
randomisation test, and a chart of the outcome by period and condition (inline SVG, no scripts, no
external resources). Findings are worded as associations in this one runner, never as a diagnosis.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from backstride.experiments import service
from backstride.experiments.analysis import Analysis
from backstride.experiments.follow import adherence_text
from backstride.experiments.model import OUTCOME_SPECS
from backstride.experiments.store import Experiment
from backstride.experiments.verdict import MEANINGFUL_PROB, NO_DIFFERENCE_PROB, SURE_PROB
from backstride.units import distance_in, format_distance

COLOURS = {"A": "#6b7280", "B": "#2563eb"}


def _dist(metres: float | None, unit: str) -> str:
    """A distance in the runner's unit (``mi`` or ``km``), through :mod:`backstride.units`."""
    return "n/a" if metres is None or not math.isfinite(metres) else format_distance(metres, unit)


def _effect_text(result: Analysis, log_scale: bool) -> str:
    if result.effect is None or result.interval is None:
        return "not estimable yet"
    lo, hi = result.interval
    if log_scale:
        return (
            f"pain-free distance ratio B/A {result.effect:.2f} (95% credible interval {lo:.2f} to {hi:.2f})"
        )
    return f"difference B - A {result.effect:+.1f} points (95% credible interval {lo:+.1f} to {hi:+.1f})"


def _model_text(exp: Experiment, result: Analysis) -> str:
    spec = OUTCOME_SPECS[exp.outcome]
    if spec.log_scale:
        model = (
            "log-normal accelerated failure time model of pain-free distance: log T = a + b*B + terms + e, "
            "e ~ N(0, s^2); pain-free runs right-censored at their length, onsets known to a lap "
            "interval-censored; runs without a pain report left out"
        )
        meaningful = "a ratio of at least 1.3 (30% longer)"
    else:
        model = f"normal model of the {spec.label}: y = a + b*B + terms + e, e ~ N(0, s^2)"
        meaningful = "at least 1 point lower"
    return (
        f"{model}. Terms: {', '.join(result.terms)} (trend with >= 4 pairs; carry-over only without washout; "
        "AR(1) only for the 0-10 scores with >= 10 observations). Weakly informative priors; posterior by "
        "importance sampling around the mode. Meaningful benefit: "
        f"{meaningful}. Verdict rule: benefit if P(meaningful benefit) >= {MEANINGFUL_PROB} and "
        f"P(any benefit) >= {SURE_PROB} (harm likewise); no meaningful difference if P(neither) >= "
        f"{NO_DIFFERENCE_PROB}; otherwise inconclusive. Analysis by assigned condition."
    )


def _load(conn: Connection, user_id: int, experiment_id: int) -> tuple[Experiment, Analysis, pd.DataFrame]:
    exp, result = service.analyze_experiment(conn, user_id, experiment_id)
    obs, _, _ = service.experiment_observations(conn, user_id, exp)
    return exp, result, obs


def _order(sequence: str) -> str:
    return "|".join(sequence[i : i + 2] for i in range(0, len(sequence), 2))


def experiment_report_text(conn: Connection, user_id: int, experiment_id: int, *, unit: str = "km") -> str:
    """The report as plain text (what ``experiment analyze`` prints); distances in ``unit``."""
    exp, result, _ = _load(conn, user_id, experiment_id)
    return report_text(exp, result, unit=unit)


def _carryover_lines(exp: Experiment) -> list[str]:
    """Whether this design's washout covers the remedy's expected carry-over (knowledge base)."""
    remedy = service.resolve_remedy(exp.remedy)
    if not remedy.known or remedy.carryover_days is None or exp.washout_days >= remedy.carryover_days:
        return []
    return [
        f"{remedy.name} is expected to carry over for about {remedy.carryover_days} days after stopping, "
        f"longer than this design's {exp.washout_days}-day washout: the periods mix the two conditions, "
        "so the comparison may understate its effect"
    ]


def report_text(exp: Experiment, result: Analysis, *, unit: str = "km") -> str:
    spec = OUTCOME_SPECS[exp.outcome]
    adh = result.adherence
    lines = [
        f"Experiment {exp.id}: {exp.title}",
        f"Design: {exp.pairs} randomised pairs of {exp.period_days}-day periods from {exp.start_date} "
        f"(order {_order(exp.sequence)}, seed {exp.seed}); "
        f"A = usual, B = {exp.remedy}; washout: first {exp.washout_days} days of each period left out.",
    ]
    lines += [f"Carry-over: {w}." for w in _carryover_lines(exp)]
    lines += [f"Primary outcome: {spec.label}.", "Periods:"]
    for p in result.periods:
        summary = (
            _dist(p["summary"], unit)
            if spec.log_scale
            else ("n/a" if p["summary"] is None else f"{p['summary']:.1f}")
        )
        free = f", {p['pain_free']} pain-free" if p["pain_free"] is not None else ""
        lines.append(
            f"  pair {p['pair']} {p['condition']} {p['start']} to {p['end']}: "
            f"{p['used']} of {p['observations']} used{free}; typical {summary}"
        )
    if adh:
        off = adh.get("runs_off_protocol", 0)
        runs = f"{off} analysed run{'' if off == 1 else 's'}"
        runs_off = f" {runs} on days off protocol." if adh["days"] else ""
        lines.append(f"Adherence: {adherence_text(exp, adh)}{runs_off}")
    excluded = ", ".join(f"{v} {k}" for k, v in result.excluded.items()) or "none"
    lines.append(
        f"Used: {result.observations_used} observations ({result.runs_used} runs); left out: {excluded}."
    )
    lines.append(f"Result: {_effect_text(result, spec.log_scale)}.")
    if result.p_benefit is not None:
        lines.append(
            f"Probability of a meaningful benefit {result.p_benefit:.0%}, "
            f"of meaningful harm {result.p_harm:.0%}, "
            f"of no meaningful difference {result.p_no_difference:.0%}."
        )
    if result.randomisation is not None:
        r = result.randomisation
        lines.append(r.sentence())
    lines.append(result.verdict_text)
    lines.append("This is what your own data show for you, with its uncertainty; it is not a diagnosis.")
    return "\n".join(lines)


def _chart(
    obs: pd.DataFrame,
    result: Analysis,
    log_scale: bool,
    width: int = 640,
    height: int = 220,
    unit: str = "km",
) -> str:
    """Inline SVG: every observation by day, periods shaded by condition, washout days hatched
    (distances in ``unit``)."""
    if not result.periods:
        return ""
    from datetime import date

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

    def x(day: date) -> float:
        return left + pw * ((day - start).days + 0.5) / days

    def y(v: float) -> float:
        return top + ph * (1 - min(v / scale, vmax) / vmax)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="outcome by period and condition">'
    ]
    for p in result.periods:
        s, e = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
        x0 = left + pw * (s - start).days / days
        x1 = left + pw * ((e - start).days + 1) / days
        w0 = left + pw * (date.fromisoformat(p["washout_until"]) - start).days / days
        parts.append(
            f'<rect x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" height="{ph}" '
            f'fill="{COLOURS[p["condition"]]}" fill-opacity="0.08"/>'
        )
        if w0 > x0:
            parts.append(
                f'<rect x="{x0:.1f}" y="{top}" width="{w0 - x0:.1f}" height="{ph}" '
                'fill="#000" fill-opacity="0.06"/>'
            )
        parts.append(
            f'<text x="{(x0 + x1) / 2:.1f}" y="{height - 10}" font-size="11" '
            f'text-anchor="middle">{p["condition"]}</text>'
        )
    for _, r in obs.iterrows():
        if not math.isfinite(r["value"]):
            continue
        colour = COLOURS[r["condition"]]
        cx, cy = x(r["day"]), y(r["value"])
        if not r["used"]:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="none" stroke="{colour}"/>')
        elif r["censored"] and log_scale:
            parts.append(
                f'<path d="M{cx - 4:.1f},{cy + 3:.1f} L{cx:.1f},{cy - 4:.1f} '
                f'L{cx + 4:.1f},{cy + 3:.1f} Z" fill="{colour}"/>'
            )
        else:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{colour}"/>')
    axis = unit if log_scale else "0-10"
    for tick in (0.0, vmax / 2, vmax):
        ty = top + ph * (1 - tick / vmax)
        parts.append(
            f'<text x="{left - 6}" y="{ty + 4:.1f}" font-size="10" text-anchor="end">{tick:.0f}</text>'
        )
    parts.append(f'<text x="4" y="{top + 10}" font-size="10">{axis}</text>')
    parts.append("</svg>")
    return "".join(parts)


def experiment_report_html(
    conn: Connection, user_id: int, experiment_id: int, *, unit: str = "km", chart_width: int = 640
) -> str:
    """The report as a self-contained HTML fragment (a ``<section>``; no scripts, no external links);
    distances in ``unit``, the chart ``chart_width`` SVG units wide."""
    exp, result, obs = _load(conn, user_id, experiment_id)
    return report_html(exp, result, obs, unit=unit, chart_width=chart_width)


def report_html(
    exp: Experiment, result: Analysis, obs: pd.DataFrame, *, unit: str = "km", chart_width: int = 640
) -> str:
    spec = OUTCOME_SPECS[exp.outcome]
    e = html.escape
    text_lines = report_text(exp, result, unit=unit).split("\n")
    rows = []
    for p in result.periods:
        summary = (
            _dist(p["summary"], unit)
            if spec.log_scale
            else ("n/a" if p["summary"] is None else f"{p['summary']:.1f}")
        )
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{e(str(v))}</td>"
                for v in (
                    p["pair"],
                    p["condition"],
                    p["start"],
                    p["end"],
                    p["washout_until"],
                    p["observations"],
                    p["used"],
                    "" if p["pain_free"] is None else p["pain_free"],
                    summary,
                )
            )
            + "</tr>"
        )
    probs: list[Any] = []
    if result.p_benefit is not None:
        probs = [
            f"<li>P(meaningful benefit) = {result.p_benefit:.0%}</li>",
            f"<li>P(meaningful harm) = {result.p_harm:.0%}</li>",
            f"<li>P(no meaningful difference) = {result.p_no_difference:.0%}</li>",
        ]
    rand = ""
    if result.randomisation is not None:
        r = result.randomisation
        rand = f"<p>{html.escape(r.sentence())}</p>"
    data_text = " ".join(t for t in text_lines if t.startswith(("Adherence", "Used")))
    chart = _chart(obs, result, spec.log_scale, chart_width, unit=unit)
    head = (
        "<tr>"
        + "".join(
            f"<th>{h}</th>"
            for h in (
                "Pair",
                "Condition",
                "Start",
                "End",
                "Analysed from",
                "Observations",
                "Used",
                "Pain-free",
                "Typical",
            )
        )
        + "</tr>"
    )
    return (
        f'<section class="experiment-report" id="experiment-{exp.id}">'
        f"<h2>Experiment {exp.id}: {e(exp.title)}</h2>"
        f"<h3>Design</h3><p>{e(text_lines[1])}</p><p>{e(text_lines[2])}</p>"
        f'<h3>Periods</h3><div class="table-wrap"><table>{head}{"".join(rows)}</table></div>'
        f"<figure>{chart}<figcaption>{e(spec.label)} by day; grey = A (usual), "
        "blue = B (remedy); triangles: pain-free runs (at least this far); open circles: not analysed "
        "(washout); shaded start of each period: washout.</figcaption></figure>"
        f"<h3>Adherence and data</h3><p>{e(data_text)}</p>"
        f"<h3>Model</h3><p>{e(_model_text(exp, result))}</p>"
        f"<h3>Result</h3><p>{e(_effect_text(result, spec.log_scale))}</p><ul>{''.join(probs)}</ul>{rand}"
        f"<p><strong>{e(result.verdict_text)}</strong></p>"
        "<p>This is what your own data show for you, with its uncertainty; it is not a diagnosis.</p>"
        "</section>"
    )


__all__ = ["experiment_report_html", "experiment_report_text", "report_html", "report_text"]
