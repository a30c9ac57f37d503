"""The command table: lazy loading, light start-up, help text, global options after the command."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import backstride.cli
from backstride.cli import COMMANDS, app
from backstride.cli.app import GLOBAL_FLAGS, GLOBAL_OPTIONS
from backstride.cli.lazy import hoist_options, load_command, load_module_commands
from backstride.config import database_url
from backstride.store.engine import open_store
from tests.log.helpers import make_run, save_run

runner = CliRunner()
#: The modules of the CLI's shell: the command table, the invocation's state, printing, lazy loading.
SHELL = {"backstride.cli.app", "backstride.cli.invocation", "backstride.cli.lazy", "backstride.cli.output"}
HEAVY = ("pandas", "scipy", "ibis", "duckdb", "pyarrow", "fastapi", "lifelines")


def _loaded_after(argv: list[str], home: Path) -> dict[str, object]:
    """Run ``backstride argv`` in a new interpreter; which modules it loaded, and its exit code."""
    code = (
        "import json, sys\n"
        f"sys.argv = ['backstride', *{argv!r}]\n"
        "from backstride.cli import main\n"
        "try:\n"
        "    main()\n"
        "    status = 0\n"
        "except SystemExit as exc:\n"
        "    status = exc.code or 0\n"
        "print(json.dumps({'status': status, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"BACKSTRIDE_HOME": str(home), "PATH": "/usr/bin:/bin", "COLUMNS": "100"},
        check=False,
    )
    result: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    return result


def _top(modules: object) -> set[str]:
    assert isinstance(modules, list)
    return {m.split(".")[0] for m in modules}


def test_importing_the_cli_loads_no_heavy_library(tmp_path: Path) -> None:
    code = "import sys, backstride.cli; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    assert "alembic" not in loaded and "numpy" not in loaded and "sqlalchemy" not in loaded
    commands = {m for m in out.stdout.split() if m.startswith("backstride.cli.")}
    assert commands <= SHELL


def test_help_lists_every_command_without_loading_one(tmp_path: Path) -> None:
    result = _loaded_after(["--help"], tmp_path)
    assert result["status"] == 0
    modules = result["modules"]
    assert isinstance(modules, list)
    assert {m for m in modules if m.startswith("backstride.cli.")} <= SHELL
    assert not _top(modules) & {*HEAVY, "sqlalchemy", "numpy", "alembic"}
    shown = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    for entry in COMMANDS:
        assert f" {entry.name} " in shown.output
        assert entry.help[:40] in shown.output


def test_logging_pain_and_listing_runs_stay_light(tmp_path: Path) -> None:
    """The commands a runner types after every run load neither Alembic, numpy nor any analysis library."""
    engine = open_store(database_url(str(tmp_path / "backstride.sqlite")))
    save_run(engine, make_run())
    engine.dispose()
    for argv in (
        ["pain", "last", "--onset", "1.2mi", "--severity", "6"],
        ["runs"],
        ["show", "last"],
        ["runs", "--json"],
        ["settings"],
    ):
        result = _loaded_after(argv, tmp_path)
        assert result["status"] == 0, argv
        loaded = _top(result["modules"])
        assert not loaded & {*HEAVY, "alembic", "numpy"}, (argv, loaded & {*HEAVY, "alembic", "numpy"})
        modules = result["modules"]
        assert isinstance(modules, list)
        own = {e.module for e in COMMANDS if e.name == argv[0]}
        others = {e.module for e in COMMANDS} - own
        assert own <= set(modules) and not others & set(modules), (argv, others & set(modules))


def test_the_table_lists_every_command_each_module_registers() -> None:
    """A command module's commands are all in the table, under its module, with its own help."""
    modules = {
        f"backstride.cli.{info.name}"
        for info in pkgutil.iter_modules(backstride.cli.__path__)
        if hasattr(__import__(f"backstride.cli.{info.name}", fromlist=["x"]), "register")
    }
    in_table = {entry.module for entry in COMMANDS}
    assert modules == in_table
    for module in modules:
        registered = set(load_module_commands(module))
        assert registered == {e.name for e in COMMANDS if e.module == module}, module
    for entry in COMMANDS:
        command = load_command(entry)
        first = " ".join((command.help or "").split("\n\n")[0].split())
        assert first == entry.help, f"{entry.name}: table help differs from the command's own"


