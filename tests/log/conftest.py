"""A second database on the same backend as ``engine``, for restoring an export into."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from backstride.config import database_url
from backstride.store.engine import open_store


@pytest.fixture
def other_engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, empty database on the backend of ``db_url`` (SQLite file or PostgreSQL database)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        eng = open_store(database_url(str(tmp_path / "other.sqlite")))
        try:
            yield eng
        finally:
            eng.dispose()
        return
    name = "bs_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng = open_store(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
