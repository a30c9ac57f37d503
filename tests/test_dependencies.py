"""The runtime dependencies in ``pyproject.toml`` are exactly what ``src/`` needs: every package the code
imports (at the top of a module or inside a function) is declared, and the reference implementations
the tests check against (lifelines, statsmodels, fitdecode) are test extras that no runtime code imports.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "backstride"
#: Packages that only the tests use, as references for our own statistics and FIT decoding.
TEST_REFERENCES = ("lifelines", "statsmodels", "fitdecode")


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _project() -> dict[str, object]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project: dict[str, object] = data["project"]
    return project


def _runtime() -> set[str]:
    return {_name(r) for r in _project()["dependencies"]}  # type: ignore[attr-defined]


def _imported_by_src() -> dict[str, set[str]]:
    """Top-level third-party modules that ``src/`` imports, with the files that import them."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "backstride" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_package_src_imports_is_a_runtime_dependency() -> None:
    runtime = _runtime()
    distributions = importlib.metadata.packages_distributions()
    imported = _imported_by_src()
    assert {"numpy", "sqlalchemy", "fastapi", "lxml"} <= set(imported)  # the scan sees the code
    undeclared = {
        module: sorted(files)
        for module, files in imported.items()
        if not {_name(d) for d in distributions.get(module, [module])} & runtime
    }
    assert undeclared == {}, "imported by src/ but not in [project] dependencies"


def test_test_references_are_test_extras_that_runtime_code_never_imports() -> None:
    assert set(TEST_REFERENCES).isdisjoint(_runtime())
    extras = _project()["optional-dependencies"]
    assert set(TEST_REFERENCES) <= {_name(r) for r in extras["test"]}  # type: ignore[index]
    imported = _imported_by_src()
    assert {m: sorted(imported[m]) for m in TEST_REFERENCES if m in imported} == {}
