"""One streaming pass over ``export.xml``: workouts, body mass, and the samples a run may need.

``export.xml`` can be gigabytes, with the records first (grouped by type) and the workouts near the end,
so the records a workout needs are read before the workout is known. The pass keeps memory bounded:

- it is an expat parse fed 1 MB at a time (no tree is built; nothing but the current element exists);
- the DTD at the top (the internal subset) is dropped before parsing: it declares no entity the data
  uses, some iOS versions wrote it malformed, and skipping it rules out entity-expansion tricks;
- the records that streams are made of (heart rate, running speed and power, stride length, vertical
  oscillation, ground contact time, steps, distance) are written as fixed-size binary rows to a
  temporary spool file, in blocks; after the pass only the rows inside the wanted workouts are read
  back (:meth:`Spool.select`);
- workouts (a few thousand at most) and body-mass records are kept as small objects.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from xml.parsers import expat

import numpy as np

from backstride.errors import BadFileError
from backstride.importers.apple_health.units import COLUMN_CODES, STREAM_TYPES, stream_value

CHUNK = 1024 * 1024
#: The DTD must end within this many bytes of the start, or this is not an export.xml.
HEAD_LIMIT = 4 * 1024 * 1024
#: Sample rows kept in memory before they are written to the spool.
BLOCK_ROWS = 200_000
SPOOL_DTYPE = np.dtype([("t0", "<f8"), ("t1", "<f8"), ("v", "<f4"), ("col", "<i2"), ("src", "<i2")])


def parse_date(text: str) -> tuple[float, int]:
    """``2024-03-05 07:12:45 +0100`` -> (UTC epoch seconds, offset seconds)."""
    text = text.strip()
    try:
        if len(text) == 25 and text[19] == " ":
            moment = datetime.fromisoformat(text[:19] + text[20:])
        else:
            moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a date: {text!r}") from exc
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"date without a time offset: {text!r}")
    return moment.timestamp(), int(offset.total_seconds())


_MIDNIGHTS: dict[str, float] = {}


def epoch(text: str) -> float:
    """The UTC epoch of an export date; fast for Apple's own ``YYYY-MM-DD hh:mm:ss +hhmm`` layout."""
    if len(text) == 25 and text[19] == " " and text[13] == ":" and text[16] == ":":
        key = text[:10] + text[19:]
        midnight = _MIDNIGHTS.get(key)
        if midnight is None:
            if len(_MIDNIGHTS) > 100_000:
                _MIDNIGHTS.clear()
            midnight = _MIDNIGHTS[key] = parse_date(text[:10] + " 00:00:00" + text[19:])[0]
        try:
            return midnight + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])
        except ValueError:
            pass
    return parse_date(text)[0]


@dataclass
class Event:
    kind: str
    at: float
    duration_s: float | None = None


@dataclass
class Statistic:
    kind: str
    average: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    total: float | None = None
    unit: str | None = None


@dataclass
class Workout:
    """A ``Workout`` element and its children, as written (times are UTC epochs)."""

    activity_type: str
    source: str
    start: float
    end: float
    offset_s: int
    start_text: str
    end_text: str
    duration: float | None = None
    duration_unit: str | None = None
    total_distance: float | None = None
    total_distance_unit: str | None = None
    device: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    statistics: dict[str, Statistic] = field(default_factory=dict)
    routes: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class Weighing:
    """A body-mass record: UTC epoch, the local day it fell on, kilograms before unit conversion."""

    at: float
    offset_s: int
    value: float
    unit: str | None


@dataclass
class ScanResult:
    workouts: list[Workout]
    weighings: list[Weighing]
    spool: Spool
    sources: list[str]
    problems: list[str] = field(default_factory=list)


