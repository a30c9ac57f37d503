"""A small FIT encoder: an :class:`~backstride.importers.model.Activity` as a valid FIT activity file.

Used by tests (generated files, so a clone without the shared fixtures still tests the importer) and by
the simulator. Messages: ``file_id``, optional ``developer_data_id`` + ``field_description``, a timer
start ``event``, ``record`` (one per stream sample), ``lap`` (with ``lap_trigger``), ``session`` and
``activity``; header and file CRCs. Records are packed all at once with numpy structured arrays.

FIT timestamps are whole seconds: stream times are rounded to the second. Field numbers, base types,
scales and offsets come from the profile (:mod:`backstride.importers.fit.profile`).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from backstride.importers.fit.activity import FOOT_SPORTS
from backstride.importers.fit.crc import crc16, crc16_small
from backstride.importers.fit.profile import BASE_TYPES_BY_NAME, FIT_EPOCH_S, SEMICIRCLE_DEG, profile
from backstride.importers.model import Activity, Lap

PROTOCOL_VERSION = 0x20
PROFILE_VERSION = 21_218
_DEV_POWER_FIELD = 0
#: Model lap triggers -> FIT ``lap_trigger`` names.
_TRIGGERS = {"position": "position_lap", "unknown": "manual"}

Column = tuple[str, np.ndarray | list[bytes]]


def _raw_values(
    values: np.ndarray, scale: float, offset: float, dtype: np.dtype[Any], invalid: int
) -> np.ndarray:
    """Physical values -> stored integers (``(value + offset) * scale``), NaN/out of range -> invalid."""
    raw = np.round((np.asarray(values, dtype=np.float64) + offset) * scale)
    info = np.iinfo(dtype)
    bad = ~np.isfinite(raw) | (raw < info.min) | (raw > info.max) | (raw == invalid)
    return np.where(bad, invalid, np.nan_to_num(raw)).astype(dtype)


class _Message:
    """One definition message and its data rows, built from profile field names."""

    def __init__(
        self,
        name: str,
        local: int,
        columns: list[Column],
        rows: int,
        *,
        with_header: bool = True,
        dev_columns: list[tuple[int, int, str, np.ndarray]] | None = None,
    ) -> None:
        info = profile().by_name[name]
        specs: list[tuple[str, Any]] = [("header", "u1")] if with_header else []
        self.defs: list[tuple[int, int, int]] = []
        values: dict[str, np.ndarray] = {}
        for field_name, column in columns:
            field = info.by_name[field_name]
            base = BASE_TYPES_BY_NAME[field.base_type]
            key = f"f{field.num}"
            if base.kind == "S" or (field.base_type == "byte" and isinstance(column, list)):
                assert isinstance(column, list)
                size = max(1, max(len(v) for v in column) + (1 if base.kind == "S" else 0))
                specs.append((key, f"S{size}"))
                values[key] = np.array(column, dtype=f"S{size}")
                self.defs.append((field.num, size, base.id | (0x80 if base.size > 1 else 0)))
                continue
            assert isinstance(column, np.ndarray)
            dtype = base.dtype(big_endian=False)
            specs.append((key, dtype))
            if base.kind == "f":
                values[key] = np.asarray(column, dtype=dtype)
            else:
                values[key] = _raw_values(column, field.scale, field.offset, dtype, base.invalid)
            self.defs.append((field.num, base.size, base.id | (0x80 if base.size > 1 else 0)))
        self.dev_defs: list[tuple[int, int, int]] = []
        for dev_index, number, base_name, column in dev_columns or []:
            base = BASE_TYPES_BY_NAME[base_name]
            dtype = base.dtype(big_endian=False)
            specs.append((f"d{dev_index}_{number}", dtype))
            values[f"d{dev_index}_{number}"] = _raw_values(column, 1.0, 0.0, dtype, base.invalid)
            self.dev_defs.append((number, base.size, dev_index))
        self.rows = np.zeros(rows, dtype=np.dtype(specs))
        if with_header:
            self.rows["header"] = local
        for key, column_values in values.items():
            self.rows[key] = column_values
        self.global_num = info.num
        self.local = local

    def definition(self) -> bytes:
        header = 0x40 | self.local | (0x20 if self.dev_defs else 0)
        out = struct.pack("<BBBHB", header, 0, 0, self.global_num, len(self.defs))
        out += b"".join(struct.pack("BBB", *d) for d in self.defs)
        if self.dev_defs:
            out += bytes([len(self.dev_defs)]) + b"".join(struct.pack("BBB", *d) for d in self.dev_defs)
        return out

    def data(self) -> bytes:
        return self.rows.tobytes()

    def block(self) -> bytes:
        return self.definition() + self.data()


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _enum(type_name: str, name: str | None, default: str) -> np.ndarray:
    prof = profile()
    try:
        return np.array([prof.enum_value(type_name, name or default)], dtype=float)
    except KeyError:
        return np.array([prof.enum_value(type_name, default)], dtype=float)


def _record_columns(
    activity: Activity, developer_field: bool
) -> tuple[list[Column], list[tuple[int, int, str, np.ndarray]]]:
    s = activity.streams
    columns: list[Column] = []
    if "lat" in s and "lon" in s:
        columns.append(("position_lat", s["lat"] / SEMICIRCLE_DEG))
        columns.append(("position_long", s["lon"] / SEMICIRCLE_DEG))
    simple = {
        "distance": "distance",
        "altitude": "enhanced_altitude",
        "heart_rate": "heart_rate",
        "speed": "enhanced_speed",
        "vertical_oscillation": "vertical_oscillation",
        "stance_time": "stance_time",
        "step_length": "step_length",
    }
    for stream, field_name in simple.items():
        if stream in s:
            columns.append((field_name, s[stream]))
    if "cadence" in s:
        cadence = s["cadence"] / 2 if activity.sport in FOOT_SPORTS else s["cadence"]
        whole = np.floor(cadence)
        columns.append(("cadence", whole))
        columns.append(("fractional_cadence", cadence - whole))
    dev: list[tuple[int, int, str, np.ndarray]] = []
    if "power" in s:
        if developer_field:
            dev.append((0, _DEV_POWER_FIELD, "uint16", s["power"]))
        else:
            columns.append(("power", s["power"]))
    return columns, dev


def _records(activity: Activity, base: int, compressed: bool, developer_field: bool) -> bytes:
    """Definitions and data of every record, in time order."""
    t = activity.streams.get("t", np.zeros(0))
    times = base + np.round(np.nan_to_num(t)).astype(np.int64)
    n = len(times)
    columns, dev = _record_columns(activity, developer_field)
    full = np.ones(n, dtype=bool)
    if compressed and n:
        gaps = np.diff(times)
        full[1:] = (gaps < 0) | (gaps > 31)
    full_idx = np.flatnonzero(full)
    comp_idx = np.flatnonzero(~full)

    def pick(idx: np.ndarray) -> list[Column]:
        return [(name, values[idx]) for name, values in columns if isinstance(values, np.ndarray)]

    def pick_dev(idx: np.ndarray) -> list[tuple[int, int, str, np.ndarray]]:
        return [(i, num, base_name, values[idx]) for i, num, base_name, values in dev]

    full_msg = _Message(
        "record",
        3,
        [("timestamp", times[full_idx].astype(float)), *pick(full_idx)],
        len(full_idx),
        dev_columns=pick_dev(full_idx),
    )
    out = [full_msg.definition()]
    if not len(comp_idx):
        return out[0] + full_msg.data()
    comp_msg = _Message("record", 0, pick(comp_idx), len(comp_idx), dev_columns=pick_dev(comp_idx))
    comp_msg.rows["header"] = 0x80 | (times[comp_idx] & 0x1F).astype(np.uint8)
    out.append(comp_msg.definition())
    full_bytes = full_msg.rows.view(np.uint8).reshape(len(full_idx), -1)
    comp_bytes = comp_msg.rows.view(np.uint8).reshape(len(comp_idx), -1)
    sizes = np.where(full, full_bytes.shape[1], comp_bytes.shape[1])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    buffer = np.zeros(int(sizes.sum()), dtype=np.uint8)
    buffer[starts[full_idx, None] + np.arange(full_bytes.shape[1])] = full_bytes
    buffer[starts[comp_idx, None] + np.arange(comp_bytes.shape[1])] = comp_bytes
    return b"".join(out) + buffer.tobytes()


def _laps(laps: list[Lap], base: int, sport: np.ndarray) -> bytes:
    if not laps:
        return b""
    prof = profile()
    start = np.array([lap.start_s for lap in laps])
    end = np.array([lap.end_s for lap in laps])
    distance = np.array([_nan(lap.end_m) - _nan(lap.start_m) for lap in laps])
    trigger = np.array(
        [prof.enum_value("lap_trigger", _TRIGGERS.get(lap.trigger, lap.trigger)) for lap in laps], dtype=float
    )
    n = len(laps)
    columns: list[Column] = [
        ("timestamp", base + np.round(end)),
        ("start_time", base + np.round(start)),
        ("total_elapsed_time", end - start),
        ("total_timer_time", end - start),
        ("total_distance", distance),
        ("event", np.full(n, prof.enum_value("event", "lap"), dtype=float)),
        ("event_type", np.full(n, prof.enum_value("event_type", "stop"), dtype=float)),
        ("lap_trigger", trigger),
        ("sport", np.repeat(sport, n)),
        ("message_index", np.arange(n, dtype=float)),
    ]
    return _Message("lap", 4, columns, n).block()


def _session(activity: Activity, base: int, end: float, sport: np.ndarray) -> bytes:
    prof = profile()
    cadence = activity.avg_cadence
    if cadence is not None and activity.sport in FOOT_SPORTS:
        cadence /= 2
    whole = None if cadence is None else float(np.floor(cadence))
    elapsed = activity.elapsed_s if activity.elapsed_s is not None else end
    values: dict[str, float | None] = {
        "timestamp": base + round(elapsed),
        "start_time": base,
        "total_elapsed_time": elapsed,
        "total_timer_time": activity.moving_s,
        "total_distance": activity.distance_m,
        "total_ascent": activity.elevation_gain_m,
        "total_descent": activity.elevation_loss_m,
        "avg_heart_rate": activity.avg_hr,
        "max_heart_rate": activity.max_hr,
        "avg_cadence": whole,
        "avg_fractional_cadence": None if cadence is None or whole is None else cadence - whole,
        "enhanced_avg_speed": activity.avg_speed,
        "avg_vertical_oscillation": activity.avg_vertical_oscillation,
        "avg_stance_time": activity.avg_stance_time,
        "avg_step_length": activity.avg_step_length,
        "avg_power": activity.avg_power,
        "first_lap_index": 0,
        "num_laps": len(activity.laps),
        "event": prof.enum_value("event", "session"),
        "event_type": prof.enum_value("event_type", "stop"),
    }
    columns: list[Column] = [(k, np.array([_nan(v)])) for k, v in values.items()]
    columns.append(("sport", sport))
    columns.append(("sub_sport", _enum("sub_sport", activity.sub_sport, "generic")))
    return _Message("session", 5, columns, 1).block()


def _activity_message(activity: Activity, base: int, end: float) -> bytes:
    prof = profile()
    stamp = base + round(end)
    local = stamp + activity.utc_offset_s if activity.utc_offset_s is not None else None
    values: dict[str, float | None] = {
        "timestamp": stamp,
        "total_timer_time": activity.moving_s,
        "num_sessions": 1,
        "type": prof.enum_value("activity", "manual"),
        "event": prof.enum_value("event", "activity"),
        "event_type": prof.enum_value("event_type", "stop"),
        "local_timestamp": local,
    }
    return _Message("activity", 6, [(k, np.array([_nan(v)])) for k, v in values.items()], 1).block()


def _developer_messages() -> bytes:
    dev_id = _Message(
        "developer_data_id",
        1,
        [("developer_data_index", np.array([0.0])), ("application_version", np.array([1.0]))],
        1,
    )
    description = _Message(
        "field_description",
        2,
        [
            ("developer_data_index", np.array([0.0])),
            ("field_definition_number", np.array([float(_DEV_POWER_FIELD)])),
            ("fit_base_type_id", np.array([float(0x84)])),
            ("field_name", [b"Power"]),
            ("units", [b"watts"]),
            ("native_mesg_num", np.array([20.0])),
            ("native_field_num", np.array([7.0])),
        ],
        1,
    )
    return dev_id.block() + description.block()


def write_fit(
    activity: Activity, *, compressed_timestamps: bool = False, developer_field: bool = False
) -> bytes:
    """Encode ``activity`` (its first session only) as a FIT activity file.

    ``compressed_timestamps`` writes records with compressed-timestamp headers wherever the time since
    the previous record is under 32 s; ``developer_field`` writes the power stream as a developer field
    ("Power", watts) instead of the native ``power`` field.
    """
    prof = profile()
    base = round(activity.start.timestamp()) - FIT_EPOCH_S
    t = activity.streams.get("t")
    end = float(np.nanmax(t)) if t is not None and len(t) and np.isfinite(t).any() else 0.0
    sport = _enum("sport", activity.sport, "generic")
    file_id = _Message(
        "file_id",
        0,
        [
            ("type", np.array([float(prof.enum_value("file", "activity"))])),
            ("manufacturer", np.array([float(prof.enum_value("manufacturer", "development"))])),
            ("product", np.array([1.0])),
            ("serial_number", np.array([1.0])),
            ("time_created", np.array([float(base)])),
        ],
        1,
    )
    start_event = _Message(
        "event",
        7,
        [
            ("timestamp", np.array([float(base)])),
            ("event", np.array([float(prof.enum_value("event", "timer"))])),
            ("event_type", np.array([float(prof.enum_value("event_type", "start"))])),
        ],
        1,
    )
    body = b"".join(
        [
            file_id.block(),
            _developer_messages() if developer_field else b"",
            start_event.block(),
            _records(activity, base, compressed_timestamps, developer_field),
            _laps(activity.laps, base, sport),
            _session(activity, base, end, sport),
            _activity_message(activity, base, end),
        ]
    )
    header = struct.pack("<BBHI4s", 14, PROTOCOL_VERSION, PROFILE_VERSION, len(body), b".FIT")
    header += struct.pack("<H", crc16_small(header))
    out = header + body
    return out + struct.pack("<H", crc16(out))
