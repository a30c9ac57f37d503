"""In CI (``CI=true``) a test that would skip fails instead, whatever makes it skip; elsewhere it skips
with its reason. Checked by running small test files with this suite's ``conftest.py`` hooks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SKIPPING = """
import pytest

from tests.conftest import missing


def test_skip_call():
    pytest.skip("no device")


@pytest.mark.skipif(True, reason="never here")
def test_skipif_mark():
    pass


def test_missing_set_up():
    missing("no server")


@pytest.mark.parametrize("path", [])
def test_empty_parameter_set(path):
    pass


def test_that_runs():
    pass
"""

NO_FIXTURES = """
import pytest

from tests.conftest import fixture_files


@pytest.mark.parametrize("path", fixture_files("no-such-folder", "*.fit"))
def test_each_file(path):
    pass
"""


def _run(tmp_path: Path, test_file: str, ci: bool) -> str:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_runtest_makereport  # noqa: F401\n", encoding="utf-8"
    )
    (tmp_path / "test_it.py").write_text(test_file, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_XDIST_WORKER")}
    env["PYTHONPATH"] = str(ROOT)
    if ci:
        env["CI"] = "true"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfsE", "-p", "no:cacheprovider", "test_it.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout + done.stderr


def _counts(output: str) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)\b", output)}


def test_every_kind_of_skip_fails_in_ci(tmp_path: Path) -> None:
    out = _run(tmp_path, SKIPPING, ci=True)
    assert _counts(out) == {"passed": 1, "failed": 2, "errors": 2}, out
    for reason in ("no device", "never here", "no server", "got empty parameter set"):
        said = rf"skipped in CI, where every test must run: .*{reason}|CI must run this test: {reason}"
        assert re.search(said, out), (reason, out)


def test_outside_ci_they_skip_with_their_reason(tmp_path: Path) -> None:
    out = _run(tmp_path, SKIPPING, ci=False)
    assert _counts(out) == {"passed": 1, "skipped": 4}, out
    for reason in ("no device", "never here", "no server"):
        assert reason in out


@pytest.mark.parametrize("ci", [True, False])
def test_an_absent_fixture_folder_stops_ci_and_skips_elsewhere(tmp_path: Path, ci: bool) -> None:
    out = _run(tmp_path, NO_FIXTURES, ci=ci)
    if ci:
        assert "CI must have the shared fixtures: no *.fit in" in out and "1 error" in out, out
    else:
        assert _counts(out) == {"skipped": 1}, out
