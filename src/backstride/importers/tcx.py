"""Garmin Training Center (TCX) files into activities, and activities back into TCX.

Every ``<Activity>`` in the file is one activity (a multisport session's legs included). Laps come
from ``<Lap StartTime>`` with ``TotalTimeSeconds``, ``DistanceMeters`` and ``TriggerMethod``; the laps'
totals give the activity's moving time and distance when they are stated. Track points may lack
position (treadmill), heart rate or distance; cadence is read from ``<Cadence>`` or the
ActivityExtension ``RunCadence``, speed and power from ``Speed`` and ``Watts``, under any prefix.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from lxml import etree

from backstride.errors import BadFileError
from backstride.importers._xmltools import (
    MAX_POINTS,
    PointBuffer,
    TagMap,
    child_text,
    children,
    drop,
    format_time,
    iter_elements,
    local,
    parse_time,
    root_of,
    to_float,
    utc_datetime,
)
from backstride.importers.derive import cumulative_distance, fill_derived
from backstride.importers.model import Activity, Lap
from backstride.importers.sports import (
    infer_sport,
    running_cadence_as_steps,
    sport_and_sub_sport,
)

if TYPE_CHECKING:
    from backstride.importers.model import Readable

#: TCX ``TriggerMethod`` onto :data:`backstride.importers.model.LAP_TRIGGERS`.
TRIGGERS = {
    "manual": "manual",
    "distance": "distance",
    "location": "position",
    "time": "time",
    "heartrate": "unknown",
}
_CHANNELS = ("lat", "lon", "altitude", "distance", "heart_rate", "cadence", "speed", "power")
#: Track point element names (lower case, any namespace) onto stream columns.
_POINT_FIELDS = {
    "latitudedegrees": "lat",
    "longitudedegrees": "lon",
    "altitudemeters": "altitude",
    "distancemeters": "distance",
    "cadence": "cadence",
    "runcadence": "cadence",
    "speed": "speed",
    "watts": "power",
}
_TAGS = TagMap({**_POINT_FIELDS, "time": "time", "heartratebpm": "heart_rate"})


_UNSEEN = object()


class _LapInfo:
    def __init__(self, lap: etree._Element) -> None:
        stamp = parse_time(lap.get("StartTime"))
        self.start = None if stamp is None else stamp[0]
        self.total_s = math.nan
        self.distance_m = math.nan
        self.trigger = "unknown"
        self.last_point: float | None = None

    def finish(self, lap: etree._Element) -> None:
        """Read the lap's totals (they are its children; the track points are gone by now)."""
        self.total_s = to_float(child_text(lap, "TotalTimeSeconds"))
        self.distance_m = to_float(child_text(lap, "DistanceMeters"))
        trigger = (child_text(lap, "TriggerMethod") or "").lower()
        self.trigger = TRIGGERS.get(trigger, "unknown")


class _ActivityReader:
    """One ``<Activity>`` while it is parsed: its track points (as text, converted in batches) and laps."""

    def __init__(self, element: etree._Element, name: str, tags: dict[object, str | None]) -> None:
        self.name = name
        self.sport = element.get("Sport")
        self.buffer = PointBuffer(("lap", *_CHANNELS))
        self.laps: list[_LapInfo] = []
        self.tags = tags
        self.untimed = 0
        self.points = 0

    def add(self, point: etree._Element) -> None:
        found: dict[str, str | None] = {}
        tags = self.tags
        for element in point.iterdescendants():
            tag = element.tag
            field = tags.get(tag, _UNSEEN)
            if field is _UNSEEN:
                field = tags[tag] = _TAGS(tag)
            if field is None or field in found:
                continue
            found[field] = child_text(element, "Value") if field == "heart_rate" else element.text  # type: ignore[index]
        time = found.get("time")
        if time is None:
            self.untimed += 1
            return
        self.points += 1
        if self.points > MAX_POINTS:
            raise BadFileError(
                self.name, f"holds more than {MAX_POINTS:,} track points (11 days at one a second); refused"
            )
        found["lap"] = str(len(self.laps) - 1)
        self.buffer.add(time, found)


