"""The demo's seeded world: a small catalogue, two warehouses, and the orders each channel
simulator serves, chosen so that every stage of the flow has something to do.

Deterministic: the same ``size`` and start time give the same shop every run. The special
orders (a combo, a kit, a 2-pack listing, a COD order, a shipping-ban destination, a split,
an unpaired listing) are always there; ``size`` adds that many ordinary orders per channel.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from channelhub.core.bindings import Binding, Scope
from channelhub.core.products import Component, Sku, SkuKind
from channelhub.core.stock import Warehouse

AMAZON_ACCOUNT = "amazon-us"
SHOPIFY_ACCOUNT = "shopify-eu"
UPS_ACCOUNT = "ups"
US_EAST, DE_CENTRAL = "US-EAST", "DE-CENTRAL"
#: warehouse code -> (connector account, country)
WAREHOUSES: dict[str, tuple[str, str]] = {
    US_EAST: ("wh-us-east", "US"),
    DE_CENTRAL: ("wh-de-central", "DE"),
}
SKUS: tuple[Sku, ...] = (
    Sku(code="MUG-RED", title="Enamel mug, red"),
    Sku(code="MUG-BLUE", title="Enamel mug, blue"),
    Sku(code="TEE-M", title="Organic tee, M"),
    Sku(code="CAP-BLK", title="Cap, black"),
    Sku(
        code="SET-MUGS",
        kind=SkuKind.COMBO,
        title="Mug duo (combo: one red + one blue)",
        components=(Component(sku="MUG-RED", qty=1), Component(sku="MUG-BLUE", qty=1)),
    ),
    Sku(
        code="GIFT-BOX",
        kind=SkuKind.KIT,
        title="Gift box (kit: pre-packed mug + tee)",
        components=(Component(sku="MUG-RED", qty=1), Component(sku="TEE-M", qty=1)),
    ),
)
#: Opening stock per warehouse (ledger RECEIVE movements and the warehouses' own shelves).
OPENING_STOCK: dict[str, dict[str, int]] = {
    US_EAST: {"MUG-RED": 80, "MUG-BLUE": 60, "TEE-M": 40, "GIFT-BOX": 12},
    DE_CENTRAL: {"MUG-RED": 60, "MUG-BLUE": 50, "CAP-BLK": 30, "GIFT-BOX": 12},
}
MULTIPACK_LISTING = "MUG-RED-2PK"
UNPAIRED_LISTING = "TSHIRT-M-NAVY"
BANNED_COUNTRY = "RU"
PRICES = {
    "MUG-RED": Decimal("12.00"),
    "MUG-BLUE": Decimal("12.00"),
    "TEE-M": Decimal("19.00"),
    "CAP-BLK": Decimal("15.00"),
    "SET-MUGS": Decimal("21.00"),
    "GIFT-BOX": Decimal("29.00"),
    MULTIPACK_LISTING: Decimal("22.00"),
    UNPAIRED_LISTING: Decimal("19.00"),
}
AMAZON_LISTINGS = ("MUG-RED", "MUG-BLUE", "SET-MUGS", "GIFT-BOX", MULTIPACK_LISTING, "TEE-M")
SHOPIFY_LISTINGS = (
    "MUG-RED",
    "MUG-BLUE",
    "SET-MUGS",
    "GIFT-BOX",
    "CAP-BLK",
    "TEE-M",
    UNPAIRED_LISTING,
)
#: Ordinary orders pick from these (always paired, always in stock somewhere).
PLAIN = ("MUG-RED", "MUG-BLUE", "SET-MUGS", "GIFT-BOX")


def multipack_binding() -> Binding:
    """The seller's standing binding: the 2-pack listing ships two red mugs."""
    return Binding(
        scope=Scope.ACCOUNT,
        channel="amazon",
        account=AMAZON_ACCOUNT,
        channel_sku=MULTIPACK_LISTING,
        sku="MUG-RED",
        multiplier=2,
    )


def unpaired_binding() -> Binding:
    """What the seller decides for the listing pairing could not match."""
    return Binding(
        scope=Scope.ACCOUNT,
        channel="shopify",
        account=SHOPIFY_ACCOUNT,
        channel_sku=UNPAIRED_LISTING,
        sku="TEE-M",
    )


def warehouses() -> list[Warehouse]:
    return [
        Warehouse(code=code, name=f"Reference warehouse {code}", country=country, account=account)
        for code, (account, country) in WAREHOUSES.items()
    ]


@dataclass(frozen=True)
class DemoOrder:
    """One order as the demo plans it (channel-neutral); ``why`` says what it shows."""

    number: int
    country: str
    lines: tuple[tuple[str, int], ...]
    cod: bool = False
    why: str = "ordinary"


@dataclass
class Scenario:
    amazon: list[DemoOrder] = field(default_factory=list)
    shopify: list[DemoOrder] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.amazon) + len(self.shopify)


def build_scenario(size: int, seed: int = 7) -> Scenario:
    """The special orders plus ``size`` ordinary ones per channel."""
    rng = random.Random(seed)
    scenario = Scenario(
        amazon=[
            DemoOrder(1, "US", (("SET-MUGS", 1),), why="combo"),
            DemoOrder(2, "US", ((MULTIPACK_LISTING, 1),), why="multipack"),
            DemoOrder(3, "SA", (("GIFT-BOX", 1),), cod=True, why="cash on delivery"),
            DemoOrder(4, "US", (("TEE-M", 1),), why="single"),
        ],
        shopify=[
            DemoOrder(1, "DE", (("CAP-BLK", 1), ("MUG-BLUE", 2)), why="single"),
            DemoOrder(2, "DE", (("GIFT-BOX", 1), ("CAP-BLK", 1)), why="kit"),
            DemoOrder(3, BANNED_COUNTRY, (("MUG-RED", 1),), why="shipping ban"),
            DemoOrder(4, "DE", ((UNPAIRED_LISTING, 1),), why="unpaired listing"),
            DemoOrder(5, "FR", (("TEE-M", 1), ("CAP-BLK", 1)), why="split"),
        ],
    )
    for channel in (scenario.amazon, scenario.shopify):
        start = len(channel) + 1
        for n in range(start, start + size):
            sku = rng.choice(PLAIN)
            country = "US" if channel is scenario.amazon else rng.choice(("DE", "FR", "NL"))
            channel.append(DemoOrder(n, country, ((sku, rng.randint(1, 2)),)))
    return scenario


def placed_at(start: datetime, order: DemoOrder) -> datetime:
    """Orders are spread over the six hours before the demo starts, oldest first."""
    return start - timedelta(hours=6) + timedelta(minutes=5 * order.number)


def as_listing_quantity(rng: random.Random) -> int:
    return rng.randint(5, 20)


def amazon_address(order: DemoOrder) -> dict[str, Any]:
    cities = {"US": ("Austin", "TX", "78701"), "SA": ("Riyadh", "Riyadh", "12211")}
    city, region, postal = cities[order.country]
    return {
        "name": f"Amazon Buyer {order.number}",
        "addressLine1": f"{order.number} Demo Street",
        "city": city,
        "stateOrRegion": region,
        "postalCode": postal,
        "countryCode": order.country,
        "phone": "+15550100",
    }
