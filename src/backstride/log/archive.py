"""Own your data: export everything of one runner to a folder, restore it exactly, delete it all.

An export folder holds ``manifest.json`` and, per table, ``tables/NAME.json`` (typed, what restore
reads) and ``tables/NAME.csv`` (for spreadsheets). Every table of the schema that belongs to the
runner is written (activities, files, laps, streams, shoes, settings, every log table, and later
tables too), except the ``users`` row itself (it holds the password hash). ``tables/streams.json``
keeps the stored blobs (base64) for an exact restore and ``streams/ACTIVITY_ID.csv`` the samples as
readable columns (SI units). ``streams=False`` leaves the streams out (the manifest and the restore
then say what will be missing: see :data:`WITHOUT_STREAMS`).

Values: times with a zone in UTC ISO 8601 (``...Z``), local wall-clock times without one, days as
``YYYY-MM-DD``, binary data as base64, non-finite numbers as null. In the CSV files (not the JSON), a
text cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) gets a leading ``'``; restore reads the JSON, so the round trip stays exact.

:func:`restore` loads such a folder into a database that holds none of these rows yet, keeping the
ids, in one transaction (all or nothing). :func:`delete_all` removes every row of the runner.
"""

from __future__ import annotations

import base64
import csv
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    Table,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from backstride.errors import ValidationError
from backstride.jsonready import json_ready
from backstride.store.codec import decode_streams
from backstride.store.engine import current_revision
from backstride.store.schema import metadata

FORMAT = "backstride-export"
VERSION = 1
MANIFEST = "manifest.json"
#: Tables never exported: the account itself.
SKIPPED = ("users",)
#: What an export without streams loses, said when it is written and when it is restored.
WITHOUT_STREAMS = (
    "the second-by-second streams are not in this export: after a restore, terrain analysis, onsets "
    "given as a time and run charts are missing until the original watch files are imported again"
)
#: Characters that make a spreadsheet treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ArchiveSummary:
    """Rows per table written, restored or deleted."""

    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def describe(self) -> str:
        return "; ".join([f"restored a backstride export ({self.total} rows)", *self.notes])

    def as_dict(self) -> dict[str, Any]:
        return {"rows": dict(self.rows), "total": self.total, "notes": list(self.notes)}


def user_tables(include_streams: bool = True) -> list[Table]:
    """The runner's tables, parents before children."""
    return [
        t
        for t in metadata.sorted_tables
        if t.name not in SKIPPED and (include_streams or t.name != "streams") and _owner_path(t) is not None
    ]


def _owner_path(table: Table, depth: int = 0) -> list[tuple[Any, Table]] | None:
    """How rows of ``table`` reach ``user_id``: [] if it has the column, else a chain of foreign keys."""
    if "user_id" in table.c:
        return []
    if depth > 4:
        return None
    for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
        parent = fk.column.table
        rest = _owner_path(parent, depth + 1) if isinstance(parent, Table) else None
        if rest is not None and not fk.parent.nullable:
            return [(fk, parent), *rest]
    return None


def owned(table: Table, user_id: int) -> ColumnElement[bool]:
    """A WHERE clause selecting the rows of ``table`` that belong to ``user_id``."""
    path = _owner_path(table)
    assert path is not None, f"{table.name} has no owner"
    if not path:
        return table.c.user_id == user_id
    fk, parent = path[0]
    return fk.parent.in_(select(fk.column).where(owned(parent, user_id)))


def _to_json(value: Any) -> Any:
    """A column's value for the archive: bytes in base64; a naive datetime stays naive (the column
    has no zone), so that a restore gives back exactly what was stored."""
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return json_ready(value, naive_utc=False)


def _from_json(column: Any, value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if kind.timezone:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.replace(tzinfo=None)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Integer):
        return int(value)
    if isinstance(kind, Float):
        return float(value)
    return value


def _dump(conn: Connection, table: Table, user_id: int) -> list[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.c)
    rows = conn.execute(select(table).where(owned(table, user_id)).order_by(*order))
    return [{k: _to_json(v) for k, v in r._mapping.items()} for r in rows]


