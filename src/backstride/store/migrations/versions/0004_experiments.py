"""experiments: N-of-1 designs and adherence days

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "remedy",
            sa.String(length=100),
            nullable=False,
            comment="a remedy id from remedies.yaml, or the runner's own",
        ),
        sa.Column(
            "outcome",
            sa.String(length=20),
            nullable=False,
            comment="onset | severity | peg, fixed before any data",
        ),
        sa.Column("start_date", sa.Date(), nullable=False, comment="local day the first period starts"),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("washout_days", sa.Integer(), nullable=False, comment="first days of each period left out"),
        sa.Column("seed", sa.Integer(), nullable=False, comment="random seed that drew the sequence"),
        sa.Column(
            "sequence",
            sa.String(length=200),
            nullable=False,
            comment="condition of each period in order, e.g. ABBAAB",
        ),
        sa.Column("status", sa.String(length=20), nullable=False, comment="running | stopped"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_experiments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.create_index("ix_experiments_user_start", ["user_id", "start_date"], unique=False)

    op.create_table(
        "experiment_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False, comment="local day"),
        sa.Column(
            "followed",
            sa.Boolean(),
            nullable=False,
            comment="the assigned condition was followed that day",
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_days_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_experiment_days_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_days")),
        sa.UniqueConstraint("experiment_id", "day", name=op.f("uq_experiment_days_experiment_id_day")),
    )


def downgrade() -> None:
    op.drop_table("experiment_days")
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_index("ix_experiments_user_start")
    op.drop_table("experiments")
