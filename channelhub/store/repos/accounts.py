"""Accounts with their credentials encrypted by the :class:`~channelhub.store.crypto.Vault`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.accounts import Account

if TYPE_CHECKING:  # the caller brings the vault: reading accounts needs no cipher
    from channelhub.store.crypto import Credentials, Vault


@dataclass(frozen=True)
class AccountInfo:
    """What may be shown about an account: everything but the secret values."""

    id: int
    platform: str
    name: str
    base_url: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, row: Account) -> AccountInfo:
        return cls(
            id=row.id,
            platform=row.platform,
            name=row.name,
            base_url=row.base_url,
            settings=dict(row.settings or {}),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _check_credentials(credentials: Mapping[str, SecretStr]) -> None:
    for name, value in credentials.items():
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise InvalidInput.field("credential", name, "is not a valid credential name")
        if not isinstance(value, SecretStr):
            raise InvalidInput.field("credential", name, "must be passed as a SecretStr")


def add_account(
    session: Session,
    vault: Vault,
    *,
    platform: str,
    name: str,
    credentials: Mapping[str, SecretStr],
    now: datetime,
    base_url: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> AccountInfo:
    """Create an account; a name already taken is an :class:`InvalidInput`, not an update."""
    _check_credentials(credentials)
    statement = (
        insert_for(session, Account)
        .values(
            platform=platform,
            name=name,
            base_url=base_url,
            settings=dict(settings or {}),
            credentials=vault.encrypt(credentials),
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Account.id)
    )
    if session.execute(statement).scalar_one_or_none() is None:
        raise InvalidInput.field("account name", name, "is already taken")
    return AccountInfo.of(get_account(session, name))


def get_account(session: Session, name: str) -> Account:
    """The account row named ``name`` or :class:`NotFound`."""
    row = session.scalars(select(Account).where(Account.name == name)).one_or_none()
    if row is None:
        raise NotFound(f"account {name!r} does not exist (see `channelhub accounts list`)")
    return row


def list_accounts(session: Session, platform: str | None = None) -> list[AccountInfo]:
    """Every account (of ``platform``), by name, without secrets."""
    query = select(Account).order_by(Account.name)
    if platform is not None:
        query = query.where(Account.platform == platform)
    return [AccountInfo.of(row) for row in session.scalars(query)]


def load_credentials(session: Session, vault: Vault, name: str) -> Credentials:
    """The decrypted credentials of account ``name``, still as SecretStr."""
    return vault.decrypt(get_account(session, name).credentials)


def set_credentials(
    session: Session,
    vault: Vault,
    name: str,
    credentials: Mapping[str, SecretStr],
    *,
    now: datetime,
    merge: bool = True,
) -> None:
    """Replace (or, with ``merge``, add to) an account's credentials, e.g. a rotated token."""
    _check_credentials(credentials)
    row = get_account(session, name)
    current = vault.decrypt(row.credentials) if merge else {}
    row.credentials = vault.encrypt({**current, **credentials})
    row.updated_at = now
    session.flush()


def update_account(
    session: Session,
    name: str,
    *,
    now: datetime,
    base_url: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> AccountInfo:
    """Change the non-secret fields given (``None`` leaves a field as it is)."""
    row = get_account(session, name)
    if base_url is not None:
        row.base_url = base_url
    if settings is not None:
        row.settings = {**(row.settings or {}), **settings}
    row.updated_at = now
    session.flush()
    return AccountInfo.of(row)


def edit_account(
    session: Session,
    vault: Vault,
    name: str,
    *,
    now: datetime,
    base_url: str | None = None,
    settings: Mapping[str, Any] | None = None,
    credentials: Mapping[str, SecretStr] | None = None,
) -> AccountInfo:
    """Replace what is given: the base URL, the whole settings, the whole credentials
    (encrypted again); ``None`` leaves that part as it is. The caller validated the result."""
    row = get_account(session, name)
    if base_url is not None:
        row.base_url = base_url
    if settings is not None:
        row.settings = dict(settings)
    if credentials is not None:
        _check_credentials(credentials)
        row.credentials = vault.encrypt(credentials)
    row.updated_at = now
    session.flush()
    return AccountInfo.of(row)


def remove_account(session: Session, name: str) -> None:
    """Delete account ``name``; its history (orders, payloads) stays."""
    result = session.execute(delete(Account).where(Account.name == name))
    if getattr(result, "rowcount", 0) == 0:
        raise NotFound(f"account {name!r} does not exist (see `channelhub accounts list`)")
