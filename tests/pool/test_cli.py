"""``backstride pool export|import|report`` end to end on the demo store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from backstride.cli import app
from backstride.pool.cohort import CohortSummary


def test_export_import_report(
    demo_db: Path, tmp_path: Path, small_cohort: tuple[Path, CohortSummary]
) -> None:
    db = tmp_path / "db.sqlite"
    db.write_bytes(demo_db.read_bytes())
    runner = CliRunner()
    bundle = tmp_path / "me.json"
    out = runner.invoke(app, ["--db", str(db), "pool", "export", str(bundle), "--age-band", "30-39"])
    assert out.exit_code == 0, out.output
    assert json.loads(bundle.read_text())["profile"]["age_band"] == "30-39"
    pool_dir = tmp_path / "pool"
    out = runner.invoke(app, ["pool", "import", str(bundle), str(bundle), "--pool", str(pool_dir), "--json"])
    assert out.exit_code == 0, out.output
    assert [f["added"] for f in json.loads(out.stdout)["files"]] == [True, False]
    out = runner.invoke(app, ["pool", "report", "--pool", str(pool_dir), "--json"])
    data = json.loads(out.stdout)
    assert data["runners"] == 1
    assert data["groups"] and all(g["suppressed"] is True and g["runners"] == 1 for g in data["groups"])

    root, _ = small_cohort
    out = runner.invoke(app, ["pool", "report", "--json"], env={"BACKSTRIDE_POOL": str(root)})
    data = json.loads(out.stdout)
    assert data["runners"] == 300
    shown = [g for g in data["groups"] if not g["suppressed"]]
    assert shown and all(g["runners"] >= 10 and "median_m" in g for g in shown)
    assert all(g["runners"] < 10 for g in data["groups"] if g["suppressed"])
    assert {"remedy", "runners", "suppressed"} <= set(data["remedies"][0])
    for unit in ("mi", "km"):
        out = runner.invoke(
            app, ["--db", str(db), "--units", unit, "pool", "report"], env={"BACKSTRIDE_POOL": str(root)}
        )
        assert out.exit_code == 0 and "runners in the pool: 300" in out.output
        assert f"(median in {unit} with its 95% CI" in out.output
        # Each group shown: its median and interval from the runners, then each runner counted once,
        # in the unit asked for (the JSON's metres, converted).
        every = next(g for g in data["groups"] if g["field"] == "all")
        per = 1609.344 if unit == "mi" else 1000.0
        lo, hi = every["median_ci_m"]
        expected = (
            f"{every['median_m'] / per:.2f} ({lo / per:.2f}-{hi / per:.2f}); "
            f"each runner once {every['runner_weighted']['median_m'] / per:.2f}"
        )
        row = next(line for line in out.output.splitlines() if line.strip().startswith("all=all"))
        assert row.rstrip().endswith(expected), (row, expected)


def test_bad_bundle_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "backstride-pool-bundle", "name": "Jane"}))
    out = CliRunner().invoke(app, ["pool", "import", str(bad), "--pool", str(tmp_path / "pool")])
    assert out.exit_code != 0 and "not a valid pool bundle" in out.output
