"""The weekly check-in: the PEG (Krebs, JGIM 2009;24:733) and the red-flag screen.

The PEG is three 0-10 items about the past week (average pain; interference with enjoyment of life;
interference with general activity); its score is their mean (a change of about 1 point is the
minimal important difference). The answers are stored in ``checkins``.

The red-flag questions and their urgency come from :mod:`backstride.plan.redflags`; the screen result
is stored by :func:`backstride.plan.screens.record_screen` (source ``checkin``) and its urgency is kept
on the check-in too. A positive screen must be shown at once, with what to do.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, insert, select

from backstride.errors import ValidationError
from backstride.log.validate import build, not_future_time
from backstride.store import log_schema as ls

#: The PEG items, worded as in Krebs et al. 2009; anchors 0 and 10.
PEG_ITEMS: tuple[tuple[str, str, str], ...] = (
    (
        "pain",
        "What number best describes your pain on average in the past week?",
        "0 = no pain, 10 = pain as bad as you can imagine",
    ),
    (
        "enjoyment",
        "What number best describes how, during the past week, pain has interfered with your "
        "enjoyment of life?",
        "0 = does not interfere, 10 = completely interferes",
    ),
    (
        "activity",
        "What number best describes how, during the past week, pain has interfered with your "
        "general activity?",
        "0 = does not interfere, 10 = completely interferes",
    ),
)


class PegIn(BaseModel):
    pain: int = Field(ge=0, le=10)
    enjoyment: int = Field(ge=0, le=10)
    activity: int = Field(ge=0, le=10)
    taken_at: datetime
    notes: str | None = None

    @field_validator("taken_at")
    @classmethod
    def _not_future(cls, value: datetime) -> datetime:
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return not_future_time(aware.astimezone(UTC))

    @property
    def score(self) -> float:
        return (self.pain + self.enjoyment + self.activity) / 3.0


@dataclass
class CheckinResult:
    """What a check-in stored: its id, the PEG score, and the red-flag screen (``None`` if not run)."""

    checkin_id: int
    peg_score: float
    screen: Any | None

    @property
    def urgency(self) -> str | None:
        return None if self.screen is None else str(self.screen.urgency)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checkin_id": self.checkin_id,
            "peg_score": self.peg_score,
            "screen": None if self.screen is None else self.screen.as_dict(),
        }


def redflags_module() -> Any:
    """:mod:`backstride.plan.redflags`."""
    return importlib.import_module("backstride.plan.redflags")


def red_flag_questions() -> list[Any]:
    """The red-flag questions (``id``, ``text``, ``urgency``)."""
    return list(redflags_module().QUESTIONS)


def screen(conn: Connection, user_id: int, answers: dict[str, bool]) -> Any:
    """Evaluate complete red-flag answers and store the result (source ``checkin``)."""
    module = redflags_module()
    ids = [q.id for q in module.QUESTIONS]
    unknown = sorted(set(answers) - set(ids))
    if unknown:
        raise ValidationError(f"unknown red-flag questions: {', '.join(unknown)} (known: {', '.join(ids)})")
    missing = [i for i in ids if i not in answers]
    if missing:
        raise ValidationError(f"red-flag questions left unanswered: {', '.join(missing)}")
    result = module.evaluate(dict(answers))
    screens = importlib.import_module("backstride.plan.screens")
    screens.record_screen(conn, user_id, result, source="checkin")
    return result


def record_checkin(
    conn: Connection,
    user_id: int,
    *,
    pain: int,
    enjoyment: int,
    activity: int,
    red_flags: dict[str, bool] | None = None,
    taken_at: datetime | None = None,
    notes: str | None = None,
) -> CheckinResult:
    """Store a check-in (PEG answers; red-flag answers if given) in the caller's transaction."""
    entry = build(
        PegIn,
        pain=pain,
        enjoyment=enjoyment,
        activity=activity,
        taken_at=taken_at or datetime.now(UTC),
        notes=notes,
    )
    result = None if red_flags is None else screen(conn, user_id, red_flags)
    checkin_id = conn.execute(
        insert(ls.checkins).values(
            user_id=user_id,
            taken_at=entry.taken_at,
            peg_pain=entry.pain,
            peg_enjoyment=entry.enjoyment,
            peg_activity=entry.activity,
            peg_score=entry.score,
            screen_urgency=None if result is None else str(result.urgency),
            notes=entry.notes,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    return CheckinResult(int(checkin_id), entry.score, result)


CHECKIN_COLUMNS = ("taken_at", "peg_pain", "peg_enjoyment", "peg_activity", "peg_score", "screen_urgency")


def checkins(conn: Connection, user_id: int) -> pd.DataFrame:
    """Every check-in, oldest first (:data:`CHECKIN_COLUMNS`; ``taken_at`` in UTC)."""
    rows = conn.execute(
        select(*(ls.checkins.c[c] for c in CHECKIN_COLUMNS))
        .where(ls.checkins.c.user_id == user_id)
        .order_by(ls.checkins.c.taken_at, ls.checkins.c.id)
    ).all()
    frame = pd.DataFrame([dict(r._mapping) for r in rows], columns=list(CHECKIN_COLUMNS))
    frame["taken_at"] = pd.to_datetime(frame["taken_at"], utc=True)
    frame["peg_score"] = frame["peg_score"].astype("float64")
    return frame
