"""The engine factory and schema migrations. Nothing is created at import time.

:func:`open_store` builds an engine for an SQLAlchemy URL (one SQLite file by default, PostgreSQL by
URL), brings the schema to the newest revision (a database made by an older version is migrated), and
makes sure the local user exists.

Opening costs little: a new database gets every table at once and is stamped at the head revision
(never a walk through the migrations), and a database already at the head is recognised by reading
its version row; Alembic is imported only when an older database really needs upgrading.
"""

from __future__ import annotations

import ast
import functools
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import Connection, make_url

from backstride.errors import ValidationError
from backstride.store.schema import LOCAL_USER_ID, metadata, users

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = str(Path(__file__).with_name("migrations"))
#: Alembic's version table, as Alembic itself creates it (name, column, primary key name).
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, *, create_folders: bool = True) -> Engine:
    """An engine for ``url``. For an SQLite file in a folder that does not exist, the folder is made
    when ``create_folders`` (the app's own data folder), else refused (a mistyped ``--db`` path would
    otherwise give a new, empty store that looks like lost data)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            if not folder.is_dir():
                if not create_folders:
                    raise ValidationError(
                        f"{folder}: no such folder for the database {parsed.database}; check the path, "
                        "or create the folder first"
                    )
                folder.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head_revision() -> str:
    """The newest revision, read from the ``revision = ...`` / ``down_revision = ...`` lines of the
    migration files without importing Alembic (a test checks it against Alembic's own answer)."""
    revisions: set[str] = set()
    superseded: set[str] = set()
    for path in sorted(Path(MIGRATIONS, "versions").glob("*.py")):
        found = {key: ast.literal_eval(value) for key, value in _REVISION.findall(path.read_text("utf-8"))}
        if "revision" not in found:
            continue
        revisions.add(found["revision"])
        down = found.get("down_revision")
        superseded.update((down,) if isinstance(down, str) else (down or ()))
    heads = revisions - superseded
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must have one head, not {sorted(heads)}")
    return heads.pop()


def current_revision(connection: Connection) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _stored_revision(connection: Connection, tables: set[str]) -> str | None:
    if VERSION_TABLE.name not in tables:
        return None
    rows = connection.execute(select(VERSION_TABLE.c.version_num)).scalars().all()
    return rows[0] if len(rows) == 1 else None


def migrate(engine: Engine, revision: str = "head") -> bool:
    """Bring the schema to ``revision``. An empty database gets the tables at once, then is stamped;
    one at the head is left alone without loading Alembic; any other is upgraded by Alembic. Returns
    True when the store was new."""
    with engine.begin() as connection:
        existing = set(inspect(connection).get_table_names())
        if revision == "head":
            if not (existing & set(metadata.tables)):
                metadata.create_all(connection, checkfirst=False)  # none exists: no table checks
                VERSION_TABLE.create(connection, checkfirst=True)
                connection.execute(VERSION_TABLE.delete())
                connection.execute(VERSION_TABLE.insert().values(version_num=head_revision()))
                return True
            if _stored_revision(connection, existing) == head_revision():
                return False
        from alembic import command

        command.upgrade(alembic_config(connection), revision)
        return False


def ensure_local_user(engine: Engine) -> None:
    with engine.begin() as connection:
        found = connection.execute(select(users.c.id).where(users.c.id == LOCAL_USER_ID)).first()
        if found is None:
            connection.execute(
                users.insert().values(id=LOCAL_USER_ID, username="local", created_at=datetime.now(UTC))
            )
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users))"
                )


def open_store(url: str, *, create_folders: bool = True) -> Engine:
    """An engine on a database at the newest schema, with the local user present."""
    return connect_store(url, create_folders=create_folders)[0]


def describe_url(url: str) -> str:
    """The database for a message: an SQLite file's path, or the URL without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def connect_store(url: str, *, create_folders: bool = True) -> tuple[Engine, bool]:
    """:func:`open_store`, and whether the store was created just now (its tables did not exist)."""
    engine = make_engine(url, create_folders=create_folders)
    try:
        created = migrate(engine)
        ensure_local_user(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine, created
