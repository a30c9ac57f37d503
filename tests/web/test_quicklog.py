"""The quick log never loses a report (issue 14 items 1-2) and offers "pain-free?" (issue 12 item 3).

The form opens on the stored report; sending it back untouched changes nothing; changing one field
keeps what the form does not show; an untouched severity stores none.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from backstride.log.pain import get_pain, record_pain
from backstride.store.prefs import set_pref
from backstride.store.schema import LOCAL_USER_ID
from backstride.units import METRES_PER_MILE
from backstride.web import quicklog
from tests.web.conftest import Web, form_fields, gpx_run, lap_run, signup


def _upload(web: Web, path: Any = None) -> int:
    response = web.upload(path or lap_run())
    assert response.status_code == 200, response.text
    return int(response.json()["files"][0]["activity_id"])


def _record(web: Web, run_id: int, **report: Any) -> dict[str, Any]:
    with web.app.state.web.engine.begin() as conn:
        return record_pain(conn, LOCAL_USER_ID, run_id, **report)


def _stored(web: Web, run_id: int) -> dict[str, Any] | None:
    with web.app.state.web.engine.connect() as conn:
        return get_pain(conn, LOCAL_USER_ID, run_id)


def _send_untouched(web: Web, run_id: int) -> str:
    fields = form_fields(web.get(f"/runs/{run_id}/log").text, "quick-log")
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    answer = web.post(f"/runs/{run_id}/log", data=data)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


REPORTS: list[dict[str, Any]] = [
    # the case (pain at 2.52 mi; this run is 2.06 mi long) with severity, locations and notes
    {"onset": "1.52", "severity": 6, "locations": ["lower-back"], "qualities": ["cramp"], "notes": "hills"},
    # what the quick log cannot show: a progression of stages, how long it lasted, a side, a quality
    {
        "onset": "1.2km",
        "severity": 4,
        "locations": ["lower-back-left", "upper-glute"],
        "qualities": ["pump", "burning"],
        "stages": ["pump@1.2km", "cramp@2km", "walked@2.5km"],
        "lasted_after": "20min",
    },
    {"onset": "during lap 2", "severity": 5, "qualities": ["sharp"]},
    {"onset": "lap 2"},
    {"onset": "unknown", "severity": 2, "qualities": ["dull-ache"]},
    {"onset": "14:30", "notes": "windy"},
    {"status": "none", "notes": "felt great"},
]


@pytest.mark.parametrize("report", REPORTS)
def test_change_then_save_untouched_keeps_the_report(local: Web, report: dict[str, Any]) -> None:
    run_id = _upload(local)
    before = _record(local, run_id, default_unit="mi", **report)
    location = _send_untouched(local, run_id)
    assert location == f"/runs/{run_id}?logged=unchanged#saved"
    assert _stored(local, run_id) == before


def test_the_form_opens_on_the_stored_report(local: Web) -> None:
    run_id = _upload(local)
    _record(
        local, run_id, onset="1.52", severity=6, locations=["lower-back"], qualities=["cramp"], notes="hills"
    )
    fields = form_fields(local.get(f"/runs/{run_id}/log").text, "quick-log")
    sent = dict(fields)
    assert sent["pain"] == "cramp" and sent["onset"] == "1.52mi" and sent["severity"] == "6"
    assert sent["notes"] == "hills" and [v for k, v in fields if k == "locations"] == ["lower-back"]


def test_changing_one_field_keeps_what_the_form_does_not_show(local: Web) -> None:
    run_id = _upload(local)
    before = _record(local, run_id, **REPORTS[1], default_unit="mi")
    fields = [
        (k, "7" if k == "severity" else v)
        for k, v in form_fields(local.get(f"/runs/{run_id}/log").text, "quick-log")
    ]
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    assert local.post(f"/runs/{run_id}/log", data=data).headers["location"].endswith("logged=saved#saved")
    after = _stored(local, run_id)
    assert after is not None and after["severity"] == 7 and after["source"] == "web"
    for key in (
        "onset_m",
        "onset_low_m",
        "onset_high_m",
        "locations",
        "qualities",
        "stages",
        "lasted_after_s",
    ):
        assert after[key] == before[key], key
    # Choosing another kind of pain swaps that quality and its stage, and keeps the rest.
    _record(local, run_id, onset="1km", severity=5, qualities=["cramp", "burning"], stages=["cramp@1km"])
    data = {}
    for name, value in form_fields(local.get(f"/runs/{run_id}/log").text, "quick-log"):
        data.setdefault(name, []).append(value)
    assert data["pain"] == ["cramp"]
    data["pain"] = ["pump"]
    local.post(f"/runs/{run_id}/log", data=data)
    after = _stored(local, run_id)
    assert after is not None and after["qualities"] == ["burning", "pump"] and after["severity"] == 5
    assert after["stages"] == [{"stage": "pump", "distance_m": 1000.0}] and after["onset_m"] == 1000.0


def test_an_untouched_severity_stores_none(local: Web) -> None:
    run_id = _upload(local)
    page = local.get(f"/runs/{run_id}/log").text
    assert re.search(r'name="severity" value="" checked', page)
    assert not re.search(r'name="severity" value="\d+" checked', page)
    answer = local.form(f"/runs/{run_id}/log", {"pain": "pump", "onset": "1km", "severity": ""}, page="/")
    assert answer.status_code == 303
    stored = _stored(local, run_id)
    assert stored is not None and stored["severity"] is None and stored["qualities"] == ["pump"]


def test_a_lap_draft_opens_as_the_draft_and_save_confirms_it(local: Web) -> None:
    run_id = _upload(local)
    draft = _record(local, run_id, from_lap=True, source="lap", confirmed=False)
    page = local.get(f"/runs/{run_id}/log").text
    assert 'data-testid="draft-note"' in page and "from your first lap press" in page
    sent = dict(form_fields(page, "quick-log"))
    assert sent["pain"] == "other"
    assert sent["onset"] == f"{draft['onset_m'] / METRES_PER_MILE:.2f}mi"
    assert _send_untouched(local, run_id).endswith("logged=confirmed#saved")
    assert _stored(local, run_id) == {**draft, "confirmed": True}


def test_saved_state_is_shown_where_the_page_lands(local: Web) -> None:
    run_id = _upload(local)
    local.form(f"/runs/{run_id}/log", {"pain": "cramp", "onset": "1km", "severity": "5"}, page="/")
    page = local.get(f"/runs/{run_id}?logged=saved").text
    saved = re.search(r'<p class="ok saved" role="status" id="saved"[^>]*>(.*?)</p>', page, re.S)
    assert saved is not None and "Saved." in saved.group(1) and "5/10" in saved.group(1)
    assert page.index('id="saved"') < page.index('id="chart"')


def test_choices_read_stored_reports() -> None:
    assert quicklog.choice_of(None) is None
    assert quicklog.choice_of({"status": "none"}) == "none"
    pain = {"status": "pain", "qualities": [], "stages": []}
    assert quicklog.choice_of(pain) == "other"
    assert quicklog.choice_of({**pain, "qualities": ["dull-ache"]}) == "ache"
    assert quicklog.choice_of({**pain, "qualities": ["pump", "cramp"]}) == "cramp"
    assert quicklog.choice_of({**pain, "stages": [{"stage": "tightness", "distance_m": 5.0}]}) == "pump"
    assert quicklog.choice_of(
        {**pain, "qualities": ["cramp"], "stages": [{"stage": "walked", "distance_m": 9}]}
    ) == ("stopped")


# --- "pain-free?" for runs without a lap press (lap_is_pain on) ------------------------------------


def _lap_is_pain(web: Web, on: bool = True) -> None:
    with web.app.state.web.engine.begin() as conn:
        set_pref(conn, LOCAL_USER_ID, "lap_is_pain", "true" if on else "false")


def test_runs_without_a_lap_press_are_offered_as_pain_free(local: Web) -> None:
    plain = _upload(local, gpx_run())
    pressed = _upload(local)
    for page in ("/", "/runs", f"/runs/{plain}"):
        assert 'data-testid="offer-pain-free"' not in local.get(page).text  # setting off: nothing offered
    _lap_is_pain(local)
    listed = local.get("/runs").text
    assert (
        f'action="/runs/{plain}/pain-free"' in listed and f'action="/runs/{pressed}/pain-free"' not in listed
    )
    assert f'action="/runs/{plain}/pain-free"' in local.get("/").text
    assert 'data-testid="offer-pain-free"' in local.get(f"/runs/{plain}").text
    assert 'data-testid="offer-pain-free"' not in local.get(f"/runs/{pressed}").text
    assert 'data-testid="offer-note"' in local.get(f"/runs/{plain}/log").text
    # One tap records a real pain-free report, CSRF-checked.
    assert local.post(f"/runs/{plain}/pain-free", data={}).status_code == 403
    assert _stored(local, plain) is None
    answer = local.form(f"/runs/{plain}/pain-free", {"next": "/runs"}, page="/runs")
    assert answer.status_code == 303 and answer.headers["location"] == "/runs"
    stored = _stored(local, plain)
    assert (
        stored is not None
        and stored["status"] == "none"
        and stored["source"] == "web"
        and stored["confirmed"]
    )
    assert f'action="/runs/{plain}/pain-free"' not in local.get("/runs").text
    # A run with a report keeps it.
    _record(local, pressed, onset="1km", severity=3)
    assert local.form(f"/runs/{pressed}/pain-free", {}, page="/runs").status_code == 422
    assert _stored(local, pressed)["status"] == "pain"  # type: ignore[index]


def test_only_the_runner_can_confirm_pain_free(server) -> None:  # type: ignore[no-untyped-def]
    alice, coach = server(), server()
    signup(alice, "alice")
    signup(coach, "coach")
    run_id = _upload(alice, gpx_run())
    alice.form("/settings", {"units": "mi", "lap_is_pain": "true"})
    alice.form("/sharing/grant", {"grantee": "coach", "role": "coach"}, page="/sharing")
    assert 'data-testid="offer-pain-free"' in alice.get("/runs").text
    assert coach.form(f"/runs/{run_id}/pain-free", {}, page="/").status_code == 404  # not their run
    coach.form("/sharing/view", {"owner_id": "2"}, page="/")
    assert 'data-testid="offer-pain-free"' not in coach.get("/runs").text
    assert coach.form(f"/runs/{run_id}/pain-free", {}, page="/").status_code == 403
    assert alice.get(f"/api/runs/{run_id}").json()["pain"] is None
