"""One Apple Health workout (with its routes and the records recorded during it) as an activity.

- Time base: the route's points (one a second) when there is a route, else a one-second grid from
  start to end without the paused spans.
- Records are joined by time: each sample is placed at the middle of its interval and interpolated onto
  the time base where a sample lies within :data:`MAX_GAP_S`; steps over an interval become the cadence
  (steps per minute). When the phone and the watch both recorded a type, only one source is used: the
  workout's own (its ``sourceName``), else the source with the most samples (adding both would count
  steps and distance twice).
- Distance: along the route (no distance across a pause or between two route files), else the running
  sum of the distance records.
- Summary: distance from ``WorkoutStatistics`` (or the older ``totalDistance``), moving time from the
  workout's ``duration`` (Apple leaves pauses out of it), elapsed time from start to end, heart rate
  from the statistics, ascent from ``HKElevationAscended``.
- Laps: segment, lap and marker events become laps; a marker is a press (``manual``), segments are
  classified by their distance (:mod:`backstride.importers.laps`). Pauses and resumes become the
  paused spans.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import numpy as np

from backstride.errors import BadFileError
from backstride.importers.apple_health.scan import Workout
from backstride.importers.apple_health.units import COLUMN_CODES, length_m, seconds
from backstride.importers.derive import fill_derived, haversine_steps
from backstride.importers.laps import distance_at, is_round_split, laps_from_boundaries
from backstride.importers.model import Activity
from backstride.importers.sports import sport_and_sub_sport

MAX_GAP_S = 30.0
Q = "HKQuantityTypeIdentifier"
_PAUSE = ("HKWorkoutEventTypePause", "HKWorkoutEventTypeMotionPaused")
_RESUME = ("HKWorkoutEventTypeResume", "HKWorkoutEventTypeMotionResumed")
_POINT_COLUMNS = ("heart_rate", "speed", "power", "step_length", "vertical_oscillation", "stance_time")


def sport_of(workout: Workout) -> tuple[str, str | None]:
    """``(sport, sub_sport)`` from ``workoutActivityType`` and ``HKIndoorWorkout``."""
    name = workout.activity_type.removeprefix("HKWorkoutActivityType")
    sport, sub_sport = sport_and_sub_sport(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name) if name else None)
    if workout.metadata.get("HKIndoorWorkout") == "1":
        if sport == "running":
            sub_sport = "treadmill"
        elif sport == "cycling":
            sub_sport = "indoor_cycling"
    return sport, sub_sport


def identity(workout: Workout) -> str:
    """A stable identity for a workout across exports (the ``file_hashes`` entry of its activity)."""
    text = "\n".join(
        ("apple-health-workout", workout.activity_type, workout.source, workout.start_text, workout.end_text)
    )
    return "applehealth:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def label(workout: Workout) -> str:
    return f"workout {workout.start_text}"


def pauses(workout: Workout) -> list[tuple[float, float]]:
    """Paused spans (UTC epochs) from pause/resume events; an unresumed pause lasts to the end."""
    spans: list[tuple[float, float]] = []
    opened: float | None = None
    for event in sorted(workout.events, key=lambda e: e.at):
        if event.kind in _PAUSE and opened is None:
            opened = event.at
        elif event.kind in _RESUME and opened is not None:
            spans.append((opened, event.at))
            opened = None
    if opened is not None:
        spans.append((opened, workout.end))
    return spans


def _in_spans(times: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    mask = np.zeros(len(times), dtype=bool)
    for a, b in spans:
        mask |= (times > a) & (times < b)
    return mask


def pick_source(rows: np.ndarray, column: str, own_source: int | None) -> np.ndarray:
    """The rows of one column from one source (the workout's own when it recorded any)."""
    mine = rows[rows["col"] == COLUMN_CODES[column]]
    if not len(mine):
        return mine
    if own_source is not None and (mine["src"] == own_source).any():
        return mine[mine["src"] == own_source]
    codes, counts = np.unique(mine["src"], return_counts=True)
    return mine[mine["src"] == codes[int(np.argmax(counts))]]


def join(base: np.ndarray, times: np.ndarray, values: np.ndarray, max_gap: float = MAX_GAP_S) -> np.ndarray:
    """``values`` at ``times`` interpolated onto ``base``; NaN where no sample lies within ``max_gap``."""
    if not len(times):
        return np.full(len(base), np.nan)
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order].astype(np.float64)
    out = np.interp(base, times, values)
    i = (
        np.clip(np.searchsorted(times, base), 1, len(times) - 1)
        if len(times) > 1
        else np.zeros(len(base), int)
    )
    nearest = (
        np.minimum(np.abs(base - times[i - 1]), np.abs(times[i] - base))
        if len(times) > 1
        else np.abs(base - times[0])
    )
    out[nearest > max_gap] = np.nan
    return out


