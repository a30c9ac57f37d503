"""Tables of the plan part: red-flag screens, self-test results and the runner's goal.

Registered on the shared :data:`backstride.store.metadata.metadata`; the Alembic revision ``0003``
creates exactly these tables (``tests/plan/test_plan_schema.py`` checks that they agree).
Answers and measured values are JSON text: their keys are defined by the data files in
``backstride/plan/data`` and validated there, not by the database.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text

from backstride.store.metadata import metadata

screens = Table(
    "screens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False),
    Column("source", String(20), nullable=False, comment="screen | checkin | web"),
    Column("urgency", String(20), nullable=False, comment="emergency | urgent | none"),
    Column("flags", Text, nullable=False, comment="JSON list of question ids answered yes"),
    Column("answers", Text, nullable=False, comment="JSON object: question id -> bool"),
    Column("assessed_at", DateTime(timezone=True), comment="when the user confirmed a clinical assessment"),
    Index("ix_screens_user_taken", "user_id", "taken_at"),
)

self_test_results = Table(
    "self_test_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("test", String(40), nullable=False, comment="a test id from self_tests.yaml"),
    Column("taken_at", DateTime(timezone=True), nullable=False),
    Column("values", Text, nullable=False, comment="JSON object: field key -> number (SI or as defined)"),
    Column("notes", Text),
    Index("ix_self_test_results_user_test_taken", "user_id", "test", "taken_at"),
)

plan_goals = Table(
    "plan_goals",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("distance_m", Float, nullable=False, comment="metres to run pain-free"),
    Column("target_date", Date),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

__all__ = ["plan_goals", "screens", "self_test_results"]
