"""One conversion to plain JSON types, for ``--json`` output, the JSON API and result objects.

:func:`json_ready` turns NaN and infinities into ``None``, numpy scalars and arrays into Python numbers
and lists, tuples into lists, dates into ISO 8601 and datetimes into ISO 8601 in UTC with ``Z``;
dataclasses become dicts (through their ``to_dict()`` when they have one). A naive datetime is taken
as UTC (how the store hands them back from SQLite) unless ``naive_utc`` is false: then it is written
as it is (a local wall-clock time, such as a run's local start). numpy is never imported here.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime
from typing import Any

_PLAIN = (str, int, bool, type(None))


def json_ready(value: Any, *, naive_utc: bool = True) -> Any:
    """``value`` as plain JSON types (see the module docstring)."""
    if type(value) in _PLAIN:  # the common case first: most values need nothing
        return value
    if isinstance(value, dict):
        return {str(k): json_ready(v, naive_utc=naive_utc) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v, naive_utc=naive_utc) for v in value]
    if isinstance(value, float):  # numpy's float64 too
        return float(value) if math.isfinite(value) else None
    if isinstance(value, datetime):
        return iso_datetime(value, naive_utc=naive_utc)
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict):
            return json_ready(to_dict(), naive_utc=naive_utc)
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return json_ready(fields, naive_utc=naive_utc)
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):  # scalars and arrays
        return json_ready(value.tolist(), naive_utc=naive_utc)
    return value


def iso_datetime(value: datetime, *, naive_utc: bool = True) -> str:
    """ISO 8601: in UTC with ``Z`` when ``value`` has a zone (or is naive and ``naive_utc``), else as is."""
    if value.tzinfo is None:
        if not naive_utc:
            return value.isoformat()
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


__all__ = ["iso_datetime", "json_ready"]
