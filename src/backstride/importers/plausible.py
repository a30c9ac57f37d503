"""Physical bounds for everything an importer reads: nothing impossible reaches the store.

Every importer passes its activity through :func:`clean_streams` (per-sample channels) and
:func:`clean_summary` (the totals a file states or that are derived), via
:func:`backstride.importers.derive.fill_derived`. A value outside its bounds, or not finite, is dropped
(NaN in a stream, ``None`` in the summary) with a warning naming the channel; samples whose time is
impossible are left out. :func:`check_start` refuses a file whose start date cannot be a recording,
and :func:`not_a_run` says why an activity that reads fine is still no run to store (no real date, or
an accidental recording of a few seconds).

Bounds are deliberately wide (every sport, every device, a week-long ultra): they catch corrupt and
mutated values, not unusual athletes.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from backstride.errors import BadFileError
from backstride.importers.model import Activity

if TYPE_CHECKING:
    import numpy as np

DAY_S = 86_400.0
#: The longest activity accepted: a week (multi-day ultras included).
MAX_ELAPSED_S = 7 * DAY_S
#: The longest distance accepted, metres.
MAX_DISTANCE_M = 1_000_000.0
#: Fastest plausible movement between two samples, m/s (downhill skiing, fast cycling; no aircraft).
MAX_SPEED_MS = 100.0
#: Earliest start date accepted (before any consumer GPS or heart-rate recorder).
MIN_START = datetime(1980, 1, 1, tzinfo=UTC)
#: How far in the future a start may lie (clock and time-zone slop).
FUTURE_SLACK = timedelta(days=2)
#: An activity shorter than this (metres) is an accidental recording, not a run.
MIN_DISTANCE_M = 50.0
#: Without a distance, an activity shorter than this (seconds) is an accidental recording.
MIN_ELAPSED_S = 60.0

#: Stream channels: (lowest, highest, unit) of a physically possible sample.
STREAM_BOUNDS: dict[str, tuple[float, float, str]] = {
    "lat": (-90.0, 90.0, "degrees"),
    "lon": (-180.0, 180.0, "degrees"),
    "altitude": (-500.0, 9_000.0, "m"),
    "heart_rate": (20.0, 250.0, "bpm"),
    "cadence": (0.0, 400.0, "per minute"),
    "speed": (0.0, MAX_SPEED_MS, "m/s"),
    "vertical_oscillation": (0.0, 500.0, "mm"),
    "stance_time": (0.0, 3_000.0, "ms"),
    "step_length": (0.0, 5_000.0, "mm"),
    "power": (0.0, 3_000.0, "W"),
    "distance": (0.0, MAX_DISTANCE_M, "m"),
}

#: Summary fields: (lowest, highest, unit).
SUMMARY_BOUNDS: dict[str, tuple[float, float, str]] = {
    "distance_m": (0.0, MAX_DISTANCE_M, "m"),
    "moving_s": (0.0, MAX_ELAPSED_S, "s"),
    "elapsed_s": (0.0, MAX_ELAPSED_S, "s"),
    "elevation_gain_m": (0.0, 50_000.0, "m"),
    "elevation_loss_m": (0.0, 50_000.0, "m"),
    "avg_hr": (20.0, 250.0, "bpm"),
    "max_hr": (20.0, 250.0, "bpm"),
    "avg_cadence": (0.0, 400.0, "per minute"),
    "avg_speed": (0.0, MAX_SPEED_MS, "m/s"),
    "avg_vertical_oscillation": (0.0, 500.0, "mm"),
    "avg_stance_time": (0.0, 3_000.0, "ms"),
    "avg_step_length": (0.0, 5_000.0, "mm"),
    "avg_power": (0.0, 3_000.0, "W"),
}
MAX_UTC_OFFSET_S = 14 * 3600


def _samples(count: int) -> str:
    return f"{count} sample" if count == 1 else f"{count} samples"


def _number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"


def clean_streams(activity: Activity) -> Activity:
    """Drop impossible samples and values from ``activity.streams`` (in place), with warnings."""
    import numpy as np

    s = activity.streams
    t = s.get("t")
    if t is None:
        return activity
    t = np.asarray(t, dtype=np.float64)
    n = len(t)
    for name, values in list(s.items()):
        if len(values) != n:  # a reader bug or a broken file: a channel that does not line up
            del s[name]
            activity.warnings.append(f"{name}: {len(values)} values for {n} samples; left out")
    keep = np.isfinite(t) & (t >= -DAY_S) & (t <= MAX_ELAPSED_S + DAY_S)
    if not keep.all():
        dropped = int((~keep).sum())
        for name in list(s):
            s[name] = np.asarray(s[name])[keep]
        t = s["t"]
        activity.warnings.append(
            f"time: {_samples(dropped)} with an impossible time (not within a week of the start) left out"
        )
    if len(t) > 1 and (np.diff(t) < 0).any():
        order = np.argsort(t, kind="stable")
        for name in list(s):
            s[name] = np.asarray(s[name])[order]
        activity.warnings.append("time: samples out of order were put in time order")
    for name, (low, high, unit) in STREAM_BOUNDS.items():
        if name not in s:
            continue
        values = np.asarray(s[name], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(values) & ~np.isnan(values) | (values < low) | (values > high)
        if bad.any():
            values = values.copy()
            example = float(values[bad][0])
            values[bad] = np.nan
            count = int(bad.sum())
            activity.warnings.append(
                f"{name}: {count} {'value' if count == 1 else 'values'} outside {_number(low)} to "
                f"{_number(high)} {unit} (such as {_number(example)}) "
                f"{'was' if count == 1 else 'were'} dropped"
            )
        s[name] = values
    if "lat" in s and "lon" in s:
        missing = np.isnan(s["lat"]) | np.isnan(s["lon"])
        s["lat"][missing] = np.nan
        s["lon"][missing] = np.nan
    if "distance" in s:
        s["distance"] = _plausible_distance(s["t"], s["distance"], activity)
    for name in [n for n in s if n != "t"]:
        if not np.isfinite(s[name]).any():
            del s[name]
    return activity


def _plausible_distance(t: np.ndarray, distance: np.ndarray, activity: Activity) -> np.ndarray:
    """A cumulative distance never goes back and never jumps faster than :data:`MAX_SPEED_MS`:
    such samples are dropped (measured from the last good sample, so one spike costs one sample)."""
    import numpy as np

    ok = np.isfinite(distance)
    if ok.sum() < 2:
        return distance
    td, dd = t[ok], distance[ok]
    step, dt = np.diff(dd), np.diff(td)
    if not ((step < 0) | (step > MAX_SPEED_MS * dt + 10.0)).any():
        return distance
    out = distance.copy()
    last_d = last_t = None
    dropped = 0
    for i in np.flatnonzero(ok):
        d, ti = float(out[i]), float(t[i])
        if (
            last_d is not None
            and last_t is not None
            and (d < last_d or d - last_d > MAX_SPEED_MS * (ti - last_t) + 10.0)
        ):
            out[i] = np.nan
            dropped += 1
            continue
        last_d, last_t = d, ti
    activity.warnings.append(
        f"distance: {_samples(dropped)} going backwards or faster than {MAX_SPEED_MS:.0f} m/s were dropped"
    )
    return out


def clean_summary(activity: Activity) -> Activity:
    """Set impossible or non-finite summary values to ``None`` (in place), with warnings."""
    for name, (low, high, unit) in SUMMARY_BOUNDS.items():
        value = getattr(activity, name)
        if value is None:
            continue
        value = float(value)
        if math.isnan(value):
            setattr(activity, name, None)
        elif not math.isfinite(value) or not low <= value <= high:
            setattr(activity, name, None)
            activity.warnings.append(
                f"{name}: {_number(value)} {unit} is impossible (outside {_number(low)} to "
                f"{_number(high)}); dropped"
            )
        else:
            setattr(activity, name, value)
    if activity.utc_offset_s is not None and abs(activity.utc_offset_s) > MAX_UTC_OFFSET_S:
        activity.warnings.append(f"utc_offset_s: {activity.utc_offset_s} s is not a time zone; dropped")
        activity.utc_offset_s = None
    moving, elapsed = activity.moving_s, activity.elapsed_s
    if moving is not None and elapsed is not None and moving > elapsed + 60.0:
        activity.warnings.append(
            f"moving_s: {moving:.0f} s is longer than the elapsed {elapsed:.0f} s; dropped"
        )
        activity.moving_s = None
    return activity


def check_start(activity: Activity, name: str, now: datetime | None = None) -> None:
    """Raise :class:`BadFileError` when the start cannot be a recording date."""
    start = activity.start
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    latest = (now or datetime.now(UTC)) + FUTURE_SLACK
    if start < MIN_START and not activity.device_time:
        raise BadFileError(
            name, f"starts on {start:%Y-%m-%d}, before {MIN_START:%Y}: its timestamps are corrupt"
        )
    if start > latest:
        raise BadFileError(name, f"starts on {start:%Y-%m-%d}, in the future: its timestamps are corrupt")


def not_a_run(activity: Activity) -> str | None:
    """Why an activity that reads fine is not stored (the import skips it and says so), or ``None``."""
    if activity.device_time:
        return (
            f"its timestamps count seconds since the watch was switched on, not a date (it would show "
            f"as {activity.start:%Y-%m-%d}): a run without a real date cannot join the analysis; not imported"
        )
    distance, elapsed = activity.distance_m, activity.elapsed_s
    if distance is not None and distance < MIN_DISTANCE_M:
        took = f" in {elapsed:.0f} s" if elapsed is not None else ""
        return f"only {distance:.0f} m{took}: an accidental recording, not a run; not imported"
    if distance is None and elapsed is not None and elapsed < MIN_ELAPSED_S:
        return f"only {elapsed:.0f} s and no distance: an accidental recording, not a run; not imported"
    return None


__all__ = [
    "MAX_DISTANCE_M",
    "MAX_ELAPSED_S",
    "STREAM_BOUNDS",
    "SUMMARY_BOUNDS",
    "check_start",
    "clean_streams",
    "clean_summary",
    "not_a_run",
]
