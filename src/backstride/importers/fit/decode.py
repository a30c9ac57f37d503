"""Vectorised FIT decoding: every definition's data messages at once through a numpy structured dtype.

:func:`decode` walks the headers (:func:`~backstride.importers.fit.scan.scan`), then groups the
definitions by global message. A :class:`MessageTable` decodes a column only when asked for it: the
raw values of every message of one definition come from one gather + ``view`` of the file's bytes,
invalid values become NaN, and the profile's scale and offset apply (``raw / scale - offset``).
Component fields are expanded on request (``speed`` from ``compressed_speed_distance``,
``enhanced_altitude`` from ``altitude``), accumulating where the profile says so. Compressed
timestamps are rebuilt for all messages at once (5-bit rollover against the last full timestamp).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from backstride.importers.fit.profile import BASE_TYPES, FieldInfo, MessageInfo, profile
from backstride.importers.fit.scan import Definition, Scan, scan

TIMESTAMP_FIELD = 253
_BYTE_TYPE = 0x0D
_STRING_TYPE = 0x07


@dataclass
class DevField:
    """A developer field's description (from ``field_description`` messages)."""

    name: str
    base_type: int
    scale: float
    offset: float
    units: str
    native_field: int | None


@dataclass
class _Part:
    """The messages of one definition within a table: their raw rows and their rows in the table."""

    definition: Definition
    rows: np.ndarray
    index: np.ndarray | slice


