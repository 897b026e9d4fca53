"""The Warehouses screen (SQLite and PostgreSQL): levels and whether stock is known, a
warehouse's SKUs, add and remove by the owner only (what ``warehouses add|remove`` do)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from channelhub.store.repos.warehouses import list_warehouses
from tests.console.conftest import Hub, csrf_of
from tests.console.stock_seed import seed_stock
from tests.stocksync.seed import know_stock

Login = Callable[[str], TestClient]


def _codes(hub: Hub) -> list[str]:
    with hub.session_factory() as session:
        return [w.code for w in list_warehouses(session)]


def test_the_list_and_a_warehouse_page(hub: Hub, login: Login) -> None:
    seed_stock(hub.session_factory)
    with hub.session_factory.begin() as session:
        know_stock(session, "CN-SZ", at=None)
    viewer = login("viewer")
    page = viewer.get("/warehouses").text
    assert 'id="warehouse-US-EAST"' in page and "known since 2026-03-01 12:00" in page
    assert "unknown: nothing is pushed from it" in page  # CN-SZ
    assert "Add a warehouse" not in page and "Remove" not in page  # a viewer has no button
    one = viewer.get("/warehouses/US-EAST").text
    assert 'href="/stock/sku/MUG"' in one and "<b>3</b> SKUs" in one
    assert viewer.get("/warehouses/NOPE").status_code == 404
    assert TestClient(hub.app, follow_redirects=False).get("/warehouses").status_code == 303


def test_the_owner_adds_and_removes_a_warehouse(hub: Hub, login: Login) -> None:
    seed_stock(hub.session_factory)
    owner = login("owner")
    headers = {"X-CSRF-Token": csrf_of(owner)}
    added = owner.post(
        "/warehouses", data={"code": "EU-DE", "country": "de", "name": "Berlin"}, headers=headers
    )
    assert "added warehouse EU-DE" in added.text and 'id="warehouse-EU-DE"' in added.text
    assert "EU-DE" in _codes(hub)
    bad = owner.post("/warehouses", data={"code": "X", "country": "Germany"}, headers=headers)
    assert bad.status_code == 200 and "country" in bad.text.lower()
    refused = owner.post("/warehouses/US-EAST/remove", headers=headers)
    assert "cannot be removed" in refused.text and "US-EAST" in _codes(hub)
    gone = owner.post("/warehouses/EU-DE/remove", headers=headers)
    assert "removed warehouse EU-DE" in gone.text and "EU-DE" not in _codes(hub)


def test_an_operator_or_viewer_may_not_add_or_remove(hub: Hub, login: Login) -> None:
    seed_stock(hub.session_factory)
    for name in ("operator", "viewer"):
        client = login(name)
        headers = {"X-CSRF-Token": csrf_of(client)}
        data = {"code": "EU-DE", "country": "DE"}
        assert client.post("/warehouses", data=data, headers=headers).status_code == 403
        assert client.post("/warehouses/CN-SZ/remove", headers=headers).status_code == 403
    assert login("owner").post("/warehouses/CN-SZ/remove").status_code == 403  # no CSRF token
    assert _codes(hub) == ["CN-SZ", "US-EAST"]
