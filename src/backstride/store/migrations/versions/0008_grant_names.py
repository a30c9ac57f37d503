"""web: read-only grants keep the name they were given to (so a grant answers the same for any name)

A grant names its grantee as typed (``grantee_name``); ``grantee_id`` is the account of that name when
the grant was made, or NULL when there was none. A NULL grant never gives access to anybody, not
even to an account of that name made later.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("grantee_name", sa.String(length=100), nullable=True, comment="as the owner typed it")
        )
        batch_op.alter_column("grantee_id", existing_type=sa.Integer(), nullable=True)
    op.execute(
        "UPDATE access_grants SET grantee_name = "
        "(SELECT users.username FROM users WHERE users.id = access_grants.grantee_id)"
    )
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.alter_column(
            "grantee_name",
            existing_type=sa.String(length=100),
            nullable=False,
            existing_comment="as the owner typed it",
        )


def downgrade() -> None:
    op.execute("DELETE FROM access_grants WHERE grantee_id IS NULL")
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.alter_column("grantee_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("grantee_name")
