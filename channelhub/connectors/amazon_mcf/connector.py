"""``AmazonMcfWarehouse``: Amazon Multi-Channel Fulfillment + FBA inventory as a Warehouse.

Contract: ``contracts/wms/amazon_mcf/fulfillmentOutbound_2020-07-01.json`` and
``contracts/amazon/fbaInventory.json`` (official Swagger models).

- Create: ``createFulfillmentOrder`` with ``sellerFulfillmentOrderId`` derived from the hub's
  dispatch id (:func:`~channelhub.mappings.amazon_mcf.requests.fulfillment_order_id`), so a
  repeat can only name the same order. The connector does not claim ``IDEMPOTENT_OUTBOUND``:
  the outbox sender reads the order back (``getFulfillmentOrder``) before any resend. A create
  Amazon refuses is read back too: an order already there is the earlier attempt
  (``created=False``), anything else is the refusal in Amazon's words.
- Cancel (intercept): ``cancelFulfillmentOrder``; Amazon cancels only before picking starts
  (Received / Planning), later it is too late.
- Hold / release: ``updateFulfillmentOrder`` with ``fulfillmentAction`` Hold / Ship.
- Status: ``getFulfillmentOrder`` -> state, shipments and packages (a shipment the mapping
  cannot read is set aside with its body), and the outcome a person must see
  (:meth:`outcome`); ``getPackageTrackingDetails`` per package -> tracking events.
- Preview: ``getFulfillmentPreview`` -> fees and arrival window per speed (:meth:`preview`).
- Stock: ``getInventorySummaries`` at Marketplace granularity with details; a cursor (the
  ``startDateTime`` watermark of the last read) lists only what changed since
  (``STOCK_CHANGES``). A summary that cannot be read is set aside with its body (a failure
  of its page), never the page.

Auth is the seller's LWA refresh token (:mod:`channelhub.connectors.amazon.auth`): one
:class:`RefreshingToken` per connector, shared by every call it makes; an expired-token 403
refreshes it once. Usage plans per operation: :mod:`.limits`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from channelhub.connectors.amazon.session import SpApiSession
from channelhub.connectors.amazon_mcf.limits import USAGE_PLANS
from channelhub.connectors.errors import NotFoundError
from channelhub.connectors.http.client import ConnectorResponse
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.records import PageRecords
from channelhub.connectors.results import (
    CancelResult,
    OutboundReceipt,
    OutboundStatus,
    PageOf,
    RawRecord,
    StockLevel,
)
from channelhub.connectors.roles import Capability
from channelhub.connectors.stock_rows import stock_page
from channelhub.core.errors import ConfigError, InvalidInput
from channelhub.core.fulfilment import OutboundOrder, OutboundState, Shipment, TrackingEvent
from channelhub.core.parties import Address
from channelhub.mappings import amazon_mcf as mcf
from channelhub.mappings.amazon._wire import Wire
from channelhub.mappings.amazon_mcf import orders as mcf_orders
from channelhub.mappings.amazon_mcf import requests as build

PLATFORM = "amazon_mcf"
DEFAULT_BASE_URL = "https://sellingpartnerapi-na.amazon.com"
CAPABILITIES = frozenset(
    {
        Capability.CREATE_OUTBOUND,
        Capability.CANCEL_OUTBOUND,
        Capability.OUTBOUND_STATUS,
        Capability.STOCK_LEVELS,
        Capability.STOCK_CHANGES,
        Capability.HOLD_OUTBOUND,
        Capability.POLLED_OUTBOUND,
    }
)


class McfRejected(InvalidInput):
    """Amazon refused the fulfillment order; its own words are kept as the problems."""


def _errors(response: ConnectorResponse) -> list[str]:
    """Amazon's ``errors`` list as sentences (code: message (details))."""
    try:
        body = response.json()
    except ValueError:
        body = None
    found = body.get("errors") if isinstance(body, dict) else None
    out = []
    for error in found if isinstance(found, list) else []:
        if isinstance(error, dict):
            details = f" ({error['details']})" if error.get("details") else ""
            out.append(f"{error.get('code')}: {error.get('message')}{details}")
    return out or [response.excerpt(300)]


