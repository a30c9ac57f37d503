"""Issue 11, spreadsheets, logging from the command line, export and restore: every failure one clear
line, nothing absurd saved, nothing lost on the way out and back."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from backstride.cli import app
from backstride.config import database_url
from backstride.errors import ValidationError
from backstride.importers.fit.writer import write_fit
from backstride.ingest.files import import_paths
from backstride.log.aliases import list_aliases, set_alias
from backstride.log.archive import delete_all, export
from backstride.log.catalogue import classify, translations
from backstride.log.lifting import daily_lifting
from backstride.log.lifting_csv import import_lifting_csv
from backstride.log.pain import get_pain, record_pain
from backstride.log.pain_csv import import_pain_csv
from backstride.store.activities import list_activities, load_streams
from backstride.store.engine import open_store
from backstride.store.prefs import set_pref
from backstride.store.schema import activities
from tests.log.helpers import START, make_run, save_run

runner = CliRunner()

STRONG_DE = (
    "Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;Reps;RPE;Distance;Distance Unit;"
    "Seconds;Notes;Workout Notes\n"
    '"2025-01-11 12:31:54";"Unterkörper";"Kniebeuge (Langhantel)";"1";"100,0";"kg";"5";"";"";"";"0";"";""\n'
    '"2025-01-11 12:31:54";"Unterkörper";"Kreuzheben (Langhantel)";"1";"140,0";"kg";"5";"";"";"";"0";"";""\n'
    '"2025-01-11 12:31:54";"Unterkörper";"Schulterdrücken (Kurzhantel)";"1";"20,0";"kg";"8";"";"";"";"0";"";"'
    'Grüße"\n'
)


def _cli(db: Path, *args: str) -> Any:
    return runner.invoke(app, ["--db", str(db), *args])


# --- 8. spreadsheets: encodings, missing and binary files, huge fields; other languages ------------------


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig", "utf-16", "utf-16-le"])
def test_a_german_strong_export_imports_in_any_encoding_and_counts(
    engine: Engine, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "strong.csv"
    path.write_bytes(STRONG_DE.encode(encoding))
    with engine.begin() as conn:
        result = import_lifting_csv(conn, 1, path)
        daily = daily_lifting(conn, 1)
    assert (result.sessions, result.sets, result.unknown_exercises) == (1, 3, [])
    # Squat and deadlift load the back: 100 x 5 + 140 x 5.
    assert daily["back_tonnage_kg"].tolist() == [1200.0]
    assert daily["lower_sets"].tolist() == [2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"\x00\x01\x02\x03PK\x03\x04" + bytes(range(256)) * 8, "a binary file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(1, 32)) * 50, "a binary file"),
        (
            b"start,onset\n" + b'"' + b"x" * 140_000 + b'"\n',
            "longer than 131,072 characters",
        ),
    ],
    ids=["missing", "zip", "png", "huge field"],
)
@pytest.mark.parametrize("kind", ["lift", "pain"])
def test_spreadsheet_failures_are_one_line(
    tmp_path: Path, content: bytes | None, message: str, kind: str
) -> None:
    path = tmp_path / "sheet.csv"
    if content is not None:
        path.write_bytes(content)
    result = _cli(tmp_path / "db.sqlite", kind, "import", str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0] and "sheet.csv" in lines[0], result.output


def test_every_translation_names_a_catalogue_exercise() -> None:
    exercises, equipment = translations()
    for name, english in exercises.items():
        assert classify(english) is not None, (name, english)
    languages = {row.split(",")[-1] for row in _alias_rows()}
    assert {"de", "fr", "es", "it", "nl", "pt"} <= languages
    lifts = ("squat", "deadlift", "good morning", "lunge", "leg press", "overhead press", "bench press")
    for language in ("de", "fr", "es", "it", "nl", "pt"):
        covered = {
            classify(row.split(",")[2]).name.lower()  # type: ignore[union-attr]
            for row in _alias_rows()
            if row.startswith("exercise,") and row.endswith("," + language)
        }
        for lift in (*lifts, "bent over row", "hip thrust", "romanian deadlift"):
            assert any(lift in name for name in covered), (language, lift)
    assert equipment["langhantel"] == "Barbell" and equipment["mancuerna"] == "Dumbbell"


def _alias_rows() -> list[str]:
    from importlib import resources

    text = resources.files("backstride.log").joinpath("data/exercise_aliases.csv").read_text("utf-8")
    return [line for line in text.splitlines()[1:] if line and not line.startswith("#")]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Kniebeuge (Langhantel)", "Squat (Barbell)"),
        ("Soulevé de terre roumain (Barre)", "Romanian Deadlift (Barbell)"),
        ("Peso muerto (Mancuerna)", "Deadlift (Dumbbell)"),
        ("Stacco da terra", "Deadlift"),
        ("Uitvalspassen (Halters)", "Lunge (Dumbbell)"),
        ("Levantamento terra", "Deadlift"),
        ("SCHULTERDRUCKEN", "Overhead Press"),
    ],
)
def test_foreign_names_classify(title: str, expected: str) -> None:
    found = classify(title)
    assert found is not None and found.name == expected


def test_lift_alias_counts_a_name_for_every_set(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text(STRONG_DE.replace("Kniebeuge (Langhantel)", "Tiefe Hocke"), encoding="utf-8")
    with engine.begin() as conn:
        first = import_lifting_csv(conn, 1, path)
        assert first.unknown_exercises == ["Tiefe Hocke"]
        assert daily_lifting(conn, 1)["back_tonnage_kg"].tolist() == [700.0]
        found = set_alias(conn, 1, "tiefe  hocke", "Squat (Barbell)")
        assert found.back_loading == "high"
        assert daily_lifting(conn, 1)["back_tonnage_kg"].tolist() == [1200.0]
        assert list_aliases(conn, 1) == [
            {"name": "tiefe hocke", "exercise": "Squat (Barbell)", "back_loading": "high"}
        ]
        with pytest.raises(ValidationError, match="not in the exercise catalogue"):
            set_alias(conn, 1, "x", "Underwater basket weaving")


def test_lift_alias_cli(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    said = _cli(db, "lift", "alias", "Tiefe Hocke", "Squat (Barbell)")
    assert said.exit_code == 0 and "now counts as Squat (Barbell)" in said.output
    listed = json.loads(_cli(db, "lift", "alias", "--json").stdout)
    assert listed == [{"name": "Tiefe Hocke", "exercise": "Squat (Barbell)", "back_loading": "high"}]
    assert _cli(db, "lift", "alias", "Tiefe Hocke", "--remove").exit_code == 0
    assert json.loads(_cli(db, "lift", "alias", "--json").stdout) == []
    bad = _cli(db, "lift", "alias", "x", "Nothing")
    assert bad.exit_code == 1 and "not in the exercise catalogue" in bad.output


# --- 9. pain import: standard quoting; a huge sheet with no match is a summary ---------------------------


def test_pain_import_reads_standard_csv_quoting(engine: Engine, tmp_path: Path) -> None:
    run_id = save_run(engine, make_run())
    path = tmp_path / "pain.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["start", "onset", "severity", "location", "quality", "notes"])
        writer.writerow(["2025-03-01T07:00:30Z", "1.2mi", "5", "lower-back", "pump", 'felt "tight", then ok'])
    text = path.read_text()
    assert '""tight""' in text  # the csv module doubles the quotes, as spreadsheets do
    with engine.begin() as conn:
        result = import_pain_csv(conn, 1, path)
        report = get_pain(conn, 1, run_id)
    assert result.saved == [(2, run_id)]
    assert report is not None and report["notes"] == 'felt "tight", then ok'


def test_pain_import_of_100k_unmatched_rows_prints_a_summary(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    engine = open_store(database_url(str(db)))
    save_run(engine, make_run())
    engine.dispose()
    path = tmp_path / "big.csv"
    first = datetime(2030, 1, 1, tzinfo=UTC)
    lines = ["start,onset,severity"] + [
        f"{(first + timedelta(hours=i)).strftime('%Y-%m-%dT%H:%M:%SZ')},1km,3" for i in range(100_000)
    ]
    path.write_text("\n".join(lines) + "\n")
    result = _cli(db, "pain", "import", str(path))
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) < 20
    assert "saved 0 pain reports" in result.output and "99,990 more rows" in result.output


# --- 10. contradictory options; an onset past the recorded data -----------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--onset", "1mi", "--none"], "--none (a pain-free run) contradicts --onset"),
        (["--none", "--severity", "4"], "contradicts --severity"),
        (["--none", "--stage", "cramp@1mi"], "contradicts --stage"),
        (["--delete", "--onset", "1mi"], "--delete (removing a report) contradicts --onset"),
        (["--confirm", "--none"], "--confirm and --none contradict each other"),
    ],
)
def test_contradictory_pain_options_are_refused(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "db.sqlite"
    engine = open_store(database_url(str(db)))
    run_id = save_run(engine, make_run())
    result = _cli(db, "pain", str(run_id), *args)
    with engine.connect() as conn:
        assert get_pain(conn, 1, run_id) is None
    engine.dispose()
    assert result.exit_code == 1 and message in result.output, result.output


def test_an_onset_time_past_the_recorded_stream_is_refused(engine: Engine) -> None:
    run = make_run(distance_m=928.0)
    run.distance_m, run.elapsed_s, run.moving_s = 8000.0, 2700.0, 2700.0  # the file's totals go on
    run_id = save_run(engine, run)
    with pytest.raises(ValidationError, match="past the end of the recorded data"), engine.begin() as conn:
        record_pain(conn, 1, run_id, onset="40:00", severity=5)
    with engine.begin() as conn:
        inside = record_pain(conn, 1, run_id, onset="4:00", severity=5)
    assert inside["onset_m"] == pytest.approx(240 * 3.2)


# --- 11. body weight follows the unit preference ---------------------------------------------------------


def test_body_weight_of_a_miles_runner_is_in_pounds(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    said = _cli(db, "body", "weight", "185")  # the default unit preference is miles
    assert said.exit_code == 0 and "185.0 lb (83.9 kg)" in said.output
    engine = open_store(database_url(str(db)))
    with engine.begin() as conn:
        set_pref(conn, 1, "units", "km")
    engine.dispose()
    assert "saved 84.0 kg" in _cli(db, "body", "weight", "84", "--date", "2025-01-01").output
    refused = _cli(db, "body", "weight", "400", "--date", "2025-01-02")
    assert refused.exit_code == 1 and "give the unit" in refused.output
    listed = json.loads(_cli(db, "body", "list", "--json").stdout)
    assert [round(r["weight_kg"], 1) for r in listed] == [84.0, 83.9]


# --- 12. --db in a folder that does not exist ------------------------------------------------------------


def test_db_in_a_missing_folder_is_refused_and_a_new_store_said(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "store.sqlite"
    result = _cli(missing, "runs")
    assert result.exit_code == 1 and "no such folder" in result.output
    assert not (tmp_path / "typo").exists()
    fresh = _cli(tmp_path / "new.sqlite", "runs", "--json")
    assert fresh.exit_code == 0 and "created a new, empty store" in fresh.stderr
    assert json.loads(fresh.stdout) == []
    again = _cli(tmp_path / "new.sqlite", "runs", "--json")
    assert "created" not in again.stderr


# --- 13 and 14. export and restore ----------------------------------------------------------------------


def _history(engine: Engine, folder: Path) -> None:
    """Twelve watch files with a manual lap, pain on most runs, and spreadsheet-hostile names."""
    folder.mkdir()
    rng = np.random.default_rng(11)
    for i in range(12):
        distance = float(rng.uniform(5000, 12000))
        run = make_run(
            START + timedelta(days=2 * i),
            distance_m=distance,
            laps=[(1500.0, "manual"), (4000.0, "distance"), (distance, "session_end")],
        )
        t = run.streams["t"]
        run.streams["altitude"] = 100 + 30 * np.sin(t / 300)
        (folder / f"run{i:02d}.fit").write_bytes(write_fit(run))
    import_paths(engine, [str(folder)], workers=1)
    names = ['=HYPERLINK("http://x")', "+1 tempo", "-5 km easy", "@home", "plain"]
    with engine.begin() as conn:
        for j, row in enumerate(list_activities(conn, 1)):  # names as GPX files and Strava give them
            conn.execute(update(activities).where(activities.c.id == row["id"]).values(name=names[j % 5]))
            if j % 4 == 3:
                record_pain(conn, 1, row["id"], status="none", notes="=cmd|' /C calc'!A0")
            else:
                record_pain(conn, 1, row["id"], onset=f"{1.0 + 0.1 * j:.1f}km", severity=4, notes="-tight")


def _analysis(engine: Engine) -> dict[str, Any]:
    from backstride.analysis.findings import analyze_user
    from backstride.jsonready import json_ready

    return json_ready(analyze_user(engine, 1, None).to_dict())


def test_export_delete_import_gives_back_streams_and_analysis(engine: Engine, tmp_path: Path) -> None:
    _history(engine, tmp_path / "watch")
    with engine.connect() as conn:
        runs = list_activities(conn, 1)
        before = {r["id"]: load_streams(conn, r["id"]) for r in runs}
    analysis_before = _analysis(engine)
    export(engine, tmp_path / "out", 1)
    delete_all(engine, 1)
    summary = import_paths(engine, [str(tmp_path / "out")], workers=1)
    assert summary.counts["imported"] == 1 and "without" not in summary.outcomes[0].reason
    with engine.connect() as conn:
        after = {r["id"]: load_streams(conn, r["id"]) for r in list_activities(conn, 1)}
    assert before.keys() == after.keys() and len(before) == 12
    for run_id, columns in before.items():
        assert columns.keys() == after[run_id].keys()
        for name, values in columns.items():
            np.testing.assert_array_equal(values, after[run_id][name])
    assert _analysis(engine) == analysis_before


def test_an_export_without_streams_says_so_and_reimport_brings_them_back(
    engine: Engine, tmp_path: Path
) -> None:
    _history(engine, tmp_path / "watch")
    analysis_before = _analysis(engine)
    export(engine, tmp_path / "out", 1, streams=False)
    delete_all(engine, 1)
    restored = import_paths(engine, [str(tmp_path / "out")], workers=1)
    assert "second-by-second streams are not in this export" in restored.outcomes[0].reason
    again = import_paths(engine, [str(tmp_path / "watch")], workers=1)
    assert again.counts["duplicate"] == 12
    assert all("streams" in o.reason for o in again.outcomes)
    with engine.connect() as conn:
        assert all(load_streams(conn, r["id"]) for r in list_activities(conn, 1))
    assert _analysis(engine) == analysis_before


def test_cli_export_has_streams_by_default_and_warns_without(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    engine = open_store(database_url(str(db)))
    save_run(engine, make_run())
    engine.dispose()
    full = _cli(db, "export", str(tmp_path / "full"))
    assert full.exit_code == 0 and "note" not in full.output
    assert (tmp_path / "full" / "tables" / "streams.json").exists()
    lean = _cli(db, "export", str(tmp_path / "lean"), "--no-streams")
    assert lean.exit_code == 0 and "streams are not in this export" in lean.output


def test_csv_cells_are_neutralised_and_the_json_kept_exact(engine: Engine, tmp_path: Path) -> None:
    _history(engine, tmp_path / "watch")
    export(engine, tmp_path / "out", 1)
    with (tmp_path / "out" / "tables" / "activities.csv").open(newline="", encoding="utf-8") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    with (tmp_path / "out" / "tables" / "pain_reports.csv").open(newline="", encoding="utf-8") as handle:
        notes = [row["notes"] for row in csv.DictReader(handle)]
    for cell in names + notes:
        assert not cell.startswith(("=", "+", "-", "@")), cell
    assert '\'=HYPERLINK("http://x")' in names and "'-5 km easy" in names and "'-tight" in notes
    rows = json.loads((tmp_path / "out" / "tables" / "activities.json").read_text())
    assert {r["name"] for r in rows} == {'=HYPERLINK("http://x")', "+1 tempo", "-5 km easy", "@home", "plain"}
    numbers = json.loads((tmp_path / "out" / "tables" / "laps.json").read_text())
    assert all(isinstance(r["start_s"], float | int) for r in numbers)
