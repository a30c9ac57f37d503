"""``--verbose`` (before or after the command) shows on stderr the failures recorded along the way, with
their causes; without it they are not shown. ``backstride serve`` logs them through uvicorn's logging."""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backstride.cli import app
from backstride.cli.app import GLOBAL_FLAGS, GLOBAL_OPTIONS
from backstride.cli.lazy import hoist_options
from backstride.web.serving import log_config, log_level
from tests.conftest import fixtures_dir

runner = CliRunner()
FIT = "fit/geoactivity__2022-05-29-15-53-35_Laufen_Landal_Park.fit"


def _corrupt(tmp_path: Path) -> Path:
    data = bytearray((fixtures_dir() / FIT).read_bytes())
    data[0] = 13  # a FIT header is 12 or 14 bytes long
    bad = tmp_path / "corrupt.fit"
    bad.write_bytes(bytes(data))
    return bad


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["import", "x.fit", "--verbose"], ["--verbose", "import", "x.fit"]),
        (["--verbose", "runs"], ["--verbose", "runs"]),
        (["runs", "--verbose", "--units", "km"], ["--verbose", "--units", "km", "runs"]),
        (["--db", "x.db", "runs", "--json", "--verbose"], ["--db", "x.db", "--verbose", "runs", "--json"]),
        (["pain", "last", "--", "--verbose"], ["pain", "last", "--", "--verbose"]),
    ],
)
def test_the_verbose_flag_is_hoisted_without_a_value(args: list[str], expected: list[str]) -> None:
    assert hoist_options(args, GLOBAL_OPTIONS, GLOBAL_FLAGS) == expected


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_shows_a_recorded_failure_with_its_cause(tmp_path: Path, where: str) -> None:
    db = str(tmp_path / "v.sqlite")
    bad = _corrupt(tmp_path)
    command = ["import", str(bad)]
    args = ["--db", db, "--verbose", *command] if where == "before" else ["--db", db, *command, "--verbose"]
    package = logging.getLogger("backstride")
    handlers, level = list(package.handlers), package.level
    shown = runner.invoke(app, args)
    assert shown.exit_code == 1, shown.output
    assert "failed 1" in shown.stdout and "header size 13 is not 12 or 14" in shown.output
    assert f"INFO backstride.ingest.saving: {bad}: not a valid FIT file: header size 13" in shown.stderr
    assert "FitHeaderError: header size 13 is not 12 or 14" in shown.stderr  # the decoder's error
    assert "The above exception was the direct cause of the following exception" in shown.stderr
    assert "BadFileError" in shown.stderr
    assert (package.handlers, package.level) == (handlers, level)  # the command's handler is gone


def test_without_verbose_the_failure_is_told_but_not_its_log(tmp_path: Path) -> None:
    bad = _corrupt(tmp_path)
    quiet = runner.invoke(app, ["--db", str(tmp_path / "q.sqlite"), "import", str(bad)])
    assert quiet.exit_code == 1
    assert "not a valid FIT file: header size 13 is not 12 or 14" in quiet.output  # the summary line
    assert "FitHeaderError" not in quiet.output and "Traceback" not in quiet.output
    assert "backstride.ingest" not in quiet.output


def test_verbose_shows_the_cause_of_a_command_error(tmp_path: Path) -> None:
    sheet = tmp_path / "pain.csv"
    sheet.write_bytes(codecs.BOM_UTF8 + b"date,onset\n2025-03-01,1.2 mi \xff\n")
    args = ["--db", str(tmp_path / "e.sqlite"), "pain", "import", str(sheet)]
    quiet = runner.invoke(app, args)
    assert quiet.exit_code == 1 and "not valid UTF-8-SIG text" in quiet.stderr
    assert "UnicodeDecodeError" not in quiet.stderr
    loud = runner.invoke(app, [*args, "--verbose"])
    assert loud.exit_code == 1 and "not valid UTF-8-SIG text" in loud.stderr
    assert "UnicodeDecodeError" in loud.stderr and "direct cause" in loud.stderr


def test_the_web_server_logs_backstride_through_uvicorn() -> None:
    quiet, loud = log_config(False), log_config(True)
    assert quiet["loggers"]["backstride"] == {"handlers": ["default"], "level": "WARNING", "propagate": False}
    assert loud["loggers"]["backstride"]["level"] == "DEBUG"
    assert quiet["handlers"]["default"]["stream"] == "ext://sys.stderr"  # uvicorn's own handler
    assert {"uvicorn", "uvicorn.error", "uvicorn.access"} <= set(quiet["loggers"])
    assert (log_level(False), log_level(True)) == ("warning", "info")
