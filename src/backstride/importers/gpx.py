"""GPX 1.0 / 1.1 tracks into activities, and activities back into GPX (for tests and the simulator).

Namespace-agnostic: Garmin TrackPointExtension v1/v2 (``gpxtpx:hr``, ``cad``, ``speed``) under any
prefix (``ns3:``...), GPX 1.0 ``<speed>``, Strava's ``<power>``. Several ``<trk>`` / ``<trkseg>`` are
joined in time order; a new segment is a pause, so no distance is counted across the gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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
    drop,
    format_time,
    iter_elements,
    local,
    root_of,
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

if TYPE_CHECKING:
    from backstride.importers.model import Readable

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


_UNSEEN = object()


class _Points:
    """Track points read so far: their texts, turned into numbers a batch at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.buffer = PointBuffer(("segment", "lat", "lon", *_CHANNELS))
        self.tags: dict[object, str | None] = {}
        self.untimed = 0

    def add(self, point: etree._Element, segment: int) -> None:
        found: dict[str, str | None] = {}
        tags = self.tags
        for element in point.iterdescendants():
            tag = element.tag
            field = tags.get(tag, _UNSEEN)
            if field is _UNSEEN:
                field = tags[tag] = _TAGS(tag)
            if field is not None and field not in found:
                found[field] = element.text  # type: ignore[index]
        time = found.get("time")
        if time is None:
            self.untimed += 1
            return
        if len(self.buffer) >= MAX_POINTS:
            raise BadFileError(
                self.name, f"holds more than {MAX_POINTS:,} track points (11 days at one a second); refused"
            )
        found["segment"] = str(segment)
        found["lat"] = point.get("lat")
        found["lon"] = point.get("lon")
        self.buffer.add(time, found)


@dataclass
class _About:
    """What the file says besides its points: the first track's name and type, the metadata's name."""

    track_name: str | None = None
    track_type: str | None = None
    meta_name: str | None = None
    routes: bool = False


def read_gpx(data: bytes | Readable, name: str) -> list[Activity]:
    """Read a GPX file's track points into one activity, incrementally (bytes or a binary stream).

    Raises :class:`BadFileError` when the XML is broken, the root is not ``<gpx>``, or no track point
    has a time.
    """
    points = _Points(name)
    about = _About()
    segment = 0
    read = 0
    root: etree._Element | None = None
    for _event, element in iter_elements(data, name, "GPX", ("trkpt", "trkseg", "trk", "metadata", "rte")):
        if root is None:
            root = root_of(element)
            if local(root.tag) != "gpx":
                raise BadFileError(name, f"not a GPX file (its root element is <{local(root.tag)}>)")
        tag = local(element.tag)
        if tag == "trkpt":
            points.add(element, segment)
            read += 1
            if read % 1000 == 0:
                drop(element)  # the points read so far, in one go
            continue
        if tag == "trkseg":
            segment += 1
            element.clear(keep_tail=False)  # the track's name and type before it stay
            continue
        if tag == "trk":
            about.track_name = about.track_name or child_text(element, "name")
            about.track_type = about.track_type or child_text(element, "type")
        elif tag == "metadata":
            about.meta_name = child_text(element, "name")
        elif tag == "rte":
            about.routes = True
        drop(element)
    if not len(points.buffer):
        if points.untimed:
            raise BadFileError(name, "GPX track points have no timestamps, so it is not a recording")
        what = "a route but no recorded track" if about.routes else "no track points"
        raise BadFileError(name, f"GPX file holds {what}")
    assert root is not None
    activity = _activity(points, root, about)
    if points.untimed:
        activity.warnings.append(f"{points.untimed} track points without a time were left out")
    return [fill_derived(activity)]


def _activity(points: _Points, root: etree._Element, about: _About) -> Activity:
    columns = points.buffer
    time = columns.column("time")
    timed = np.isfinite(time)
    if not timed.all():  # texts in <time> that are no timestamp
        points.untimed += int((~timed).sum())
        if not timed.any():
            raise BadFileError(points.name, "GPX track points have no timestamps, so it is not a recording")
    order = np.flatnonzero(timed)[np.argsort(time[timed], kind="stable")]
    time = time[order]
    segment = columns.column("segment")[order]
    start = float(time[0])
    streams: dict[str, np.ndarray] = {"t": time - start}
    lat = columns.column("lat")[order]
    lon = columns.column("lon")[order]
    if np.isfinite(lat).any() and np.isfinite(lon).any():
        streams["lat"], streams["lon"] = lat, lon
        steps = np.nan_to_num(haversine_steps(lat, lon), nan=0.0) if len(lat) > 1 else np.zeros(0)
        steps[segment[1:] != segment[:-1]] = 0.0  # a new segment is a pause: no distance across it
        streams["distance"] = np.concatenate([[0.0], np.cumsum(steps)])
    for channel in _CHANNELS:
        values = columns.column(channel)
        if np.isfinite(values).any():
            streams[channel] = values[order]

    stated = about.track_type
    sport, sub_sport = sport_and_sub_sport(stated)
    warnings: list[str] = []
    if stated is None:
        sport, warning = infer_sport(streams["t"], streams.get("distance"))
        warnings.append(warning)
    if sport == "running" and "cadence" in streams:
        streams["cadence"] = running_cadence_as_steps(streams["cadence"])
    return Activity(
        source="gpx",
        sport=sport,
        sub_sport=sub_sport,
        start=utc_datetime(start),
        utc_offset_s=columns.offset,
        device=(root.get("creator") or "").strip() or None,
        name=about.track_name or about.meta_name,
        streams=streams,
        warnings=warnings,
    )


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
