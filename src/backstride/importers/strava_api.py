"""A Strava activity as the API gives it (summary, streams, laps) into the one activity model.

- Streams (``key_by_type=true``): ``time`` (s), ``distance`` (m), ``latlng`` ([lat, lon]), ``altitude``
  (m), ``heartrate`` (bpm), ``cadence`` (Strava's running cadence counts one foot: doubled to steps per
  minute), ``velocity_smooth`` (m/s), ``watts`` (W). ``grade_smooth`` and ``moving`` are not kept: the
  grade is derived from distance and altitude where needed.
- Laps: ``start_index`` / ``end_index`` point into the streams (times and distances come from there);
  without streams, the laps' own ``elapsed_time`` and ``distance`` follow on from the start. Strava
  does not say how a lap was started: the trigger is inferred from its length
  (:func:`backstride.importers.laps.infer_triggers`).
- Summary: ``distance``, ``moving_time``, ``elapsed_time``, ``total_elevation_gain``, heart rate,
  ``average_cadence`` (doubled for runs), ``average_speed``, ``average_watts``, ``name``, the gear's name
  as the shoe, ``sport_type`` (``Run``, ``TrailRun``, ``VirtualRun`` ...; ``trainer`` is a treadmill).

Every activity carries ``strava:<athlete>:<id>`` in ``file_hashes``: a second sync of the same activity
is a duplicate, and a FIT copy of the same run merges with it by time and distance.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np

from backstride.errors import BadFileError
from backstride.importers.derive import fill_derived
from backstride.importers.laps import infer_triggers
from backstride.importers.model import Activity, Lap
from backstride.importers.sports import running_cadence_as_steps, sport_and_sub_sport

#: Stream keys asked for, and the stream column each fills.
STREAM_KEYS = (
    "time",
    "distance",
    "latlng",
    "altitude",
    "heartrate",
    "cadence",
    "velocity_smooth",
    "grade_smooth",
    "watts",
)
_COLUMNS = {
    "distance": "distance",
    "altitude": "altitude",
    "heartrate": "heart_rate",
    "cadence": "cadence",
    "velocity_smooth": "speed",
    "watts": "power",
}


def identity(athlete_id: int | None, activity_id: int) -> str:
    return f"strava:{athlete_id or 0}:{activity_id}"


def sport_of(summary: dict[str, Any]) -> tuple[str, str | None]:
    sport, sub_sport = sport_and_sub_sport(str(summary.get("sport_type") or summary.get("type") or ""))
    if sport == "running" and summary.get("trainer") and sub_sport is None:
        sub_sport = "treadmill"
    return sport, sub_sport


def start_of(summary: dict[str, Any]) -> datetime:
    text = str(summary.get("start_date") or "")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadFileError(
            f"strava activity {summary.get('id')}", f"start_date {text!r} is not a date"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _array(stream: dict[str, Any] | None, n: int) -> np.ndarray | None:
    if not stream or not isinstance(stream.get("data"), list) or len(stream["data"]) != n:
        return None
    return np.array([np.nan if v is None else v for v in stream["data"]], dtype=np.float64)


def _streams(raw: dict[str, Any], name: str) -> dict[str, np.ndarray]:
    time = raw.get("time")
    if not time or not isinstance(time.get("data"), list) or not time["data"]:
        return {}
    t = np.array(time["data"], dtype=np.float64)
    n = len(t)
    out: dict[str, np.ndarray] = {"t": t - t[0]}
    for key, column in _COLUMNS.items():
        values = _array(raw.get(key), n)
        if values is not None and np.isfinite(values).any():
            out[column] = values
    latlng = raw.get("latlng")
    if latlng and isinstance(latlng.get("data"), list) and len(latlng["data"]) == n:
        pairs = np.array(
            [p if isinstance(p, list) and len(p) == 2 else [np.nan, np.nan] for p in latlng["data"]],
            dtype=np.float64,
        )
        out["lat"], out["lon"] = pairs[:, 0], pairs[:, 1]
    if np.any(np.diff(out["t"]) < 0):
        raise BadFileError(name, "the time stream runs backwards")
    return out


def _laps(raw: list[dict[str, Any]], streams: dict[str, np.ndarray]) -> list[Lap]:
    t, d = streams.get("t"), streams.get("distance")
    laps: list[Lap] = []
    clock = metres = 0.0
    for lap in sorted(raw, key=lambda item: item.get("lap_index") or 0):
        a, b = lap.get("start_index"), lap.get("end_index")
        if t is not None and isinstance(a, int) and isinstance(b, int) and 0 <= a <= b < len(t):
            start_s, end_s = float(t[a]), float(t[b])
            start_m = float(d[a]) if d is not None else None
            end_m = float(d[b]) if d is not None else None
        else:
            start_s = clock
            end_s = clock + (_number(lap.get("elapsed_time")) or 0.0)
            start_m = metres
            end_m = metres + (_number(lap.get("distance")) or 0.0)
        clock, metres = end_s, end_m if end_m is not None else metres
        laps.append(Lap(start_s, end_s, start_m, end_m))
    lengths = [
        _number(lap.get("distance")) for lap in sorted(raw, key=lambda item: item.get("lap_index") or 0)
    ]
    for found, trigger in zip(laps, infer_triggers(lengths), strict=True):
        found.trigger = trigger
    return laps if len(laps) > 1 else []


def activity_from_strava(
    summary: dict[str, Any],
    streams: dict[str, Any],
    laps: list[dict[str, Any]],
    athlete_id: int | None = None,
    gear_name: str | None = None,
) -> Activity:
    """One activity from the API's answers (see the module's docstring)."""
    activity_id = int(summary["id"])
    name = f"strava activity {activity_id}"
    sport, sub_sport = sport_of(summary)
    columns = _streams(streams, name)
    if sport == "running" and "cadence" in columns:
        columns["cadence"] = running_cadence_as_steps(columns["cadence"])
    avg_cadence = _number(summary.get("average_cadence"))
    if sport == "running" and avg_cadence is not None and avg_cadence < 120:
        avg_cadence *= 2
    offset = _number(summary.get("utc_offset"))
    activity = Activity(
        source="strava_api",
        sport=sport,
        sub_sport=sub_sport,
        start=start_of(summary),
        utc_offset_s=int(offset) if offset is not None else None,
        distance_m=_number(summary.get("distance")),
        moving_s=_number(summary.get("moving_time")),
        elapsed_s=_number(summary.get("elapsed_time")),
        elevation_gain_m=_number(summary.get("total_elevation_gain")),
        avg_hr=_number(summary.get("average_heartrate")),
        max_hr=_number(summary.get("max_heartrate")),
        avg_cadence=avg_cadence,
        avg_speed=_number(summary.get("average_speed")),
        avg_power=_number(summary.get("average_watts")),
        device=str(summary["device_name"])[:200] if summary.get("device_name") else "Strava",
        name=str(summary.get("name") or "")[:500] or None,
        shoe=gear_name,
        streams=columns,
    )
    activity.laps = _laps(laps, columns)
    if activity.laps and any(lap.trigger == "manual" for lap in activity.laps):
        activity.warnings.append(
            "Strava does not say which laps were button presses: taken from their lengths"
        )
    activity.file_hashes = [identity(athlete_id, activity_id)]
    activity.file_names = [name]
    return fill_derived(activity)


__all__ = ["STREAM_KEYS", "activity_from_strava", "identity", "sport_of", "start_of"]
