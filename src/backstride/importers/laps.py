"""Laps from sources that do not say how each lap was started (Strava's API, Apple Health segments).

A FIT file records each lap's trigger; Strava's laps and Apple Health's segments do not. The lap
button as pain button needs to know which laps a press closed, so the trigger is inferred from the
lap's length: devices close automatic laps at a round distance (1 km, 1 mile, or a multiple or half of
them), while a press lands anywhere. A lap within :data:`ROUND_TOLERANCE` of a round split is taken as
``distance``; any other lap but the last as ``manual``; the last lap is closed by stopping the watch
(``session_end``). The pain onset taken from such a press is only ever a draft the runner confirms.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from backstride.importers.model import Lap
from backstride.units import METRES_PER_MILE

MILE_M = METRES_PER_MILE
#: Distances (metres) at which devices close automatic laps.
ROUND_SPLITS_M = (400.0, 500.0, 1000.0, 2000.0, 5000.0, MILE_M / 2, MILE_M, 2 * MILE_M, 5 * MILE_M)
#: Relative difference from a round split still taken as that split (GPS and device distances differ).
ROUND_TOLERANCE = 0.025


def is_round_split(metres: float | None) -> bool:
    """True when a lap of ``metres`` looks like an automatic lap."""
    if metres is None or not np.isfinite(metres) or metres <= 0:
        return False
    return any(abs(metres - split) <= ROUND_TOLERANCE * split for split in ROUND_SPLITS_M)


def infer_triggers(distances: Sequence[float | None]) -> list[str]:
    """The trigger of each lap from its distance (see the module docstring)."""
    triggers: list[str] = []
    for i, metres in enumerate(distances):
        if i == len(distances) - 1:
            triggers.append("session_end")
        elif metres is None or not np.isfinite(metres):
            triggers.append("unknown")
        else:
            triggers.append("distance" if is_round_split(metres) else "manual")
    return triggers


def laps_from_boundaries(
    boundaries: Sequence[tuple[float, str]],
    end_s: float,
    t: np.ndarray | None,
    distance: np.ndarray | None,
) -> list[Lap]:
    """Laps between ``boundaries``: (seconds from the start, the trigger of the lap it closes).

    The caller classifies each boundary (``manual`` for a press, ``distance`` for an automatic split,
    see :func:`is_round_split`); the last lap is closed by ``session_end``. Boundaries within a second
    of each other, of the start or of the end are merged away (a press wins). Lap distances come from
    the stream when it has one.
    """
    points: list[tuple[float, str]] = []
    for at, kind in sorted(boundaries):
        if at <= 1.0 or at >= end_s - 1.0:
            continue
        if points and at - points[-1][0] < 1.0:
            if kind == "manual":
                points[-1] = (points[-1][0], "manual")
            continue
        points.append((at, kind))
    if not points:
        return []
    edges = [0.0, *(p[0] for p in points), end_s]
    kinds = [p[1] for p in points] + ["session_end"]
    laps: list[Lap] = []
    for (a, b), kind in zip(pairwise(edges), kinds, strict=True):
        laps.append(Lap(a, b, distance_at(t, distance, a), distance_at(t, distance, b), kind))
    return laps


def distance_at(t: np.ndarray | None, distance: np.ndarray | None, at: float) -> float | None:
    """Metres at ``at`` seconds on a time-distance stream, ``None`` without one."""
    if t is None or distance is None or len(t) < 2:
        return None
    return float(np.interp(at, t, distance))


__all__ = ["ROUND_SPLITS_M", "distance_at", "infer_triggers", "is_round_split", "laps_from_boundaries"]
