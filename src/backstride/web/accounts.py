"""Accounts, login sessions, login rate limiting and read-only grants (multi-user server).

Everything takes a connection and runs in the caller's transaction. Times are UTC.

- :func:`create_account` / :func:`authenticate`: Argon2id hashes (:mod:`backstride.web.security`).
- Rate limit: at most :data:`MAX_FAILURES_PER_USER` failed logins per username and
  :data:`MAX_FAILURES_PER_CLIENT` per client address within :data:`WINDOW`; past that,
  :class:`TooManyAttempts` until the window has moved on (a correct password is refused too).
- A runner grants a clinician or coach read-only access to all their data (:func:`grant`) and can
  revoke it (:func:`revoke`); a session of the grantee may then *view* the runner (:func:`set_viewing`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from backstride.errors import BackstrideError, NotFoundError, ValidationError
from backstride.store.auth_schema import access_grants, login_attempts, web_sessions
from backstride.store.schema import users
from backstride.web.security import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    hash_password,
    needs_rehash,
    new_token,
    token_hash,
    verify_password,
)

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 30
SESSION_LIFETIME = timedelta(days=14)
ROLES = ("clinician", "coach")
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,49}$")


class TooManyAttempts(BackstrideError):
    """Too many failed logins for this username or client: wait and try again."""


@dataclass(frozen=True)
class SessionInfo:
    session_id: int
    account_id: int
    username: str
    viewing_id: int | None


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def create_account(conn: Connection, username: str, password: str, now: datetime | None = None) -> int:
    """A new account; the username must be new, 3-50 of a-z 0-9 _ . -, the password 10-200 chars."""
    name = normalise_username(username)
    if not _USERNAME_RE.match(name):
        raise ValidationError("a username is 3-50 characters: letters, digits, '_', '.' or '-'")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters long")
    taken = conn.execute(select(users.c.id).where(users.c.username == name)).first()
    if taken is not None:
        raise ValidationError(f"the username {name!r} is taken")
    result = conn.execute(
        insert(users).values(username=name, password_hash=hash_password(password), created_at=_now(now))
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _failures(conn: Connection, column: Any, value: str, since: datetime) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(login_attempts)
            .where(column == value, login_attempts.c.at >= since, login_attempts.c.succeeded.is_(False))
        ).scalar_one()
    )


def authenticate(
    conn: Connection, username: str, password: str, client: str, now: datetime | None = None
) -> int | None:
    """The account id for a correct username and password, else ``None``; every attempt is recorded
    (so the caller must commit, also on failure). Raises :class:`TooManyAttempts` past the limit."""
    moment = _now(now)
    name = normalise_username(username)[:100]
    client = client[:100]
    since = moment - WINDOW
    if (
        _failures(conn, login_attempts.c.username, name, since) >= MAX_FAILURES_PER_USER
        or _failures(conn, login_attempts.c.client, client, since) >= MAX_FAILURES_PER_CLIENT
    ):
        raise TooManyAttempts("too many failed logins: wait 15 minutes and try again")
    row = conn.execute(select(users.c.id, users.c.password_hash).where(users.c.username == name)).first()
    ok = verify_password(None if row is None else row.password_hash, password[:MAX_PASSWORD])
    conn.execute(insert(login_attempts).values(username=name, client=client, at=moment, succeeded=ok))
    conn.execute(delete(login_attempts).where(login_attempts.c.at < moment - 2 * WINDOW))
    if not ok or row is None:
        return None
    if needs_rehash(row.password_hash):
        conn.execute(update(users).where(users.c.id == row.id).values(password_hash=hash_password(password)))
    return int(row.id)


def open_session(conn: Connection, account_id: int, now: datetime | None = None) -> str:
    """A new login session; returns the cookie token (only its hash is stored)."""
    moment = _now(now)
    token = new_token()
    conn.execute(
        insert(web_sessions).values(
            token_hash=token_hash(token),
            account_id=account_id,
            created_at=moment,
            expires_at=moment + SESSION_LIFETIME,
        )
    )
    return token


def find_session(conn: Connection, token: str | None, now: datetime | None = None) -> SessionInfo | None:
    """The live session for a cookie token, or ``None`` (unknown or expired)."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(
        select(web_sessions, users.c.username)
        .join(users, users.c.id == web_sessions.c.account_id)
        .where(web_sessions.c.token_hash == token_hash(token))
    ).first()
    if row is None or _aware(row.expires_at) <= _now(now):
        return None
    return SessionInfo(int(row.id), int(row.account_id), str(row.username), row.viewing_id)


