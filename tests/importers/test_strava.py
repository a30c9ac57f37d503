"""Strava ``activities.csv`` in its layouts and languages, dates, and sport names."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from backstride.errors import BadFileError
from backstride.importers.sports import normalise_sport, sport_and_sub_sport
from backstride.importers.strava import parse_strava_date, read_strava_csv
from tests.conftest import fixtures_dir

#: The first 22 columns of a 2022 English export (94 in all); the rest are filled with other names.
ENGLISH_HEAD = [
    "Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
    "Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute", "Activity Private Note",
    "Activity Gear", "Filename", "Athlete Weight", "Bike Weight", "Elapsed Time", "Moving Time",
    "Distance", "Max Speed", "Average Speed", "Elevation Gain", "Elevation Loss",
]  # fmt: skip
GERMAN_HEAD = [
    "Aktivitäts-ID", "Aktivitätsdatum", "Name der Aktivität", "Aktivitätsart", "Aktivitätsbeschreibung",
    "Verstrichene Zeit", "Distanz", "Max. Herzfrequenz", "Relative Leistung", "Pendeln",
    "Private Notiz zur Aktivität", "Aktivitätsausrüstung", "Dateiname", "Athletengewicht",
    "Fahrradgewicht", "Verstrichene Zeit", "Bewegungszeit", "Distanz", "Höchstgeschw.",
    "Durchschnittliche Geschwindigkeit", "Höhenzunahme", "Höhenunterschied",
]  # fmt: skip


def _csv(header: list[str], rows: list[list[str]], width: int) -> bytes:
    header = header + [f"Extra {i}" for i in range(width - len(header))]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row + [""] * (width - len(row)))
    return out.getvalue().encode("utf-8")


def _row(id_: str, date: str, name: str, kind: str, km: str, gear: str, filename: str, m: str) -> list[str]:
    return [
        id_,
        date,
        name,
        kind,
        "",
        "1428",
        km,
        "",
        "",
        "false",
        "",
        gear,
        filename,
        "",
        "",
        "1428.0",
        "1411.0",
        m,
    ]


@pytest.mark.fixtures
def test_real_export_csv() -> None:
    data = (fixtures_dir() / "strava_export" / "activities.csv").read_bytes()
    (row,) = read_strava_csv(data)
    assert row.activity_id == "12070555079"
    assert row.start_utc == datetime(2022, 5, 29, 15, 53, 35, tzinfo=UTC)
    assert row.name == "Laufen Landal Park"
    assert (row.sport, row.activity_type) == ("running", "Run")
    assert row.filename == "activities/12866632127.fit.gz"
    assert row.gear is None  # the row's gear cell is empty
    # The second Distance column is in metres; the first (3.32) in km.
    assert row.distance_m == pytest.approx(3322.95, abs=0.01)
    assert (row.elapsed_s, row.moving_s) == (1428.0, 1411.0)


@pytest.mark.parametrize("width", [87, 92, 94, 99, 101])
def test_english_export_of_any_width(width: int) -> None:
    date = "May 29, 2022, 3:53:35 PM"
    rows = [
        _row("1", date, "Long, slow", "Trail Run", "12.5", "Pegasus 39", "activities/9.gpx", "12503.2"),
        _row("2", "Dec 1, 2021, 12:05:00 AM", "Spin", "Virtual Ride", "30.0", "", "", "30000"),
    ]
    first, second = read_strava_csv(_csv(ENGLISH_HEAD, rows, width))
    assert first.name == "Long, slow" and first.gear == "Pegasus 39"
    assert (first.sport, first.sub_sport) == ("running", "trail")
    assert first.distance_m == pytest.approx(12503.2)
    assert first.start_utc == datetime(2022, 5, 29, 15, 53, 35, tzinfo=UTC)
    assert (second.sport, second.sub_sport) == ("cycling", "virtual_activity")
    assert second.filename is None and second.gear is None
    assert second.start_utc == datetime(2021, 12, 1, 0, 5, tzinfo=UTC)


def test_german_export() -> None:
    rows = [
        _row(
            "77",
            "29.05.2022, 15:53:35",
            "Abendlauf",
            "Lauf",
            "3,32",
            "Schuh A",
            "activities/5.fit.gz",
            "3322,9",
        )
    ]
    (row,) = read_strava_csv(_csv(GERMAN_HEAD, rows, 94))
    assert row.activity_id == "77" and row.name == "Abendlauf"
    assert row.sport == "running"
    assert row.gear == "Schuh A" and row.filename == "activities/5.fit.gz"
    assert row.distance_m == pytest.approx(3322.9)
    assert row.start_utc == datetime(2022, 5, 29, 15, 53, 35, tzinfo=UTC)
    assert row.moving_s == 1411.0


def test_first_distance_is_km_when_the_metres_column_is_absent() -> None:
    header = ["Activity ID", "Activity Date", "Activity Name", "Activity Type", "Distance", "Filename"]
    data = _csv(header, [["5", "Jan 2, 2020, 8:00:00 AM", "x", "Run", "10.21", "activities/5.fit"]], 6)
    (row,) = read_strava_csv(data)
    assert row.distance_m == pytest.approx(10210.0)


def test_pre_2019_export() -> None:
    text = (
        "id,date,name,type,description,elapsed_time,distance,commute,gear,filename\n"
        '123,2015-07-17 14:22:11,"Run, easy",Run,,2400,8012.5,false,Old shoes,activities/123.gpx.gz\n'
        "124,2015-07-18T09:00:00Z,Ride,Ride,,3600,30000,true,,\n"
    )
    run, ride = read_strava_csv(text.encode())
    assert run.name == "Run, easy" and run.sport == "running" and run.gear == "Old shoes"
    assert run.distance_m == 8012.5 and run.elapsed_s == 2400
    assert run.start_utc == datetime(2015, 7, 17, 14, 22, 11, tzinfo=UTC)
    assert run.filename == "activities/123.gpx.gz"
    assert ride.sport == "cycling" and ride.filename is None


def test_unknown_language_falls_back_to_positions() -> None:
    header = [f"Colonne {i}" for i in range(94)]
    rows = [_row("9", "29/05/2022 15:53", "Sortie", "Course à pied", "5", "", "activities/9.fit", "5001")]
    (row,) = read_strava_csv(_csv(header, rows, 94))
    assert row.activity_id == "9" and row.sport == "running"
    assert row.distance_m == 5001 and row.filename == "activities/9.fit"


@pytest.mark.parametrize(
    "data",
    [b"", b"foo,bar,baz\n1,2,3\n", b"\x00\x01\x02garbage"],
    ids=["empty", "other-csv", "binary"],
)
def test_unknown_header_lists_the_expected_columns(data: bytes) -> None:
    with pytest.raises(BadFileError) as info:
        read_strava_csv(data, "activities.csv")
    assert "Activity ID" in info.value.reason and "Aktivitäts-ID" in info.value.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("May 29, 2022, 3:53:35 PM", datetime(2022, 5, 29, 15, 53, 35, tzinfo=UTC)),
        ("Jan 1, 2023, 12:00:01 AM", datetime(2023, 1, 1, 0, 0, 1, tzinfo=UTC)),
        ("Sept 3, 2019, 12:30:00\u202fPM", datetime(2019, 9, 3, 12, 30, tzinfo=UTC)),
        ("29.05.2022, 15:53:35", datetime(2022, 5, 29, 15, 53, 35, tzinfo=UTC)),
        ("3. Mär. 2021, 07:01:02", datetime(2021, 3, 3, 7, 1, 2, tzinfo=UTC)),
        ("2015-07-17 14:22:11", datetime(2015, 7, 17, 14, 22, 11, tzinfo=UTC)),
        ("2015-07-17T16:22:11+02:00", datetime(2015, 7, 17, 14, 22, 11, tzinfo=UTC)),
        ("yesterday", None),
    ],
)
def test_dates(text: str, expected: datetime | None) -> None:
    assert parse_strava_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("running", ("running", None)),
        ("Run", ("running", None)),
        ("run", ("running", None)),
        ("9", ("running", None)),
        ("1", ("cycling", None)),
        ("10", ("walking", None)),
        ("4", ("hiking", None)),
        ("Trail Run", ("running", "trail")),
        ("TrailRun", ("running", "trail")),
        ("Virtual Run", ("running", "virtual_activity")),
        ("Laufen", ("running", None)),
        ("Lauf", ("running", None)),
        ("Running", ("running", None)),
        ("Biking", ("cycling", None)),
        ("cycling", ("cycling", None)),
        ("Ride", ("cycling", None)),
        ("Walk", ("walking", None)),
        ("walking", ("walking", None)),
        ("Hike", ("hiking", None)),
        ("hiking", ("hiking", None)),
        ("Wanderung", ("hiking", None)),
        ("Other", ("generic", None)),
        ("", ("generic", None)),
        (None, ("generic", None)),
        ("Kitesurf Session", ("kitesurf_session", None)),
    ],
)
def test_sport_names(text: str | None, expected: tuple[str, str | None]) -> None:
    assert sport_and_sub_sport(text) == expected
    assert normalise_sport(text) == expected[0]
