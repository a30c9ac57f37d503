"""The report's charts, each an inline SVG string built from the findings (distances in ``unit``).

Every function returns ``""`` when there is nothing to draw; the template then says so in words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd

from backstride.analysis.factors import FactorResult
from backstride.analysis.findings import Change, Findings
from backstride.report.svg import Chart, nice_ticks
from backstride.run_series import run_series
from backstride.units import distance_in, elevation_unit


def _dist_ticks(hi_unit: float, unit: str) -> list[tuple[float, str]]:
    return [(t, f"{t:g} {unit}") for t in nice_ticks(0.0, hi_unit)]


def _ord(day: date | datetime | pd.Timestamp) -> float:
    return float(pd.Timestamp(day).toordinal())


def _date_ticks(lo: float, hi: float, n: int = 6) -> list[tuple[float, str]]:
    span = max(hi - lo, 1.0)
    step = max(1, int(span / n))
    return [
        (lo + i, date.fromordinal(int(lo + i)).strftime("%d %b %y")) for i in range(0, int(span) + 1, step)
    ]


def survival_chart(findings: Findings, unit: str) -> str:
    """The pain-free distance curve: the share of runs still pain-free at each distance."""
    pf = findings.pain_free
    if not pf.curve_m:
        return ""
    xs = [0.0] + [distance_in(m, unit) for m in pf.curve_m if math.isfinite(m)]
    ys = [1.0] + [s for m, s in zip(pf.curve_m, pf.curve_survival, strict=True) if math.isfinite(m)]
    hi = max(max(xs), distance_in(findings.target_m, unit)) * 1.05
    chart = Chart.new((0.0, hi), (0.0, 1.0), "Pain-free distance curve")
    chart.axes(
        _dist_ticks(hi, unit),
        [(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0)],
        "distance",
        "still pain-free",
    )
    chart.steps(xs, ys, "line main")
    if pf.median_m is not None:
        chart.vline(distance_in(pf.median_m, unit), f"median {distance_in(pf.median_m, unit):.2f} {unit}")
    chart.vline(distance_in(findings.target_m, unit), "target", "mark target")
    return chart.render()


def trend_chart(findings: Findings, unit: str) -> str:
    """Median pain-free distance over rolling 8-week windows, with 95% CIs where estimable. A window
    where fewer than half of the runs reached an onset is drawn "beyond": an open marker at its
    longest run with an arrow up (the pain now starts later than most runs go), never dropped."""
    windows = [w for w in findings.trend.windows if w.median_m is not None or w.beyond]
    if len(windows) < 2:
        return ""
    xs = [_ord(w.end) for w in windows]
    level = [
        distance_in((w.median_m if w.median_m is not None else w.longest_m) or 0.0, unit) for w in windows
    ]
    highs = [distance_in(w.ci_m[1], unit) for w in windows if w.ci_m[1] is not None]
    hi = max(level + highs) * 1.15
    chart = Chart.new((min(xs) - 3, max(xs) + 3), (0.0, hi), "Median pain-free distance over time")
    chart.axes(_date_ticks(min(xs), max(xs)), _dist_ticks(hi, unit)[1:], "end of 8-week window", "median")
    for x, w, y in zip(xs, windows, level, strict=True):
        if w.beyond:
            chart.segment(x, y, x, hi, "ci beyond")
            chart.point(
                x, y, "free", 4, f"beyond {y:.2f} {unit}: fewer than half of the runs reached an onset"
            )
            continue
        lo = distance_in(w.ci_m[0], unit) if w.ci_m[0] is not None else None
        up = distance_in(w.ci_m[1], unit) if w.ci_m[1] is not None else hi
        if lo is not None:
            chart.segment(x, lo, x, up, "ci")
    reached = [(x, y) for x, w, y in zip(xs, windows, level, strict=True) if not w.beyond]
    if len(reached) > 1:
        chart.polyline([p[0] for p in reached], [p[1] for p in reached], "line main")
    for x, y in reached:
        chart.point(x, y, "dot")
    return chart.render()


def onset_chart(table: pd.DataFrame, changes: Sequence[Change], unit: str) -> str:
    """Each reported run: its onset (dot), the lap it lies in (bar), or its length when pain-free."""
    runs = table[table["pain_status"] != "unknown"]
    if runs.empty:
        return ""
    x = np.array([_ord(d) for d in runs["date"]])
    dist = runs["distance_m"].to_numpy(float)
    hi = distance_in(float(np.nanmax(dist)), unit) * 1.1
    chart = Chart.new((x.min() - 3, x.max() + 3), (0.0, hi), "Onset distance of each run over time")
    chart.axes(_date_ticks(x.min(), x.max()), _dist_ticks(hi, unit)[1:], "", "onset")
    for c in changes:
        chart.vline(_ord(c.day), c.what, "mark change")
    for xi, (_, r) in zip(x, runs.iterrows(), strict=True):
        when = f"{r['date']}"
        if r["pain_status"] == "none":
            chart.point(xi, distance_in(r["distance_m"], unit), "free", 3, f"{when}: pain-free run")
        elif math.isfinite(r["onset_m"]):
            chart.point(xi, distance_in(r["onset_m"], unit), "dot", 3.5, f"{when}: onset")
        else:
            lo, up = distance_in(r["onset_low_m"], unit), distance_in(r["onset_high_m"], unit)
            chart.segment(xi, lo, xi, up, "ci onset")
    return chart.render()


def forest_chart(factors: Sequence[FactorResult], titles: Mapping[str, str]) -> str:
    """Hazard ratios with 95% CIs on a log scale; 1 = no difference."""
    ok = [f for f in factors if f.hazard_ratio is not None and f.ci_low is not None and f.ci_high is not None]
    if not ok:
        return ""
    lo = min(min(f.ci_low or 1.0 for f in ok), 0.5)
    hi = max(max(f.ci_high or 1.0 for f in ok), 2.0)
    height = 60 + 34 * len(ok)
    chart = Chart.new(
        (lo / 1.1, hi * 1.1), (len(ok) + 0.5, 0.5), "Hazard ratios of the factors", x_log=True, height=height
    )
    ticks = [t for t in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0) if lo / 1.1 <= t <= hi * 1.1]
    chart.axes(
        [(t, f"{t:g}") for t in ticks], [], "hazard ratio (log scale): left = pain later, right = earlier"
    )
    chart.vline(1.0, "", "mark")
    for i, f in enumerate(ok, start=1):
        assert f.hazard_ratio is not None and f.ci_low is not None and f.ci_high is not None
        cls = "flag" if f.flagged else "dot"
        chart.segment(f.ci_low, i, f.ci_high, i, "ci")
        chart.point(f.hazard_ratio, i, cls, 5, f"{titles.get(f.name, f.name)}: {f.hazard_ratio:.2f}")
        chart.text(chart.x.p1 + 4, chart.y(i) + 4, f"{f.hazard_ratio:.2f}", cls="tl")
        chart.text(chart.x.p0 + 4, chart.y(i) - 8, titles.get(f.name, f.name), cls="tl")
    return chart.render()


def run_profile_chart(streams: Mapping[str, np.ndarray], onset_m: float | None, unit: str, when: str) -> str:
    """Elevation (line) and pace (line, its own scale) along one run, the onset marked: the series of
    :func:`backstride.run_series.run_series`, as the run page draws them."""
    if np.asarray(streams.get("distance", [])).size < 10:
        return ""
    run = run_series(dict(streams), unit)
    if run is None or not np.isfinite(run.values.get("altitude", np.nan)).any():
        return ""
    xs = [distance_in(v, unit) for v in run.distance_m]  # NaN for an empty bin
    far = float(np.nanmax(xs))
    alt = run.values["altitude"]
    lo, up = float(np.nanmin(alt)), float(np.nanmax(alt))
    pad = max((up - lo) * 0.1, 1.0)
    chart = Chart.new((0.0, far), (lo - pad, up + pad), f"Elevation and pace of the run on {when}")
    chart.axes(
        _dist_ticks(far, unit)[:-1] or [(0.0, "0")],
        [(v, f"{v:.0f} {elevation_unit(unit)}") for v in nice_ticks(lo - pad, up + pad, 4)],
        "distance",
        "elevation",
    )
    chart.polyline(xs, list(alt), "line elev")
    # pace (minutes per unit) on its own scale, drawn into the same box (right axis labels)
    pace = run.values.get("pace", np.full(len(xs), np.nan)) / 60.0
    good = np.isfinite(pace)
    if good.sum() > 5:
        p_lo, p_hi = float(np.nanpercentile(pace[good], 2)), float(np.nanpercentile(pace[good], 98))
        p_hi = max(p_hi, p_lo + 0.5)
        scaled = (lo - pad) + (pace - p_lo) / (p_hi - p_lo) * (up - lo + 2 * pad)
        scaled = np.where(good, np.clip(scaled, lo - pad, up + pad), np.nan)
        chart.polyline(xs, list(scaled), "line pace")
        for v in (p_lo, p_hi):
            y = (lo - pad) + (v - p_lo) / (p_hi - p_lo) * (up - lo + 2 * pad)
            chart.text(
                chart.x.p1 + 4, chart.y(y) + 4, f"{int(v)}:{int(v % 1 * 60):02d}/{unit}", cls="tl pace-l"
            )
    if onset_m is not None and math.isfinite(onset_m):
        chart.vline(distance_in(onset_m, unit), "pain onset", "mark onset")
    return chart.render()


def load_chart(table: pd.DataFrame, unit: str) -> str:
    """Weekly distance (bars), weekly back-loading lifting (line, own scale) and single-run spikes."""
    if table.empty:
        return ""
    day = pd.to_datetime(table["start_local"])
    week = (day - pd.to_timedelta(day.dt.weekday, unit="D")).dt.normalize()
    dist = table["distance_m"].fillna(0.0).groupby(week).sum()
    weeks = pd.date_range(dist.index.min(), dist.index.max(), freq="7D")
    dist = dist.reindex(weeks, fill_value=0.0)
    xs = [_ord(w) for w in weeks]
    ys = [distance_in(v, unit) for v in dist.to_numpy()]
    hi = max(ys) * 1.15 if max(ys) > 0 else 1.0
    chart = Chart.new((xs[0] - 4, xs[-1] + 10), (0.0, hi), "Weekly distance, spikes and lifting")
    chart.axes(_date_ticks(xs[0], xs[-1]), _dist_ticks(hi, unit)[1:], "week", "distance per week")
    for x, y in zip(xs, ys, strict=True):
        chart.bar(x, x + 6, y)
    lift = table["back_tonnage_24h"]
    if lift.notna().any():
        # the back-loading tonnage of the 7 days before each week's last run, scaled into the box
        tonnage = table["lifting_tonnage_7d"].groupby(week).last().reindex(weeks)
        top = float(np.nanmax(tonnage.to_numpy(float))) if tonnage.notna().any() else 0.0
        if top > 0:
            scaled = tonnage.to_numpy(float) / top * hi * 0.9
            chart.polyline([x + 3 for x in xs], list(scaled), "line lift")
            chart.text(chart.x.p1 + 4, chart.y(hi * 0.9) + 4, f"{top / 1000:.0f} t", cls="tl lift-l")
    spikes = table[table["spike"] > 0.1]
    for d, s in zip(spikes["start_local"], spikes["spike"], strict=True):
        x = _ord(pd.Timestamp(d))
        chart.point(x, hi * 0.97, "flag", 3, f"{pd.Timestamp(d):%Y-%m-%d}: {s:+.0%} over the 30-day longest")
    return chart.render()
