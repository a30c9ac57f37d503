"""One typed settings object, built by :func:`load_settings` from flags, the environment and defaults.

Nothing here runs at import time: the CLI, the web app and the tests each build their own settings and
hand them on (the CLI's state, the web app factory, the worker processes of ``backstride serve``).
Every ``BACKSTRIDE_*`` environment variable is read here and nowhere else: :data:`ENVIRONMENT` names
each one, the :class:`Settings` field it sets, its default and what it does, and writes the table in
``docs/settings.md`` (:func:`environment_markdown`; a test fails when a variable is missing from it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

APP_NAME = "backstride"
#: Strava's address (``BACKSTRIDE_STRAVA_URL`` points elsewhere: the tests' local stub of its API).
STRAVA_URL = "https://www.strava.com"


@dataclass(frozen=True)
class Settings:
    """Where the data lives, how to show it, and what the server is given.

    ``db_url`` is an SQLAlchemy URL; ``units`` is ``None`` when the user gave none on the command line
    or in the environment (the stored preference then applies, else miles). ``db_given`` is true when
    the database came from ``--db`` or the environment rather than the default location. ``pool``:
    the pool folder given (:attr:`pool_dir` is the one to use). ``web_secret``: the web app's key
    (else a file in the data folder). ``strava_client_id`` / ``strava_client_secret``: the server's
    own Strava API application, offered to every runner. ``verbose``: show the failures recorded
    with :mod:`logging` (``--verbose``). Secrets are left out of ``repr``.
    """

    db_url: str
    data_dir: Path
    units: str | None = None
    db_given: bool = False
    pool: Path | None = None
    web_secret: str | None = field(default=None, repr=False)
    strava_client_id: str | None = None
    strava_client_secret: str | None = field(default=None, repr=False)
    strava_url: str = STRAVA_URL
    verbose: bool = False

    @property
    def pool_dir(self) -> Path:
        """The pool folder: ``BACKSTRIDE_POOL``, else ``<data dir>/pool``."""
        return self.pool if self.pool is not None else self.data_dir / "pool"


@dataclass(frozen=True)
class EnvVar:
    """One environment variable: its name, the :class:`Settings` field it sets, the default in words
    and what it does."""

    name: str
    setting: str
    default: str
    help: str


#: Every environment variable backstride reads, in the order of the docs. A flag given on the command
#: line (``--db``, ``--units``) wins over its variable.
ENVIRONMENT: tuple[EnvVar, ...] = (
    EnvVar(
        "BACKSTRIDE_HOME",
        "data_dir",
        "your user data folder (e.g. `~/.local/share/backstride`)",
        "Folder for backstride's own files: the database, the web app's key, the pool.",
    ),
    EnvVar(
        "BACKSTRIDE_DB",
        "db_url",
        "`<data folder>/backstride.sqlite`",
        "The database: a file path or a URL (`postgresql://...`). `--db` wins.",
    ),
    EnvVar(
        "BACKSTRIDE_UNITS",
        "units",
        "your `units` setting",
        "Show distances in `mi` or `km`, over the stored setting. `--units` wins.",
    ),
    EnvVar(
        "BACKSTRIDE_POOL",
        "pool",
        "`<data folder>/pool`",
        "Folder of the pooled, anonymised evidence (`backstride pool`, \"Runners like you\").",
    ),
    EnvVar(
        "BACKSTRIDE_WEB_SECRET",
        "web_secret",
        "a random key kept in `<data folder>/web-secret`",
        "The web app's key for its form (CSRF) tokens; give every server behind one address the "
        "same key.",
    ),
    EnvVar(
        "BACKSTRIDE_STRAVA_CLIENT_ID",
        "strava_client_id",
        "none: each runner gives their own",
        "The server's Strava API application (client id), offered to every runner.",
    ),
    EnvVar(
        "BACKSTRIDE_STRAVA_CLIENT_SECRET",
        "strava_client_secret",
        "none: asked for",
        "That application's client secret (never shown or exported).",
    ),
    EnvVar(
        "BACKSTRIDE_STRAVA_URL",
        "strava_url",
        f"`{STRAVA_URL}`",
        "Where Strava's API lives (the tests point it at a local stub).",
    ),
)


def database_url(value: str) -> str:
    """Turn ``--db PATH|URL`` into an SQLAlchemy URL (``postgresql://`` uses psycopg 3)."""
    if "://" not in value:
        return "sqlite:///" + str(Path(value).expanduser().resolve())
    scheme, rest = value.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + rest
    return value


def read_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables of :data:`ENVIRONMENT` that are set (and not empty), by their :class:`Settings`
    field. The only place backstride reads its environment."""
    env = os.environ if env is None else env
    found = {var.setting: env.get(var.name, "").strip() for var in ENVIRONMENT}
    return {name: value for name, value in found.items() if value}


def load_settings(
    db: str | None = None,
    units: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    verbose: bool = False,
) -> Settings:
    """The settings of one run: the flags given (``db``, ``units``, ``verbose``), else the environment
    (``env``, default ``os.environ``), else the defaults."""
    from backstride.errors import ValidationError

    given = read_environment(env)
    home = given.get("data_dir")
    directory = Path(home) if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    raw_db = db or given.get("db_url")
    url = database_url(raw_db) if raw_db else database_url(str(directory / "backstride.sqlite"))
    chosen_units = units or given.get("units")
    if chosen_units is not None and chosen_units not in ("mi", "km"):
        raise ValidationError(f"units must be 'mi' or 'km', not {chosen_units!r}")
    strava_url = given.get("strava_url", STRAVA_URL).rstrip("/")
    if not strava_url.startswith(("http://", "https://")):
        raise ValidationError(f"BACKSTRIDE_STRAVA_URL must be an http(s) address, not {strava_url!r}")
    pool = given.get("pool")
    return Settings(
        db_url=url,
        data_dir=directory,
        units=chosen_units,
        db_given=bool(raw_db),
        pool=Path(pool) if pool else None,
        web_secret=given.get("web_secret"),
        strava_client_id=given.get("strava_client_id"),
        strava_client_secret=given.get("strava_client_secret"),
        strava_url=strava_url,
        verbose=verbose,
    )


def environment_markdown() -> str:
    """The table of environment variables for ``docs/settings.md``."""
    lines = ["| variable | default | what it does |", "|---|---|---|"]
    lines += [f"| `{var.name}` | {var.default} | {var.help} |" for var in ENVIRONMENT]
    return "\n".join(lines) + "\n"
