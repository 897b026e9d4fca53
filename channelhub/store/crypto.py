"""The credentials vault: account secrets encrypted at rest with Fernet.

Credentials travel as ``dict[str, SecretStr]`` from the CLI prompt to the connector, so no
repr, log line or exception ever shows them; they are in clear only inside
:meth:`Vault.encrypt` and at the moment a connector calls ``get_secret_value()``.
The key comes from ``CHANNELHUB_SECRET_KEY`` or the ``secret.key`` file in the hub home,
which is created with mode 0600 whatever the umask.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from channelhub.core.errors import ConfigError

Credentials = dict[str, SecretStr]

_KEY_HELP = "a Fernet key: 32 url-safe base64-encoded bytes, as `channelhub init` writes"


class Vault:
    """Encrypts and decrypts one account's credentials with the hub's key."""

    def __init__(self, key: SecretStr, *, source: str = "the secret key") -> None:
        self._source = source
        try:
            self._fernet = Fernet(key.get_secret_value().strip().encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ConfigError(f"{source} is not {_KEY_HELP}") from None

    def __repr__(self) -> str:
        return f"Vault(source={self._source!r}, key=**********)"

    def encrypt(self, credentials: Mapping[str, SecretStr]) -> bytes:
        """The encrypted blob stored in ``accounts.credentials``."""
        clear = {name: secret.get_secret_value() for name, secret in credentials.items()}
        return self._fernet.encrypt(json.dumps(clear, sort_keys=True).encode("utf-8"))

    def decrypt(self, blob: bytes) -> Credentials:
        """The credentials back as SecretStr; a wrong key is a :class:`ConfigError`."""
        try:
            clear = json.loads(self._fernet.decrypt(bytes(blob)))
        except InvalidToken:
            raise ConfigError(
                f"stored credentials cannot be decrypted with {self._source}: "
                "the key was changed or belongs to another hub"
            ) from None
        return {str(name): SecretStr(str(value)) for name, value in clear.items()}


def generate_key() -> SecretStr:
    """A new random Fernet key."""
    return SecretStr(Fernet.generate_key().decode("ascii"))


def create_key_file(path: Path) -> bool:
    """Write a new key to ``path`` with mode 0600 unless it exists; True when created.

    ``O_EXCL`` makes two concurrent ``init`` runs safe; ``fchmod`` makes the mode exact
    whatever the umask.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, generate_key().get_secret_value().encode("ascii") + b"\n")
    finally:
        os.close(fd)
    return True


def read_key_file(path: Path) -> SecretStr:
    """The key in ``path``; refused if others can read it (like ssh does)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(
            f"secret key file {path} does not exist: run `channelhub init` "
            "or set CHANNELHUB_SECRET_KEY"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"secret key file {path} has mode {stat.S_IMODE(mode):04o}, which lets others "
            f"read it: run `chmod 600 {path}`"
        )
    return SecretStr(path.read_text(encoding="ascii").strip())


def load_vault(key: SecretStr | None, key_file: Path) -> Vault:
    """The vault for this hub: ``key`` (from CHANNELHUB_SECRET_KEY) wins over the key file."""
    if key is not None and key.get_secret_value():
        return Vault(key, source="CHANNELHUB_SECRET_KEY")
    return Vault(read_key_file(key_file), source=f"the key in {key_file}")
