"""Per-run context: surface, footwear or load, headphones, sleep the night before, what was drunk and
eaten before. Setting context again changes only the fields given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, delete, insert, select

from backstride.log.validate import build, joined, split, tag_list
from backstride.store import log_schema as ls
from backstride.store.activities import resolve_run

if TYPE_CHECKING:
    import pandas as pd

Surface = Literal["road", "trail", "track", "treadmill"]
SURFACES: tuple[str, ...] = ("road", "trail", "track", "treadmill")
LOADS: tuple[str, ...] = ("boots-and-utilities", "boots", "weighted-vest", "ruck", "stroller", "other")
LOAD_ALIASES = {
    "vest": "weighted-vest",
    "rucksack": "ruck",
    "backpack": "ruck",
    "utilities": "boots-and-utilities",
}
FIELDS = ("surface", "loads", "headphones", "sleep_h", "drank", "ate", "notes")


class ContextIn(BaseModel):
    surface: Surface | None = None
    loads: list[str] | None = None
    headphones: bool | None = None
    sleep_h: float | None = Field(default=None, ge=0, le=24, description="hours")
    drank: str | None = None
    ate: str | None = None
    notes: str | None = None

    @field_validator("surface", mode="before")
    @classmethod
    def _surface(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("loads", mode="before")
    @classmethod
    def _loads(cls, value: Any) -> list[str] | None:
        return None if value is None else tag_list(value, LOADS, "footwear or load", LOAD_ALIASES)


def get_context(conn: Connection, user_id: int, activity_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        select(ls.run_context).where(
            ls.run_context.c.user_id == user_id, ls.run_context.c.activity_id == activity_id
        )
    ).first()
    if row is None:
        return None
    out = {name: getattr(row, name) for name in FIELDS}
    out["loads"] = split(row.loads)
    return out


def set_context(
    conn: Connection,
    user_id: int,
    run: str | int,
    *,
    surface: str | None = None,
    loads: Sequence[str] | str | None = None,
    headphones: bool | None = None,
    sleep_h: float | None = None,
    drank: str | None = None,
    ate: str | None = None,
    notes: str | None = None,
) -> dict[str, Any]:
    """Set the given context fields of ``run`` (others keep their value); returns the whole context."""
    row = resolve_run(conn, user_id, run)
    given = build(
        ContextIn,
        surface=surface,
        loads=loads,
        headphones=headphones,
        sleep_h=sleep_h,
        drank=drank,
        ate=ate,
        notes=notes,
    )
    activity_id = int(row["id"])
    current = get_context(conn, user_id, activity_id) or {}
    merged = {**current, **{k: v for k, v in given.model_dump().items() if v is not None}}
    merged["loads"] = joined(merged.get("loads") or [])
    conn.execute(delete(ls.run_context).where(ls.run_context.c.activity_id == activity_id))
    conn.execute(insert(ls.run_context).values(activity_id=activity_id, user_id=user_id, **merged))
    found = get_context(conn, user_id, activity_id)
    assert found is not None
    return found


CONTEXT_COLUMNS = ("activity_id", *FIELDS)


def run_context(conn: Connection, user_id: int) -> pd.DataFrame:
    """One row per run with context (:data:`CONTEXT_COLUMNS`; ``loads`` is a list of tags)."""
    import pandas as pd

    rows = conn.execute(
        select(ls.run_context)
        .where(ls.run_context.c.user_id == user_id)
        .order_by(ls.run_context.c.activity_id)
    ).all()
    records = [{**{c: getattr(r, c) for c in CONTEXT_COLUMNS}, "loads": split(r.loads)} for r in rows]
    frame = pd.DataFrame(records, columns=list(CONTEXT_COLUMNS))
    frame["sleep_h"] = frame["sleep_h"].astype("float64")
    return frame
