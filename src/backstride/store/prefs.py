"""Per-user preferences (units, lap button as pain marker, ...), one table driven by :data:`PREFERENCES`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from backstride.errors import ValidationError
from backstride.store.schema import settings


@dataclass(frozen=True)
class Preference:
    name: str
    default: str
    help: str
    choices: tuple[str, ...] | None = None


PREFERENCES: dict[str, Preference] = {
    p.name: p
    for p in (
        Preference("units", "mi", "Distance unit for display: mi or km.", ("mi", "km")),
        Preference(
            "lap_is_pain",
            "false",
            "Treat the first manual lap of an imported run as the pain onset, to confirm afterwards.",
            ("true", "false"),
        ),
        Preference(
            "pool_opt_in",
            "false",
            "Contribute anonymised results to the server's pool of runners (backstride.pool).",
            ("true", "false"),
        ),
    )
}


def get_pref(conn: Connection, user_id: int, name: str) -> str:
    pref = PREFERENCES[name]
    value = conn.execute(
        select(settings.c.value).where(settings.c.user_id == user_id, settings.c.key == name)
    ).scalar_one_or_none()
    return pref.default if value is None else str(value)


def set_pref(conn: Connection, user_id: int, name: str, value: str) -> None:
    pref = PREFERENCES.get(name)
    if pref is None:
        raise ValidationError(f"unknown setting {name!r}; known: {', '.join(PREFERENCES)}")
    if pref.choices and value not in pref.choices:
        raise ValidationError(f"{name} must be one of {', '.join(pref.choices)}, not {value!r}")
    conn.execute(delete(settings).where(settings.c.user_id == user_id, settings.c.key == name))
    conn.execute(insert(settings).values(user_id=user_id, key=name, value=value))