def test_no_command_takes_a_global_option_name() -> None:
    """--db, --units and --verbose after the command belong to the root: no command may define them."""
    for entry in COMMANDS:
        stack = [load_command(entry)]
        while stack:
            command = stack.pop()
            stack.extend(getattr(command, "commands", {}).values())
            for param in command.params:
                taken = set(getattr(param, "opts", ())) & {*GLOBAL_OPTIONS, *GLOBAL_FLAGS}
                assert not taken, (entry.name, param)


def test_unknown_command_is_a_clean_error_with_a_suggestion() -> None:
    result = runner.invoke(app, ["run"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "No such command 'run'. Did you mean 'runs'" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["runs", "--units", "km"], ["--units", "km", "runs"]),
        (["runs", "--json", "--units=km", "--db", "x.db"], ["--units=km", "--db", "x.db", "runs", "--json"]),
        (["--db", "runs", "runs", "--units", "km"], ["--db", "runs", "--units", "km", "runs"]),
        (
            ["pain", "last", "--onset", "1mi", "--", "--units", "km"],
            ["pain", "last", "--onset", "1mi", "--", "--units", "km"],
        ),
        (["--units", "mi", "runs"], ["--units", "mi", "runs"]),
        (["body", "weight", "180", "--unit", "lb"], ["body", "weight", "180", "--unit", "lb"]),
    ],
)
def test_hoist_options(args: list[str], expected: list[str]) -> None:
    assert hoist_options(args, GLOBAL_OPTIONS) == expected


def test_global_options_work_after_the_command(tmp_path: Path) -> None:
    db = str(tmp_path / "after.sqlite")
    engine = open_store(database_url(db))
    save_run(engine, make_run(distance_m=8046.72))
    engine.dispose()
    before = runner.invoke(app, ["--db", db, "--units", "km", "runs"])
    after = runner.invoke(app, ["runs", "--units", "km", "--db", db])
    assert before.exit_code == after.exit_code == 0, after.output
    assert "8.05 km" in after.output and after.output == before.output
    detail = runner.invoke(app, ["show", "last", "--json", f"--db={db}"])
    assert detail.exit_code == 0, detail.output
    assert json.loads(detail.stdout)["distance_m"] == pytest.approx(8046.72)
    bad = runner.invoke(app, ["runs", "--units", "furlongs", "--db", db])
    assert bad.exit_code == 1 and "units must be 'mi' or 'km'" in bad.output


def test_a_new_command_module_is_one_line_in_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lazy group loads any module with register(app) named in its table."""
    from backstride.cli.lazy import LazyCommand, lazy_group

    module = tmp_path / "bs_hello_cmd.py"
    module.write_text(
        "import typer\n"
        "def register(app):\n"
        "    @app.command('hello')\n"
        "    def hello(name: str = 'runner') -> None:\n"
        "        '''Say hello.'''\n"
        "        print(f'hello {name}')\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    table = (LazyCommand("hello", "bs_hello_cmd", "Say hello.", "Extra"),)
    demo = typer.Typer(cls=lazy_group(table, ()), add_completion=False)

    @demo.callback()
    def root() -> None:
        pass

    assert "bs_hello_cmd" not in sys.modules
    listed = runner.invoke(demo, ["--help"])
    assert "Say hello." in listed.output and "bs_hello_cmd" not in sys.modules
    said = runner.invoke(demo, ["hello", "--name", "Ann"])
    assert said.exit_code == 0 and said.output == "hello Ann\n"
