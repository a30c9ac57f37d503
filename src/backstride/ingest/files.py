"""The import job: paths in, activities stored, every file accounted for.

Reading and decoding run in worker processes when the files are many and large enough to repay
starting them (:func:`use_worker_pool`), else in this process; the store is written by this process
only, one transaction per activity (with its lap-button draft, when the hook makes one), so a failure or
a crash never leaves half an activity behind.

Workers send back plain records (:class:`Decoded`): a file that cannot be read is a failure of that file
alone, whatever went wrong in the worker (even a worker process that dies). Each failure is told on its
file's outcome line and recorded with :mod:`logging` (:func:`log_failure`) with the error and its causes,
which ``--verbose`` shows. Ctrl-C stops the import
between two files and raises :class:`ImportInterrupted`, which carries the summary of what was done.
"""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from backstride.errors import BadFileError, ImportInterrupted, SkippedFile
from backstride.importers.model import Activity
from backstride.ingest.saving import ImportSummary, Outcome, SavedHook, Status, log_failure, store_one
from backstride.store.schema import LOCAL_USER_ID

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from backstride.importers.sources import Source

#: Sources handed to a worker at a time; small enough for a smooth progress bar.
CHUNK = 8
#: Worker processes start only for at least this many files holding at least this many bytes on
#: disk: below, decoding in this process is done before the workers would have started and imported
#: the decoders (a dozen runs take well under a second to decode; see benchmarks/import_speed.py).
PARALLEL_MIN_FILES = 6
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
#: A gzipped file holds about this many times its size of activity data.
GZIP_FACTOR = 4
#: Chunks in flight per worker: enough to keep the workers busy, few enough to bound memory.
AHEAD_PER_WORKER = 2

logger = logging.getLogger(__name__)


def _chain(exc: BaseException) -> str:
    """``exc`` with its causes and tracebacks, as text (it travels back from a worker process)."""
    return "".join(traceback.format_exception(exc)).rstrip()




@dataclass
class Decoded:
    """What a worker sends back for one source: its activities, or why it could not be read."""

    source: Source
    activities: list[Activity] | None = None
    failure: str | None = None
    skipped: bool = False
    #: The error of a failure with its causes (:func:`_chain`), for the log; ``unexpected``: not a bad
    #: file but a bug in reading it.
    detail: str | None = None
    unexpected: bool = False


def _read(source: Source) -> Decoded:
    from backstride.importers.sources import read_source

    try:
        return Decoded(source, read_source(source))
    except SkippedFile as exc:
        return Decoded(source, failure=exc.reason, skipped=True)
    except BadFileError as exc:
        return Decoded(source, failure=exc.reason, detail=_chain(exc))
    except Exception as exc:  # a decoder bug must not stop the whole import: told on that file, logged
        failure = f"could not be read ({type(exc).__name__}: {exc})"
        return Decoded(source, failure=failure, detail=_chain(exc), unexpected=True)


def _read_chunk(sources: list[Source]) -> list[Decoded]:
    return [_read(source) for source in sources]


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the importing process, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once: cancel what is queued and end the workers busy with a chunk."""
    pool.shutdown(wait=False, cancel_futures=True)
    processes = getattr(pool, "_processes", None) or {}  # private, but the only way to stop them now
    for process in list(processes.values()):
        if hasattr(process, "terminate"):
            process.terminate()


def _died(source: Source) -> Decoded:
    return Decoded(
        source,
        failure="the process reading it stopped abruptly (out of memory, or a crash); not imported",
        unexpected=True,
    )


def _isolated(sources: list[Source]) -> Iterator[Decoded]:
    """After a worker died: each remaining file in a worker of its own, so the culprit is named."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool: ProcessPoolExecutor | None = None
    try:
        for source in sources:
            if pool is None:
                pool = ProcessPoolExecutor(max_workers=1, initializer=_ignore_sigint)
            try:
                [result] = pool.submit(_read_chunk, [source]).result()
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = None
                result = _died(source)
            yield result
    finally:
        if pool is not None:
            _stop(pool)


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
    return workers > 1 and len(sources) >= PARALLEL_MIN_FILES and _work_bytes(sources) >= PARALLEL_MIN_BYTES


