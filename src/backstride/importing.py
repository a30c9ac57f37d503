"""The import job: paths in, activities stored, every file accounted for.

Reading and decoding run in worker processes (both cores); the store is written by this process only,
one transaction per activity, so a failure never leaves half an activity behind.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine

from backstride.errors import BadFileError
from backstride.importers.model import Activity
from backstride.store.activities import save_activity
from backstride.store.schema import LOCAL_USER_ID

if TYPE_CHECKING:
    from backstride.importers.sources import Source

Status = Literal["imported", "merged", "duplicate", "skipped", "failed"]
#: Sources handed to a worker at a time; small enough for a smooth progress bar.
CHUNK = 8
#: Below this many files, decoding in-process beats starting worker processes.
PARALLEL_MIN_FILES = 6


@dataclass
class Outcome:
    """What became of one file (or one session of a multisport file)."""

    name: str
    status: Status
    reason: str = ""
    activity_id: int | None = None
    sport: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    #: What was imported besides activities (body weights from an Apple Health export ...), one line each.
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(o.status for o in self.outcomes)
        return {
            status: counts.get(status, 0)
            for status in ("imported", "merged", "duplicate", "skipped", "failed")
        }

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def activity_ids(self) -> list[int]:
        return sorted({o.activity_id for o in self.outcomes if o.activity_id is not None})

    def as_dict(self) -> dict[str, object]:
        return {
            "counts": self.counts,
            "files": [
                {
                    "name": o.name,
                    "status": o.status,
                    "reason": o.reason or None,
                    "activity_id": o.activity_id,
                    "sport": o.sport,
                    "warnings": o.warnings,
                }
                for o in self.outcomes
            ],
            "notes": list(self.notes),
        }


def _read(source: Source) -> tuple[Source, list[Activity] | BadFileError]:
    from backstride.importers.sources import read_source

    try:
        return source, read_source(source)
    except BadFileError as exc:
        return source, exc
    except Exception as exc:  # a decoder bug must not stop the whole import: report it on that file
        return source, BadFileError(source.name, f"could not be read ({type(exc).__name__}: {exc})")


def _decoded(sources: list[Source], workers: int) -> Iterator[tuple[Source, list[Activity] | BadFileError]]:
    if workers <= 1 or len(sources) < PARALLEL_MIN_FILES:
        for source in sources:
            yield _read(source)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_read, sources, chunksize=CHUNK)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def import_paths(
    engine: Engine,
    paths: Sequence[str],
    *,
    user_id: int = LOCAL_USER_ID,
    sports: Sequence[str] | None = ("running",),
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    on_saved: Callable[[Engine, int, Activity], None] | None = None,
) -> ImportSummary:
    """Import activity files, folders, zips and Strava exports into the store.

    ``sports=None`` imports every sport; otherwise other sports are skipped and counted.
    ``progress(done, total)`` is called after each file. ``on_saved(engine, activity_id, activity)``
    runs after each newly imported activity (the log uses it for the lap-button onset).
    """
    from backstride.importers.sources import SkippedEntry, find_sources
    from backstride.log.archive import is_export, restore

    summary = ImportSummary()
    exports = [p for p in paths if os.path.isdir(p) and is_export(p)]
    for path in exports:  # a backstride export folder: restored as a whole (empty database only)
        restored = restore(engine, path, user_id)
        summary.outcomes.append(
            Outcome(path, "imported", f"restored a backstride export ({restored.total} rows)")
        )
    paths = [p for p in paths if p not in exports]
    if exports and not paths:
        return summary
    sources, problems = find_sources(paths)
    for problem in problems:
        status: Status = "skipped" if isinstance(problem, SkippedEntry) else "failed"
        summary.outcomes.append(Outcome(problem.name, status, problem.reason))
    health = [s for s in sources if s.kind == "apple_health"]
    if health:
        from backstride.importing_health import import_health_export

        sources = [s for s in sources if s.kind != "apple_health"]
        for source in health:
            import_health_export(engine, source.path, source.member, summary, user_id=user_id,
                                 sports=sports, progress=progress, on_saved=on_saved)
    total = len(sources)
    if progress:
        progress(0, total)
    decoded = _decoded(sources, workers if workers is not None else default_workers())
    for done, (source, result) in enumerate(decoded, start=1):
        if isinstance(result, BadFileError):
            summary.outcomes.append(Outcome(result.name, "failed", result.reason))
        else:
            multi = len(result) > 1
            for i, activity in enumerate(result):
                label = f"{source.name} (session {i + 1})" if multi else source.name
                summary.outcomes.append(store_one(engine, label, activity, user_id, sports, on_saved))
        if progress:
            progress(done, total)
    return summary


def store_one(
    engine: Engine,
    label: str,
    activity: Activity,
    user_id: int,
    sports: Sequence[str] | None,
    on_saved: Callable[[Engine, int, Activity], None] | None,
) -> Outcome:
    if sports is not None and activity.sport not in sports:
        return Outcome(
            label,
            "skipped",
            f"{activity.sport}, not a run (use --sport {activity.sport} or --sport all to import it)",
            sport=activity.sport,
        )
    if activity.samples == 0 and not activity.distance_m:
        return Outcome(label, "failed", "holds no samples and no distance", sport=activity.sport)
    try:
        with engine.begin() as conn:
            saved = save_activity(conn, activity, user_id)
    except Exception as exc:
        return Outcome(
            label, "failed", f"could not be stored ({type(exc).__name__}: {exc})", sport=activity.sport
        )
    if saved.status == "imported" and on_saved is not None:
        on_saved(engine, saved.activity_id, activity)
    return Outcome(label, saved.status, "", saved.activity_id, activity.sport, list(activity.warnings))
