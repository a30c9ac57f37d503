"""FIT messages into :class:`~backstride.importers.model.Activity` objects: one per session.

Records belong to the session whose time range holds them (session ``i`` owns the time from its start
to the next session's start; records before the first session go to the first). Laps are assigned the
same way. Units follow the model: metres, seconds, metres per second, steps per minute (FIT running
cadence is strides per minute plus a fractional part, so it is doubled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from backstride.errors import FitTimeError
from backstride.importers.derive import fill_derived
from backstride.importers.fit.decode import FitData, MessageTable
from backstride.importers.fit.profile import (
    FIT_EPOCH_S,
    MIN_ABSOLUTE_DATE_TIME,
    SEMICIRCLE_DEG,
    FitProfile,
)
from backstride.importers.model import Activity, Lap, finite_or_none

#: Sports whose FIT cadence counts strides (one foot): doubled into steps per minute.
FOOT_SPORTS = frozenset({"running", "walking", "hiking", "mountaineering", "snowshoeing"})
#: Manufacturers whose ``product`` numbers name a ``garmin_product``.
GARMIN_FAMILY = frozenset({"garmin", "dynastream", "dynastream_oem", "tacx"})
_POSITION_TRIGGERS = frozenset({"position_start", "position_lap", "position_waypoint", "position_marked"})
_KEPT_TRIGGERS = frozenset({"manual", "distance", "time", "session_end", "fitness_equipment"})


def lap_trigger_name(fit_name: str | None) -> str:
    """The model's lap trigger for a FIT ``lap_trigger`` name (``position_lap`` -> ``position``)."""
    if fit_name in _KEPT_TRIGGERS:
        return fit_name
    if fit_name in _POSITION_TRIGGERS:
        return "position"
    return "unknown"


