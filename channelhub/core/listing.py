"""A listing (在线产品): what one shop on one channel sells, under its own SKU, title and ids.

Its identity is the natural key (channel, account, listing id, variation id). Pairing binds it
to local SKUs; the stock job pushes its sellable quantity back.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from channelhub.core.money import Money
from channelhub.core.types import VALUE_CONFIG, ExternalId, NonNegativeQty, UtcDatetime

#: ``Listing.identifiers`` key naming the channel's own fulfilment network when the channel,
#: not the seller, ships the listing (Amazon FBA / AFN: ``AMAZON_NA``, ``AMAZON_EU``...).
#: Such a listing sells from the channel's stock: the hub never pushes it a quantity.
FULFILMENT_NETWORK = "fulfilment_network"


class ListingStatus(StrEnum):
    """Whether the channel shows the listing to buyers."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    OUT_OF_STOCK = "out_of_stock"
    DRAFT = "draft"
    DELETED = "deleted"
    UNKNOWN = "unknown"


class ListingKey(BaseModel):
    """The natural key of a listing."""

    model_config = VALUE_CONFIG

    channel: str
    account: str
    listing_id: ExternalId
    variation_id: str | None = None

    def __str__(self) -> str:
        variation = f"/{self.variation_id}" if self.variation_id else ""
        return f"{self.channel}:{self.account}:{self.listing_id}{variation}"


class Listing(BaseModel):
    """A channel listing in canonical form; ``identifiers`` holds GTIN/ASIN/UPC and the like."""

    model_config = VALUE_CONFIG

    channel: str
    account: str
    listing_id: ExternalId
    variation_id: str | None = None
    channel_sku: str | None = None  # some channels have no SKU level (listing-level pairing)
    title: str | None = None
    price: Money | None = None
    quantity: NonNegativeQty | None = None
    status: ListingStatus = ListingStatus.UNKNOWN
    marketplace: str | None = None
    identifiers: dict[str, str] = Field(default_factory=dict)
    inventory_ref: str | None = None  # channel handle for stock pushes (Shopify inventory item)
    updated_at: UtcDatetime | None = None

    @property
    def fulfilment_network(self) -> str | None:
        """The channel's fulfilment network shipping this listing (None: the seller ships)."""
        return self.identifiers.get(FULFILMENT_NETWORK)

    @property
    def key(self) -> ListingKey:
        """The listing's natural key."""
        return ListingKey(
            channel=self.channel,
            account=self.account,
            listing_id=self.listing_id,
            variation_id=self.variation_id,
        )
