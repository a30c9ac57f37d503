"""One run's series along its distance, as the run page (:mod:`backstride.web.chart`) and the report
(:mod:`backstride.report.charts`) both draw them: elevation, pace, heart rate and cadence.

The streams are averaged into at most :data:`MAX_POINTS` equal distance bins. Elevation is in the
runner's elevation unit (feet with miles, metres with kilometres); pace is seconds per display unit,
from the speed stream or, when a file has none (GPX), from the distance and time of the track
(:func:`track_speed`), and a pace slower than :data:`SLOWEST_PACE_S_PER_KM` is standing still and left
out (NaN). Heart rate is in beats and cadence in steps per minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from backstride.units import METRES_PER_KM, elevation_in, metres_per

FloatArray = NDArray[np.float64]

MAX_POINTS = 400
#: Paces slower than this (seconds per km) are standing still and left out of the pace series.
SLOWEST_PACE_S_PER_KM = 15 * 60.0
#: Speed derived from the track: distance over time across this many samples either side.
SPEED_HALF_WINDOW = 5
#: The series, in the order they are drawn, and the stream each comes from.
SERIES = (("altitude", "altitude"), ("pace", "speed"), ("heart_rate", "heart_rate"), ("cadence", "cadence"))


@dataclass
class RunSeries:
    """The binned series of one run: ``distance_m`` (each bin's mean distance, metres) and, per
    name of :data:`SERIES` the run has a stream for, the values of each bin (NaN where unknown)."""

    unit: str
    total_m: float
    distance_m: FloatArray
    values: dict[str, FloatArray] = field(default_factory=dict)


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


def _bins(d: FloatArray, n: int) -> NDArray[np.intp]:
    edges = np.linspace(d[0], d[-1], n + 1)
    return np.clip(np.searchsorted(edges, d, side="right") - 1, 0, n - 1)


def _binned(values: FloatArray, idx: NDArray[np.intp], n: int) -> FloatArray:
    ok = np.isfinite(values)
    sums = np.bincount(idx[ok], weights=values[ok], minlength=n)
    counts = np.bincount(idx[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def run_series(streams: dict[str, np.ndarray], unit: str, max_points: int = MAX_POINTS) -> RunSeries | None:
    """The series of one run in ``unit`` (see the module docstring), or ``None`` when the run has no
    distance stream."""
    d = streams.get("distance")
    if d is None:
        return None
    d = np.asarray(d, float)
    ok = np.isfinite(d)
    if ok.sum() < 2 or float(np.nanmax(d)) <= 0:
        return None
    order = np.flatnonzero(ok)
    dist = d[order]
    n = min(max_points, dist.size)
    idx = _bins(dist, n)
    out = RunSeries(unit, float(dist[-1]), _binned(dist, idx, n))
    per_unit = metres_per(unit)
    for key, column in SERIES:
        raw = streams.get(column)
        if raw is None and key == "pace":
            raw = track_speed(streams)
        if raw is None:
            continue
        values = _binned(np.asarray(raw, float)[order], idx, n)
        if key == "altitude":
            values = elevation_in(1.0, unit) * values
        if key == "pace":
            with np.errstate(divide="ignore", invalid="ignore"):
                pace = per_unit / values
            slowest = SLOWEST_PACE_S_PER_KM * per_unit / METRES_PER_KM
            values = np.where((pace > 0) & (pace < slowest), pace, np.nan)
        out.values[key] = values
    return out


__all__ = ["MAX_POINTS", "SLOWEST_PACE_S_PER_KM", "RunSeries", "run_series", "track_speed"]
