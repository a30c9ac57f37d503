"""Tables of the log: pain reports, lifting, routines, body weight, per-run context, weekly check-ins.

They live on the shared :data:`backstride.store.metadata.metadata` (:mod:`backstride.store.schema`
imports this module, so the tables register whenever the schema is imported). SI units: metres,
seconds, kilograms.
Times of runs and check-ins are UTC; lifting sessions and routine entries keep the local wall-clock
time the runner (or the lifting app) gave, since those apps export no time zone.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from backstride.store.metadata import metadata

pain_reports = Table(
    "pain_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(10), nullable=False, comment="pain or none"),
    Column("onset_m", Float, comment="metres from the start"),
    Column("onset_low_m", Float, comment="metres; lower bound when known only between two points"),
    Column("onset_high_m", Float, comment="metres; upper bound"),
    Column("onset_input", String(100), comment="the onset as the runner gave it"),
    Column("severity", Integer, comment="peak pain, 0-10"),
    Column("locations", Text, comment="comma-separated"),
    Column("qualities", Text, comment="comma-separated"),
    Column("lasted_after_s", Float, comment="seconds the pain lasted after stopping"),
    Column("notes", Text),
    Column("source", String(10), nullable=False, comment="manual, lap, csv or web"),
    Column("confirmed", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("activity_id"),
    Index("ix_pain_reports_user", "user_id"),
)

pain_stages = Table(
    "pain_stages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("pain_reports.id", ondelete="CASCADE"), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("distance_m", Float, nullable=False, comment="metres from the start"),
    Index("ix_pain_stages_report", "report_id"),
)

lift_sessions = Table(
    "lift_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", DateTime(timezone=False), nullable=False, comment="local wall-clock time"),
    Column("duration_s", Float),
    Column("name", String(200)),
    Column("notes", Text),
    Column("effort", String(20), comment="max-effort, dynamic-effort or repetition"),
    Column("source", String(10), nullable=False, comment="manual, strong or hevy"),
    Column("import_key", String(300), comment="identity of an imported session, for re-imports"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "import_key"),
    Index("ix_lift_sessions_user_start", "user_id", "started_at"),
)

lift_sets = Table(
    "lift_sets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("lift_sessions.id", ondelete="CASCADE"), nullable=False),
    Column("idx", Integer, nullable=False, comment="order within the session"),
    Column("exercise", String(200), nullable=False),
    Column("set_type", String(10), nullable=False, comment="normal, warmup, drop or failure"),
    Column("weight_kg", Float),
    Column("reps", Integer),
    Column("rpe", Float),
    Column("distance_m", Float),
    Column("duration_s", Float),
    Column("notes", Text),
    UniqueConstraint("session_id", "idx"),
)

exercise_aliases = Table(
    "exercise_aliases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False, comment="the runner's name, normalised"),
    Column("given", String(200), nullable=False, comment="the name as the runner typed it"),
    Column("exercise", String(200), nullable=False, comment="the catalogue exercise it counts as"),
    UniqueConstraint("user_id", "name"),
)

routines = Table(
    "routines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("category", String(20), nullable=False),
    Column("description", Text),
    Column("builtin", Boolean, nullable=False, comment="copied from the starter list"),
    UniqueConstraint("user_id", "name"),
)

routine_log = Table(
    "routine_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("routine_id", Integer, ForeignKey("routines.id", ondelete="CASCADE"), nullable=False),
    Column("done_at", DateTime(timezone=False), nullable=False, comment="local wall-clock time"),
    Column("before_run", Boolean),
    Column("activity_id", Integer, ForeignKey("activities.id", ondelete="SET NULL")),
    Column("duration_s", Float),
    Column("notes", Text),
    Index("ix_routine_log_user_done", "user_id", "done_at"),
)

body_weights = Table(
    "body_weights",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("day", Date, nullable=False),
    Column("weight_kg", Float, nullable=False),
    UniqueConstraint("user_id", "day"),
)

run_context = Table(
    "run_context",
    metadata,
    Column("activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("surface", String(20)),
    Column("loads", Text, comment="comma-separated footwear or load tags"),
    Column("headphones", Boolean),
    Column("sleep_h", Float, comment="hours slept the night before"),
    Column("drank", Text, comment="what was drunk before"),
    Column("ate", Text, comment="what was eaten before"),
    Column("notes", Text),
)

checkins = Table(
    "checkins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False),
    Column("peg_pain", Integer, nullable=False, comment="average pain past week, 0-10"),
    Column("peg_enjoyment", Integer, nullable=False, comment="interference with enjoyment, 0-10"),
    Column("peg_activity", Integer, nullable=False, comment="interference with general activity, 0-10"),
    Column("peg_score", Float, nullable=False, comment="mean of the three items"),
    Column("screen_urgency", String(10), comment="emergency, urgent or none; null if not screened"),
    Column("notes", Text),
    Index("ix_checkins_user_taken", "user_id", "taken_at"),
)

LOG_TABLES = (
    pain_reports,
    pain_stages,
    lift_sessions,
    lift_sets,
    exercise_aliases,
    routines,
    routine_log,
    body_weights,
    run_context,
    checkins,
)

__all__ = [
    "LOG_TABLES",
    "body_weights",
    "checkins",
    "exercise_aliases",
    "lift_sessions",
    "lift_sets",
    "pain_reports",
    "pain_stages",
    "routine_log",
    "routines",
    "run_context",
]
