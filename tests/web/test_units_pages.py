"""One place formats numbers for people (issue 14 item 15): in mile mode no page shows a distance in
kilometres or metres (the analysis, plan, experiments, report and pool pages included), and the
formatters of :mod:`backstride.units` follow the unit."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest

from backstride.experiments.service import new_experiment
from backstride.store.prefs import set_pref
from backstride.store.schema import LOCAL_USER_ID
from backstride.units import (
    format_band,
    format_elevation,
    format_pace,
    format_short_distance,
    format_speed,
    localize,
)
from tests.web.conftest import Web

#: A distance in metres or kilometres: ``1,649 m``, ``1.6 km``, ``500m``, ``5:30/km``, ``per km``.
SI_DISTANCE = re.compile(r"\d[\d,.]*\s?(?:km|m|metres|meters)\b|/\s?km\b|\bper km\b|\((?:m|km)\)")


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles or tags; entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


@pytest.fixture
def miles(demo: Web, tmp_path: Path) -> Web:
    """The demo runner in miles, with a finished experiment, a running one, and a pool."""
    from backstride.experiments.follow import now_local_day
    from backstride.pool.cohort import CohortSpec, generate_cohort

    engine = demo.app.state.web.engine
    with engine.begin() as conn:
        set_pref(conn, LOCAL_USER_ID, "units", "mi")
        set_pref(conn, LOCAL_USER_ID, "lap_is_pain", "true")
        new_experiment(
            conn,
            LOCAL_USER_ID,
            "Glute bridges",
            "glute",
            pairs=3,
            period_days=7,
            start=date(2024, 1, 1),
            seed=7,
        )
        new_experiment(
            conn,
            LOCAL_USER_ID,
            "Core",
            "core",
            pairs=3,
            period_days=7,
            start=now_local_day(),
            seed=3,
            power=False,
        )
    pool = demo.app.state.web.settings.pool_dir  # <data dir>/pool: the app's data dir is tmp_path
    assert pool == tmp_path / "pool"
    generate_cohort(pool, CohortSpec(runners=40, mean_runs=15, chunk=40))
    return demo


def test_no_page_in_mile_mode_shows_kilometres_or_metres(miles: Web) -> None:
    runs = miles.get("/api/runs?limit=200").json()["runs"]
    with_pain = next(r["id"] for r in runs if r["pain"] and r["pain"]["status"] == "pain")
    unknown = next((r["id"] for r in runs if r["pain"] is None), runs[-1]["id"])
    pages = [
        "/",
        "/runs",
        f"/runs/{with_pain}",
        f"/runs/{with_pain}/log",
        f"/runs/{unknown}",
        "/log",
        "/analysis",
        "/analysis/report",
        "/plan",
        "/experiments",
        "/experiments/1",
        "/experiments/2",
        "/experiments/new",
        "/pool",
        "/settings",
    ]
    shown: dict[str, str] = {}
    for page in pages:
        answer = miles.get(page)
        assert answer.status_code == 200, page
        text = visible_text(answer.text)
        shown[page] = text
        found = SI_DISTANCE.findall(text)
        assert not found, f"{page} shows {found[:5]}"
    # The pages do show distances, in miles, and heights in feet.
    assert re.search(r"\d\.\d\d mi\b", shown["/analysis"]) and re.search(r"\d\.\d\d mi\b", shown["/plan"])
    assert re.search(r"\d\.\d\d mi\b", shown["/experiments/1"]) and re.search(r"\d mi\b", shown["/pool"])
    assert re.search(r"\d ft\b", shown[f"/runs/{with_pain}"])
    assert "elevation (ft)" in miles.get(f"/runs/{with_pain}").text
    # The same pages in kilometres show kilometres.
    with miles.app.state.web.engine.begin() as conn:
        set_pref(conn, LOCAL_USER_ID, "units", "km")
    assert re.search(r"\d\.\d\d km\b", visible_text(miles.get("/analysis").text))
    assert " mi " not in visible_text(miles.get("/runs").text)


@pytest.mark.parametrize(
    ("unit", "metres", "short", "elevation"),
    [
        ("mi", 4828.032, "5,300 yd", "15,840 ft"),
        ("km", 5000.0, "5,000 m", "5,000 m"),
        ("mi", 100.0, "110 yd", "328 ft"),
        ("km", 100.0, "100 m", "100 m"),
    ],
)
def test_formatters_follow_the_unit(unit: str, metres: float, short: str, elevation: str) -> None:
    assert format_short_distance(metres, unit) == short
    assert format_elevation(metres, unit) == elevation
    assert format_elevation(None, unit) == format_short_distance(float("nan"), unit) == "-"


def test_distance_bands_read_in_whole_miles() -> None:
    bands = ("<10km", "10-25km", "25-50km", "50-80km", "80km+", "unknown")
    assert [format_band(b, "mi") for b in bands] == [
        "<6 mi",
        "6-16 mi",
        "16-31 mi",
        "31-50 mi",
        "50 mi+",
        "unknown",
    ]
    assert [format_band(b, "km") for b in bands] == list(bands)


def test_speed_and_pace() -> None:
    assert format_speed(10 / 3.6, "km") == "10.0 km/h"
    assert format_speed(1609.344 / 480, "mi") == "7.5 mph"
    assert format_pace(1609.344, 480, "mi") == "8:00 /mi" and format_pace(1000, 300, "km") == "5:00 /km"
    assert format_speed(0, "mi") == format_speed(None, "km") == "-"


@pytest.mark.parametrize(
    ("text", "miles", "kilometres"),
    [
        (
            "before 2024-03-26 the median pain-free distance was 1,649 m, since then 1,560 m",
            "before 2024-03-26 the median pain-free distance was 1.02 mi, since then 0.97 mi",
            "before 2024-03-26 the median pain-free distance was 1.65 km, since then 1.56 km",
        ),
        ("Terrain (61 runs, 111 km pain-free)", "Terrain (61 runs, 69.0 mi pain-free)", None),
        (
            "1.00x as likely per km for each 10 m of descent in the previous 500 m",
            "1.00x as likely per mi for each 33 ft of descent in the previous 0.31 mi",
            None,
        ),
        ("monster walks 3 x 10 m", "monster walks 3 x 11 yd", None),
        ("between 1,600-2,000 m", "between 0.99-1.24 mi", "between 1.60-2.00 km"),
        ("at 5:00/km", "at 8:03 /mi", None),
        ("HR 2.65 (95% CI 1.50-4.67, q = 0.002) on 2024-03-26", None, None),
    ],
)
def test_localize_rewrites_library_prose(text: str, miles: str | None, kilometres: str | None) -> None:
    assert localize(text, "mi") == (miles or text)
    assert localize(text, "km") == (kilometres or text)
    assert not SI_DISTANCE.search(localize(text, "mi"))
