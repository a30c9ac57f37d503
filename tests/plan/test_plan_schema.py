"""Migration 0003 creates exactly the plan tables, and its downgrade removes them."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from backstride.store.engine import alembic_config, make_engine, migrate
from backstride.store.plan_schema import plan_goals, screens, self_test_results
from backstride.store.schema import metadata

PLAN_TABLES = {"screens", "self_test_results", "plan_goals"}


def test_plan_tables_are_registered() -> None:
    assert {screens.name, self_test_results.name, plan_goals.name} == PLAN_TABLES
    assert set(metadata.tables) >= PLAN_TABLES


def test_migration_0003_matches_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0002")
    with engine.connect() as conn:
        assert not PLAN_TABLES & set(inspect(conn).get_table_names())
    migrate(engine, "0003")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= PLAN_TABLES
        ctx = MigrationContext.configure(conn, opts={"include_object": _only_plan})
        diff = compare_metadata(ctx, metadata)
    assert diff == []
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002")
    with engine.connect() as conn:
        assert not PLAN_TABLES & set(inspect(conn).get_table_names())
    engine.dispose()


def _only_plan(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Compare only the plan tables (other parts' migrations are tested by their owners)."""
    if type_ == "table":
        return name in PLAN_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in PLAN_TABLES
