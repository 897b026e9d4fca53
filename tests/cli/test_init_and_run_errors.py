"""``init`` records a database given by CHANNELHUB_DATABASE_URL (never its password); a home
that cannot be written, a database that cannot be opened and a busy port for ``run`` are one
line each, never a traceback. Both databases where a database is involved."""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from channelhub.settings import load_settings
from tests.cli.hub import Hub


@pytest.fixture
def hub(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Hub:
    """A home not initialised yet, with no CHANNELHUB_* variable set."""
    for var in ("CHANNELHUB_HOME", "CHANNELHUB_SECRET_KEY", "CHANNELHUB_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return Hub(tmp_path / "home", capsys, monkeypatch)


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port some other program listens on."""
    with socket.create_server(("127.0.0.1", 0)) as other:
        yield other.getsockname()[1]


def test_init_records_the_database_of_the_environment(
    hub: Hub, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANNELHUB_DATABASE_URL", db_url)
    code, out, err = hub("init")
    assert code == 0, err
    assert f"recorded database {db_url} in {hub.home / 'config.toml'}" in out
    config = tomllib.loads((hub.home / "config.toml").read_text())
    assert config["database_url"] == db_url
    monkeypatch.delenv("CHANNELHUB_DATABASE_URL")  # the next command finds it without the variable
    assert load_settings(hub.home).resolved_database_url == db_url
    code, out, err = hub("accounts", "list")
    assert code == 0, err
    if db_url.startswith("sqlite"):  # the default hub.db was never created beside config.toml
        assert not (hub.home / "hub.db").exists()
    monkeypatch.setenv("CHANNELHUB_DATABASE_URL", db_url)
    code, out, _ = hub("init")  # again: already recorded, nothing added
    assert code == 0 and "recorded" not in out
    lines = (hub.home / "config.toml").read_text().splitlines()
    assert [line for line in lines if line.startswith("database_url")] == [lines[0]]


def test_init_never_writes_or_prints_a_database_password(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server is not there (a closed loopback port): the URL is still recorded, without
    its password, and the failed connection is one line with the password masked."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://hub:s3cr3t-pw@127.0.0.1:{port}/channelhub"
    monkeypatch.setenv("CHANNELHUB_DATABASE_URL", url)
    code, out, err = hub("init")
    assert code == 1
    text = (hub.home / "config.toml").read_text()
    assert "s3cr3t-pw" not in out + err + text
    recorded = tomllib.loads(text)["database_url"]
    assert make_url(recorded).password is None and make_url(recorded).username == "hub"
    assert f"recorded database {recorded}" in out
    assert "without its password: keep the password in CHANNELHUB_DATABASE_URL" in out
    assert err.count("\n") == 1
    assert err.startswith(
        f"error: cannot open database postgresql+psycopg://hub:***@127.0.0.1:{port}/channelhub: "
    )


def test_a_home_that_cannot_be_written_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("CHANNELHUB_HOME", "CHANNELHUB_SECRET_KEY", "CHANNELHUB_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    home = blocker / "home"
    code, out, err = Hub(home, capsys, monkeypatch)("init")
    assert code == 1 and out == ""
    assert err == (
        f"error: cannot set up the hub home {home}: {home}: not a directory; choose a "
        "writable place with --home or CHANNELHUB_HOME\n"
    )


def test_a_busy_port_for_run_is_one_line(ready_hub: Hub, busy_port: int) -> None:
    code, out, err = ready_hub("run", "--port", str(busy_port))
    assert code == 1 and "Traceback" not in out + err
    assert err == (
        f"error: cannot listen on 127.0.0.1:{busy_port}: address already in use; another "
        "program (another `channelhub run`?) listens there; stop it or pass --port\n"
    )
