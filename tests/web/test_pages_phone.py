"""What a runner on a phone sees (issue 14 items 12 and 14): starting an experiment from the web, an
ended experiment reading "finished", local run times, a pace panel for GPX runs, an honest empty
dashboard window, a favicon; the plan's schedule as a list of weeks (issue 13 item 13)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from lxml import html as lxml_html

from backstride.experiments import store
from backstride.experiments.service import new_experiment, resolve_remedy
from backstride.run_series import track_speed
from backstride.store.schema import LOCAL_USER_ID
from tests.web.conftest import Web, form_fields, gpx_run, lap_run


def _tree(web: Web, url: str) -> lxml_html.HtmlElement:
    answer = web.get(url)
    assert answer.status_code == 200, answer.text
    return lxml_html.fromstring(answer.text)


def _by_testid(tree: lxml_html.HtmlElement, name: str) -> list[lxml_html.HtmlElement]:
    return list(tree.xpath(f'//*[@data-testid="{name}"]'))


def _upload(web: Web, path: Path | None = None) -> int:
    answer = web.upload(path or lap_run())
    assert answer.status_code == 200, answer.text
    return int(answer.json()["files"][0]["activity_id"])


def test_a_runner_starts_an_experiment_from_the_web(demo: Web) -> None:
    form = _tree(demo, "/experiments/new")
    fields = dict(form_fields(demo.get("/experiments/new").text, "experiment-form"))
    assert fields["pairs"] == "3" and fields["period"] == "7d"
    assert date.fromisoformat(fields["start"]).weekday() == 0  # next Monday
    assert form.xpath("//datalist[@id='remedy-list']/option")  # the knowledge base's testable remedies
    design = {**fields, "title": "Glute bridges before runs", "remedy": "glute", "start": "2030-03-04"}
    preview = demo.post("/experiments/preview", data=design)
    assert preview.status_code == 200, preview.text
    tree = lxml_html.fromstring(preview.text)
    order = [li.get("data-condition") for li in _by_testid(tree, "preview-schedule")[0].xpath(".//li")]
    assert len(order) == 6 and sorted(order) == ["A", "A", "A", "B", "B", "B"]
    power = " ".join(_by_testid(tree, "preview-power")[0].text_content().split())
    assert "chance to show a 30% longer pain-free distance" in power
    with demo.app.state.web.engine.connect() as conn:
        assert store.list_experiments(conn, LOCAL_USER_ID) == []  # nothing stored before confirming
    confirm = dict(form_fields(preview.text, "experiment-confirm"))
    created = demo.post("/experiments", data=confirm)
    assert created.status_code == 303
    with demo.app.state.web.engine.connect() as conn:
        (exp,) = store.list_experiments(conn, LOCAL_USER_ID)
    assert created.headers["location"] == f"/experiments/{exp.id}?created=1"
    assert exp.sequence == "".join(order) and exp.seed == int(confirm["seed"])  # the order shown
    assert exp.remedy == resolve_remedy("glute").id
    assert exp.start_date == date(2030, 3, 4) and exp.pairs == 3 and exp.period_days == 7
    assert "planned" in _tree(demo, "/experiments").text_content()
    # Bad input is one clear line.
    bad = demo.post("/experiments/preview", data={**design, "pairs": "2"})
    assert bad.status_code == 422 and "pairs: 3 to 12" in bad.text
    assert demo.post("/experiments/preview", data={**design, "period": "soon"}).status_code == 422
    assert (
        demo.post("/experiments", data={k: v for k, v in confirm.items() if k != "csrf_token"}).status_code
        == 403
    )


def test_an_ended_experiment_reads_finished(demo: Web) -> None:
    with demo.app.state.web.engine.begin() as conn:
        made = new_experiment(
            conn,
            LOCAL_USER_ID,
            "Core",
            "core",
            pairs=3,
            period_days=7,
            start=date(2024, 1, 1),
            seed=1,
            power=False,
        )
    exp = made.experiment
    assert exp.status == "running"  # as stored: nobody stopped it
    page = _tree(demo, f"/experiments/{exp.id}")
    assert [n.text_content() for n in _by_testid(page, "experiment-status")] == ["finished"]
    listing = _tree(demo, "/experiments")
    assert [n.text_content() for n in _by_testid(listing, "experiment-status")] == ["finished"]
    assert "running" not in " ".join(listing.text_content().split())


def test_run_times_are_local_like_the_list(local: Web) -> None:
    run_id = _upload(local)
    detail = local.get(f"/api/runs/{run_id}").json()
    listed = _tree(local, "/runs").xpath("//span[@class='run-date']")[0].text_content()
    page = local.get(f"/runs/{run_id}").text
    quick = local.get(f"/runs/{run_id}/log").text
    assert detail["start"] not in re.sub(r'datetime="[^"]*"', "", page) and detail["start"] not in quick
    assert listed in page and listed in quick  # e.g. "Sun 29 May 2022, 17:53", the watch's local time
    assert re.fullmatch(r"\w{3} \d\d \w{3} \d{4}, \d\d:\d\d", listed)


def test_a_gpx_run_has_a_pace_panel_from_its_track(local: Web) -> None:
    run_id = _upload(local, gpx_run())
    chart = _tree(local, f"/runs/{run_id}").xpath("//g[contains(@class, 'panel-pace')]")
    assert chart, "a pace line drawn from distance and time"
    from backstride.store.activities import load_streams

    with local.app.state.web.engine.connect() as conn:
        streams = load_streams(conn, run_id)
    assert "speed" not in streams
    speed = track_speed(streams)
    assert speed is not None
    moving = speed[speed > 0.5]
    detail = local.get(f"/api/runs/{run_id}").json()
    average = detail["distance_m"] / (detail["moving_s"] or detail["elapsed_s"])
    assert abs(float(sorted(moving)[len(moving) // 2]) - average) < 0.35 * average


def test_an_empty_window_says_no_runs(local: Web) -> None:
    run_id = _upload(local)  # from 2022: nothing in the last 8 weeks
    local.put(f"/api/runs/{run_id}/pain", json={"status": "none"})
    page = _tree(local, "/")
    card = " ".join(_by_testid(page, "pain-free")[0].text_content().split())
    assert "no reported runs in the last 8 weeks" in card and "not reached" not in card
    assert _by_testid(page, "no-runs")


def test_favicon(local: Web) -> None:
    icon = local.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon"' in local.get("/").text


def test_plan_schedule_is_a_list_of_weeks_with_words_left_aligned(demo: Web) -> None:
    tree = _tree(demo, "/plan")
    weeks = _by_testid(tree, "plan-week")
    assert weeks and weeks[0].xpath("./th[@scope='row']")[0].text_content().startswith("Week 1")
    labels = [td.get("data-label") for td in weeks[0].xpath("./td")]
    assert labels == ["From", "Runs", "Long run", "Total", "Sessions"]
    sessions = [w.xpath("./td[@data-label='Sessions']")[0].text_content() for w in weeks]
    assert any(s == "as the week before" for s in sessions[1:]) or len(set(sessions)) == len(sessions)
