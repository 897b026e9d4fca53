"""Shared test fixtures: the async backend and where the published contracts live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


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


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    """A throwaway database ``chtest_<hex>`` on the server in CHANNELHUB_TEST_POSTGRES_URL.

    Created once per test session and dropped at the end, so parallel runs never meet.
    """
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    from channelhub.store.db import make_engine

    name = f"chtest_{secrets.token_hex(6)}"
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


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head."""
    from channelhub.store.db import make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated database; tests commit when they mean to."""
    from channelhub.store.db import make_session_factory

    with make_session_factory(engine)() as session:
        yield session
