"""Activities, their files, streams and laps: saving (with de-duplication) and loading.

The same run seen twice (a FIT and a GPX of one activity, or a re-import) becomes one activity: a file
already seen (same SHA-256) is a duplicate; another file whose run starts within
:data:`SAME_RUN_WINDOW_S` of a stored run of the same sport, with a distance within
:data:`SAME_RUN_DISTANCE_TOLERANCE`, is merged into it, keeping the richer streams and laps and any
name or shoe either copy carries.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Row, and_, delete, func, insert, select, update

from backstride.errors import NotFoundError, ValidationError
from backstride.importers.model import Activity, Lap
from backstride.store.codec import decode_streams, encode_streams
from backstride.store.schema import activities, activity_files, laps, shoes, streams

SAME_RUN_WINDOW_S = 120
SAME_RUN_DISTANCE_TOLERANCE = 0.10

SaveStatus = Literal["imported", "duplicate", "merged"]

#: A run's summary measurements, in SI units as the ``activities`` table stores them: one list for the
#: store, the run records (:mod:`backstride.runview`) and the feature table.
SUMMARY_MEASURES = (
    "distance_m",
    "moving_s",
    "elapsed_s",
    "elevation_gain_m",
    "elevation_loss_m",
    "avg_hr",
    "max_hr",
    "avg_cadence",
    "avg_speed",
    "avg_vertical_oscillation",
    "avg_stance_time",
    "avg_step_length",
    "avg_power",
)
#: Summary columns copied from an :class:`Activity` to the ``activities`` table.
SUMMARY_FIELDS = ("source", "sport", "sub_sport", "utc_offset_s", *SUMMARY_MEASURES, "device")


@dataclass(frozen=True)
class SaveResult:
    """``restored`` names what a duplicate brought back that its stored copy lacked (streams, laps)."""

    status: SaveStatus
    activity_id: int
    restored: tuple[str, ...] = ()


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def shoe_id_for(conn: Connection, user_id: int, name: str) -> int:
    """The id of the user's shoe called ``name``, created if new."""
    found = conn.execute(
        select(shoes.c.id).where(shoes.c.user_id == user_id, shoes.c.name == name)
    ).scalar_one_or_none()
    if found is not None:
        return int(found)
    result = conn.execute(insert(shoes).values(user_id=user_id, name=name))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _same_run(conn: Connection, user_id: int, activity: Activity) -> Row[Any] | None:
    start = _utc(activity.start)
    window = timedelta(seconds=SAME_RUN_WINDOW_S)
    candidates = conn.execute(
        select(activities).where(
            activities.c.user_id == user_id,
            activities.c.sport == activity.sport,
            activities.c.start_utc >= start - window,
            activities.c.start_utc <= start + window,
        )
    ).all()
    best = None
    for row in candidates:
        if activity.distance_m and row.distance_m:
            larger = max(activity.distance_m, row.distance_m)
            if abs(activity.distance_m - row.distance_m) > SAME_RUN_DISTANCE_TOLERANCE * larger:
                continue
        gap = abs((_utc(row.start_utc) - start).total_seconds())
        if best is None or gap < best[0]:
            best = (gap, row)
    return None if best is None else best[1]


