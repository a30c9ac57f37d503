"""The run chart: elevation, pace, heart rate and cadence against distance, as SVG geometry.

The server draws the chart (so it works without JavaScript and the onset marker is in the page);
``static/chart.js`` adds a cross-hair that reads the values at a distance. Distances are metres in the
data and the display unit on the axis; elevation is in feet with miles, metres with kilometres; pace
is seconds per display unit (faster is up), from the speed stream or, when a file has none (GPX), from
the distance and time of the track.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backstride.units import distance_in, elevation_in, elevation_unit, format_duration, metres_per

WIDTH = 400.0
PANEL_H = 70.0
GAP = 22.0
LEFT = 0.0
TOP = 14.0
MAX_POINTS = 400
#: Paces slower than this (seconds per km) are standing still and left out of the pace line.
SLOWEST_PACE_S_PER_KM = 15 * 60.0
#: Speed derived from the track: distance over time across this many samples either side.
SPEED_HALF_WINDOW = 5


@dataclass
class Panel:
    key: str
    label: str
    top: float
    points: str
    low: str
    high: str


@dataclass
class Marker:
    x: float
    label: str
    kind: str
    x2: float | None = None


@dataclass
class Chart:
    width: float
    height: float
    panels: list[Panel] = field(default_factory=list)
    laps: list[Marker] = field(default_factory=list)
    onset: Marker | None = None
    stages: list[Marker] = field(default_factory=list)
    series_json: str = "{}"
    axis: list[tuple[float, str]] = field(default_factory=list)


def _bins(d: np.ndarray, n: int) -> np.ndarray:
    edges = np.linspace(d[0], d[-1], n + 1)
    return np.clip(np.searchsorted(edges, d, side="right") - 1, 0, n - 1)


def _binned(values: np.ndarray, idx: np.ndarray, n: int) -> np.ndarray:
    ok = np.isfinite(values)
    sums = np.bincount(idx[ok], weights=values[ok], minlength=n)
    counts = np.bincount(idx[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _polyline(x: np.ndarray, y: np.ndarray, top: float, invert: bool = False) -> tuple[str, float, float]:
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return "", math.nan, math.nan
    low, high = float(np.nanpercentile(y, 1)), float(np.nanpercentile(y, 99))
    if high - low < 1e-9:
        low, high = low - 1.0, high + 1.0
    scaled = (np.clip(y, low, high) - low) / (high - low)
    if invert:
        scaled = 1.0 - scaled
    py = top + PANEL_H * (1.0 - scaled)
    parts = [f"{x[i]:.1f},{py[i]:.1f}" for i in range(x.size) if ok[i]]
    return " ".join(parts), low, high


def track_speed(streams: dict[str, np.ndarray]) -> np.ndarray | None:
    """Speed (m/s) from the distance and time streams, for files that record no speed (GPX):
    the distance covered over :data:`SPEED_HALF_WINDOW` samples either side, over the time it took."""
    t, d = streams.get("t"), streams.get("distance")
    if t is None or d is None:
        return None
    t, d = np.asarray(t, float), np.asarray(d, float)
    ok = np.flatnonzero(np.isfinite(t) & np.isfinite(d))
    if ok.size < 3:
        return None
    k = SPEED_HALF_WINDOW
    tt, dd = t[ok], d[ok]
    lo = np.clip(np.arange(ok.size) - k, 0, ok.size - 1)
    hi = np.clip(np.arange(ok.size) + k, 0, ok.size - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        found = (dd[hi] - dd[lo]) / (tt[hi] - tt[lo])
    speed = np.full(d.shape, np.nan)
    speed[ok] = np.where(np.isfinite(found) & (found >= 0), found, np.nan)
    return speed


def _x(metres: float, total: float) -> float:
    return LEFT + WIDTH * min(max(metres / total, 0.0), 1.0)


def build_chart(
    streams: dict[str, np.ndarray], laps: list[dict[str, Any]], pain: dict[str, Any] | None, unit: str
) -> Chart | None:
    """The chart of one run, or ``None`` when the run has no distance stream."""
    d = streams.get("distance")
    if d is None:
        return None
    ok = np.isfinite(d)
    if ok.sum() < 2 or float(np.nanmax(d)) <= 0:
        return None
    order = np.flatnonzero(ok)
    dist = d[order]
    total = float(dist[-1])
    n = min(MAX_POINTS, dist.size)
    idx = _bins(dist, n)
    xd = _binned(dist, idx, n)
    x = np.array([_x(v, total) if np.isfinite(v) else math.nan for v in xd])
    per_unit = metres_per(unit)
    specs: list[tuple[str, str, str | None, bool]] = [
        ("altitude", f"elevation ({elevation_unit(unit)})", "altitude", False),
        ("pace", f"pace (/{unit})", "speed", True),
        ("heart_rate", "heart rate (bpm)", "heart_rate", False),
        ("cadence", "cadence (spm)", "cadence", False),
    ]
    chart = Chart(WIDTH, 0.0)
    series: dict[str, list[Any]] = {"d": [round(v, 1) for v in xd.tolist()]}
    top = TOP
    for key, label, column, invert in specs:
        raw = streams.get(column or key)
        if raw is None and key == "pace":
            raw = track_speed(streams)
        if raw is None:
            continue
        values = _binned(raw[order].astype(float), idx, n)
        if key == "altitude":
            values = elevation_in(1.0, unit) * values
        if key == "pace":
            with np.errstate(divide="ignore", invalid="ignore"):
                pace = per_unit / values
            slowest = SLOWEST_PACE_S_PER_KM * per_unit / 1000.0
            values = np.where((pace > 0) & (pace < slowest), pace, np.nan)
        points, low, high = _polyline(x, values, top, invert)
        if not points:
            continue
        fmt = format_duration if key == "pace" else (lambda v: f"{v:.0f}")
        chart.panels.append(Panel(key, label, top, points, fmt(low), fmt(high)))
        series[key] = [None if not math.isfinite(v) else round(v, 1) for v in values.tolist()]
        top += PANEL_H + GAP
    if not chart.panels:
        return None
    chart.height = top - GAP + 18.0
    for i, lap in enumerate(laps[:-1]):
        if lap.get("end_m") is not None:
            chart.laps.append(Marker(_x(lap["end_m"], total), f"lap {i + 1}", lap.get("trigger") or ""))
    if pain and pain.get("status") == "pain" and pain.get("onset_m") is not None:
        label = f"pain {distance_in(pain['onset_m'], unit):.2f} {unit}"
        lo_m, hi_m = pain.get("onset_low_m"), pain.get("onset_high_m")
        chart.onset = Marker(_x(pain["onset_m"], total), label, "onset")
        if lo_m is not None and hi_m is not None and hi_m > lo_m:
            chart.onset.label += " (between laps)"
            chart.onset.x, chart.onset.x2 = _x(float(lo_m), total), _x(float(hi_m), total)
        for stage in pain.get("stages") or []:
            chart.stages.append(Marker(_x(stage["distance_m"], total), stage["stage"], "stage"))
    step = _nice_step(distance_in(total, unit))
    ticks = np.arange(0.0, distance_in(total, unit) + 1e-9, step)
    chart.axis = [(_x(t * per_unit, total), f"{t:g}") for t in ticks]
    series["unit_m"] = [per_unit]
    series["elev_unit"] = [elevation_unit(unit)]
    chart.series_json = json.dumps(series, separators=(",", ":"))
    return chart


def _nice_step(total: float) -> float:
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50):
        if total / step <= 8:
            return float(step)
    return 100.0
