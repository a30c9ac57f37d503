"""Body weight over time: one value per day (kilograms); logging a day again replaces it.

A bare number is in the runner's unit: pounds for a runner who shows distances in miles, kilograms
otherwise (:func:`default_weight_unit`), and a weight outside :data:`MIN_KG`-:data:`MAX_KG` is refused
with a request for the unit, so ``185`` from a runner in miles is 83.9 kg, never 185 kg.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, delete, insert, select

from backstride.errors import ValidationError
from backstride.log.validate import build, not_future_day
from backstride.store import log_schema as ls
from backstride.store.prefs import get_pref
from backstride.units import KG_PER_LB, parse_weight

#: Plausible body weights, kilograms.
MIN_KG, MAX_KG = 25.0, 300.0
_UNIT_RE = re.compile(r"(kg|kgs|lb|lbs)\s*$", re.IGNORECASE)


class WeightIn(BaseModel):
    day: date
    weight_kg: float = Field(ge=MIN_KG, le=MAX_KG, description="kilograms")

    @field_validator("day")
    @classmethod
    def _not_future(cls, value: date) -> date:
        return not_future_day(value)


def default_weight_unit(conn: Connection, user_id: int) -> str:
    """``lb`` for a runner who shows distances in miles, else ``kg``."""
    return "lb" if get_pref(conn, user_id, "units") == "mi" else "kg"


def weight_unit_of(text: str, default: str) -> str:
    """The unit ``text`` states (``kg`` or ``lb``), else ``default``."""
    match = _UNIT_RE.search(text.strip())
    if match is None:
        return default
    return "lb" if match.group(1).lower().startswith("lb") else "kg"


def record_weight(
    conn: Connection, user_id: int, weight: str | float, day: date | None = None, unit: str | None = None
) -> float:
    """Record the body weight of ``day`` (today by default); ``weight`` as ``82.5kg``, ``180lb`` or a
    number in ``unit`` (default: :func:`default_weight_unit`). Returns kilograms.

    A weight outside :data:`MIN_KG`-:data:`MAX_KG` is refused; for a bare number the message asks for
    the unit.
    """
    unit = unit or default_weight_unit(conn, user_id)
    if unit not in ("kg", "lb"):
        raise ValidationError(f"the weight unit must be kg or lb, not {unit!r}")
    if isinstance(weight, str):
        text = weight.strip()
        kg = -parse_weight(text[1:], unit) if text.startswith("-") else parse_weight(text, unit)
        bare = _UNIT_RE.search(text) is None
    else:
        text, kg, bare = f"{weight:g}", float(weight), False
    if not MIN_KG <= kg <= MAX_KG:
        shown = f"{kg:.1f} kg" if unit == "kg" or not bare else f"{kg / KG_PER_LB:.1f} lb ({kg:.1f} kg)"
        if bare:
            raise ValidationError(
                f"{text} read as {shown} is not a body weight ({MIN_KG:.0f}-{MAX_KG:.0f} kg): "
                "give the unit, e.g. 185lb or 84kg"
            )
        raise ValidationError(f"{shown} is not a body weight ({MIN_KG:.0f}-{MAX_KG:.0f} kg)")
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
