"""Runs as the CLI, the web and the report show them: one dict per run, the same keys everywhere.

``run_record`` is the row of ``backstride runs --json``; ``run_detail`` adds laps, files and (once
logged) the pain report, for ``backstride show RUN --json``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from backstride.jsonready import iso_datetime
from backstride.log.pain import get_pain
from backstride.store.activities import (
    SUMMARY_MEASURES,
    file_names,
    load_laps,
    resolve_run,
    warnings_of,
)

RECORD_FIELDS = (
    "id",
    "start",
    "utc_offset_s",
    "sport",
    "sub_sport",
    "name",
    *SUMMARY_MEASURES,
    "device",
    "shoe",
    "source",
    "samples",
    "laps",
)


def run_record(row: dict[str, Any]) -> dict[str, Any]:
    """One run as a JSON-ready dict (``start`` in ISO 8601 UTC; SI units; ``laps`` is a count)."""
    out = {key: row.get(key) for key in RECORD_FIELDS}
    out["start"] = iso_datetime(row["start_utc"])
    return out


def run_detail(conn: Connection, user_id: int, ref: str | int) -> dict[str, Any]:
    """One run with its laps (``lap_list``), files, warnings and ``pain``: its pain report, or
    ``None`` when none was logged (unknown; see :func:`backstride.log.pain.get_pain`)."""
    row = resolve_run(conn, user_id, ref)
    out = run_record(row)
    out["lap_list"] = [
        {
            "number": i + 1,
            "start_s": lap.start_s,
            "end_s": lap.end_s,
            "start_m": lap.start_m,
            "end_m": lap.end_m,
            "trigger": lap.trigger,
        }
        for i, lap in enumerate(load_laps(conn, row["id"]))
    ]
    out["files"] = file_names(conn, row["id"])
    out["warnings"] = warnings_of(row)
    out["pain"] = get_pain(conn, user_id, row["id"])
    return out
