"""The CENT-style report: self-contained HTML fragment and text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from backstride.experiments.report import experiment_report_text
from backstride.experiments.service import analyze_experiment, new_experiment
from backstride.report.experiment import experiment_report_html
from backstride.store.schema import LOCAL_USER_ID

from .helpers import follow_schedule


def test_report_sections_chart_and_no_external_resources(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        made = new_experiment(
            conn,
            LOCAL_USER_ID,
            "glute activation",
            "glute-activation-pre-run",
            pairs=3,
            period_days=7,
            start=date(2025, 3, 3),
            seed=5,
            power=False,
        )
    schedule = made.experiment.to_dict()["schedule"]
    follow_schedule(engine, np.random.default_rng(2), schedule, ratio=1.0)
    with engine.connect() as conn:
        page = experiment_report_html(conn, LOCAL_USER_ID, made.experiment.id)
        text = experiment_report_text(conn, LOCAL_USER_ID, made.experiment.id)
    assert made.experiment.remedy == "glute_activation_pre_run"
    for heading in ("Design", "Periods", "Adherence and data", "Model", "Result"):
        assert f"<h3>{heading}</h3>" in page
    assert page.count("<tr>") == 1 + 6  # header and one row per period
    assert "<svg" in page and "<script" not in page and "src=" not in page
    assert page.count("<circle") + page.count("<path") == 6 * 5  # every run drawn
    assert "Randomisation test (8 possible orders of 3 pairs): with 3 pairs the smallest two-sided p" in text
    assert "is not evidence of no effect" in text and "at least 6 pairs" in text
    with engine.connect() as conn:
        _, result = analyze_experiment(conn, LOCAL_USER_ID, made.experiment.id)
    assert result.terms == ["intercept", "B"]  # 3 pairs: no trend term; washout: no carry-over
