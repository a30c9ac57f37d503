"""The report's sections as a template context: words, numbers and charts for each, in order.

The red-flag status comes from ``backstride.plan.screens``; the plan from
:func:`backstride.plan.from_analysis.plan_for_user` on the same findings; each n-of-1 experiment's
CENT-style fragment from :func:`backstride.report.experiment.experiment_report_html`.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection

from backstride.analysis.features import MODEL_FACTORS
from backstride.analysis.findings import Findings, Sensitivity
from backstride.analysis.result_format import fmt_p, fmt_ratio, fmt_ratio_range
from backstride.experiments.store import list_experiments
from backstride.plan.from_analysis import plan_for_user
from backstride.plan.screens import banner, latest_screen, open_flags
from backstride.report import charts
from backstride.report.experiment import experiment_report_html
from backstride.store.activities import load_streams
from backstride.store.prefs import get_pref
from backstride.units import distance_in, format_distance


def _dist(metres: float | None, unit: str) -> str:
    return "not estimable yet" if metres is None else format_distance(metres, unit)


def red_flag_section(conn: Connection, user_id: int) -> dict[str, Any]:
    """Open red flags (banner), or that the screen was clear, or that none was taken yet."""
    found = open_flags(conn, user_id)
    if found is not None:
        return {"status": found.urgency, "text": banner(found)}
    last = latest_screen(conn, user_id)
    if last is None:
        return {
            "status": "none",
            "text": "No screen taken yet: answer the red-flag questions with 'backstride screen' before "
            "acting on anything below.",
        }
    when = last.taken_at.strftime("%Y-%m-%d") if last.taken_at else "earlier"
    return {"status": "clear", "text": f"Last red-flag screen ({when}): no red flags open."}


def plan_section(
    conn: Connection, user_id: int, findings: Findings, unit: str | None = None
) -> dict[str, Any]:
    """The plan (issue 6) from the same findings the report shows (withheld when a flag is open), in
    the report's unit, with the referral finding."""
    return plan_for_user(conn, user_id, findings=findings, unit=unit).as_dict()


#: The experiment charts of the report, in SVG units (= CSS px at their natural size): narrow enough
#: that their 10-unit labels stay readable on a phone.
EXPERIMENT_CHART_WIDTH = 360


def experiments_section(conn: Connection, user_id: int, unit: str = "km") -> list[Markup]:
    """The CENT-style report of each of the runner's n-of-1 experiments (issue 7), in ``unit``."""
    ids = sorted(e.id for e in list_experiments(conn, user_id))
    return [
        Markup(experiment_report_html(conn, user_id, i, unit=unit, chart_width=EXPERIMENT_CHART_WIDTH))
        for i in ids
    ]


def runners_like_you_section(conn: Connection, user_id: int, pool_dir: Path | None) -> Markup | None:
    """ "Runners like you" from the pooled evidence, when the pool folder ``pool_dir`` (the settings'
    :attr:`~backstride.config.Settings.pool_dir`) holds bundles; ``None`` otherwise. Nothing leaves the
    machine: the runner's bundle is built in memory and compared with the local pool."""
    from backstride.pool.store import Pool

    if pool_dir is None or not pool_dir.is_dir() or Pool(pool_dir).is_empty():
        return None
    from backstride.pool.export import build_bundle
    from backstride.report.runners_like_you import runners_like_you_html

    html = runners_like_you_html(pool_dir, build_bundle(conn, user_id))
    return Markup(html) if html else None


def _terrain_run(findings: Findings) -> dict[str, Any] | None:
    """The most recent run with an exact onset and streams (for the elevation and pace chart)."""
    table = findings.table
    if table.empty:
        return None
    with_onset = table[table["onset_m"].notna() & table["has_streams"].astype(bool)]
    if with_onset.empty:
        return None
    row = with_onset.iloc[-1]
    return {
        "activity_id": int(row["activity_id"]),
        "date": str(row["date"]),
        "onset_m": float(row["onset_m"]),
    }


