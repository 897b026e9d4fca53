"""``channelhub simulate`` prints the ``accounts add`` line that works against the simulator,
and that line, pasted into a fresh hub, syncs every seeded order and listing."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from channelhub.cli import main
from channelhub.settings import JobsSettings
from channelhub.simulators.registry import (
    create_simulator,
    served_simulator,
    simulator_info,
    simulator_names,
)
from channelhub.simulators.serve import serving
from tests.cli.hub import Hub
from tests.cli.hub import ready_hub as ready_hub  # the fixture

PLATFORMS = [name for name in simulator_names() if name != "demo"]
CHANNELS = ["amazon", "ebay", "shopify", "temu"]
NOW = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)  # an injected simulator clock
LOOKBACK = timedelta(days=JobsSettings().initial_lookback_days)
#: fewer seeded orders than served, so the hub's real-time rate limiting stays short
SMALL: dict[str, dict[str, int]] = {
    "amazon": {"order_count": 60},
    "ebay": {"order_count": 60},
    "shopify": {},
    "temu": {"order_count": 40},
}


def _simulate(mp: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple:
    capsys.readouterr()
    mp.setattr(sys, "argv", ["channelhub", "simulate", *args])
    try:
        main()
        code = 0
    except SystemExit as exited:
        code = int(exited.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("platform", PLATFORMS)
def test_print_only_prints_one_accounts_add_line_on_stdout(
    platform: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _simulate(monkeypatch, capsys, platform, "--port", "8123", "--print-only")
    assert code == 0, err
    info = simulator_info(platform)
    assert info is not None
    words = shlex.split(out)
    assert out.count("\n") == 1 and err == ""
    assert words[:6] == ["channelhub", "accounts", "add", platform, info.account, "--base-url"]
    assert words[6] == "http://127.0.0.1:8123"
    pairs = [(flag, value) for flag, value in zip(words[7::2], words[8::2], strict=True)]
    assert {v for f, v in pairs if f == "-c"} == {f"{k}={v}" for k, v in info.credentials.items()}
    settings = {v for f, v in pairs if f == "-s"}
    assert settings == {f"{k}={v}" for k, v in info.settings_for(words[6]).items()}


def test_the_account_name_and_a_host_on_every_interface(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("amazon", "--port", "9001", "--host", "0.0.0.0", "--account", "shop-2", "--print-only")
    code, out, _ = _simulate(monkeypatch, capsys, *args)
    assert code == 0
    words = shlex.split(out)
    assert words[4:7] == ["shop-2", "--base-url", "http://127.0.0.1:9001"]
    # no lwa_url needed: the token URL follows a non-Amazon base URL (tests/accounts prove it)
    assert not [word for word in words if word.startswith("lwa_url")]


def test_demo_has_no_account_line_and_hub_url_is_for_callbacks_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _simulate(monkeypatch, capsys, "demo", "--print-only")
    assert code == 1 and out == ""
    assert err.strip() == "error: platform: 'demo' is no hub platform: no account line"
    import channelhub.cli.simulate as simulate_module

    monkeypatch.setattr(simulate_module, "serve", lambda app, host, port: None)
    code, out, err = _simulate(monkeypatch, capsys, "ebay", "--hub-url", "http://127.0.0.1:8080")
    assert code == 1 and out == ""  # refused before the line is printed
    assert "the ebay simulator sends no callbacks" in err and "\n" not in err.strip()
    code, out, err = _simulate(monkeypatch, capsys, "outbound_protocol", "--hub-url", "hub:80")
    assert code == 1 and out == ""
    assert err.strip() == "error: --hub-url: 'hub:80' is not an http(s) URL with a host"


@pytest.mark.parametrize("platform", CHANNELS)
def test_seeded_orders_are_dated_inside_the_default_lookback(platform: str) -> None:
    sim = create_simulator(platform, now=lambda: NOW)
    times = _order_times(platform, sim)
    assert len(times) >= 40
    assert all(NOW - LOOKBACK < t <= NOW for t in times), (min(times), max(times))
    later = create_simulator(platform, now=lambda: NOW + timedelta(days=400))
    assert min(_order_times(platform, later)) > NOW  # they move with the clock


def _order_times(platform: str, sim: Any) -> list[datetime]:
    def iso(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    if platform == "amazon":
        orders = sim.state.orders.values()
        return [iso(o[k]) for o in orders for k in ("createdTime", "lastUpdatedTime")]
    if platform == "ebay":
        orders = sim.shop.orders.values()
        return [iso(o[k]) for o in orders for k in ("creationDate", "lastModifiedDate")]
    if platform == "shopify":
        orders = sim.shop.data.orders.values()
        return [iso(o[k]) for o in orders for k in ("createdAt", "updatedAt")]
    groups = [g["parentOrderMap"] for g in sim.shop.parents.values()]
    stamps = [g[k] for g in groups for k in ("parentOrderTime", "updateTime")]
    return [datetime.fromtimestamp(stamp, UTC) for stamp in stamps]


def _seeded_orders(platform: str, sim: Any) -> int:
    if platform == "amazon":
        return len(sim.state.orders)
    if platform == "ebay":
        return len(sim.shop.orders)
    if platform == "shopify":
        return len(sim.shop.data.orders)
    return sum(len(g["orderList"]) for g in sim.shop.parents.values())  # temu child orders


def _row(out: str, account: str) -> list[str]:
    rows = ([c for c in line.split() if c != "│"] for line in out.splitlines())
    return next(row for row in rows if row[:1] == [account])


@pytest.mark.parametrize("platform", CHANNELS)
def test_the_printed_line_syncs_every_order_and_listing(
    platform: str, ready_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a newcomer does: start the simulator, paste the line, sync twice."""
    monkeypatch.setenv("COLUMNS", "200")
    sim = served_simulator(platform, **SMALL[platform])  # as `channelhub simulate` does
    with serving(sim) as port:
        code, out, err = ready_hub("simulate", platform, "--port", str(port), "--print-only")
        assert code == 0, err
        words = shlex.split(out)
        account = words[4]
        code, out, err = ready_hub(*words[1:])
        assert code == 0, err
        code, out, err = ready_hub("sync", "orders", account)
        assert code == 0, err + out
        # every seeded order is new: none older than the lookback, none in the future
        orders = _row(out, account)  # account, job, outcome, pages, new, updated, ...
        assert orders[1:3] == ["pull_orders", "ok"]
        assert int(orders[4]) == _seeded_orders(platform, sim)
        code, out, err = ready_hub("sync", "listings", account)
        assert code == 0, err + out
        first = _row(out, account)
        assert first[2] == "ok" and int(first[4]) > 0
        code, out, err = ready_hub("sync", "listings", account)
        assert code == 0, err + out
        new, updated, unchanged = (int(n) for n in _row(out, account)[4:7])
        assert (new, updated, unchanged) == (0, 0, int(first[4]))  # nothing changed


