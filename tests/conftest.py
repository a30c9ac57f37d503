"""Shared fixtures: one temporary database per test, on SQLite and (where available) PostgreSQL.

PostgreSQL: set ``BACKSTRIDE_TEST_PG`` to a server URL (``.ci/run`` does); each test gets a database
of its own, dropped afterwards. Without it the PostgreSQL cases skip with a reason, except in CI
(``CI=true``), where they fail: CI must run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from backstride.config import database_url
from backstride.store.engine import open_store

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
PG_ENV = "BACKSTRIDE_TEST_PG"


def fixtures_dir() -> Path:
    """``../shared/fixtures``; tests that need it skip (outside CI) when it is absent."""
    if not SHARED_FIXTURES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the shared fixtures at {SHARED_FIXTURES}")
        pytest.skip(f"../shared/fixtures is absent ({SHARED_FIXTURES})")
    return SHARED_FIXTURES


def fixture_files(sub: str, pattern: str = "*") -> list[Path]:
    """Files for parametrising at collection time (empty when the folder is absent)."""
    folder = SHARED_FIXTURES / sub
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the developer's own data directory, database or pool, nor sees any
    other ``BACKSTRIDE_*`` variable of the developer's shell."""
    from backstride.config import ENVIRONMENT

    for var in ENVIRONMENT:
        monkeypatch.delenv(var.name, raising=False)
    monkeypatch.setenv("BACKSTRIDE_HOME", str(tmp_path_factory.mktemp("home")))


def _pg_server() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must provide PostgreSQL through {PG_ENV}")
        pytest.skip(f"no PostgreSQL server: set {PG_ENV}=postgresql://user@host:port/db to run these")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    server = database_url(_pg_server())
    name = "bs_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return database_url(str(tmp_path / "test.sqlite"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield database_url(str(tmp_path / "test.sqlite"))
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database at the newest schema (SQLite and PostgreSQL)."""
    eng = open_store(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """An engine on a fresh SQLite database only, for tests where the backend does not matter."""
    eng = open_store(sqlite_url)
    try:
        yield eng
    finally:
        eng.dispose()
