"""The FIT message and field profile, taken at run time from garmin-fit-sdk (never copied by hand).

:func:`profile` loads it once and caches it: message numbers and names, per-field numbers, names, base
types, scales, offsets, units, components and enum type tables. FIT base types (sizes, invalid values,
numpy type codes) are listed in :data:`BASE_TYPES`; they belong to the protocol, not the profile, and
come from ``garmin_fit_sdk.fit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

#: Seconds between the Unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
FIT_EPOCH_S = 631_065_600
#: FIT ``date_time`` values below this are seconds since device power-up, not since the FIT epoch.
MIN_ABSOLUTE_DATE_TIME = 0x10000000
#: Degrees per semicircle (positions are stored as sint32 semicircles).
SEMICIRCLE_DEG = 180.0 / 2**31


@dataclass(frozen=True)
class BaseType:
    """One FIT base type: id, byte size, numpy kind (``'u'``, ``'i'``, ``'f'``, ``'S'``), invalid value."""

    id: int
    name: str
    size: int
    kind: str
    invalid: int

    def dtype(self, big_endian: bool) -> np.dtype[Any]:
        """The numpy dtype of one value in the given byte order."""
        if self.kind == "S":
            return np.dtype("u1")
        order = ">" if big_endian else "<"
        return np.dtype(f"{order}{self.kind}{self.size}")


def _base_types() -> dict[int, BaseType]:
    from garmin_fit_sdk import fit as sdk_fit

    out: dict[int, BaseType] = {}
    for type_id, spec in sdk_fit.BASE_TYPE_DEFINITIONS.items():
        name = sdk_fit.BASE_TYPE_TO_FIELD_TYPE[type_id]
        code = spec["type_code"]
        kind = "S" if code == "s" else "f" if code in "fd" else "i" if spec["signed"] else "u"
        out[type_id] = BaseType(type_id, name, int(spec["size"]), kind, int(spec["invalid"]))
    return out


#: Base types by id (the low 5 bits of a definition's base type byte).
BASE_TYPES: dict[int, BaseType] = _base_types()
BASE_TYPES_BY_NAME: dict[str, BaseType] = {bt.name: bt for bt in BASE_TYPES.values()}


@dataclass(frozen=True)
class Component:
    """A value packed into bits of another field (``compressed_speed_distance`` holds speed and distance)."""

    target: int
    bits: int
    scale: float
    offset: float
    accumulate: bool


@dataclass(frozen=True)
class FieldInfo:
    """One field of a message as the profile describes it (physical value = ``raw / scale - offset``)."""

    num: int
    name: str
    base_type: str
    type: str
    scale: float
    offset: float
    units: str
    is_array: bool
    accumulated: bool
    components: tuple[Component, ...] = ()


@dataclass(frozen=True)
class MessageInfo:
    """One message of the profile: its number, name and fields by number and by name."""

    num: int
    name: str
    fields: dict[int, FieldInfo] = field(default_factory=dict)
    by_name: dict[str, FieldInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class FitProfile:
    """The whole profile: messages by number and by name, enum tables by type name, SDK version."""

    messages: dict[int, MessageInfo]
    by_name: dict[str, MessageInfo]
    types: dict[str, dict[int, str]]
    version: str

    def enum_name(self, type_name: str, value: float | int | None) -> str | None:
        """The profile's name for an enum value (``sport`` 1 -> ``"running"``); ``None`` when unknown."""
        if value is None or value != value:  # NaN
            return None
        return self.types.get(type_name, {}).get(int(value))

    def enum_value(self, type_name: str, name: str) -> int:
        """The number of an enum name (``"running"`` -> 1); ``KeyError`` when the profile lacks it."""
        for value, label in self.types[type_name].items():
            if label == name:
                return value
        raise KeyError(f"{type_name}.{name}")


def _first(values: Any, default: float) -> float:
    if isinstance(values, list):
        return float(values[0]) if values else default
    return float(values) if values not in (None, "") else default


def _field_info(raw: dict[str, Any], all_fields: dict[int, dict[str, Any]]) -> FieldInfo:
    components: list[Component] = []
    if raw.get("has_components"):
        scales = raw["scale"]
        offsets = raw["offset"]
        for i, target in enumerate(raw["components"]):
            target_raw = all_fields.get(int(target), {})
            components.append(
                Component(
                    target=int(target),
                    bits=int(raw["bits"][i]),
                    scale=float(scales[i]) if i < len(scales) else 1.0,
                    offset=float(offsets[i]) if i < len(offsets) else 0.0,
                    accumulate=bool(target_raw.get("is_accumulated", False)),
                )
            )
    units = raw.get("units", "")
    if isinstance(units, list):
        units = units[0] if units else ""
    # A field with components lists the components' scales; a single full-width component is the
    # field itself re-scaled (altitude -> enhanced_altitude), so its scale applies to the field too.
    scale = _first(raw.get("scale"), 1.0) if len(components) <= 1 else 1.0
    offset = _first(raw.get("offset"), 0.0) if len(components) <= 1 else 0.0
    return FieldInfo(
        num=int(raw["num"]),
        name=str(raw["name"]),
        base_type=str(raw["base_type"]),
        type=str(raw["type"]),
        scale=scale or 1.0,
        offset=offset,
        units=str(units or ""),
        is_array=str(raw.get("array", "false")) == "true",
        accumulated=bool(raw.get("is_accumulated", False)),
        components=tuple(components),
    )


@cache
def profile() -> FitProfile:
    """The FIT profile of the installed garmin-fit-sdk, loaded once per process."""
    from garmin_fit_sdk import Profile as sdk_profile

    messages: dict[int, MessageInfo] = {}
    for num, raw_message in sdk_profile["messages"].items():
        raw_fields = raw_message["fields"]
        fields = {int(k): _field_info(v, raw_fields) for k, v in raw_fields.items()}
        info = MessageInfo(
            num=int(num),
            name=str(raw_message["name"]),
            fields=fields,
            by_name={f.name: f for f in fields.values()},
        )
        messages[info.num] = info
    types = {
        str(name): {int(k): str(v) for k, v in table.items() if isinstance(k, int)}
        for name, table in sdk_profile["types"].items()
    }
    version = sdk_profile["version"]
    return FitProfile(
        messages=messages,
        by_name={m.name: m for m in messages.values()},
        types=types,
        version=f"{version['major']}.{version['minor']}",
    )