def read_tcx(data: bytes | Readable, name: str) -> list[Activity]:
    """Read every ``<Activity>`` of a TCX file (one per multisport leg), incrementally (bytes or a
    binary stream).

    Raises :class:`BadFileError` when the XML is broken, the root is not ``<TrainingCenterDatabase>``,
    or no activity holds a lap or a timed track point.
    """
    root: etree._Element | None = None
    current: _ActivityReader | None = None
    seen_activity = False
    found: list[Activity] = []
    tags: dict[object, str | None] = {}
    read = 0
    for event, element in iter_elements(
        data, name, "TCX", ("Activity", "Lap", "Trackpoint"), events=("start", "end")
    ):
        if root is None:
            root = root_of(element)
            if local(root.tag) != "TrainingCenterDatabase":
                raise BadFileError(name, f"not a TCX file (its root element is <{local(root.tag)}>)")
        tag = local(element.tag)
        if tag == "Activity":
            if event == "start":
                current = _ActivityReader(element, name, tags)
                seen_activity = True
                continue
            if current is not None:
                activity = _finish_activity(current, element)
                if activity is not None:
                    found.append(activity)
            current = None
            drop(element)
        elif tag == "Lap":
            if current is None:
                continue
            if event == "start":
                current.laps.append(_LapInfo(element))
            else:
                current.laps[-1].finish(element)
                drop(element)
        elif event == "end":  # a track point
            if current is not None and current.laps:
                current.add(element)
            read += 1
            if read % 1000 == 0:
                drop(element)
    if not seen_activity:
        raise BadFileError(name, "TCX file holds no <Activity> (a course or workout is not a recording)")
    if not found:
        raise BadFileError(name, "TCX activities hold no laps and no timed track points")
    return found


def _finish_activity(reader: _ActivityReader, element: etree._Element) -> Activity | None:
    buffer = reader.buffer
    time = buffer.column("time")
    lap_of = buffer.column("lap")
    timed = np.isfinite(time)
    untimed = reader.untimed + int((~timed).sum())
    time, lap_of = time[timed], lap_of[timed]
    laps = reader.laps
    for i, lap in enumerate(laps):
        mine = time[lap_of == i]
        if len(mine):
            lap.last_point = float(mine.max())
    starts = [lap.start for lap in laps if lap.start is not None]
    if len(time):
        starts.append(float(time.min()))
    if not starts:
        return None
    start = min(starts)

    order = np.argsort(time, kind="stable")
    streams: dict[str, np.ndarray] = {"t": time[order] - start}
    for channel in _CHANNELS:
        values = buffer.column(channel)[timed]
        if np.isfinite(values).any():
            streams[channel] = values[order]
    if "distance" not in streams and "lat" in streams and "lon" in streams:
        streams["distance"] = cumulative_distance(streams["lat"], streams["lon"])
    if "lat" not in streams or "lon" not in streams:
        streams.pop("lat", None)
        streams.pop("lon", None)

    stated = reader.sport
    sport, sub_sport = sport_and_sub_sport(stated)
    warnings: list[str] = []
    if stated is None or not stated.strip():
        sport, warning = infer_sport(streams["t"], streams.get("distance"))
        warnings.append(warning)
    if sport == "running" and "cadence" in streams:
        streams["cadence"] = running_cadence_as_steps(streams["cadence"])

    creator = next(iter(children(element, "Creator")), None)
    total_s = sum(lap.total_s for lap in laps if math.isfinite(lap.total_s))
    total_m = sum(lap.distance_m for lap in laps if math.isfinite(lap.distance_m))
    ends = [lap.start + lap.total_s for lap in laps if lap.start is not None and math.isfinite(lap.total_s)]
    if len(time):
        ends.append(float(time.max()))
    activity = Activity(
        source="tcx",
        sport=sport,
        sub_sport=sub_sport,
        start=utc_datetime(start),
        utc_offset_s=buffer.offset,
        moving_s=total_s if total_s > 0 else None,
        distance_m=total_m if total_m > 0 else None,
        elapsed_s=max(ends) - start if ends else None,
        device=None if creator is None else child_text(creator, "Name"),
        streams=streams,
        laps=_laps(laps, start, streams),
        warnings=warnings,
    )
    if untimed:
        activity.warnings.append(f"{untimed} track points without a time were left out")
    return fill_derived(activity)


