"""One settings object, read once: every ``BACKSTRIDE_*`` variable is in :data:`ENVIRONMENT` (and in
``docs/settings.md``), read by :func:`load_settings` only, and sets the field the table names."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from backstride.config import (
    ENVIRONMENT,
    STRAVA_URL,
    EnvVar,
    Settings,
    database_url,
    environment_markdown,
    load_settings,
)
from backstride.errors import ValidationError

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "backstride"
NAME = re.compile(r"\bBACKSTRIDE_[A-Z0-9_]*[A-Z0-9]\b")
#: Variables of the test suite, never of the product.
TEST_ONLY = {"BACKSTRIDE_TEST_PG"}
TABLE = {var.name for var in ENVIRONMENT}


def _source_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".html", ".js"))


def _environment_reads(tree: ast.AST) -> list[int]:
    """Lines that touch ``os.environ`` / ``os.getenv`` (or import them from ``os``)."""
    names = {"environ", "getenv", "environb", "getenvb"}
    attributes = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in names]
    imports = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module == "os" and {a.name for a in n.names} & names
    ]
    return sorted(n.lineno for n in [*attributes, *imports])


def test_every_variable_named_in_the_package_is_in_the_table() -> None:
    named: dict[str, list[str]] = {}
    for path in _source_files():
        for found in NAME.findall(path.read_text(encoding="utf-8")):
            named.setdefault(found, []).append(str(path.relative_to(ROOT)))
    assert named, "the scan finds the variables the package reads"
    missing = {name: files for name, files in named.items() if name not in TABLE}
    assert not missing, f"BACKSTRIDE_* variables missing from backstride.config.ENVIRONMENT: {missing}"
    assert not TEST_ONLY & set(named), "test-only variables stay in the tests"


def test_only_the_settings_factory_reads_the_environment() -> None:
    readers = {}
    for path in SRC.rglob("*.py"):
        lines = _environment_reads(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            readers[str(path.relative_to(SRC))] = lines
    assert set(readers) == {"config.py"}, f"read the environment in backstride.config only: {readers}"
    # the scan itself sees a read
    assert _environment_reads(ast.parse("import os\nx = os.environ.get('BACKSTRIDE_X')")) == [2]
    assert _environment_reads(ast.parse("from os import getenv")) == [1]


def test_the_docs_table_is_the_environment_table() -> None:
    docs = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert environment_markdown() in docs, (
        "docs/settings.md: paste backstride.config.environment_markdown()"
    )
    documented = set(NAME.findall(docs + (ROOT / "README.md").read_text(encoding="utf-8")))
    assert documented - TEST_ONLY <= TABLE, f"the docs name variables backstride does not read: {documented}"


#: A value for each variable, and what its field holds then.
VALUES = {
    "BACKSTRIDE_HOME": ("{tmp}/home", lambda tmp: Path(f"{tmp}/home")),
    "BACKSTRIDE_DB": ("{tmp}/other.sqlite", lambda tmp: database_url(f"{tmp}/other.sqlite")),
    "BACKSTRIDE_UNITS": ("km", lambda tmp: "km"),
    "BACKSTRIDE_POOL": ("{tmp}/pool-elsewhere", lambda tmp: Path(f"{tmp}/pool-elsewhere")),
    "BACKSTRIDE_WEB_SECRET": ("a-key-for-the-forms", lambda tmp: "a-key-for-the-forms"),
    "BACKSTRIDE_STRAVA_CLIENT_ID": ("4242", lambda tmp: "4242"),
    "BACKSTRIDE_STRAVA_CLIENT_SECRET": ("s3cret-of-the-app", lambda tmp: "s3cret-of-the-app"),
    "BACKSTRIDE_STRAVA_URL": ("http://127.0.0.1:9/", lambda tmp: "http://127.0.0.1:9"),
}


@pytest.mark.parametrize("var", ENVIRONMENT, ids=lambda var: var.name)
def test_each_variable_sets_its_field(var: EnvVar, tmp_path: Path) -> None:
    assert var.name in VALUES, f"give {var.name} a value in VALUES"
    base = {"BACKSTRIDE_HOME": str(tmp_path)}
    raw, expected = VALUES[var.name]
    before = load_settings(env=base)
    after = load_settings(env={**base, var.name: raw.format(tmp=tmp_path)})
    assert getattr(after, var.setting) == expected(tmp_path) != getattr(before, var.setting)
    changed = {
        f.name
        for f in dataclasses.fields(Settings)
        if getattr(before, f.name) != getattr(after, f.name)
    }
    follows_home = {"db_url"} if var.name == "BACKSTRIDE_HOME" else set()
    also = {"db_given"} if var.name == "BACKSTRIDE_DB" else set()
    assert changed == {var.setting} | follows_home | also


def test_defaults_flags_and_bad_values(tmp_path: Path) -> None:
    env = {"BACKSTRIDE_HOME": str(tmp_path), "BACKSTRIDE_UNITS": "km", "BACKSTRIDE_DB": "a.sqlite"}
    plain = load_settings(env={"BACKSTRIDE_HOME": str(tmp_path)})
    assert plain.db_url == database_url(str(tmp_path / "backstride.sqlite")) and not plain.db_given
    assert plain.pool_dir == tmp_path / "pool" and plain.strava_url == STRAVA_URL
    assert plain.units is None and plain.web_secret is None and not plain.verbose
    flags = load_settings(db=str(tmp_path / "b.sqlite"), units="mi", env=env, verbose=True)
    assert flags.db_url == database_url(str(tmp_path / "b.sqlite")) and flags.units == "mi"
    assert flags.verbose and flags.db_given
    assert load_settings(env={**env, "BACKSTRIDE_POOL": "  "}).pool is None  # blank is unset
    secret = load_settings(
        env={**env, "BACKSTRIDE_WEB_SECRET": "k3y-unseen", "BACKSTRIDE_STRAVA_CLIENT_SECRET": "s3cret-unseen"}
    )
    assert secret.web_secret == "k3y-unseen" and "unseen" not in repr(secret)
    with pytest.raises(ValidationError, match="units must be 'mi' or 'km', not 'miles'"):
        load_settings(env={**env, "BACKSTRIDE_UNITS": "miles"})
    with pytest.raises(ValidationError, match="BACKSTRIDE_STRAVA_URL must be an http"):
        load_settings(env={**env, "BACKSTRIDE_STRAVA_URL": "strava.example"})
