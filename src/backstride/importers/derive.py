"""Derived metrics shared by every importer: distance from GPS, elevation gain and loss, moving time,
averages. Importers fill what the file does not state; what a file states itself is kept.
"""

from __future__ import annotations

import numpy as np

from backstride.importers.model import Activity, finite_or_none
from backstride.importers.plausible import clean_streams, clean_summary

EARTH_RADIUS_M = 6_371_008.8
#: Below this speed (m/s) a sample counts as stopped, for moving time.
MOVING_SPEED_MS = 0.5
#: Elevation changes smaller than this (metres) are treated as noise (hysteresis).
ELEVATION_HYSTERESIS_M = 2.0


def haversine_steps(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Distance in metres between consecutive points (length n-1; NaN where a point is missing or
    impossible, such as a latitude over 90: the plausibility check reports those later)."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(lat) <= 90.0) | ~(np.abs(lon) <= 180.0)
    phi = np.radians(np.where(bad, np.nan, lat))
    lam = np.radians(np.where(bad, np.nan, lon))
    dphi = np.diff(phi)
    dlam = np.diff(lam)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def cumulative_distance(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Cumulative distance in metres along a track; gaps in GPS add nothing."""
    if len(lat) == 0:
        return np.zeros(0)
    steps = np.nan_to_num(haversine_steps(lat, lon), nan=0.0)
    return np.concatenate([[0.0], np.cumsum(steps)])


def elevation_gain_loss(
    altitude: np.ndarray, hysteresis: float = ELEVATION_HYSTERESIS_M
) -> tuple[float, float]:
    """Total ascent and descent in metres, ignoring wiggles smaller than ``hysteresis``."""
    values = altitude[np.isfinite(altitude)]
    if len(values) < 2:
        return 0.0, 0.0
    gain = loss = 0.0
    ref = float(values[0])
    for value in values[1:]:
        diff = float(value) - ref
        if diff >= hysteresis:
            gain += diff
            ref = float(value)
        elif diff <= -hysteresis:
            loss -= diff
            ref = float(value)
    return gain, loss


def moving_time(t: np.ndarray, distance: np.ndarray) -> float:
    """Seconds spent moving faster than :data:`MOVING_SPEED_MS`; pauses over 60 s never count."""
    if len(t) < 2:
        return 0.0
    dt = np.diff(t)
    dd = np.diff(distance)
    ok = np.isfinite(dt) & np.isfinite(dd) & (dt > 0) & (dt <= 60)
    speed = np.where(ok, dd / np.where(dt > 0, dt, 1.0), 0.0)
    return float(dt[ok & (speed >= MOVING_SPEED_MS)].sum())


def _mean(values: np.ndarray | None, positive: bool = True) -> float | None:
    if values is None:
        return None
    finite = values[np.isfinite(values)]
    if positive:
        finite = finite[finite > 0]
    return finite_or_none(float(finite.mean())) if len(finite) else None


def fill_derived(activity: Activity) -> Activity:
    """Fill the summary fields a file left out, from its streams. Changes and returns ``activity``.

    Impossible samples and stated values are dropped first (see :mod:`backstride.importers.plausible`),
    and the derived values are checked the same way.
    """
    clean_streams(activity)
    clean_summary(activity)
    _derive(activity)
    return clean_summary(activity)


def _derive(activity: Activity) -> None:
    s = activity.streams
    t = s.get("t")
    if t is None or len(t) == 0:
        return
    if "distance" not in s and "lat" in s and "lon" in s:
        s["distance"] = cumulative_distance(s["lat"], s["lon"])
    if "distance" in s:
        dist = s["distance"]
        # Cumulative distance never decreases; fill gaps forward so later maths is simple.
        if np.isnan(dist).any():
            filled = dist.copy()
            mask = np.isnan(filled)
            idx = np.where(~mask, np.arange(len(filled)), 0)
            np.maximum.accumulate(idx, out=idx)
            filled = filled[idx]
            filled[np.isnan(filled)] = 0.0
            s["distance"] = filled
        if activity.distance_m is None:
            finite = s["distance"][np.isfinite(s["distance"])]
            activity.distance_m = float(finite.max()) if len(finite) else None
    if activity.elapsed_s is None:
        activity.elapsed_s = float(t[-1] - t[0]) if len(t) > 1 else 0.0
    if activity.moving_s is None and "distance" in s:
        activity.moving_s = moving_time(t, s["distance"])
    if (activity.elevation_gain_m is None or activity.elevation_loss_m is None) and "altitude" in s:
        gain, loss = elevation_gain_loss(s["altitude"])
        if activity.elevation_gain_m is None:
            activity.elevation_gain_m = gain
        if activity.elevation_loss_m is None:
            activity.elevation_loss_m = loss
    if activity.avg_hr is None:
        activity.avg_hr = _mean(s.get("heart_rate"))
    if activity.max_hr is None and "heart_rate" in s:
        hr = s["heart_rate"][np.isfinite(s["heart_rate"])]
        activity.max_hr = float(hr.max()) if len(hr) else None
    if activity.avg_cadence is None:
        activity.avg_cadence = _mean(s.get("cadence"))
    if activity.avg_speed is None and activity.distance_m and activity.moving_s:
        activity.avg_speed = activity.distance_m / activity.moving_s
    if activity.avg_vertical_oscillation is None:
        activity.avg_vertical_oscillation = _mean(s.get("vertical_oscillation"))
    if activity.avg_stance_time is None:
        activity.avg_stance_time = _mean(s.get("stance_time"))
    if activity.avg_step_length is None:
        activity.avg_step_length = _mean(s.get("step_length"))
    if activity.avg_power is None:
        activity.avg_power = _mean(s.get("power"))
