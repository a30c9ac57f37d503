"""Migrations: an old database is brought to the newest schema, and migrations match the tables."""

from __future__ import annotations

from datetime import UTC, datetime

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
