"""Tables (SQLAlchemy Core). Everything is stored in SI units; times are UTC.

Every row that belongs to a runner carries ``user_id`` so that the multi-user server can scope every
query. The local single-user mode uses user 1. Changing a table here needs an Alembic revision in
``migrations/versions`` (``tests/store/test_migrations.py`` fails when the two drift apart).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# The tables of each concept live in their own module, on the same metadata; importing this module
# registers them all.
from backstride.store import (
    auth_schema,  # noqa: F401
    experiments_schema,  # noqa: F401
    log_schema,  # noqa: F401
    plan_schema,  # noqa: F401
    strava_schema,  # noqa: F401
)
from backstride.store.metadata import metadata

LOCAL_USER_ID = 1

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(255)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

shoes = Table(
    "shoes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("brand", String(100)),
    Column("model", String(100)),
    Column("started_on", DateTime(timezone=True)),
    Column("retired_on", DateTime(timezone=True)),
    Column("notes", Text),
    UniqueConstraint("user_id", "name"),
)

activities = Table(
    "activities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(20), nullable=False),
    Column("sport", String(40), nullable=False),
    Column("sub_sport", String(40)),
    Column("start_utc", DateTime(timezone=True), nullable=False),
    Column("utc_offset_s", Integer),
    Column("distance_m", Float),
    Column("moving_s", Float),
    Column("elapsed_s", Float),
    Column("elevation_gain_m", Float),
    Column("elevation_loss_m", Float),
    Column("avg_hr", Float),
    Column("max_hr", Float),
    Column("avg_cadence", Float, comment="steps per minute"),
    Column("avg_speed", Float, comment="metres per second"),
    Column("avg_vertical_oscillation", Float, comment="millimetres"),
    Column("avg_stance_time", Float, comment="milliseconds"),
    Column("avg_step_length", Float, comment="millimetres"),
    Column("avg_power", Float, comment="watts"),
    Column("device", String(200)),
    Column("shoe_id", Integer, ForeignKey("shoes.id", ondelete="SET NULL")),
    Column("name", String(500)),
    Column("samples", Integer, nullable=False, default=0),
    Column("laps", Integer, nullable=False, default=0),
    Column("richness", Float, nullable=False, default=0.0),
    Column("warnings", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_activities_user_start", "user_id", "start_utc"),
)

activity_files = Table(
    "activity_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("sha256", String(80), nullable=False),
    Column("name", String(1000)),
    Column("format", String(20)),
    UniqueConstraint("user_id", "sha256"),
    Index("ix_activity_files_activity", "activity_id"),
)

streams = Table(
    "streams",
    metadata,
    Column("activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("codec", Integer, nullable=False),
    Column("columns", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

laps = Table(
    "laps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("start_s", Float, nullable=False),
    Column("end_s", Float, nullable=False),
    Column("start_m", Float),
    Column("end_m", Float),
    Column("trigger", String(30), nullable=False),
    UniqueConstraint("activity_id", "idx"),
)

__all__ = [
    "LOCAL_USER_ID",
    "Boolean",
    "activities",
    "activity_files",
    "laps",
    "metadata",
    "settings",
    "shoes",
    "streams",
    "users",
]
