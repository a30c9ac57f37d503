"""Queries on :data:`backstride.store.strava_schema.strava_links`: one Strava link per account."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from backstride.store.strava_schema import strava_links


@dataclass
class StravaLink:
    """A row of ``strava_links``. ``connected`` once tokens are stored. Its repr hides the secrets."""

    account_id: int
    client_id: str
    client_secret: str
    access_token: str | None
    refresh_token: str | None
    expires_at: datetime | None
    scope: str | None
    athlete_id: int | None
    redirect_uri: str | None
    synced_until: datetime | None
    last_sync_at: datetime | None

    @property
    def connected(self) -> bool:
        return bool(self.access_token and self.refresh_token)

    def __repr__(self) -> str:
        return (
            f"StravaLink(account_id={self.account_id}, client_id={self.client_id!r}, "
            f"athlete_id={self.athlete_id}, connected={self.connected})"
        )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _link(row: Any) -> StravaLink:
    return StravaLink(
        account_id=int(row.account_id),
        client_id=str(row.client_id),
        client_secret=str(row.client_secret),
        access_token=row.access_token,
        refresh_token=row.refresh_token,
        expires_at=_utc(row.expires_at),
        scope=row.scope,
        athlete_id=None if row.athlete_id is None else int(row.athlete_id),
        redirect_uri=row.redirect_uri,
        synced_until=_utc(row.synced_until),
        last_sync_at=_utc(row.last_sync_at),
    )


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def get_link(conn: Connection, account_id: int) -> StravaLink | None:
    row = conn.execute(select(strava_links).where(strava_links.c.account_id == account_id)).first()
    return None if row is None else _link(row)


def start_authorisation(
    conn: Connection, account_id: int, client_id: str, client_secret: str, state: str, redirect_uri: str
) -> None:
    """Remember an authorisation in progress (replacing any earlier link of the account)."""
    conn.execute(delete(strava_links).where(strava_links.c.account_id == account_id))
    conn.execute(
        insert(strava_links).values(
            account_id=account_id,
            client_id=client_id,
            client_secret=client_secret,
            state_hash=state_hash(state),
            redirect_uri=redirect_uri,
            created_at=datetime.now(UTC),
        )
    )


def pending_for_state(conn: Connection, account_id: int, state: str) -> StravaLink | None:
    """The account's authorisation in progress whose ``state`` matches, if any."""
    row = conn.execute(
        select(strava_links).where(
            strava_links.c.account_id == account_id, strava_links.c.state_hash == state_hash(state)
        )
    ).first()
    return None if row is None else _link(row)


def save_tokens(
    conn: Connection,
    account_id: int,
    access_token: str,
    refresh_token: str,
    expires_at: datetime,
    athlete_id: int | None = None,
    scope: str | None = None,
) -> None:
    values: dict[str, Any] = {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "expires_at": expires_at,
        "state_hash": None,
    }
    if athlete_id is not None:
        values["athlete_id"] = athlete_id
    if scope is not None:
        values["scope"] = scope
    conn.execute(update(strava_links).where(strava_links.c.account_id == account_id).values(**values))


def set_synced(conn: Connection, account_id: int, synced_until: datetime | None, at: datetime) -> None:
    values: dict[str, Any] = {"last_sync_at": at}
    if synced_until is not None:
        values["synced_until"] = synced_until
    conn.execute(update(strava_links).where(strava_links.c.account_id == account_id).values(**values))


def delete_link(conn: Connection, account_id: int) -> bool:
    result = conn.execute(delete(strava_links).where(strava_links.c.account_id == account_id))
    return bool(result.rowcount)


__all__ = [
    "StravaLink",
    "delete_link",
    "get_link",
    "pending_for_state",
    "save_tokens",
    "set_synced",
    "start_authorisation",
    "state_hash",
]