def _sensitivity_line(x: Sensitivity, target_m: float, unit: str) -> str:
    if not x.enough:
        return f"{x.label}: too few runs for an estimate"
    median = f"beyond {_dist(x.longest_m, unit)}" if x.beyond else _dist(x.median_m, unit)
    line = f"{x.label}: median {median} ({x.runs} runs, {x.events} onsets)"
    if x.p_target is not None and x.p_target.value is not None:
        line += f"; chance of {format_distance(target_m, unit)} pain-free {x.p_target.value:.0%}"
    return line


def _factor_rows(findings: Findings) -> list[dict[str, Any]]:
    titles = {f.name: f.title for f in MODEL_FACTORS}
    rows = []
    for f in findings.factors:
        rows.append(
            {
                "title": titles.get(f.name, f.name),
                "sentence": f.sentence,  # shown through the template's ``say`` filter
                "hr": fmt_ratio(f.hazard_ratio),
                "ci": fmt_ratio_range(f.ci_low, f.ci_high),
                "estimate": (
                    "not estimable yet"
                    if f.hazard_ratio is None
                    else f"{fmt_ratio(f.hazard_ratio)} ({fmt_ratio_range(f.ci_low, f.ci_high)})"
                ),
                "q": "-" if f.q_value is None else fmt_p(f.q_value),
                "flagged": f.flagged,
            }
        )
    return rows


def report_context(
    conn: Connection, user_id: int, findings: Findings, unit: str | None, pool_dir: Path | None = None
) -> dict[str, Any]:
    """Everything the template needs (see the module docstring); ``pool_dir``: the pool folder, if any."""
    unit = unit or get_pref(conn, user_id, "units")
    pf = findings.pain_free
    titles = {f.name: f.title for f in MODEL_FACTORS}
    recent = _terrain_run(findings)
    profile = ""
    if recent is not None:
        full = load_streams(conn, recent["activity_id"])  # the whole run, not the analysis' thinned copy
        profile = charts.run_profile_chart(full, recent["onset_m"], unit, recent["date"])
    p_target = pf.p_target
    chance = None
    if p_target is not None and p_target.value is not None:
        chance = p_target.to_text()
    table = findings.table
    reported = table[table["pain_status"] != "unknown"] if not table.empty else table
    spikes = int((reported["spike"] > 0.1).sum()) if not reported.empty else 0
    return {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "unit": unit,
        "f": findings,
        "runs": findings.runs,
        "reported": findings.reported,
        "unknown": findings.unknown,
        "enough": findings.enough_data,
        "median": (
            f"beyond {_dist(pf.longest_m, unit)} (not reached)" if pf.beyond else _dist(pf.median_m, unit)
        ),
        "pf_enough": pf.enough,
        "pf_beyond": pf.beyond,
        "drafts": findings.drafts,
        "sensitivity": [_sensitivity_line(x, findings.target_m, unit) for x in findings.sensitivity],
        "ci": (_dist(pf.ci_m[0], unit), _dist(pf.ci_m[1], unit)),
        "method": pf.method,
        "events": pf.events,
        "interval_censored": pf.interval_censored,
        "target": format_distance(findings.target_m, unit),
        "chance": chance,
        "red_flags": red_flag_section(conn, user_id),
        "survival_svg": Markup(charts.survival_chart(findings, unit)),
        "trend_svg": Markup(charts.trend_chart(findings, unit)),
        "onset_svg": Markup(charts.onset_chart(table, findings.changes, unit)) if not table.empty else "",
        "forest_svg": Markup(charts.forest_chart(findings.factors, titles)),
        "profile_svg": Markup(profile),
        "load_svg": Markup(charts.load_chart(table, unit)) if not table.empty else "",
        "factor_rows": _factor_rows(findings),
        "factor_notes": [] if findings.factor_analysis is None else findings.factor_analysis.notes,
        "terrain": findings.terrain,
        "recent": recent,
        "spikes": spikes,
        "changes": findings.changes,
        "cannot_tell": findings.cannot_tell,
        "plan": plan_section(conn, user_id, findings, unit),
        "experiments": experiments_section(conn, user_id, unit),
        "runners_like_you": runners_like_you_section(conn, user_id, pool_dir),
        "fmt_m": lambda m: _dist(m, unit),
        "in_unit": lambda m: "" if m is None or not math.isfinite(m) else f"{distance_in(m, unit):.2f}",
    }
