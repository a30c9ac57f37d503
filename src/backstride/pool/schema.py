"""The allow-list of the pool: every field a bundle and the pool may hold, with its closed range.

Nothing leaves a runner's machine unless it is declared here. Each field is one of

* a **band** (a string from a closed vocabulary: ``age_band`` is one of :data:`AGE_BANDS`),
* a **grid number** (an integer or float within ``[low, high]`` on a grid of ``step``: distances are
  whole multiples of 10 m, descent share a multiple of 0.05),
* a **flag** (``True``/``False``; ``None`` where unknown),
* the random contributor id (32 hex characters from :func:`secrets.token_hex`, derived from nothing)
  and the bundle hash (64 hex characters: SHA-256 of the bundle's content).

There are no timestamps (runs carry ``week``: whole weeks since the runner's first run), no
coordinates, no names, no device ids and no free text. :func:`check_value` is what the bundle test and
the pool import both use to reject anything outside this list.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

from backstride.experiments.design import OUTCOMES
from backstride.experiments.verdict import VERDICTS
from backstride.log.routines import CATEGORIES as ROUTINE_CATEGORIES
from backstride.log.run_tags import SURFACES as RUN_SURFACES

AGE_BANDS = ("<20", "20-29", "30-39", "40-49", "50-59", "60+", "unknown")
SEXES = ("female", "male", "other", "unknown")
BMI_BANDS = ("<18.5", "18.5-25", "25-30", "30+", "unknown")
YEARS_RUNNING_BANDS = ("<1", "1-3", "3-10", "10+", "unknown")
LIFTS = ("yes", "no", "unknown")
LIFTING_STYLES = ("none", "westside", "powerlifting", "bodybuilding", "general", "unknown")
WEEKLY_DISTANCE_BANDS = ("<10km", "10-25km", "25-50km", "50-80km", "80km+", "unknown")
SURFACES = (*RUN_SURFACES, "unknown")
DESIGNS = ("ab-pairs",)

#: Profile fields in the order used for grouping and for "runners like me".
PROFILE_FIELDS = ("age_band", "sex", "bmi_band", "years_running", "lifts", "lifting_style", "weekly_distance")

HEX32 = re.compile(r"^[0-9a-f]{32}$")


@functools.cache
def remedy_ids() -> tuple[str, ...]:
    """Remedy vocabulary: the knowledge base's remedy ids, the routine categories, and ``other``."""
    from backstride.plan.knowledge import knowledge_base

    ids = tuple(r.id for r in knowledge_base().remedies.remedies)
    return (*ids, *ROUTINE_CATEGORIES, "other")


@dataclass(frozen=True)
class Field:
    """One allowed column: ``kind`` is band, int, float, bool, id or hash."""

    name: str
    kind: str
    vocab: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 0.0
    step: float = 0.0
    nullable: bool = False
    help: str = ""

    def vocabulary(self) -> tuple[str, ...]:
        return remedy_ids() if self.name == "remedy" else self.vocab


def _band(name: str, vocab: tuple[str, ...], help: str) -> Field:
    return Field(name, "band", vocab=vocab, help=help)


PROFILE: tuple[Field, ...] = (
    _band("age_band", AGE_BANDS, "age in years, banded"),
    _band("sex", SEXES, "sex as the runner gave it"),
    _band("bmi_band", BMI_BANDS, "body-mass index (kg/m^2), banded"),
    _band("years_running", YEARS_RUNNING_BANDS, "years of running, banded"),
    _band("lifts", LIFTS, "lifts weights"),
    _band("lifting_style", LIFTING_STYLES, "lifting template"),
    _band("weekly_distance", WEEKLY_DISTANCE_BANDS, "typical weekly running distance, banded"),
)

