"""Shared test fixtures: the async backend and where the published contracts live."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

REPO_ROOT = Path(__file__).resolve().parents[1]

# Property tests assert behaviour, never time: hypothesis's per-example deadline (200 ms) is a
# wall-clock check that fails on a loaded machine (a CI runner with every core busy).
settings.register_profile("channelhub", deadline=None)
settings.load_profile("channelhub")


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (the backend channelhub runs on)."""
    return "asyncio"


# --- Store fixtures: every store test runs on SQLite and, when configured, PostgreSQL. ---

import os  # noqa: E402
import secrets  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

POSTGRES_ENV = "CHANNELHUB_TEST_POSTGRES_URL"


def throwaway_database(prefix: str) -> Iterator[str]:
    """A database ``<prefix>_<hex>`` on the server in CHANNELHUB_TEST_POSTGRES_URL (the test is
    skipped without one), dropped when the generator closes."""
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    from channelhub.store.db import make_engine

    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    """A throwaway database ``chtest_<hex>``, created once per test session and dropped at the
    end, so parallel runs never meet."""
    yield from throwaway_database("chtest")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    base_url: str = request.getfixturevalue("postgres_database_url")
    from channelhub.store.db import make_engine

    schema = f"t_{secrets.token_hex(6)}"
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; each test gets a copy (fast, isolated)."""
    from channelhub.store.db import make_engine, upgrade

    path = tmp_path_factory.mktemp("template") / "hub.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _migrated_postgres_url(postgres_database_url: str) -> str:
    """A schema of the throwaway database migrated once per session (emptied after each test)."""
    from channelhub.store.db import make_engine, upgrade

    admin = make_engine(postgres_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('CREATE SCHEMA "migrated"'))
    admin.dispose()
    url = make_url(postgres_database_url).update_query_dict({"options": "-csearch_path=migrated"})
    rendered = url.render_as_string(hide_password=False)
    upgrade(rendered)
    return rendered


def _empty_all_tables(engine: Engine) -> None:
    """DELETE children first (cheaper than TRUNCATE for a test's handful of rows)."""
    from channelhub.store.tables import hub_metadata

    with engine.begin() as connection:
        for table in reversed(hub_metadata().sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database migrated to head, empty at the start of each test."""
    import shutil

    from channelhub.store.db import make_engine

    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_migrated_sqlite_template")
        shutil.copyfile(template, tmp_path / "hub.db")
        engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    engine = make_engine(request.getfixturevalue("_migrated_postgres_url"))
    try:
        yield engine
    finally:
        _empty_all_tables(engine)
        engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated database; tests commit when they mean to."""
    from channelhub.store.db import make_session_factory

    with make_session_factory(engine)() as session:
        yield session
