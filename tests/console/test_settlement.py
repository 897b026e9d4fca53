"""The Settlement page: profit per order and per SKU, the payouts with the one that does not
sum and its lines, and downloads equal to the tables (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from channelhub.api.app import create_app
from channelhub.api.console import ConsoleConfig
from channelhub.core.profit import FinanceConfig
from channelhub.core.settlement import MoneyType
from channelhub.store.repos.money import record_money
from tests.console.conftest import Hub
from tests.settlement.seed import (
    T0,
    channel_records,
    line,
    record,
    seed_catalog_and_orders,
    warehouse_records,
)


@pytest.fixture
def seeded(hub: Hub) -> Hub:
    """The seeded settlement orders; payout P-1 short by 2.20 (paid 60.00)."""
    with hub.session_factory() as session:
        seed_catalog_and_orders(session)
        records = channel_records()
        records[-1] = record(line("PO-1", "payout", MoneyType.PAYOUT, "-60.00", order=None))
        record_money(session, "acme", records, T0)
        record_money(session, "wh", warehouse_records(), T0)
        session.commit()
    finance = FinanceConfig.model_validate({"fees": {"shopify": {"percent": 15}}})
    hub.app = create_app(
        session_factory=hub.session_factory,
        connector_factory=lambda row: hub.channel,
        now=lambda: T0,
        console=ConsoleConfig(finance=finance),
    )
    return hub


def test_the_page_shows_profit_payouts_discrepancies_and_downloads(
    seeded: Hub, login: Callable[[str], TestClient]
) -> None:
    viewer = login("viewer")
    page = viewer.get("/settlement")
    assert page.status_code == 200, page.text
    assert 'href="/settlement"' in page.text  # in the navigation
    profit = page.text[page.text.index('id="profit"') :]
    assert "<td>S-1</td>" in profit and "<td>23.95</td>" in profit
    assert "payout P-1 paid 60.00 USD" in page.text
    assert "T-1/fee channel_fee -6.75 USD order S-1" in page.text  # its lines listed
    by_sku = viewer.get("/settlement?by=sku")
    assert "<td>BOX</td>" in by_sku.text and "<td>-2.90</td>" in by_sku.text
    bad = viewer.get("/settlement?by=colour")
    assert bad.status_code == 400 and "colour" in bad.text

    # the downloads are the tables
    profit = viewer.get("/settlement/profit.csv?by=channel")
    assert profit.status_code == 200
    (shopify,) = list(csv.DictReader(io.StringIO(profit.text)))
    assert (shopify["channel"], shopify["profit"]) == ("shopify", "34.34")
    payouts = list(csv.DictReader(io.StringIO(viewer.get("/settlement/payouts.csv").text)))
    assert [(p["payout"], p["difference"], p["status"]) for p in payouts] == [
        ("P-1", "-2.20", "differs")
    ]
    found = viewer.get("/settlement/discrepancies.csv?kind=payouts").text
    assert "payout_mismatch" in found
    assert viewer.get("/settlement/discrepancies.csv?kind=orders").text.count("\n") == 1
