"""Tables of the multi-user server: login sessions, read-only grants, login attempts.

They live on the shared :data:`backstride.store.metadata.metadata` (:mod:`backstride.store.schema`
imports this module). They belong to the *account*, not to the runner's data, so their owner columns are named
``account_id`` / ``owner_id`` / ``grantee_id`` rather than ``user_id``: the data export
(:mod:`backstride.log.archive`, which follows ``user_id``) must not write session token hashes or
other people's grants into a runner's export, and "delete all my data" keeps the account working.
A grant keeps the name it was given to (``grantee_name``); its ``grantee_id`` is NULL when no account
had that name, and such a grant gives access to nobody (so granting answers the same whether the name
exists or not: usernames cannot be probed through sharing).
Migrations: ``migrations/versions/0005_web.py``, ``0008_grant_names.py``.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table

from backstride.store.metadata import metadata

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True, comment="SHA-256 hex of the cookie"),
    Column("account_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("viewing_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), comment="a granted runner"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_web_sessions_account", "account_id"),
)

access_grants = Table(
    "access_grants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("grantee_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),  # NULL: no such account
    Column("grantee_name", String(100), nullable=False, comment="as the owner typed it"),
    Column("role", String(20), nullable=False, comment="clinician or coach"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_access_grants_owner", "owner_id"),
    Index("ix_access_grants_grantee", "grantee_id"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False),
    Column("client", String(100), nullable=False, comment="client address"),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index("ix_login_attempts_username_at", "username", "at"),
    Index("ix_login_attempts_client_at", "client", "at"),
)

__all__ = ["access_grants", "login_attempts", "web_sessions"]
