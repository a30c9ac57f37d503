"""Accounts, login sessions, login rate limiting and read-only grants (multi-user server).

Everything takes a connection and runs in the caller's transaction. Times are UTC.

- :func:`create_account` / :func:`authenticate`: Argon2id hashes (:mod:`backstride.store.credentials`).
- Login throttle, so that a stranger can neither guess passwords quickly nor lock anyone out:
  failures count per *account and address together*. After :data:`FREE_FAILURES` failures of one
  username from one address (since its last success there, within :data:`WINDOW`), each further
  attempt from that address waits a delay that doubles with every failure (:func:`pair_delay`, up to
  :data:`MAX_DELAY`); the owner, from their own address, logs in as usual meanwhile. A stricter limit
  per address catches bursts across many usernames: :data:`BURST_FAILURES` failures within
  :data:`BURST_WINDOW`, or :data:`ADDRESS_FAILURES` within :data:`WINDOW`, and that address waits
  until the oldest of them has aged out. A refused attempt is not checked and not recorded.
- A runner grants a clinician or coach read-only access to all their data (:func:`grant`) and can
  revoke it (:func:`revoke`); a session of the grantee may then *view* the runner (:func:`set_viewing`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from backstride.errors import NotFoundError, TooManyAttempts, ValidationError
from backstride.store.auth_schema import access_grants, login_attempts, web_sessions
from backstride.store.credentials import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    hash_password,
    needs_rehash,
    new_token,
    token_hash,
    verify_password,
)
from backstride.store.schema import users

WINDOW = timedelta(minutes=15)
#: Failures of one username from one address before the delays start.
FREE_FAILURES = 3
#: The first delay; each further failure doubles it, up to MAX_DELAY.
BASE_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=15)
#: Failures from one address (any usernames) in BURST_WINDOW, and in WINDOW, before it must wait.
BURST_FAILURES = 10
BURST_WINDOW = timedelta(minutes=1)
ADDRESS_FAILURES = 100
SESSION_LIFETIME = timedelta(days=14)
ROLES = ("clinician", "coach")
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,49}$")


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


def pair_delay(failures: int) -> timedelta:
    """How long one address waits after ``failures`` failed logins of one username (no wait for the
    first :data:`FREE_FAILURES`, then :data:`BASE_DELAY` doubling each time, up to :data:`MAX_DELAY`)."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(MAX_DELAY, BASE_DELAY * 2 ** min(failures - FREE_FAILURES, 20))


def _failure_times(conn: Connection, since: datetime, *where: Any) -> list[datetime]:
    rows = conn.execute(
        select(login_attempts.c.at)
        .where(*where, login_attempts.c.at >= since, login_attempts.c.succeeded.is_(False))
        .order_by(login_attempts.c.at)
    ).scalars()
    return [_aware(t) for t in rows]


def _wait(until: datetime, moment: datetime) -> int:
    return max(1, int((until - moment).total_seconds() + 0.999))


def check_throttle(conn: Connection, name: str, client: str, moment: datetime) -> None:
    """Raise :class:`TooManyAttempts` when ``client`` must wait before trying ``name`` again."""
    by_client = login_attempts.c.client == client
    recent = _failure_times(conn, moment - WINDOW, by_client)
    burst = [t for t in recent if t >= moment - BURST_WINDOW]
    if len(burst) >= BURST_FAILURES:
        wait = _wait(burst[-BURST_FAILURES] + BURST_WINDOW, moment)
        raise TooManyAttempts(f"too many failed logins from your address: try again in {wait} s", wait)
    if len(recent) >= ADDRESS_FAILURES:
        wait = _wait(recent[-ADDRESS_FAILURES] + WINDOW, moment)
        raise TooManyAttempts(f"too many failed logins from your address: try again in {wait} s", wait)
    last_ok = conn.execute(
        select(func.max(login_attempts.c.at)).where(
            login_attempts.c.username == name, by_client, login_attempts.c.succeeded.is_(True)
        )
    ).scalar_one_or_none()
    since = moment - WINDOW if last_ok is None else max(moment - WINDOW, _aware(last_ok))
    if not any(t >= since for t in recent):
        return
    pair = _failure_times(conn, since, by_client, login_attempts.c.username == name)
    until = pair[-1] + pair_delay(len(pair)) if pair else moment
    if until > moment:
        wait = _wait(until, moment)
        raise TooManyAttempts(
            f"too many failed logins for this account from your address: try again in {wait} s", wait
        )


def authenticate(
    conn: Connection, username: str, password: str, client: str, now: datetime | None = None
) -> int | None:
    """The account id for a correct username and password, else ``None``; every checked attempt is
    recorded (so the caller must commit, also on failure). Raises :class:`TooManyAttempts` while
    ``client`` must wait (see the module docstring)."""
    moment = _now(now)
    name = normalise_username(username)[:100]
    client = client[:100]
    check_throttle(conn, name, client, moment)
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


def username_of(conn: Connection, account_id: int) -> str:
    """The username of an existing account."""
    return str(conn.execute(select(users.c.username).where(users.c.id == account_id)).scalar_one())


def _account_of(conn: Connection, name: str) -> int | None:
    found = conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one_or_none()
    return None if found is None else int(found)


def grant(conn: Connection, owner_id: int, grantee: str, role: str, now: datetime | None = None) -> int:
    """Give the account called ``grantee`` read-only access to everything of ``owner_id``.

    The grant is stored under the name as given whether or not such an account exists (one without
    an account gives access to nobody, ever), so the answer never tells whether a username exists.
    """
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    name = normalise_username(grantee)
    if not _USERNAME_RE.match(name):
        raise ValidationError("a username is 3-50 characters: letters, digits, '_', '.' or '-'")
    grantee_id = _account_of(conn, name)
    if grantee_id == owner_id:
        raise ValidationError("you already see your own data")
    active = conn.execute(
        select(access_grants.c.id).where(
            access_grants.c.owner_id == owner_id,
            access_grants.c.grantee_name == name,
            access_grants.c.revoked_at.is_(None),
        )
    ).first()
    if active is not None:
        raise ValidationError(f"{name!r} already has access")
    result = conn.execute(
        insert(access_grants).values(
            owner_id=owner_id, grantee_id=grantee_id, grantee_name=name, role=role, created_at=_now(now)
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
    if row.grantee_id is None:
        return
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
    """Active grants of ``owner_id``: id, username of the grantee (as given), role, since."""
    rows = conn.execute(
        select(
            access_grants.c.id,
            access_grants.c.grantee_name.label("username"),
            access_grants.c.role,
            access_grants.c.created_at,
        )
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
