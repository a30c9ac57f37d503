"""The one conversion to JSON types (backstride.jsonready) that the CLI, the API, the results and the
archive all use."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd

from backstride.jsonready import iso_datetime, json_ready


@dataclass
class _Plain:
    a: float
    b: tuple[int, ...]


@dataclass
class _Own:
    x: float

    def to_dict(self) -> dict[str, float]:
        return {"twice": 2 * self.x}


def test_numbers_become_plain_and_non_finite_becomes_null() -> None:
    out = json_ready(
        {
            "nan": math.nan,
            "inf": -math.inf,
            "f64": np.float64(1.5),
            "f32": np.float32(np.nan),
            "i": np.int64(3),
        }
    )
    assert out == {"nan": None, "inf": None, "f64": 1.5, "f32": None, "i": 3}
    assert type(out["f64"]) is float and type(out["i"]) is int
    assert json_ready(np.bool_(True)) is True
    assert json_ready(np.array([1.0, np.nan, 2.0])) == [1.0, None, 2.0]
    assert json_ready((1, (2, 3))) == [1, [2, 3]]
    assert json_ready({1: "a", date(2024, 5, 1): "b"}) == {"1": "a", "2024-05-01": "b"}


def test_datetimes_are_written_in_utc_with_z() -> None:
    aware = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert json_ready(aware) == "2024-05-01T07:30:00Z"
    assert json_ready(pd.Timestamp("2024-05-01 07:30", tz="UTC")) == "2024-05-01T07:30:00Z"
    assert json_ready(date(2024, 5, 1)) == "2024-05-01"
    naive = datetime(2024, 5, 1, 7, 30)
    assert json_ready(naive) == "2024-05-01T07:30:00Z"  # from the store: UTC
    assert json_ready([naive], naive_utc=False) == ["2024-05-01T07:30:00"]  # a local time, as it is
    assert iso_datetime(aware, naive_utc=False) == "2024-05-01T07:30:00Z"
    assert iso_datetime(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"


def test_dataclasses_become_dicts_through_their_own_to_dict() -> None:
    assert json_ready(_Plain(math.nan, (1, 2))) == {"a": None, "b": [1, 2]}
    assert json_ready({"k": _Own(np.float64(2.0))}) == {"k": {"twice": 4.0}}
    text = json.dumps(json_ready({"x": [_Plain(1.0, ()), np.arange(3)]}), allow_nan=False)
    assert json.loads(text) == {"x": [{"a": 1.0, "b": []}, [0, 1, 2]]}
