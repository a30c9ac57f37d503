"""Where in a run something happened, in metres from the start.

The runner gives a position as a distance (``1.2mi``, ``2km``, ``800m``), an elapsed time (``14:30``),
a lap (``lap 2`` = where lap 2 starts), the first manual lap (the lap button as pain button), or
``unknown``. :func:`resolve` turns it into an :class:`Onset`: a best value in metres plus an interval
``[low_m, high_m]``:

- a distance, a lap start, a manual lap press, or a time on a run with a distance stream: exact
  (``low_m == high_m == onset_m``);
- a time on a run with laps but no distance stream: interpolated inside the lap that holds it, the
  interval being that lap's start and end;
- a time on a run with only totals: estimated at the average pace, interval ``[0, run distance]``;
- ``unknown``: no value, interval ``[0, run distance]`` (interval-censored for the analysis);
- ``during lap 2``: somewhere in lap 2, interval ``[lap start, lap end]``, no single value
  (interval-censored: the runner noticed the pain during that lap but not where);
- ``between 1mi and 1.5mi`` (distances or times): no single value, interval between the two.

**The lap button rule.** A runner who presses lap when the pain starts *closes* the current lap at
that moment, so the onset is the END distance of the lap that the first manual press closed (= the
start of the next lap). The final lap is closed by stopping the watch, not by a press, so it never
counts even when the device marks it ``manual``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from backstride.errors import ValidationError
from backstride.importers.model import Lap
from backstride.store.activities import load_laps, load_streams
from backstride.units import format_distance, format_duration, parse_position

if TYPE_CHECKING:
    import numpy as np

#: An onset may exceed the recorded distance by this much (metres) before it is "past the end".
END_TOLERANCE_M = 5.0
#: A time may exceed the last recorded sample by this much (seconds) before it is past the data.
END_TOLERANCE_S = 10.0


@dataclass
class Track:
    """What is known of one run's course: totals, laps, and the time-distance stream if recorded.

    ``streams_from`` (set by :meth:`load`) reads the streams the first time ``t``/``d`` are needed: an
    onset given as a distance never decodes them.
    """

    distance_m: float | None
    elapsed_s: float | None
    laps: list[Lap] = field(default_factory=list)
    t: np.ndarray | None = None
    d: np.ndarray | None = None
    streams_from: Callable[[], dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, conn: Connection, run: dict[str, Any]) -> Track:
        """The run's track; its streams are read through ``conn`` when first needed (while it is open)."""
        run_id = run["id"]
        return cls(
            run.get("distance_m"),
            run.get("elapsed_s"),
            load_laps(conn, run_id),
            streams_from=lambda: load_streams(conn, run_id),
        )

    def time_distance(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The finite (time, distance) samples, or ``(None, None)`` without at least two."""
        if self.streams_from is not None:
            import numpy as np

            streams, self.streams_from = self.streams_from(), None
            t, d = streams.get("t"), streams.get("distance")
            if t is not None and d is not None:
                ok = np.isfinite(t) & np.isfinite(d)
                self.t, self.d = (t[ok], d[ok]) if ok.sum() >= 2 else (None, None)
        return self.t, self.d

    @property
    def end_m(self) -> float | None:
        if self.distance_m:
            return float(self.distance_m)
        _, d = self.time_distance()
        if d is not None:
            return float(d[-1])
        ends = [lap.end_m for lap in self.laps if lap.end_m is not None]
        return max(ends) if ends else None

    @property
    def end_s(self) -> float | None:
        if self.elapsed_s:
            return float(self.elapsed_s)
        t, _ = self.time_distance()
        if t is not None:
            return float(t[-1])
        return self.laps[-1].end_s if self.laps else None

    def distance_at(self, seconds: float) -> Onset:
        """The distance reached ``seconds`` after the start, with how precisely it is known."""
        end_s = self.end_s
        if end_s is not None and seconds > end_s + 1.0:
            raise ValidationError(
                f"the onset {format_duration(seconds)} is past the end of the run ({format_duration(end_s)})"
            )
        t, d = self.time_distance()
        if t is not None and d is not None:
            import numpy as np

            last_s, last_m = float(t[-1]), float(d[-1])
            if seconds > last_s + END_TOLERANCE_S:
                raise ValidationError(
                    f"the onset {format_duration(seconds)} is past the end of the recorded data (the "
                    f"stream stops at {format_duration(last_s)}, {format_distance(last_m, 'km')} = "
                    f"{format_distance(last_m, 'mi')}): give the onset as a distance, or 'unknown'"
                )
            value = float(np.interp(seconds, t, d))
            return Onset(value, value, value)
        for lap in self.laps:
            if lap.start_m is None or lap.end_m is None:
                continue
            if lap.start_s <= seconds <= lap.end_s:
                span = lap.end_s - lap.start_s
                share = (seconds - lap.start_s) / span if span > 0 else 0.0
                value = lap.start_m + share * (lap.end_m - lap.start_m)
                return Onset(value, lap.start_m, lap.end_m)
        if self.distance_m and end_s:
            return Onset(seconds / end_s * self.distance_m, 0.0, float(self.distance_m))
        raise ValidationError("this run records no distance, so a time cannot be turned into metres")

    def lap_point(self, lap: Lap, which: str) -> Onset:
        metres = lap.start_m if which == "start" else lap.end_m
        if metres is not None:
            return Onset(metres, metres, metres)
        return self.distance_at(lap.start_s if which == "start" else lap.end_s)


@dataclass(frozen=True)
class Onset:
    """A position in metres: the best value and the interval it is known to lie in."""

    onset_m: float | None
    low_m: float | None
    high_m: float | None
    text: str | None = None


def first_manual_press(laps: list[Lap]) -> Lap | None:
    """The first lap closed by a manual press (the final lap never counts: stopping closes it)."""
    for lap in laps[:-1]:
        if lap.trigger == "manual":
            return lap
    return None


def from_first_lap(track: Track) -> Onset:
    lap = first_manual_press(track.laps)
    if lap is None:
        raise ValidationError("this run has no manual lap press to take the onset from")
    found = track.lap_point(lap, "end")
    return Onset(found.onset_m, found.low_m, found.high_m, "first manual lap")


_DURING_LAP = re.compile(r"^during\s+lap\s*#?\s*(\d+)$", re.IGNORECASE)
_BETWEEN = re.compile(r"^between\s+(.+?)\s+and\s+(.+)$", re.IGNORECASE)


def _interval(low: Onset, high: Onset, raw: str) -> Onset:
    lo = low.low_m if low.low_m is not None else low.onset_m
    hi = high.high_m if high.high_m is not None else high.onset_m
    if lo is None or hi is None or hi < lo:
        raise ValidationError(f"{raw!r}: the interval must run from the earlier to the later point")
    return Onset(None, lo, hi, raw)


def resolve(track: Track, text: str, default_unit: str = "mi") -> Onset:
    """Turn what the runner typed into metres, checking it lies within the run."""
    raw = text.strip()
    if raw.lower() in ("unknown", "?"):
        return Onset(None, 0.0, track.end_m, "unknown")
    during = _DURING_LAP.match(raw)
    if during:
        number = int(during.group(1))
        if not 1 <= number <= len(track.laps):
            raise ValidationError(f"{raw!r}: this run has {len(track.laps)} laps")
        lap = track.laps[number - 1]
        return _interval(track.lap_point(lap, "start"), track.lap_point(lap, "end"), raw)
    between = _BETWEEN.match(raw)
    if between:
        low = resolve(track, between.group(1), default_unit)
        high = resolve(track, between.group(2), default_unit)
        return _interval(low, high, raw)
    if raw.lower() in ("from-lap", "first-lap", "first manual lap"):
        return from_first_lap(track)
    position = parse_position(raw, default_unit)
    if position.lap is not None:
        if position.lap > len(track.laps):
            raise ValidationError(f"{raw!r}: this run has {len(track.laps)} laps")
        found = track.lap_point(track.laps[position.lap - 1], "start")
    elif position.seconds is not None:
        found = track.distance_at(position.seconds)
    else:
        assert position.metres is not None
        found = Onset(position.metres, position.metres, position.metres)
    check_within(track, found.onset_m, raw, default_unit)
    return Onset(found.onset_m, found.low_m, found.high_m, raw)


def check_within(track: Track, metres: float | None, raw: str, unit: str = "km") -> None:
    """Raise when ``metres`` lies past the end of the run (by more than :data:`END_TOLERANCE_M`)."""
    end = track.end_m
    if metres is None or end is None or not math.isfinite(metres):
        return
    if metres > end + END_TOLERANCE_M:
        raise ValidationError(
            f"{raw!r} ({format_distance(metres, unit)}) is past the end of the run "
            f"({format_distance(end, unit)})"
        )
