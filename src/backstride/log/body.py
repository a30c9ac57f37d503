"""Body weight over time: one value per day (kilograms); logging a day again replaces it."""

from __future__ import annotations

from datetime import date

import pandas as pd
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, delete, insert, select

from backstride.log.validate import build, not_future_day
from backstride.store import log_schema as ls
from backstride.units import parse_weight

#: Plausible body weights, kilograms.
MIN_KG, MAX_KG = 20.0, 400.0


class WeightIn(BaseModel):
    day: date
    weight_kg: float = Field(gt=MIN_KG, lt=MAX_KG, description="kilograms")

    @field_validator("day")
    @classmethod
    def _not_future(cls, value: date) -> date:
        return not_future_day(value)


def record_weight(
    conn: Connection, user_id: int, weight: str | float, day: date | None = None, unit: str = "kg"
) -> float:
    """Record the body weight of ``day`` (today by default); ``weight`` as ``82.5kg``, ``180lb`` or a
    number in ``unit``. Returns kilograms."""
    if isinstance(weight, str):
        text = weight.strip()
        kg = -parse_weight(text[1:], unit) if text.startswith("-") else parse_weight(text, unit)
    else:
        kg = float(weight)
    entry = build(WeightIn, day=day or date.today(), weight_kg=kg)
    conn.execute(
        delete(ls.body_weights).where(
            ls.body_weights.c.user_id == user_id, ls.body_weights.c.day == entry.day
        )
    )
    conn.execute(insert(ls.body_weights).values(user_id=user_id, day=entry.day, weight_kg=entry.weight_kg))
    return entry.weight_kg


def add_weights(conn: Connection, user_id: int, weights: dict[date, float]) -> tuple[int, int]:
    """Log imported weights (kilograms by day), leaving days that already hold a weight as they are
    (a weight typed in wins, and a re-import adds nothing twice). Returns (added, already logged).
    Implausible values (outside 20-400 kg) and future days are skipped, like typed ones."""
    if not weights:
        return 0, 0
    present = set(
        conn.execute(
            select(ls.body_weights.c.day).where(
                ls.body_weights.c.user_id == user_id, ls.body_weights.c.day.in_(list(weights))
            )
        ).scalars()
    )
    rows = []
    for day, kg in sorted(weights.items()):
        if day in present or not MIN_KG < kg < MAX_KG or day > date.today():
            continue
        rows.append({"user_id": user_id, "day": day, "weight_kg": kg})
    if rows:
        conn.execute(insert(ls.body_weights), rows)
    return len(rows), len(present)


def body_weights(conn: Connection, user_id: int) -> pd.DataFrame:
    """Columns ``date`` (local day) and ``weight_kg``, oldest first."""
    rows = conn.execute(
        select(ls.body_weights.c.day.label("date"), ls.body_weights.c.weight_kg)
        .where(ls.body_weights.c.user_id == user_id)
        .order_by(ls.body_weights.c.day)
    ).all()
    frame = pd.DataFrame([dict(r._mapping) for r in rows], columns=["date", "weight_kg"])
    frame["weight_kg"] = frame["weight_kg"].astype("float64")
    return frame
