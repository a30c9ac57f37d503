"""``backstride settings``: list, set, --json; one table drives validation, --help and the docs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backstride.cli import app
from backstride.config import database_url
from backstride.errors import ValidationError
from backstride.store.engine import open_store
from backstride.store.prefs import PREFERENCES, get_pref, preference, settings_markdown
from backstride.store.schema import LOCAL_USER_ID

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def run(db: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--db", db, *args], env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result.stdout


def stored(db: str, name: str) -> str:
    engine = open_store(database_url(db))
    try:
        with engine.connect() as conn:
            return get_pref(conn, LOCAL_USER_ID, name)
    finally:
        engine.dispose()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "settings.sqlite")


def test_list_shows_every_setting_with_its_default(db: str) -> None:
    out = run(db, "settings")
    for name, pref in PREFERENCES.items():
        assert name in out and pref.help[:30] in out
    assert run(db, "settings", "list") == out
    data = json.loads(run(db, "settings", "--json"))
    assert list(data) == list(PREFERENCES)
    assert data["units"] == {
        "value": "mi",
        "default": "mi",
        "type": "choice",
        "choices": ["mi", "km"],
        "help": PREFERENCES["units"].help,
    }
    assert data["lap_is_pain"]["value"] == "false" and data["lap_is_pain"]["type"] == "bool"


def test_lap_button_switched_on_from_the_command_line(db: str, tmp_path: Path) -> None:
    """The headline feature: ``settings set lap_is_pain true``, then an import makes a draft report."""
    from backstride.importers.fit.writer import write_fit
    from tests.log.helpers import make_run

    assert run(db, "settings", "set", "lap_is_pain", "yes").strip() == "lap_is_pain = true"
    assert stored(db, "lap_is_pain") == "true"
    path = tmp_path / "lap.fit"
    path.write_bytes(write_fit(make_run(laps=[(1200.0, "manual"), (8000.0, "session_end")])))
    run(db, "import", str(path))
    pain = json.loads(run(db, "show", "last", "--json"))["pain"]
    assert pain["source"] == "lap" and pain["onset_m"] == pytest.approx(1200.0, abs=1.0)
    run(db, "settings", "set", "lap_is_pain", "off")
    assert stored(db, "lap_is_pain") == "false"


def test_set_units_and_json(db: str) -> None:
    record = json.loads(run(db, "settings", "set", "units", "KM", "--json"))
    assert record["value"] == "km" and stored(db, "units") == "km"
    out = run(db, "settings", "--units", "mi")
    assert "--units or BACKSTRIDE_UNITS wins" in out


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("units", "furlongs", "units must be one of mi, km, not 'furlongs'"),
        ("lap_is_pain", "maybe", "lap_is_pain is yes or no (true/false, on/off), not 'maybe'"),
        ("colour", "blue", "unknown setting 'colour'; known: units, lap_is_pain, pool_opt_in"),
    ],
)
def test_bad_values_are_one_clean_line_and_change_nothing(
    db: str, key: str, value: str, message: str
) -> None:
    result = runner.invoke(app, ["--db", db, "settings", "set", key, value], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert stored(db, "units") == "mi" and stored(db, "lap_is_pain") == "false"


def test_table_validates_every_value_it_lists() -> None:
    for pref in PREFERENCES.values():
        assert pref.default in pref.choices
        for choice in pref.choices:
            assert pref.parse(choice) == choice
        with pytest.raises(ValidationError, match=pref.name):
            pref.parse("not-a-value")
    with pytest.raises(ValidationError, match="unknown setting"):
        preference("nope")


def test_every_setting_is_in_help_and_in_the_docs() -> None:
    """Fails when a preference is added to the table but not documented (re-run settings_markdown())."""
    for args in (["settings", "--help"], ["settings", "set", "--help"]):
        out = runner.invoke(app, args, env={"COLUMNS": "200"}).output
        for name, pref in PREFERENCES.items():
            assert name in out and f"default {pref.default}" in out, (args, name)
    docs = DOCS.read_text(encoding="utf-8")
    assert settings_markdown() in docs, "docs/settings.md: paste backstride.store.prefs.settings_markdown()"
    for name in PREFERENCES:
        assert f"| `{name}` |" in docs
