"""The run summary's field list has one home (store.activities.SUMMARY_MEASURES): the table, the
importers' Activity, the run records and the feature table all follow it."""

from __future__ import annotations

import dataclasses

from backstride.analysis.features import _NUMERIC, FEATURE_COLUMNS
from backstride.importers.model import Activity
from backstride.runview import RECORD_FIELDS
from backstride.store.activities import SUMMARY_FIELDS, SUMMARY_MEASURES
from backstride.store.schema import activities


def test_every_summary_field_is_a_column_and_an_activity_attribute() -> None:
    attributes = {f.name for f in dataclasses.fields(Activity)}
    assert set(SUMMARY_FIELDS) <= set(activities.c.keys())
    assert set(SUMMARY_FIELDS) <= attributes
    assert set(SUMMARY_MEASURES) < set(SUMMARY_FIELDS)


def test_run_records_and_the_feature_table_show_every_measure() -> None:
    assert [f for f in RECORD_FIELDS if f in SUMMARY_MEASURES] == list(SUMMARY_MEASURES)
    assert len(_NUMERIC) == len(SUMMARY_MEASURES)
    # the feature table keeps every measure but the times and the average speed (it has the run's
    # duration and pace instead)
    assert {n for n in _NUMERIC if n not in FEATURE_COLUMNS} == {"moving_s", "elapsed_s", "avg_speed"}
