"""Pain reports: one per run, or none (a run with no report is *unknown*, not pain-free).

A report is either ``status="none"`` (a pain-free run) or ``status="pain"`` with an onset (metres from
the start, see :mod:`backstride.log.onset`), the peak severity (0-10 numeric rating scale), locations,
qualities, stages (tightness or pump, cramp, walked or stopped, each at its own distance), how long it
lasted after stopping (seconds) and notes. ``source`` says how it was entered: ``manual`` (CLI),
``lap`` (first manual lap on import, a draft until confirmed), ``csv`` or ``web``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, delete, insert, select, update

from backstride.errors import NotFoundError, ValidationError
from backstride.importers.model import Activity
from backstride.log.onset import Onset, Track, first_manual_press, from_first_lap, resolve
from backstride.log.validate import build, joined, parse_span, split, tag_list
from backstride.store import log_schema as ls
from backstride.store.activities import load_laps, resolve_run
from backstride.store.prefs import get_pref
from backstride.store.schema import activities
from backstride.units import format_distance

if TYPE_CHECKING:
    import pandas as pd

Status = Literal["pain", "none"]
Source = Literal["manual", "lap", "csv", "web"]

#: Stages of an episode, in the order they usually come; pump is the runner's word for tightness.
STAGES = ("tightness", "pump", "cramp", "walked", "stopped")
#: Where each stage comes in an episode (tightness and pump are one): stages along a run may not go back.
STAGE_RANK = {"tightness": 0, "pump": 0, "cramp": 1, "walked": 2, "stopped": 3}
_PARTS = ("lower-back", "upper-glute", "hamstring", "hip-flexor")
LOCATIONS = (*(f"{part}{side}" for part in _PARTS for side in ("", "-left", "-right")), "other")
QUALITIES = ("pump", "cramp", "dull-ache", "sharp", "burning", "radiating-below-knee")
QUALITY_ALIASES = {
    "ache": "dull-ache",
    "dull": "dull-ache",
    "aching": "dull-ache",
    "radiating": "radiating-below-knee",
    "radiating-below-the-knee": "radiating-below-knee",
    "tightness": "pump",
}
LOCATION_ALIASES = {
    "back": "lower-back",
    "low-back": "lower-back",
    "glute": "upper-glute",
    "hip": "hip-flexor",
    "hipflexor": "hip-flexor",
}


class PainIn(BaseModel):
    """A pain report as entered, before it is placed on the run."""

    status: Status
    severity: int | None = Field(default=None, ge=0, le=10, description="peak pain, 0-10")
    locations: list[str] = []
    qualities: list[str] = []
    lasted_after_s: float | None = Field(default=None, ge=0, description="seconds")
    notes: str | None = None
    source: Source = "manual"

    @field_validator("locations", mode="before")
    @classmethod
    def _locations(cls, value: Any) -> list[str]:
        return tag_list(value, LOCATIONS, "location", LOCATION_ALIASES)

    @field_validator("qualities", mode="before")
    @classmethod
    def _qualities(cls, value: Any) -> list[str]:
        return tag_list(value, QUALITIES, "quality", QUALITY_ALIASES)


def parse_stage(text: str) -> tuple[str, str]:
    """``cramp@2.1mi``, ``stopped=lap 3`` or ``walked 25:00`` -> (stage, position text)."""
    match = re.match(r"^\s*([a-zA-Z-]+)\s*[@=:]?\s*(.+?)\s*$", text)
    if not match:
        raise ValidationError(f"not a stage: {text!r} (try cramp@2.1mi)")
    stage, where = match.group(1).lower(), match.group(2)
    if stage not in STAGES:
        raise ValidationError(f"unknown stage {stage!r} (known: {', '.join(STAGES)})")
    return stage, where


def record_pain(
    conn: Connection,
    user_id: int,
    run: str | int,
    *,
    status: Status = "pain",
    onset: str | None = None,
    from_lap: bool = False,
    severity: int | None = None,
    locations: Sequence[str] | str | None = None,
    qualities: Sequence[str] | str | None = None,
    stages: Sequence[str | tuple[str, str]] = (),
    lasted_after: str | float | None = None,
    notes: str | None = None,
    source: Source = "manual",
    confirmed: bool = True,
    default_unit: str = "mi",
) -> dict[str, Any]:
    """Record (or replace) the pain report of ``run`` in the caller's transaction; returns it."""
    row = resolve_run(conn, user_id, run)
    lasted = parse_span(lasted_after) if isinstance(lasted_after, str) else lasted_after
    entry = build(
        PainIn,
        status=status,
        severity=severity,
        locations=locations,
        qualities=qualities,
        lasted_after_s=lasted,
        notes=notes or None,
        source=source,
    )
    track = Track.load(conn, row)
    if entry.status == "none":
        if onset or from_lap or stages or entry.locations or entry.qualities or entry.severity:
            raise ValidationError("a pain-free run (--none) takes no onset, stages, location or severity")
        if entry.lasted_after_s:
            raise ValidationError("a pain-free run (--none) takes no --lasted")
        place = Onset(None, None, None)
        entry.severity = 0
    elif from_lap:
        if onset:
            raise ValidationError("give either an onset or --from-lap, not both")
        place = from_first_lap(track)
    else:
        place = resolve(track, onset, default_unit) if onset else Onset(None, 0.0, track.end_m, None)
    placed = _place_stages(track, stages, default_unit)
    _check_stage_order(place, placed, default_unit)
    _write(conn, user_id, int(row["id"]), entry, place, placed, confirmed)
    found = get_pain(conn, user_id, int(row["id"]))
    assert found is not None
    return found


