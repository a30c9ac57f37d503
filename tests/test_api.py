"""The public API of ``import backstride``: exactly the documented names, each with a docstring, one
convention for argument names, typed (``py.typed`` shipped), light to import; and ``open_store``
by the rules of ``backstride --db``."""

from __future__ import annotations

import functools
import inspect
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

import backstride
from backstride.store.engine import head_revision
from backstride.store.schema import LOCAL_USER_ID, users

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebook.md"
HEAVY = ("pandas", "scipy", "lifelines", "ibis", "duckdb", "fastapi", "pyarrow", "numpy", "sqlalchemy")


def _section_names(heading: str) -> list[str]:
    """The backticked names in the first column of the table under ``heading`` in notebook.md."""
    text = NOTEBOOK.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    section = section[: section.find("\n## ", 1) if "\n## " in section[1:] else len(section)]
    names = []
    for line in section.splitlines():
        if line.startswith("| `"):
            names += re.findall(r"`([^`]+)`", line.split("|")[1])
    return names


def test_exports_are_exactly_the_documented_names() -> None:
    documented = _section_names("## The public API")
    assert len(documented) == len(set(documented))
    assert sorted(backstride.__all__) == sorted(documented)
    assert list(backstride.__all__) == sorted(backstride.__all__)


@pytest.mark.parametrize("name", [n for n in backstride.__all__ if n != "__version__"])
def test_every_export_resolves_and_has_a_docstring(name: str) -> None:
    value = getattr(backstride, name)
    assert inspect.getdoc(value), f"backstride.{name} has no docstring"
    assert name in dir(backstride)
    if inspect.isclass(value):
        for member in dir(value):
            attr = inspect.getattr_static(value, member)
            if member.startswith("_"):
                continue
            if callable(attr) or isinstance(attr, property | functools.cached_property):
                assert inspect.getdoc(getattr(value, member)), f"{name}.{member} has no docstring"


def test_lazy_names_are_the_library_objects() -> None:
    from backstride.analysis.cox import ConvergenceError
    from backstride.analysis.regression import CoxRegression
    from backstride.analysis.survival import KaplanMeier
    from backstride.api import analyze
    from backstride.errors import BackstrideError

    assert backstride.KaplanMeier is KaplanMeier and backstride.CoxRegression is CoxRegression
    assert backstride.analyze is analyze
    assert (
        issubclass(backstride.ConvergenceError, BackstrideError)
        and backstride.ConvergenceError is ConvergenceError
    )
    assert isinstance(backstride.__version__, str)
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        _ = backstride.not_a_name  # type: ignore[attr-defined]


def test_importing_backstride_loads_no_heavy_library() -> None:
    code = "import sys, backstride; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    ours = {m for m in out.stdout.split() if m.startswith("backstride")}
    assert ours == {"backstride", "backstride.errors"}


def test_py_typed_is_shipped() -> None:
    assert (Path(backstride.__file__).parent / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["backstride"]


def _public_signatures() -> dict[str, inspect.Signature]:
    out = {}
    for name in backstride.__all__:
        value = getattr(backstride, name)
        if inspect.isfunction(value):
            out[name] = inspect.signature(value)
        elif inspect.isclass(value) and not issubclass(value, BaseException):
            for member in ("__init__", "fit"):
                if member in vars(value):
                    out[f"{name}.{member}"] = inspect.signature(getattr(value, member))
    return out


def test_argument_names_follow_the_documented_convention() -> None:
    documented = _section_names("## Argument names")
    exact = {n for n in documented if not n.startswith("...")}
    suffixes = tuple(n[3:] for n in documented if n.startswith("..."))
    assert suffixes == ("_m", "_col")
    signatures = _public_signatures()
    assert {"open_store", "analyze", "CoxRegression.fit", "PoissonRegression.fit", "KaplanMeier.fit"} <= set(
        signatures
    )
    seen = set()
    for where, sig in signatures.items():
        for p in sig.parameters.values():
            if p.name == "self":
                continue
            seen.add(p.name)
            assert p.name in exact or p.name.endswith(suffixes), (
                f"{where}: {p.name!r} is not in docs/notebook.md"
            )
            if p.name in ("user_id", "unit", "target_m", "covariates", "entry_col", "baseline_col"):
                assert p.kind is inspect.Parameter.KEYWORD_ONLY, f"{where}: {p.name} should be keyword-only"
    unused = exact - seen
    assert not unused, f"documented but used nowhere: {unused}"


def _check_store(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(select(users.c.id)).scalars().all() == [LOCAL_USER_ID]
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()


def test_open_store_from_a_path(tmp_path: Path) -> None:
    for location in (str(tmp_path / "a.sqlite"), tmp_path / "b.sqlite"):
        engine = backstride.open_store(location)
        try:
            _check_store(engine)
            assert engine.url.database == str(Path(location).resolve())
        finally:
            engine.dispose()


def test_open_store_refuses_a_path_in_a_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "store.sqlite"
    with pytest.raises(backstride.ValidationError, match=r"nowhere: no such folder for the database"):
        backstride.open_store(missing)
    assert not missing.parent.exists()


def test_open_store_by_url(db_url: str) -> None:
    given = db_url.replace("postgresql+psycopg://", "postgresql://")  # as a user writes it
    engine = backstride.open_store(given)
    try:
        _check_store(engine)
        assert engine.dialect.name == ("postgresql" if given.startswith("postgresql://") else "sqlite")
    finally:
        engine.dispose()


def test_open_store_without_an_argument_uses_backstride_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKSTRIDE_DB", str(tmp_path / "env.sqlite"))
    engine = backstride.open_store()
    try:
        assert engine.url.database == str(tmp_path / "env.sqlite")
        _check_store(engine)
    finally:
        engine.dispose()
