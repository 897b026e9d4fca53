"""Engines, sessions and migrations from a database URL.

SQLite gets WAL (readers never block the writer), enforced foreign keys and a busy timeout
(a second process waits instead of failing with "database is locked").
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.errors import ConfigError
from channelhub.store.redaction import install_redaction

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database URL {url!r} cannot be parsed") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"database URL {url!r} is neither SQLite nor PostgreSQL")
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, **kwargs)
    install_redaction(engine)  # secrets echoed back by a platform are never stored
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (handy for returning results)."""
    return sessionmaker(engine, expire_on_commit=False)


#: Tables of the distributed engine's queue (migration 0019): procrastinate owns them, so
#: they are not on the hub's metadata and a schema comparison leaves them out.
ENGINE_TABLE_PREFIX = "procrastinate_"


def hub_owned(name: str | None, type_: str, _parents: Any = None) -> bool:
    """Alembic ``include_name``: False for the engine's tables (see ENGINE_TABLE_PREFIX)."""
    return not (type_ == "table" and (name or "").startswith(ENGINE_TABLE_PREFIX))


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(url: str | Engine, revision: str = "head") -> str | None:
    """Migrate the database to ``revision``; returns the revision it is at afterwards."""
    engine = make_engine(url) if isinstance(url, str) else url
    try:
        command.upgrade(alembic_config(engine), revision)
        return current_revision(engine)
    finally:
        if isinstance(url, str):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of channelhub."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def next_revision_id() -> str:
    """Revisions are numbered 0001, 0002, ... so their order reads from the file names."""
    head = head_revision()
    return f"{int(head) + 1:04d}" if head and head.isdigit() else "0001"


def autogenerate_revision(message: str) -> Path:
    """Write a new migration for the tables added or changed since the last one.

    Diffs the metadata against a scratch SQLite database migrated to head; review the file
    (Alembic cannot see renames, and server defaults need a look) before committing it.
    """
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/scratch.db")
        try:
            upgrade(engine)
            script = command.revision(
                alembic_config(engine),
                message=message,
                autogenerate=True,
                rev_id=next_revision_id(),
            )
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):
        raise RuntimeError("alembic produced no single revision")
    return Path(script.path)