def _finite(value: Any) -> Any:
    """Never store a non-finite number: NaN and infinities become NULL."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _summary_values(activity: Activity) -> dict[str, Any]:
    values = {name: _finite(getattr(activity, name)) for name in SUMMARY_FIELDS}
    values.update(
        start_utc=_utc(activity.start),
        samples=activity.samples,
        laps=len(activity.laps),
        richness=_finite(activity.richness()) or 0.0,
        warnings="\n".join(activity.warnings) or None,
    )
    return values


def _write_streams_and_laps(conn: Connection, activity_id: int, activity: Activity) -> None:
    conn.execute(delete(streams).where(streams.c.activity_id == activity_id))
    conn.execute(delete(laps).where(laps.c.activity_id == activity_id))
    if activity.streams:
        codec, header, blob = encode_streams(activity.streams)
        conn.execute(insert(streams).values(activity_id=activity_id, codec=codec, columns=header, data=blob))
    _write_laps(conn, activity_id, activity)


def _write_laps(conn: Connection, activity_id: int, activity: Activity) -> None:
    if activity.laps:
        conn.execute(
            insert(laps),
            [
                {
                    "activity_id": activity_id,
                    "idx": i,
                    "start_s": lap.start_s,
                    "end_s": lap.end_s,
                    "start_m": lap.start_m,
                    "end_m": lap.end_m,
                    "trigger": lap.trigger,
                }
                for i, lap in enumerate(activity.laps)
            ],
        )


def _add_files(conn: Connection, user_id: int, activity_id: int, activity: Activity) -> None:
    names = activity.file_names + [None] * (len(activity.file_hashes) - len(activity.file_names))
    for sha, name in zip(activity.file_hashes, names, strict=False):
        conn.execute(
            insert(activity_files).values(
                activity_id=activity_id, user_id=user_id, sha256=sha, name=name, format=activity.source
            )
        )


def known_hashes(conn: Connection, user_id: int, hashes: list[str]) -> set[str]:
    if not hashes:
        return set()
    rows = conn.execute(
        select(activity_files.c.sha256).where(
            activity_files.c.user_id == user_id, activity_files.c.sha256.in_(hashes)
        )
    )
    return {row[0] for row in rows}


def _restore_missing(conn: Connection, activity_id: int, activity: Activity) -> tuple[str, ...]:
    """A file already imported brings back the streams and laps its stored copy lacks (a restore
    from an export without streams, for instance)."""
    restored: list[str] = []
    has_streams = conn.execute(
        select(streams.c.activity_id).where(streams.c.activity_id == activity_id)
    ).first()
    if has_streams is None and activity.streams:
        codec, header, blob = encode_streams(activity.streams)
        conn.execute(insert(streams).values(activity_id=activity_id, codec=codec, columns=header, data=blob))
        conn.execute(
            update(activities).where(activities.c.id == activity_id).values(samples=activity.samples)
        )
        restored.append("streams")
    has_laps = conn.execute(select(laps.c.id).where(laps.c.activity_id == activity_id).limit(1)).first()
    if has_laps is None and activity.laps:
        _write_laps(conn, activity_id, activity)
        conn.execute(update(activities).where(activities.c.id == activity_id).values(laps=len(activity.laps)))
        restored.append("laps")
    return tuple(restored)


def save_activity(conn: Connection, activity: Activity, user_id: int) -> SaveResult:
    """Save one activity in the caller's transaction, merging it with a stored copy of the same run.

    A file seen before is a duplicate; it still brings back the streams or laps its stored copy lacks.
    """
    seen = known_hashes(conn, user_id, activity.file_hashes)
    if seen and seen >= set(activity.file_hashes):
        found = conn.execute(
            select(activity_files.c.activity_id)
            .where(activity_files.c.user_id == user_id, activity_files.c.sha256.in_(list(seen)))
            .order_by(activity_files.c.id)
            .limit(1)
        ).scalar_one()
        return SaveResult("duplicate", int(found), _restore_missing(conn, int(found), activity))
    new_hashes = [h for h in activity.file_hashes if h not in seen]
    activity.file_names = [
        n for h, n in zip(activity.file_hashes, activity.file_names, strict=False) if h not in seen
    ]
    activity.file_hashes = new_hashes
    shoe_id = shoe_id_for(conn, user_id, activity.shoe) if activity.shoe else None
    existing = _same_run(conn, user_id, activity)
    if existing is None:
        values = _summary_values(activity)
        values.update(user_id=user_id, name=activity.name, shoe_id=shoe_id, created_at=datetime.now(UTC))
        activity_id = int(conn.execute(insert(activities).values(**values)).inserted_primary_key[0])  # type: ignore[index]
        _write_streams_and_laps(conn, activity_id, activity)
        _add_files(conn, user_id, activity_id, activity)
        return SaveResult("imported", activity_id)

    activity_id = int(existing.id)
    changes: dict[str, Any] = {}
    if activity.richness() > (existing.richness or 0.0):
        changes.update(_summary_values(activity))
        _write_streams_and_laps(conn, activity_id, activity)
    else:
        # Keep the stored copy, but fill summary values it lacks.
        for name in SUMMARY_FIELDS:
            if getattr(existing, name) is None and getattr(activity, name) is not None:
                changes[name] = getattr(activity, name)
    if activity.name and not existing.name:
        changes["name"] = activity.name
    if shoe_id is not None and existing.shoe_id is None:
        changes["shoe_id"] = shoe_id
    if changes:
        conn.execute(update(activities).where(activities.c.id == activity_id).values(**changes))
    _add_files(conn, user_id, activity_id, activity)
    return SaveResult("merged", activity_id)


def activity_columns() -> list[Any]:
    return [*activities.c, shoes.c.name.label("shoe")]


def list_activities(
    conn: Connection,
    user_id: int,
    sport: str | None = "running",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Activities of one user, oldest first, as dicts with the table's columns plus ``shoe``."""
    query = (
        select(*activity_columns())
        .select_from(activities.outerjoin(shoes, activities.c.shoe_id == shoes.c.id))
        .where(activities.c.user_id == user_id)
        .order_by(activities.c.start_utc, activities.c.id)
    )
    if sport is not None:
        query = query.where(activities.c.sport == sport)
    if since is not None:
        query = query.where(activities.c.start_utc >= since)
    if until is not None:
        query = query.where(activities.c.start_utc < until)
    return [_as_dict(row) for row in conn.execute(query)]


