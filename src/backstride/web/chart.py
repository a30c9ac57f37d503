"""The run chart: elevation, pace, heart rate and cadence against distance, as SVG geometry.

The server draws the chart (so it works without JavaScript and the onset marker is in the page);
``static/chart.js`` adds a cross-hair that reads the values at a distance. The series are those of
:func:`backstride.run_series.run_series`, which the report draws too: distances are metres in the
data and the display unit on the axis; elevation is in feet with miles, metres with kilometres; pace
is seconds per display unit (faster is up).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backstride.run_series import run_series
from backstride.units import distance_in, elevation_unit, format_duration, metres_per

WIDTH = 400.0
PANEL_H = 70.0
GAP = 22.0
LEFT = 0.0
TOP = 14.0


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


def _x(metres: float, total: float) -> float:
    return LEFT + WIDTH * min(max(metres / total, 0.0), 1.0)


def build_chart(
    streams: dict[str, np.ndarray], laps: list[dict[str, Any]], pain: dict[str, Any] | None, unit: str
) -> Chart | None:
    """The chart of one run (its :func:`~backstride.run_series.run_series`), or ``None`` when the run
    has no distance stream or nothing to draw."""
    run = run_series(streams, unit)
    if run is None:
        return None
    total = run.total_m
    xd = run.distance_m
    x = np.array([_x(v, total) if np.isfinite(v) else math.nan for v in xd])
    per_unit = metres_per(unit)
    labels = {
        "altitude": f"elevation ({elevation_unit(unit)})",
        "pace": f"pace (/{unit})",
        "heart_rate": "heart rate (bpm)",
        "cadence": "cadence (spm)",
    }
    chart = Chart(WIDTH, 0.0)
    series: dict[str, list[Any]] = {"d": [round(v, 1) for v in xd.tolist()]}
    top = TOP
    for key, values in run.values.items():
        points, low, high = _polyline(x, values, top, invert=key == "pace")
        if not points:
            continue
        fmt = format_duration if key == "pace" else (lambda v: f"{v:.0f}")
        chart.panels.append(Panel(key, labels[key], top, points, fmt(low), fmt(high)))
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