def fit_time_to_datetime(value: float) -> datetime:
    """A FIT ``date_time`` (seconds since 1989-12-31 UTC) as an aware UTC datetime.

    Raises :class:`FitTimeError` for a value no datetime can hold (a corrupt file).
    """
    try:
        return datetime.fromtimestamp(float(value) + FIT_EPOCH_S, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise FitTimeError(f"the time {value!r} is out of range") from exc


def _value(table: MessageTable | None, name: str, row: int) -> float | None:
    if table is None:
        return None
    column = table.column(name)
    return None if column is None else finite_or_none(float(column[row]))


def _prefer(table: MessageTable | None, names: tuple[str, ...], row: int) -> float | None:
    for name in names:
        value = _value(table, name, row)
        if value is not None:
            return value
    return None


def _has_data(values: np.ndarray | None) -> bool:
    return values is not None and bool(np.isfinite(values).any())


def _ffill(values: np.ndarray) -> np.ndarray:
    mask = np.isfinite(values)
    if mask.all() or not mask.any():
        return values
    idx = np.where(mask, np.arange(len(values)), 0)
    np.maximum.accumulate(idx, out=idx)
    out = values[idx]
    first = int(np.argmax(mask))
    out[:first] = values[first]
    return out


def _dev_by_native(records: MessageTable, native: int, name: str) -> np.ndarray | None:
    for dev_name in records.dev_field_names():
        desc = records.dev_field(dev_name)
        if desc is None:
            continue
        if desc.native_field == native or dev_name.strip().lower() == name:
            values = records.column(f"dev:{dev_name}")
            if _has_data(values):
                return values
    return None


def _record_columns(records: MessageTable) -> dict[str, np.ndarray]:
    """Stream columns from record messages (cadence still in the file's unit: rpm/strides)."""
    col = records.column
    out: dict[str, np.ndarray | None] = {
        "distance": col("distance"),
        "heart_rate": col("heart_rate"),
        "vertical_oscillation": col("vertical_oscillation"),
        "stance_time": col("stance_time"),
        "step_length": col("step_length"),
    }
    lat, lon = col("position_lat"), col("position_long")
    if _has_data(lat) and _has_data(lon):
        assert lat is not None and lon is not None
        out["lat"] = lat * SEMICIRCLE_DEG
        out["lon"] = lon * SEMICIRCLE_DEG
    altitude = col("enhanced_altitude")
    out["altitude"] = altitude if _has_data(altitude) else col("altitude")
    speed = col("enhanced_speed")
    out["speed"] = speed if _has_data(speed) else col("speed")
    cadence = col("cadence")
    if not _has_data(cadence):
        cadence = _dev_by_native(records, 4, "cadence")
    if cadence is not None:
        fraction = col("fractional_cadence")
        if _has_data(fraction):
            assert fraction is not None
            cadence = cadence + np.nan_to_num(fraction)
    out["cadence"] = cadence
    power = col("power")
    out["power"] = power if _has_data(power) else _dev_by_native(records, 7, "power")
    return {name: values for name, values in out.items() if values is not None and _has_data(values)}


@dataclass
class _Session:
    start: float
    row: int | None
    sport: str
    sub_sport: str | None


def _sessions(fit: FitData, prof: FitProfile, first_time: float) -> list[_Session]:
    table = fit.table("session")
    if table is None:
        sport_table = fit.table("sport") or fit.table("lap")
        sport = prof.enum_name("sport", _value(sport_table, "sport", 0)) or "unknown"
        sub = prof.enum_name("sub_sport", _value(sport_table, "sub_sport", 0))
        return [_Session(first_time, None, sport, sub)]
    out: list[_Session] = []
    for row in range(len(table)):
        start = _value(table, "start_time", row)
        if start is None:
            end = _value(table, "timestamp", row)
            elapsed = _value(table, "total_elapsed_time", row)
            start = end - elapsed if end is not None and elapsed is not None else first_time
        sport = prof.enum_name("sport", _value(table, "sport", row)) or "unknown"
        out.append(_Session(start, row, sport, prof.enum_name("sub_sport", _value(table, "sub_sport", row))))
    out.sort(key=lambda s: s.start)
    return out


def device_name(fit: FitData, prof: FitProfile) -> str | None:
    """Manufacturer and product, as the profile names them (``"garmin fenix5"``)."""
    for table_name in ("file_id", "device_info"):
        table = fit.table(table_name)
        if table is None:
            continue
        rows: list[int] = list(range(len(table)))
        if table_name == "device_info":
            index = table.column("device_index")
            rows = rows if index is None else [i for i in rows if index[i] == 0]
        for row in rows:
            maker_value = _value(table, "manufacturer", row)
            maker = prof.enum_name("manufacturer", maker_value)
            if maker is None:
                continue
            product_value = _value(table, "product", row)
            product: str | None = None
            if product_value is not None:
                if maker in GARMIN_FAMILY:
                    product = prof.enum_name("garmin_product", product_value)
                elif maker == "favero_electronics":
                    product = prof.enum_name("favero_product", product_value)
                product = product or str(int(product_value))
            names = table.strings("product_name")
            product = names[row] or product
            return f"{maker} {product}" if product else maker
    return None


def _utc_offset(fit: FitData) -> int | None:
    table = fit.table("activity")
    local = _value(table, "local_timestamp", 0)
    stamp = _value(table, "timestamp", 0)
    if local is None or stamp is None:
        return None
    offset = round(local - stamp)
    return offset if abs(offset) <= 14 * 3600 else None


def _laps(
    fit: FitData, prof: FitProfile, starts: np.ndarray
) -> list[list[tuple[float, float, float | None, str]]]:
    """Per session: ``(start_time, end_time, total_distance, trigger)`` in FIT seconds."""
    out: list[list[tuple[float, float, float | None, str]]] = [[] for _ in starts]
    table = fit.table("lap")
    if table is None:
        return out
    for row in range(len(table)):
        end = _value(table, "timestamp", row)
        elapsed = _value(table, "total_elapsed_time", row)
        start = _value(table, "start_time", row)
        if start is None:
            if end is None or elapsed is None:
                continue
            start = end - elapsed
        stop = start + elapsed if elapsed is not None else (end if end is not None else start)
        trigger = lap_trigger_name(prof.enum_name("lap_trigger", _value(table, "lap_trigger", row)))
        session = max(int(np.searchsorted(starts, start, side="right")) - 1, 0)
        out[session].append((start, stop, _value(table, "total_distance", row), trigger))
    return out


def _session_summary(activity: Activity, table: MessageTable | None, row: int | None, foot: bool) -> None:
    if table is None or row is None:
        return
    activity.distance_m = _value(table, "total_distance", row)
    activity.moving_s = _value(table, "total_timer_time", row)
    activity.elapsed_s = _value(table, "total_elapsed_time", row)
    activity.elevation_gain_m = _value(table, "total_ascent", row)
    activity.elevation_loss_m = _value(table, "total_descent", row)
    activity.avg_hr = _value(table, "avg_heart_rate", row)
    activity.max_hr = _value(table, "max_heart_rate", row)
    cadence = _value(table, "avg_cadence", row)
    if cadence is not None:
        cadence += _value(table, "avg_fractional_cadence", row) or 0.0
        activity.avg_cadence = cadence * 2 if foot else cadence
    activity.avg_speed = _prefer(table, ("enhanced_avg_speed", "avg_speed"), row)
    activity.avg_vertical_oscillation = _value(table, "avg_vertical_oscillation", row)
    activity.avg_stance_time = _value(table, "avg_stance_time", row)
    activity.avg_step_length = _value(table, "avg_step_length", row)
    activity.avg_power = _value(table, "avg_power", row)


def build_activities(fit: FitData, prof: FitProfile, warnings: list[str]) -> list[Activity]:
    """One activity per session (or one from the records when the file has no session)."""
    records = fit.table("record")
    assert records is not None and len(records) > 0
    time = records.column("timestamp")
    time = _ffill(time) if time is not None else np.full(len(records), np.nan)
    finite = time[np.isfinite(time)]
    if not len(finite):
        raise FitTimeError("no record carries a time")
    first_time = float(finite[0])
    device_time = bool(len(finite)) and float(finite.max()) < MIN_ABSOLUTE_DATE_TIME
    if device_time:
        warnings.append(
            "timestamps are device-relative (seconds since the device was switched on, not a date), "
            "so the start date is not the real date"
        )
    columns = _record_columns(records)
    sessions = _sessions(fit, prof, first_time)
    starts = np.array([s.start for s in sessions])
    owner = np.clip(np.searchsorted(starts, time, side="right") - 1, 0, None)
    if len(sessions) > 1:
        owner[~np.isfinite(time)] = 0
    laps = _laps(fit, prof, starts)
    session_table = fit.table("session")
    device = device_name(fit, prof)
    utc_offset = _utc_offset(fit)
    out: list[Activity] = []
    for i, session in enumerate(sessions):
        mask = owner == i if len(sessions) > 1 else slice(None)
        foot = session.sport in FOOT_SPORTS
        t = time[mask] - session.start
        streams: dict[str, np.ndarray] = {"t": np.asarray(t, dtype=np.float64)}
        for name, values in columns.items():
            values = values[mask]
            if not np.isfinite(values).any():
                continue
            if name == "cadence" and foot:
                values = values * 2
            streams[name] = np.asarray(values, dtype=np.float64)
        activity = Activity(
            source="fit",
            sport=session.sport,
            sub_sport=session.sub_sport,
            start=fit_time_to_datetime(session.start),
            utc_offset_s=utc_offset,
            device=device,
            streams=streams,
            warnings=list(warnings),
            device_time=device_time,
        )
        _session_summary(activity, session_table, session.row, foot)
        activity.laps = _session_laps(laps[i], session.start, streams)
        out.append(fill_derived(activity))
    return out


def _session_laps(
    laps: list[tuple[float, float, float | None, str]], start: float, streams: dict[str, np.ndarray]
) -> list[Lap]:
    t = streams["t"]
    distance = streams.get("distance")
    ok = np.isfinite(distance) & np.isfinite(t) if distance is not None else np.zeros(len(t), dtype=bool)
    out: list[Lap] = []
    cumulative = 0.0
    for lap_start, lap_end, lap_distance, trigger in sorted(laps):
        start_s, end_s = lap_start - start, lap_end - start
        start_m: float | None
        end_m: float | None
        if ok.any():
            assert distance is not None
            start_m, end_m = (float(v) for v in np.interp([start_s, end_s], t[ok], distance[ok]))
        else:
            start_m = cumulative
            end_m = cumulative + lap_distance if lap_distance is not None else None
        if lap_distance is not None:
            cumulative += lap_distance
        out.append(Lap(start_s=start_s, end_s=end_s, start_m=start_m, end_m=end_m, trigger=trigger))
    return out
