"""One place that renders result dataclasses to JSON-ready dicts and to text.

Every result object in :mod:`backstride.analysis` subclasses :class:`Result`: ``to_dict()`` gives
plain Python values (floats that are NaN or infinite become ``None``; tuples become lists; nested
results and dates are converted), and ``to_text()`` gives the plain-words summary lines.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from backstride.jsonready import json_ready


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (:func:`backstride.jsonready.json_ready`); a naive datetime in a
    result is a local time (a run's start) and is written as it is."""
    return json_ready(value, naive_utc=False)


def fmt_ratio(value: float | None) -> str:
    """A hazard or rate ratio for text: two significant figures (``0.45``, ``2.1``, ``12``)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if value >= 10:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_ratio_range(low: float | None, high: float | None) -> str:
    """A confidence interval of ratios, both ends to the same decimals (``1.00-1.04``, ``0.65-2.10``)."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "not estimable"

    def decimals(value: float) -> int:
        return 0 if value >= 10 else (1 if value >= 1 else 2)

    digits = max(decimals(low), decimals(high))
    return f"{low:.{digits}f}-{high:.{digits}f}"


def fmt_p(value: float | None) -> str:
    """A p- or q-value for text."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def fmt_m(value: float | None) -> str:
    """Metres for text (the CLI converts to the user's units; this is the plain SI fallback)."""
    if value is None or not math.isfinite(value):
        return "not estimable"
    return f"{value:,.0f} m"


class Result:
    """Mixin for result dataclasses: ``to_dict()`` for JSON and ``to_text()`` for people."""

    def to_dict(self) -> dict[str, Any]:
        assert dataclasses.is_dataclass(self)
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.metadata.get("json", True):
                out[f.name] = jsonable(getattr(self, f.name))
        return out

    def text_lines(self) -> list[str]:
        """Override: the summary as lines."""
        return [repr(self)]

    def to_text(self) -> str:
        return "\n".join(self.text_lines())

    def __str__(self) -> str:
        return self.to_text()
