"""The report's fragments escape what the runner (or another runner's bundle) typed: an experiment's
title in its CENT-style report, a remedy's name in "Runners like you"."""

from __future__ import annotations

from datetime import date

import lxml.html
import numpy as np
from sqlalchemy import Engine

from backstride.experiments.service import new_experiment
from backstride.pool.neighbours import LikeMe
from backstride.report.experiment import experiment_report_html
from backstride.report.runners_like_you import render_runners_like_you
from backstride.store.schema import LOCAL_USER_ID
from tests.experiments.helpers import follow_schedule

TYPED = "<script>alert('pump')</script> & <b>glutes</b>"


def test_an_experiment_title_is_shown_not_run(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        made = new_experiment(
            conn,
            LOCAL_USER_ID,
            TYPED,
            "glute-activation-pre-run",
            pairs=3,
            period_days=7,
            start=date(2025, 3, 3),
            seed=5,
            power=False,
        )
    follow_schedule(sqlite_engine, np.random.default_rng(2), made.experiment.to_dict()["schedule"], ratio=1.0)
    with sqlite_engine.connect() as conn:
        page = experiment_report_html(conn, LOCAL_USER_ID, made.experiment.id)
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#39;pump&#39;)&lt;/script&gt; &amp; &lt;b&gt;glutes&lt;/b&gt;" in page
    doc = lxml.html.fragment_fromstring(page)
    assert doc.tag == "section" and not doc.xpath("//script | //b")
    assert doc.xpath("string(//h2)") == f"Experiment {made.experiment.id}: {TYPED}"
    assert len(doc.xpath("//svg//circle | //svg//path")) == 6 * 5  # the chart still draws every run


def test_a_remedy_name_from_the_pool_is_shown_not_run() -> None:
    like = LikeMe(
        15,
        {},
        [
            {"remedy": TYPED, "runners": 12, "benefit": 9, "mean_effect": 1.25, "suppressed": False},
            {"remedy": "<img src=x onerror=alert(1)>", "runners": 3, "suppressed": True},
        ],
    )
    page = render_runners_like_you(like)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    doc = lxml.html.fragment_fromstring(page)
    cells = [[td.text_content() for td in tr.xpath("td")] for tr in doc.xpath("//tbody/tr")]
    assert cells == [
        [TYPED, "12", "9 of 12", "1.25x"],
        ["<img src=x onerror=alert(1)>", "fewer than 10 runners"],
    ]
