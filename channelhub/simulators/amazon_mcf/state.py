"""The state of one seller's MCF orders and FBA inventory in one marketplace.

Orders move on simulated time (``sync``: the clock's advance since the last look, added to
every order not on hold): Received at once when the FBA stock covers them (reserved then),
Planning after one ``stage``, Processing after two (a PENDING shipment), Complete after three
(one SHIPPED shipment, one package per SKU with a deterministic tracking number), the
package's tracking events one more per ``stage`` after that. ``FillOrKill`` with a line short
is Unfulfillable at validation; ``FillAllAvailable`` ships what is there and ends
CompletePartialled. Cancel works in New / Received / Planning; so does a hold
(``updateFulfillmentOrder`` Hold), which stops the clock for the order until Ship releases it.

Where the model gives no wording (error messages, the duplicate-id refusal), the texts are
the simulator's own; the codes and shapes follow the Swagger model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

SPEEDS = ("Standard", "Expedited", "Priority", "ScheduledDelivery")
POLICIES = ("FillOrKill", "FillAll", "FillAllAvailable")
CANCELLABLE = frozenset({"New", "Received", "Planning"})
#: Days to arrival per speed (earliest, latest) and the per-unit fee (USD) of the preview.
ARRIVAL_DAYS = {"Standard": (3, 5), "Expedited": (2, 3), "Priority": (1, 2)}
UNIT_FEE = {"Standard": Decimal("3.22"), "Expedited": Decimal("5.49"), "Priority": Decimal("8.99")}
#: The tracking events a package goes through after it ships, one per stage.
TRACK_STEPS = (
    ("EVENT_101", "Carrier notified to pick up package."),
    ("EVENT_202", "Departure scan."),
    ("EVENT_302", "Out for delivery."),
    ("EVENT_301", "Delivered."),
)


class SimError(Exception):
    """An SP-API error answer: status, code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def invalid(message: str) -> SimError:
    return SimError(400, "InvalidInput", message)


@dataclass
class McfOrder:
    """One fulfillment order as Amazon keeps it."""

    body: dict[str, Any]
    received: datetime
    status: str = "New"
    held: bool = False
    elapsed: timedelta = timedelta(0)
    status_updated: datetime | None = None
    unfulfillable: dict[str, int] = field(default_factory=dict)  # by item id
    cancelled: dict[str, int] = field(default_factory=dict)  # by item id
    packages: list[int] = field(default_factory=list)
    shipped_at: datetime | None = None

    @property
    def key(self) -> str:
        return str(self.body["sellerFulfillmentOrderId"])


