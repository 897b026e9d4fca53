"""Fixtures of the settlement tests: a vault and a session factory over the migrated database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory


@pytest.fixture
def vault() -> Vault:
    return Vault(generate_key())


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)