def _raw_rows(buf: np.ndarray, definition: Definition) -> np.ndarray:
    """The data bytes of every message of ``definition`` as an ``(n, size)`` uint8 array."""
    offsets = np.asarray(definition.offsets, dtype=np.int64) + 1
    size = definition.size
    if size == 0:
        return np.zeros((len(offsets), 0), dtype=np.uint8)
    out = np.empty((len(offsets), size), dtype=np.uint8)
    columns = np.arange(size)
    step = max(1, (1 << 21) // size)  # gather a block at a time: the index is 8 bytes a byte
    for a in range(0, len(offsets), step):
        out[a : a + step] = buf[offsets[a : a + step, None] + columns]
    return out


def _as_float(raw: np.ndarray, base_type: int) -> np.ndarray:
    """Raw integer/float values as float64 with the base type's invalid value as NaN."""
    spec = BASE_TYPES.get(base_type)
    values = raw.astype(np.float64)
    if spec is None or spec.kind == "f":
        return values
    values[raw == spec.invalid] = np.nan
    return values


class MessageTable:
    """All messages of one global message number, in file order, decoded column by column on demand."""

    def __init__(
        self, info: MessageInfo, parts: list[_Part], size: int, dev: dict[tuple[int, int], DevField]
    ):
        self.info = info
        self.parts = parts
        self.size = size
        self._dev = dev
        self._cache: dict[str, np.ndarray | None] = {}
        self.timestamps: np.ndarray | None = None

    def __len__(self) -> int:
        return self.size

    @property
    def name(self) -> str:
        return self.info.name

    def _field_raw(self, part: _Part, num: int) -> tuple[np.ndarray, int] | None:
        """The raw values of field ``num`` in one part, with its base type id; ``None`` if absent."""
        for fdef in part.definition.fields:
            if fdef.num == num:
                return self._slice(part, fdef.offset, fdef.size, fdef.base_type), fdef.base_type
        return None

    def _slice(self, part: _Part, offset: int, size: int, base_type: int) -> np.ndarray:
        spec = BASE_TYPES.get(base_type)
        chunk = part.rows[:, offset : offset + size]
        if spec is None or spec.kind == "S" or size == 0 or size % spec.size:
            return chunk
        dtype = spec.dtype(part.definition.big_endian)
        values = np.ascontiguousarray(chunk).view(dtype)
        return values[:, 0] if values.shape[1] == 1 else values

    def _scatter(self, pieces: list[tuple[_Part, np.ndarray]]) -> np.ndarray:
        out = np.full(self.size, np.nan)
        for part, values in pieces:
            out[part.index] = values
        return out

    def column(self, name: str) -> np.ndarray | None:
        """Scaled float64 values of the field ``name`` (NaN where invalid or absent), or ``None``.

        Developer fields are named ``dev:<field_name>``. The first element of an array field is used.
        """
        if name in self._cache:
            return self._cache[name]
        if name == "timestamp" and self.timestamps is not None:
            return self.timestamps
        result = self._dev_column(name[4:]) if name.startswith("dev:") else self._native_column(name)
        self._cache[name] = result
        return result

    def _native_column(self, name: str) -> np.ndarray | None:
        info = self.info.by_name.get(name)
        if info is None:
            return None
        pieces: list[tuple[_Part, np.ndarray]] = []
        for part in self.parts:
            found = self._field_raw(part, info.num)
            if found is None:
                continue
            raw, base_type = found
            if raw.ndim > 1:
                if raw.shape[1] == 0 or (raw.dtype == np.uint8 and base_type in (_BYTE_TYPE, _STRING_TYPE)):
                    continue
                raw = raw[:, 0]
            values = _as_float(raw, base_type)
            if info.scale != 1.0 or info.offset != 0.0:
                values = values / info.scale - info.offset
            pieces.append((part, values))
        if pieces:
            values = self._scatter(pieces)
            if not np.isnan(values).all():
                return values
        return self._component_column(info)

    def _component_column(self, target: FieldInfo) -> np.ndarray | None:
        """Values of ``target`` expanded from the components of other fields, or ``None``."""
        for source in self.info.fields.values():
            for index, component in enumerate(source.components):
                if component.target != target.num:
                    continue
                shift = sum(c.bits for c in source.components[:index])
                mask = (1 << component.bits) - 1
                pieces: list[tuple[_Part, np.ndarray]] = []
                for part in self.parts:
                    found = self._field_raw(part, source.num)
                    if found is None:
                        continue
                    raw, base_type = found
                    packed, valid = _packed_bits(raw, base_type)
                    values = ((packed >> np.uint64(shift)) & np.uint64(mask)).astype(np.float64)
                    values[~valid] = np.nan
                    pieces.append((part, values))
                if not pieces:
                    continue
                values = self._scatter(pieces)
                if component.accumulate:
                    values = _accumulate(values, component.bits)
                return values / component.scale - component.offset
        return None

    def _dev_column(self, name: str) -> np.ndarray | None:
        pieces: list[tuple[_Part, np.ndarray]] = []
        for part in self.parts:
            for dfield in part.definition.dev_fields:
                desc = self._dev.get((dfield.dev_index, dfield.num))
                if desc is None or desc.name != name:
                    continue
                raw = self._slice(part, dfield.offset, dfield.size, desc.base_type)
                if raw.ndim > 1:
                    if raw.shape[1] == 0 or (
                        raw.dtype == np.uint8 and desc.base_type in (_BYTE_TYPE, _STRING_TYPE)
                    ):
                        continue
                    raw = raw[:, 0]
                values = _as_float(raw, desc.base_type) / (desc.scale or 1.0) - desc.offset
                pieces.append((part, values))
        return self._scatter(pieces) if pieces else None

    def dev_field_names(self) -> list[str]:
        """Names of the developer fields these messages carry."""
        names = {
            desc.name
            for part in self.parts
            for dfield in part.definition.dev_fields
            if (desc := self._dev.get((dfield.dev_index, dfield.num))) is not None
        }
        return sorted(names)

    def dev_field(self, name: str) -> DevField | None:
        """The description of a developer field by name."""
        return next((d for d in self._dev.values() if d.name == name), None)

    def strings(self, name: str) -> list[str | None]:
        """Values of a string field, one per message (``None`` where absent)."""
        info = self.info.by_name.get(name)
        out: list[str | None] = [None] * self.size
        if info is None:
            return out
        for part in self.parts:
            found = self._field_raw(part, info.num)
            if found is None:
                continue
            raw, _ = found
            rows = np.arange(self.size)[part.index]
            for row, chunk in zip(rows.tolist(), np.atleast_2d(raw), strict=False):
                text = bytes(chunk).split(b"\0", 1)[0].decode("utf-8", "replace")
                out[row] = text or None
        return out


def _packed_bits(raw: np.ndarray, base_type: int) -> tuple[np.ndarray, np.ndarray]:
    """A field's value as uint64 bits (byte arrays little-endian, as FIT packs components) and validity."""
    if raw.ndim == 1:
        spec = BASE_TYPES[base_type]
        if spec.kind == "f":  # components are never packed into floats; treat as absent
            return np.zeros(len(raw), dtype=np.uint64), np.zeros(len(raw), dtype=bool)
        return raw.astype(np.uint64), raw != spec.invalid
    if raw.shape[1] == 0:
        return np.zeros(len(raw), dtype=np.uint64), np.zeros(len(raw), dtype=bool)
    if raw.dtype == np.uint8:
        packed = np.zeros(len(raw), dtype=np.uint64)
        for i in range(min(raw.shape[1], 8)):
            packed |= raw[:, i].astype(np.uint64) << np.uint64(8 * i)
        valid = ~(raw == 0xFF).all(axis=1)
        return packed, valid
    return raw[:, 0].astype(np.uint64), np.ones(len(raw), dtype=bool)


def _accumulate(values: np.ndarray, bits: int) -> np.ndarray:
    """Unroll a ``bits``-wide rolling counter into a running total (NaN stays NaN)."""
    out = np.full(len(values), np.nan)
    valid = np.isfinite(values)
    v = values[valid].astype(np.int64)
    if len(v):
        steps = np.diff(v) % (1 << bits)
        out[valid] = v[0] + np.concatenate([[0], np.cumsum(steps)])
    return out


@dataclass
class FitData:
    """A decoded FIT file: message tables by name, plus how the walk ended."""

    tables: dict[str, MessageTable]
    scan: Scan
    compressed_timestamps: int = 0
    dev_fields: dict[tuple[int, int], DevField] = field(default_factory=dict)

    def table(self, name: str) -> MessageTable | None:
        """The messages called ``name`` (``"record"``, ``"session"`` ...), or ``None`` if there are none."""
        return self.tables.get(name)

    def count(self, name: str) -> int:
        table = self.tables.get(name)
        return 0 if table is None else len(table)


def _unknown_info(num: int) -> MessageInfo:
    return MessageInfo(num=num, name=f"unknown_{num}")


def _dev_descriptions(table: MessageTable | None) -> dict[tuple[int, int], DevField]:
    if table is None:
        return {}
    index = table.column("developer_data_index")
    number = table.column("field_definition_number")
    base = table.column("fit_base_type_id")
    scale = table.column("scale")
    offset = table.column("offset")
    native = table.column("native_field_num")
    names = table.strings("field_name")
    units = table.strings("units")
    out: dict[tuple[int, int], DevField] = {}
    for i in range(len(table)):
        if index is None or number is None or base is None or np.isnan(index[i]) or np.isnan(number[i]):
            continue
        out[(int(index[i]), int(number[i]))] = DevField(
            name=names[i] or f"field_{int(number[i])}",
            base_type=int(base[i]) & 0x1F if np.isfinite(base[i]) else _BYTE_TYPE,
            scale=float(scale[i]) if scale is not None and np.isfinite(scale[i]) else 1.0,
            offset=float(offset[i]) if offset is not None and np.isfinite(offset[i]) else 0.0,
            units=units[i] or "",
            native_field=int(native[i]) if native is not None and np.isfinite(native[i]) else None,
        )
    return out


def decode(data: bytes) -> FitData:
    """Decode a FIT file (or several chained) into message tables; see the module docstring."""
    walked = scan(data)
    buf = np.frombuffer(data, dtype=np.uint8)
    prof = profile()
    groups: dict[int, list[tuple[Definition, np.ndarray]]] = {}
    for definition in walked.definitions:
        if definition.offsets:
            groups.setdefault(definition.global_num, []).append(
                (definition, np.asarray(definition.offsets, dtype=np.int64))
            )
    tables: dict[str, MessageTable] = {}
    placeholder: dict[tuple[int, int], DevField] = {}
    for num, defs in groups.items():
        info = prof.messages.get(num) or _unknown_info(num)
        parts: list[_Part] = []
        if len(defs) == 1:
            definition, offsets = defs[0]
            parts.append(_Part(definition, _raw_rows(buf, definition), slice(None)))
            size = len(offsets)
        else:
            all_offsets = np.concatenate([offsets for _, offsets in defs])
            rank = np.empty(len(all_offsets), dtype=np.int64)
            rank[np.argsort(all_offsets, kind="stable")] = np.arange(len(all_offsets))
            start = 0
            for definition, offsets in defs:
                index = rank[start : start + len(offsets)]
                start += len(offsets)
                parts.append(_Part(definition, _raw_rows(buf, definition), index))
            size = len(all_offsets)
        tables[info.name] = MessageTable(info, parts, size, placeholder)
    dev = _dev_descriptions(tables.get("field_description"))
    placeholder.update(dev)
    result = FitData(tables=tables, scan=walked, dev_fields=dev)
    result.compressed_timestamps = _rebuild_timestamps(buf, groups, tables, prof.messages)
    return result


def _rebuild_timestamps(
    buf: np.ndarray,
    groups: dict[int, list[tuple[Definition, np.ndarray]]],
    tables: dict[str, MessageTable],
    messages: dict[int, MessageInfo],
) -> int:
    """Fill ``timestamps`` of every table when the file uses compressed-timestamp headers.

    A compressed header carries the low 5 bits of the time; the full time is the previous timestamp
    (full or rebuilt) plus the 5-bit difference. Returns the number of compressed headers.
    """
    compressed_flags = {id(d): (buf[offsets] & 0x80) != 0 for defs in groups.values() for d, offsets in defs}
    total = int(sum(int(flags.sum()) for flags in compressed_flags.values()))
    if total == 0:
        return 0
    offsets_all: list[np.ndarray] = []
    full_all: list[np.ndarray] = []
    low_all: list[np.ndarray] = []
    comp_all: list[np.ndarray] = []
    for num, defs in groups.items():
        table = tables[(messages.get(num) or _unknown_info(num)).name]
        for part, (definition, offsets) in zip(table.parts, defs, strict=True):
            flags = compressed_flags[id(definition)]
            found = table._field_raw(part, TIMESTAMP_FIELD)
            full = np.full(len(offsets), np.nan)
            if found is not None and found[0].ndim == 1:
                full = _as_float(found[0], found[1])
            full[flags] = np.nan
            offsets_all.append(offsets)
            full_all.append(full)
            low_all.append((buf[offsets] & 0x1F).astype(np.int64))
            comp_all.append(flags)
    offsets_cat = np.concatenate(offsets_all)
    order = np.argsort(offsets_cat, kind="stable")
    full = np.concatenate(full_all)[order]
    low = np.concatenate(low_all)[order]
    comp = np.concatenate(comp_all)[order]
    relevant = comp | np.isfinite(full)
    f = full[relevant]
    c = comp[relevant]
    lo = np.where(c, low[relevant], np.where(np.isfinite(f), np.nan_to_num(f).astype(np.int64) & 0x1F, 0))
    steps = np.zeros(len(f), dtype=np.int64)
    if len(f) > 1:
        steps[1:] = (lo[1:] - lo[:-1]) % 32
    steps[~c] = 0
    anchor_pos = np.where(~c, np.arange(len(f)), -1)
    np.maximum.accumulate(anchor_pos, out=anchor_pos)
    anchor = np.where(anchor_pos >= 0, f[np.maximum(anchor_pos, 0)], 0.0)
    if len(c) and c[0]:  # compressed headers before any full timestamp: count from 0
        steps[0] = lo[0]
    cum = np.cumsum(steps)
    base = np.where(anchor_pos >= 0, cum[np.maximum(anchor_pos, 0)], 0)
    rebuilt = np.where(c, anchor + (cum - base), f)
    times = np.full(len(full), np.nan)
    times[relevant] = rebuilt
    back = np.empty(len(order), dtype=np.int64)
    back[order] = np.arange(len(order))
    start = 0
    for num, defs in groups.items():
        table = tables[(messages.get(num) or _unknown_info(num)).name]
        pieces: list[tuple[_Part, np.ndarray]] = []
        for part, (_, offsets) in zip(table.parts, defs, strict=True):
            pieces.append((part, times[back[start : start + len(offsets)]]))
            start += len(offsets)
        table.timestamps = table._scatter(pieces)
    return total
