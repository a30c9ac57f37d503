"""The run page and the report draw one run from the same series (backstride.run_series): same
distances, same elevation, pace in the same places with the same shape, one pace filter."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from backstride.importers.fit import read_fit
from backstride.importers.gpx import read_gpx
from backstride.report import charts
from backstride.report.svg import Chart
from backstride.run_series import SLOWEST_PACE_S_PER_KM, run_series
from backstride.units import metres_per
from backstride.web.chart import build_chart
from tests.conftest import fixtures_dir


def _streams(name: str) -> dict[str, np.ndarray]:
    path = fixtures_dir() / name
    read = read_fit if path.suffix == ".fit" else read_gpx
    [activity] = read(path.read_bytes(), path.name)
    return activity.streams


def _numbers(values: list[float | None]) -> list[float]:
    return [np.nan if v is None else v for v in values]


def _report_lines(
    monkeypatch: pytest.MonkeyPatch, streams: dict[str, np.ndarray], unit: str
) -> dict[str, Any]:
    """What the report's run chart draws: each polyline's data coordinates, by class."""
    drawn: dict[str, tuple[list[float], list[float]]] = {}
    original = Chart.polyline

    def capture(self: Chart, xs: Any, ys: Any, cls: str = "line") -> None:
        drawn[cls] = (list(xs), list(ys))
        original(self, xs, ys, cls)

    monkeypatch.setattr(Chart, "polyline", capture)
    assert charts.run_profile_chart(streams, None, unit, "today")
    return drawn


@pytest.mark.parametrize(
    "name", ["fit/fitparse__garmin-fenix-5-run.fit", "gpx/sweatpy__activity_5039744860.gpx"]
)
@pytest.mark.parametrize("unit", ["mi", "km"])
def test_the_run_page_and_the_report_show_the_same_series(
    monkeypatch: pytest.MonkeyPatch, name: str, unit: str
) -> None:
    streams = _streams(name)
    web = build_chart(streams, [], None, unit)
    assert web is not None
    page = json.loads(web.series_json)
    drawn = _report_lines(monkeypatch, streams, unit)

    per_unit = metres_per(unit)
    xs, elevation = drawn["line elev"]
    assert xs == pytest.approx([d / per_unit for d in page["d"]], abs=1e-4, nan_ok=True)
    assert elevation == pytest.approx(_numbers(page["altitude"]), abs=0.051, nan_ok=True)

    # pace: drawn where the page has one, and as a straight-line function of it (its own scale)
    pace_xs, scaled = drawn["line pace"]
    shown = np.isfinite(np.asarray(scaled, float))
    page_pace = np.array(_numbers(page["pace"]))
    assert np.array_equal(shown, np.isfinite(page_pace))
    assert pace_xs == xs
    y, p = np.asarray(scaled, float)[shown], page_pace[shown]
    inside = (y > y.min()) & (y < y.max())  # the ends are clipped to the box
    slope, intercept = np.polyfit(p[inside], y[inside], 1)
    assert slope > 0 and np.allclose(
        slope * p[inside] + intercept, y[inside], atol=0.02 * (y.max() - y.min())
    )

    # one filter: no pace slower than standing still, in either
    assert np.nanmax(page_pace) < SLOWEST_PACE_S_PER_KM * per_unit / 1000.0


def test_a_run_without_distance_has_no_series() -> None:
    assert run_series({"t": np.arange(5.0), "heart_rate": np.full(5, 120.0)}, "km") is None
    assert build_chart({"t": np.arange(5.0)}, [], None, "km") is None
    assert charts.run_profile_chart({"t": np.arange(50.0)}, None, "km", "today") == ""