def export(engine: Engine, directory: str | Path, user_id: int, *, streams: bool = True) -> dict[str, Any]:
    """Write everything of ``user_id`` to ``directory`` (new or empty); returns the manifest.

    ``streams=False`` leaves out the per-second streams; the manifest's ``missing`` then says what a
    restore will lack."""
    out = Path(directory)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValidationError(f"{out} exists and is not an empty folder: choose a new one")
    (out / "tables").mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _to_json(datetime.now(UTC)),
        "user_id": user_id,
        "streams": streams,
        "missing": None if streams else WITHOUT_STREAMS,
        "tables": {},
    }
    with engine.connect() as conn:
        manifest["schema_revision"] = current_revision(conn)
        for table in user_tables(streams):
            rows = _dump(conn, table, user_id)
            columns = [c.name for c in table.c]
            _write_table(out / "tables", table.name, columns, rows)
            manifest["tables"][table.name] = {
                "rows": len(rows),
                "columns": columns,
                "json": f"tables/{table.name}.json",
                "csv": f"tables/{table.name}.csv",
            }
            if table.name == "streams":
                _write_readable_streams(out / "streams", rows)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_table(folder: Path, name: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    (folder / f"{name}.json").write_text(json.dumps(rows, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading ``'`` (CSV only)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _write_readable_streams(folder: Path, rows: list[dict[str, Any]]) -> None:
    folder.mkdir(exist_ok=True)
    for row in rows:
        data = decode_streams(row["codec"], row["columns"], base64.b64decode(row["data"]))
        names = list(data)
        with (folder / f"{row['activity_id']}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            matrix = np.column_stack([data[n] for n in names]) if names else np.empty((0, 0))
            for values in matrix:
                writer.writerow(["" if not math.isfinite(v) else repr(float(v)) for v in values])


def is_export(path: str | Path) -> bool:
    """True for a folder holding a backstride export manifest."""
    manifest = Path(path) / MANIFEST
    if not manifest.is_file():
        return False
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("format") == FORMAT
    except (json.JSONDecodeError, AttributeError):
        return False


def _read_manifest(folder: Path) -> dict[str, Any]:
    if not is_export(folder):
        raise ValidationError(f"{folder} is not a backstride export (no {MANIFEST} of format {FORMAT})")
    manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("version") != VERSION:
        raise ValidationError(f"{folder}: export version {manifest.get('version')} is not supported")
    unknown = [name for name in manifest["tables"] if name not in metadata.tables or name in SKIPPED]
    if unknown:
        raise ValidationError(f"{folder}: tables this version does not know: {', '.join(unknown)}")
    return manifest


def restore(engine: Engine, path: str | Path, user_id: int) -> ArchiveSummary:
    """Load an export folder into an empty database for ``user_id``, exactly (ids kept)."""
    folder = Path(path)
    manifest = _read_manifest(folder)
    summary = ArchiveSummary()
    with engine.begin() as conn:
        busy = {
            name: n
            for name in manifest["tables"]
            if name != "settings"
            and (n := conn.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one())
        }
        if busy:
            held = ", ".join(f"{n} in {name}" for name, n in busy.items())
            raise ValidationError(f"restore needs an empty database; this one already holds rows ({held})")
        for table in metadata.sorted_tables:
            entry = manifest["tables"].get(table.name)
            if entry is None:
                continue
            rows = json.loads((folder / entry["json"]).read_text(encoding="utf-8"))
            summary.rows[table.name] = _insert_rows(conn, table, rows, user_id)
        _reset_sequences(conn, [metadata.tables[name] for name in manifest["tables"]])
    if "streams" not in manifest["tables"] and summary.rows.get("activities"):
        summary.notes.append(WITHOUT_STREAMS)
    return summary


def _insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]], user_id: int) -> int:
    unknown = {k for row in rows for k in row} - set(table.c.keys())
    if unknown:
        raise ValidationError(f"{table.name}: unknown columns {', '.join(sorted(unknown))}")
    if table.name == "settings":
        conn.execute(delete(table).where(table.c.user_id == user_id))
    values = []
    for row in rows:
        item = {name: _from_json(table.c[name], value) for name, value in row.items()}
        if "user_id" in table.c:
            item["user_id"] = user_id
        values.append(item)
    if values:
        conn.execute(insert(table), values)
    return len(values)


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past the largest id."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].name == "id" and isinstance(pk[0].type, Integer):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"
            )


def delete_all(engine: Engine, user_id: int) -> ArchiveSummary:
    """Remove every row of ``user_id`` (runs, log, shoes, settings ...), keeping the account."""
    summary = ArchiveSummary()
    with engine.begin() as conn:
        for table in reversed(user_tables()):
            result = conn.execute(delete(table).where(owned(table, user_id)))
            summary.rows[table.name] = int(result.rowcount or 0)
    return summary
