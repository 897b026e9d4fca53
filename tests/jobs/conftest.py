"""Fixtures for the job tests: a migrated database with one fake-shop account and a clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from tests.jobs.fakes import ACCOUNT, PLATFORM, T0


class Clock:
    """An injected clock: tests move time on by hand."""

    def __init__(self, start: datetime = T0 + timedelta(days=1)) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def vault() -> Vault:
    return Vault(generate_key())


@pytest.fixture
def session_factory(engine: Engine, vault: Vault, clock: Clock) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_account(
            session,
            vault,
            platform=PLATFORM,
            name=ACCOUNT,
            credentials={"token": SecretStr("tok-123")},
            now=clock(),
            base_url="http://fakeshop.test",
            settings={"marketplace": "US"},
        )
    return factory
