"""The state of one invocation, shared by every command: the settings, a lazily opened store, the start
time, and the ``--verbose`` log on stderr. (Printing, JSON and errors: :mod:`backstride.cli.output`.)"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from backstride.cli.output import err_console
from backstride.config import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: How ``--verbose`` shows a record: its level, where it comes from, the message (and the traceback of
#: the error with its causes, when one was recorded).
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"

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
