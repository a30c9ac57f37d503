"""``backstride lift import FILE.csv``: the CSV exports of the Strong and Hevy apps.

The format is recognised from the header (see ``docs/logging.md`` for every accepted variant):

- Strong, older: semicolon-separated, ``Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;
  Reps;RPE;Distance;Distance Unit;Seconds;Notes;Workout Notes`` (an extra ``Workout Duration`` is fine);
- Strong, newer: comma-separated, ``Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,
  Distance,Seconds,Notes,Workout Notes,RPE``; the weight unit is not in the file, so the caller must give
  it (kg or lb; distances are then km or miles);
- Hevy: ``title,start_time,end_time,description,exercise_title,superset_id,exercise_notes,set_index,
  set_type,weight_kg|weight_lbs,reps,distance_km|distance_miles,duration_seconds,rpe``.

The whole file is parsed and validated first; one bad row rejects it (every bad row is named) and
nothing is saved. Sessions already imported (same app, start and name) are skipped, so importing a
newer export of the same account adds only the new sessions.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError as PydanticError
from sqlalchemy import Connection

from backstride.errors import ValidationError
from backstride.log.aliases import user_aliases
from backstride.log.lifting import LiftSource, SessionIn, SetIn, save_session, unknown_exercises
from backstride.log.textfile import csv_problem, delimiter_of, read_text_file
from backstride.log.validate import describe, parse_span
from backstride.units import KG_PER_LB, METRES_PER_KM, METRES_PER_MILE, parse_distance

Format = Literal["strong-semicolon", "strong-comma", "hevy"]

STRONG_OLD = (
    "date",
    "workout name",
    "exercise name",
    "set order",
    "weight",
    "weight unit",
    "reps",
    "rpe",
    "distance",
    "distance unit",
    "seconds",
    "notes",
    "workout notes",
)
STRONG_NEW = (
    "date",
    "workout name",
    "duration",
    "exercise name",
    "set order",
    "weight",
    "reps",
    "distance",
    "seconds",
    "notes",
    "workout notes",
    "rpe",
)
HEVY = (
    "title",
    "start_time",
    "end_time",
    "description",
    "exercise_title",
    "superset_id",
    "exercise_notes",
    "set_index",
    "set_type",
    "reps",
    "duration_seconds",
    "rpe",
)
EXPECTED = (
    f"Strong (older): {';'.join(STRONG_OLD)}\n"
    f"Strong (newer): {','.join(STRONG_NEW)}\n"
    f"Hevy: {','.join(HEVY)} with weight_kg or weight_lbs, distance_km or distance_miles"
)
_STRONG_ORDER = {"w": "warmup", "d": "drop", "f": "failure"}
_HEVY_TYPES = {"normal": "normal", "warmup": "warmup", "failure": "failure", "dropset": "drop"}
_STRONG_TIMES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %H:%M", "%Y-%m-%d %I:%M %p")
_HEVY_TIMES = ("%d %b %Y, %H:%M", "%d %b %Y, %I:%M %p", "%d %b %Y, %H:%M:%S", "%Y-%m-%d %H:%M:%S")


@dataclass
class LiftImport:
    """What an import did: the format seen, sessions added or already there, and unknown exercises."""

    format: Format
    sessions: int = 0
    duplicates: int = 0
    sets: int = 0
    unknown_exercises: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def detect(header: list[str]) -> Format:
    names = set(header)
    if {"exercise_title", "start_time"} <= names:
        if not names & {"weight_kg", "weight_lbs"}:
            raise ValidationError("this Hevy export has neither weight_kg nor weight_lbs")
        return "hevy"
    if {"date", "exercise name", "set order"} <= names:
        return "strong-semicolon" if "weight unit" in names else "strong-comma"
    raise ValidationError(
        f"not a Strong or Hevy export: found columns {', '.join(header) or 'none'}; "
        f"expected one of\n{EXPECTED}"
    )


def _clean(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ").strip()


def _time(text: str, formats: tuple[str, ...]) -> datetime:
    raw = " ".join(_clean(text).split())
    for fmt in formats:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=None)
    except ValueError as exc:
        raise ValueError(f"not a date and time: {text!r}") from exc


def _number(row: dict[str, str], name: str) -> float | None:
    raw = _clean(row.get(name, "")).replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} {row[name]!r} is not a number") from exc


def _reps(row: dict[str, str]) -> int | None:
    value = _number(row, "reps")
    if value is None:
        return None
    if value != int(value):
        raise ValueError(f"reps {row['reps']!r} is not a whole number")
    return int(value)


def _rpe(row: dict[str, str]) -> float | None:
    value = _number(row, "rpe")
    return value if value else None  # the apps write 0 or nothing when no RPE was entered


def _strong_set(row: dict[str, str], fmt: Format, unit: str | None) -> SetIn | None:
    order = _clean(row["set order"]).lower()
    if order == "rest timer":
        return None
    if order.isdigit():
        set_type = "normal"
    elif order in _STRONG_ORDER:
        set_type = _STRONG_ORDER[order]
    else:
        raise ValueError(f"set order {row['set order']!r} is not a number, W or D")
    weight = _number(row, "weight")
    weight_unit = _clean(row.get("weight unit", "")).lower() or unit or "kg"
    if weight is not None and weight_unit.startswith("lb"):
        weight *= KG_PER_LB
    distance = _number(row, "distance")
    if distance is not None:
        if fmt == "strong-semicolon" and _clean(row.get("distance unit", "")):
            distance = parse_distance(f"{distance}{_clean(row['distance unit'])}")
        else:
            distance *= METRES_PER_MILE if (unit or "kg").startswith("lb") else METRES_PER_KM
    return SetIn(
        exercise=_clean(row["exercise name"]),
        set_type=set_type,  # type: ignore[arg-type]
        weight_kg=weight,
        reps=_reps(row),
        rpe=_rpe(row),
        distance_m=distance,
        duration_s=_number(row, "seconds"),
        notes=_clean(row.get("notes", "")) or None,
    )


def _hevy_set(row: dict[str, str]) -> SetIn:
    kind = _clean(row["set_type"]).lower() or "normal"
    if kind not in _HEVY_TYPES:
        raise ValueError(f"set_type {row['set_type']!r} is not one of {', '.join(_HEVY_TYPES)}")
    weight = _number(row, "weight_kg") if "weight_kg" in row else _number(row, "weight_lbs")
    if weight is not None and "weight_kg" not in row:
        weight *= KG_PER_LB
    distance = _number(row, "distance_km") if "distance_km" in row else _number(row, "distance_miles")
    if distance is not None:
        distance *= METRES_PER_KM if "distance_km" in row else METRES_PER_MILE
    return SetIn(
        exercise=_clean(row["exercise_title"]),
        set_type=_HEVY_TYPES[kind],  # type: ignore[arg-type]
        weight_kg=weight,
        reps=_reps(row),
        rpe=_rpe(row),
        distance_m=distance,
        duration_s=_number(row, "duration_seconds"),
        notes=_clean(row.get("exercise_notes", "")) or None,
    )


def _session_fields(row: dict[str, str], fmt: Format) -> dict[str, Any]:
    if fmt == "hevy":
        start = _time(row["start_time"], _HEVY_TIMES)
        end = _time(row["end_time"], _HEVY_TIMES) if _clean(row.get("end_time", "")) else None
        duration = (end - start).total_seconds() if end is not None else None
        return {
            "started_at": start,
            "name": _clean(row["title"]) or None,
            "notes": _clean(row.get("description", "")) or None,
            "duration_s": duration,
        }
    raw_duration = _clean(row.get("duration", "") or row.get("workout duration", ""))
    duration = None
    if raw_duration:
        duration = float(raw_duration) if raw_duration.isdigit() else parse_span(raw_duration)
    return {
        "started_at": _time(row["date"], _STRONG_TIMES),
        "name": _clean(row["workout name"]) or None,
        "notes": _clean(row.get("workout notes", "")) or None,
        "duration_s": duration,
    }


def _rows(text: str, name: str = "CSV file") -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=delimiter_of(first, ",;"))
    rows = []
    try:
        header = [_clean(h).strip('"').lower() for h in next(reader, [])]
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                rows.append((number, {"_error": f"{len(values)} fields, but the header has {len(header)}"}))
                continue
            rows.append((number, dict(zip(header, values, strict=True))))
    except csv.Error as exc:
        raise csv_problem(name, reader.line_num, exc) from exc
    return header, rows


def read_lifting_csv(
    text: str, weight_unit: str | None = None, name: str = "CSV file"
) -> tuple[Format, list[SessionIn]]:
    """Parse a Strong or Hevy export into validated sessions (nothing is stored).

    ``weight_unit`` (``kg`` or ``lb``) is needed for the newer Strong format, which does not say.
    """
    header, rows = _rows(text, name)
    fmt = detect(header)
    if fmt == "strong-comma" and weight_unit not in ("kg", "lb"):
        raise ValidationError(
            "this Strong export (newer, comma-separated) does not record its weight unit: "
            "give --unit kg or --unit lb, as set in the app"
        )
    sessions: dict[tuple[str, str], dict[str, Any]] = {}
    errors: list[str] = []
    for number, row in rows:
        try:
            if "_error" in row:
                raise ValueError(row["_error"])
            one = _hevy_set(row) if fmt == "hevy" else _strong_set(row, fmt, weight_unit)
            key = (row["start_time"], row["title"]) if fmt == "hevy" else (row["date"], row["workout name"])
            if key not in sessions:
                sessions[key] = {**_session_fields(row, fmt), "sets": []}
            if one is not None:
                sessions[key]["sets"].append(one)
        except PydanticError as exc:
            errors.append(f"row {number}: {describe(exc)}")
        except (ValueError, ValidationError) as exc:
            errors.append(f"row {number}: {exc}")
    out: list[SessionIn] = []
    source: LiftSource = "hevy" if fmt == "hevy" else "strong"
    for values in sessions.values():
        if not values["sets"]:
            continue
        import_key = f"{source}|{values['started_at'].isoformat()}|{values['name'] or ''}"
        try:
            out.append(SessionIn(**values, source=source, import_key=import_key))
        except PydanticError as exc:
            errors.append(f"session {values['name']!r} at {values['started_at']}: {describe(exc)}")
    if errors:
        raise ValidationError("nothing was saved; fix these rows:\n" + "\n".join(errors))
    return fmt, out


def import_lifting_csv(
    conn: Connection, user_id: int, path: str | Path, weight_unit: str | None = None
) -> LiftImport:
    """Import a Strong or Hevy CSV in the caller's transaction (all sessions or none)."""
    text = read_text_file(path, "Strong or Hevy CSV export")
    fmt, sessions = read_lifting_csv(text, weight_unit, str(path))
    result = LiftImport(format=fmt)
    for session in sessions:
        if save_session(conn, user_id, session) is None:
            result.duplicates += 1
        else:
            result.sessions += 1
            result.sets += len(session.sets)
    result.unknown_exercises = unknown_exercises(
        [s.exercise for x in sessions for s in x.sets], user_aliases(conn, user_id)
    )
    return result
