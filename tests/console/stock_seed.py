"""A stocked hub for the Stock, Warehouses and Reconciliation screens: the stock back-sync
tests' catalog (two warehouses, singles, a combo, a kit) and listings of the console's
account bound to them."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.listing import ListingKey
from tests.jobs.fakes import ACCOUNT, PLATFORM
from tests.stocksync.seed import add_catalog, add_listing, move

MUG = ListingKey(channel=PLATFORM, account=ACCOUNT, listing_id="A-MUG")
MUG_URL = "/stock/listing?key=" + str(MUG).replace(":", "%3A")


def seed_stock(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        add_catalog(session)
        for listing_id, sku, multiplier in (
            ("A-MUG", "MUG", 1), ("A-MUG2", "MUG", 2), ("A-SET", "MUG-SET", 1),
            ("A-BOX", "GIFT-BOX", 1),
        ):  # fmt: skip
            add_listing(session, PLATFORM, ACCOUNT, listing_id, sku=sku, multiplier=multiplier)
        add_listing(session, PLATFORM, ACCOUNT, "A-LOOSE", sku=None)
        move(session, "MUG", 12)
        move(session, "LID", 4)
        move(session, "GIFT-BOX", 5)
