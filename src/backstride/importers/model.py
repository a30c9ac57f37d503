"""One activity model that every importer produces and the store saves.

Units are SI unless stated: metres, seconds, metres per second. Missing values in streams are NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np


class Readable(Protocol):
    """What the decoders read: a binary stream (an open file, a zip member, a gzip reader ...)."""

    def read(self, size: int = -1, /) -> bytes: ...


#: Stream columns, their units, and how precisely the store keeps them.
STREAM_COLUMNS: dict[str, str] = {
    "t": "seconds since the activity start",
    "distance": "metres since the start",
    "lat": "degrees",
    "lon": "degrees",
    "altitude": "metres",
    "heart_rate": "beats per minute",
    "cadence": "steps per minute (both feet)",
    "speed": "metres per second",
    "vertical_oscillation": "millimetres",
    "stance_time": "milliseconds (ground contact time)",
    "step_length": "millimetres",
    "power": "watts",
}

#: Lap triggers, as the FIT profile names them (TCX ``TriggerMethod`` is mapped onto these).
LAP_TRIGGERS = ("manual", "distance", "time", "position", "session_end", "fitness_equipment", "unknown")


@dataclass
class Lap:
    """A lap, with its start and end as offsets from the activity start (seconds and metres)."""

    start_s: float
    end_s: float
    start_m: float | None = None
    end_m: float | None = None
    trigger: str = "unknown"


@dataclass
class Activity:
    """One activity (one session of a multisport file), as read from one file.

    ``streams`` maps the names in :data:`STREAM_COLUMNS` to float arrays of equal length; a column the
    file does not record is absent. Values are within physical bounds (see
    :mod:`backstride.importers.plausible`) or NaN; summary values are finite or
    ``None``. ``warnings`` says what was noticed but not fatal (a FIT file that
    broke part-way, for instance).
    """

    source: str
    sport: str
    start: datetime
    sub_sport: str | None = None
    utc_offset_s: int | None = None
    distance_m: float | None = None
    moving_s: float | None = None
    elapsed_s: float | None = None
    elevation_gain_m: float | None = None
    elevation_loss_m: float | None = None
    avg_hr: float | None = None
    max_hr: float | None = None
    avg_cadence: float | None = None
    avg_speed: float | None = None
    avg_vertical_oscillation: float | None = None
    avg_stance_time: float | None = None
    avg_step_length: float | None = None
    avg_power: float | None = None
    device: str | None = None
    shoe: str | None = None
    name: str | None = None
    streams: dict[str, np.ndarray] = field(default_factory=dict)
    laps: list[Lap] = field(default_factory=list)
    file_hashes: list[str] = field(default_factory=list)
    file_names: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: True when the file's clock counts from the device's power-on, not a date (so ``start`` is not
    #: the real date): such a run cannot be placed in time and is not imported.
    device_time: bool = False

    @property
    def samples(self) -> int:
        t = self.streams.get("t")
        return 0 if t is None else len(t)

    def richness(self) -> float:
        """A score to keep the richer of two copies of one run: channels with data, samples, laps."""
        import numpy as np  # not at the top: logging pain after a run never needs it

        channels = sum(
            1 for name, values in self.streams.items() if name != "t" and np.isfinite(values).any()
        )
        summary = sum(
            1
            for value in (self.avg_hr, self.avg_cadence, self.avg_vertical_oscillation, self.avg_power)
            if value is not None and not math.isnan(value)
        )
        return channels * 10 + summary * 2 + math.log1p(self.samples) + 0.1 * len(self.laps)


def finite_or_none(value: float | None) -> float | None:
    """``None`` for a missing or non-finite value, else the float."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