class Spool:
    """Sample rows (start, end, value, column code, source code) in a temporary file."""

    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(prefix="backstride-health-", suffix=".spool")
        self._file: IO[bytes] | None = os.fdopen(handle, "wb")
        self.rows = 0
        self._t0 = array("d")
        self._t1 = array("d")
        self._v = array("f")
        self._col = array("h")
        self._src = array("h")

    def add(self, t0: float, t1: float, value: float, col: int, src: int) -> None:
        self._t0.append(t0)
        self._t1.append(t1)
        self._v.append(value)
        self._col.append(col)
        self._src.append(src)
        if len(self._t0) >= BLOCK_ROWS:
            self.flush()

    def flush(self) -> None:
        n = len(self._t0)
        if not n or self._file is None:
            return
        block = np.empty(n, SPOOL_DTYPE)
        block["t0"] = np.frombuffer(self._t0, dtype="<f8")
        block["t1"] = np.frombuffer(self._t1, dtype="<f8")
        block["v"] = np.frombuffer(self._v, dtype="<f4")
        block["col"] = np.frombuffer(self._col, dtype="<i2")
        block["src"] = np.frombuffer(self._src, dtype="<i2")
        block.tofile(self._file)
        self.rows += n
        for buffer in (self._t0, self._t1, self._v, self._col, self._src):
            del buffer[:]

    def close_writing(self) -> None:
        self.flush()
        if self._file is not None:
            self._file.close()
            self._file = None

    def select(self, windows: Iterable[tuple[float, float]]) -> np.ndarray:
        """The rows that overlap any of ``windows`` ((start, end) epochs), read a block at a time."""
        self.close_writing()
        spans = sorted(windows)
        if not spans or not self.rows:
            return np.empty(0, SPOOL_DTYPE)
        merged: list[list[float]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        starts = np.array([m[0] for m in merged])
        ends = np.array([m[1] for m in merged])
        kept: list[np.ndarray] = []
        with open(self.path, "rb") as handle:
            while True:
                block = np.fromfile(handle, dtype=SPOOL_DTYPE, count=1_000_000)
                if not len(block):
                    break
                # A row is kept when some window starts before the row ends and ends after it starts.
                idx = np.searchsorted(starts, block["t1"], side="right") - 1
                ok = idx >= 0
                ok[ok] = ends[idx[ok]] >= block["t0"][ok]
                if ok.any():
                    kept.append(block[ok])
        return np.concatenate(kept) if kept else np.empty(0, SPOOL_DTYPE)

    def discard(self) -> None:
        self.close_writing()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def _number(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        return None


class _Handler:
    """expat callbacks: the state of one pass."""

    def __init__(self, name: str, parser: Any) -> None:
        self.name = name
        self.parser = parser
        self.workouts: list[Workout] = []
        self.weighings: list[Weighing] = []
        self.spool = Spool()
        self.sources: dict[str, int] = {}
        self.workout: Workout | None = None
        self.in_route = False
        self.bad_records = 0
        self.bad_workouts: list[str] = []
        self._units: dict[tuple[str, str | None], float] = {}

    def source_code(self, name: str) -> int:
        code = self.sources.get(name)
        if code is None:
            code = self.sources[name] = len(self.sources)
        return code

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "Record":
            if self.workout is not None:
                return  # records inside a workout do not exist in the DTD; ignore rather than fail
            kind = attrs.get("type", "")
            column = STREAM_TYPES.get(kind)
            if column is not None:
                self._sample(column, attrs)
            elif kind == "HKQuantityTypeIdentifierBodyMass":
                self._weighing(attrs)
        elif tag == "Workout":
            self._open_workout(attrs)
        elif self.workout is not None:
            self._workout_child(tag, attrs)

    def end(self, tag: str) -> None:
        if tag == "Workout" and self.workout is not None:
            self.workouts.append(self.workout)
            self.workout = None
        elif tag == "WorkoutRoute":
            self.in_route = False

    def _sample(self, column: str, attrs: dict[str, str]) -> None:
        value = _number(attrs.get("value"))
        try:
            start, end = attrs["startDate"], attrs["endDate"]
            t0 = epoch(start)
            t1 = t0 if end == start else epoch(end)
        except (KeyError, ValueError):
            self.bad_records += 1
            return
        if value is None:
            self.bad_records += 1
            return
        unit = attrs.get("unit")
        key = (column, unit)
        factor = self._units.get(key)
        if factor is None:
            factor = self._units[key] = stream_value(column, 1.0, unit, self.name)
        self.spool.add(
            t0, t1, value * factor, COLUMN_CODES[column], self.source_code(attrs.get("sourceName", ""))
        )

    def _weighing(self, attrs: dict[str, str]) -> None:
        value = _number(attrs.get("value"))
        try:
            at, offset = parse_date(attrs["startDate"])
        except (KeyError, ValueError):
            self.bad_records += 1
            return
        if value is None:
            self.bad_records += 1
            return
        self.weighings.append(Weighing(at, offset, value, attrs.get("unit")))

    def _open_workout(self, attrs: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        try:
            start, offset = parse_date(attrs["startDate"])
            end = parse_date(attrs["endDate"])[0]
        except (KeyError, ValueError) as exc:
            self.bad_workouts.append(f"line {line}: workout without a usable start or end ({exc})")
            self.workout = None
            return
        self.workout = Workout(
            activity_type=attrs.get("workoutActivityType", ""),
            source=attrs.get("sourceName", ""),
            start=start,
            end=end,
            offset_s=offset,
            start_text=attrs["startDate"],
            end_text=attrs["endDate"],
            duration=_number(attrs.get("duration")),
            duration_unit=attrs.get("durationUnit"),
            total_distance=_number(attrs.get("totalDistance")),
            total_distance_unit=attrs.get("totalDistanceUnit"),
            device=attrs.get("device"),
            line=line,
        )

    def _workout_child(self, tag: str, attrs: dict[str, str]) -> None:
        workout = self.workout
        assert workout is not None
        if tag == "MetadataEntry":
            if not self.in_route and "key" in attrs:
                workout.metadata[attrs["key"]] = attrs.get("value", "")
        elif tag == "WorkoutEvent":
            try:
                at = parse_date(attrs["date"])[0]
            except (KeyError, ValueError):
                return
            duration = _number(attrs.get("duration"))
            if duration is not None:
                from backstride.importers.apple_health.units import seconds

                try:
                    duration = seconds(duration, attrs.get("durationUnit") or "min", self.name)
                except BadFileError:
                    duration = None
            workout.events.append(Event(attrs.get("type", ""), at, duration))
        elif tag == "WorkoutStatistics":
            kind = attrs.get("type", "")
            workout.statistics[kind] = Statistic(
                kind,
                _number(attrs.get("average")),
                _number(attrs.get("minimum")),
                _number(attrs.get("maximum")),
                _number(attrs.get("sum")),
                attrs.get("unit"),
            )
        elif tag == "WorkoutRoute":
            self.in_route = True
        elif tag == "FileReference" and attrs.get("path"):
            workout.routes.append(attrs["path"])


_RECORD = b'<Record type="'
_KEPT_TYPES = frozenset(t.encode() for t in (*STREAM_TYPES, "HKQuantityTypeIdentifierBodyMass"))


def prefilter(block: bytes) -> bytes:
    """``block`` (whole lines) with the lines of records no run needs blanked out, before expat sees them.

    Most of a big export is records of other types (energy, audio exposure, ...); building expat's
    attribute dictionaries for them is most of the parse time. Only a line that holds exactly one
    self-closing ``<Record type="...".../>`` of another type is blanked (its newline stays, so line
    numbers in messages still match the file); anything else is left to the parser.
    """
    out: list[bytes] = []
    keep = out.append
    for line in block.split(b"\n"):
        at = line.find(_RECORD, 0, 16)
        if at >= 0 and line.endswith(b"/>"):
            start = at + len(_RECORD)
            kind = line[start : line.find(b'"', start)]
            if kind not in _KEPT_TYPES and line.count(b"<") == 1:
                keep(b"")
                continue
        keep(line)
    return b"\n".join(out)


def _skip_dtd(head: bytes, name: str) -> bytes:
    """The head of the file from ``<HealthData`` on, after an XML declaration of our own."""
    at = head.find(b"<HealthData")
    if at < 0:
        raise BadFileError(name, "not an Apple Health export.xml (no <HealthData> element near the start)")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + head[at:]


def scan_export(stream: IO[bytes], name: str, progress: Any = None) -> ScanResult:
    """Read ``export.xml`` from ``stream`` in one pass (see the module's docstring).

    ``progress(bytes_read)`` is called after each megabyte. A file that breaks off part-way (a damaged
    or truncated export) keeps what was read before the break; the break is listed in ``problems``.
    """
    parser = expat.ParserCreate()
    handler = _Handler(name, parser)
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.buffer_text = True
    head = b""
    while b"<HealthData" not in head:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        head += chunk
        if len(head) > HEAD_LIMIT:
            break
    read = len(head)
    problems: list[str] = []
    try:
        try:
            pending = _skip_dtd(head, name)
            while True:
                chunk = stream.read(CHUNK)
                read += len(chunk)
                if chunk:
                    pending += chunk
                    cut = pending.rfind(b"\n") + 1
                    if not cut:  # no line breaks at all: straight to the parser, unfiltered
                        parser.Parse(pending, False)
                        pending = b""
                        continue
                    block, pending = pending[:cut], pending[cut:]
                else:
                    block, pending = pending, b""
                parser.Parse(prefilter(block), False)
                if progress is not None:
                    progress(read)
                if not chunk:
                    break
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            problems.append(
                f"export.xml breaks off at line {exc.lineno}: {expat.ErrorString(exc.code)} "
                "(a damaged or truncated export?); what came before it was read"
            )
        handler.spool.close_writing()
    except BaseException:
        handler.spool.discard()
        raise
    if handler.bad_records:
        problems.append(f"{handler.bad_records} records without a usable date or value were left out")
    problems.extend(handler.bad_workouts)
    sources = [n for n, _ in sorted(handler.sources.items(), key=lambda item: item[1])]
    return ScanResult(handler.workouts, handler.weighings, handler.spool, sources, problems)


__all__ = ["Event", "ScanResult", "Spool", "Statistic", "Weighing", "Workout", "parse_date", "scan_export"]