def _place_stages(
    track: Track, stages: Sequence[str | tuple[str, str]], default_unit: str
) -> list[tuple[str, float]]:
    out = []
    for item in stages:
        stage, where = parse_stage(item) if isinstance(item, str) else item
        if stage not in STAGES:
            raise ValidationError(f"unknown stage {stage!r} (known: {', '.join(STAGES)})")
        found = resolve(track, where, default_unit)
        if found.onset_m is None:
            raise ValidationError(f"stage {stage!r} needs a position, not {where!r}")
        out.append((stage, found.onset_m))
    return sorted(out, key=lambda s: (s[1], STAGE_RANK[s[0]]))


def _check_stage_order(place: Onset, stages: list[tuple[str, float]], unit: str) -> None:
    """Stages come at or after the onset (the lower end of its interval), in the order of an episode."""
    start = place.onset_m if place.onset_m is not None else place.low_m
    for stage, metres in stages:
        if start is not None and metres < start - 0.5:
            raise ValidationError(
                f"the {stage} at {format_distance(metres, unit)} comes before the pain started "
                f"({format_distance(start, unit)}): stages come at or after the onset"
            )
    for (first, at_first), (then, at_then) in itertools.pairwise(stages):
        if STAGE_RANK[then] < STAGE_RANK[first]:
            raise ValidationError(
                f"{then} at {format_distance(at_then, unit)} comes after {first} at "
                f"{format_distance(at_first, unit)}: an episode goes tightness or pump, cramp, walked, "
                "stopped"
            )


def _write(
    conn: Connection,
    user_id: int,
    activity_id: int,
    entry: PainIn,
    place: Onset,
    stages: list[tuple[str, float]],
    confirmed: bool,
) -> None:
    values = {
        "user_id": user_id,
        "activity_id": activity_id,
        "status": entry.status,
        "onset_m": place.onset_m,
        "onset_low_m": place.low_m,
        "onset_high_m": place.high_m,
        "onset_input": place.text,
        "severity": entry.severity,
        "locations": joined(entry.locations),
        "qualities": joined(entry.qualities),
        "lasted_after_s": entry.lasted_after_s,
        "notes": entry.notes,
        "source": entry.source,
        "confirmed": confirmed,
        "created_at": datetime.now(UTC),
    }
    report_id = _upsert_report(conn, values)
    conn.execute(delete(ls.pain_stages).where(ls.pain_stages.c.report_id == report_id))
    if stages:
        conn.execute(
            insert(ls.pain_stages),
            [{"report_id": report_id, "stage": s, "distance_m": d} for s, d in stages],
        )


