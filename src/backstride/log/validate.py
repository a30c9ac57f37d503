"""Shared validation helpers for the log: pydantic errors as clear messages, dates, tag lists."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pydantic

from backstride.errors import ValidationError

M = TypeVar("M", bound=pydantic.BaseModel)

#: A date may be this far ahead of the local clock (time zones: a runner east of UTC).
FUTURE_SLACK = timedelta(days=1)


def build(schema: type[M], /, **values: object) -> M:
    """Validate ``values`` into ``model``; a failure becomes one readable :class:`ValidationError`."""
    try:
        return schema(**values)
    except pydantic.ValidationError as exc:
        raise ValidationError(describe(exc)) from exc


def describe(exc: pydantic.ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "value"
        message = str(err["msg"]).removeprefix("Value error, ")
        given = err.get("input")
        if isinstance(given, int | float | str) and err["type"] != "value_error":
            message += f" (got {given!r})"
        parts.append(f"{where.replace('_', ' ')}: {message}")
    return "; ".join(parts)


def not_future_day(day: date, today: date | None = None) -> date:
    limit = (today or datetime.now(UTC).date()) + FUTURE_SLACK
    if day > limit:
        raise ValueError(f"{day.isoformat()} is in the future")
    return day


def not_future_time(moment: datetime, now: datetime | None = None) -> datetime:
    """A datetime (naive = local wall clock, compared with a day's slack) that is not in the future."""
    reference = now or datetime.now(UTC)
    if moment.tzinfo is None:
        reference = reference.replace(tzinfo=None)
    if moment > reference + FUTURE_SLACK:
        raise ValueError(f"{moment.isoformat(sep=' ')} is in the future")
    return moment


def parse_day(text: str) -> date:
    """``2025-03-01``, ``today`` or ``yesterday``."""
    raw = text.strip().lower()
    today = datetime.now().date()
    if raw == "today":
        return today
    if raw == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError(f"not a date: {text!r} (use 2025-03-01, today or yesterday)") from exc


def parse_local_time(text: str) -> datetime:
    """``2025-03-01``, ``2025-03-01 07:30``, ``today``, ``yesterday`` as a naive local datetime."""
    raw = text.strip()
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=None)
    except ValueError:
        day = parse_day(raw)
        return datetime(day.year, day.month, day.day)


def slug(text: str) -> str:
    """``Dull ache`` -> ``dull-ache``."""
    return re.sub(r"[\s_]+", "-", text.strip().lower())


def tag_list(
    values: Iterable[str] | str | None,
    allowed: Iterable[str],
    what: str,
    aliases: dict[str, str] | None = None,
) -> list[str]:
    """Split, normalise and check tags (``a,b`` or repeated options); unknown tags are an error."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    known = list(allowed)
    out: list[str] = []
    for item in items:
        for part in re.split(r"[;,|]", item):
            if not part.strip():
                continue
            tag = slug(part)
            tag = (aliases or {}).get(tag, tag)
            if tag not in known:
                raise ValueError(f"unknown {what} {part.strip()!r} (known: {', '.join(known)})")
            if tag not in out:
                out.append(tag)
    return out


def joined(tags: list[str]) -> str | None:
    return ",".join(tags) if tags else None


def split(text: str | None) -> list[str]:
    return [t for t in (text or "").split(",") if t]


_NUMBER = r"(\d+(?:\.\d+)?)"
_DURATION_RE = re.compile(rf"^\s*(?:{_NUMBER}\s*h)?\s*(?:{_NUMBER}\s*m(?:in)?)?\s*(?:{_NUMBER}\s*s)?\s*$")


def parse_span(text: str) -> float:
    """A span of time in seconds: ``10:00``, ``1:02:03``, ``90s``, ``20min``, ``1h 5m``."""
    from backstride.units import parse_duration

    raw = text.strip().lower()
    if ":" in raw:
        return parse_duration(raw)
    match = _DURATION_RE.match(raw)
    if not raw or not match or not any(match.groups()):
        raise ValidationError(f"not a length of time: {text!r} (try 10:00, 20min, 90s or 1h 5m)")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds
