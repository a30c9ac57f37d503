"""The README is a contract: every line of its tour runs, in order, on the demo's data.

The tour is the first fenced block after ``## A short tour``. Each line is ``backstride ...`` (run
through the CLI in this process) or ``export NAME=VALUE`` (set for the lines after it); anything else
fails the test, so nothing unchecked can enter the tour. A comment saying ``exit status N`` gives the
expected status, else 0. ``backstride serve`` runs as a process on a free port until it answers.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backstride.cli import app
from tests.servers import first_answer, free_port

README = Path(__file__).resolve().parents[1] / "README.md"
runner = CliRunner()


def tour() -> list[tuple[str, list[str], int]]:
    """(line, words, expected exit status) for every line of the tour."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## A short tour") :]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL)
    assert block, "the tour is a fenced block"
    lines = []
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        words = shlex.split(line, comments=True)
        comment = line.split("#", 1)[1] if "#" in line else ""
        status = re.search(r"exit status (\d+)", comment)
        lines.append((line, words, int(status.group(1)) if status else 0))
    return lines


def _serve(words: list[str], expected: int) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **{k: v for k, v in os.environ.items() if k.startswith("BACKSTRIDE_")},
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "backstride", *words[1:], "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = first_answer(server, f"http://127.0.0.1:{port}/")
        assert page.status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    assert server.returncode == expected, err


def test_the_tour_is_all_backstride_commands() -> None:
    lines = tour()
    assert lines[0][1][:2] == ["backstride", "demo"], "the tour starts with the demo"
    for line, words, _ in lines:
        assert words[0] in ("backstride", "export"), f"not a backstride command: {line}"


@pytest.mark.slow
def test_every_tour_command_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for line, words, expected in tour():
        if words[0] == "export":
            name, value = words[1].split("=", 1)
            monkeypatch.setenv(name, value)
            continue
        if words[1] == "serve":
            _serve(words, expected)
            continue
        result = runner.invoke(app, words[1:], env={"COLUMNS": "120"})
        assert result.exit_code == expected, f"{line}\n{result.output}"
