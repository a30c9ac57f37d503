"""The exercise catalogue (``data/exercises.csv``): how much each exercise loads the low back, and where.

``back_loading`` is the demand on the lumbar extensors under load: ``high`` (the low back holds or moves
a heavy load: deadlifts, good mornings, squats with a bar on the back, bent-over rows, loaded back
extensions and reverse hypers, Olympic lifts, heavy carries), ``low`` (some lumbar demand: dumbbell
hinges, lunges, hip thrusts, standing presses, glute-ham raises), ``none`` (supported or barely
involved). ``region`` is ``lower``, ``upper``, ``core``, ``full`` or ``cardio``.

Titles are matched as Strong and Hevy write them (``Deadlift (Barbell)``), ignoring case and spacing;
a title whose bracketed equipment is not listed falls back to the bare name (``Deadlift``).
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Literal

BackLoading = Literal["high", "low", "none"]
Region = Literal["lower", "upper", "core", "full", "cardio"]
BACK_LOADINGS: tuple[BackLoading, ...] = ("high", "low", "none")
REGIONS: tuple[Region, ...] = ("lower", "upper", "core", "full", "cardio")
#: Regions whose sets count as lower-body sets (Olympic lifts and carries are leg- and hip-driven).
LOWER_REGIONS = ("lower", "full")


@dataclass(frozen=True)
class Exercise:
    name: str
    back_loading: BackLoading
    region: Region


def normalise(title: str) -> str:
    text = title.replace("\u2019", "'").replace("\u00a0", " ").strip().lower()
    return re.sub(r"\s+", " ", text)


def base_name(title: str) -> str:
    """``Deadlift (Barbell)`` -> ``deadlift``."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", normalise(title))


@functools.cache
def catalogue() -> dict[str, Exercise]:
    """Every catalogue entry by normalised name."""
    text = resources.files("backstride.log").joinpath("data/exercises.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    out: dict[str, Exercise] = {}
    for row in csv.DictReader(lines):
        loading, region = row["back_loading"].strip(), row["region"].strip()
        if loading not in BACK_LOADINGS or region not in REGIONS:
            raise ValueError(f"bad catalogue row: {row}")
        out[normalise(row["name"])] = Exercise(row["name"].strip(), loading, region)
    return out


def classify(title: str) -> Exercise | None:
    """The catalogue entry for an exercise title, or ``None`` if it is not in the catalogue."""
    entries = catalogue()
    found = entries.get(normalise(title))
    if found is None:
        found = entries.get(base_name(title))
    return found


__all__ = ["BACK_LOADINGS", "LOWER_REGIONS", "REGIONS", "Exercise", "catalogue", "classify"]
