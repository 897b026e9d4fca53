"""``[stock] mass_drop_share`` in config.toml (or the environment) reaches the push job."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from channelhub.cli.runtime import job_options
from channelhub.core.errors import ConfigError
from channelhub.settings import DEFAULT_CONFIG_TOML, load_settings


def test_the_share_defaults_to_a_fifth_and_is_read_from_config_and_environment(
    tmp_path: Path,
) -> None:
    assert load_settings(tmp_path, env={}).stock.mass_drop_share == Decimal("0.2")
    (tmp_path / "config.toml").write_text("[stock]\nmass_drop_share = 0.35\n")
    settings = load_settings(tmp_path, env={})
    assert settings.stock.mass_drop_share == Decimal("0.35")  # exactly, not a float
    assert job_options(settings).mass_drop_share == Decimal("0.35")
    env = {"CHANNELHUB_STOCK__MASS_DROP_SHARE": "0.5"}
    assert load_settings(tmp_path, env=env).stock.mass_drop_share == Decimal("0.5")


def test_a_share_above_one_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[stock]\nmass_drop_share = 2\n")
    with pytest.raises(ConfigError, match=r"key 'stock.mass_drop_share' in .* has value 2"):
        load_settings(tmp_path, env={})


def test_the_default_config_documents_the_share() -> None:
    assert "mass_drop_share = 0.2" in DEFAULT_CONFIG_TOML
    assert "stock" in tomllib.loads(DEFAULT_CONFIG_TOML)
