"""Sport names: what files and exports say, mapped onto the FIT profile's sport and sub-sport names.

Files name sports in many ways: GPX ``<type>`` (``running``, ``run``, Strava's old numeric codes such as
``9``), TCX ``Sport`` (``Running``, ``Biking``, ``Other``), Strava's ``activities.csv`` (``Run``,
``Trail Run``, ``Virtual Ride``, or localised: ``Lauf``, ``Radfahrt`` ...). Everything is mapped onto the
FIT profile names (``running``, ``cycling``, ``walking``, ``hiking``, ``swimming`` ...; sub-sports
``trail``, ``treadmill``, ``virtual_activity`` ...). A name we do not know is kept as the file states it
(lower case, words joined by ``_``); nothing stated gives ``generic``.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

GENERIC = "generic"

#: Median moving speed (m/s) at or above which an unlabelled activity is taken as cycling.
CYCLING_MIN_SPEED_MS = 7.0
#: Median moving speed (m/s) at or below which an unlabelled activity is taken as walking.
WALKING_MAX_SPEED_MS = 1.6
#: Samples slower than this (m/s) are stops and do not count in the median moving speed.
STOPPED_SPEED_MS = 0.5

_RUN = ("running", None)
_RIDE = ("cycling", None)
_WALK = ("walking", None)
_HIKE = ("hiking", None)
_SWIM = ("swimming", None)

#: Keys are folded with :func:`_fold` (lower case ASCII, no spaces, dashes or underscores).
_NAMES: dict[str, tuple[str, str | None]] = {
    # Running
    "running": _RUN,
    "run": _RUN,
    "runs": _RUN,
    "jogging": _RUN,
    "streetrunning": ("running", "street"),
    "roadrunning": ("running", "road"),
    "trailrun": ("running", "trail"),
    "trailrunning": ("running", "trail"),
    "trackrunning": ("running", "track"),
    "treadmill": ("running", "treadmill"),
    "treadmillrunning": ("running", "treadmill"),
    "indoorrunning": ("running", "indoor_running"),
    "virtualrun": ("running", "virtual_activity"),
    "virtualrunning": ("running", "virtual_activity"),
    # Cycling
    "cycling": _RIDE,
    "biking": _RIDE,
    "bike": _RIDE,
    "ride": _RIDE,
    "bikeride": _RIDE,
    "roadbiking": ("cycling", "road"),
    "roadcycling": ("cycling", "road"),
    "mountainbiking": ("cycling", "mountain"),
    "mountainbikeride": ("cycling", "mountain"),
    "gravelride": ("cycling", "gravel_cycling"),
    "gravelcycling": ("cycling", "gravel_cycling"),
    "virtualride": ("cycling", "virtual_activity"),
    "indoorcycling": ("cycling", "indoor_cycling"),
    "ebikeride": ("e_biking", None),
    "ebiking": ("e_biking", None),
    "emountainbikeride": ("e_biking", "e_bike_mountain"),
    "handcycle": ("cycling", "hand_cycling"),
    "velomobile": _RIDE,
    # Walking and hiking
    "walking": _WALK,
    "walk": _WALK,
    "casualwalking": ("walking", "casual_walking"),
    "speedwalking": ("walking", "speed_walking"),
    "hiking": _HIKE,
    "hike": _HIKE,
    "mountaineering": ("mountaineering", None),
    "snowshoe": ("snowshoeing", None),
    # Swimming
    "swimming": _SWIM,
    "swim": _SWIM,
    "lapswimming": ("swimming", "lap_swimming"),
    "openwaterswimming": ("swimming", "open_water"),
    "openwaterswim": ("swimming", "open_water"),
    # Gym and the rest
    "workout": ("training", None),
    "training": ("training", None),
    "weighttraining": ("training", "strength_training"),
    "strengthtraining": ("training", "strength_training"),
    "crossfit": ("training", "cardio_training"),
    "hiit": ("training", "hiit"),
    "highintensityintervaltraining": ("training", "hiit"),
    "yoga": ("training", "yoga"),
    "pilates": ("training", "pilates"),
    "elliptical": ("fitness_equipment", "elliptical"),
    "stairstepper": ("fitness_equipment", "stair_climbing"),
    "rowing": ("rowing", None),
    "indoorrowing": ("rowing", "indoor_rowing"),
    "alpineski": ("alpine_skiing", None),
    "backcountryski": ("alpine_skiing", "backcountry"),
    "nordicski": ("cross_country_skiing", None),
    "snowboard": ("snowboarding", None),
    "iceskate": ("ice_skating", None),
    "inlineskate": ("inline_skating", None),
    "kayaking": ("kayaking", None),
    "canoeing": ("canoeing", None),
    "standuppaddling": ("stand_up_paddleboarding", None),
    "rockclimbing": ("rock_climbing", None),
    "wheelchair": ("wheelchair_push_run", None),
    # Words that say nothing about the sport
    "other": (GENERIC, None),
    "generic": (GENERIC, None),
    "unknown": (GENERIC, None),
    "all": (GENERIC, None),
    "sport": (GENERIC, None),
    "activity": (GENERIC, None),
    # German (Strava, Garmin and file names: "Laufen")
    "lauf": _RUN,
    "laufen": _RUN,
    "dauerlauf": _RUN,
    "traillauf": ("running", "trail"),
    "laufband": ("running", "treadmill"),
    "virtuellerlauf": ("running", "virtual_activity"),
    "radfahrt": _RIDE,
    "radfahren": _RIDE,
    "rad": _RIDE,
    "virtuelleradfahrt": ("cycling", "virtual_activity"),
    "mountainbikefahrt": ("cycling", "mountain"),
    "gravelfahrt": ("cycling", "gravel_cycling"),
    "ebikefahrt": ("e_biking", None),
    "spaziergang": _WALK,
    "gehen": _WALK,
    "wanderung": _HIKE,
    "wandern": _HIKE,
    "schwimmen": _SWIM,
    "krafttraining": ("training", "strength_training"),
    "rudern": ("rowing", None),
    # Dutch, French, Spanish, Italian: the common ones (Polar writes "Hardlopen")
    "hardlopen": _RUN,
    "fietsen": _RIDE,
    "wandelen": _WALK,
    "zwemmen": _SWIM,
    "course": _RUN,
    "courseapied": _RUN,
    "velo": _RIDE,
    "marche": _WALK,
    "randonnee": _HIKE,
    "natation": _SWIM,
    "carrera": _RUN,
    "correr": _RUN,
    "ciclismo": _RIDE,
    "caminata": _WALK,
    "senderismo": _HIKE,
    "natacion": _SWIM,
    "corsa": _RUN,
    "camminata": _WALK,
    "escursionismo": _HIKE,
    "nuoto": _SWIM,
}

#: Strava's old GPX exports wrote the activity type as a number in ``<type>``
#: (1 Ride, 2 Alpine Ski, 4 Hike, 9 Run, 10 Walk, 16 Swim; seen in StravaGPX files and in the readers of
#: several open-source tools that import them).
STRAVA_NUMERIC_TYPES: dict[str, tuple[str, str | None]] = {
    "1": _RIDE,
    "2": ("alpine_skiing", None),
    "4": _HIKE,
    "9": _RUN,
    "10": _WALK,
    "16": _SWIM,
}


def _fold(text: str) -> str:
    """Lower case, accents removed, spaces, dashes, dots and underscores dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s\-_.'/]+", "", ascii_text.lower())


