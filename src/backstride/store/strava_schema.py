"""The Strava link of a runner's account: the API application, the tokens, and where syncing got to.

One row per account (``account_id``). Like the tables of :mod:`backstride.store.auth_schema`, the owner
column is not named ``user_id`` on purpose: the data export (:mod:`backstride.log.archive`, which
follows ``user_id``) must never write the client secret or the tokens into a runner's export, and
"delete all my data" deletes runs and logs, not the account's connections (``backstride strava
disconnect`` revokes the access at Strava and deletes this row). Migration:
``migrations/versions/0006_strava.py``.

A row with no ``access_token`` is an authorisation in progress: ``state_hash`` (SHA-256 of the OAuth
``state``) ties the redirect back from Strava to the account that started it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, String, Table, Text

from backstride.store.metadata import metadata

strava_links = Table(
    "strava_links",
    metadata,
    Column("account_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", String(40), nullable=False, comment="the runner's Strava API application"),
    Column("client_secret", Text, nullable=False, comment="private: never logged, printed or exported"),
    Column("access_token", Text, comment="private"),
    Column("refresh_token", Text, comment="private"),
    Column("expires_at", DateTime(timezone=True), comment="when the access token expires"),
    Column("scope", String(200), comment="scopes the athlete granted"),
    Column("athlete_id", BigInteger),
    Column("state_hash", String(64), comment="SHA-256 of the OAuth state while authorising"),
    Column("redirect_uri", String(500)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("synced_until", DateTime(timezone=True), comment="start of the newest activity synced in order"),
    Column("last_sync_at", DateTime(timezone=True)),
)

__all__ = ["strava_links"]
