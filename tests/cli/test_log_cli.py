"""Every log entry type through the command line (``--db`` on a temporary SQLite file)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from backstride.cli import app, log_common
from backstride.config import database_url
from backstride.store.engine import open_store
from backstride.store.prefs import set_pref
from backstride.units import METRES_PER_MILE
from tests.log.helpers import make_run, runs_on_days, save_run

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "log" / "data"
LAPS = [(1609.344, "distance"), (2500.0, "manual"), (8000.0, "session_end")]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.sqlite")


@pytest.fixture
def store(db: str) -> Iterator[Engine]:
    engine = open_store(database_url(db))
    yield engine
    engine.dispose()


def run(db: str, *args: str, code: int = 0, stdin: str | None = None) -> str:
    result = runner.invoke(app, ["--db", db, *args], input=stdin)
    assert result.exit_code == code, result.output
    return result.output


def show(db: str, ref: str = "last") -> dict[str, object]:
    detail: dict[str, object] = json.loads(run(db, "show", ref, "--json"))
    return detail


def test_lap_button_on_an_imported_fit_file(db: str, store: Engine, tmp_path: Path) -> None:
    from backstride.importers.fit.writer import write_fit

    with store.begin() as conn:
        set_pref(conn, 1, "lap_is_pain", "true")
    path = tmp_path / "laps.fit"
    path.write_bytes(write_fit(make_run(laps=LAPS)))
    assert "imported 1" in run(db, "import", str(path))
    pain = show(db)["pain"]
    assert isinstance(pain, dict)
    laps = show(db)["lap_list"]
    assert isinstance(laps, list) and [lap["trigger"] for lap in laps] == [
        "distance",
        "manual",
        "session_end",
    ]
    assert pain["onset_m"] == pytest.approx(laps[1]["end_m"]) == pytest.approx(2500.0, abs=1.0)
    assert (pain["status"], pain["source"], pain["confirmed"]) == ("pain", "lap", False)
    assert "lap (draft)" in run(db, "pain", "list")
    run(db, "pain", "last", "--confirm")
    assert show(db)["pain"]["confirmed"] is True  # type: ignore[index]


def test_pain_record_show_and_list(db: str, store: Engine) -> None:
    first, second, _third = runs_on_days(store, 3, laps=LAPS)
    out = run(
        db,
        "pain",
        str(first),
        "--onset",
        "1.2mi",
        "--severity",
        "6",
        "--where",
        "lower-back",
        "--where",
        "upper-glute-left",
        "--quality",
        "pump",
        "--stage",
        "cramp@2mi",
        "--lasted",
        "10:00",
    )
    assert "pain 6/10 from 1.20 mi" in out
    pain = show(db, str(first))["pain"]
    assert isinstance(pain, dict)
    assert pain["onset_m"] == pytest.approx(1.2 * METRES_PER_MILE)
    assert pain["stages"] == [{"stage": "cramp", "distance_m": pytest.approx(2 * METRES_PER_MILE)}]
    assert (pain["lasted_after_s"], pain["source"]) == (600.0, "manual")
    run(db, "pain", str(second), "--none")
    assert show(db, str(second))["pain"]["status"] == "none"  # type: ignore[index]
    assert show(db, "last")["pain"] is None  # no report: unknown
    run(db, "pain", str(second), "--from-lap", "--severity", "3")
    assert show(db, str(second))["pain"]["onset_m"] == 2500.0  # type: ignore[index]
    listed = json.loads(run(db, "pain", "list", "--json"))
    assert [r["activity_id"] for r in listed] == [first, second]
    run(db, "pain", str(first), "--delete")
    assert show(db, str(first))["pain"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--onset", "1mi", "--severity", "11"], "severity"),
        (["--onset", "6mi", "--severity", "3"], "past the end of the run"),
        (["--onset", "1mi"], "missing --severity"),
        (["--severity", "4"], "missing --onset"),
        (["--onset", "1mi", "--severity", "4", "--where", "knee"], "unknown location"),
    ],
)
def test_pain_errors_exit_non_zero_and_save_nothing(
    db: str, store: Engine, args: list[str], message: str
) -> None:
    save_run(store, make_run(laps=LAPS))
    out = run(db, "pain", "last", *args, code=1)
    assert message in out
    assert show(db)["pain"] is None


def test_pain_unknown_run(db: str, store: Engine) -> None:
    save_run(store, make_run())
    assert "no run with id 99" in run(db, "pain", "99", "--onset", "1mi", "--severity", "2", code=1)
    assert "no run on 2020-01-01" in run(db, "pain", "2020-01-01", "--none", code=1)


def test_pain_prompts_at_a_terminal(db: str, store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    save_run(store, make_run(laps=LAPS))
    monkeypatch.setattr(log_common, "interactive", lambda: True)
    run(db, "pain", "last", stdin="2km\n5\nlower-back-right\nsharp\n")
    pain = show(db)["pain"]
    assert isinstance(pain, dict)
    assert (pain["onset_m"], pain["severity"], pain["locations"], pain["qualities"]) == (
        2000.0,
        5,
        ["lower-back-right"],
        ["sharp"],
    )


def test_pain_import(db: str, store: Engine) -> None:
    runs_on_days(store, 4)
    out = run(db, "pain", "import", str(DATA / "pain_sheet.csv"))
    assert "saved 3 pain reports" in out and "(row 5): not saved" in out
    bad = run(db, "pain", "import", str(DATA / "pain_sheet_bad.csv"), code=1)
    assert "row 2: severity" in bad


def test_lift_commands(db: str, store: Engine) -> None:
    assert "--unit kg or --unit lb" in run(db, "lift", "import", str(DATA / "strong_comma.csv"), code=1)
    out = run(db, "lift", "import", str(DATA / "strong_comma.csv"), "--unit", "lb")
    assert "strong-comma: imported 2 sessions (11 sets)" in out
    out = run(db, "lift", "import", str(DATA / "hevy_kg.csv"), "--json")
    assert json.loads(out)["unknown_exercises"] == ["Cossack Squat"]
    assert "row 3: weight kg" in run(
        db, "lift", "import", str(DATA / "strong_comma_bad.csv"), "--unit", "kg", code=1
    )
    run(
        db,
        "lift",
        "add",
        "--date",
        "2025-02-01",
        "--set",
        "Deadlift (Barbell): 3x3@180kg rpe 9",
        "--effort",
        "max-effort",
    )
    assert "missing --set" in run(db, "lift", "add", "--date", "2025-02-02", code=1)
    assert "in the future" in run(
        db, "lift", "add", "--date", "2099-01-01", "--set", "Deadlift: 5@100", code=1
    )
    sessions = json.loads(run(db, "lift", "list", "--json"))
    assert len(sessions) == 5
    run(db, "lift", "tag", str(sessions[0]["id"]), "dynamic-effort")
    assert json.loads(run(db, "lift", "list", "--json"))[0]["effort"] == "dynamic-effort"
    daily = {d["date"]: d for d in json.loads(run(db, "lift", "daily", "--json"))}
    assert daily["2025-02-01"]["back_tonnage_kg"] == 3 * 3 * 180 and daily["2025-02-01"]["max_effort_lower"]


def test_routine_body_shoe_context(db: str, store: Engine) -> None:
    run_id = save_run(store, make_run(shoe="Pegasus"))
    assert "mcgill curl-up" in run(db, "routine", "list")
    run(db, "routine", "add", "Couch stretch", "--category", "stretch")
    assert "missing --category" in run(db, "routine", "add", "Other", code=1)
    run(db, "routine", "log", "couch stretch", "--before-run", "--run", "last", "--minutes", "5")
    routines = {r["name"]: r for r in json.loads(run(db, "routine", "list", "--json"))}
    assert routines["couch stretch"]["times"] == 1

    run(db, "body", "weight", "82.5kg", "--date", "2025-03-01")
    assert "not a body weight" in run(db, "body", "weight", "--", "-82kg", code=1)
    future = (date.today() + timedelta(days=3)).isoformat()
    assert "in the future" in run(db, "body", "weight", "80", "--date", future, code=1)
    assert json.loads(run(db, "body", "list", "--json")) == [{"date": "2025-03-01", "weight_kg": 82.5}]

    run(db, "shoe", "add", "Speedgoat", "--brand", "Hoka", "--start", "2025-01-01")
    run(db, "shoe", "set", str(run_id), "Speedgoat")
    run(db, "shoe", "retire", "Pegasus", "--date", "2025-03-02")
    shoes = {s["name"]: s for s in json.loads(run(db, "shoe", "list", "--json"))}
    assert shoes["Speedgoat"]["distance_m"] == 8000.0 and shoes["Pegasus"]["runs"] == 0
    assert shoes["Pegasus"]["retired_on"] == "2025-03-02"

    context = json.loads(
        run(db, "context", "last", "--surface", "trail", "--load", "ruck", "--no-headphones", "--json")
    )
    assert (context["surface"], context["loads"], context["headphones"]) == ("trail", ["ruck"], False)
    assert "missing context" in run(db, "context", "last", code=1)
    assert "surface" in run(db, "context", "last", "--surface", "sand", code=1)


def test_checkin_peg_asks_for_the_red_flag_answers(db: str, store: Engine) -> None:
    assert "missing --pain" in run(db, "checkin", code=1)
    assert "missing red-flag answers" in run(
        db, "checkin", "--pain", "2", "--enjoyment", "2", "--activity", "2", code=1
    )
    out = run(db, "checkin", "--pain", "4", "--enjoyment", "5", "--activity", "6", "--no-red-flags", "--json")
    assert json.loads(out[out.index("{") :])["peg_score"] == 5.0
    assert "pain" in run(
        db, "checkin", "--pain", "11", "--enjoyment", "5", "--activity", "6", "--no-red-flags", code=1
    )


def test_checkin_red_flag_prints_urgency(db: str, store: Engine) -> None:
    out = run(db, "checkin", "--pain", "7", "--enjoyment", "6", "--activity", "6", "--red-flag", "bladder")
    assert "EMERGENCY" in out
    out = run(db, "checkin", "--pain", "7", "--enjoyment", "6", "--activity", "6", "--red-flag", "night_pain")
    assert "See a clinician soon" in out and "EMERGENCY" not in out
    assert "unknown red-flag question" in run(
        db, "checkin", "--pain", "1", "--enjoyment", "1", "--activity", "1", "--red-flag", "headache", code=1
    )


def test_export_delete_and_import_folder(db: str, store: Engine, tmp_path: Path) -> None:
    run_id = save_run(store, make_run(laps=LAPS))
    run(db, "pain", str(run_id), "--onset", "lap 2", "--severity", "4")
    run(db, "body", "weight", "80kg", "--date", "2025-01-01")
    out = run(db, "export", str(tmp_path / "mine"), "--streams")
    assert "tables" in out and (tmp_path / "mine" / "manifest.json").is_file()
    assert "missing --yes" in run(db, "delete", "--all", code=1)
    run(db, "delete", "--all", "--yes")
    assert json.loads(run(db, "runs", "--json")) == []
    out = run(db, "import", str(tmp_path / "mine"))
    assert "imported 1" in out
    assert show(db, str(run_id))["pain"]["onset_m"] == 1609.344  # type: ignore[index]
    assert "restore needs an empty database" in run(db, "import", str(tmp_path / "mine"), code=1)
