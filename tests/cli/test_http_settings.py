"""``[http]`` in config.toml reaches every connector's HTTP client (a slow proxy needs it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from channelhub.cli.home import open_engine
from channelhub.cli.reconcile import build_connector
from channelhub.cli.runtime import buckets_for, connector_factory_for, http_limits
from channelhub.connectors.http.client import DEFAULT_TIMEOUT
from channelhub.connectors.http.retry import RetryPolicy
from channelhub.core.errors import ConfigError
from channelhub.settings import DEFAULT_CONFIG_TOML, load_settings
from channelhub.store.repos.accounts import AccountInfo, get_account
from tests.cli.hub import Hub

SLOW_PROXY = {
    "# connect_timeout_seconds = 5.0": "connect_timeout_seconds = 8.0",
    "# timeout_seconds = 10.0": "timeout_seconds = 42.0",
    "# max_retries = 3": "max_retries = 1",
    "# budget_seconds = 15.0": "budget_seconds = 90.0",
}


def _configure(home: Path) -> None:
    """Uncomment and change the default config's ``[http]`` lines, as a seller would."""
    config = home / "config.toml"
    text = config.read_text()
    for commented, value in SLOW_PROXY.items():
        assert commented in text
        text = text.replace(commented, value)
    config.write_text(text)


def test_the_defaults_are_the_clients_own() -> None:
    timeout, retry = http_limits(load_settings(Path("/nonexistent-home"), env={}))
    assert timeout == DEFAULT_TIMEOUT
    assert retry == RetryPolicy()
    for line in SLOW_PROXY:
        assert line in DEFAULT_CONFIG_TOML


def test_config_values_reach_the_connectors_client(ready_hub: Hub) -> None:
    code, _, err = ready_hub(
        "accounts", "add", "shipbob", "my-shipbob", "-c", "pat=pat_sim", "-s", "channel_id=1"
    )
    assert code == 0, err
    _configure(ready_hub.home)
    settings = load_settings(ready_hub.home)
    with ready_hub.session() as session:
        row = get_account(session, "my-shipbob")
        info = AccountInfo.of(row)
        built = [connector_factory_for(settings)(row), build_connector(info, settings)]
    expected = httpx.Timeout(connect=8.0, read=42.0, write=42.0, pool=8.0)
    for connector in built:
        client = connector._http
        assert client._timeout == expected
        assert client._retry.max_attempts == 2 and client._retry.total_budget == 90.0
        asyncio.run(connector.aclose())


def test_a_budget_shorter_than_the_timeout_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[http]\ntimeout_seconds = 60\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path, env={})
    message = str(raised.value)
    assert "http.budget_seconds" in message and "timeout_seconds (60)" in message
    assert "\n" not in message


def test_the_jobs_of_one_process_share_its_rate_limit_buckets(ready_hub: Hub) -> None:
    """Embedded engine: every connector the factory makes spends one bucket per account and
    operation (``channelhub run`` runs an account's jobs at once)."""
    code, _, err = ready_hub(
        "accounts", "add", "shipbob", "my-shipbob", "-c", "pat=pat_sim", "-s", "channel_id=1"
    )
    assert code == 0, err
    settings = load_settings(ready_hub.home)
    with open_engine(settings) as engine, ready_hub.session() as session:
        factory = connector_factory_for(settings, buckets_for(engine, settings))
        row = get_account(session, "my-shipbob")
        one, two = factory(row), factory(row)
    bucket = one._http.limiter.bucket("my-shipbob", "orders")
    assert bucket is two._http.limiter.bucket("my-shipbob", "orders")


def test_the_jobs_of_one_process_share_its_tokens(ready_hub: Hub) -> None:
    """Every connector the process's factory makes keeps its tokens in the factory's
    ProcessTokens, under one slot per account and credentials: a later job run of the account
    takes the token the earlier run fetched (tests/amazon/test_restricted_data_token.py)."""
    code, _, err = ready_hub(
        "accounts", "add", "ups", "my-ups", "-c", "client_id=ups-client", "-c",
        "client_secret=ups-secret",
    )  # fmt: skip
    assert code == 0, err
    settings = load_settings(ready_hub.home)
    with open_engine(settings) as engine, ready_hub.session() as session:
        factory = connector_factory_for(settings, buckets_for(engine, settings))
        row = get_account(session, "my-ups")
        one, two = factory(row), factory(row)
    assert one.token._shared is not None and one.token._shared == two.token._shared
    assert one.token._shared.tokens is factory.tokens
    asyncio.run(one.aclose())
    asyncio.run(two.aclose())
