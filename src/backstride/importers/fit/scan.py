"""Walk a FIT file's message headers: the only per-message Python loop of the decoder.

The walk reads file headers (several FIT files may be chained in one), definition messages (with
developer field definitions) and, for every data message, only its header byte: it appends the
message's offset to the list of its current definition and jumps by the definition's size. All field
decoding happens later, per definition, in numpy (see :mod:`backstride.importers.fit.decode`).

A file that breaks part-way (an undefined local message, a bad definition, a message cut off by the end
of the file) stops the walk; everything before the break is kept and :attr:`Scan.break_reason` says why.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass, field

from backstride.errors import FitHeaderError, FitTooLargeError
from backstride.importers.fit.crc import crc16, crc16_small

FILE_HEADER_SIZES = (12, 14)
#: The most data messages a file may hold: a week of one-second records, with their HRV and events,
#: is well under a million. More is a corrupt or hostile file, refused before it exhausts memory.
MAX_MESSAGES = 2_000_000
_HEADER = struct.Struct("<BBHI4s")


@dataclass
class FieldDef:
    """One field of a definition message: number, size in bytes, base type id, byte offset in the message."""

    num: int
    size: int
    base_type: int
    offset: int


@dataclass
class DevFieldDef:
    """One developer field of a definition: field number, size, developer data index, byte offset."""

    num: int
    size: int
    dev_index: int
    offset: int


@dataclass
class Definition:
    """A definition message and the offsets (of the header byte) of every data message that uses it."""

    global_num: int
    big_endian: bool
    size: int
    fields: list[FieldDef]
    dev_fields: list[DevFieldDef]
    offsets: array[int] = field(default_factory=lambda: array("q"))


@dataclass
class Scan:
    """The result of the header walk."""

    definitions: list[Definition]
    files: int = 0
    crc_errors: list[str] = field(default_factory=list)
    break_at: int | None = None
    break_reason: str | None = None
    trailing_bytes: int = 0


def parse_file_header(data: bytes, pos: int) -> tuple[int, int]:
    """``(header_size, data_size)`` of the FIT file header at ``pos``; :class:`FitHeaderError` if none."""
    if len(data) - pos < 12:
        raise FitHeaderError("too short for a FIT header")
    header_size, _protocol, _profile, data_size, magic = _HEADER.unpack_from(data, pos)
    if magic != b".FIT":
        raise FitHeaderError("no '.FIT' signature in the header")
    if header_size not in FILE_HEADER_SIZES or len(data) - pos < header_size:
        raise FitHeaderError(f"header size {header_size} is not 12 or 14")
    return header_size, data_size


def _parse_definition(data: bytes, p: int, end: int, header: int) -> tuple[Definition, int]:
    """Parse the definition message at ``p``; returns it and the offset after it."""
    if p + 6 > end:
        raise IndexError("definition message cut off")
    arch = data[p + 2]
    if arch > 1:
        raise ValueError(f"bad architecture byte {arch} in a definition message")
    big = arch == 1
    global_num = int.from_bytes(data[p + 3 : p + 5], "big" if big else "little")
    count = data[p + 5]
    q = p + 6
    if q + 3 * count > end:
        raise IndexError("definition message cut off")
    fields: list[FieldDef] = []
    offset = 0
    for i in range(count):
        num, size, base = data[q + 3 * i], data[q + 3 * i + 1], data[q + 3 * i + 2]
        fields.append(FieldDef(num, size, base & 0x1F, offset))
        offset += size
    q += 3 * count
    dev_fields: list[DevFieldDef] = []
    if header & 0x20:
        if q + 1 > end:
            raise IndexError("definition message cut off")
        dev_count = data[q]
        q += 1
        if q + 3 * dev_count > end:
            raise IndexError("definition message cut off")
        for i in range(dev_count):
            num, size, index = data[q + 3 * i], data[q + 3 * i + 1], data[q + 3 * i + 2]
            dev_fields.append(DevFieldDef(num, size, index, offset))
            offset += size
        q += 3 * dev_count
    return Definition(global_num, big, offset, fields, dev_fields), q


def _walk(data: bytes, start: int, end: int, definitions: list[Definition]) -> tuple[int, str | None]:
    """Walk the messages in ``data[start:end]``; returns where it stopped and why (``None`` if clean)."""
    sizes = [0] * 16  # bytes per data message including its header; 0 = undefined
    lists: list[array[int]] = [array("q") for _ in range(16)]
    p = start
    last: array[int] | None = None
    budget = MAX_MESSAGES - sum(len(d.offsets) for d in definitions)
    while p < end:
        h = data[p]
        if h & 0x80:
            lt = (h >> 5) & 0x03
        elif h & 0x40:
            try:
                definition, q = _parse_definition(data, p, end, h)
            except IndexError:
                return p, "a definition message is cut off"
            except ValueError as exc:
                return p, str(exc)
            lt = h & 0x0F
            definitions.append(definition)
            sizes[lt] = definition.size + 1
            lists[lt] = definition.offsets
            last = None
            p = q
            continue
        else:
            lt = h & 0x0F
        size = sizes[lt]
        if not size:
            return p, f"local message {lt} is not defined"
        last = lists[lt]
        last.append(p)
        p += size
        budget -= 1
        if budget < 0:
            raise FitTooLargeError(f"holds more than {MAX_MESSAGES:,} messages")
    if p > end and last is not None:
        p = last.pop()
        return p, "the last message is cut off"
    return p, None


def scan(data: bytes) -> Scan:
    """Walk every chained FIT file in ``data``; :class:`FitHeaderError` when the first header is bad."""
    result = Scan(definitions=[])
    n = len(data)
    pos = 0
    while pos < n:
        try:
            header_size, data_size = parse_file_header(data, pos)
        except FitHeaderError:
            if pos == 0:
                raise
            result.trailing_bytes = n - pos
            break
        if header_size == 14 and pos + 14 <= n:
            stored = int.from_bytes(data[pos + 12 : pos + 14], "little")
            if stored and crc16_small(data[pos : pos + 12]) != stored:
                result.crc_errors.append(f"header CRC mismatch at byte {pos}")
        start = pos + header_size
        end = start + data_size
        result.files += 1
        stop, reason = _walk(data, start, min(end, n), result.definitions)
        if reason is None and end > n:
            reason = "the file ends before the length its header states"
        if reason is not None:
            result.break_at = stop
            result.break_reason = reason
            break
        if end + 2 <= n:
            stored = int.from_bytes(data[end : end + 2], "little")
            if crc16(data, pos, end) != stored:
                result.crc_errors.append(f"file CRC mismatch (file {result.files}, bytes {pos}-{end})")
        else:
            result.crc_errors.append("file CRC missing")
        pos = end + 2
    return result