def _decoded(sources: list[Source], workers: int) -> Generator[Decoded, None, None]:
    if not use_worker_pool(sources, workers):
        for source in sources:
            yield _read(source)
        return
    from concurrent.futures import ProcessPoolExecutor  # loaded only when the pool starts
    from concurrent.futures.process import BrokenProcessPool

    chunks = deque(sources[i : i + CHUNK] for i in range(0, len(sources), CHUNK))
    pending: deque[tuple[list[Source], Future[list[Decoded]]]] = deque()
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)
    try:
        while chunks or pending:
            while chunks and len(pending) < workers * AHEAD_PER_WORKER:
                chunk = chunks.popleft()
                pending.append((chunk, pool.submit(_read_chunk, chunk)))
            chunk, future = pending.popleft()
            try:
                results = future.result()
            except BrokenProcessPool:
                # A worker died (killed for memory, or crashed): no chunk in flight can be trusted.
                _stop(pool)
                rest = chunk + [s for c, _ in pending for s in c] + [s for c in chunks for s in c]
                pending.clear()
                chunks.clear()
                yield from _isolated(rest)
                return
            yield from results
    finally:
        _stop(pool)


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
    on_saved: SavedHook | None = None,
) -> ImportSummary:
    """Import activity files, folders, zips and Strava exports into the store.

    ``sports=None`` imports every sport; otherwise other sports are skipped and counted.
    ``progress(done, total)`` is called after each file. ``on_saved(conn, activity_id, activity)`` runs
    in the transaction of each stored activity, also for a duplicate (the log uses it for the lap-button
    draft, which a crash can then never separate from its run); its failure is a warning on that run.

    Ctrl-C raises :class:`ImportInterrupted` with the summary so far.
    """
    from backstride.importers.sources import find_sources
    from backstride.log.archive import is_export, restore

    summary = ImportSummary()
    exports = [p for p in paths if os.path.isdir(p) and is_export(p)]
    for path in exports:  # a backstride export folder: restored as a whole (empty database only)
        restored = restore(engine, path, user_id)
        summary.outcomes.append(Outcome(path, "imported", restored.describe()))
    paths = [p for p in paths if p not in exports]
    if exports and not paths:
        return summary
    with tempfile.TemporaryDirectory(prefix="backstride-import-") as workdir:  # zips inside zips
        try:
            sources, problems = find_sources(paths, workdir)
        except KeyboardInterrupt as exc:  # while looking through folders and archives: nothing was read yet
            raise ImportInterrupted(summary, 0, 0) from exc
        for problem in problems:
            status: Status = "skipped" if isinstance(problem, SkippedFile) else "failed"
            if status == "failed":
                log_failure(problem.name, problem.reason, problem)
            summary.outcomes.append(Outcome(problem.name, status, problem.reason))
        health = [s for s in sources if s.kind == "apple_health"]
        if health:
            from backstride.ingest.apple_health import import_health_export

            sources = [s for s in sources if s.kind != "apple_health"]
            for source in health:
                import_health_export(
                    engine,
                    source.path,
                    source.member,
                    summary,
                    user_id=user_id,
                    sports=sports,
                    progress=progress,
                    on_saved=on_saved,
                )
        _import_sources(engine, summary, sources, user_id, sports, progress, workers, on_saved)
    return summary


def _import_sources(
    engine: Engine,
    summary: ImportSummary,
    sources: list[Source],
    user_id: int,
    sports: Sequence[str] | None,
    progress: Callable[[int, int], None] | None,
    workers: int | None,
    on_saved: SavedHook | None,
) -> None:
    total = len(sources)
    done = 0
    if progress:
        progress(0, total)
    decoded = _decoded(sources, workers if workers is not None else default_workers())
    try:
        for result in decoded:
            _record(engine, summary, result, user_id, sports, on_saved)
            done += 1
            if progress:
                progress(done, total)
    except KeyboardInterrupt as exc:
        decoded.close()  # stops the workers now
        raise ImportInterrupted(summary, done, total) from exc


def _record(
    engine: Engine,
    summary: ImportSummary,
    result: Decoded,
    user_id: int,
    sports: Sequence[str] | None,
    on_saved: SavedHook | None,
) -> None:
    source = result.source
    if result.activities is None:
        status: Status = "skipped" if result.skipped else "failed"
        reason = result.failure or "could not be read"
        if status == "failed":
            log_failure(source.name, reason, result.detail, unexpected=result.unexpected)
        summary.outcomes.append(Outcome(source.name, status, reason))
        return
    multi = len(result.activities) > 1
    for i, activity in enumerate(result.activities):
        label = f"{source.name} (session {i + 1})" if multi else source.name
        summary.outcomes.append(store_one(engine, label, activity, user_id, sports, on_saved))
