"""What every command shares: the settings, a lazily opened store, JSON output, error handling and the
``--verbose`` log on stderr."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from backstride.config import Settings
from backstride.errors import BackstrideError

if TYPE_CHECKING:
    from sqlalchemy import Engine

P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger(__name__)
#: How ``--verbose`` shows a record: its level, where it comes from, the message (and the traceback of
#: the error with its causes, when one was recorded).
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
#: When the console script started (``time.perf_counter()``), for commands that time themselves
#: whole; ``None`` when the CLI is driven from Python (tests).
started: float | None = None


def _local_user() -> int:
    from backstride.store.schema import LOCAL_USER_ID  # the store loads when a command needs it

    return LOCAL_USER_ID


@dataclass
class State:
    """Per-invocation state, kept on ``typer.Context.obj``."""

    settings: Settings
    user_id: int = field(default_factory=_local_user)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from backstride.store.engine import connect_store, describe_url

            self._engine, created = connect_store(
                self.settings.db_url, create_folders=not self.settings.db_given
            )
            if created:
                where = describe_url(self.settings.db_url)
                err_console.print(f"created a new, empty store at {escape(where)}", soft_wrap=True)
        return self._engine

    @property
    def units(self) -> str:
        """The display unit: the --units flag, else BACKSTRIDE_UNITS, else the stored preference."""
        if self.settings.units:
            return self.settings.units
        from backstride.store.prefs import get_pref

        with self.engine.connect() as conn:
            return get_pref(conn, self.user_id, "units")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State), "the root callback sets the state"
    return obj


def log_to_stderr(verbose: bool) -> Callable[[], None]:
    """With ``verbose``, show every record of backstride's loggers on stderr (the failures recorded
    along the way, with their causes); without, none (they stay recorded for whoever configures
    logging). Returns what undoes it, for the end of the command."""
    if not verbose:
        return lambda: None
    package = logging.getLogger("backstride")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    level = package.level
    package.addHandler(handler)
    package.setLevel(logging.DEBUG)

    def undo() -> None:
        package.removeHandler(handler)
        package.setLevel(level)

    return undo


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the library's errors into one clean message and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except BackstrideError as exc:
            logger.debug("%s failed", getattr(func, "__name__", "the command"), exc_info=exc)
            fail(str(exc))

    return wrapper


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        from backstride.store.activities import as_json_ready

        return as_json_ready(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """JSON on stdout, nothing else (scripts and tests parse it)."""
    sys.stdout.write(json.dumps(data, default=_default, indent=2, allow_nan=False) + "\n")


def to_jsonable(data: Any) -> Any:
    """The same conversion :func:`print_json` applies, for callers that build on it."""
    return json.loads(json.dumps(data, default=_default, allow_nan=False))
