"""Migrations: an old database is brought to the newest schema, and migrations match the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from backstride.store.engine import current_revision, head_revision, make_engine, migrate, open_store
from backstride.store.schema import activities, metadata, users


def test_upgrade_from_first_schema_keeps_data(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0001")
    now = datetime(2025, 3, 1, 7, 30, tzinfo=UTC)
    with engine.begin() as conn:
        assert current_revision(conn) == "0001"
        conn.execute(insert(users).values(id=1, username="local", created_at=now))
        conn.execute(
            insert(activities).values(
                id=7,
                user_id=1,
                source="fit",
                sport="running",
                start_utc=now,
                distance_m=5000.0,
                samples=0,
                laps=0,
                richness=0.0,
                created_at=now,
            )
        )
    engine.dispose()
    engine = open_store(db_url)  # opening an older database migrates it
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        row = conn.execute(select(activities.c.distance_m).where(activities.c.id == 7)).one()
        assert row.distance_m == 5000.0
    engine.dispose()


def test_migrations_match_tables(db_url: str) -> None:
    """Upgrading step by step from nothing gives exactly the tables that schema.py declares."""
    engine = make_engine(db_url)
    migrate(engine, "0001")
    migrate(engine, "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
        tables = set(inspect(conn).get_table_names())
    assert set(metadata.tables) <= tables
    engine.dispose()


def test_fresh_database_is_stamped_at_head(db_url: str) -> None:
    engine = open_store(db_url)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        assert conn.execute(select(users.c.username).where(users.c.id == 1)).scalar_one() == "local"
    engine.dispose()
    # Opening again is a no-op, not an error.
    open_store(db_url).dispose()


def test_head_revision_read_from_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from backstride.store.engine import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_fresh_store_is_stamped_as_alembic_would_and_upgrading_is_a_no_op(db_url: str) -> None:
    """The hand-made stamp is Alembic's own version table: Alembic reads it and has nothing to do."""
    from alembic import command

    from backstride.store.engine import alembic_config

    engine = open_store(db_url)
    with engine.begin() as conn:
        assert current_revision(conn) == head_revision()
        command.upgrade(alembic_config(conn), "head")
        assert current_revision(conn) == head_revision()
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    engine.dispose()


def test_opening_a_store_at_head_does_not_load_alembic(tmp_path: Path) -> None:
    """A new store and a store at the head open without importing Alembic (it is slow to import)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from backstride.config import database_url\n"
        "from backstride.store.engine import open_store\n"
        f"url = database_url({str(tmp_path / 'x.sqlite')!r})\n"
        "open_store(url).dispose()\n"
        "open_store(url).dispose()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