def _slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return slug or GENERIC


def sport_and_sub_sport(text: str | None) -> tuple[str, str | None]:
    """``(sport, sub_sport)`` in FIT profile names for a sport as a file or export names it.

    ``None`` or blank gives ``("generic", None)``; an unknown name is kept as the file states it
    (``"Kitesurf Session"`` -> ``("kitesurf_session", None)``).
    """
    if text is None or not text.strip():
        return GENERIC, None
    stripped = text.strip()
    if stripped in STRAVA_NUMERIC_TYPES:
        return STRAVA_NUMERIC_TYPES[stripped]
    folded = _fold(stripped)
    if folded in _NAMES:
        return _NAMES[folded]
    return _slug(stripped), None


def normalise_sport(text: str | None) -> str:
    """The FIT profile sport name for what a file says (see :func:`sport_and_sub_sport`)."""
    return sport_and_sub_sport(text)[0]


def is_generic(sport: str | None) -> bool:
    """True when a sport says nothing (missing, ``generic`` or an equivalent word)."""
    return sport is None or normalise_sport(sport) == GENERIC


def median_moving_speed(t: np.ndarray, distance: np.ndarray) -> float | None:
    """Median speed in m/s over the steps faster than :data:`STOPPED_SPEED_MS` (``None`` if none)."""
    if len(t) < 2:
        return None
    dt = np.diff(t)
    dd = np.diff(distance)
    ok = np.isfinite(dt) & np.isfinite(dd) & (dt > 0)
    if not ok.any():
        return None
    speed = dd[ok] / dt[ok]
    moving = speed[speed >= STOPPED_SPEED_MS]
    return float(np.median(moving)) if len(moving) else None


def sport_from_speed(median_speed_ms: float) -> str:
    """``cycling``, ``walking`` or ``running`` from a median moving speed in m/s."""
    if median_speed_ms >= CYCLING_MIN_SPEED_MS:
        return "cycling"
    if median_speed_ms <= WALKING_MAX_SPEED_MS:
        return "walking"
    return "running"


def infer_sport(t: np.ndarray, distance: np.ndarray | None) -> tuple[str, str]:
    """A sport for a file that states none, from its speed, and the warning that says so.

    Returns ``(sport, warning)``; with no usable distance the sport is ``generic``.
    """
    speed = None if distance is None else median_moving_speed(t, distance)
    if speed is None:
        return GENERIC, "sport not stated in the file and it has no distance to infer it from"
    sport = sport_from_speed(speed)
    return sport, f"sport not stated in the file; taken as {sport} from its speed"


#: Below this median (per minute) a running cadence is strides (one foot), not steps: it is doubled.
STRIDE_CADENCE_MAX = 120.0


def running_cadence_as_steps(cadence: np.ndarray) -> np.ndarray:
    """Running cadence in steps per minute (both feet).

    GPX ``cad``, TCX ``RunCadence`` and most running ``<Cadence>`` values count one foot (strides per
    minute, about 80-95); when the median of the non-zero values is under :data:`STRIDE_CADENCE_MAX`
    they are doubled. Values already in steps per minute (about 160-190) are kept.
    """
    finite = cadence[np.isfinite(cadence) & (cadence > 0)]
    if len(finite) and float(np.median(finite)) < STRIDE_CADENCE_MAX:
        return cadence * 2.0
    return cadence
