"""Alembic owns the schema: the migrated database must equal the ORM metadata exactly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from channelhub.store.db import (
    alembic_config,
    alembic_head_revision,
    current_revision,
    head_revision,
    hub_owned,
    make_engine,
    next_revision_id,
    upgrade,
)
from channelhub.store.tables import hub_metadata


def test_migrated_schema_matches_metadata(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": hub_owned}
        )
        diffs = compare_metadata(context, hub_metadata())
    assert diffs == []


def test_upgrade_is_idempotent_and_reports_head(db_url: str) -> None:
    assert upgrade(db_url) == head_revision()
    assert upgrade(db_url) == head_revision()
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_the_head_read_from_file_headers_is_alembic_s() -> None:
    """Commands check the head without importing Alembic; the answer must be Alembic's."""
    assert head_revision() == alembic_head_revision() is not None


def test_the_revision_read_by_query_is_alembic_s(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        for target in (None, "0001", "head"):  # never migrated, then two revisions
            if target is not None:
                upgrade(engine, target)
            with engine.connect() as connection:
                alembic_says = MigrationContext.configure(connection).get_current_revision()
            assert current_revision(engine) == alembic_says
    finally:
        engine.dispose()


def test_sqlite_connections_get_pragmas(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_downgrade_to_base_and_back(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        command.downgrade(alembic_config(engine), "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert upgrade(engine) == head_revision()
    finally:
        engine.dispose()


def test_revisions_are_numbered_in_order() -> None:
    assert next_revision_id() == f"{int(head_revision() or 0) + 1:04d}"