def _cadence(rows: np.ndarray, base: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray | None:
    """Steps per minute from step counts over intervals; paused time inside an interval is left out."""
    if not len(rows):
        return None
    span = rows["t1"] - rows["t0"]
    for a, b in spans:
        span = span - np.clip(np.minimum(rows["t1"], b) - np.maximum(rows["t0"], a), 0.0, None)
    ok = (span >= 1.0) & (span <= 600.0)
    if not ok.any():
        return None
    rate = rows["v"][ok] / span[ok] * 60.0
    mid = (rows["t0"][ok] + rows["t1"][ok]) / 2
    gap = max(MAX_GAP_S, float(np.median(span[ok])) * 1.5)
    return join(base, mid, rate, gap)


def _route_arrays(routes: list[Activity]) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray] | None:
    """Absolute times, columns and a piece number per point of all route files, in time order."""
    if not routes:
        return None
    times, pieces = [], []
    columns: dict[str, list[np.ndarray]] = {"lat": [], "lon": [], "altitude": [], "speed": []}
    for piece, route in enumerate(routes):
        t = route.streams["t"] + route.start.timestamp()
        times.append(t)
        pieces.append(np.full(len(t), piece))
        for name in columns:
            columns[name].append(route.streams.get(name, np.full(len(t), np.nan)))
    t_all = np.concatenate(times)
    order = np.argsort(t_all, kind="stable")
    t_all = t_all[order]
    keep = np.concatenate([[True], np.diff(t_all) > 0])  # a point written twice is kept once
    order = order[keep]
    return (
        t_all[keep],
        {name: np.concatenate(parts)[order] for name, parts in columns.items()},
        np.concatenate(pieces)[order],
    )


def _route_distance(
    t: np.ndarray, lat: np.ndarray, lon: np.ndarray, piece: np.ndarray, spans: list[tuple[float, float]]
) -> np.ndarray:
    if len(t) < 2:
        return np.zeros(len(t))
    steps = np.nan_to_num(haversine_steps(lat, lon), nan=0.0)
    gap = t[1:] - t[:-1]
    steps[(piece[1:] != piece[:-1]) & (gap > 30.0)] = (
        0.0  # files of one route follow on; a long gap is not run
    )
    for a, b in spans:  # no distance across a pause
        steps[(t[:-1] <= b) & (t[1:] >= a) & (gap > 2.0)] = 0.0
    return np.concatenate([[0.0], np.cumsum(steps)])


def _statistic_distance(workout: Workout, name: str) -> float | None:
    for kind in ("DistanceWalkingRunning", "DistanceCycling", "DistanceSwimming", "DistanceWheelchair"):
        stat = workout.statistics.get(Q + kind)
        if stat is not None and stat.total is not None:
            return length_m(stat.total, stat.unit, name)
    if workout.total_distance is not None:
        return length_m(workout.total_distance, workout.total_distance_unit or "km", name)
    return None


def _device(workout: Workout) -> str:
    found = re.search(r"name:([^,>]+)", workout.device or "")
    hardware = re.search(r"hardware:([^,>]+)", workout.device or "")
    name = (
        found.group(1).strip() if found else ("Apple Watch" if "Watch" in workout.source else "Apple Health")
    )
    return f"{name} ({hardware.group(1).strip()})" if hardware else name


def _boundaries(workout: Workout, t: np.ndarray, distance: np.ndarray | None) -> list[tuple[float, str]]:
    """Lap boundaries (seconds) with the trigger of the lap each closes: a marker is a press; a
    segment (or the span since the previous lap event) is automatic when its length is a round split."""

    def kind(a: float, b: float) -> str:
        start, end = distance_at(t, distance, a), distance_at(t, distance, b)
        if start is None or end is None:
            return "unknown"
        return "distance" if is_round_split(end - start) else "manual"

    points: list[tuple[float, str]] = []
    previous_lap = 0.0
    for event in sorted(workout.events, key=lambda e: e.at):
        at = event.at - workout.start
        if event.kind == "HKWorkoutEventTypeMarker":
            points.append((at, "manual"))
        elif event.kind == "HKWorkoutEventTypeLap":
            points.append((at, kind(previous_lap, at)))
            previous_lap = at
        elif event.kind == "HKWorkoutEventTypeSegment" and event.duration_s:
            points.append((at + event.duration_s, kind(at, at + event.duration_s)))
    return points