RUN: tuple[Field, ...] = (
    Field("week", "int", low=0, high=5200, step=1, help="whole weeks since the runner's first run"),
    Field("distance_m", "int", low=0, high=200_000, step=10, help="run length, m (10 m grid)"),
    Field("pain", "bool", help="pain started during the run (False: pain-free, censored at its length)"),
    Field("onset_m", "int", low=0, high=200_000, step=10, nullable=True, help="onset distance, m (exact)"),
    Field(
        "onset_low_m",
        "int",
        low=0,
        high=200_000,
        step=10,
        nullable=True,
        help="the onset lies at or after this, m (= onset_m when exact; a lap's start when known to a lap)",
    ),
    Field(
        "onset_high_m",
        "int",
        low=0,
        high=200_000,
        step=10,
        nullable=True,
        help="the onset lies at or before this, m (= onset_m when exact; the run's end when 'unknown')",
    ),
    Field("severity", "int", low=0, high=10, step=1, nullable=True, help="peak pain 0-10"),
    Field("descent_share", "float", low=0, high=1, step=0.05, nullable=True, help="share on descents"),
    Field("lift_48h", "bool", nullable=True, help="back-loading lifting in the previous 48 h"),
    Field("spike", "float", low=0, high=10, step=0.1, nullable=True, help="longer than the 30-day longest"),
    _band("surface", SURFACES, "surface"),
)

REMEDY: tuple[Field, ...] = (
    Field("remedy", "band", help="remedy id or routine category"),
    Field("weeks", "int", low=0, high=5200, step=1, help="weeks with the remedy logged"),
    Field("adherence", "float", low=0, high=1, step=0.1, help="share of days done over those weeks"),
)

EXPERIMENT: tuple[Field, ...] = (
    Field("remedy", "band", help="remedy id"),
    _band("design", DESIGNS, "randomised AB block pairs"),
    _band("outcome", OUTCOMES, "the outcome fixed before any data"),
    Field("pairs", "int", low=1, high=52, step=1, help="block pairs"),
    Field("period_days", "int", low=1, high=60, step=1, help="days per period"),
    Field("effect", "float", low=-10, high=10, step=0.001, help="log ratio (onset) or points"),
    Field("se", "float", low=0, high=10, step=0.001, help="standard error of the effect"),
    _band("verdict", VERDICTS, "the experiment's verdict"),
    Field("finished", "bool", help="its whole schedule was over when exported (from bundle version 2)"),
)

#: Experiment fields that bundles of version 1 do not have (their experiments count as unfinished).
EXPERIMENT_V2_FIELDS = ("finished",)
#: Run fields that bundles of versions 1 and 2 do not have (their onsets are all exact).
RUN_V3_FIELDS = ("onset_low_m", "onset_high_m")

SECTIONS: dict[str, tuple[Field, ...]] = {
    "profile": PROFILE,
    "runs": RUN,
    "remedies": REMEDY,
    "experiments": EXPERIMENT,
}


def on_grid(value: float, step: float) -> bool:
    """``value`` is a whole multiple of ``step`` (to within float rounding)."""
    k = value / step
    return abs(k - round(k)) < 1e-6


def snap(value: float, step: float) -> float:
    """``value`` rounded to the grid of ``step``."""
    return round(round(value / step) * step, 6)


def check_value(f: Field, value: Any) -> str | None:
    """Why ``value`` is not allowed in field ``f``, or ``None`` when it is."""
    if value is None:
        return None if f.nullable else f"{f.name}: missing"
    if f.kind == "band":
        ok = isinstance(value, str) and value in f.vocabulary()
        return None if ok else f"{f.name}: {value!r} is not in its vocabulary"
    if f.kind == "bool":
        return None if isinstance(value, bool) else f"{f.name}: not a flag"
    if f.kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return f"{f.name}: not a number"
        if f.kind == "int" and not float(value).is_integer():
            return f"{f.name}: not a whole number"
        if not f.low <= value <= f.high:
            return f"{f.name}: {value} outside [{f.low}, {f.high}]"
        return None if on_grid(float(value), f.step) else f"{f.name}: {value} is finer than {f.step}"
    return f"{f.name}: unknown kind {f.kind}"
