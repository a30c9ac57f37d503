"""The import job for an Apple Health export: workouts into activities, body mass into the body log.

1. One streaming pass over ``export.xml`` (:func:`backstride.importers.apple_health.scan.scan_export`).
2. Each workout gets a stable identity (type, source, start and end as written); a workout whose identity
   is already stored is a duplicate and costs nothing more: its routes are not read and its samples not
   joined. So re-importing a newer export adds only what is new.
3. Other sports are skipped and counted, as for files (unless asked for).
4. The samples of the new workouts are read back from the spool in one sweep, each workout is built
   (:func:`backstride.importers.apple_health.workout.build_activity`) and stored through the same path
   as a file (:func:`backstride.ingest.saving.store_one`): merging with a FIT copy of the same run,
   the lap-button hook.
5. Body mass: the last weighing of each local day, in kilograms, into the body-weight log; days that
   already hold a weight are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from backstride.errors import BadFileError
from backstride.importers.apple_health import HealthExport
from backstride.importers.apple_health.scan import ScanResult, Weighing, Workout, scan_export
from backstride.importers.apple_health.units import mass_kg
from backstride.importers.apple_health.workout import build_activity, identity, label, sport_of
from backstride.importers.gpx import read_gpx
from backstride.importers.model import Activity
from backstride.ingest.saving import ImportSummary, Outcome, SavedHook, log_failure, store_one
from backstride.store.activities import known_hashes
from backstride.store.schema import activity_files

MB = 1024 * 1024


def _failed(summary: ImportSummary, outcome: Outcome, exc: BaseException) -> None:
    """Count ``outcome`` (a failure the summary tells) and record it with its cause in the log."""
    log_failure(outcome.name, outcome.reason, exc)
    summary.outcomes.append(outcome)


def _weights_by_day(weighings: list[Weighing], name: str) -> tuple[dict[date, float], int]:
    """Kilograms per local day (the last weighing of the day), and how many had an unknown unit."""
    latest: dict[date, tuple[float, float]] = {}
    unknown = 0
    for w in weighings:
        try:
            kg = mass_kg(w.value, w.unit, name)
        except BadFileError:
            unknown += 1
            continue
        day = datetime.fromtimestamp(w.at + w.offset_s, tz=UTC).date()
        if day not in latest or w.at >= latest[day][0]:
            latest[day] = (w.at, kg)
    return {day: round(kg, 3) for day, (_, kg) in latest.items()}, unknown


def _routes(export: HealthExport, workout: Workout, warnings: list[str]) -> list[Activity]:
    found: list[Activity] = []
    for reference in workout.routes:
        try:
            route_label, data = export.read_route(reference)
            found.extend(read_gpx(data, route_label))
        except BadFileError as exc:  # the workout is kept without this route: told as a warning, logged
            warnings.append(f"route {reference}: {exc.reason}")
            log_failure(exc.name, f"route left out: {exc.reason}", exc)
    return found


def _stored_ids(engine: Engine, user_id: int, identities: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    with engine.connect() as conn:
        known = known_hashes(conn, user_id, identities)
        if known:
            rows = conn.execute(
                select(activity_files.c.sha256, activity_files.c.activity_id).where(
                    activity_files.c.user_id == user_id, activity_files.c.sha256.in_(list(known))
                )
            )
            found = {row[0]: int(row[1]) for row in rows}
    return found


def import_health_export(
    engine: Engine,
    path: str,
    member: str | None,
    summary: ImportSummary,
    *,
    user_id: int,
    sports: Sequence[str] | None = ("running",),
    progress: Callable[[int, int], None] | None = None,
    on_saved: SavedHook | None = None,
) -> None:
    """Import the export whose XML is ``path`` (or ``member`` of the zip ``path``) into ``summary``."""
    export = HealthExport(path, member)
    name = export.name
    try:
        total_mb = max(1, export.size // MB)
    except (OSError, KeyError) as exc:
        _failed(summary, Outcome(name, "failed", f"cannot be read ({exc})"), exc)
        return

    def on_bytes(read: int) -> None:
        if progress is not None:
            progress(min(read // MB, total_mb), total_mb)

    try:
        with export.open_xml() as stream:
            scan = scan_export(stream, name, on_bytes)
    except BadFileError as exc:
        _failed(summary, Outcome(exc.name, "failed", exc.reason), exc)
        return
    except OSError as exc:
        _failed(summary, Outcome(name, "failed", f"cannot be read ({exc})"), exc)
        return
    try:
        _import_scanned(engine, export, scan, summary, user_id, sports, on_saved)
    finally:
        scan.spool.discard()


def _import_scanned(
    engine: Engine,
    export: HealthExport,
    scan: ScanResult,
    summary: ImportSummary,
    user_id: int,
    sports: Sequence[str] | None,
    on_saved: SavedHook | None,
) -> None:
    name = export.name
    for problem in scan.problems:
        failed = problem.startswith("export.xml breaks off")
        summary.outcomes.append(Outcome(name, "failed" if failed else "skipped", problem))
    wanted: list[Workout] = []
    for workout in scan.workouts:
        sport, _ = sport_of(workout)
        if sports is not None and sport not in sports:
            summary.outcomes.append(
                Outcome(
                    f"{name}: {label(workout)}",
                    "skipped",
                    f"{sport}, not a run (use --sport {sport} or --sport all to import it)",
                    sport=sport,
                )
            )
        else:
            wanted.append(workout)
    stored = _stored_ids(engine, user_id, [identity(w) for w in wanted])
    new = []
    for workout in wanted:
        if identity(workout) in stored:
            summary.outcomes.append(
                Outcome(
                    f"{name}: {label(workout)}",
                    "duplicate",
                    "",
                    stored[identity(workout)],
                    sport_of(workout)[0],
                )
            )
        else:
            new.append(workout)
    rows = scan.spool.select((w.start - 60, w.end + 60) for w in new)
    for workout in new:
        item = f"{name}: {label(workout)}"
        warnings: list[str] = []
        try:
            mine = rows[(rows["t1"] >= workout.start) & (rows["t0"] <= workout.end)]
            activity = build_activity(workout, mine, scan.sources, _routes(export, workout, warnings), name)
        except BadFileError as exc:
            _failed(summary, Outcome(item, "failed", exc.reason, sport=sport_of(workout)[0]), exc)
            continue
        activity.warnings[:0] = warnings
        activity.file_hashes = [identity(workout)]
        activity.file_names = [item]
        summary.outcomes.append(store_one(engine, item, activity, user_id, sports, on_saved))
    _import_weights(engine, scan, summary, user_id, name)


def _import_weights(
    engine: Engine, scan: ScanResult, summary: ImportSummary, user_id: int, name: str
) -> None:
    from backstride.log.body import add_weights

    if not scan.weighings:
        return
    by_day, unknown = _weights_by_day(scan.weighings, name)
    with engine.begin() as conn:
        added, present = add_weights(conn, user_id, by_day)
    note = f"body weight: {added} new days from the Apple Health export"
    if present:
        note += f", {present} days already logged (kept as they were)"
    if unknown:
        note += f", {unknown} weighings with an unknown unit left out"
    summary.notes.append(note)


__all__ = ["import_health_export"]
