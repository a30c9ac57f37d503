"""Helpers shared by the GPX and TCX readers: safe XML parsing, tag names, timestamps, numbers.

XML is parsed with lxml with entity expansion, DTD loading and network access off and the default
size limits on (``huge_tree=False``), so a hostile file can neither reach out nor blow up in memory.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from lxml import etree

from backstride.errors import BadFileError


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, name: str, kind: str) -> etree._Element:
    """The root element of ``data``; a :class:`BadFileError` naming ``kind`` when it is not well-formed."""
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        reason = f"{kind} file is not well-formed XML (truncated or corrupt?): {exc}"
        raise BadFileError(name, reason) from exc
    if root is None:
        raise BadFileError(name, f"{kind} file holds no XML element")
    return root


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
