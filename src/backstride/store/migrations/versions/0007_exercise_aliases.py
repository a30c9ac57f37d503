"""log: a runner's own exercise names (``backstride lift alias``)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exercise_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "name",
            sa.String(length=200),
            nullable=False,
            comment="the runner's name, normalised",
        ),
        sa.Column("given", sa.String(length=200), nullable=False, comment="the name as the runner typed it"),
        sa.Column(
            "exercise", sa.String(length=200), nullable=False, comment="the catalogue exercise it counts as"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_exercise_aliases_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_aliases")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_exercise_aliases_user_id_name")),
    )


def downgrade() -> None:
    op.drop_table("exercise_aliases")
