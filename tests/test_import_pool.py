"""When the import starts worker processes: only for many files holding enough bytes to repay them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from backstride.importers.sources import Source, find_sources
from backstride.ingest import files as importing
from backstride.ingest.files import PARALLEL_MIN_BYTES, PARALLEL_MIN_FILES, import_paths, use_worker_pool
from tests.conftest import fixtures_dir


def _files(folder: Path, count: int, size: int, suffix: str = ".fit") -> list[Source]:
    folder.mkdir(parents=True, exist_ok=True)
    sources = []
    for i in range(count):
        path = folder / f"run{i}{suffix}"
        with open(path, "wb") as handle:
            handle.truncate(size)
        sources.append(Source(path.name, str(path)))
    return sources


def test_few_or_small_files_decode_in_this_process(tmp_path: Path) -> None:
    big = PARALLEL_MIN_BYTES // 4
    assert not use_worker_pool(_files(tmp_path / "few", PARALLEL_MIN_FILES - 1, big), 2)
    assert not use_worker_pool(_files(tmp_path / "small", 50, 100_000), 2)
    many_big = _files(tmp_path / "big", PARALLEL_MIN_FILES, big)
    assert use_worker_pool(many_big, 2)
    assert not use_worker_pool(many_big, 1)


def test_gzipped_files_count_as_what_they_hold(tmp_path: Path) -> None:
    size = PARALLEL_MIN_BYTES // (2 * PARALLEL_MIN_FILES)
    assert not use_worker_pool(_files(tmp_path / "plain", PARALLEL_MIN_FILES, size), 2)
    assert use_worker_pool(_files(tmp_path / "gz", PARALLEL_MIN_FILES, size, ".fit.gz"), 2)


def test_the_run_fixtures_are_imported_without_a_pool() -> None:
    """The small import of issue 15 (the run FIT fixtures) stays in one process."""
    sources, _ = find_sources([str(fixtures_dir() / "fit")])
    assert len(sources) >= PARALLEL_MIN_FILES
    assert not use_worker_pool(sources, 2)


def test_the_pool_gives_the_same_outcomes_as_one_process(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backstride.config import database_url
    from backstride.store.engine import open_store

    folders = [str(fixtures_dir() / sub) for sub in ("fit", "gpx", "tcx")]
    alone = import_paths(sqlite_engine, folders, workers=1)
    monkeypatch.setattr(importing, "PARALLEL_MIN_BYTES", 0)
    sources, _ = find_sources(folders)
    assert use_worker_pool(sources, 2)
    other = open_store(database_url(str(tmp_path / "pool.sqlite")))
    try:
        pooled = import_paths(other, folders, workers=2)
    finally:
        other.dispose()
    assert [(o.name, o.status, o.reason) for o in pooled.outcomes] == [
        (o.name, o.status, o.reason) for o in alone.outcomes
    ]
