"""Engines, sessions and migrations from a database URL.

SQLite gets WAL (readers never block the writer), enforced foreign keys and a busy timeout
(a second process waits instead of failing with "database is locked").

Alembic is imported only to migrate: every command checks that the database is at the
shipped head before it works, and that check (:func:`current_revision`, :func:`head_revision`)
reads the version table and the migration files' headers instead (importing Alembic and
loading every migration cost ~0.3 s per command).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.errors import ConfigError
from channelhub.store.redaction import install_redaction

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
#: Alembic's default version table (env.py keeps the default name and schema).
VERSION_TABLE = "alembic_version"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _sqlite_outer_first(conn: Any, _name: str) -> None:
    """Begin SQLite's transaction before a savepoint that would otherwise open it.

    Why: Python's ``sqlite3`` begins a transaction only before its first INSERT, UPDATE or
    DELETE, so a ``SAVEPOINT`` sent first (a page's set-based intake in its savepoint, before
    anything else of the page is written) opens the transaction itself, and releasing it
    commits everything: the outer rollback (a lost lease) then undoes nothing. ``BEGIN
    IMMEDIATE`` (the write lock, waited for under the busy timeout) keeps the savepoint
    nested; the driver then sees its transaction open, and SQLAlchemy's commit or rollback
    ends it. (SQLAlchemy documents this driver behaviour; its full recipe, a ``BEGIN`` for
    every transaction, would change when every read takes its snapshot.)"""
    driver = conn.connection.driver_connection
    if not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


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
        event.listen(engine, "savepoint", _sqlite_outer_first)
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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(url: str | Engine, revision: str = "head") -> str | None:
    """Migrate the database to ``revision``; returns the revision it is at afterwards."""
    from alembic import command

    engine = make_engine(url) if isinstance(url, str) else url
    try:
        command.upgrade(alembic_config(engine), revision)
        return current_revision(engine)
    finally:
        if isinstance(url, str):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when never migrated): what Alembic's
    ``MigrationContext.get_current_revision`` answers, read with one query."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    if len(found) > 1:  # the migrations are one line: only a hand-edited table has two
        heads = ", ".join(sorted(str(row[0]) for row in found))
        raise ConfigError(f"the database's {VERSION_TABLE} names several revisions: {heads}")
    return str(found[0][0]) if found else None


#: ``revision: str = '0021'`` / ``down_revision: str | None = "0020"`` at a line's start
_HEADER = re.compile(
    r"^(?P<name>revision|down_revision)\s*(?::[^=\n]*)?="
    r"\s*(?P<value>None|'[^'\n]*'|\"[^\"\n]*\")\s*$",
    re.MULTILINE,
)


def _header_revisions() -> dict[str, str | None] | None:
    """``revision -> down_revision`` read from each migration's header lines, or None when a
    header is not the plain one-string form (a merge, a computed id): Alembic then decides."""
    chain: dict[str, str | None] = {}
    for path in VERSIONS_DIR.glob("*.py"):
        if path.name == "__init__.py":
            continue
        found = {m["name"]: m["value"] for m in _HEADER.finditer(path.read_text("utf-8"))}
        if set(found) != {"revision", "down_revision"} or found["revision"] == "None":
            return None
        revision, down = found["revision"][1:-1], found["down_revision"]
        if revision in chain:  # two files, one id: Alembic reports it
            return None
        chain[revision] = None if down == "None" else down[1:-1]
    return chain


def head_revision() -> str | None:
    """The newest revision shipped with this version of channelhub.

    Read from the migration files' ``revision``/``down_revision`` lines, without importing
    them; anything but one straight line of revisions is left to Alembic's own answer.
    """
    chain = _header_revisions()
    if chain is not None:
        heads = set(chain) - set(chain.values())
        if len(heads) == 1:
            return heads.pop()
        if not chain:
            return None
    return alembic_head_revision()


def alembic_head_revision() -> str | None:
    """Alembic's answer to :func:`head_revision` (it loads every migration module)."""
    from alembic.script import ScriptDirectory

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
    from alembic import command

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