def close_session(conn: Connection, token: str | None) -> None:
    if token:
        conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash(token)))


def _user_id(conn: Connection, username: str) -> int:
    found = conn.execute(
        select(users.c.id).where(users.c.username == normalise_username(username))
    ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no account called {username.strip()!r}")
    return int(found)


def grant(conn: Connection, owner_id: int, grantee: str, role: str, now: datetime | None = None) -> int:
    """Give the account ``grantee`` read-only access to everything of ``owner_id``."""
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    grantee_id = _user_id(conn, grantee)
    if grantee_id == owner_id:
        raise ValidationError("you already see your own data")
    if has_grant(conn, owner_id, grantee_id):
        raise ValidationError(f"{grantee.strip()!r} already has access")
    result = conn.execute(
        insert(access_grants).values(
            owner_id=owner_id, grantee_id=grantee_id, role=role, created_at=_now(now)
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def revoke(conn: Connection, owner_id: int, grant_id: int, now: datetime | None = None) -> None:
    """End a grant at once; sessions viewing the owner through it fall back to their own data."""
    row = conn.execute(
        select(access_grants).where(
            access_grants.c.id == grant_id,
            access_grants.c.owner_id == owner_id,
            access_grants.c.revoked_at.is_(None),
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no active grant with id {grant_id}")
    conn.execute(update(access_grants).where(access_grants.c.id == grant_id).values(revoked_at=_now(now)))
    conn.execute(
        update(web_sessions)
        .where(web_sessions.c.account_id == row.grantee_id, web_sessions.c.viewing_id == owner_id)
        .values(viewing_id=None)
    )


def has_grant(conn: Connection, owner_id: int, grantee_id: int) -> bool:
    return (
        conn.execute(
            select(access_grants.c.id).where(
                access_grants.c.owner_id == owner_id,
                access_grants.c.grantee_id == grantee_id,
                access_grants.c.revoked_at.is_(None),
            )
        ).first()
        is not None
    )


def grants_given(conn: Connection, owner_id: int) -> list[dict[str, Any]]:
    """Active grants of ``owner_id``: id, username of the grantee, role, since."""
    rows = conn.execute(
        select(access_grants.c.id, users.c.username, access_grants.c.role, access_grants.c.created_at)
        .join(users, users.c.id == access_grants.c.grantee_id)
        .where(access_grants.c.owner_id == owner_id, access_grants.c.revoked_at.is_(None))
        .order_by(access_grants.c.id)
    )
    return [dict(r._mapping) for r in rows]


def grants_received(conn: Connection, grantee_id: int) -> list[dict[str, Any]]:
    """Runners whose data ``grantee_id`` may read: owner id, username, role."""
    rows = conn.execute(
        select(access_grants.c.owner_id, users.c.username, access_grants.c.role)
        .join(users, users.c.id == access_grants.c.owner_id)
        .where(access_grants.c.grantee_id == grantee_id, access_grants.c.revoked_at.is_(None))
        .order_by(users.c.username)
    )
    return [dict(r._mapping) for r in rows]


def set_viewing(conn: Connection, session: SessionInfo, owner_id: int | None) -> None:
    """Let a session read ``owner_id``'s data (a granted runner), or its own again with ``None``."""
    if owner_id is not None and owner_id != session.account_id:
        if not has_grant(conn, owner_id, session.account_id):
            raise NotFoundError("no runner has shared their data with you under that id")
    else:
        owner_id = None
    conn.execute(
        update(web_sessions).where(web_sessions.c.id == session.session_id).values(viewing_id=owner_id)
    )
