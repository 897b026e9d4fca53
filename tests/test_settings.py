"""Settings: home resolution, TOML + environment, and one-sentence errors naming key and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from channelhub.core.errors import ConfigError
from channelhub.settings import load_settings, resolve_home


def test_home_defaults_to_dot_channelhub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_home(env={}) == tmp_path / ".channelhub"


def test_explicit_home_beats_environment(tmp_path: Path) -> None:
    env = {"CHANNELHUB_HOME": str(tmp_path / "from-env")}
    assert resolve_home(env=env) == tmp_path / "from-env"
    assert resolve_home(tmp_path / "flag", env=env) == tmp_path / "flag"


def test_defaults_put_everything_in_home(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    assert settings.home == tmp_path
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'hub.db'}"
    assert settings.secret_key_path == tmp_path / "secret.key"
    assert settings.log_level == "INFO"


def test_environment_wins_over_toml(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'log_level = "debug"\ndatabase_url = "sqlite:///a.db"\n[http]\ntimeout_seconds = 5\n'
    )
    settings = load_settings(
        tmp_path,
        env={
            "CHANNELHUB_DATABASE_URL": "postgresql+psycopg://db/hub",
            "CHANNELHUB_HTTP__MAX_RETRIES": "2",
            "UNRELATED": "x",
        },
    )
    assert settings.log_level == "DEBUG"
    assert settings.resolved_database_url == "postgresql+psycopg://db/hub"
    assert settings.http.timeout_seconds == 5
    assert settings.http.max_retries == 2


def test_bad_toml_value_names_key_value_and_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[http]\ntimeout_seconds = -3\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path, env={})
    message = str(raised.value)
    assert "http.timeout_seconds" in message and "-3" in message and "config.toml" in message
    assert "\n" not in message


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"CHANNELHUB_LOG_LEVEL has value 'LOUD'"):
        load_settings(tmp_path, env={"CHANNELHUB_LOG_LEVEL": "loud"})


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("databse_url = 'x'\n")
    with pytest.raises(ConfigError, match=r"'databse_url'.*is not a known setting"):
        load_settings(tmp_path, env={})


def test_unparsable_toml_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("log_level = \n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(tmp_path, env={})


def test_database_url_must_be_supported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mysql://x"):
        load_settings(tmp_path, env={"CHANNELHUB_DATABASE_URL": "mysql://x"})


def test_secret_key_never_echoed_in_errors(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("secret_key = 12345\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path, env={})
    assert "12345" not in str(raised.value)


def test_settings_repr_hides_secret_key(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"CHANNELHUB_SECRET_KEY": "topsecretvalue"})
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == "topsecretvalue"
    assert "topsecretvalue" not in repr(settings) and "topsecretvalue" not in str(settings)


def test_unprefixed_process_environment_is_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server's own DATABASE_URL or LOG_LEVEL (set for another program) must not choose the
    hub's database or log level: only CHANNELHUB_* variables are the hub's."""
    monkeypatch.setenv("DATABASE_URL", "sqlite:////elsewhere/other.db")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("ENGINE", '{"kind": "procrastinate"}')
    settings = load_settings(home=tmp_path)
    assert settings.database_url == ""
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'hub.db'}"
    assert settings.log_level == "INFO"
    assert settings.engine.kind == "embedded"
    monkeypatch.setenv("CHANNELHUB_LOG_LEVEL", "warning")
    assert load_settings(home=tmp_path).log_level == "WARNING"