async def _first_call(platform: str, connector: Any) -> object:
    """One authenticated read each non-channel connector makes."""
    if platform == "shipbob":
        return [page.items async for page in connector.get_stock_levels()]
    if platform in ("ups", "easypost"):
        number = "1Z999AA10123456784" if platform == "ups" else "EZ4000000004"
        return await connector.track(number)
    return await connector.get_outbound("never-sent")  # outbound_protocol: signed GET


@pytest.mark.anyio
@pytest.mark.parametrize("platform", ["shipbob", "ups", "easypost", "outbound_protocol"])
async def test_the_printed_credentials_and_settings_authenticate(platform: str) -> None:
    """The connector built from exactly the printed names and values gets past the
    simulator's authentication (a wrong credential value is refused, so the check bites)."""
    import httpx
    from pydantic import SecretStr

    from channelhub.connectors.errors import ConnectorError, Unauthorized
    from channelhub.connectors.plugin import ConnectorContext
    from channelhub.connectors.registry import ConnectorRegistry
    from channelhub.simulators.clock import ManualClock

    info = simulator_info(platform)
    assert info is not None
    base_url = "http://127.0.0.1:8123"
    sim = served_simulator(platform, clock=ManualClock(NOW))

    def connector(credentials: dict[str, str]) -> Any:
        context = ConnectorContext(
            platform=info.platform,
            account=info.account,
            base_url=base_url,
            credentials={k: SecretStr(v) for k, v in credentials.items()},
            settings=info.settings_for(base_url),
            transport=httpx.ASGITransport(app=sim),
            now=lambda: NOW,
        )
        return ConnectorRegistry().get(info.platform).create(context)

    good = connector(dict(info.credentials))
    try:
        await _first_call(platform, good)
    except Unauthorized:
        raise
    except ConnectorError as exc:  # e.g. the warehouse has no such order: but it let us in
        assert exc.status != 401, exc
    finally:
        await good.aclose()
    wrong = connector({k: v + "-wrong" for k, v in info.credentials.items()})
    with pytest.raises(ConnectorError) as refused:
        await _first_call(platform, wrong)
    assert refused.value.status == 401 or isinstance(refused.value, Unauthorized)
    await wrong.aclose()
