"""Helpers shared by the GPX and TCX readers: safe XML parsing, tag names, timestamps, numbers.

XML is parsed with lxml with entity expansion, DTD loading and network access off and the default
size limits on (``huge_tree=False``), so a hostile file can neither reach out nor blow up in memory.
Recordings are read incrementally (:func:`iter_elements`): each track point is read and then dropped,
so memory follows the number of points (kept as compact arrays), not the size of the XML.
"""

from __future__ import annotations

import io
import math
from array import array
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
from lxml import etree

from backstride.errors import BadFileError

if TYPE_CHECKING:
    from backstride.importers.model import Readable

#: The most track points one file may hold: eleven days at one a second.
MAX_POINTS = 1_000_000


def iter_elements(
    source: bytes | Readable,
    name: str,
    kind: str,
    tags: Sequence[str],
    events: tuple[str, ...] = ("end",),
) -> Iterator[tuple[str, etree._Element]]:
    """``(event, element)`` for every element whose local name (any namespace) is in ``tags``,
    parsing incrementally and safely. The caller drops what it has read (:func:`drop`). A syntax
    error is a :class:`BadFileError` naming ``kind``."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    context = etree.iterparse(
        stream,
        events=events,
        tag=["{*}" + tag for tag in tags],
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        yield from context
    except etree.XMLSyntaxError as exc:
        reason = f"{kind} file is not well-formed XML (truncated or corrupt?): {exc}"
        raise BadFileError(name, reason) from exc


def root_of(element: etree._Element) -> etree._Element:
    return element.getroottree().getroot()


def drop(element: etree._Element) -> None:
    """Free a read element and the siblings read before it (incremental parsing keeps them)."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class PointBuffer:
    """Track points as text, converted a batch at a time into compact float columns.

    Text is collected per point (cheap) and turned into numbers in bulk with numpy every
    :attr:`batch` points, so memory stays a few bytes a value however large the file.
    ``time`` becomes seconds since the Unix epoch (NaN where it is not a timestamp).
    """

    batch = 20_000

    def __init__(self, names: Sequence[str]) -> None:
        self.names = ("time", *names)
        self.pending: dict[str, list[str | None]] = {n: [] for n in self.names}
        self.values: dict[str, array[float]] = {n: array("d") for n in self.names}
        self.offset: int | None = None
        self.first = True

    def add(self, time: str, found: dict[str, str | None]) -> None:
        self.pending["time"].append(time)
        for n in self.names[1:]:
            self.pending[n].append(found.get(n))
        if len(self.pending["time"]) >= self.batch:
            self.flush()

    def flush(self) -> None:
        times = self.pending["time"]
        if not times:
            return
        if self.first:
            first = parse_time(times[0])
            self.offset = None if first is None else first[1]
            self.first = False
        self.values["time"].extend(epoch_seconds(times))
        for n in self.names[1:]:
            self.values[n].extend(floats(self.pending[n]))
        for n in self.names:
            self.pending[n] = []

    def __len__(self) -> int:
        return len(self.values["time"]) + len(self.pending["time"])

    def column(self, n: str) -> np.ndarray:
        self.flush()
        return np.frombuffer(self.values[n], dtype=np.float64).copy()


def floats(texts: Sequence[str | None]) -> np.ndarray:
    """Numbers from XML text in bulk; NaN where missing or not a number (infinities are kept, for the
    plausibility check to report)."""
    try:
        return np.array(["nan" if t is None else t for t in texts], dtype=np.float64)
    except ValueError:
        out = np.empty(len(texts))
        for i, text in enumerate(texts):
            try:
                out[i] = float(text) if text is not None else math.nan
            except ValueError:
                out[i] = math.nan
        return out


def epoch_seconds(texts: Sequence[str | None]) -> np.ndarray:
    """Seconds since the Unix epoch for ISO 8601 timestamps in bulk (see :func:`parse_time`); NaN
    where a text is not a timestamp. ``...Z`` times take a vectorised path."""
    if all(t is not None and t.endswith("Z") and "T" in t for t in texts):
        try:
            stamps = np.array([t[:-1] for t in texts], dtype="datetime64[us]")  # type: ignore[index]
            return stamps.astype(np.int64).astype(np.float64) / 1e6
        except (ValueError, OverflowError):
            pass
    out = np.empty(len(texts))
    for i, text in enumerate(texts):
        stamp = parse_time(text)
        out[i] = math.nan if stamp is None else stamp[0]
    return out


def local(tag: object) -> str:
    """The tag name without its namespace (``{ns}trkpt`` -> ``trkpt``); ``""`` for comments and such."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def children(element: etree._Element, name: str) -> list[etree._Element]:
    """Direct children called ``name`` in any namespace (or none)."""
    return list(element.iterchildren("{*}" + name))


class TagMap:
    """Maps element tags onto field names by their local name, case-insensitively, with a cache.

    Track points repeat the same few tags thousands of times; looking the full tag up in a dict is much
    faster than splitting off the namespace each time.
    """

    def __init__(self, fields: dict[str, str]) -> None:
        self._fields = {key.lower(): value for key, value in fields.items()}
        self._cache: dict[object, str | None] = {}

    def __call__(self, tag: object) -> str | None:
        try:
            return self._cache[tag]
        except KeyError:
            field = self._fields.get(local(tag).lower())
            self._cache[tag] = field
            return field


def child_text(element: etree._Element, name: str) -> str | None:
    """The stripped text of the first direct child called ``name`` (any namespace), or ``None``."""
    for child in element:
        if local(child.tag) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def to_float(text: str | None) -> float:
    """A float from XML text; NaN when missing or not a finite number."""
    if text is None:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def parse_time(text: str | None) -> tuple[float, int | None] | None:
    """``(seconds since the Unix epoch, UTC offset in seconds or None)`` for an ISO 8601 timestamp.

    Sub-second parts and offsets (``+01:00``, ``Z``) are honoured; a time with no offset is taken as
    UTC (GPX and TCX both specify UTC). The offset is ``None`` for ``Z`` or no offset (the local offset
    is then unknown). ``None`` when the text is not a timestamp.
    """
    if not text:
        return None
    text = text.strip()
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        # Python 3.11 refuses more than 6 fractional digits in some forms; cut them and retry.
        dot = text.find(".")
        if dot < 0:
            return None
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        try:
            stamp = datetime.fromisoformat(text[: min(end, dot + 7)] + text[end:])
        except ValueError:
            return None
    offset: int | None = None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    else:
        delta = stamp.utcoffset()
        if delta is not None and not text.upper().endswith("Z"):
            offset = int(delta.total_seconds())
    return stamp.timestamp(), offset


def utc_datetime(epoch_s: float) -> datetime:
    """An aware UTC datetime for seconds since the Unix epoch."""
    return datetime.fromtimestamp(epoch_s, tz=UTC)


def column(values: list[float]) -> np.ndarray | None:
    """A float64 array, or ``None`` when no value is finite (the file does not record that channel)."""
    array = np.asarray(values, dtype=np.float64)
    return array if np.isfinite(array).any() else None


def format_time(epoch_s: float) -> str:
    """``2024-05-01T07:30:00.250Z``: ISO 8601 in UTC, with milliseconds only when needed."""
    stamp = utc_datetime(epoch_s)
    if stamp.microsecond:
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
