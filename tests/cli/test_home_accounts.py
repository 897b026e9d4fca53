"""``channelhub init``, ``db upgrade`` and ``accounts ...`` end to end, on both databases."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from channelhub.cli import _register, app, main
from channelhub.store.crypto import generate_key

SECRET = "shpat_0123456789abcdef-never-show-me"


class Hub:
    """Runs ``channelhub --home HOME ...`` through main(), as the console script does."""

    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch):
        self.home, self.capsys, self.mp = home, capsys, mp

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        self.mp.setattr(sys, "argv", ["channelhub", "--home", str(self.home), *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def hub(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Hub:
    for var in ("CHANNELHUB_HOME", "CHANNELHUB_SECRET_KEY", "CHANNELHUB_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("CHANNELHUB_DATABASE_URL", db_url)
    return Hub(tmp_path / "home", capsys, monkeypatch)


def test_init_creates_everything_and_is_idempotent(hub: Hub) -> None:
    code, out, err = hub("init")
    assert (code, err) == (0, "")
    assert "created home" in out and "created config" in out
    assert "created secret key" in out and "(mode 0600)" in out
    assert "migrated database" in out and "to 0001" not in err
    key = hub.home / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(hub.home.stat().st_mode) == 0o700
    assert "# database_url" in (hub.home / "config.toml").read_text()
    first_key = key.read_bytes()
    code, out, _ = hub("init")
    assert code == 0
    assert "kept config" in out and "kept secret key" in out and "already at revision" in out
    assert key.read_bytes() == first_key
    code, out, _ = hub("db", "upgrade")
    assert code == 0 and "already at revision" in out


def test_commands_before_init_say_what_to_do(hub: Hub) -> None:
    code, _, err = hub("accounts", "list")
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: ") and "channelhub init" in err


def test_accounts_lifecycle_never_shows_a_secret(hub: Hub) -> None:
    assert hub("init")[0] == 0
    hub.mp.setenv("CHANNELHUB_CRED_API_SECRET", SECRET + "-env")
    hub.mp.setenv("CHANNELHUB_CRED_PAT", SECRET + "-not-shopify")  # another platform's: ignored
    code, out, err = hub(
        "accounts", "add", "shopify", "shop-eu",
        "--base-url", "http://127.0.0.1:8081",
        "--credential", f"access_token={SECRET}",
        "--setting", "shop=acme",
    )  # fmt: skip
    assert code == 0, err
    assert "(credentials stored encrypted: access_token, api_secret)" in out
    code, out, err = hub("accounts", "list")
    assert code == 0
    assert "shop-eu" in out and "shop=acme" in out and "access_token" in out
    code, out, err = hub("accounts", "check", "shop-eu", "--offline")
    assert code == 0 and out.startswith("ok: shopify account 'shop-eu'")
    code, out, err = hub(
        "accounts", "add", "shopify", "shop-eu", "-c", f"access_token={SECRET}", "-s", "shop=b"
    )
    assert code == 1 and err == "error: account name: 'shop-eu' is already taken\n"
    code, out, err = hub("accounts", "remove", "shop-eu", "--yes")
    assert code == 0 and "removed account 'shop-eu'" in out
    code, out, err = hub("accounts", "check", "shop-eu")
    assert code == 1 and "'shop-eu' does not exist" in err
    everything = hub.capsys.readouterr()
    assert SECRET not in everything.out + everything.err
    if hub.home.joinpath("hub.db").exists():
        assert SECRET.encode() not in hub.home.joinpath("hub.db").read_bytes()


def test_wrong_key_is_one_clear_line(hub: Hub) -> None:
    hub("init")
    code, _, err = hub(
        "accounts", "add", "amazon", "amz-de", "-c", f"refresh_token={SECRET}",
        "-c", "client_id=amzn1.x", "-c", "client_secret=s3",
        "-s", "seller_id=A1", "-s", "marketplace_ids=A1PA6795UKMFR9",
    )  # fmt: skip
    assert code == 0, err
    hub.mp.setenv("CHANNELHUB_SECRET_KEY", generate_key().get_secret_value())
    code, out, err = hub("accounts", "check", "amz-de")
    assert code == 1
    assert err.startswith(
        "error: stored credentials cannot be decrypted with CHANNELHUB_SECRET_KEY"
    )
    assert err.count("\n") == 1 and SECRET not in err + out


def test_incomplete_accounts_are_refused_naming_what_is_missing(hub: Hub) -> None:
    hub("init")
    code, _, err = hub("accounts", "add", "ups", "ups-main")
    assert code == 1
    assert err == (
        "error: ups needs credential 'client_id' (-c client_id=...; "
        "`channelhub platforms ups` lists what it takes)\n"
    )


def test_bad_input_is_refused_without_echoing_values(hub: Hub) -> None:
    hub("init")
    code, _, err = hub("accounts", "add", "shopify", "s1", "--base-url", "ftp://x")
    assert code == 1 and "--base-url: 'ftp://x' is not an http(s) URL" in err
    code, _, err = hub("accounts", "add", "shopify", "s1", "-c", f"bad key={SECRET}")
    assert code == 1 and "'bad key'" in err and SECRET not in err
    code, _, err = hub("accounts", "add", "Shop!", "s1")
    assert code == 1 and "platform: 'Shop!'" in err


def test_credential_prompt_is_hidden(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("CHANNELHUB_HOME", "CHANNELHUB_SECRET_KEY", "CHANNELHUB_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("CHANNELHUB_DATABASE_URL", db_url)
    _register()
    runner = CliRunner()
    home = str(tmp_path / "home")
    assert runner.invoke(app, ["--home", home, "init"]).exit_code == 0
    result = runner.invoke(
        app, ["--home", home, "accounts", "add", "ebay", "ebay-uk", "-c", "refresh_token",
              "-c", "client_id=app-1", "-c", "client_secret=cert-1"],
        input=SECRET + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "refresh_token" in result.output and SECRET not in result.output
    result = runner.invoke(app, ["--home", home, "accounts", "check", "ebay-uk", "--offline"])
    assert result.exit_code == 0 and "3 credentials decrypt" in result.output
