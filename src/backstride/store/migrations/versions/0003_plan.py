"""plan: red-flag screens, self-test results, goals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False, comment="screen | checkin | web"),
        sa.Column("urgency", sa.String(length=20), nullable=False, comment="emergency | urgent | none"),
        sa.Column("flags", sa.Text(), nullable=False, comment="JSON list of question ids answered yes"),
        sa.Column("answers", sa.Text(), nullable=False, comment="JSON object: question id -> bool"),
        sa.Column(
            "assessed_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the user confirmed a clinical assessment",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_screens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screens")),
    )
    with op.batch_alter_table("screens", schema=None) as batch_op:
        batch_op.create_index("ix_screens_user_taken", ["user_id", "taken_at"], unique=False)

    op.create_table(
        "self_test_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("test", sa.String(length=40), nullable=False, comment="a test id from self_tests.yaml"),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "values",
            sa.Text(),
            nullable=False,
            comment="JSON object: field key -> number (SI or as defined)",
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_self_test_results_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_test_results")),
    )
    with op.batch_alter_table("self_test_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_self_test_results_user_test_taken", ["user_id", "test", "taken_at"], unique=False
        )

    op.create_table(
        "plan_goals",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False, comment="metres to run pain-free"),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_plan_goals_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_plan_goals")),
    )


def downgrade() -> None:
    op.drop_table("plan_goals")
    with op.batch_alter_table("self_test_results", schema=None) as batch_op:
        batch_op.drop_index("ix_self_test_results_user_test_taken")
    op.drop_table("self_test_results")
    with op.batch_alter_table("screens", schema=None) as batch_op:
        batch_op.drop_index("ix_screens_user_taken")
    op.drop_table("screens")
