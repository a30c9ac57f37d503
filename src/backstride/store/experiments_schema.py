"""Tables of N-of-1 experiments: the design of each experiment and the days a runner did not follow it.

Registered on the shared :data:`backstride.store.metadata.metadata`; the Alembic revision ``0004``
creates exactly these tables. The schedule itself is not stored row by row: it follows from the start
date, the period length and ``sequence`` (the condition of each period, drawn from ``seed``), so it
can always be reproduced (see :mod:`backstride.experiments.design`).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from backstride.store.metadata import metadata

experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column(
        "remedy", String(100), nullable=False, comment="a remedy id from remedies.yaml, or the runner's own"
    ),
    Column("outcome", String(20), nullable=False, comment="onset | severity | peg, fixed before any data"),
    Column("start_date", Date, nullable=False, comment="local day the first period starts"),
    Column("pairs", Integer, nullable=False),
    Column("period_days", Integer, nullable=False),
    Column("washout_days", Integer, nullable=False, comment="first days of each period left out"),
    Column("seed", Integer, nullable=False, comment="random seed that drew the sequence"),
    Column("sequence", String(200), nullable=False, comment="condition of each period in order, e.g. ABBAAB"),
    Column("status", String(20), nullable=False, comment="running | stopped"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_experiments_user_start", "user_id", "start_date"),
)

experiment_days = Table(
    "experiment_days",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("day", Date, nullable=False, comment="local day"),
    Column("followed", Boolean, nullable=False, comment="the assigned condition was followed that day"),
    Column("notes", Text),
    UniqueConstraint("experiment_id", "day"),
)

EXPERIMENT_TABLES = (experiments, experiment_days)

__all__ = ["EXPERIMENT_TABLES", "experiment_days", "experiments"]
