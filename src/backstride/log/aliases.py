"""A runner's own exercise names: ``backstride lift alias NAME EXERCISE``.

A lifting app in another language, or a gym's own names, give exercises that the catalogue does not
know, and those count in no back-loading figure. An alias says which catalogue exercise a name is
(``Kniebeuge tief`` -> ``Squat (Barbell)``); it applies to every set with that name, past and future.
Names are matched ignoring case, accents and spacing; a name with a bracket also matches the alias of
its bare name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select

from backstride.errors import NotFoundError, ValidationError
from backstride.log.catalogue import Exercise, classify, normalise
from backstride.store import log_schema as ls


def user_aliases(conn: Connection, user_id: int) -> dict[str, str]:
    """The runner's aliases: normalised name -> catalogue exercise name."""
    rows = conn.execute(
        select(ls.exercise_aliases.c.name, ls.exercise_aliases.c.exercise).where(
            ls.exercise_aliases.c.user_id == user_id
        )
    )
    return {row.name: row.exercise for row in rows}


def set_alias(conn: Connection, user_id: int, name: str, exercise: str) -> Exercise:
    """Count ``name`` as the catalogue's ``exercise`` from now on (replacing an earlier alias)."""
    given = " ".join(name.split())
    if not given or len(given) > 200:
        raise ValidationError("give the exercise name to alias (1 to 200 characters)")
    target = classify(exercise)
    if target is None:
        raise ValidationError(
            f"{exercise!r} is not in the exercise catalogue; give a catalogue name such as "
            "'Squat (Barbell)', 'Deadlift' or 'Romanian Deadlift (Dumbbell)'"
        )
    key = normalise(given)
    conn.execute(
        delete(ls.exercise_aliases).where(
            ls.exercise_aliases.c.user_id == user_id, ls.exercise_aliases.c.name == key
        )
    )
    conn.execute(
        insert(ls.exercise_aliases).values(user_id=user_id, name=key, given=given, exercise=target.name)
    )
    return target


def remove_alias(conn: Connection, user_id: int, name: str) -> None:
    result = conn.execute(
        delete(ls.exercise_aliases).where(
            ls.exercise_aliases.c.user_id == user_id, ls.exercise_aliases.c.name == normalise(name)
        )
    )
    if not result.rowcount:
        raise NotFoundError(f"no alias for {name!r}")


def list_aliases(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """The runner's aliases as ``{"name", "exercise", "back_loading"}``, by name."""
    rows = conn.execute(
        select(ls.exercise_aliases.c.given, ls.exercise_aliases.c.exercise)
        .where(ls.exercise_aliases.c.user_id == user_id)
        .order_by(ls.exercise_aliases.c.name)
    )
    out = []
    for row in rows:
        found = classify(row.exercise)
        out.append(
            {
                "name": row.given,
                "exercise": row.exercise,
                "back_loading": found.back_loading if found else None,
            }
        )
    return out


__all__ = ["list_aliases", "remove_alias", "set_alias", "user_aliases"]