class AmazonMcfWarehouse:
    """One seller's MCF + FBA stock in one marketplace, as a Warehouse."""

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(self, context: ConnectorContext) -> None:
        settings = context.settings
        self.account = context.account
        market = settings.get("marketplace_id")
        if not isinstance(market, str) or not market:
            raise ConfigError(f"amazon_mcf account {context.account!r} needs 'marketplace_id'")
        self.marketplace_id = market
        self.warehouse = str(settings.get("warehouse") or context.account)
        self.speed = str(settings.get("shipping_speed") or "Standard")
        self.policy = str(settings.get("fulfillment_policy") or "FillOrKill")
        self.comment = str(settings.get("packing_slip_comment") or "Thank you for your order.")
        self.overlap = timedelta(seconds=float(settings.get("stock_overlap_seconds", 300)))
        self._now = context.now
        self.session = SpApiSession(
            context,
            default_base_url=DEFAULT_BASE_URL,
            limits=USAGE_PLANS,
            client_id=context.credential("client_id"),
            client_secret=context.credential("client_secret"),
            refresh_token=context.credential("refresh_token"),
        )
        self.lwa_url, self.token, self.http = (
            self.session.lwa_url,
            self.session.token,
            self.session.http,
        )

    def __repr__(self) -> str:
        return f"AmazonMcfWarehouse(account={self.account!r}, marketplace={self.marketplace_id!r})"

    async def aclose(self) -> None:
        await self.session.aclose()

    def _path(self, key: str, suffix: str = "") -> str:
        return f"{build.ORDERS_PATH}/{build.fulfillment_order_id(key)}{suffix}"

    async def _order(self, key: str) -> tuple[dict[str, Any], bytes]:
        """getFulfillmentOrder by the hub's key; 404 is NotFoundError."""
        response = await self.session.call("getFulfillmentOrder", "GET", self._path(key))
        body = response.json()
        if not isinstance(body, dict):
            raise McfRejected(["getFulfillmentOrder answered no object"], source=PLATFORM)
        return body, response.content

    # --- outbound ------------------------------------------------------------------------

    async def create_outbound(self, order: OutboundOrder) -> OutboundReceipt:
        return await self._create(order, hold=False)

    async def _create(self, order: OutboundOrder, *, hold: bool) -> OutboundReceipt:
        key = order.idempotency_key
        seller_id = build.fulfillment_order_id(key)
        body = build.create_order_body(
            order,
            marketplace_id=self.marketplace_id,
            ordered_at=self._now(),
            speed=self.speed,
            policy=self.policy,
            hold=hold,
            comment=self.comment,
        )
        response = await self.session.call(
            "createFulfillmentOrder",
            "POST",
            build.ORDERS_PATH,
            json=body,
            expected={200, 400},
            idempotent=True,  # a repeat names the same sellerFulfillmentOrderId: refused, read
        )
        if response.status == 200:
            return OutboundReceipt(key, seller_id, OutboundState.ACCEPTED, True)
        try:
            existing, _ = await self._order(key)
        except NotFoundError:
            raise McfRejected(_errors(response), source=f"Amazon MCF refused {key}") from None
        return OutboundReceipt(key, seller_id, mcf.order_state(existing), False)

    async def cancel_outbound(self, idempotency_key: str, *, reason: str) -> CancelResult:
        """cancelFulfillmentOrder: CANCELLED, or CANCEL_TOO_LATE once picking began."""
        response = await self.session.call(
            "cancelFulfillmentOrder",
            "PUT",
            self._path(idempotency_key, "/cancel"),
            expected={200, 400},
            idempotent=True,
        )
        if response.status == 200:
            return CancelResult(idempotency_key, OutboundState.CANCELLED)
        existing, _ = await self._order(idempotency_key)
        status = mcf_orders.status_of(existing)
        if status == "Cancelled":
            return CancelResult(idempotency_key, OutboundState.CANCELLED, "already cancelled")
        said = "; ".join(_errors(response))
        return CancelResult(
            idempotency_key, OutboundState.CANCEL_TOO_LATE, f"Amazon MCF order {status}: {said}"
        )

    async def _set_action(self, key: str, *, hold: bool) -> OutboundState:
        response = await self.session.call(
            "updateFulfillmentOrder",
            "PUT",
            self._path(key),
            json=build.update_action_body(marketplace_id=self.marketplace_id, hold=hold),
            expected={200, 400},
            idempotent=True,
        )
        existing, _ = await self._order(key)
        if response.status == 400 and mcf_orders.is_held(existing) != hold:
            raise McfRejected(
                _errors(response), source=f"Amazon MCF would not {'hold' if hold else 'release'}"
            )
        return mcf.order_state(existing)

    async def hold_outbound(self, idempotency_key: str, *, reason: str) -> OutboundState:
        """updateFulfillmentOrder ``fulfillmentAction=Hold``; refused once picking began."""
        return await self._set_action(idempotency_key, hold=True)

    async def release_outbound(self, idempotency_key: str) -> OutboundState:
        """updateFulfillmentOrder ``fulfillmentAction=Ship``: the hold is lifted."""
        return await self._set_action(idempotency_key, hold=False)

    async def get_outbound(self, idempotency_key: str) -> OutboundStatus:
        body, content = await self._order(idempotency_key)
        shipments: PageRecords[Shipment] = PageRecords()
        order_id = build.fulfillment_order_id(idempotency_key)
        for node in mcf_orders.shipment_nodes(body):
            raw = RawRecord(
                "shipment",
                str(node.value.get("amazonShipmentId")) if isinstance(node.value, dict) else None,
                json.dumps(node.value, separators=(",", ":")).encode(),
                self._now(),
            )
            shipments.take(raw, self._shipment, node, idempotency_key, order_id)
        return OutboundStatus(
            idempotency_key=idempotency_key,
            warehouse_order_id=order_id,
            state=mcf.order_state(body),
            shipments=tuple(shipments.items),
            raw=RawRecord("outbound", idempotency_key, content, self._now()),
            failures=tuple(shipments.failures),
            problem=mcf.order_outcome(body).reason,
            final=mcf_orders.status_of(body) in mcf_orders.FINAL_STATUSES,
        )

    def _shipment(self, node: Wire, key: str, order_id: str) -> list[Shipment]:
        found = mcf_orders.shipment_from(
            node, warehouse=self.warehouse, outbound_key=key, order_id=order_id
        )
        return [] if found is None else [found]

    async def outcome(self, idempotency_key: str) -> mcf_orders.FulfilmentOutcome:
        """What a person must look at (unfulfillable or partial), from getFulfillmentOrder."""
        body, _ = await self._order(idempotency_key)
        return mcf.order_outcome(body)

    async def package_tracking(self, package_number: int) -> list[TrackingEvent]:
        """getPackageTrackingDetails for one package of a shipment."""
        response = await self.session.call(
            "getPackageTrackingDetails",
            "GET",
            build.TRACKING_PATH,
            params={"packageNumber": str(package_number)},
        )
        return mcf.tracking_events(response.json())

    async def preview(
        self, ship_to: Address, lines: Sequence[tuple[str, int]], *, speeds: Sequence[str] = ()
    ) -> list[mcf_orders.PreviewQuote]:
        """getFulfillmentPreview: fees and arrival window per shipping speed."""
        body = build.preview_body(
            ship_to, lines, marketplace_id=self.marketplace_id, speeds=speeds or (self.speed,)
        )
        response = await self.session.call(
            "getFulfillmentPreview", "POST", build.PREVIEW_PATH, json=body, idempotent=True
        )
        return mcf.preview_quotes(response.json())

    # --- stock ---------------------------------------------------------------------------

    async def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        """FBA fulfillable quantities, page by page. ``cursor`` (a previous read's last
        cursor) lists only SKUs changed since its watermark, less ``stock_overlap_seconds``;
        every last page's cursor carries the watermark of this read's start. Each summary is
        read on its own (:func:`~channelhub.connectors.stock_rows.stock_page`): one the mapping
        refuses is one of the page's ``failures``, with its body, and the last page's cursor
        is then the one this read started from (None for a full read), so the next read lists
        that SKU again rather than skip it until it changes."""
        state = json.loads(cursor) if cursor else {}
        since = state.get("since")
        start = datetime.fromisoformat(since) - self.overlap if since else None
        begun = self._now()
        wanted = set(skus) if skus is not None else None
        token: str | None = None
        aside = False
        while True:
            query = build.inventory_query(
                marketplace_id=self.marketplace_id, since=start, next_token=token
            )
            response = await self.session.call(
                "getInventorySummaries", "GET", build.INVENTORY_PATH, params=query
            )
            rows, token = mcf.inventory_rows(response.json())
            now = self._now()
            page = stock_page(
                mcf.STOCK,
                rows,
                warehouse=self.warehouse,
                now=now,
                done=token is None,
                wanted=wanted,
            )
            aside = aside or bool(page.failures)
            if token is None:  # the next read's watermark: this read's start, unless held back
                watermark = cursor if aside else json.dumps({"since": begun.isoformat()})
                yield replace(page, cursor=watermark)
                return
            yield page
