"""Shoes: from import (the Strava ``Activity Gear``, the watch) or added by hand, with the day they
were first worn and retired, and their mileage computed from the runs that name them (metres).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import Connection, func, select, update

from backstride.errors import NotFoundError, ValidationError
from backstride.log.validate import build, not_future_day
from backstride.store.activities import resolve_run, shoe_id_for
from backstride.store.schema import activities, shoes


class ShoeIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    brand: str | None = None
    model: str | None = None
    started_on: date | None = None
    retired_on: date | None = None
    notes: str | None = None

    @field_validator("started_on", "retired_on")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        return None if value is None else not_future_day(value)

    @model_validator(mode="after")
    def _order(self) -> ShoeIn:
        if self.started_on and self.retired_on and self.retired_on < self.started_on:
            raise ValueError("a shoe cannot be retired before it was first worn")
        return self


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def _get(conn: Connection, user_id: int, name: str) -> Any:
    row = conn.execute(select(shoes).where(shoes.c.user_id == user_id, shoes.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"no shoe called {name!r} (see 'backstride shoe list')")
    return row


def add_shoe(
    conn: Connection,
    user_id: int,
    name: str,
    *,
    brand: str | None = None,
    model: str | None = None,
    started_on: date | None = None,
    retired_on: date | None = None,
    notes: str | None = None,
) -> int:
    """Add a shoe by hand, or fill in the details of one an import created."""
    entry = build(
        ShoeIn, name=name, brand=brand, model=model, started_on=started_on, retired_on=retired_on, notes=notes
    )
    values = {k: v for k, v in entry.model_dump(exclude={"name"}).items() if v is not None}
    for key in ("started_on", "retired_on"):
        if key in values:
            values[key] = _midnight(values[key])
    shoe_id = shoe_id_for(conn, user_id, entry.name)
    if values:
        conn.execute(update(shoes).where(shoes.c.id == shoe_id).values(**values))
    return shoe_id


def retire_shoe(conn: Connection, user_id: int, name: str, day: date | None = None) -> None:
    """Mark a shoe retired on ``day`` (today by default)."""
    row = _get(conn, user_id, name)
    entry = build(ShoeIn, name=name, started_on=_day(row.started_on), retired_on=day or date.today())
    conn.execute(update(shoes).where(shoes.c.id == row.id).values(retired_on=_midnight(entry.retired_on)))


def set_run_shoe(conn: Connection, user_id: int, run: str | int, name: str) -> int:
    """Say which shoe a run was done in (the shoe must exist); returns the run id."""
    row = resolve_run(conn, user_id, run)
    shoe = _get(conn, user_id, name)
    if shoe.retired_on is not None and row["start_utc"] > shoe.retired_on.replace(tzinfo=UTC):
        raise ValidationError(f"{name!r} was retired on {_day(shoe.retired_on)}, before this run")
    conn.execute(update(activities).where(activities.c.id == row["id"]).values(shoe_id=shoe.id))
    return int(row["id"])


def list_shoes(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """Shoes with ``runs`` and ``distance_m`` (sum of the runs that name them), newest start first."""
    totals = (
        select(
            activities.c.shoe_id,
            func.count(activities.c.id).label("runs"),
            func.coalesce(func.sum(activities.c.distance_m), 0.0).label("distance_m"),
            func.min(activities.c.start_utc).label("first_run"),
            func.max(activities.c.start_utc).label("last_run"),
        )
        .where(activities.c.user_id == user_id, activities.c.sport == "running")
        .group_by(activities.c.shoe_id)
        .subquery()
    )
    rows = conn.execute(
        select(shoes, totals.c.runs, totals.c.distance_m, totals.c.first_run, totals.c.last_run)
        .outerjoin(totals, totals.c.shoe_id == shoes.c.id)
        .where(shoes.c.user_id == user_id)
        .order_by(shoes.c.name)
    ).all()
    return [
        {
            "id": r.id,
            "name": r.name,
            "brand": r.brand,
            "model": r.model,
            "started_on": _day(r.started_on) or _day(r.first_run),
            "retired_on": _day(r.retired_on),
            "retired": r.retired_on is not None,
            "runs": int(r.runs or 0),
            "distance_m": float(r.distance_m or 0.0),
            "last_run": _day(r.last_run),
            "notes": r.notes,
        }
        for r in rows
    ]
