"""The bundle shares only banded, coarse, closed-vocabulary fields: nothing identifies a runner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from backstride.config import database_url
from backstride.errors import ValidationError
from backstride.log.pain import record_pain
from backstride.pool.bundle import Bundle, validate
from backstride.pool.export import ProfileInput, export_bundle
from backstride.pool.schema import SECTIONS, on_grid
from backstride.store.engine import open_store
from backstride.store.schema import LOCAL_USER_ID, activities, shoes
from tests.log.helpers import save_run


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    """A copy of the demo store for this test (exports write the contributor id into it)."""
    copy = tmp_path / "store.sqlite"
    copy.write_bytes(demo_db.read_bytes())
    return copy


def _export(db: Path, out: Path) -> tuple[Bundle, str]:
    engine = open_store(database_url(str(db)))
    try:
        bundle = export_bundle(
            engine, LOCAL_USER_ID, out, ProfileInput(age_band="30-39", sex="male", height_cm=185)
        )
    finally:
        engine.dispose()
    return bundle, out.read_text(encoding="utf-8")


def test_every_field_is_declared_banded_and_coarse(db: Path, tmp_path: Path) -> None:
    bundle, text = _export(db, tmp_path / "b.json")
    data = json.loads(text)
    assert validate(data) == []
    assert bundle.n_runs > 10
    for section, fields in SECTIONS.items():
        declared = {f.name for f in fields}
        if section == "profile":
            assert set(data["profile"]) == declared
        elif section == "runs":
            assert set(data["runs"]) == declared
        else:
            assert all(set(row) == declared for row in data[section])
    assert all(d % 10 == 0 for d in data["runs"]["distance_m"])
    assert all(o is None or o % 10 == 0 for o in data["runs"]["onset_m"])
    assert all(s is None or on_grid(s, 0.05) for s in data["runs"]["descent_share"])
    # bands from the caller and from the store; the height itself is not written
    assert data["profile"]["age_band"] == "30-39" and data["profile"]["bmi_band"] == "30+"
    assert "185" not in text and "height" not in text


def test_nothing_from_the_store_that_could_identify_leaks(db: Path, tmp_path: Path) -> None:
    _, text = _export(db, tmp_path / "b.json")
    engine = open_store(database_url(str(db)))
    with engine.connect() as conn:
        rows = conn.execute(select(activities.c.device, activities.c.name, activities.c.start_utc)).all()
        shoe_names = conn.execute(select(shoes.c.name)).scalars().all()
    engine.dispose()
    secrets = (
        {str(r.device) for r in rows if r.device} | {str(r.name) for r in rows if r.name} | set(shoe_names)
    )
    assert secrets, "the demo store must hold names and devices for this test to mean anything"
    for secret in secrets:
        assert secret not in text
    for r in rows:
        assert r.start_utc.date().isoformat() not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), "no dates"
    assert not re.search(r"\d+\.\d{5,}", text), "no precise decimals (coordinates)"
    # every string value is from a closed vocabulary or is one of the two ids
    data = json.loads(text)
    strings = [v for v in data["profile"].values()] + list(data["runs"]["surface"])
    strings += [
        v for row in data["remedies"] + data["experiments"] for v in row.values() if isinstance(v, str)
    ]
    for section, fields in SECTIONS.items():
        for f in fields:
            if f.kind == "band":
                allowed = set(f.vocabulary())
                values = (
                    [data["profile"][f.name]]
                    if section == "profile"
                    else data["runs"][f.name]
                    if section == "runs"
                    else [row[f.name] for row in data[section]]
                )
                assert set(values) <= allowed
    assert strings


def test_contributor_id_is_random_not_derived_from_the_user(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(db.read_bytes())
    first, _ = _export(db, tmp_path / "a.json")
    again, _ = _export(db, tmp_path / "b.json")
    other, _ = _export(copy, tmp_path / "c.json")
    assert again.contributor_id == first.contributor_id and again.revision == first.revision + 1
    # the copy holds the same user (id 1) and the same data, yet gets its own random id
    assert other.revision == 1 and other.contributor_id != first.contributor_id


@pytest.mark.parametrize(
    ("where", "value", "reason"),
    [
        (("profile", "age_band"), "34", "vocabulary"),
        (("profile", "sex"), "John Smith", "vocabulary"),
        (("runs", "distance_m", 0), 5003, "finer than"),
        (("runs", "descent_share", 0), 0.123, "finer than"),
        (("runs", "surface", 0), "Central Park loop", "vocabulary"),
        (("experiments", 0, "verdict"), "it really helped!", "vocabulary"),
    ],
)
def test_validation_rejects_anything_outside_the_allow_list(where: tuple, value: object, reason: str) -> None:
    import numpy as np

    from tests.pool.helpers import experiment, make_bundle

    data = make_bundle(np.random.default_rng(1), experiments=[experiment("foam_rolling", 0.1)]).content()
    node = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    problems = validate(data)
    assert problems and reason in problems[0]
    with pytest.raises(ValidationError):
        Bundle.from_dict(data)


def test_extra_fields_are_rejected() -> None:
    import numpy as np

    from tests.pool.helpers import make_bundle

    data = make_bundle(np.random.default_rng(2)).content()
    data["runs"]["lat"] = [51.5] * len(data["runs"]["week"])
    assert validate(data)
    data = make_bundle(np.random.default_rng(2)).content()
    data["profile"]["name"] = "Jane"
    assert validate(data)
    data = make_bundle(np.random.default_rng(2)).content()
    data["started"] = "2025-03-01T07:00:00Z"
    assert validate(data)


def test_round_trip_keeps_the_hash(tmp_path: Path) -> None:
    import numpy as np

    from tests.pool.helpers import make_bundle

    bundle = make_bundle(np.random.default_rng(3))
    back = Bundle.read(bundle.write(tmp_path / "x.json"))
    assert back.hash == bundle.hash and back.content() == bundle.content()


def test_an_onset_known_only_to_an_interval_stays_an_interval(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Issue 12, fault 2: "unknown" on a 7,651 m run was exported as an exact onset at 3,830 m."""
    from tests.log.helpers import make_run, runs_on_days

    long_run = save_run(sqlite_engine, make_run(distance_m=7651.0, tag="long"))
    others = runs_on_days(sqlite_engine, 3, distance_m=5000.0)
    with sqlite_engine.begin() as conn:
        record_pain(conn, LOCAL_USER_ID, long_run, onset="unknown", severity=5)
        record_pain(conn, LOCAL_USER_ID, others[0], onset="1.5km", severity=3)
        record_pain(conn, LOCAL_USER_ID, others[1], status="none")
    bundle = export_bundle(sqlite_engine, LOCAL_USER_ID, tmp_path / "b.json", ProfileInput())
    runs = bundle.runs
    i = runs["distance_m"].index(7650)
    assert runs["pain"][i] is True and runs["onset_m"][i] is None
    assert (runs["onset_low_m"][i], runs["onset_high_m"][i]) == (0, 7650)
    j = runs["onset_m"].index(1500)
    assert runs["onset_low_m"][j] == runs["onset_high_m"][j] == 1500
    free = runs["pain"].index(False)
    assert runs["onset_low_m"][free] is None and runs["onset_high_m"][free] is None
    assert validate(json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))) == []


def test_the_pool_takes_its_vocabularies_from_where_they_are_defined() -> None:
    from backstride.experiments.design import OUTCOMES
    from backstride.experiments.verdict import VERDICTS
    from backstride.log.routines import CATEGORIES
    from backstride.log.run_tags import SURFACES
    from backstride.pool import schema

    fields = {f.name: f for f in schema.RUN + schema.REMEDY + schema.EXPERIMENT}
    assert fields["outcome"].vocabulary() is OUTCOMES
    assert fields["verdict"].vocabulary() is VERDICTS
    assert fields["surface"].vocabulary() == (*SURFACES, "unknown")
    assert set(CATEGORIES) < set(fields["remedy"].vocabulary())
