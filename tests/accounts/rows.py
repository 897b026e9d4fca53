"""Accounts of platforms no connector is installed for (the tests' scripted fakes), written
straight into a hub home's store: ``accounts add`` refuses a platform it does not know."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from channelhub.settings import load_settings
from channelhub.store.crypto import load_vault
from channelhub.store.db import make_engine, make_session_factory
from channelhub.store.repos.accounts import add_account


def add_fake_account(
    home: Path,
    platform: str,
    name: str,
    credentials: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
) -> None:
    """Add account ``name`` of the (fake) ``platform`` to the hub at ``home``."""
    hub = load_settings(home)
    vault = load_vault(hub.secret_key, hub.secret_key_path)
    engine = make_engine(hub.resolved_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            add_account(
                session,
                vault,
                platform=platform,
                name=name,
                credentials={k: SecretStr(v) for k, v in (credentials or {"token": "t"}).items()},
                settings=settings or {},
                now=datetime.now(UTC),
            )
    finally:
        engine.dispose()
