"""Per-user preferences (units, lap button as pain marker, ...), one table driven by :data:`PREFERENCES`.

:data:`PREFERENCES` is the only place a preference is described: its name, default, type and choices,
and help. It drives :func:`set_pref`'s validation (the CLI's ``backstride settings set`` and the web
settings page both go through it), the CLI's ``--help``, and ``docs/settings.md``
(:func:`settings_markdown`; a test fails when the two differ).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, delete, insert, select

from backstride.errors import ValidationError
from backstride.store.schema import settings

#: Words accepted for a yes/no preference; stored as "true" / "false".
TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")


@dataclass(frozen=True)
class Preference:
    """One preference: ``kind`` "bool" stores "true"/"false"; "choice" stores one of ``choices``."""

    name: str
    default: str
    help: str
    kind: Literal["bool", "choice"] = "choice"
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "bool":
            object.__setattr__(self, "choices", ("true", "false"))
        if self.default not in self.choices:
            raise ValueError(f"default of {self.name} is not one of its choices")

    @property
    def type_text(self) -> str:
        return "yes/no" if self.kind == "bool" else ", ".join(self.choices)

    def parse(self, value: str) -> str:
        """The stored form of ``value``, or a :class:`ValidationError` naming the setting."""
        word = value.strip().lower()
        if self.kind == "bool":
            if word in TRUE_WORDS:
                return "true"
            if word in FALSE_WORDS:
                return "false"
            raise ValidationError(f"{self.name} is yes or no (true/false, on/off), not {value!r}")
        if word not in self.choices:
            raise ValidationError(f"{self.name} must be one of {', '.join(self.choices)}, not {value!r}")
        return word


PREFERENCES: dict[str, Preference] = {
    p.name: p
    for p in (
        Preference("units", "mi", "Distance unit for display: mi or km.", choices=("mi", "km")),
        Preference(
            "lap_is_pain",
            "false",
            "Treat the first manual lap of an imported run as the pain onset, to confirm afterwards.",
            kind="bool",
        ),
        Preference(
            "pool_opt_in",
            "false",
            "Contribute anonymised results to the server's pool of runners (backstride.pool).",
            kind="bool",
        ),
    )
}


def preference(name: str) -> Preference:
    pref = PREFERENCES.get(name)
    if pref is None:
        raise ValidationError(f"unknown setting {name!r}; known: {', '.join(PREFERENCES)}")
    return pref


def get_pref(conn: Connection, user_id: int, name: str) -> str:
    pref = PREFERENCES[name]
    value = conn.execute(
        select(settings.c.value).where(settings.c.user_id == user_id, settings.c.key == name)
    ).scalar_one_or_none()
    return pref.default if value is None else str(value)


def get_prefs(conn: Connection, user_id: int, names: Sequence[str] | None = None) -> dict[str, str]:
    """Every preference of ``user_id`` (or those of ``names``), the default where none is stored, in
    table order; one query."""
    wanted = [name for name in PREFERENCES if names is None or name in names]
    where = [settings.c.user_id == user_id]
    if names is not None:
        where.append(settings.c.key.in_(wanted))
    stored = dict(conn.execute(select(settings.c.key, settings.c.value).where(*where)).all())
    return {name: str(stored.get(name, PREFERENCES[name].default)) for name in wanted}


def set_pref(conn: Connection, user_id: int, name: str, value: str) -> str:
    """Validate ``value`` against the table, store it, and return the stored form."""
    stored = preference(name).parse(value)
    conn.execute(delete(settings).where(settings.c.user_id == user_id, settings.c.key == name))
    conn.execute(insert(settings).values(user_id=user_id, key=name, value=stored))
    return stored


def settings_markdown() -> str:
    """The table of preferences for ``docs/settings.md``."""
    lines = ["| setting | default | values | what it does |", "|---|---|---|---|"]
    for p in PREFERENCES.values():
        values = "yes or no (`true`/`false`)" if p.kind == "bool" else ", ".join(f"`{c}`" for c in p.choices)
        lines.append(f"| `{p.name}` | `{p.default}` | {values} | {p.help} |")
    return "\n".join(lines) + "\n"
