"""Shared fixtures: one temporary database per test, on SQLite and (where available) PostgreSQL.

PostgreSQL: set ``BACKSTRIDE_TEST_PG`` to a server URL (``.ci/run`` does); each test gets a database
of its own, dropped afterwards. Without it the PostgreSQL cases skip with a reason.

In CI (``CI=true``) nothing skips: a test that would skip (no PostgreSQL, no ``../shared/fixtures``, an
empty fixture folder, no Chromium or Java, any ``pytest.skip``) fails instead, so a missing piece of
the set-up cannot hide a regression (:func:`pytest_runtest_makereport`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from sqlalchemy import Engine, create_engine, text

from backstride.config import database_url
from backstride.store.engine import open_store

if TYPE_CHECKING:
    from backstride.demo import DemoResult

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
PG_ENV = "BACKSTRIDE_TEST_PG"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def missing(reason: str) -> NoReturn:
    """Skip the test for ``reason`` (a missing piece of the set-up); in CI fail instead."""
    if in_ci():
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """In CI a skip is a failure, whatever raised it (``pytest.skip``, a ``skipif`` mark, an empty
    parameter set): every test must run there."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"


#: Set on a test whose ``xdist_group`` the worker ignored (see :func:`pytest_collection_modifyitems`).
_GROUP_LOST = pytest.StashKey[str]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``make test`` runs ``-n 2 --dist loadgroup``: the tests of one ``xdist_group`` share a worker (one
    Spark session, one costly module fixture). When the grouping silently stops working, as with pytest
    9.2 and pytest-xdist 3.8 (pytest-dev/pytest-xdist#1386), the grouped tests fail and say why."""
    if not os.environ.get("PYTEST_XDIST_WORKER") or not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            item.stash[_GROUP_LOST] = (
                "--dist loadgroup ignored this test's xdist_group (pytest-dev/pytest-xdist#1386): "
                "install the pytest that the test extra pins"
            )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _GROUP_LOST in item.stash:
        pytest.fail(item.stash[_GROUP_LOST], pytrace=False)


def fixtures_dir() -> Path:
    """``../shared/fixtures``; tests that need it skip (outside CI) when it is absent."""
    if not SHARED_FIXTURES.is_dir():
        missing(f"../shared/fixtures is absent ({SHARED_FIXTURES})")
    return SHARED_FIXTURES


def fixture_files(sub: str, pattern: str = "*") -> list[Path]:
    """Files for parametrising at collection time. Outside CI an absent or empty folder gives an empty
    list (the tests skip); in CI it stops the collection: the real files must be there."""
    folder = SHARED_FIXTURES / sub
    files = sorted(folder.glob(pattern)) if folder.is_dir() else []
    if not files and in_ci():
        pytest.fail(f"CI must have the shared fixtures: no {pattern} in {folder}", pytrace=False)
    return files


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the developer's own data directory, database or pool, nor sees any
    other ``BACKSTRIDE_*`` variable of the developer's shell."""
    from backstride.config import ENVIRONMENT

    for var in ENVIRONMENT:
        monkeypatch.delenv(var.name, raising=False)
    monkeypatch.setenv("BACKSTRIDE_HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(scope="session")
def demo_result(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    """The demo's whole job (simulated files, import, analysis, report; default seed, ending last
    week), made once per test process and shared by the modules that read it. A test that writes to
    the store works on a copy (``shutil.copy(demo_result.db_path, ...)``), never on this one."""
    from backstride.demo import DEMO_SEED, run_demo

    return run_demo(tmp_path_factory.mktemp("demo"), seed=DEMO_SEED)


def _pg_server() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        missing(f"no PostgreSQL server: set {PG_ENV}=postgresql://user@host:port/db to run these")
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