def _upsert_report(conn: Connection, values: dict[str, Any]) -> int:
    """Insert the run's report, or replace the one there, in one statement: two writers logging the
    same run at once both succeed (the later one wins) instead of one failing on the unique key."""
    table = ls.pain_reports
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        conn.execute(delete(table).where(table.c.activity_id == values["activity_id"]))
        return int(conn.execute(insert(table).values(**values)).inserted_primary_key[0])  # type: ignore[index]
    statement = dialect_insert(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.activity_id],
        set_={name: statement.excluded[name] for name in values if name != "activity_id"},
    )
    return int(conn.execute(statement.returning(table.c.id)).scalar_one())


def pain_by_run(conn: Connection, user_id: int) -> dict[int, dict[str, Any]]:
    """Every run's report in brief (status, onset and its interval, what was typed, severity,
    confirmed), by activity id; runs without a report are absent (unknown)."""
    r = ls.pain_reports.c
    rows = conn.execute(
        select(
            r.activity_id,
            r.status,
            r.onset_m,
            r.onset_low_m,
            r.onset_high_m,
            r.onset_input,
            r.severity,
            r.confirmed,
        ).where(r.user_id == user_id)
    )
    return {int(row.activity_id): {**row._mapping, "confirmed": bool(row.confirmed)} for row in rows}


def get_pain(conn: Connection, user_id: int, activity_id: int) -> dict[str, Any] | None:
    """The report of one run in the ``show --json`` shape, or ``None`` when there is none (unknown)."""
    row = conn.execute(
        select(ls.pain_reports).where(
            ls.pain_reports.c.user_id == user_id, ls.pain_reports.c.activity_id == activity_id
        )
    ).first()
    if row is None:
        return None
    stage_rows = conn.execute(
        select(ls.pain_stages.c.stage, ls.pain_stages.c.distance_m)
        .where(ls.pain_stages.c.report_id == row.id)
        .order_by(ls.pain_stages.c.distance_m, ls.pain_stages.c.id)
    )
    return {
        "status": row.status,
        "onset_m": row.onset_m,
        "onset_low_m": row.onset_low_m,
        "onset_high_m": row.onset_high_m,
        "onset_input": row.onset_input,
        "severity": row.severity,
        "locations": split(row.locations),
        "qualities": split(row.qualities),
        "stages": [{"stage": s.stage, "distance_m": s.distance_m} for s in stage_rows],
        "lasted_after_s": row.lasted_after_s,
        "notes": row.notes,
        "source": row.source,
        "confirmed": bool(row.confirmed),
    }


def confirm_pain(conn: Connection, user_id: int, run: str | int) -> dict[str, Any]:
    """Confirm a draft report (one made from the lap button) as it stands."""
    row = resolve_run(conn, user_id, run)
    found = get_pain(conn, user_id, int(row["id"]))
    if found is None:
        raise NotFoundError(f"run {row['id']} has no pain report to confirm")
    conn.execute(
        update(ls.pain_reports).where(ls.pain_reports.c.activity_id == int(row["id"])).values(confirmed=True)
    )
    found["confirmed"] = True
    return found


def delete_pain(conn: Connection, user_id: int, run: str | int) -> bool:
    """Remove a run's report (the run becomes unknown again). True if there was one."""
    row = resolve_run(conn, user_id, run)
    result = conn.execute(
        delete(ls.pain_reports).where(
            ls.pain_reports.c.user_id == user_id, ls.pain_reports.c.activity_id == int(row["id"])
        )
    )
    return bool(result.rowcount)


