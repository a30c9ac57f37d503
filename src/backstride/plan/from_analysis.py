"""From the analysis to the plan: turn :class:`backstride.analysis.findings.Findings` into plan
:class:`~backstride.plan.profile.Finding` objects.

Only associations the runner's own data show are passed on: a factor whose hazard ratio points the
harmful way with a q-value (Benjamini-Hochberg across the factors) at or below 0.05, or else with a
raw confidence interval that excludes 1, which is passed on as **weak** evidence only (it did not
survive the correction for testing several factors); a steep-descent rate ratio above 1 graded the
same way by its q-value across the terrain terms; a flat or worsening trend; and a median pain-free
distance well short of the goal, only when the minimum-data rule gives one. How strongly each is
shown is graded by :func:`backstride.plan.profile.classify_strength`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from backstride.plan.engine import Plan, build_plan
from backstride.plan.profile import FINDING_Q, Finding, build_inputs, classify_strength, get_goal

if TYPE_CHECKING:
    from backstride.analysis.findings import Findings

#: Analysis factor name -> plan finding kind, and whether a hazard ratio above 1 is the harmful side.
FACTOR_MAP: dict[str, tuple[str, bool]] = {
    "me_lower_48h": ("max_effort_lifting", True),
    "back_load_48h": ("lifting_lag", True),
    "back_tonnage_48h": ("lifting_lag", True),
    "spike": ("spike", True),
}
#: A later-period median below this share of the earlier one is "worsening"; within +-10% "flat".
WORSENING_RATIO = 0.9
FLAT_RATIO = 1.1
#: A median pain-free distance under this share of the goal distance is "well short of the goal".
SHORT_OF_GOAL = 0.75


def _shown(
    hazard_ratio: float,
    ci_low: float | None,
    ci_high: float | None,
    q_value: float | None,
    harmful_above: bool,
) -> bool:
    """The factor points the harmful way, and either survives the correction (q <= 0.05) or has a raw
    interval that excludes 1 (then only weak evidence, see :func:`classify_strength`)."""
    if (hazard_ratio > 1.0) != harmful_above:
        return False
    if q_value is not None and q_value <= FINDING_Q:
        return True
    if ci_low is None or ci_high is None:
        return False
    return ci_low > 1.0 if harmful_above else ci_high < 1.0


def _trend_detail(findings: Findings, way: str, unit: str) -> str:
    """The trend in the runner's unit (the analysis words it in metres)."""
    from backstride.units import format_distance

    trend = findings.trend
    split = "" if trend.split is None else f" {trend.split:%Y-%m-%d}"
    p = trend.comparison.p_value if trend.comparison is not None else None
    test = "" if p is None else f" (log-rank p = {'<0.001' if p < 0.001 else f'{p:.3f}'})"
    return (
        f"pain-free distance {way}: median {format_distance(trend.earlier_median_m, unit)} before{split}, "
        f"{format_distance(trend.later_median_m, unit)} since{test}"
    )


def plan_findings(
    findings: Findings, goal_distance_m: float | None = None, unit: str = "km"
) -> list[Finding]:
    """The plan's findings from one runner's analysis (empty when there is too little data); distances
    in their sentences are in ``unit``."""
    from backstride.analysis.result_format import fmt_ratio
    from backstride.units import format_distance

    out: list[Finding] = []
    if not findings.enough_data:
        return out
    for factor in findings.factors:
        mapped = FACTOR_MAP.get(factor.name)
        if mapped is None or factor.status != "ok" or factor.hazard_ratio is None:
            continue
        kind, harmful_above = mapped
        if not _shown(factor.hazard_ratio, factor.ci_low, factor.ci_high, factor.q_value, harmful_above):
            continue
        detail = (factor.sentence or f"{factor.label}: hazard ratio {factor.hazard_ratio:.2f}").rstrip(".")
        strength = classify_strength(factor.ci_low, factor.ci_high, factor.q_value)
        out.append(Finding(kind, strength, detail, factor.hazard_ratio))
    terrain = findings.terrain
    if terrain is not None:
        for term in terrain.terms:
            if term.name != "steep_descent" or term.status != "ok" or term.rate_ratio is None:
                continue
            if term.ci_low is not None and term.ci_low > 1.0:
                strength = classify_strength(term.ci_low, term.ci_high, term.q_value)
                # A rate ratio is the same per mile or per km: say it in the runner's unit.
                per = "mile" if unit == "mi" else "km"
                ci = (
                    ""
                    if term.ci_high is None
                    else f" (95% CI {fmt_ratio(term.ci_low)}-{fmt_ratio(term.ci_high)})"
                )
                detail = (
                    f"Onsets are about {fmt_ratio(term.rate_ratio)}x as likely per {per} {term.label}{ci}"
                )
                out.append(Finding("descent_effect", strength, detail, term.rate_ratio))
    trend = findings.trend
    if trend.earlier_median_m and trend.later_median_m:
        ratio = trend.later_median_m / trend.earlier_median_m
        p = trend.comparison.p_value if trend.comparison is not None else None
        if ratio < WORSENING_RATIO:
            strength = "moderate" if p is not None and p < 0.05 else "weak"
            out.append(
                Finding("trend_worsening", strength, _trend_detail(findings, "getting shorter", unit), ratio)
            )
        elif ratio < FLAT_RATIO:
            out.append(Finding("trend_flat", "weak", _trend_detail(findings, "not improving", unit), ratio))
    median = findings.pain_free.median_m if findings.pain_free.enough else None
    if goal_distance_m and median is not None and median < SHORT_OF_GOAL * goal_distance_m:
        out.append(
            Finding(
                "short_pain_free_distance",
                "moderate",
                f"median pain-free distance {format_distance(median, unit)}, short of the goal of "
                f"{format_distance(goal_distance_m, unit)}",
                median,
            )
        )
    return out


def plan_for_user(
    conn: Connection,
    user_id: int,
    today: date | None = None,
    findings: Findings | None = None,
    unit: str | None = None,
) -> Plan:
    """The runner's plan from everything stored: the screen, self-tests, goal, routines, the analysis
    findings (computed here unless given) and the referral finding; text in ``unit`` (default: the
    runner's stored preference)."""
    from backstride.analysis.findings import analyze_user
    from backstride.plan.referral import referral_for_user
    from backstride.store.prefs import get_pref

    unit = unit or get_pref(conn, user_id, "units")
    goal_m, _ = get_goal(conn, user_id)
    if findings is None:
        findings = analyze_user(conn, user_id, target_m=goal_m)
    inputs = build_inputs(
        conn,
        user_id,
        findings=plan_findings(findings, goal_m, unit),
        today=today,
        pain_free_median_m=findings.pain_free.median_m if findings.pain_free.enough else None,
    )
    referral = referral_for_user(conn, user_id, inputs.today, unit)
    return build_plan(inputs, unit=unit, referral=referral)
