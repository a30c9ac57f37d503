"""The JSON API on SQLite and PostgreSQL: runs, imports, pain reports, analysis, bad input as 4xx."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from backstride.log.pain import get_pain
from backstride.runview import run_detail
from backstride.store.schema import LOCAL_USER_ID
from tests.conftest import fixtures_dir
from tests.log.helpers import START, make_run, save_run
from tests.web.conftest import Web, gpx_run, lap_run


def _import(local: Web) -> int:
    response = local.upload(lap_run())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"]["imported"] == 1
    assert body["files"][0]["name"] == lap_run().name
    return int(body["files"][0]["activity_id"])


def test_runs_list_and_detail_match_the_library(local: Web) -> None:
    run_id = _import(local)
    listed = local.get("/api/runs").json()
    assert listed["total"] == 1
    assert listed["runs"][0]["id"] == run_id
    assert listed["runs"][0]["pain"] is None  # no report: unknown
    detail = local.get(f"/api/runs/{run_id}").json()
    engine = local.app.state.web.engine
    with engine.connect() as conn:
        expected = run_detail(conn, LOCAL_USER_ID, run_id)
    assert detail["distance_m"] == pytest.approx(expected["distance_m"])
    assert [lap["trigger"] for lap in detail["lap_list"]] == [lap["trigger"] for lap in expected["lap_list"]]
    assert detail["context"] is None


def test_import_twice_is_a_duplicate_and_bad_files_are_4xx(local: Web, tmp_path: Path) -> None:
    _import(local)
    again = local.upload(lap_run())
    assert again.status_code == 200
    assert again.json()["counts"]["duplicate"] == 1
    junk = tmp_path / "broken.fit"
    junk.write_bytes(b"this is not a FIT file at all" * 10)
    bad = local.upload(junk)
    assert bad.status_code == 422
    entry = bad.json()["files"][0]
    assert entry["status"] == "failed" and entry["name"] == "broken.fit" and entry["reason"]
    truncated = fixtures_dir() / "fit" / "fitparse__activity-unexpected-eof.fit"
    mixed = local.upload(junk, truncated, gpx_run())
    # One failed file makes the answer 422; the others are still read, each with its own outcome.
    assert mixed.status_code == 422
    assert mixed.json()["counts"] == {"imported": 1, "merged": 0, "duplicate": 0, "skipped": 1, "failed": 1}
    statuses = {f["name"]: f["status"] for f in mixed.json()["files"]}
    assert statuses == {"broken.fit": "failed", truncated.name: "skipped", gpx_run().name: "imported"}
    assert local.post("/api/imports").status_code == 422  # no files at all


def test_import_names_hide_the_temporary_folder(local: Web, tmp_path: Path) -> None:
    weird = tmp_path / "x.fit"
    weird.write_bytes(lap_run().read_bytes())
    files = [("files", ("../../etc/my run.fit", weird.read_bytes()))]
    body = local.post("/api/imports", files=files).json()
    assert body["files"][0]["name"] == "../../etc/my run.fit"
    assert "backstride-upload" not in json.dumps(body)


def test_put_pain_records_what_the_cli_records(local: Web) -> None:
    run_id = _import(local)
    response = local.put(
        f"/api/runs/{run_id}/pain",
        json={"onset": "lap 2", "severity": 6, "locations": ["back"], "qualities": ["pump"]},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    detail = local.get(f"/api/runs/{run_id}").json()
    lap2_start = detail["lap_list"][1]["start_m"]
    assert report["onset_m"] == pytest.approx(lap2_start)
    assert report["locations"] == ["lower-back"] and report["source"] == "web"
    engine = local.app.state.web.engine
    with engine.connect() as conn:
        assert get_pain(conn, LOCAL_USER_ID, run_id) == report
    assert local.get("/api/runs?pain=pain").json()["total"] == 1
    assert local.get("/api/runs?pain=unknown").json()["total"] == 0
    assert local.delete(f"/api/runs/{run_id}/pain").status_code == 204
    assert local.delete(f"/api/runs/{run_id}/pain").status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"onset": "1km", "severity": 11}, "severity"),
        ({"onset": "40km", "severity": 3}, "past the end"),
        ({"onset": "1km", "locations": ["elbow"]}, "unknown location"),
        ({"status": "none", "severity": 4}, "pain-free run"),
        ({"onset": "lap 9"}, "laps"),
        ({"onset": "1km", "notes": "a\x00b"}, "NUL"),
        ({"onset": "1km", "colour": "red"}, "extra"),
        ({"onset": "soon"}, "not a distance"),
    ],
)
def test_bad_pain_reports_are_422_with_the_reason(local: Web, body: dict[str, object], fragment: str) -> None:
    run_id = _import(local)
    response = local.put(f"/api/runs/{run_id}/pain", json=body)
    assert response.status_code == 422, response.text
    assert fragment.lower() in response.json()["detail"].lower()
    engine = local.app.state.web.engine
    with engine.connect() as conn:
        assert get_pain(conn, LOCAL_USER_ID, run_id) is None  # nothing half-written


def test_unknown_runs_are_404_and_absurd_ids_422(local: Web) -> None:
    assert local.get("/api/runs/12345").status_code == 404
    assert local.put("/api/runs/12345/pain", json={"status": "none"}).status_code == 404
    assert local.get(f"/api/runs/{2**63}").status_code == 422
    assert local.get("/api/runs?limit=0").status_code == 422
    assert local.get("/api/runs?since=not-a-date").status_code == 422
    assert local.get("/api/runs?until=9999-12-31").status_code == 200


def test_cross_site_writes_are_refused(local: Web) -> None:
    run_id = _import(local)
    response = local.put(
        f"/api/runs/{run_id}/pain", json={"status": "none"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    same = local.put(
        f"/api/runs/{run_id}/pain", json={"status": "none"}, headers={"Origin": "http://127.0.0.1"}
    )
    assert same.status_code == 200
    fetch = local.put(
        f"/api/runs/{run_id}/pain", json={"status": "none"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert fetch.status_code == 403


def test_analysis_of_one_run_is_not_enough(local: Web) -> None:
    empty = local.get("/api/analysis").json()
    assert empty["status"] == "not enough data" and empty["overview"]["status"] == "no data"
    run_id = _import(local)
    local.put(f"/api/runs/{run_id}/pain", json={"onset": "2km", "severity": 5})
    body = local.get("/api/analysis?target=3km").json()
    pain_free = body["findings"]["pain_free"]
    assert (pain_free["runs"], pain_free["events"], body["findings"]["target_m"]) == (1, 1, 3000.0)
    # The overview's window of the last 8 weeks ends today; the fixture run is years old.
    assert body["overview"]["status"] == "ok" and body["overview"]["now"]["runs"] == 0
    # one run gives no pain-free distance (the minimum-data rule), not "95% CI 2.0-2.0 km"
    assert pain_free["enough"] is False
    assert pain_free["median_m"] is None and pain_free["ci_m"] == [None, None]
    assert local.get("/api/analysis?target=far").status_code == 422


def test_analysis_agrees_with_lifelines_on_runs_logged_through_the_api(local: Web) -> None:
    """Twelve runs, seven onsets and five pain-free runs (censored at their length), logged through
    the API: the median pain-free distance, its CI and the chance of 3 km pain-free are lifelines'
    Kaplan-Meier estimates of the same runs."""
    engine = local.app.state.web.engine
    lengths = [5000, 6000, 4500, 8000, 5200, 7000, 6400, 3000, 5600, 4000, 9000, 4800]
    onsets = [1500, 2200, None, 2600, 3100, None, 3400, None, 4000, None, 4700, None]
    for day, (length, onset) in enumerate(zip(lengths, onsets, strict=True)):
        run_id = save_run(engine, make_run(START + timedelta(days=day), distance_m=length, tag=f"r{day}"))
        report = {"status": "none"} if onset is None else {"onset": f"{onset / 1000}km", "severity": 4}
        assert local.put(f"/api/runs/{run_id}/pain", json=report).status_code == 200
    body = local.get("/api/analysis?target=3km").json()
    pain_free = body["findings"]["pain_free"]

    durations = [length if onset is None else onset for length, onset in zip(lengths, onsets, strict=True)]
    events = [onset is not None for onset in onsets]
    reference = KaplanMeierFitter().fit(durations, events)
    low, high = median_survival_times(reference.confidence_interval_).to_numpy()[0]
    assert (pain_free["runs"], pain_free["events"], pain_free["enough"]) == (12, 7, True)
    assert pain_free["median_m"] == pytest.approx(reference.median_survival_time_)
    assert pain_free["ci_m"] == [
        pytest.approx(low) if np.isfinite(low) else None,
        pytest.approx(high) if np.isfinite(high) else None,
    ]
    assert pain_free["p_target"]["value"] == pytest.approx(float(reference.predict(3000.0)))


def test_openapi_describes_the_api(local: Web) -> None:
    schema = local.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/runs",
        "/api/runs/{run_id}",
        "/api/imports",
        "/api/runs/{run_id}/pain",
        "/api/analysis",
    ):
        assert path in paths
    assert not any(p.startswith("/runs") for p in paths)  # pages are not part of the API
