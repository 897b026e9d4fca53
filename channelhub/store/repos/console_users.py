"""Console users (argon2-hashed passwords) and their server-side sessions.

A session token is 32 random bytes handed to the browser once; the table keeps only its
SHA-256, so reading the table does not let anyone in. Each session carries its own CSRF token.
argon2-cffi's ``PasswordHasher`` (the library's recommended parameters) does the hashing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.roles import Role
from channelhub.store.tables.console import ConsoleSession, ConsoleUser

_HASHER = PasswordHasher()
#: A password hash to verify against when the user does not exist, so a wrong user name
#: takes as long as a wrong password (no user enumeration by timing).
_DUMMY_HASH = _HASHER.hash("channelhub-no-such-user")
MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class UserInfo:
    """What may be shown about a user: never the hash."""

    id: int
    name: str
    role: Role
    created_at: datetime

    @classmethod
    def of(cls, row: ConsoleUser) -> UserInfo:
        return cls(id=row.id, name=row.name, role=Role(row.role), created_at=row.created_at)


@dataclass(frozen=True)
class SessionInfo:
    """A live session: who, their CSRF token, until when."""

    user: UserInfo
    csrf_token: str
    expires_at: datetime


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput([f"password: must be at least {MIN_PASSWORD} characters"])


def _row(session: Session, name: str) -> ConsoleUser:
    row = session.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
    if row is None:
        raise NotFound(f"console user {name!r} does not exist (see `channelhub users list`)")
    return row


def add_user(session: Session, name: str, role: Role, password: str, *, now: datetime) -> UserInfo:
    """A new user; a taken name or a short password is one clear error."""
    name = name.strip()
    if not name:
        raise InvalidInput(["name: must not be empty"])
    _check_password(password)
    if session.scalar(select(ConsoleUser.id).where(ConsoleUser.name == name)) is not None:
        raise InvalidInput.field("name", name, "is taken")
    row = ConsoleUser(
        name=name,
        role=role.value,
        password_hash=_HASHER.hash(password),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return UserInfo.of(row)


def list_users(session: Session) -> list[UserInfo]:
    return [UserInfo.of(row) for row in session.scalars(select(ConsoleUser).order_by("name"))]


def remove_user(session: Session, name: str) -> None:
    """Remove the user and end their sessions."""
    row = _row(session, name)
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == row.id))
    session.delete(row)


def set_password(session: Session, name: str, password: str, *, now: datetime) -> None:
    """A new password; the user's sessions end (a stolen session dies with the old password)."""
    _check_password(password)
    row = _row(session, name)
    row.password_hash = _HASHER.hash(password)
    row.updated_at = now
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == row.id))


def authenticate(session: Session, name: str, password: str) -> UserInfo | None:
    """The user when the password matches, else None (same work whether or not they exist)."""
    row = session.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
    try:
        _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return UserInfo.of(row) if row is not None else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, user: UserInfo, *, now: datetime, lifetime: timedelta = SESSION_LIFETIME
) -> str:
    """A new session for ``user``; returns the token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
    return token


def find_session(session: Session, token: str, *, now: datetime) -> SessionInfo | None:
    """The live session behind ``token``, or None (unknown, forged or expired)."""
    found = session.execute(
        select(ConsoleSession, ConsoleUser)
        .join(ConsoleUser, ConsoleUser.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.expires_at <= now:
        return None
    return SessionInfo(UserInfo.of(user), row.csrf_token, row.expires_at)


def end_session(session: Session, token: str) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token)))