def onset_from_first_lap_hook(conn: Connection, activity_id: int, activity: Activity) -> str | None:
    """``import_paths(on_saved=...)``: with ``lap_is_pain`` on, a draft report at the first lap press.

    Runs in the transaction that saves the run, so the run and its draft are stored together or not
    at all; a re-import of the file (a duplicate) makes the draft a crash or an older version missed.
    The draft has status ``pain``, the onset at the END of the lap that the first manual press closed
    (see :mod:`backstride.log.onset`), source ``lap`` and ``confirmed`` false; the runner confirms or
    corrects it afterwards. Runs without a manual press, or that already have a report, are left alone.
    Returns a note when it made a draft.
    """
    if first_manual_press(activity.laps) is None:
        return None
    user_id = conn.execute(
        select(activities.c.user_id).where(activities.c.id == activity_id)
    ).scalar_one_or_none()
    if user_id is None or get_pref(conn, int(user_id), "lap_is_pain") != "true":
        return None
    if get_pain(conn, int(user_id), activity_id) is not None:
        return None
    if first_manual_press(load_laps(conn, activity_id)) is None:
        return None  # the stored copy of the run (kept over this file's) has no manual press
    record_pain(conn, int(user_id), activity_id, from_lap=True, source="lap", confirmed=False)
    return "a draft pain report from the first manual lap"


PAIN_COLUMNS = (
    "activity_id",
    "start_utc",
    "distance_m",
    "status",
    "onset_m",
    "onset_low_m",
    "onset_high_m",
    "severity",
    "locations",
    "qualities",
    "lasted_after_s",
    "first_tightness_m",
    "first_cramp_m",
    "first_stop_m",
    "source",
    "confirmed",
)


def pain_reports(conn: Connection, user_id: int) -> pd.DataFrame:
    """One row per run with a report (:data:`PAIN_COLUMNS`); runs without one are absent (unknown).

    ``first_tightness_m`` (tightness or pump), ``first_cramp_m`` and ``first_stop_m`` (walked or
    stopped) are the first distance of each stage, NaN when the stage was not reported.
    """
    import pandas as pd

    rows = conn.execute(
        select(ls.pain_reports, activities.c.start_utc, activities.c.distance_m)
        .join(activities, activities.c.id == ls.pain_reports.c.activity_id)
        .where(ls.pain_reports.c.user_id == user_id)
        .order_by(activities.c.start_utc)
    ).all()
    stage_rows = conn.execute(
        select(ls.pain_stages.c.report_id, ls.pain_stages.c.stage, ls.pain_stages.c.distance_m)
        .join(ls.pain_reports, ls.pain_reports.c.id == ls.pain_stages.c.report_id)
        .where(ls.pain_reports.c.user_id == user_id)
    ).all()
    groups = {"tightness": "first_tightness_m", "pump": "first_tightness_m", "cramp": "first_cramp_m"}
    firsts: dict[tuple[int, str], float] = {}
    for s in stage_rows:
        key = (s.report_id, groups.get(s.stage, "first_stop_m"))
        firsts[key] = min(firsts.get(key, float("inf")), s.distance_m)
    records = []
    for r in rows:
        record = {name: getattr(r, name, None) for name in PAIN_COLUMNS}
        record["locations"] = split(r.locations)
        record["qualities"] = split(r.qualities)
        record["confirmed"] = bool(r.confirmed)
        for column in ("first_tightness_m", "first_cramp_m", "first_stop_m"):
            record[column] = firsts.get((r.id, column), float("nan"))
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=list(PAIN_COLUMNS))
    frame["start_utc"] = pd.to_datetime(frame["start_utc"], utc=True)
    for column in ("onset_m", "onset_low_m", "onset_high_m", "lasted_after_s", "distance_m"):
        frame[column] = frame[column].astype("float64")
    return frame


__all__ = [
    "LOCATIONS",
    "QUALITIES",
    "STAGES",
    "confirm_pain",
    "delete_pain",
    "get_pain",
    "onset_from_first_lap_hook",
    "pain_reports",
    "parse_stage",
    "record_pain",
]
