"""What the web accepts: request bodies and query values, checked before the library sees them.

The library validates the meaning (units, ranges, known tags); these models bound the sizes and
refuse what no database column can hold (NUL characters, absurd lengths, dates past year 9998).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from backstride.errors import ValidationError
from backstride.units import parse_distance

MAX_ID = 2**31 - 1


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(no_nul)]
Short = Annotated[str, Field(max_length=50), AfterValidator(no_nul)]


class PainBody(BaseModel):
    """A pain report for one run, as ``backstride pain RUN`` takes it."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["pain", "none"] = Field("pain", description="pain, or none for a pain-free run")
    onset: Annotated[str, Field(max_length=100), AfterValidator(no_nul)] | None = Field(
        None,
        description="Where it started: 1.2mi, 2km, 800m, 14:30 (elapsed), 'lap 2' or 'unknown'. "
        "A bare number is in the runner's display unit.",
    )
    from_lap: bool = Field(False, description="Onset = the first manual lap press.")
    severity: int | None = Field(None, ge=0, le=10, description="Peak pain, 0-10.")
    locations: list[Short] = Field(default_factory=list, max_length=20)
    qualities: list[Short] = Field(default_factory=list, max_length=20)
    stages: list[Short] = Field(default_factory=list, max_length=10, description="e.g. cramp@2.1mi")
    lasted_after: Short | None = Field(None, description="How long it lasted after stopping: 10:00, 20min")
    notes: Annotated[str, Field(max_length=5000), AfterValidator(no_nul)] | None = None


def day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_end(day: date | None) -> datetime | None:
    """The start of the day after ``day`` (an inclusive end date as an exclusive bound)."""
    if day is None:
        return None
    if day >= date.max - timedelta(days=1):
        return datetime(date.max.year, 12, 31, tzinfo=UTC)
    nxt = day + timedelta(days=1)
    return datetime(nxt.year, nxt.month, nxt.day, tzinfo=UTC)


def optional_distance(text: str | None, unit: str) -> float | None:
    """``5``, ``5km``, ``3mi`` (a bare number in ``unit``) in metres, or ``None`` for empty."""
    if text is None or not text.strip():
        return None
    metres = parse_distance(no_nul_text(text), unit)
    if not math.isfinite(metres) or metres > 1e9:
        raise ValidationError(f"not a sensible distance: {text!r}")
    return metres


def no_nul_text(text: str) -> str:
    if "\x00" in text:
        raise ValidationError("text must not contain NUL characters")
    return text


def optional_day(text: str | None, what: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(no_nul_text(text).strip())
    except ValueError as exc:
        raise ValidationError(f"{what}: not a date: {text!r} (use 2025-03-01)") from exc


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str | None, index: int) -> str:
    """A file name for the temporary folder that keeps the extension the importers read."""
    base = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _SAFE.sub("_", base).lstrip(".")[-120:] or "upload"
    return f"{index:03d}_{cleaned}"