def _distance_at(streams: dict[str, np.ndarray], t: float) -> float | None:
    if "distance" not in streams or not len(streams["t"]):
        return None
    dist = streams["distance"]
    ok = np.isfinite(dist)
    if not ok.any():
        return None
    return float(np.interp(t, streams["t"][ok], dist[ok]))


def _laps(infos: list[_LapInfo], start: float, streams: dict[str, np.ndarray]) -> list[Lap]:
    """Laps as offsets from the start. A lap ends where the next begins (the last at its own end).

    The last lap always ends with the session, so a ``Manual`` trigger there becomes ``session_end``
    (as a FIT file says): only a lap button pressed during the run counts as manual.
    """
    timed = [info for info in infos if info.start is not None]
    laps: list[Lap] = []
    use_totals = all(math.isfinite(info.distance_m) for info in timed) and any(
        info.distance_m > 0 for info in timed
    )
    covered = 0.0
    for i, info in enumerate(timed):
        assert info.start is not None
        start_s = info.start - start
        own_end = start_s + (info.total_s if math.isfinite(info.total_s) else 0.0)
        if info.last_point is not None:
            own_end = max(own_end, info.last_point - start)
        nxt = timed[i + 1].start if i + 1 < len(timed) else None
        end_s = own_end if nxt is None else max(start_s, nxt - start)
        if use_totals:
            start_m: float | None = covered
            covered += info.distance_m
            end_m: float | None = covered
        else:
            start_m, end_m = _distance_at(streams, start_s), _distance_at(streams, end_s)
        last = i == len(timed) - 1
        trigger = "session_end" if last and info.trigger == "manual" else info.trigger
        laps.append(Lap(start_s=start_s, end_s=end_s, start_m=start_m, end_m=end_m, trigger=trigger))
    return laps


_TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
_EXT_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
_XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: Our lap triggers onto TCX ``TriggerMethod``. TCX has no "unknown": ``HeartRate`` is the one value we
#: read back as ``unknown``; ``session_end`` is written ``Manual`` on the last lap (read back as
#: ``session_end``) and ``HeartRate`` elsewhere.
_TRIGGER_OUT = {"manual": "Manual", "distance": "Distance", "position": "Location", "time": "Time"}
_SPORT_OUT = {"running": "Running", "cycling": "Biking"}


