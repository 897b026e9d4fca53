"""What the seller touches by hand reads only what it shows: the pairing queue, a listing's
stock explanation and a re-bind, narrowed, answer exactly as the whole book and library do
(both databases)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, ListingRef, PairingBook, Scope
from channelhub.core.lifecycle import HubStatus
from channelhub.core.listing import Listing, ListingKey
from channelhub.core.models import MovementKind, StockMovement, Warehouse
from channelhub.core.pairing import PairingConfig, suggest
from channelhub.core.products import Sku
from channelhub.core.sellable import StockRules
from channelhub.jobs.orders.pairing_queue import (
    Waiting,
    resolved,
    sku_choices,
    unpaired_listings,
    unpaired_queue,
)
from channelhub.jobs.stock.compute import explain, explain_listing, resolve
from channelhub.store.repos.catalog import load_catalog, load_catalog_around, load_sku_marks
from channelhub.store.repos.listings import get_listing, listing_refs, upsert_listing
from channelhub.store.repos.orders import upsert_order
from channelhub.store.repos.pairings import load_book, save_binding
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from tests.core.orderflow_data import order

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _whole_queue(session: Session) -> list[Waiting]:
    """The queue as it was computed before: every listing, every line, the whole book."""
    from sqlalchemy import select

    from channelhub.store.tables.orders import OrderLineRow, OrderRow

    book = load_book(session)
    waiting: Counter[tuple[str | None, ...]] = Counter()
    groups: dict[tuple[str | None, ...], list[ListingRef]] = {}

    def note(ref: ListingRef, *, shown: bool = False) -> tuple[str | None, ...]:
        key: tuple[str | None, ...] = (
            (ref.channel, ref.account, "sku", ref.channel_sku)
            if ref.channel_sku
            else (ref.channel, ref.account, ref.listing_id, ref.variation_id)
        )
        group = groups.setdefault(key, [])
        if shown:
            group.insert(0, ref)
        elif ref not in group:
            group.append(ref)
        return key

    lines = session.execute(
        select(OrderRow.channel, OrderRow.account, OrderLineRow)
        .join(OrderLineRow, OrderLineRow.order_id == OrderRow.id)
        .where(OrderRow.hub_status == "awaiting_pairing")
    ).all()
    for channel, account, line in lines:
        ref = ListingRef(
            channel=channel,
            account=account,
            listing_id=line.listing_id,
            variation_id=line.variation_id,
            channel_sku=line.channel_sku,
        )
        waiting[note(ref)] += 1
    for ref in listing_refs(session):
        note(ref, shown=True)
    return [
        Waiting(group[0], waiting.get(key, 0))
        for key, group in groups.items()
        if not all(resolved(book, ref) for ref in group)
    ]


def _listing(account: str, listing_id: str, sku: str | None, **extra: object) -> Listing:
    data = {"channel": "shopify", "account": account, "listing_id": listing_id}
    data |= {"channel_sku": sku, "status": "active", **extra}
    return Listing.model_validate(data, strict=False)


def _bind(session: Session, scope: Scope, sku: str, **subject: str | None) -> None:
    channel = None if scope is Scope.GLOBAL else "shopify"
    account = subject.pop("account", None) if scope is Scope.ACCOUNT else None
    subject.pop("account", None)
    binding = Binding(scope=scope, channel=channel, account=account, sku=sku, **subject)
    save_binding(session, binding, now=NOW, actor="test")


def _seed(session: Session) -> None:
    """Listings paired every way a seller pairs them, and the ways they fail to pair."""
    upsert_warehouse(session, Warehouse(code="WH", country="US"), now=NOW)
    for code in ("MUG", "CUP", "PLATE", "BOWL"):
        upsert_sku(session, Sku(code=code, barcode=f"0{code}"), now=NOW)
    record_movement(
        session,
        StockMovement(
            warehouse="WH", sku="MUG", kind=MovementKind.RECEIVE, quantity=9, reason="t", at=NOW
        ),
        now=NOW,
    )
    listings = [
        _listing("shop1", "L1", "SKU-MUG"),  # account scope, by SKU
        _listing("shop2", "L1", "SKU-MUG"),  # the channel-scope binding pairs it
        _listing("shop1", "L2", "SKU-CUP"),  # account CUP beats channel PLATE: no conflict
        _listing("shop1", "L3", None),  # listing level, no SKU level
        _listing("shop1", "L4", "SKU-NEW", identifiers={"gtin": "0BOWL"}),  # unpaired
        _listing("shop1", "L5", "SKU-TWO"),  # its subject ships 3 SKUs: checked, account wins
        _listing("shop1", "L6", "SKU-GONE"),  # bound to a SKU not in the library: resolved
        _listing("shop2", "L7", None, variation_id="V1"),  # another variation's binding
        _listing("shop1", "L8", "SKU-DEL", status="deleted"),  # deleted, unpaired
    ]
    for listing in listings:
        upsert_listing(session, listing, now=NOW)
    _bind(session, Scope.ACCOUNT, "MUG", account="shop1", channel_sku="SKU-MUG")
    _bind(session, Scope.CHANNEL, "MUG", channel_sku="SKU-MUG")
    _bind(session, Scope.ACCOUNT, "CUP", account="shop1", channel_sku="SKU-CUP")
    _bind(session, Scope.CHANNEL, "PLATE", channel_sku="SKU-CUP")
    _bind(session, Scope.ACCOUNT, "BOWL", account="shop1", listing_id="L3")
    _bind(session, Scope.ACCOUNT, "GONE", account="shop1", channel_sku="SKU-GONE")
    _bind(session, Scope.ACCOUNT, "CUP", account="shop2", listing_id="L7", variation_id="V2")
    # one subject bound to three SKUs in three scopes: the queue checks it with the book
    _bind(session, Scope.ACCOUNT, "MUG", account="shop1", channel_sku="SKU-TWO")
    _bind(session, Scope.GLOBAL, "CUP", channel_sku="SKU-TWO")
    _bind(session, Scope.ACCOUNT, "PLATE", account="shop9", channel_sku="SKU-TWO")
    waiting = [
        order(
            external_id="1",
            account="shop1",
            lines=[{"line_id": "1", "channel_sku": "SKU-NEW", "quantity": 1}],
        ),
        order(
            external_id="2",
            account="shop1",
            lines=[{"line_id": "1", "channel_sku": "ASIN-9", "quantity": 1}],
        ),
        order(
            external_id="3",
            account="shop1",
            lines=[{"line_id": "1", "channel_sku": "SKU-MUG", "quantity": 1}],
        ),
        order(
            external_id="4",
            account="shop1",
            lines=[
                {"line_id": "1", "listing_id": "L3", "quantity": 1},
                {"line_id": "2", "channel_sku": "SKU-NEW", "quantity": 1},
            ],
        ),
    ]
    for o in waiting:
        upsert_order(
            session, o.model_copy(update={"hub_status": HubStatus.AWAITING_PAIRING}), now=NOW
        )
    session.commit()


def test_the_queue_is_the_whole_library_queue(session: Session) -> None:
    _seed(session)
    narrowed = unpaired_listings(session)
    assert narrowed == _whole_queue(session)
    shown = {(w.ref.account, w.ref.channel_sku or w.ref.listing_id): w.waiting for w in narrowed}
    assert shown == {
        ("shop1", "SKU-NEW"): 2,  # the stored listing, with both lines waiting on it
        ("shop1", "ASIN-9"): 1,
        ("shop2", "L7"): 0,
        ("shop1", "SKU-DEL"): 0,
    }
    (new,) = [
        u for u in unpaired_queue(session, load_catalog(session), PairingConfig()) if u.waiting == 2
    ]
    assert [c.sku for c in new.candidates] == ["BOWL"]  # its GTIN is BOWL's barcode


def test_a_bound_queue_is_empty_and_choices_name_every_sku(session: Session) -> None:
    upsert_sku(session, Sku(code="MUG"), now=NOW)
    upsert_listing(session, _listing("shop1", "L1", "SKU-MUG"), now=NOW)
    _bind(session, Scope.ACCOUNT, "MUG", account="shop1", channel_sku="SKU-MUG")
    session.commit()
    assert unpaired_listings(session) == _whole_queue(session) == []
    assert sku_choices(session) == [("MUG", "single")]
    assert sku_choices(session, limit=0) is None  # a bigger library than the list holds


def test_explaining_one_listing_reads_its_bindings_as_the_whole_book(session: Session) -> None:
    _seed(session)
    catalog, book = load_catalog(session), load_book(session)
    for listing_id, account in (("L1", "shop1"), ("L1", "shop2"), ("L2", "shop1"), ("L3", "shop1")):
        listing = get_listing(
            session, ListingKey(channel="shopify", account=account, listing_id=listing_id)
        )
        whole = resolve([listing], book=book, catalog=catalog)
        (expected,) = explain(
            session, whole.targets, catalog=catalog, rules=StockRules(), allowed_warehouses=None
        )
        got = explain_listing(session, listing, rules=StockRules())
        assert got == expected
    cup = get_listing(session, ListingKey(channel="shopify", account="shop1", listing_id="L2"))
    assert (
        explain_listing(session, cup, rules=StockRules()).bound_sku == "CUP"
    )  # account over channel


def test_a_narrowed_book_resolves_the_queue_refs_as_the_whole_book(session: Session) -> None:
    _seed(session)
    refs = listing_refs(session)
    whole: PairingBook = load_book(session)
    narrowed = load_book(session, refs)
    assert [resolved(narrowed, r) for r in refs] == [resolved(whole, r) for r in refs]


def test_the_marks_suggest_what_the_whole_catalog_suggests(session: Session) -> None:
    skus = [
        {"code": "Mug-Blue", "barcode": "111", "attributes": {"ASIN": "B0MUG"}},
        {"code": "CUP", "units": [{"name": "case", "base_units": 12, "barcode": "222"}]},
        {"code": "SAUCER", "barcode": "111", "attributes": {"asin": "B0MUG"}},  # a 2nd claim
        {"code": "SET", "kind": "combo", "components": [{"sku": "CUP", "qty": 2}]},
    ]
    for data in skus:
        upsert_sku(session, Sku.model_validate(data, strict=False), now=NOW)
    session.commit()
    config = PairingConfig(strip_suffixes=("-X",), identifier_keys=("gtin", "asin"))
    refs = [
        ListingRef(channel="shopify", account="s", channel_sku=" mug-blue-x "),
        ListingRef(channel="shopify", account="s", channel_sku="set"),
        ListingRef(channel="shopify", account="s", listing_id="L", identifiers={"gtin": "222"}),
        ListingRef(channel="shopify", account="s", channel_sku="Z", identifiers={"asin": "B0MUG"}),
        ListingRef(channel="shopify", account="s", channel_sku="Z", identifiers={"gtin": "111"}),
    ]
    catalog, marks = load_catalog(session), load_sku_marks(session)
    suggested = [suggest(ref, marks, config) for ref in refs]
    assert suggested == [suggest(ref, catalog, config) for ref in refs]
    assert [[(c.sku, c.multiplier) for c in cands] for cands in suggested] == [
        [("Mug-Blue", 1)],
        [("SET", 1)],
        [("CUP", 12)],  # the case's barcode: 12 x the single
        [("Mug-Blue", 1), ("SAUCER", 1)],
        [("Mug-Blue", 1)],  # the first SKU holding a barcode keeps it
    ]


def test_an_import_is_checked_against_the_skus_it_reaches(session: Session) -> None:
    from channelhub.mappings.products_csv import check_references, parse_products_csv

    for data in (
        {"code": "A"},
        {"code": "B", "kind": "combo", "components": [{"sku": "A", "qty": 1}]},
        {"code": "C", "kind": "combo", "components": [{"sku": "B", "qty": 1}]},
        {"code": "OTHER"},
    ):
        upsert_sku(session, Sku.model_validate(data, strict=False), now=NOW)
    session.commit()
    files = [
        "code,kind,components\nA,combo,C*1\n",  # A -> C -> B -> A through the stored recipes
        "code,kind,components\nD,combo,NOPE*1\n",  # an unknown component
        "code,kind,components\nD,combo,C*2\n",  # sound
    ]
    for text in files:
        rows = parse_products_csv(text).rows
        narrowed = load_catalog_around(session, [r.sku for r in rows])
        assert "OTHER" not in narrowed
        found = check_references(rows, narrowed)
        assert found == check_references(rows, load_catalog(session))
    cycle, unknown, sound = (
        check_references(rows, load_catalog_around(session, [r.sku for r in rows]))
        for rows in (parse_products_csv(text).rows for text in files)
    )
    assert [e.value for e in cycle] and "cycle" in cycle[0].why
    assert [e.value for e in unknown] == ["NOPE"] and sound == []