@dataclass
class McfState:
    """Orders, packages and inventory of one seller in ``marketplace_id``."""

    clock: Callable[[], datetime]
    marketplace_id: str
    inventory: dict[str, int]
    stage: timedelta = timedelta(hours=2)
    seed: int = 0
    page_size: int = 50
    orders: dict[str, McfOrder] = field(default_factory=dict)
    changed_at: dict[str, datetime] = field(default_factory=dict)
    packages: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # order, sku, number
    #: test hook: SKU -> what its summary reports as fulfillableQuantity instead of its count
    #: (a row the hub cannot read, as a glitch at Amazon would send)
    garbled: dict[str, Any] = field(default_factory=dict)
    _last_sync: datetime | None = None
    _next_package: int = 1000

    def __post_init__(self) -> None:
        start = self.clock()
        self._last_sync = start
        for sku in self.inventory:
            self.changed_at.setdefault(sku, start - timedelta(days=1))

    # --- time ----------------------------------------------------------------------------

    def sync(self) -> None:
        """Move every order not on hold on by the time passed since the last look."""
        now = self.clock()
        passed = now - (self._last_sync or now)
        self._last_sync = now
        for order in self.orders.values():
            if order.held or order.status in ("Cancelled", "Unfulfillable", "Invalid"):
                continue
            order.elapsed += passed
            self._progress(order, now)

    def _set_status(self, order: McfOrder, status: str, now: datetime) -> None:
        if order.status != status:
            order.status, order.status_updated = status, now

    def _progress(self, order: McfOrder, now: datetime) -> None:
        steps = int(order.elapsed / self.stage) if self.stage else 3
        if order.status in ("Complete", "CompletePartialled"):
            return
        if steps >= 1 and order.status == "Received":
            self._set_status(order, "Planning", now)
        if steps >= 2 and order.status == "Planning":
            self._set_status(order, "Processing", now)
        if steps >= 3 and order.status == "Processing":
            self._ship(order, now)

    def _ship(self, order: McfOrder, now: datetime) -> None:
        for item in order.body["items"]:
            quantity = self._to_ship(order, item)
            if quantity <= 0:
                continue
            self._next_package += 1
            number = self._next_package
            digest = hashlib.sha256(f"{self.seed}:{order.key}:{number}".encode()).hexdigest()
            tracking = "TBA" + str(int(digest[:12], 16))[:12]
            order.packages.append(number)
            self.packages[number] = (order.key, item["sellerSku"], tracking)
        order.shipped_at = now
        partial = any(order.unfulfillable.values()) or any(order.cancelled.values())
        self._set_status(order, "CompletePartialled" if partial else "Complete", now)

    @staticmethod
    def _to_ship(order: McfOrder, item: Mapping[str, Any]) -> int:
        item_id = item["sellerFulfillmentOrderItemId"]
        gone = order.unfulfillable.get(item_id, 0) + order.cancelled.get(item_id, 0)
        return int(item["quantity"]) - gone

    # --- inventory -----------------------------------------------------------------------

    def set_stock(self, sku: str, quantity: int) -> None:
        """Test hook: FBA now holds ``quantity`` fulfillable units of ``sku``."""
        self.inventory[sku] = quantity
        self.changed_at[sku] = self.clock()

    def sell(self, sku: str, quantity: int) -> None:
        """Test hook: Amazon shipped an Amazon-fulfilled (AFN) order from the same stock."""
        self.set_stock(sku, max(self.inventory.get(sku, 0) - quantity, 0))

    def _take(self, sku: str, quantity: int) -> None:
        self.inventory[sku] = self.inventory.get(sku, 0) - quantity
        self.changed_at[sku] = self.clock()

    # --- operations ----------------------------------------------------------------------

    def create(self, body: Any) -> None:
        problems = _create_problems(body)
        if problems:
            raise invalid("; ".join(problems))
        key = body["sellerFulfillmentOrderId"]
        if key in self.orders:
            raise invalid(
                f"A fulfillment order with sellerFulfillmentOrderId {key} already exists."
            )
        if body.get("marketplaceId") not in (None, self.marketplace_id):
            raise invalid(f"Marketplace {body['marketplaceId']} is not the seller's.")
        unknown = [i["sellerSku"] for i in body["items"] if i["sellerSku"] not in self.inventory]
        if unknown:
            raise invalid(f"Invalid sellerSku(s): {', '.join(unknown)} (not in FBA inventory).")
        now = self.clock()
        order = McfOrder(body=body, received=now, status_updated=now)
        order.held = body.get("fulfillmentAction") == "Hold"
        self.orders[key] = order
        self._validate(order, now)

    def _validate(self, order: McfOrder, now: datetime) -> None:
        """New -> Received with the stock reserved, or Unfulfillable / partly cancelled."""
        policy = order.body.get("fulfillmentPolicy", "FillOrKill")
        short: dict[str, int] = {}
        left = dict(self.inventory)
        for item in order.body["items"]:
            have = max(left.get(item["sellerSku"], 0), 0)
            take = min(have, int(item["quantity"]))
            left[item["sellerSku"]] = have - take
            if take < int(item["quantity"]):
                short[item["sellerFulfillmentOrderItemId"]] = int(item["quantity"]) - take
        if short and policy == "FillOrKill":  # the whole order is unfulfillable
            order.unfulfillable = {
                i["sellerFulfillmentOrderItemId"]: int(i["quantity"]) for i in order.body["items"]
            }
            self._set_status(order, "Unfulfillable", now)
            return
        order.unfulfillable = short
        for item in order.body["items"]:
            self._take(item["sellerSku"], self._to_ship(order, item))
        self._set_status(order, "Received", now)

    def order(self, key: str) -> McfOrder:
        found = self.orders.get(key)
        if found is None:
            raise SimError(404, "NotFound", f"No fulfillment order {key}.")
        return found

    def cancel(self, key: str) -> None:
        order = self.order(key)
        if order.status == "Cancelled":
            return
        if order.status not in CANCELLABLE:
            raise invalid(f"The fulfillment order is {order.status} and cannot be cancelled.")
        for item in order.body["items"]:
            self._take(item["sellerSku"], -self._to_ship(order, item))
            order.cancelled[item["sellerFulfillmentOrderItemId"]] = int(item["quantity"])
        self._set_status(order, "Cancelled", self.clock())

    def update(self, key: str, body: Any) -> None:
        order = self.order(key)
        if not isinstance(body, dict):
            raise invalid("The request body is not an UpdateFulfillmentOrderRequest.")
        action = body.get("fulfillmentAction")
        if action is None:
            return
        if action not in ("Ship", "Hold"):
            raise invalid(f"fulfillmentAction {action!r} is not Ship or Hold.")
        if order.status not in CANCELLABLE:
            raise invalid(f"The fulfillment order is {order.status}: it can no longer be updated.")
        order.held = action == "Hold"
        order.body["fulfillmentAction"] = action
        order.status_updated = self.clock()

    # --- answers -------------------------------------------------------------------------

    def order_view(self, key: str) -> dict[str, Any]:
        """A GetFulfillmentOrderResponse."""
        order = self.order(key)
        body = order.body
        fulfillment_order = {
            k: body[k]
            for k in (
                "sellerFulfillmentOrderId",
                "displayableOrderId",
                "displayableOrderDate",
                "displayableOrderComment",
                "shippingSpeedCategory",
                "destinationAddress",
            )
        }
        fulfillment_order.update(
            marketplaceId=self.marketplace_id,
            fulfillmentAction=body.get("fulfillmentAction", "Ship"),
            fulfillmentPolicy=body.get("fulfillmentPolicy", "FillOrKill"),
            receivedDate=iso(order.received),
            fulfillmentOrderStatus=order.status,
            statusUpdatedDate=iso(order.status_updated or order.received),
        )
        items = [
            {
                "sellerSku": i["sellerSku"],
                "sellerFulfillmentOrderItemId": i["sellerFulfillmentOrderItemId"],
                "quantity": int(i["quantity"]),
                "cancelledQuantity": order.cancelled.get(i["sellerFulfillmentOrderItemId"], 0),
                "unfulfillableQuantity": order.unfulfillable.get(
                    i["sellerFulfillmentOrderItemId"], 0
                ),
            }
            for i in body["items"]
        ]
        payload: dict[str, Any] = {
            "fulfillmentOrder": fulfillment_order,
            "fulfillmentOrderItems": items,
            "fulfillmentShipments": self._shipments(order),
            "returnItems": [],
            "returnAuthorizations": [],
        }
        return {"payload": payload}

    def _shipments(self, order: McfOrder) -> list[dict[str, Any]]:
        if order.status not in ("Processing", "Complete", "CompletePartialled"):
            return []
        shipment: dict[str, Any] = {
            "amazonShipmentId": "D"
            + hashlib.sha256(f"{self.seed}:{order.key}".encode()).hexdigest()[:9].upper(),
            "fulfillmentCenterId": "SIM1",
            "fulfillmentShipmentStatus": "PENDING" if order.shipped_at is None else "SHIPPED",
            "fulfillmentShipmentItem": [],
        }
        if order.shipped_at is None:
            shipment["fulfillmentShipmentItem"] = [
                {
                    "sellerSku": i["sellerSku"],
                    "sellerFulfillmentOrderItemId": i["sellerFulfillmentOrderItemId"],
                    "quantity": self._to_ship(order, i),
                }
                for i in order.body["items"]
                if self._to_ship(order, i) > 0
            ]
            return [shipment]
        shipment["shippingDate"] = iso(order.shipped_at)
        packages = []
        for number in order.packages:
            _, sku, tracking = self.packages[number]
            item = next(i for i in order.body["items"] if i["sellerSku"] == sku)
            shipment["fulfillmentShipmentItem"].append(
                {
                    "sellerSku": sku,
                    "sellerFulfillmentOrderItemId": item["sellerFulfillmentOrderItemId"],
                    "quantity": self._to_ship(order, item),
                    "packageNumber": number,
                }
            )
            packages.append(
                {"packageNumber": number, "carrierCode": "UPS", "trackingNumber": tracking}
            )
        shipment["fulfillmentShipmentPackage"] = packages
        return [shipment]

    def tracking(self, package_number: int) -> dict[str, Any]:
        """A GetPackageTrackingDetailsResponse: one more event per stage since shipping."""
        if package_number not in self.packages:
            raise SimError(404, "NotFound", f"No package {package_number}.")
        key, _, tracking = self.packages[package_number]
        order = self.orders[key]
        shipped = order.shipped_at or self.clock()
        steps = 1 + int((self.clock() - shipped) / self.stage) if self.stage else len(TRACK_STEPS)
        address = order.body["destinationAddress"]
        where = {
            "city": address.get("city", ""),
            "state": address.get("stateOrRegion", ""),
            "country": address["countryCode"],
        }
        events: list[dict[str, Any]] = [
            {
                "eventDate": iso(shipped + self.stage * n),
                "eventAddress": where,
                "eventCode": code,
                "eventDescription": text,
            }
            for n, (code, text) in enumerate(TRACK_STEPS[: max(1, min(steps, len(TRACK_STEPS)))])
        ]
        last = str(events[-1]["eventCode"])
        status = {"EVENT_301": "DELIVERED", "EVENT_302": "OUT_FOR_DELIVERY"}.get(last, "IN_TRANSIT")
        return {
            "payload": {
                "packageNumber": package_number,
                "trackingNumber": tracking,
                "carrierCode": "UPS",
                "shipDate": iso(shipped),
                "currentStatus": status,
                "trackingEvents": list(reversed(events)),  # Amazon lists the newest first
            }
        }

    def preview(self, body: Any) -> dict[str, Any]:
        """A GetFulfillmentPreviewResponse: one preview per asked speed."""
        if not isinstance(body, dict) or "address" not in body or "items" not in body:
            raise invalid("address and items are required.")
        speeds = body.get("shippingSpeedCategories") or ["Standard", "Expedited", "Priority"]
        units = sum(int(i["quantity"]) for i in body["items"])
        short = [
            {
                "sellerSku": i["sellerSku"],
                "sellerFulfillmentOrderItemId": i["sellerFulfillmentOrderItemId"],
                "quantity": int(i["quantity"]),
                "itemUnfulfillableReasons": ["InventoryUnavailable"],
            }
            for i in body["items"]
            if self.inventory.get(i["sellerSku"], 0) < int(i["quantity"])
        ]
        now = self.clock()
        previews = []
        for speed in speeds:
            first, last = ARRIVAL_DAYS.get(speed, (5, 8))
            fee = UNIT_FEE.get(speed, Decimal("9.99")) * units
            previews.append(
                {
                    "shippingSpeedCategory": speed,
                    "isFulfillable": not short,
                    "isCODCapable": False,
                    "marketplaceId": self.marketplace_id,
                    "estimatedFees": [
                        {
                            "name": "FBAPerUnitFulfillmentFee",
                            "amount": {"currencyCode": "USD", "value": str(fee)},
                        }
                    ],
                    "fulfillmentPreviewShipments": [
                        {
                            "earliestArrivalDate": iso(now + timedelta(days=first)),
                            "latestArrivalDate": iso(now + timedelta(days=last)),
                            "fulfillmentPreviewItems": [
                                {
                                    "sellerSku": i["sellerSku"],
                                    "sellerFulfillmentOrderItemId": i[
                                        "sellerFulfillmentOrderItemId"
                                    ],
                                    "quantity": int(i["quantity"]),
                                }
                                for i in body["items"]
                            ],
                        }
                    ],
                    "unfulfillablePreviewItems": short,
                    "orderUnfulfillableReasons": ["InventoryUnavailable"] if short else [],
                }
            )
        return {"payload": {"fulfillmentPreviews": previews}}

    def summaries(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """A GetInventorySummariesResponse page (``nextToken`` = the next offset)."""
        for name in ("granularityType", "granularityId", "marketplaceIds"):
            if not query.get(name):
                raise invalid(f"{name} is required.")
        if query["granularityType"] != ["Marketplace"]:
            raise invalid("granularityType must be Marketplace.")
        if query["granularityId"] != [self.marketplace_id] or query["marketplaceIds"] != [
            self.marketplace_id
        ]:
            raise invalid(f"The seller has no FBA inventory in {query['granularityId'][0]}.")
        since_raw = query.get("startDateTime")
        since = datetime.fromisoformat(since_raw[0].replace("Z", "+00:00")) if since_raw else None
        skus = sorted(s for s in self.inventory if since is None or self.changed_at[s] > since)
        token = query.get("nextToken")
        start = int(token[0]) if token else 0
        page = skus[start : start + self.page_size]
        details = query.get("details") == ["true"]
        found = []
        for sku in page:
            summary: dict[str, Any] = {
                "asin": "B0" + hashlib.sha256(sku.encode()).hexdigest()[:8].upper(),
                "fnSku": "X0" + hashlib.sha256(sku.encode()).hexdigest()[8:16].upper(),
                "sellerSku": sku,
                "condition": "NewItem",
                "lastUpdatedTime": iso(self.changed_at[sku]),
                "productName": sku,
                "totalQuantity": max(self.inventory[sku], 0) + self._reserved(sku),
            }
            if details:
                summary["inventoryDetails"] = {
                    "fulfillableQuantity": self.garbled.get(sku, max(self.inventory[sku], 0)),
                    "reservedQuantity": {"totalReservedQuantity": self._reserved(sku)},
                }
            found.append(summary)
        answer: dict[str, Any] = {
            "payload": {
                "granularity": {
                    "granularityType": "Marketplace",
                    "granularityId": self.marketplace_id,
                },
                "inventorySummaries": found,
            }
        }
        if start + self.page_size < len(skus):
            answer["pagination"] = {"nextToken": str(start + self.page_size)}
        return answer

    def _reserved(self, sku: str) -> int:
        return sum(
            self._to_ship(order, item)
            for order in self.orders.values()
            if order.status in ("Received", "Planning", "Processing")
            for item in order.body["items"]
            if item["sellerSku"] == sku
        )


def _create_problems(body: Any) -> list[str]:
    """What the model's CreateFulfillmentOrderRequest refuses (required, lengths, enums)."""
    if not isinstance(body, dict):
        return ["The request body is not a CreateFulfillmentOrderRequest."]
    required = (
        "destinationAddress",
        "displayableOrderComment",
        "displayableOrderDate",
        "displayableOrderId",
        "items",
        "sellerFulfillmentOrderId",
        "shippingSpeedCategory",
    )
    problems = [f"{name} is required." for name in required if not body.get(name)]
    if problems:
        return problems
    for name in ("sellerFulfillmentOrderId", "displayableOrderId"):
        if len(str(body[name])) > 40:
            problems.append(f"{name} is longer than 40 characters.")
    if body["shippingSpeedCategory"] not in SPEEDS:
        problems.append("shippingSpeedCategory is not a ShippingSpeedCategory.")
    if body.get("fulfillmentPolicy", "FillOrKill") not in POLICIES:
        problems.append("fulfillmentPolicy is not a FulfillmentPolicy.")
    address = body["destinationAddress"]
    for name in ("name", "addressLine1", "postalCode", "countryCode"):
        if not isinstance(address, dict) or not address.get(name):
            problems.append(f"destinationAddress.{name} is required.")
    for item in body["items"] if isinstance(body["items"], list) else [None]:
        if not isinstance(item, dict) or not all(
            item.get(k) for k in ("sellerSku", "sellerFulfillmentOrderItemId", "quantity")
        ):
            problems.append("every item needs sellerSku, sellerFulfillmentOrderItemId, quantity.")
            break
    return problems
