"""strava: the Strava link of an account (application, tokens, sync position)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strava_links",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "client_id", sa.String(length=40), nullable=False, comment="the runner's Strava API application"
        ),
        sa.Column(
            "client_secret", sa.Text(), nullable=False, comment="private: never logged, printed or exported"
        ),
        sa.Column("access_token", sa.Text(), nullable=True, comment="private"),
        sa.Column("refresh_token", sa.Text(), nullable=True, comment="private"),
        sa.Column(
            "expires_at", sa.DateTime(timezone=True), nullable=True, comment="when the access token expires"
        ),
        sa.Column("scope", sa.String(length=200), nullable=True, comment="scopes the athlete granted"),
        sa.Column("athlete_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "state_hash",
            sa.String(length=64),
            nullable=True,
            comment="SHA-256 of the OAuth state while authorising",
        ),
        sa.Column("redirect_uri", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "synced_until",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="start of the newest activity synced in order",
        ),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["users.id"], name=op.f("fk_strava_links_account_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_strava_links")),
    )


def downgrade() -> None:
    op.drop_table("strava_links")
