"""Routines: named practices (stretches, core, glute work ...) and a log of when each was done.

A starter list ships in ``data/routines.csv``; a starter routine is copied into the user's routines
the first time it is logged. Runners add their own with a category from :data:`CATEGORIES`. Each log
entry keeps the local wall-clock time, whether it was done before a run, and optionally that run.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, func, insert, select

from backstride.errors import NotFoundError, ValidationError
from backstride.log.validate import build, not_future_time, slug
from backstride.store import log_schema as ls
from backstride.store.activities import resolve_run

Category = Literal[
    "stretch", "core", "glute", "back-extensor", "foam-roll", "yoga-pilates", "mobility", "warm-up"
]
CATEGORIES: tuple[str, ...] = (
    "stretch",
    "core",
    "glute",
    "back-extensor",
    "foam-roll",
    "yoga-pilates",
    "mobility",
    "warm-up",
)


@dataclass(frozen=True)
class Routine:
    name: str
    category: str
    description: str


@functools.cache
def starter_routines() -> tuple[Routine, ...]:
    """The starter list shipped with backstride."""
    text = resources.files("backstride.log").joinpath("data/routines.csv").read_text(encoding="utf-8")
    return tuple(
        Routine(r["name"], r["category"], r["description"]) for r in csv.DictReader(io.StringIO(text))
    )


class RoutineIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    category: Category
    description: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return " ".join(value.split()).lower()

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: Any) -> Any:
        return slug(value).replace("yoga-or-pilates", "yoga-pilates") if isinstance(value, str) else value


class RoutineDoneIn(BaseModel):
    done_at: datetime
    before_run: bool | None = None
    duration_s: float | None = Field(default=None, ge=0, le=24 * 3600)
    notes: str | None = None

    @field_validator("done_at")
    @classmethod
    def _not_future(cls, value: datetime) -> datetime:
        return not_future_time(value.replace(tzinfo=None))


def _find(conn: Connection, user_id: int, name: str) -> int | None:
    found = conn.execute(
        select(ls.routines.c.id).where(ls.routines.c.user_id == user_id, ls.routines.c.name == name)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def add_routine(
    conn: Connection, user_id: int, name: str, category: str, description: str | None = None
) -> int:
    """Define a routine of the user's own; its name must be new."""
    entry = build(RoutineIn, name=name, category=category, description=description)
    if _find(conn, user_id, entry.name) is not None:
        raise ValidationError(f"there is already a routine called {entry.name!r}")
    return _insert(conn, user_id, entry, builtin=False)


def _insert(conn: Connection, user_id: int, entry: RoutineIn, builtin: bool) -> int:
    result = conn.execute(
        insert(ls.routines).values(
            user_id=user_id,
            name=entry.name,
            category=entry.category,
            description=entry.description,
            builtin=builtin,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def routine_id(conn: Connection, user_id: int, name: str) -> int:
    """The id of a user routine, copying it from the starter list on first use."""
    key = " ".join(name.split()).lower()
    found = _find(conn, user_id, key)
    if found is not None:
        return found
    for starter in starter_routines():
        if starter.name == key:
            entry = RoutineIn(name=starter.name, category=starter.category, description=starter.description)  # type: ignore[arg-type]
            return _insert(conn, user_id, entry, builtin=True)
    raise NotFoundError(
        f"no routine called {name!r}: add it with 'backstride routine add' or see 'routine list'"
    )


def log_routine(
    conn: Connection,
    user_id: int,
    name: str,
    *,
    done_at: datetime | None = None,
    before_run: bool | None = None,
    run: str | int | None = None,
    duration_s: float | None = None,
    notes: str | None = None,
) -> int:
    """Log that a routine was done (now, unless ``done_at`` says when; local time)."""
    activity_id = None
    if run is not None:
        activity_id = int(resolve_run(conn, user_id, run)["id"])
    entry = build(
        RoutineDoneIn,
        done_at=done_at or datetime.now(),
        before_run=before_run,
        duration_s=duration_s,
        notes=notes,
    )
    rid = routine_id(conn, user_id, name)
    result = conn.execute(
        insert(ls.routine_log).values(
            user_id=user_id,
            routine_id=rid,
            done_at=entry.done_at,
            before_run=entry.before_run,
            activity_id=activity_id,
            duration_s=entry.duration_s,
            notes=entry.notes,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def list_routines(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """The user's routines and the rest of the starter list, with how often each was logged."""
    counts: dict[str, int] = dict(
        conn.execute(
            select(ls.routines.c.name, func.count(ls.routine_log.c.id))
            .outerjoin(ls.routine_log, ls.routine_log.c.routine_id == ls.routines.c.id)
            .where(ls.routines.c.user_id == user_id)
            .group_by(ls.routines.c.name)
        ).all()
    )
    own = conn.execute(select(ls.routines).where(ls.routines.c.user_id == user_id)).all()
    out = [
        {
            "name": r.name,
            "category": r.category,
            "description": r.description,
            "builtin": bool(r.builtin),
            "times": int(counts.get(r.name, 0)),
        }
        for r in own
    ]
    names = {r["name"] for r in out}
    out += [
        {"name": s.name, "category": s.category, "description": s.description, "builtin": True, "times": 0}
        for s in starter_routines()
        if s.name not in names
    ]
    return sorted(out, key=lambda r: (CATEGORIES.index(r["category"]), r["name"]))


ROUTINE_COLUMNS = ("date", "done_at", "routine", "category", "before_run", "activity_id", "duration_s")


def routine_log(conn: Connection, user_id: int) -> pd.DataFrame:
    """Every logged routine, oldest first (:data:`ROUTINE_COLUMNS`; ``date`` is the local day)."""
    rows = conn.execute(
        select(
            ls.routine_log.c.done_at,
            ls.routines.c.name.label("routine"),
            ls.routines.c.category,
            ls.routine_log.c.before_run,
            ls.routine_log.c.activity_id,
            ls.routine_log.c.duration_s,
        )
        .join(ls.routines, ls.routines.c.id == ls.routine_log.c.routine_id)
        .where(ls.routine_log.c.user_id == user_id)
        .order_by(ls.routine_log.c.done_at, ls.routine_log.c.id)
    ).all()
    frame = pd.DataFrame([dict(r._mapping) for r in rows], columns=list(ROUTINE_COLUMNS[1:]))
    frame.insert(0, "date", [d.date() for d in frame["done_at"]])
    frame["duration_s"] = frame["duration_s"].astype("float64")
    return frame
