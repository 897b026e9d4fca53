"""The vault: key file mode, wrong keys, and secrets that never show."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from channelhub.core.errors import ConfigError
from channelhub.store.crypto import Vault, create_key_file, generate_key, load_vault, read_key_file

SECRET = "rt-Atzr|IwEBIA-very-secret-refresh-token"


def test_key_file_is_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        assert create_key_file(tmp_path / "secret.key") is True
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600


def test_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    create_key_file(path)
    first = path.read_bytes()
    assert create_key_file(path) is False
    assert path.read_bytes() == first


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match=r"mode 0644.*chmod 600"):
        read_key_file(path)


def test_missing_key_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="channelhub init"):
        load_vault(None, tmp_path / "secret.key")


def test_round_trip_keeps_secrets_secret() -> None:
    vault = Vault(generate_key())
    blob = vault.encrypt({"refresh_token": SecretStr(SECRET)})
    assert SECRET.encode() not in blob
    back = vault.decrypt(blob)
    assert back["refresh_token"].get_secret_value() == SECRET
    assert SECRET not in repr(back) and SECRET not in str(back)


def test_wrong_key_is_a_clear_config_error() -> None:
    blob = Vault(generate_key()).encrypt({"api_key": SecretStr(SECRET)})
    with pytest.raises(
        ConfigError, match="cannot be decrypted with CHANNELHUB_SECRET_KEY"
    ) as raised:
        load_vault(generate_key(), Path("/nonexistent")).decrypt(blob)
    assert SECRET not in str(raised.value)


def test_malformed_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError, match="is not a Fernet key") as raised:
        Vault(SecretStr("not-a-key-at-all"), source="CHANNELHUB_SECRET_KEY")
    assert "not-a-key-at-all" not in str(raised.value)


def test_vault_repr_hides_key() -> None:
    key = generate_key()
    assert key.get_secret_value() not in repr(Vault(key))
