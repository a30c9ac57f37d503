"""Every page in local mode: it renders, its forms call the library, CSRF and host checks hold."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal
from sqlalchemy import Engine

from backstride.config import Settings
from backstride.log.body import body_weights
from backstride.log.lifting import list_sessions
from backstride.log.pain import get_pain
from backstride.log.run_tags import get_context
from backstride.log.shoes import list_shoes
from backstride.store.prefs import get_pref
from backstride.store.schema import LOCAL_USER_ID
from backstride.units import METRES_PER_MILE
from backstride.web.app import create_app
from tests.web.conftest import Web, lap_run


@pytest.fixture
def local(sqlite_engine: Engine, tmp_path: Path, portal: BlockingPortal) -> Iterator[Web]:
    """Pages on SQLite only (the API and authorisation tests cover PostgreSQL)."""
    settings = Settings(db_url=str(sqlite_engine.url), data_dir=tmp_path)
    web = Web(portal, create_app(settings, engine=sqlite_engine, secret=b"test-secret"), "http://127.0.0.1")
    yield web
    web.close()


@pytest.fixture
def run_id(local: Web) -> int:
    return int(local.upload(lap_run()).json()["files"][0]["activity_id"])


def _conn(local: Web):  # type: ignore[no-untyped-def]
    return local.app.state.web.engine.connect()


@pytest.mark.parametrize(
    "page", ["/", "/runs", "/log", "/upload", "/analysis", "/settings", "/runs/{id}", "/runs/{id}/log"]
)
def test_every_page_renders_with_the_phone_layout(local: Web, run_id: int, page: str) -> None:
    response = local.get(page.format(id=run_id))
    assert response.status_code == 200
    html = response.text
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert 'id="banner-slot"' in html
    assert "https://" not in re.sub(r"<!--.*?-->", "", html.split("<main>")[0].split("</head>")[0])


def test_static_files_ship_inside_the_package(local: Web) -> None:
    for name in ("htmx.min.js", "chart.js", "app.js", "style.css"):
        response = local.get(f"/static/{name}")
        assert response.status_code == 200 and len(response.content) > 500
    assert local.get("/static/htmx.min.js").text.startswith("/*! htmx 2.")


def test_quick_log_prefills_the_first_lap_press_and_saves(local: Web, run_id: int) -> None:
    detail = local.get(f"/api/runs/{run_id}").json()
    press = next(lap for lap in detail["lap_list"][:-1] if lap["trigger"] == "manual")
    page = local.get(f"/runs/{run_id}/log").text
    prefilled = re.search(r'name="onset" value="([^"]*)"', page)
    assert prefilled is not None
    assert prefilled.group(1) == f"{press['end_m'] / METRES_PER_MILE:.2f}mi"
    response = local.form(
        f"/runs/{run_id}/log",
        {
            "pain": "cramp",
            "onset": prefilled.group(1),
            "severity": "7",
            "locations": ["lower-back", "upper-glute"],
        },
    )
    assert response.status_code == 303 and response.headers["location"].startswith(f"/runs/{run_id}")
    with _conn(local) as conn:
        report = get_pain(conn, LOCAL_USER_ID, run_id)
    assert report is not None
    assert report["status"] == "pain" and report["severity"] == 7 and report["source"] == "web"
    assert report["onset_m"] == pytest.approx(press["end_m"], abs=METRES_PER_MILE * 0.005)
    assert report["qualities"] == ["cramp"] and report["locations"] == ["lower-back", "upper-glute"]
    assert [s["stage"] for s in report["stages"]] == ["cramp"]
    html = local.get(f"/runs/{run_id}").text
    assert 'data-testid="onset-marker"' in html


def test_quick_log_none_and_stopped(local: Web, run_id: int) -> None:
    assert local.form(f"/runs/{run_id}/log", {"pain": "none", "severity": "3"}).status_code == 303
    with _conn(local) as conn:
        assert get_pain(conn, LOCAL_USER_ID, run_id)["status"] == "none"  # type: ignore[index]
    assert 'data-testid="onset-marker"' not in local.get(f"/runs/{run_id}").text
    local.form(f"/runs/{run_id}/log", {"pain": "stopped", "onset": "1km", "severity": "8"})
    with _conn(local) as conn:
        report = get_pain(conn, LOCAL_USER_ID, run_id)
    assert report is not None and report["stages"][-1]["stage"] == "stopped"
    assert report["onset_m"] == pytest.approx(1000.0)


def test_quick_log_bad_input_is_a_clear_422_page(local: Web, run_id: int) -> None:
    response = local.form(f"/runs/{run_id}/log", {"pain": "pump", "onset": "99mi", "severity": "3"})
    assert response.status_code == 422
    assert "past the end of the run" in response.text
    assert local.form(f"/runs/{run_id}/log", {"pain": "sore"}).status_code == 422
    assert local.form(f"/runs/{run_id}/log", {"pain": "pump", "severity": "12"}).status_code == 422
    assert local.get("/runs/999999").status_code == 404


def test_forms_without_the_csrf_token_are_refused(local: Web, run_id: int) -> None:
    response = local.post(f"/runs/{run_id}/log", data={"pain": "none"})
    assert response.status_code == 403
    forged = local.post(f"/runs/{run_id}/log", data={"pain": "none", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    with _conn(local) as conn:
        assert get_pain(conn, LOCAL_USER_ID, run_id) is None


def test_local_mode_answers_only_loopback_host_names(local: Web) -> None:
    assert local.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert local.get("/", headers={"Host": "localhost"}).status_code == 200


def test_runs_list_filters(local: Web, run_id: int) -> None:
    assert f"/runs/{run_id}" in local.get("/runs").text
    assert f"/runs/{run_id}" not in local.get("/runs?min_distance=5km").text
    assert f"/runs/{run_id}" in local.get("/runs?max_distance=3mi&pain=unknown").text
    assert f"/runs/{run_id}" not in local.get("/runs?since=2030-01-01").text
    assert local.get("/runs?since=yesterday-ish").status_code == 422
    assert local.get("/runs?min_distance=far").status_code == 422


def test_context_tags(local: Web, run_id: int) -> None:
    response = local.form(
        f"/runs/{run_id}/context", {"surface": "trail", "loads": ["weighted-vest"], "sleep_h": "6.5"}
    )
    assert response.status_code == 303
    with _conn(local) as conn:
        context = get_context(conn, LOCAL_USER_ID, run_id)
    assert context is not None and context["surface"] == "trail" and context["loads"] == ["weighted-vest"]
    assert context["sleep_h"] == 6.5
    assert "weighted-vest" in local.get(f"/runs/{run_id}").text
    assert local.form(f"/runs/{run_id}/context", {"sleep_h": "30"}).status_code == 422


def test_log_forms_write_through_the_library(local: Web) -> None:
    lift = local.form(
        "/log/lift",
        {"sets": "Deadlift (Barbell): 3x5@140kg rpe 8\nBack Squat: 5@100kg", "effort": "max-effort"},
    )
    assert lift.status_code == 303
    assert local.form("/log/body", {"weight": "82.5kg"}).status_code == 303
    assert local.form("/log/shoe", {"name": "Trail 3", "brand": "Acme"}).status_code == 303
    assert local.form("/log/routine", {"routine": "no such routine"}).status_code == 404
    with _conn(local) as conn:
        sessions = list_sessions(conn, LOCAL_USER_ID)
        weights = body_weights(conn, LOCAL_USER_ID)
        shoes = list_shoes(conn, LOCAL_USER_ID)
    assert sessions[0]["sets"] == 4 and sessions[0]["effort"] == "max-effort"
    assert weights["weight_kg"].tolist() == [82.5]
    assert [s["name"] for s in shoes] == ["Trail 3"]
    assert local.form("/log/lift", {"sets": "Deadlift: lots"}).status_code == 422
    assert local.form("/log/body", {"weight": "5kg"}).status_code == 422


def test_routine_and_checkin_forms(local: Web) -> None:
    page = local.get("/log").text
    routine = re.search(r'<option value="([^"]+)">', page.split('name="routine"')[1])
    assert routine is not None
    assert local.form("/log/routine", {"routine": routine.group(1), "minutes": "10"}).status_code == 303
    questions = re.findall(r'name="flag_([a-z0-9_-]+)" value="no"', page)
    answers = {f"flag_{q}": "no" for q in questions}
    assert questions, "the check-in form asks the red-flag questions"
    assert 'data-testid="red-flag-banner"' not in local.get("/").text
    ok = local.form("/log/checkin", {"pain": "3", "enjoyment": "2", "activity": "4", **answers})
    assert ok.status_code == 303
    missing = local.form("/log/checkin", {"pain": "3", "enjoyment": "2", "activity": "4"})
    assert missing.status_code == 422
    flagged = {**answers, f"flag_{questions[0]}": "yes"}
    saved = local.form("/log/checkin", {"pain": "3", "enjoyment": "2", "activity": "4", **flagged})
    assert saved.status_code == 303
    assert 'data-testid="red-flag-banner"' in local.get("/").text


def test_settings_export_and_delete(local: Web, run_id: int) -> None:
    assert local.form("/settings", {"units": "km", "lap_is_pain": "true"}).status_code == 303
    with _conn(local) as conn:
        assert get_pref(conn, LOCAL_USER_ID, "units") == "km"
        assert get_pref(conn, LOCAL_USER_ID, "lap_is_pain") == "true"
    page = local.get(f"/runs/{run_id}").text
    assert "3.32 km" in page and "2.06 mi" not in page  # the run of 3,322.95 m
    assert local.form("/settings", {"units": "furlongs"}).status_code == 422
    exported = local.form("/settings/export", {})
    assert exported.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    assert "backstride-export/manifest.json" in archive.namelist()
    assert local.form("/settings/delete", {"confirm": "nope"}).status_code == 422
    assert local.get("/api/runs").json()["total"] == 1
    assert local.form("/settings/delete", {"confirm": "delete"}).status_code == 303
    assert local.get("/api/runs").json()["total"] == 0


def test_upload_form_without_javascript(local: Web) -> None:
    response = local.post(
        "/upload",
        data={"csrf_token": local.csrf("/upload")},
        files=[("files", (lap_run().name, lap_run().read_bytes()))],
    )
    assert response.status_code == 200
    assert "imported 1" in response.text


def test_analysis_page_and_report_download(local: Web, run_id: int) -> None:
    local.put(f"/api/runs/{run_id}/pain", json={"onset": "2km", "severity": 5})
    page = local.get("/analysis")
    assert page.status_code == 200 and 'data-testid="analysis-pain-free"' in page.text
    assert "1 with a pain report" in page.text
    report = local.get("/analysis/report")
    assert report.status_code == 200
    assert report.headers["content-disposition"].startswith("attachment;")
    assert "<html" in report.text.lower() and "pain" in report.text.lower()
