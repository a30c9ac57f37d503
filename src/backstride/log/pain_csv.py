"""``backstride pain import FILE.csv``: pain reports from a runner's own spreadsheet.

Columns (header names, any case, any order; comma or semicolon separated):

- ``start`` (required): the run's start in ISO 8601. With an offset (``2025-03-01T07:00:00Z``,
  ``+01:00``) it is compared with the run's UTC start; without one, with the run's local start (UTC
  plus the offset the watch recorded). A run within :data:`MATCH_WINDOW_S` matches.
- ``onset``: any form the CLI accepts (``1.2mi``, ``2km``, ``800m``, ``14:30``, ``lap 2``,
  ``from-lap``, ``unknown``); empty = a pain-free run.
- ``severity`` (0-10), ``location``, ``quality`` (several separated by ``;`` or ``|``), ``notes``.

The whole file is checked before anything is written: one malformed row rejects the file, naming
every bad row. Rows that match no run are reported back (``unmatched``), not dropped silently.
"""

from __future__ import annotations

import bisect
import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from backstride.errors import ValidationError
from backstride.log.pain import record_pain
from backstride.log.textfile import csv_problem, delimiter_of, read_text_file
from backstride.store.schema import activities

MATCH_WINDOW_S = 120
COLUMNS = ("start", "onset", "severity", "location", "quality", "notes")


@dataclass
class PainImport:
    """What became of each row: saved (row number, run id) or unmatched (row number, start)."""

    saved: list[tuple[int, int]] = field(default_factory=list)
    unmatched: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "saved": [{"row": r, "activity_id": a} for r, a in self.saved],
            "unmatched": [{"row": r, "start": s} for r, s in self.unmatched],
        }


def read_rows(text: str, name: str = "CSV file") -> list[dict[str, str]]:
    """The rows of the file as dicts keyed by lower-case column names.

    The delimiter (comma, semicolon or tab) comes from the header line; quoting is standard CSV
    (``""`` inside a quoted field is a quote), as every spreadsheet writes it.
    """
    reader = csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter_of(text.split("\n", 1)[0]))
    try:
        return _read_rows(reader)
    except csv.Error as exc:
        raise csv_problem(name, reader.line_num, exc) from exc


def _read_rows(reader: Any) -> list[dict[str, str]]:
    header = [h.strip().lower() for h in next(reader, [])]
    if "start" not in header:
        raise ValidationError(
            f"a pain CSV needs a 'start' column; expected columns: {', '.join(COLUMNS)} "
            f"(found: {', '.join(header) or 'nothing'})"
        )
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise ValidationError(f"unknown columns {', '.join(unknown)}; expected: {', '.join(COLUMNS)}")
    rows = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            raise ValidationError(f"row {number}: {len(values)} fields, but the header has {len(header)}")
        row = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        row["_row"] = str(number)
        rows.append(row)
    return rows


def _parse_start(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace(" Z", "Z"))
    except ValueError as exc:
        raise ValueError(f"start {text!r} is not an ISO 8601 time (try 2025-03-01T07:00:00Z)") from exc


class _Runs:
    """The runner's runs, loaded once, sorted by start (a sheet of 100,000 rows needs no 100,000
    queries)."""

    def __init__(self, conn: Connection, user_id: int) -> None:
        rows = conn.execute(
            select(activities.c.id, activities.c.start_utc, activities.c.utc_offset_s)
            .where(activities.c.user_id == user_id)
            .order_by(activities.c.start_utc)
        ).all()
        self.ids = [int(r.id) for r in rows]
        self.starts = [
            (r.start_utc.replace(tzinfo=UTC) if r.start_utc.tzinfo is None else r.start_utc).timestamp()
            for r in rows
        ]
        self.offsets = [r.utc_offset_s or 0 for r in rows]

    def match(self, start: datetime) -> int | None:
        """The run starting within :data:`MATCH_WINDOW_S` of ``start`` (a time without an offset is
        compared with the run's local start), the closest one."""
        wide = 15 * 3600 if start.tzinfo is None else 0
        base = (start.replace(tzinfo=UTC) if start.tzinfo is None else start).timestamp()
        low = bisect.bisect_left(self.starts, base - MATCH_WINDOW_S - wide)
        high = bisect.bisect_right(self.starts, base + MATCH_WINDOW_S + wide)
        best: tuple[float, int] | None = None
        for i in range(low, high):
            local = self.starts[i] + (self.offsets[i] if start.tzinfo is None else 0)
            gap = abs(local - base)
            if gap <= MATCH_WINDOW_S and (best is None or gap < best[0]):
                best = (gap, self.ids[i])
        return None if best is None else best[1]


def import_pain_csv(conn: Connection, user_id: int, path: str | Path, default_unit: str = "mi") -> PainImport:
    """Read ``path`` and record one report per matched row, in the caller's transaction.

    Raises :class:`ValidationError` naming every bad row; the caller's transaction then rolls back,
    so nothing is saved.
    """
    text = read_text_file(path, "pain CSV")
    result = PainImport()
    errors: list[str] = []
    claimed: dict[int, int] = {}
    runs = _Runs(conn, user_id)
    for row in read_rows(text, str(path)):
        number = int(row["_row"])
        try:
            start = _parse_start(row.get("start", ""))
            activity_id = runs.match(start)
            if activity_id is None:
                result.unmatched.append((number, row["start"]))
                continue
            if activity_id in claimed:
                raise ValueError(f"matches the same run ({activity_id}) as row {claimed[activity_id]}")
            claimed[activity_id] = number
            _record_row(conn, user_id, activity_id, row, default_unit)
            result.saved.append((number, activity_id))
        except (ValueError, ValidationError) as exc:
            errors.append(f"row {number}: {exc}")
    if errors:
        raise ValidationError("nothing was saved; fix these rows:\n" + "\n".join(errors))
    return result


def _record_row(conn: Connection, user_id: int, activity_id: int, row: dict[str, str], unit: str) -> None:
    onset = row.get("onset", "")
    raw_severity = row.get("severity", "")
    try:
        severity = int(raw_severity) if raw_severity else None
    except ValueError as exc:
        raise ValueError(f"severity {raw_severity!r} is not a whole number from 0 to 10") from exc
    location, quality = row.get("location") or None, row.get("quality") or None
    if not onset:
        if severity or location or quality:
            raise ValueError("has pain details but no onset: give the onset, or 'unknown'")
        record_pain(conn, user_id, activity_id, status="none", notes=row.get("notes"), source="csv")
        return
    record_pain(
        conn,
        user_id,
        activity_id,
        onset=onset,
        severity=severity,
        locations=location,
        qualities=quality,
        notes=row.get("notes"),
        source="csv",
        default_unit=unit,
    )
