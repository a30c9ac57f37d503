"""The exercise catalogue (``data/exercises.csv``): how much each exercise loads the low back, and where.

``back_loading`` is the demand on the lumbar extensors under load: ``high`` (the low back holds or moves
a heavy load: deadlifts, good mornings, squats with a bar on the back, bent-over rows, loaded back
extensions and reverse hypers, Olympic lifts, heavy carries), ``low`` (some lumbar demand: dumbbell
hinges, lunges, hip thrusts, standing presses, glute-ham raises), ``none`` (supported or barely
involved). ``region`` is ``lower``, ``upper``, ``core``, ``full`` or ``cardio``.

Titles are matched as Strong and Hevy write them (``Deadlift (Barbell)``), ignoring case, accents and
spacing; a title whose bracketed equipment is not listed falls back to the bare name (``Deadlift``).
Names in the apps' other languages (``Kniebeuge (Langhantel)``, ``Soulevé de terre``, ``Peso muerto``
...) are translated through ``data/exercise_aliases.csv`` (exercise and equipment words), and a runner's
own aliases (``backstride lift alias``, passed as ``aliases``) come first.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections.abc import Mapping
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
    """Lower case, single spaces, no accents: ``Schulterdrücken  `` -> ``schulterdrucken``."""
    text = title.replace("\u2019", "'").replace("\u00a0", " ").strip().lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text)


_BRACKET = re.compile(r"^(.*?)\s*\(([^)]*)\)\s*$")


def base_name(title: str) -> str:
    """``Deadlift (Barbell)`` -> ``deadlift``."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", normalise(title))


def _split(title: str) -> tuple[str, str | None]:
    """``Kniebeuge (Langhantel)`` -> (``kniebeuge``, ``langhantel``)."""
    text = normalise(title)
    match = _BRACKET.match(text)
    return (match.group(1), match.group(2).strip()) if match else (text, None)


@functools.cache
def translations() -> tuple[dict[str, str], dict[str, str]]:
    """Exercise names and equipment words of other languages onto the catalogue's English names."""
    text = resources.files("backstride.log").joinpath("data/exercise_aliases.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    exercises: dict[str, str] = {}
    equipment: dict[str, str] = {}
    for row in csv.DictReader(lines):
        target = exercises if row["kind"] == "exercise" else equipment
        target[normalise(row["name"])] = row["english"].strip()
    return exercises, equipment


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


def _lookup(title: str) -> Exercise | None:
    entries = catalogue()
    found = entries.get(normalise(title))
    if found is None:
        found = entries.get(base_name(title))
    return found


def classify(title: str, aliases: Mapping[str, str] | None = None) -> Exercise | None:
    """The catalogue entry for an exercise title, or ``None`` if it is not in the catalogue.

    ``aliases`` maps a runner's own names (normalised, see :func:`normalise`) onto catalogue names; the
    whole title is looked up there first, then its name without the bracket.
    """
    if aliases:
        mine = aliases.get(normalise(title)) or aliases.get(base_name(title))
        if mine is not None:
            return _lookup(mine)
    found = _lookup(title)
    if found is not None:
        return found
    exercises, equipment = translations()
    base, bracket = _split(title)
    english = exercises.get(base)
    if english is None:
        return None
    if bracket:
        kit = equipment.get(bracket, bracket)
        found = _lookup(f"{english} ({kit})") if "(" not in english else None
        if found is not None:
            return found
    return _lookup(english)


__all__ = [
    "BACK_LOADINGS",
    "LOWER_REGIONS",
    "REGIONS",
    "Exercise",
    "catalogue",
    "classify",
    "normalise",
    "translations",
]
