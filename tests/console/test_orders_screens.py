"""Orders, Pairing queue and Exceptions inbox through TestClient, on SQLite and PostgreSQL:
filters and the 50-row pager, every action's role (a viewer is refused each one), CSRF, and
what each action changes in the store (through the services the CLI calls)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from channelhub.core.lifecycle import HubStatus
from channelhub.jobs.orders import pairing_queue
from channelhub.jobs.orders.actions import parse_order_key
from channelhub.store.repos.jobs import get_dead_letter
from channelhub.store.repos.orders import get_order_row
from channelhub.store.tables.outbox import OutboxMessage
from tests.console.conftest import Hub, csrf_of
from tests.console.orderflow import Seeded, seed_orders

Login = Callable[[str], TestClient]


@pytest.fixture
def seeded(hub: Hub) -> Seeded:
    return seed_orders(hub.session_factory, hub.clock())


def keys_on(html: str) -> list[str]:
    return re.findall(r'data-key="([^"]+)"', html)


def ids(*numbers: str) -> list[str]:
    return [f"fakeshop:shop1:{n}" for n in numbers]


def status_of(hub: Hub, key: str) -> str:
    with hub.session_factory() as session:
        return get_order_row(session, parse_order_key(key)).hub_status


def post(client: TestClient, path: str, **data: str) -> object:
    return client.post(path, data=data, headers={"X-CSRF-Token": csrf_of(client)})


@pytest.mark.parametrize(
    "path", ["/orders", "/orders/fakeshop:shop1:1001", "/pairing", "/exceptions"]
)
def test_logged_out_pages_redirect(hub: Hub, path: str) -> None:
    client = TestClient(hub.app, follow_redirects=False)
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ids("1005", "1004", "1003", "1002", "1001")),
        ("?status=on_hold", ids("1003")),
        ("?held=1", ids("1003")),
        ("?q=1004", ids("1004")),
        ("?q=100", ids("1005", "1004", "1003", "1002", "1001")),  # an order id's beginning
        ("?q=chlo", ids("1003")),  # a buyer, any case, any part of the name
        ("?q=SPOON", ids("1003")),  # a line's channel SKU
        ("?q=MUG", []),  # a SKU matches whole, not in part
        ("?warehouse=US-WEST", ids("1005", "1004")),
        ("?account=shop1&channel=fakeshop&status=exception", ids("1004")),
        (
            "?placed_from=2026-03-02&placed_to=2026-03-02",
            ids("1005", "1004", "1003", "1002", "1001"),
        ),
        ("?placed_to=2026-03-01", []),
        ("?placed_from=not-a-date", ids("1005", "1004", "1003", "1002", "1001")),
    ],
)
def test_the_orders_list_filters(
    login: Login, seeded: Seeded, query: str, expected: list[str]
) -> None:
    response = login("viewer").get(f"/orders{query}")
    assert response.status_code == 200
    assert keys_on(response.text) == expected


def test_the_orders_list_pages_by_50_newest_first(hub: Hub, login: Login) -> None:
    seed_orders(hub.session_factory, hub.clock(), extra=60)
    client = login("viewer")
    first = client.get("/orders?q=9")
    assert len(keys_on(first.text)) == 50
    assert keys_on(first.text)[0] == "fakeshop:shop1:90000"  # the newest extra order
    older = re.search(r'href="\?q=9&amp;after=(\d+)" rel="next"', first.text)
    assert older is not None and 'rel="prev"' not in first.text  # keyset: after the last row
    second = client.get(f"/orders?q=9&after={older.group(1)}")
    assert len(keys_on(second.text)) == 10
    assert 'rel="next"' not in second.text
    assert not set(keys_on(first.text)) & set(keys_on(second.text))
    newer = re.search(r'href="\?q=9&amp;before=(\d+)" rel="prev"', second.text)
    assert newer is not None  # back: the 50 before the second page's first row
    assert keys_on(client.get(f"/orders?q=9&before={newer.group(1)}").text) == keys_on(first.text)


def test_the_filter_swaps_only_the_rows_for_htmx(login: Login, seeded: Seeded) -> None:
    response = login("viewer").get("/orders?status=on_hold", headers={"HX-Target": "rows"})
    assert response.text.lstrip().startswith('<div id="rows">')
    assert keys_on(response.text) == ids("1003")


def test_the_order_page_shows_timeline_decisions_and_parts(login: Login, seeded: Seeded) -> None:
    page = login("viewer").get(f"/orders/{seeded.refused}").text
    assert "auto-bound at score 100" in page  # the pairing decision, with its reason
    assert "every line in stock" in page  # the allocation decision
    assert "allocated -&gt; exception" in page  # the transition
    assert "HTTP 422: item MUG-WHT is not set up" in page  # the warehouse's answer
    assert "fakeshop:shop1:1004#p1r1" in page  # the part
    assert f"/exceptions/outbox/{seeded.refused_message}/retry" not in page  # a viewer's


def test_the_order_page_shows_packages_and_tracking(login: Login, seeded: Seeded) -> None:
    page = login("viewer").get("/orders/fakeshop:shop1:1005").text
    assert "1Z84A1E90312345678" in page and "SH-55102" in page and "Ground" in page
    steps = re.findall(r"<li>[^<]*· (\w+) · ([^<·]+)", page)
    assert [(s, text.strip()) for s, text in steps] == [
        ("info_received", "Shipper created a label"),
        ("in_transit", "Departed from facility"),  # reported twice: one step for the buyer
        ("out_for_delivery", "Out for delivery"),
    ]
    assert "dispatched -&gt; shipped" in page


def test_an_unknown_order_is_a_404_page(login: Login, seeded: Seeded) -> None:
    client = login("viewer")
    assert client.get("/orders/fakeshop:shop1:nope").status_code == 404
    assert client.get("/orders/garbage").status_code == 404


def test_a_viewer_sees_no_action_and_is_refused_each_one(
    hub: Hub, login: Login, seeded: Seeded
) -> None:
    client = login("viewer")
    page = client.get(f"/orders/{seeded.held}").text
    assert "/release" not in page and "/approve" not in page and "Cancel…" not in page
    assert "/pairing/bind" not in client.get("/pairing").text
    assert "/retry" not in client.get("/exceptions").text
    for path in [
        *(f"/orders/{seeded.held}/{verb}" for verb in ("approve", "release", "cancel", "hold")),
        *(f"/orders/{seeded.allocated}/{verb}" for verb in ("intercept", "split", "merge")),
        f"/orders/{seeded.allocated}/unmerge",
        "/pairing/bind",
        "/pairing/unbind",
        f"/exceptions/outbox/{seeded.refused_message}/retry",
        "/exceptions/deadletters/1/retry",
    ]:
        response = post(client, path, reason="r", listing=seeded.listing, sku="MUG-BLK")
        assert response.status_code == 403, path  # type: ignore[attr-defined]
    assert status_of(hub, seeded.held) == "on_hold"


def test_a_post_without_the_csrf_token_is_refused(hub: Hub, login: Login, seeded: Seeded) -> None:
    response = login("operator").post(f"/orders/{seeded.held}/release")
    assert response.status_code == 403
    assert status_of(hub, seeded.held) == HubStatus.ON_HOLD.value


def test_hold_then_release(hub: Hub, login: Login, seeded: Seeded) -> None:
    client = login("operator")
    held = post(client, f"/orders/{seeded.allocated}/hold", reason="fraud check")
    assert "on hold; released 2 unit(s)" in held.text  # type: ignore[attr-defined]
    assert status_of(hub, seeded.allocated) == "on_hold"
    page = client.get(f"/orders/{seeded.allocated}").text
    assert "held by operator: fraud check" in page
    released = post(client, f"/orders/{seeded.allocated}/release")
    assert "released by operator; now allocated" in released.text  # type: ignore[attr-defined]
    assert status_of(hub, seeded.allocated) == "allocated"


def test_approve_a_held_order(hub: Hub, login: Login, seeded: Seeded) -> None:
    response = post(login("owner"), f"/orders/{seeded.held}/approve")
    assert "approved by owner; now allocated" in response.text  # type: ignore[attr-defined]
    assert status_of(hub, seeded.held) == "allocated"


def test_a_refused_action_says_why_on_the_page(hub: Hub, login: Login, seeded: Seeded) -> None:
    response = post(login("operator"), f"/orders/{seeded.allocated}/release")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "is allocated, not on hold: nothing to release" in response.text  # type: ignore[attr-defined]
    empty = post(login("operator"), f"/orders/{seeded.allocated}/hold", reason=" ")
    assert "must say why" in empty.text  # type: ignore[attr-defined]
    assert status_of(hub, seeded.allocated) == "allocated"


def test_cancel_asks_first_and_says_what_happens_at_the_warehouse(
    hub: Hub, login: Login, seeded: Seeded
) -> None:
    client = login("operator")
    confirm = client.get(f"/orders/{seeded.allocated}/cancel").text
    assert "warehouse orders queued for it are cancelled before they leave" in confirm
    assert "US-EAST" in confirm
    assert status_of(hub, seeded.allocated) == "allocated"  # asking changed nothing
    done = post(client, f"/orders/{seeded.allocated}/cancel", reason="buyer cancelled")
    assert "cancelled; released 2 unit(s)" in done.text  # type: ignore[attr-defined]
    assert status_of(hub, seeded.allocated) == "cancelled"


def test_intercept_before_dispatch_stops_in_the_hub(hub: Hub, login: Login, seeded: Seeded) -> None:
    client = login("operator")
    assert "has not reached" in client.get(f"/orders/{seeded.unpaired}/intercept").text
    done = post(
        client, f"/orders/{seeded.unpaired}/intercept", reason="wrong item", then="cancelled"
    )
    assert "stopped before dispatch, now cancelled" in done.text  # type: ignore[attr-defined]
    assert status_of(hub, seeded.unpaired) == "cancelled"


def test_split_and_merge(hub: Hub, login: Login) -> None:
    seeded = seed_orders(hub.session_factory, hub.clock(), extra=6)
    client = login("operator")
    # 90001 is Ann Lee's second order, to the same address as 1001: merge them
    merged = post(client, f"/orders/{seeded.allocated}/merge", others="fakeshop:shop1:90001")
    assert "merged 2 orders into fakeshop:shop1:M-1001+90001" in merged.text  # type: ignore[attr-defined]
    unmerged = post(client, "/orders/fakeshop:shop1:M-1001+90001/unmerge")
    assert "unmerged" in unmerged.text  # type: ignore[attr-defined]
    split = post(client, f"/orders/{seeded.allocated}/split", parts="L1:1\nL1:1")
    assert "split into" in split.text, split.text  # type: ignore[attr-defined]


def test_bind_from_the_queue_moves_the_waiting_order(
    hub: Hub, login: Login, seeded: Seeded
) -> None:
    client = login("operator")
    queue = client.get("/pairing").text
    assert f'data-listing="{seeded.listing}"' in queue
    listing = client.get(f"/pairing/listing?listing={seeded.listing}").text
    assert seeded.unpaired in listing  # the order waiting on it
    bound = post(
        client,
        "/pairing/bind",
        listing=seeded.listing,
        sku="MUG-BLK",
        multiplier="2",
        scope="account",
    )
    assert f"{seeded.unpaired} is now allocated" in bound.text  # type: ignore[attr-defined]
    assert status_of(hub, seeded.unpaired) == "allocated"
    assert f'data-listing="{seeded.listing}"' not in client.get("/pairing").text
    unbound = post(client, "/pairing/unbind", listing=seeded.listing, scope="account")
    assert "unbound account fakeshop:shop1 sku MUG-BLK-2PK -&gt; 2 x MUG-BLK (v1)" in unbound.text  # type: ignore[attr-defined]
    history = client.get(f"/pairing/listing?listing={seeded.listing}").text
    assert 'class="retired"' in history and "operator" in history


def test_bind_to_an_unknown_sku_says_so(login: Login, seeded: Seeded) -> None:
    bound = post(login("operator"), "/pairing/bind", listing=seeded.listing, sku="NOPE")
    assert "NOPE" in bound.text and "notice error" in bound.text  # type: ignore[attr-defined]


def test_the_inbox_counts_link_to_their_rows(login: Login, seeded: Seeded) -> None:
    client = login("viewer")
    inbox = client.get("/exceptions").text
    counts = dict(re.findall(r'id="count-(\w+)"><b>(\d+)</b>', inbox))
    assert counts == {
        "held": "1",
        "failed_dispatch": "2",  # order 1004 in exception and its dead warehouse order
        "refused_tracking": "1",
        "dead_letter": "1",  # the hub fixture's
        "stock_block": "0",
        "refused_stock": "0",
    }
    header = re.search(r'href="/exceptions"[^>]*>(\d+) open exceptions', inbox)
    assert header is not None and header.group(1) == "5"
    failed = client.get("/exceptions?kind=failed_dispatch").text
    assert "HTTP 422: item MUG-WHT is not set up" in failed  # the answer
    assert "MUG-WHT" in failed  # the request
    assert f'href="/orders/{seeded.refused}"' in failed  # open the record
    assert "fulfillment order is closed" in client.get("/exceptions?kind=refused_tracking").text


def test_retry_a_failed_dispatch_and_a_dead_letter(hub: Hub, login: Login, seeded: Seeded) -> None:
    client = login("operator")
    done = post(client, f"/exceptions/outbox/{seeded.refused_message}/retry?kind=failed_dispatch")
    assert f"outbox message {seeded.refused_message} is queued again" in done.text  # type: ignore[attr-defined]
    with hub.session_factory() as session:
        assert session.get_one(OutboxMessage, seeded.refused_message).state == "pending"
    again = post(client, f"/exceptions/outbox/{seeded.refused_message}/retry")
    assert "cannot be replayed" in again.text  # type: ignore[attr-defined]
    replayed = post(client, f"/exceptions/deadletters/{hub.dead_letter_id}/retry")
    assert f"dead letter {hub.dead_letter_id}:" in replayed.text  # type: ignore[attr-defined]
    with hub.session_factory() as session:
        assert get_dead_letter(session, hub.dead_letter_id).state == "resolved"


def test_a_candidate_is_bound_in_one_click(login: Login, seeded: Seeded) -> None:
    client = login("operator")
    listing = "fakeshop:shop1:WHITE-MUG-11OZ"
    queue = client.get("/pairing").text
    row = queue[queue.index(f'data-listing="{listing}"') :]
    assert "score 95: listing gtin" in row  # the scored candidate and its evidence
    assert "Bind 1 × MUG-WHT" in row
    bound = post(client, "/pairing/bind", listing=listing, sku="MUG-WHT", multiplier="1")
    assert "bound account fakeshop:shop1 sku WHITE-MUG-11OZ -&gt; 1 x MUG-WHT (v1)" in bound.text  # type: ignore[attr-defined]
    assert f'data-listing="{listing}"' not in client.get("/pairing").text


def test_a_big_library_is_bound_by_a_typed_sku_code(
    hub: Hub, login: Login, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above SKU_CHOICES_MAX SKUs the bind forms ask for the code instead of listing every
    SKU in every row; a typed code binds as a chosen one, an unknown one is refused."""
    client = login("operator")
    small = client.get("/pairing").text
    assert '<option value="MUG-BLK">' in small  # a small library: every SKU to choose from
    monkeypatch.setattr(pairing_queue, "SKU_CHOICES_MAX", 1)
    queue = client.get("/pairing").text
    assert f'data-listing="{seeded.listing}"' in queue
    assert "<option value=" not in queue and 'placeholder="SKU code"' in queue
    page = client.get(f"/pairing/listing?listing={seeded.listing}").text
    assert 'name="sku" aria-label="SKU" placeholder="SKU code"' in page
    refused = post(client, "/pairing/bind", listing=seeded.listing, sku="MUG-NOPE")
    assert "MUG-NOPE" in refused.text and "notice error" in refused.text  # type: ignore[attr-defined]
    bound = post(client, "/pairing/bind", listing=seeded.listing, sku=" MUG-BLK ", multiplier="2")
    assert f"{seeded.unpaired} is now allocated" in bound.text  # type: ignore[attr-defined]
    assert f'data-listing="{seeded.listing}"' not in client.get("/pairing").text