def build_activity(
    workout: Workout, rows: np.ndarray, sources: list[str], routes: list[Activity], name: str
) -> Activity:
    """The activity of ``workout``; ``rows`` are the spooled samples overlapping it, ``routes`` its
    route files read as GPX (see the module's docstring)."""
    sport, sub_sport = sport_of(workout)
    spans = pauses(workout)
    own = sources.index(workout.source) if workout.source in sources else None
    rows = rows[(rows["t1"] >= workout.start) & (rows["t0"] <= workout.end)]
    warnings: list[str] = []
    streams: dict[str, np.ndarray] = {}
    route = _route_arrays(routes)
    if route is not None:
        base, columns, piece = route
        inside = (base >= workout.start - 5) & (base <= workout.end + 5)
        base, piece = base[inside], piece[inside]
        columns = {k: v[inside] for k, v in columns.items()}
        if len(base) >= 2:
            streams["lat"], streams["lon"] = columns["lat"], columns["lon"]
            if np.isfinite(columns["altitude"]).any():
                streams["altitude"] = columns["altitude"]
            if np.isfinite(columns["speed"]).any():
                streams["speed"] = columns["speed"]
            streams["distance"] = _route_distance(base, columns["lat"], columns["lon"], piece, spans)
        else:
            warnings.append("the route holds no points within the workout; left out")
            route = None
    if route is None:
        grid = np.arange(workout.start, workout.end + 0.5, 1.0)
        base = grid[~_in_spans(grid, spans)]
        distance_rows = pick_source(rows, "distance", own)
        if len(distance_rows):
            ordered = distance_rows[np.argsort(distance_rows["t1"], kind="stable")]
            cumulative = np.concatenate([[0.0], np.cumsum(ordered["v"].astype(np.float64))])
            knots = np.concatenate([[float(ordered["t0"][0])], ordered["t1"]])
            streams["distance"] = np.interp(base, knots, cumulative)
    if len(base) == 0:
        raise BadFileError(name, f"{label(workout)}: starts after it ends; left out")
    for column in _POINT_COLUMNS:
        picked = pick_source(rows, column, own)
        if len(picked):
            values = join(base, (picked["t0"] + picked["t1"]) / 2, picked["v"])
            if np.isfinite(values).any():
                streams[column] = values  # a running-speed record beats the route's GPS speed
    cadence = _cadence(pick_source(rows, "steps", own), base, spans)
    if cadence is not None and np.isfinite(cadence).any():
        streams["cadence"] = cadence
    streams["t"] = base - workout.start

    elapsed = workout.end - workout.start
    moving = seconds(workout.duration, workout.duration_unit or "min", name) if workout.duration else None
    if moving is None:
        moving = elapsed - sum(b - a for a, b in spans)
    heart = workout.statistics.get(Q + "HeartRate")
    ascent = workout.metadata.get("HKElevationAscended", "").split()
    activity = Activity(
        source="apple_health",
        sport=sport,
        sub_sport=sub_sport,
        start=datetime.fromtimestamp(workout.start, tz=UTC),
        utc_offset_s=workout.offset_s,
        distance_m=_statistic_distance(workout, name),
        moving_s=moving,
        elapsed_s=elapsed,
        elevation_gain_m=length_m(float(ascent[0]), ascent[1] if len(ascent) > 1 else "m", name)
        if len(ascent) >= 1 and _is_number(ascent[0])
        else None,
        avg_hr=heart.average if heart is not None else None,
        max_hr=heart.maximum if heart is not None else None,
        device=_device(workout),
        streams=streams,
        warnings=warnings,
    )
    distance = streams.get("distance")
    activity.laps = laps_from_boundaries(
        _boundaries(workout, streams["t"], distance), elapsed, streams["t"], distance
    )
    fill_derived(activity)
    return activity


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


__all__ = ["build_activity", "identity", "join", "label", "pauses", "pick_source", "sport_of"]
