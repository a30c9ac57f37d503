"""``backstride import``, ``runs`` and ``show`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from backstride.cli import app
from tests.conftest import fixtures_dir

runner = CliRunner()


def test_import_runs_show_json(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.sqlite")
    fit = fixtures_dir() / "fit" / "geoactivity__2022-05-29-15-53-35_Laufen_Landal_Park.fit"
    result = runner.invoke(app, ["--db", db, "import", str(fit)])
    assert result.exit_code == 0, result.output
    assert "imported 1" in result.output
    result = runner.invoke(app, ["--db", db, "runs", "--json"])
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)
    for key in (
        "id",
        "start",
        "sport",
        "distance_m",
        "moving_s",
        "elapsed_s",
        "elevation_gain_m",
        "elevation_loss_m",
        "samples",
        "laps",
    ):
        assert key in run
    # the file's session: start 2022-05-29 15:53:35 UTC, 3,322.95 m (fitdecode and Strava's CSV agree)
    assert run["start"] == "2022-05-29T15:53:35Z" and run["utc_offset_s"] == 7200
    assert run["laps"] == 4
    assert run["distance_m"] == 3322.95
    shown = runner.invoke(app, ["--db", db, "show", "last", "--json"])
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.stdout)
    assert len(detail["lap_list"]) == 4
    km = runner.invoke(app, ["--db", db, "--units", "km", "runs"]).output
    miles = runner.invoke(app, ["--db", db, "--units", "mi", "runs"]).output
    assert "2022-05-29 17:53" in km and "3.32 km" in km and "7:10 /km" in km and " mi" not in km
    assert "2.06 mi" in miles and "11:32 /mi" in miles and " km" not in miles


def test_import_fails_with_nonzero_exit_after_summary(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.sqlite")
    bad = tmp_path / "truncated.fit"
    bad.write_bytes(b"\x0e\x10")
    result = runner.invoke(app, ["--db", db, "import", str(bad)])
    assert result.exit_code == 1
    assert "truncated.fit" in result.output
    assert "failed 1" in result.output


def test_unknown_run_is_a_clean_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "x.sqlite"), "show", "42"])
    assert result.exit_code == 1
    assert "no run with id 42" in result.output