def _num(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _finite(streams: dict[str, np.ndarray], name: str, i: int) -> float | None:
    values = streams.get(name)
    if values is None:
        return None
    value = float(values[i])
    return value if math.isfinite(value) else None


def _trackpoint(streams: dict[str, np.ndarray], i: int, start: float, running: bool) -> str:
    parts = [f"<Trackpoint><Time>{format_time(start + float(streams['t'][i]))}</Time>"]
    lat, lon = _finite(streams, "lat", i), _finite(streams, "lon", i)
    if lat is not None and lon is not None:
        parts.append(
            f"<Position><LatitudeDegrees>{_num(lat, 8)}</LatitudeDegrees>"
            f"<LongitudeDegrees>{_num(lon, 8)}</LongitudeDegrees></Position>"
        )
    if (alt := _finite(streams, "altitude", i)) is not None:
        parts.append(f"<AltitudeMeters>{_num(alt, 2)}</AltitudeMeters>")
    if (dist := _finite(streams, "distance", i)) is not None:
        parts.append(f"<DistanceMeters>{_num(dist, 2)}</DistanceMeters>")
    if (hr := _finite(streams, "heart_rate", i)) is not None:
        parts.append(f"<HeartRateBpm><Value>{round(hr)}</Value></HeartRateBpm>")
    cad = _finite(streams, "cadence", i)
    if cad is not None and not running:
        parts.append(f"<Cadence>{round(cad)}</Cadence>")
    ext = []
    if (speed := _finite(streams, "speed", i)) is not None:
        ext.append(f"<ns3:Speed>{_num(speed, 3)}</ns3:Speed>")
    if cad is not None and running:
        ext.append(f"<ns3:RunCadence>{round(cad / 2)}</ns3:RunCadence>")
    if (power := _finite(streams, "power", i)) is not None:
        ext.append(f"<ns3:Watts>{round(power)}</ns3:Watts>")
    if ext:
        parts.append(f"<Extensions><ns3:TPX>{''.join(ext)}</ns3:TPX></Extensions>")
    parts.append("</Trackpoint>")
    return "".join(parts)


def write_tcx(activity: Activity) -> bytes:
    """One activity as TCX v2, with its laps and their triggers (manual laps round-trip).

    Running cadence is written as ``RunCadence`` in strides per minute (half the steps, rounded), as
    Garmin does; other sports as ``<Cadence>``. A lap's ``TotalTimeSeconds`` is its elapsed span.
    """
    s = activity.streams
    start = activity.start.timestamp()
    t = s.get("t", np.zeros(0))
    end_s = float(t[-1]) if len(t) else float(activity.elapsed_s or 0.0)
    laps = activity.laps or [Lap(0.0, end_s, 0.0, activity.distance_m, "session_end")]
    running = activity.sport == "running"
    sport = _SPORT_OUT.get(activity.sport, "Other")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<TrainingCenterDatabase xmlns="{_TCX_NS}" xmlns:ns3="{_EXT_NS}" xmlns:xsi="{_XSI_NS}">\n'
        f'<Activities>\n<Activity Sport="{sport}">\n<Id>{format_time(start)}</Id>\n'
    ]
    for k, lap in enumerate(laps):
        last = k == len(laps) - 1
        inside = (t >= lap.start_s) & ((t <= lap.end_s) if last else (t < lap.end_s))
        if lap.start_m is not None and lap.end_m is not None:
            lap_m: float | None = lap.end_m - lap.start_m
        else:
            a, b = _distance_at(s, lap.start_s), _distance_at(s, lap.end_s)
            lap_m = None if a is None or b is None else b - a
        if lap.trigger == "session_end" and last:
            trigger = "Manual"
        else:
            trigger = _TRIGGER_OUT.get(lap.trigger, "HeartRate")
        out.append(
            f"<Lap StartTime={quoteattr(format_time(start + lap.start_s))}>"
            f"<TotalTimeSeconds>{_num(lap.end_s - lap.start_s, 3)}</TotalTimeSeconds>"
            + (f"<DistanceMeters>{_num(lap_m, 2)}</DistanceMeters>" if lap_m is not None else "")
            + f"<Calories>0</Calories><Intensity>Active</Intensity><TriggerMethod>{trigger}</TriggerMethod>"
            "<Track>\n"
        )
        out.extend(_trackpoint(s, int(i), start, running) + "\n" for i in np.flatnonzero(inside))
        out.append("</Track></Lap>\n")
    if activity.device:
        out.append(
            f'<Creator xsi:type="Device_t"><Name>{escape(activity.device)}</Name><UnitId>0</UnitId>'
            "<ProductID>0</ProductID><Version><VersionMajor>0</VersionMajor><VersionMinor>0</VersionMinor>"
            "</Version></Creator>\n"
        )
    out.append("</Activity>\n</Activities>\n</TrainingCenterDatabase>\n")
    return "".join(out).encode("utf-8")


__all__ = ["TRIGGERS", "read_tcx", "write_tcx"]
