"""GPX 1.0 / 1.1 tracks into activities, and activities back into GPX (for tests and the simulator).

Namespace-agnostic: Garmin TrackPointExtension v1/v2 (``gpxtpx:hr``, ``cad``, ``speed``) under any
prefix (``ns3:``...), GPX 1.0 ``<speed>``, Strava's ``<power>``. Several ``<trk>`` / ``<trkseg>`` are
joined in time order; a new segment is a pause, so no distance is counted across the gap.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from lxml import etree

from backstride.errors import BadFileError
from backstride.importers._xmltools import (
    TagMap,
    child_text,
    children,
    column,
    format_time,
    local,
    parse_time,
    parse_xml,
    to_float,
    utc_datetime,
)
from backstride.importers.derive import fill_derived, haversine_steps
from backstride.importers.model import Activity
from backstride.importers.sports import (
    GENERIC,
    infer_sport,
    running_cadence_as_steps,
    sport_and_sub_sport,
)

#: Track point (and extension) element names, lower case, onto stream columns.
_POINT_FIELDS = {
    "ele": "altitude",
    "hr": "heart_rate",
    "heartrate": "heart_rate",
    "cad": "cadence",
    "cadence": "cadence",
    "runcadence": "cadence",
    "speed": "speed",
    "power": "power",
    "watts": "power",
}
_TAGS = TagMap({**_POINT_FIELDS, "time": "time"})
_CHANNELS = ("altitude", "heart_rate", "cadence", "speed", "power")


class _Points:
    """Column lists filled point by point, then turned into arrays."""

    def __init__(self) -> None:
        self.time: list[float] = []
        self.segment: list[int] = []
        self.lat: list[float] = []
        self.lon: list[float] = []
        self.values: dict[str, list[float]] = {name: [] for name in _CHANNELS}
        self.offset: int | None = None
        self.untimed = 0

    def add(self, point: etree._Element, segment: int) -> None:
        found: dict[str, float] = {}
        stamp = None
        for element in point.iter():
            field = _TAGS(element.tag)
            if field is None:
                continue
            if field == "time":
                stamp = parse_time(element.text)
            else:
                found.setdefault(field, to_float(element.text))
        if stamp is None:
            self.untimed += 1
            return
        if not self.time:
            self.offset = stamp[1]
        self.time.append(stamp[0])
        self.segment.append(segment)
        self.lat.append(to_float(point.get("lat")))
        self.lon.append(to_float(point.get("lon")))
        for name in _CHANNELS:
            self.values[name].append(found.get(name, math.nan))


def read_gpx(data: bytes, name: str) -> list[Activity]:
    """Read a GPX file's track points into one activity.

    Raises :class:`BadFileError` when the XML is broken, the root is not ``<gpx>``, or no track point
    has a time.
    """
    root = parse_xml(data, name, "GPX")
    if local(root.tag) != "gpx":
        raise BadFileError(name, f"not a GPX file (its root element is <{local(root.tag)}>)")
    tracks = children(root, "trk")
    points = _Points()
    segment = 0
    for track in tracks:
        for seg in children(track, "trkseg"):
            for point in children(seg, "trkpt"):
                points.add(point, segment)
            segment += 1
    if not points.time:
        if points.untimed:
            raise BadFileError(name, "GPX track points have no timestamps, so it is not a recorded activity")
        what = "a route but no recorded track" if children(root, "rte") else "no track points"
        raise BadFileError(name, f"GPX file holds {what}")
    activity = _activity(points, root, tracks)
    if points.untimed:
        activity.warnings.append(f"{points.untimed} track points without a time were left out")
    return [fill_derived(activity)]


def _first_text(elements: list[etree._Element], tag: str) -> str | None:
    for element in elements:
        text = child_text(element, tag)
        if text:
            return text
    return None


def _activity(points: _Points, root: etree._Element, tracks: list[etree._Element]) -> Activity:
    time = np.asarray(points.time, dtype=np.float64)
    order = np.argsort(time, kind="stable")
    time = time[order]
    segment = np.asarray(points.segment)[order]
    start = float(time[0])
    streams: dict[str, np.ndarray] = {"t": time - start}
    lat = np.asarray(points.lat, dtype=np.float64)[order]
    lon = np.asarray(points.lon, dtype=np.float64)[order]
    if np.isfinite(lat).any() and np.isfinite(lon).any():
        streams["lat"], streams["lon"] = lat, lon
        steps = np.nan_to_num(haversine_steps(lat, lon), nan=0.0) if len(lat) > 1 else np.zeros(0)
        steps[segment[1:] != segment[:-1]] = 0.0  # a new segment is a pause: no distance across it
        streams["distance"] = np.concatenate([[0.0], np.cumsum(steps)])
    for channel in _CHANNELS:
        values = column(points.values[channel])
        if values is not None:
            streams[channel] = values[order]

    metadata = children(root, "metadata")
    stated = _first_text(tracks, "type")
    sport, sub_sport = sport_and_sub_sport(stated)
    warnings: list[str] = []
    if stated is None:
        sport, warning = infer_sport(streams["t"], streams.get("distance"))
        warnings.append(warning)
    if sport == "running" and "cadence" in streams:
        streams["cadence"] = running_cadence_as_steps(streams["cadence"])
    activity = Activity(
        source="gpx",
        sport=sport,
        sub_sport=sub_sport,
        start=utc_datetime(start),
        utc_offset_s=points.offset,
        device=(root.get("creator") or "").strip() or None,
        name=_first_text(tracks, "name") or _first_text(metadata, "name"),
        streams=streams,
        warnings=warnings,
    )
    return activity


_GPX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gpx version="1.1" creator={creator} xmlns="http://www.topografix.com/GPX/1/1" '
    'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v2">\n'
    " <metadata><time>{time}</time></metadata>\n"
    " <trk>\n{name}  <type>{sport}</type>\n  <trkseg>\n"
)


def _number(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def write_gpx(activity: Activity) -> bytes:
    """One activity as GPX 1.1 with Garmin TrackPointExtension v2 (hr, cad, speed) and ``<power>``.

    Running cadence is written in strides per minute (half the steps, rounded), as devices do. Points
    without a position cannot be written in GPX and are left out; with none left, ``ValueError``.
    """
    s = activity.streams
    if "lat" not in s or "lon" not in s:
        raise ValueError("GPX needs positions; this activity has none")
    start = activity.start.timestamp()
    sport = GENERIC if activity.sport in (None, "") else activity.sport
    parts = [
        _GPX_HEAD.format(
            creator=quoteattr(activity.device or "backstride"),
            time=format_time(start),
            name=f"  <name>{escape(activity.name)}</name>\n" if activity.name else "",
            sport=escape(sport),
        )
    ]
    half = activity.sport == "running"
    n = activity.samples
    written = 0
    for i in range(n):
        lat, lon = float(s["lat"][i]), float(s["lon"][i])
        if not (math.isfinite(lat) and math.isfinite(lon)):
            continue
        written += 1
        parts.append(f'   <trkpt lat="{_number(lat, 8)}" lon="{_number(lon, 8)}">\n')
        if "altitude" in s and math.isfinite(s["altitude"][i]):
            parts.append(f"    <ele>{_number(float(s['altitude'][i]), 2)}</ele>\n")
        parts.append(f"    <time>{format_time(start + float(s['t'][i]))}</time>\n")
        ext: list[str] = []
        if "heart_rate" in s and math.isfinite(s["heart_rate"][i]):
            ext.append(f"<gpxtpx:hr>{round(float(s['heart_rate'][i]))}</gpxtpx:hr>")
        if "cadence" in s and math.isfinite(s["cadence"][i]):
            cad = float(s["cadence"][i]) / (2.0 if half else 1.0)
            ext.append(f"<gpxtpx:cad>{round(cad)}</gpxtpx:cad>")
        if "speed" in s and math.isfinite(s["speed"][i]):
            ext.append(f"<gpxtpx:speed>{_number(float(s['speed'][i]), 3)}</gpxtpx:speed>")
        power = ""
        if "power" in s and math.isfinite(s["power"][i]):
            power = f"<power>{round(float(s['power'][i]))}</power>"
        if ext or power:
            tpx = f"<gpxtpx:TrackPointExtension>{''.join(ext)}</gpxtpx:TrackPointExtension>" if ext else ""
            parts.append(f"    <extensions>{power}{tpx}</extensions>\n")
        parts.append("   </trkpt>\n")
    if not written:
        raise ValueError("GPX needs positions; this activity has none")
    parts.append("  </trkseg>\n </trk>\n</gpx>\n")
    return "".join(parts).encode("utf-8")
