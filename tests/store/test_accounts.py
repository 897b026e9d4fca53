"""Accounts: CRUD, and credentials that never reach the database file or the logs in clear."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from channelhub.core.errors import ConfigError, InvalidInput, NotFound
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.repos.accounts import (
    add_account,
    get_account,
    list_accounts,
    load_credentials,
    remove_account,
    set_credentials,
    update_account,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET = "shpat_5ecre7-value-that-must-never-leak"


@pytest.fixture
def vault() -> Vault:
    return Vault(generate_key())


def _add(session: Session, vault: Vault, name: str = "shop-eu") -> None:
    add_account(
        session,
        vault,
        platform="shopify",
        name=name,
        base_url="https://shop.example",
        settings={"shop": "acme"},
        credentials={"access_token": SecretStr(SECRET)},
        now=NOW,
    )


def test_add_get_list_remove(session: Session, vault: Vault) -> None:
    _add(session, vault)
    session.commit()
    [info] = list_accounts(session)
    assert (info.platform, info.name, info.base_url, info.settings) == (
        "shopify",
        "shop-eu",
        "https://shop.example",
        {"shop": "acme"},
    )
    assert info.created_at == NOW
    assert load_credentials(session, vault, "shop-eu")["access_token"].get_secret_value() == SECRET
    remove_account(session, "shop-eu")
    session.commit()
    assert list_accounts(session) == []
    with pytest.raises(NotFound, match="'shop-eu'"):
        get_account(session, "shop-eu")


def test_duplicate_name_is_refused(session: Session, vault: Vault) -> None:
    _add(session, vault)
    with pytest.raises(InvalidInput, match="account name: 'shop-eu' is already taken"):
        _add(session, vault)


def test_rotate_and_update(session: Session, vault: Vault) -> None:
    _add(session, vault)
    set_credentials(session, vault, "shop-eu", {"api_secret": SecretStr("s2")}, now=NOW)
    update_account(session, "shop-eu", now=NOW, settings={"api_version": "2024-07"})
    session.commit()
    creds = load_credentials(session, vault, "shop-eu")
    assert sorted(creds) == ["access_token", "api_secret"]
    assert list_accounts(session)[0].settings == {"shop": "acme", "api_version": "2024-07"}


def test_wrong_key_is_a_config_error(session: Session, vault: Vault) -> None:
    _add(session, vault)
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        load_credentials(session, Vault(generate_key()), "shop-eu")


def test_account_repr_has_no_blob(session: Session, vault: Vault) -> None:
    _add(session, vault)
    assert "credentials" not in repr(get_account(session, "shop-eu"))


def test_secret_never_in_clear_in_database_file_or_logs(
    tmp_path: Path, engine: Engine, vault: Vault, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)  # SQL + bound parameters
    try:
        with Session(engine) as session:
            _add(session, vault)
            session.commit()
            assert load_credentials(session, vault, "shop-eu")["access_token"]
            logging.getLogger("test").info("loaded %s", load_credentials(session, vault, "shop-eu"))
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert "INSERT INTO accounts" in caplog.text  # the SQL really was logged
    assert SECRET not in caplog.text
    if engine.dialect.name == "sqlite":
        engine.dispose()  # checkpoint the WAL into the main file
        database = Path(engine.url.database or "")
        raw = database.read_bytes() + b"".join(
            p.read_bytes() for p in database.parent.glob(database.name + "-*")
        )
        assert b"shopify" in raw  # the file really holds the row
        assert SECRET.encode() not in raw
    else:
        with engine.connect() as connection:
            dump = connection.exec_driver_sql("SELECT row_to_json(a)::text FROM accounts a")
            text = " ".join(row[0] for row in dump)
        assert "shop-eu" in text and SECRET not in text