def _as_dict(row: Row[Any]) -> dict[str, Any]:
    out = {key: _finite(value) for key, value in row._mapping.items()}  # a store written before the
    out["start_utc"] = _utc(out["start_utc"])  # plausibility checks may hold infinities
    return out


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def resolve_run(conn: Connection, user_id: int, ref: str | int) -> dict[str, Any]:
    """Find a run by id, by date (``2025-03-01``: the last run that day, UTC) or ``last``."""
    base = (
        select(*activity_columns())
        .select_from(activities.outerjoin(shoes, activities.c.shoe_id == shoes.c.id))
        .where(activities.c.user_id == user_id)
    )
    text = str(ref).strip()
    if text.lower() == "last":
        row = conn.execute(
            base.order_by(activities.c.start_utc.desc(), activities.c.id.desc()).limit(1)
        ).first()
        if row is None:
            raise NotFoundError("there are no runs yet: import some with 'backstride import PATH'")
        return _as_dict(row)
    if text.isdigit():
        row = conn.execute(base.where(activities.c.id == int(text))).first()
        if row is None:
            raise NotFoundError(f"no run with id {text}")
        return _as_dict(row)
    if _DATE_RE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError(f"not a date: {text!r}") from exc
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        row = conn.execute(
            base.where(
                and_(activities.c.start_utc >= start, activities.c.start_utc < start + timedelta(days=1))
            )
            .order_by(activities.c.start_utc.desc())
            .limit(1)
        ).first()
        if row is None:
            raise NotFoundError(f"no run on {text}")
        return _as_dict(row)
    raise ValidationError(f"not a run: {text!r} (give an id, a date like 2025-03-01, or 'last')")


def stored_streams(conn: Connection, activity_id: int) -> Row[Any] | None:
    """A run's streams as stored (``codec``, ``columns``, ``data``), not decoded: what a cache of
    anything drawn from them can be keyed on; ``None`` for a run without streams."""
    return conn.execute(select(streams).where(streams.c.activity_id == activity_id)).first()


def load_streams(conn: Connection, activity_id: int) -> dict[str, Any]:
    row = stored_streams(conn, activity_id)
    if row is None:
        return {}
    return decode_streams(row.codec, row.columns, row.data)


def load_laps(conn: Connection, activity_id: int) -> list[Lap]:
    rows = conn.execute(select(laps).where(laps.c.activity_id == activity_id).order_by(laps.c.idx))
    return [Lap(r.start_s, r.end_s, r.start_m, r.end_m, r.trigger) for r in rows]


def file_names(conn: Connection, activity_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(activity_files.c.sha256, activity_files.c.name, activity_files.c.format)
        .where(activity_files.c.activity_id == activity_id)
        .order_by(activity_files.c.id)
    )
    return [dict(r._mapping) for r in rows]


def count_activities(conn: Connection, user_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(activities).where(activities.c.user_id == user_id)
        ).scalar_one()
    )


def warnings_of(row: dict[str, Any]) -> list[str]:
    text = row.get("warnings")
    return text.split("\n") if text else []


__all__ = [
    "SUMMARY_MEASURES",
    "SaveResult",
    "count_activities",
    "file_names",
    "list_activities",
    "load_laps",
    "load_streams",
    "resolve_run",
    "save_activity",
]
