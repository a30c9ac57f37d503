"""The import job: paths in, activities stored, every file accounted for.

Reading and decoding run in worker processes when the files are many and large enough to repay
starting them (:func:`use_worker_pool`), else in this process; the store is written by this process
only, one transaction per activity, so a failure never leaves half an activity behind.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
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
#: Worker processes start only for at least this many files holding at least this many bytes on
#: disk: below, decoding in this process is done before the workers would have started and imported
#: the decoders (a dozen runs take well under a second to decode; see benchmarks/import_speed.py).
PARALLEL_MIN_FILES = 6
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
#: A gzipped file holds about this many times its size of activity data.
GZIP_FACTOR = 4


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
        }


def _read(source: Source) -> tuple[Source, list[Activity] | BadFileError]:
    from backstride.importers.sources import read_source

    try:
        return source, read_source(source)
    except BadFileError as exc:
        return source, exc
    except Exception as exc:  # a decoder bug must not stop the whole import: report it on that file
        return source, BadFileError(source.name, f"could not be read ({type(exc).__name__}: {exc})")


def _work_bytes(sources: Sequence[Source]) -> int:
    """About how many bytes of activity files ``sources`` hold (file sizes; a zip counted once)."""
    total = 0
    for path in {source.path for source in sources}:
        try:
            size = os.path.getsize(path)
        except OSError:
            continue
        total += size * GZIP_FACTOR if path.lower().endswith(".gz") else size
    return total


def use_worker_pool(sources: Sequence[Source], workers: int) -> bool:
    """Whether decoding in ``workers`` processes repays starting them: many files, and enough bytes."""
    return (
        workers > 1
        and len(sources) >= PARALLEL_MIN_FILES
        and _work_bytes(sources) >= PARALLEL_MIN_BYTES
    )


def _decoded(sources: list[Source], workers: int) -> Iterator[tuple[Source, list[Activity] | BadFileError]]:
    if not use_worker_pool(sources, workers):
        for source in sources:
            yield _read(source)
        return
    from concurrent.futures import ProcessPoolExecutor  # loaded only when the pool starts

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
                summary.outcomes.append(_store_one(engine, label, activity, user_id, sports, on_saved))
        if progress:
            progress(done, total)
    return summary


def _store_one(
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
