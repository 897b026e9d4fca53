"""``channelhub pairing ...`` and ``channelhub rules test`` end to end on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from channelhub.cli.home import vault_for
from channelhub.core.listing import Listing
from channelhub.core.models import HubStatus
from channelhub.jobs.orders.pipeline import PipelineSettings, process_order
from channelhub.settings import load_settings
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.listings import upsert_listing
from channelhub.store.repos.orders import get_order
from channelhub.store.repos.stock import stock_balances
from tests.cli.hub import Hub
from tests.core.orderflow_data import NOW, order
from tests.jobs.test_pipeline import add, seed

PAIRING_RULES = """
[pairing]
auto_bind_threshold = 101

[[pairing.regex_rules]]
pattern = "(.+)-2PK"
replacement = "\\\\1"
multiplier = 2
score = 92
"""


def _account(hub: Hub, platform: str, name: str) -> None:
    """An account row as `accounts add` stores it (the platform's credentials do not matter)."""
    settings = load_settings(hub.home)
    with hub.session() as s:
        add_account(s, vault_for(settings), platform=platform, name=name, credentials={}, now=NOW)
        s.commit()


def test_list_suggest_bind_rebind_unbind(ready_hub: Hub, tmp_path: Path) -> None:
    hub = ready_hub
    rules = tmp_path / "rules.toml"
    rules.write_text(PAIRING_RULES)
    cup = order(external_id="1", lines=[{"line_id": "1", "channel_sku": "MUG-2PK", "quantity": 1}])
    with hub.session() as s:
        seed(s, E_MUG=10)
        add(s, cup)
        listing = Listing.model_validate(
            {
                "channel": "shopify",
                "account": "shop1",
                "listing_id": "L77",
                "title": "Spoon",
                "identifiers": {"asin": "B0SPOON"},
                "status": "active",
            },
            strict=False,
        )
        upsert_listing(s, listing, now=datetime(2026, 3, 1, tzinfo=UTC))
        s.commit()
        with s.begin():
            plan = process_order(s, cup.key, settings=PipelineSettings(), now=NOW)
        assert plan is not None and plan.status is HubStatus.AWAITING_PAIRING
    _account(hub, "shopify", "shop1")
    code, out, err = hub("pairing", "list", "--rules", str(rules))
    assert code == 0, err
    assert "bindings (0):" in out and "unpaired (" in out
    assert "shopify:shop1 sku MUG-2PK  (1 order line(s) waiting)" in out
    assert "2 x MUG (score 92" in out
    assert "shopify:shop1 listing L77  (0 order line(s) waiting)  candidates: no candidates" in out
    code, out, _ = hub("pairing", "suggest", "shopify:shop1:MUG-2PK", "--rules", str(rules))
    assert code == 0 and "2 x MUG  score 92  regex" in out
    code, out, err = hub("pairing", "bind", "shopify:shop1:MUG-2PK", "MUG", "--multiplier", "2")
    assert code == 0, err
    assert "bound account shopify:shop1 sku MUG-2PK -> 2 x MUG (v1)" in out
    assert "re-planned shopify:shop1:1: allocated" in out
    with hub.session() as s:
        assert stock_balances(s)[("E", "MUG")].reserved == 2
    code, out, _ = hub("pairing", "bind", "shopify:shop1:MUG-2PK", "MUG", "--multiplier", "3")
    assert code == 0 and "(v2)" in out and "re-planned shopify:shop1:1: allocated" in out
    with hub.session() as s:
        assert stock_balances(s)[("E", "MUG")].reserved == 3
        assert get_order(s, cup.key).hub_status is HubStatus.ALLOCATED
    code, out, _ = hub("pairing", "list")
    assert "account shopify:shop1 sku MUG-2PK -> 3 x MUG (v2) [manual]" in out
    code, out, _ = hub(
        "pairing", "bind", "shopify:shop1:listing=L77", "SPOON", "--scope", "channel"
    )
    assert code == 0 and "channel shopify listing L77 -> 1 x SPOON (v1)" in out
    code, _, err = hub("pairing", "bind", "shopify:shop1:listing=L77", "SPOON", "--scope", "global")
    assert code == 1 and "cannot be global" in err
    code, _, err = hub("pairing", "bind", "shopify:shop1:X", "NOPE")
    assert code == 1 and "'NOPE' is not in the product library" in err
    code, out, _ = hub("pairing", "unbind", "shopify:shop1:MUG-2PK")
    assert code == 0 and "unbound account shopify:shop1 sku MUG-2PK" in out
    code, _, err = hub("pairing", "unbind", "shopify:shop1:MUG-2PK")
    assert code == 1 and "no active binding" in err
    code, _, err = hub("pairing", "suggest", "nonsense")
    assert code == 1 and "is not CHANNEL:ACCOUNT:SKU" in err


def test_bind_refuses_unknown_channel_account_and_listing(ready_hub: Hub) -> None:
    """A typo in LISTING is one line and writes no binding that would match nothing."""
    hub = ready_hub
    with hub.session() as s:
        seed(s, E_MUG=10)
        add(
            s, order(external_id="1", lines=[{"line_id": "1", "channel_sku": "MUG", "quantity": 1}])
        )
        s.commit()
    _account(hub, "shopify", "shop1")
    _account(hub, "amazon", "amz")
    refused = {
        "shopfy:shop1:MUG": "error: channel 'shopfy' has no account (channels with accounts: "
        "amazon, shopify; see `channelhub accounts list`)\n",
        "shopify:shop2:MUG": "error: account 'shop2' does not exist (see `channelhub accounts "
        "list`)\n",
        "shopify:amz:MUG": "error: LISTING: 'shopify:amz sku MUG' names account 'amz', which is "
        "on amazon\n",
        "shopify:shop1:MUGG": "error: listing shopify:shop1 sku MUGG is unknown: no listing "
        "pulled from shop1 and no order line names it (run `channelhub sync listings shop1` "
        "first)\n",
        "shopify:shop1:listing=L9": "error: listing shopify:shop1 listing L9 is unknown: no "
        "listing pulled from shop1 and no order line names it (run `channelhub sync listings "
        "shop1` first)\n",
    }
    for listing, line in refused.items():
        assert hub("pairing", "bind", listing, "MUG")[::2] == (1, line), listing
    code, out, _ = hub("pairing", "list")
    assert "bindings (0):" in out
    code, out, err = hub("pairing", "bind", "shopify:shop1:MUG", "MUG")  # on an order line
    assert code == 0 and "bound account shopify:shop1 sku MUG -> 1 x MUG (v1)" in out, err


RULES_V2 = """
[[review.rules]]
name = "big"
kind = "order_value_above"
limits = { USD = "30.00" }

[[review.rules]]
name = "bigger"
kind = "order_value_above"
limits = { USD = "300.00" }
"""


def test_rules_test_shows_what_would_change_and_warnings(ready_hub: Hub, tmp_path: Path) -> None:
    hub = ready_hub
    with hub.session() as s:
        seed(s, E_MUG=10)
        add(s, order(external_id="1"))  # 40 USD: held by "big"
        add(s, order(external_id="2", totals={"total": {"amount": "10.00", "currency": "USD"}}))
    hub("orders", "hold", "shopify:shop1:2", "--reason", "x")
    code, out, _ = hub("orders", "release", "shopify:shop1:2")  # default rules: allocated
    assert "now allocated" in out
    rules = tmp_path / "v2.toml"
    rules.write_text(RULES_V2)
    code, out, err = hub("rules", "test", "--rules", str(rules))
    assert code == 0, err
    assert "shopify:shop1:1: new -> on_hold: hold: big: " in out
    assert "shopify:shop1:2" not in out  # 10 USD, still allocated (its own stock counted back)
    assert "1 of 2 open order(s) would change" in out
    assert "warning: rule 'bigger' shadowed (with 'big')" in out
    with hub.session() as s:  # a dry run: nothing moved
        assert get_order(s, order(external_id="1").key).hub_status is HubStatus.NEW
    bad = tmp_path / "bad.toml"
    bad.write_text('[[review.rules]]\nname = "x"\nkind = "nope"\n')
    code, _, err = hub("rules", "test", "--rules", str(bad))
    assert code == 1 and "review.rules" in err and len(err.strip().splitlines()) == 1


def test_an_order_line_and_the_listing_with_its_sku_are_one_unpaired_entry(
    ready_hub: Hub,
) -> None:
    """Amazon's order lines name the ASIN, its listings the SKU: one listing to pair."""
    hub = ready_hub
    line = {"line_id": "1", "channel_sku": "CUP-1", "listing_id": "B0CUPASIN", "quantity": 1}
    cup = order(external_id="7", lines=[line])
    with hub.session() as s:
        seed(s, E_MUG=10)
        add(s, cup)
        stored = Listing.model_validate(
            {"channel": "shopify", "account": "shop1", "listing_id": "CUP-1",
             "channel_sku": "CUP-1", "title": "Cup", "status": "active"},
            strict=False,
        )  # fmt: skip
        upsert_listing(s, stored, now=datetime(2026, 3, 1, tzinfo=UTC))
        s.commit()
        with s.begin():
            plan = process_order(s, cup.key, settings=PipelineSettings(), now=NOW)
        assert plan is not None and plan.status is HubStatus.AWAITING_PAIRING
    _account(hub, "shopify", "shop1")
    code, out, err = hub("pairing", "list")
    assert code == 0, err
    assert "unpaired (1):" in out, out
    assert "(1 order line(s) waiting)" in out and "B0CUPASIN" not in out
