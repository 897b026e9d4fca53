"""One import for the canonical model: ``from channelhub.core.models import Order, Money``."""

from channelhub.core.fulfilment import (
    OutboundLine,
    OutboundOrder,
    OutboundState,
    Package,
    PackageLine,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from channelhub.core.lifecycle import HubStatus, Transition
from channelhub.core.listing import Listing, ListingKey, ListingStatus
from channelhub.core.money import Money
from channelhub.core.order import (
    ChannelOrderState,
    FulfilledBy,
    Order,
    OrderKey,
    OrderLine,
    OrderTotals,
)
from channelhub.core.parties import Address, Buyer, Payment, PaymentMethod
from channelhub.core.products import Component, Sku, SkuKind, Spu, UnitOfMeasure
from channelhub.core.stock import Balance, MovementKind, StockMovement, Warehouse

__all__ = [
    "Address",
    "Balance",
    "Buyer",
    "ChannelOrderState",
    "Component",
    "FulfilledBy",
    "HubStatus",
    "Listing",
    "ListingKey",
    "ListingStatus",
    "Money",
    "MovementKind",
    "Order",
    "OrderKey",
    "OrderLine",
    "OrderTotals",
    "OutboundLine",
    "OutboundOrder",
    "OutboundState",
    "Package",
    "PackageLine",
    "Payment",
    "PaymentMethod",
    "Shipment",
    "Sku",
    "SkuKind",
    "Spu",
    "StockMovement",
    "TrackingEvent",
    "TrackingStatus",
    "Transition",
    "UnitOfMeasure",
    "Warehouse",
]
