"""One typed settings object, built by :func:`load_settings` from flags, the environment and defaults.

Nothing here runs at import time: the CLI, the web app and the tests each build their own settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "backstride"
ENV_DB = "BACKSTRIDE_DB"
ENV_UNITS = "BACKSTRIDE_UNITS"
ENV_HOME = "BACKSTRIDE_HOME"


@dataclass(frozen=True)
class Settings:
    """Where the data lives and how to show it.

    ``db_url`` is an SQLAlchemy URL; ``units`` is ``None`` when the user gave none on the command line
    or in the environment (the stored preference then applies, else miles). ``db_given`` is true when
    the database came from ``--db`` or the environment rather than the default location.
    """

    db_url: str
    data_dir: Path
    units: str | None = None
    db_given: bool = False


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    home = env.get(ENV_HOME)
    return Path(home) if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def database_url(value: str) -> str:
    """Turn ``--db PATH|URL`` into an SQLAlchemy URL (``postgresql://`` uses psycopg 3)."""
    if "://" not in value:
        return "sqlite:///" + str(Path(value).expanduser().resolve())
    scheme, rest = value.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + rest
    return value


def load_settings(
    db: str | None = None, units: str | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    env = os.environ if env is None else env
    directory = data_dir(env)
    raw_db = db or env.get(ENV_DB)
    url = database_url(raw_db) if raw_db else database_url(str(directory / "backstride.sqlite"))
    chosen_units = units or env.get(ENV_UNITS) or None
    if chosen_units is not None and chosen_units not in ("mi", "km"):
        from backstride.errors import ValidationError

        raise ValidationError(f"units must be 'mi' or 'km', not {chosen_units!r}")
    return Settings(db_url=url, data_dir=directory, units=chosen_units, db_given=bool(raw_db))
