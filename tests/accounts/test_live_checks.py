"""``accounts check``'s live half per platform, and the loopback guarantee: with a loopback
base URL, no request of a check or of a pull/push leaves loopback, for every platform."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from channelhub.connectors.amazon.auth import DEFAULT_LWA_URL, lwa_url_for
from channelhub.connectors.check import run_check
from channelhub.connectors.registry import BUILTIN_CONNECTORS, ConnectorRegistry
from tests.accounts.loopback import SETUPS, LoopbackOnly

REGISTRY = ConnectorRegistry()


def test_every_builtin_platform_has_a_setup_and_a_live_check() -> None:
    assert set(SETUPS) == set(BUILTIN_CONNECTORS)
    assert all(REGISTRY.get(name).check is not None for name in BUILTIN_CONNECTORS)


@pytest.mark.parametrize("platform", sorted(SETUPS))
def test_check_and_a_pull_stay_on_loopback(platform: str) -> None:
    setup = SETUPS[platform]
    transport = LoopbackOnly(setup.app())
    plugin = REGISTRY.get(platform)

    async def go() -> None:
        lines = await run_check(plugin, setup.context(transport))
        assert lines and all(line.ok for line in lines), lines
        assert setup.exercise is not None
        connector = plugin.create(setup.context(transport))
        try:
            await setup.exercise(connector, setup.now())
        finally:
            await connector.aclose()

    asyncio.run(go())
    assert transport.urls, "nothing was requested"
    assert all(url.startswith("http://127.0.0.1:9/") for url in transport.urls), transport.urls


@pytest.mark.parametrize("platform", sorted(SETUPS))
def test_a_wrong_secret_is_a_problem(platform: str) -> None:
    setup = SETUPS[platform]
    wrong = {name: "wrong-" + value for name, value in setup.credentials.items()}
    transport = LoopbackOnly(setup.app())
    context = setup.context(transport, credentials=wrong)
    lines = asyncio.run(run_check(REGISTRY.get(platform), context))
    assert any(not line.ok for line in lines), lines
    assert not any("wrong-" in line.text for line in lines)  # never echoes a secret


def test_amazon_token_goes_to_amazon_only_for_amazon_hosts() -> None:
    assert lwa_url_for(None, {}) == DEFAULT_LWA_URL
    assert lwa_url_for("https://sellingpartnerapi-eu.amazon.com", {}) == DEFAULT_LWA_URL
    assert lwa_url_for("https://sandbox.sellingpartnerapi-na.amazon.com", {}) == DEFAULT_LWA_URL
    assert lwa_url_for("http://127.0.0.1:8001/", {}) == "http://127.0.0.1:8001/auth/o2/token"
    assert lwa_url_for("http://127.0.0.1:8001", {"lwa_url": "http://x/t"}) == "http://x/t"


def test_a_dead_url_fails_fast_and_a_missing_setting_is_a_problem() -> None:
    ups = SETUPS["ups"]
    dead = replace(ups.context(LoopbackOnly(ups.app())), transport=None)  # nothing listens on :9
    lines = asyncio.run(run_check(REGISTRY.get("ups"), dead))
    assert [line.ok for line in lines] == [False]
    assert "connect" in lines[0].text.lower()
    shipbob = SETUPS["shipbob"]
    context = shipbob.context(LoopbackOnly(shipbob.app()))
    lines = asyncio.run(run_check(REGISTRY.get("shipbob"), replace(context, settings={})))
    assert [line.ok for line in lines] == [False] and "channel_id" in lines[0].text


def test_missing_scopes_and_an_unknown_channel_are_named() -> None:
    shopify = SETUPS["shopify"]
    app = shopify.app()
    app.shop.data.scopes = ("read_orders", "read_products", "read_locations")
    lines = asyncio.run(run_check(REGISTRY.get("shopify"), shopify.context(LoopbackOnly(app))))
    assert lines[0].ok and "shop 'channelhub simulator'" in lines[0].text
    assert not lines[1].ok
    assert lines[1].text.endswith(": write_inventory, write_merchant_managed_fulfillment_orders")
    shipbob = SETUPS["shipbob"]
    context = shipbob.context(LoopbackOnly(shipbob.app()))
    wrong = replace(context, settings={"channel_id": "999"})
    lines = asyncio.run(run_check(REGISTRY.get("shipbob"), wrong))
    assert lines[0].ok and "101 (channelhub)" in lines[0].text
    assert not lines[1].ok and "channel_id 999 is not one of the PAT's channels" in lines[1].text
