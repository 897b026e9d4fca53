"""FBA inventory as a warehouse's stock, and listings fulfilled by Amazon (AFN): read into the
ledger by the MCF account's pull, shown by ``stock explain``, never pushed a quantity."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from channelhub.connectors.amazon_mcf import PLUGIN
from channelhub.connectors.results import QuantityPushResult, QuantityUpdate
from channelhub.core.bindings import Binding, Scope
from channelhub.core.listing import FULFILMENT_NETWORK, Listing, ListingStatus
from channelhub.core.models import Sku, Warehouse
from channelhub.core.rulebook import Rulebook
from channelhub.jobs.stock.desk import listing_stock
from channelhub.jobs.stock.pull import pull_stock
from channelhub.jobs.stock.push import preview_push, push_stock
from channelhub.jobs.stock.warehouses import register_warehouse
from channelhub.mappings.amazon import normalize_listings
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.listings import upsert_listing
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.products import upsert_sku
from tests.amazon_mcf.harness import ACCOUNT, SETTINGS, make_rig

pytestmark = pytest.mark.anyio
US = SETTINGS["marketplace_id"]


def test_a_listing_only_amazon_fulfils_is_marked_afn() -> None:
    items = {
        "items": [
            {
                "sku": "MUG-RED",
                "fulfillmentAvailability": [{"fulfillmentChannelCode": "AMAZON_NA"}],
            },
            {
                "sku": "TEE-M",
                "fulfillmentAvailability": [{"fulfillmentChannelCode": "DEFAULT", "quantity": 4}],
            },
        ]
    }
    afn, mfn = normalize_listings(items, account="seller", marketplace=US)
    assert afn.fulfilment_network == "AMAZON_NA" and mfn.fulfilment_network is None
    assert mfn.quantity == 4


class Pusher:
    platform = "amazon"

    def __init__(self) -> None:
        self.sent: list[QuantityUpdate] = []

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        self.sent.extend(updates)
        return [QuantityPushResult(u.listing, u.quantity, True) for u in updates]


def _listing(sku: str, *, afn: bool) -> Listing:
    return Listing(
        channel="amazon",
        account="seller",
        listing_id=sku,
        channel_sku=sku,
        quantity=7,
        status=ListingStatus.ACTIVE,
        marketplace=US,
        identifiers={FULFILMENT_NETWORK: "AMAZON_NA"} if afn else {},
    )


async def test_fba_stock_is_explained_for_afn_listings_which_are_never_pushed(
    engine: Engine,
) -> None:
    rig = make_rig()
    factory = make_session_factory(engine)
    now = rig.clock()
    with factory.begin() as session:
        add_account(
            session,
            Vault(generate_key()),
            platform="amazon_mcf",
            name=ACCOUNT,
            credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
            now=now,
            base_url="http://sp.sim",
            settings=SETTINGS,
        )
        register_warehouse(
            session,
            Warehouse(code="FBA-US", country="US", account=ACCOUNT),
            now=now,
            roles_of=lambda platform: PLUGIN.roles,
        )
        for sku in ("MUG-RED", "TEE-M"):
            upsert_sku(session, Sku(code=sku), now=now)
        for sku, afn in (("MUG-RED", True), ("TEE-M", False)):
            upsert_listing(session, _listing(sku, afn=afn), now=now)
            binding = Binding(
                scope=Scope.ACCOUNT, channel="amazon", account="seller", channel_sku=sku, sku=sku
            )
            save_binding(session, binding, now=now, actor="test")
    mcf = rig.connector()
    await pull_stock(factory, mcf, account=ACCOUNT, now=now)
    await mcf.aclose()

    rulebook = Rulebook()
    with factory() as session:
        shown = listing_stock(session, _listing("MUG-RED", afn=True), rulebook)
        text = "\n".join(shown.status)
        assert "AMAZON_NA" in text and "never pushes it a merchant quantity" in text
        assert f"channel stock at FBA-US (read by amazon_mcf account {ACCOUNT}): MUG-RED 120" in (
            text
        )
        assert shown.explanation is not None  # the breakdown still shows the FBA warehouse
        assert {c.sku for c in shown.explanation.components} == {"MUG-RED"}
        preview = preview_push(session, channel="amazon", account="seller", rules=rulebook.stock)
        rows = {row.listing: row for row in preview.rows}
        assert rows["amazon:seller:MUG-RED"].would_push is None
        assert "AMAZON_NA" in rows["amazon:seller:MUG-RED"].why
        assert rows["amazon:seller:TEE-M"].would_push == 15  # a merchant listing, FBA stock too

    pusher = Pusher()
    summary = await push_stock(
        factory, account="seller", connector=pusher, rules=rulebook.stock, now=now, full_sweep=True
    )
    assert [str(u.listing) for u in pusher.sent] == ["amazon:seller:TEE-M"]
    assert summary.channel_fulfilled == 1
    assert any("left 1 listing(s) alone" in note for note in summary.notes())
