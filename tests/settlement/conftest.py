"""Fixtures of the settlement tests: a vault and a session factory over the migrated database."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_engine, make_session_factory


@pytest.fixture
def vault() -> Vault:
    return Vault(generate_key())


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def sqlite_factory(
    _migrated_sqlite_template: Path, tmp_path: Path
) -> Iterator[sessionmaker[Session]]:
    """SQLite only, for the import behaviours whose store part the both-database test covers."""
    shutil.copyfile(_migrated_sqlite_template, tmp_path / "hub.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()
