"""Stored red-flag screens, the open flags, the banner, and "I have been assessed".

A positive screen stays open until it is resolved:

- an **emergency** screen only by :func:`confirm_assessed` (the user says a clinician has assessed them);
  answering "no" to everything later does not clear it, so the plan stays withheld;
- an **urgent** screen by :func:`confirm_assessed`, or by a later screen with no red flags at all.

:func:`open_flags` returns the open screen that matters most: the most recent open emergency, else the
most recent open urgent screen.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from backstride.plan.redflags import ScreenResult, result_from_stored
from backstride.store.plan_schema import screens

SOURCES = ("screen", "checkin", "web", "import")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def record_screen(
    conn: Connection,
    user_id: int,
    result: ScreenResult,
    source: str = "screen",
    taken_at: datetime | None = None,
) -> int:
    """Store one screen (its answers, flags and urgency); returns its id."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    when = _utc(taken_at) or _utc(result.taken_at) or datetime.now(UTC)
    answers = dict(result.answers) or {f: True for f in result.flags}
    row = conn.execute(
        screens.insert().values(
            user_id=user_id,
            taken_at=when,
            source=source,
            urgency=result.urgency,
            flags=json.dumps(list(result.flags)),
            answers=json.dumps(answers, sort_keys=True),
        )
    )
    return int(row.inserted_primary_key[0])  # type: ignore[index]


def _result(row: Any) -> ScreenResult:
    return result_from_stored(
        row.urgency,
        json.loads(row.flags),
        json.loads(row.answers),
        taken_at=_utc(row.taken_at),
        assessed_at=_utc(row.assessed_at),
        screen_id=int(row.id),
    )


def screen_history(conn: Connection, user_id: int) -> list[ScreenResult]:
    """Every stored screen of the user, newest first."""
    rows = conn.execute(
        select(screens)
        .where(screens.c.user_id == user_id)
        .order_by(screens.c.taken_at.desc(), screens.c.id.desc())
    )
    return [_result(r) for r in rows]


def latest_screen(conn: Connection, user_id: int) -> ScreenResult | None:
    history = screen_history(conn, user_id)
    return history[0] if history else None


def _open(history: list[ScreenResult]) -> list[ScreenResult]:
    """Open positive screens, newest first (``history`` is newest first)."""
    out: list[ScreenResult] = []
    clean_since = False  # a screen with no flags newer than the one being looked at
    for result in history:
        if not result.positive:
            clean_since = True
            continue
        if result.assessed_at is not None:
            continue
        if result.urgency == "emergency" or not clean_since:
            out.append(result)
    return out


def open_flags(conn: Connection, user_id: int) -> ScreenResult | None:
    """The open positive screen that matters most (see the module docstring), or ``None``."""
    still_open = _open(screen_history(conn, user_id))
    for result in still_open:
        if result.urgency == "emergency":
            return result
    return still_open[0] if still_open else None


def confirm_assessed(conn: Connection, user_id: int, when: datetime | None = None) -> int:
    """Mark every open positive screen as assessed by a clinician; returns how many were resolved."""
    ids = [r.screen_id for r in _open(screen_history(conn, user_id)) if r.screen_id is not None]
    if not ids:
        return 0
    conn.execute(
        update(screens)
        .where(screens.c.user_id == user_id, screens.c.id.in_(ids))
        .values(assessed_at=_utc(when) or datetime.now(UTC))
    )
    return len(ids)


def banner(result: ScreenResult | None) -> str:
    """The one-line banner for CLI output, the report and web pages; empty when nothing is open."""
    if result is None or not result.positive:
        return ""
    flags = ", ".join(result.flags)
    if result.urgency == "emergency":
        return (
            f"RED FLAG (emergency): you reported {flags}. Seek emergency care now. "
            "The plan is withheld until you confirm you have been assessed: backstride screen --assessed"
        )
    return (
        f"RED FLAG (urgent): you reported {flags}. See a clinician soon; "
        "check new exercises with them. When assessed: backstride screen --assessed"
    )
