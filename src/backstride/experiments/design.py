"""The design of an N-of-1 experiment: randomised block pairs, periods, analytic washout.

A multiple-crossover design in one runner (AHRQ User's Guide, Kravitz & Duan 2014): ``pairs`` blocks,
each holding one period of A (usual) and one of B (the remedy) in random order (AB or BA, fair coin
per pair), periods of ``period_days`` days back to back from the start day. The first
``washout_days`` days of every period are an *analytic* washout: the runner follows the period's
condition, but those days are left out of the analysis so that the previous condition has worn off.

The order is drawn from ``seed`` with numpy's PCG64 generator, so the same seed always gives the same
schedule (:func:`draw_sequence`). Days are local calendar days (:class:`datetime.date`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np

from backstride.errors import ValidationError

Condition = Literal["A", "B"]
Outcome = Literal["onset", "severity", "peg"]
OUTCOMES: tuple[str, ...] = ("onset", "severity", "peg")

#: Fewest pairs the design accepts (DOMAIN.md section 6: at least 3 pairs).
MIN_PAIRS = 3
MAX_PAIRS = 12
MAX_PERIOD_DAYS = 42
DEFAULT_WASHOUT_DAYS = 2


@dataclass(frozen=True)
class Period:
    """One period: its place in the design and its days (``end`` inclusive)."""

    index: int  # 0-based, in time order
    pair: int  # 0-based block pair
    condition: Condition
    start: date
    end: date
    washout_days: int

    @property
    def analysed_from(self) -> date:
        """First day whose data the analysis uses (after the washout)."""
        return self.start + timedelta(days=self.washout_days)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def in_washout(self, day: date) -> bool:
        return self.start <= day < self.analysed_from

    def to_dict(self) -> dict[str, str]:
        """``{start, end, condition}`` with ISO dates (the shape ``experiment show --json`` prints)."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "condition": self.condition}


def parse_period(text: str | int) -> int:
    """A period length in days: ``7d``, ``7``, ``1w``, ``2 weeks`` -> 7, 7, 7, 14."""
    if isinstance(text, int):
        days = text
    else:
        match = re.fullmatch(r"\s*(\d+)\s*(d|day|days|w|wk|week|weeks)?\s*", text.lower())
        if not match:
            raise ValidationError(f"not a period length: {text!r} (try 7d or 2w)")
        days = int(match.group(1)) * (7 if (match.group(2) or "d").startswith("w") else 1)
    if not 2 <= days <= MAX_PERIOD_DAYS:
        raise ValidationError(f"a period must last 2 to {MAX_PERIOD_DAYS} days, not {days}")
    return days


def new_seed() -> int:
    """A fresh random seed (31 bits, so it fits any integer column)."""
    return secrets.randbelow(2**31 - 1) + 1


def draw_sequence(pairs: int, seed: int) -> str:
    """The condition of each period, e.g. ``ABBAAB``: AB or BA with equal chance in every pair."""
    if not MIN_PAIRS <= pairs <= MAX_PAIRS:
        raise ValidationError(f"an experiment needs {MIN_PAIRS} to {MAX_PAIRS} pairs, not {pairs}")
    flips = np.random.Generator(np.random.PCG64(seed)).integers(0, 2, size=pairs)
    return "".join("BA" if f else "AB" for f in flips)


def check_sequence(sequence: str) -> None:
    """Every consecutive pair must hold one A and one B."""
    if len(sequence) % 2 or any(
        {sequence[i], sequence[i + 1]} != {"A", "B"} for i in range(0, len(sequence), 2)
    ):
        raise ValidationError(f"not a block-pair sequence: {sequence!r}")


def build_schedule(start: date, sequence: str, period_days: int, washout_days: int) -> list[Period]:
    """The periods of a design, back to back from ``start``."""
    check_sequence(sequence)
    if not 0 <= washout_days < period_days:
        raise ValidationError(
            f"the washout ({washout_days} d) must be shorter than a period ({period_days} d)"
        )
    out = []
    for i, cond in enumerate(sequence):
        first = start + timedelta(days=i * period_days)
        out.append(
            Period(i, i // 2, cond, first, first + timedelta(days=period_days - 1), washout_days)  # type: ignore[arg-type]
        )
    return out


def period_on(schedule: list[Period], day: date) -> Period | None:
    """The period holding ``day``, or ``None`` before the start or after the end."""
    for p in schedule:
        if p.contains(day):
            return p
    return None


def schedule_end(schedule: list[Period]) -> date:
    return schedule[-1].end


__all__ = [
    "DEFAULT_WASHOUT_DAYS",
    "MAX_PAIRS",
    "MIN_PAIRS",
    "OUTCOMES",
    "Condition",
    "Outcome",
    "Period",
    "build_schedule",
    "check_sequence",
    "draw_sequence",
    "new_seed",
    "parse_period",
    "period_on",
    "schedule_end",
]
