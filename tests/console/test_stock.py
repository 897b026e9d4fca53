"""The Stock screen through TestClient (SQLite and PostgreSQL): the list with each listing's
last push, a listing's explain page, set and import counts, the push preview and push now
(the mass-drop guard's confirm), and who may act."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from channelhub.core.stock import MovementKind
from channelhub.store.repos.stock import stock_balances
from channelhub.store.repos.stock_sync import latest_pushes
from tests.console.conftest import Hub, csrf_of
from tests.console.stock_seed import MUG_URL, seed_stock
from tests.jobs.fakes import ACCOUNT, PLATFORM
from tests.stocksync.seed import move

Login = Callable[[str], TestClient]


def _post(client: TestClient, url: str, **kwargs: object) -> object:
    return client.post(url, headers={"X-CSRF-Token": csrf_of(client)}, **kwargs)  # type: ignore[arg-type]


def test_the_stock_pages_redirect_when_logged_out(hub: Hub) -> None:
    client = TestClient(hub.app, follow_redirects=False)
    for url in ("/stock", MUG_URL, "/stock/sku/MUG", f"/stock/push/{ACCOUNT}"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["location"] == "/login"


def test_the_list_shows_every_listing_and_filters(hub: Hub, login: Login) -> None:
    seed_stock(hub.session_factory)
    viewer = login("viewer")
    page = viewer.get("/stock").text
    for listing in ("A-MUG", "A-MUG2", "A-SET", "A-BOX", "A-LOOSE"):
        assert f"{PLATFORM}:{ACCOUNT}:{listing}" in page
    assert page.count(">never<") == 5  # nothing pushed yet
    only = viewer.get("/stock", params={"q": "box"}).text
    assert "A-BOX" in only and "A-MUG" not in only
    assert "Set a count" not in page and "/stock/import" not in page  # a viewer has no form


def test_a_listing_explains_its_quantity(hub: Hub, login: Login) -> None:
    seed_stock(hub.session_factory)
    page = login("viewer").get(MUG_URL)
    assert page.status_code == 200
    assert '<b id="sellable">12</b>' in page.text
    assert "last push: never pushed" in page.text
    assert f"stock sync is off for {ACCOUNT}" in page.text
    assert login("viewer").get("/stock/listing", params={"key": "x:y:z"}).status_code == 404
    loose = login("viewer").get("/stock/listing", params={"key": f"{PLATFORM}:{ACCOUNT}:A-LOOSE"})
    assert "not paired" in loose.text


def test_an_operator_sets_a_count_and_the_explain_changes(hub: Hub, login: Login) -> None:
    seed_stock(hub.session_factory)
    operator = login("operator")
    key = f"{PLATFORM}:{ACCOUNT}:A-MUG"
    response = _post(
        operator, "/stock/set",
        data={"warehouse": "US-EAST", "sku": "MUG", "quantity": "7", "listing": key},
    )  # fmt: skip
    assert response.status_code == 200  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert "US-EAST MUG: on hand 7 (adjusted -5)" in text and '<b id="sellable">7</b>' in text
    with hub.session_factory() as session:
        assert stock_balances(session, skus=["MUG"])[("US-EAST", "MUG")].on_hand == 7
    bad = _post(
        operator, "/stock/set", data={"warehouse": "US-EAST", "sku": "NOPE", "quantity": "1"}
    )
    assert "is not in the product library" in bad.text  # type: ignore[attr-defined]
    worse = _post(
        operator, "/stock/set", data={"warehouse": "US-EAST", "sku": "MUG", "quantity": "-1"}
    )
    assert "is not a whole number" in worse.text  # type: ignore[attr-defined]


def test_import_is_all_or_nothing(hub: Hub, login: Login) -> None:
    seed_stock(hub.session_factory)
    operator = login("operator")
    bad = "warehouse,sku,on_hand\nUS-EAST,MUG,3\nUS-EAST,NOPE,2\n"
    response = _post(operator, "/stock/import", files={"file": ("counts.csv", bad, "text/csv")})
    assert "counts.csv: 1 bad row(s), nothing imported" in response.text  # type: ignore[attr-defined]
    assert "NOPE" in response.text  # type: ignore[attr-defined]
    with hub.session_factory() as session:
        assert stock_balances(session, skus=["MUG"])[("US-EAST", "MUG")].on_hand == 12
    good = "warehouse,sku,on_hand\nUS-EAST,MUG,3\nCN-SZ,LID,9\n"
    response = _post(operator, "/stock/import", files={"file": ("counts.csv", good, "text/csv")})
    assert "imported 2 count(s) from counts.csv into CN-SZ, US-EAST" in response.text  # type: ignore[attr-defined]
    with hub.session_factory() as session:
        assert stock_balances(session, skus=["MUG"])[("US-EAST", "MUG")].on_hand == 3


def test_push_preview_then_turn_on_then_the_guard_stops_a_mass_drop(hub: Hub, login: Login) -> None:
    seed_stock(hub.session_factory)
    operator = login("operator")
    preview = operator.get(f"/stock/push/{ACCOUNT}").text
    assert "Stock sync is <b>off</b>" in preview and "Turn stock sync on and push" in preview
    assert "The mass-drop guard" in preview
    refused = _post(operator, f"/stock/push/{ACCOUNT}", data={"confirm": ""})
    assert f"stock sync is off for {ACCOUNT}" in refused.text  # type: ignore[attr-defined]
    pushed = _post(operator, f"/stock/push/{ACCOUNT}", data={"confirm": "yes"})
    assert f"stock sync is on for {ACCOUNT}" in pushed.text  # type: ignore[attr-defined]
    with hub.session_factory() as session:
        sent = latest_pushes(session, channel=PLATFORM, account=ACCOUNT)
    assert sorted((k.listing_id, p.quantity) for k, p in sent.items()) == [
        ("A-BOX", 5), ("A-MUG", 12), ("A-MUG2", 6), ("A-SET", 4),
    ]  # fmt: skip
    listed = operator.get("/stock").text
    assert listed.count(">never<") == 1 and listed.count("<td>confirmed</td>") == 4  # A-LOOSE
    with hub.session_factory.begin() as session:  # every mug promised: three listings to 0
        move(session, "MUG", 12, kind=MovementKind.RESERVE)
    hub.clock.advance(minutes=5)
    preview = operator.get(f"/stock/push/{ACCOUNT}").text
    assert 'id="guard"' in preview and "would cut 3 of 4 listings" in preview
    stopped = _post(operator, f"/stock/push/{ACCOUNT}", data={"confirm": ""})
    assert "stock push stopped" in stopped.text  # type: ignore[attr-defined]
    with hub.session_factory() as session:
        assert (
            latest_pushes(session, channel=PLATFORM, account=ACCOUNT)[
                next(k for k in sent if k.listing_id == "A-MUG")
            ].quantity
            == 12
        )  # nothing was sent
    confirmed = _post(operator, f"/stock/push/{ACCOUNT}", data={"confirm": "yes"})
    assert "CONFIRMED CUT" in confirmed.text  # type: ignore[attr-defined]
    listing = operator.get(MUG_URL).text
    assert "last push: 0 at" in listing and "confirmed by the channel" in listing


def test_a_viewer_may_not_set_import_or_push(hub: Hub, login: Login) -> None:
    seed_stock(hub.session_factory)
    viewer = login("viewer")
    assert "Push now" not in viewer.get(f"/stock/push/{ACCOUNT}").text
    for url, kwargs in (
        ("/stock/set", {"data": {"warehouse": "US-EAST", "sku": "MUG", "quantity": "1"}}),
        ("/stock/import", {"files": {"file": ("c.csv", "warehouse,sku,on_hand\n", "text/csv")}}),
        (f"/stock/push/{ACCOUNT}", {"data": {"confirm": "yes"}}),
    ):
        assert _post(viewer, url, **kwargs).status_code == 403  # type: ignore[attr-defined]
        assert login("operator").post(url, **kwargs).status_code == 403  # no CSRF token
    with hub.session_factory() as session:
        assert stock_balances(session, skus=["MUG"])[("US-EAST", "MUG")].on_hand == 12
        assert latest_pushes(session, channel=PLATFORM, account=ACCOUNT) == {}


def test_the_sku_page_shows_every_warehouse_and_its_bindings(hub: Hub, login: Login) -> None:
    seed_stock(hub.session_factory)
    page = login("viewer").get("/stock/sku/MUG").text
    assert 'href="/warehouses/US-EAST"' in page and "receive 12" in page
    assert "A-MUG2" in page and "(2-pack)" in page
