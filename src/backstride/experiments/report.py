"""A CENT-style experiment report (CENT 2015, BMJ 2015;350:h1738) as plain text, and its parts.

Sections: design (randomisation, periods, washout, primary outcome), the periods with their data,
adherence, the model and its terms, the result with its uncertainty and the verdict, the
randomisation test. The same report as an HTML fragment with a chart is
:mod:`backstride.report.experiment` (the report layer renders every HTML), built from the parts here.
Findings are worded as associations in this one runner, never as a diagnosis.
"""

from __future__ import annotations

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
from backstride.units import format_distance

#: The report's last words (text and HTML).
DISCLAIMER = "This is what your own data show for you, with its uncertainty; it is not a diagnosis."


def _dist(metres: float | None, unit: str) -> str:
    """A distance in the runner's unit (``mi`` or ``km``), through :mod:`backstride.units`."""
    return "n/a" if metres is None or not math.isfinite(metres) else format_distance(metres, unit)


def effect_text(result: Analysis, log_scale: bool) -> str:
    """The estimated effect of B against A with its 95% credible interval, in words."""
    if result.effect is None or result.interval is None:
        return "not estimable yet"
    lo, hi = result.interval
    if log_scale:
        return (
            f"pain-free distance ratio B/A {result.effect:.2f} (95% credible interval {lo:.2f} to {hi:.2f})"
        )
    return f"difference B - A {result.effect:+.1f} points (95% credible interval {lo:+.1f} to {hi:+.1f})"


def model_text(exp: Experiment, result: Analysis) -> str:
    """The model, its terms, the priors and the verdict rule, in words."""
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


def load_report(
    conn: Connection, user_id: int, experiment_id: int
) -> tuple[Experiment, Analysis, pd.DataFrame]:
    """The experiment, its analysis and its observations (one row per run or day)."""
    exp, result = service.analyze_experiment(conn, user_id, experiment_id)
    obs, _, _ = service.experiment_observations(conn, user_id, exp)
    return exp, result, obs


def period_summary(period: dict[str, Any], log_scale: bool, unit: str) -> str:
    """A period's typical outcome: a distance in ``unit`` (pain-free distance) or a 0-10 score."""
    if log_scale:
        return _dist(period["summary"], unit)
    return "n/a" if period["summary"] is None else f"{period['summary']:.1f}"


def _order(sequence: str) -> str:
    return "|".join(sequence[i : i + 2] for i in range(0, len(sequence), 2))


def experiment_report_text(conn: Connection, user_id: int, experiment_id: int, *, unit: str = "km") -> str:
    """The report as plain text (what ``experiment analyze`` prints); distances in ``unit``."""
    exp, result, _ = load_report(conn, user_id, experiment_id)
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
        summary = period_summary(p, spec.log_scale, unit)
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
    lines.append(f"Result: {effect_text(result, spec.log_scale)}.")
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
    lines.append(DISCLAIMER)
    return "\n".join(lines)


__all__ = [
    "DISCLAIMER",
    "effect_text",
    "experiment_report_text",
    "load_report",
    "model_text",
    "period_summary",
    "report_text",
]
