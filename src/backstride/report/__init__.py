"""The self-contained HTML report: one file, works offline, prints to PDF from a browser.

:func:`render_report` turns :class:`~backstride.analysis.findings.Findings` (computed here when not
given) into HTML from the Jinja2 template inside this package
(:mod:`backstride.report.templating`); every chart is inline SVG
(:mod:`backstride.report.charts`), the CSS is inline, and nothing is fetched from anywhere.

Sections, in order: red-flag status; pain-free distance and its trend; onset distances over time with
what changed; the factors (forest plot); terrain, with the elevation and pace of a recent run marking
the onset; training load; what the data cannot tell yet; then the plan and the experiments when those
parts are installed (see :mod:`backstride.report.sections`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from backstride.analysis.findings import Findings, analyze_user
from backstride.report.sections import report_context
from backstride.report.templating import render

SECTION_IDS = (
    "red-flags",
    "pain-free",
    "onsets",
    "factors",
    "terrain",
    "load",
    "cannot-tell",
    "plan",
    "experiments",
)


def render_report(
    conn_or_engine: Connection | Engine,
    user_id: int,
    *,
    findings: Findings | None = None,
    unit: str | None = None,
    target_m: float | None = None,
    pool_dir: Path | None = None,
) -> str:
    """The report as one HTML string (see the module docstring). ``pool_dir``: the pool folder
    (:attr:`backstride.config.Settings.pool_dir`) for "Runners like you"; none, no such section."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return render_report(
                conn, user_id, findings=findings, unit=unit, target_m=target_m, pool_dir=pool_dir
            )
    conn = conn_or_engine
    found = findings if findings is not None else analyze_user(conn, user_id, target_m)
    context: dict[str, Any] = report_context(conn, user_id, found, unit, pool_dir)
    return render("report.html.j2", **context)


def write_report(
    conn_or_engine: Connection | Engine,
    user_id: int,
    path: str | Path,
    *,
    findings: Findings | None = None,
    unit: str | None = None,
    target_m: float | None = None,
    pool_dir: Path | None = None,
) -> Path:
    """Write the report to ``path`` (UTF-8) and return the path."""
    html = render_report(
        conn_or_engine, user_id, findings=findings, unit=unit, target_m=target_m, pool_dir=pool_dir
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


__all__ = ["SECTION_IDS", "render_report", "write_report"]
