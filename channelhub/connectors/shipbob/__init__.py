"""ShipBob 2026-01 Warehouse connector (contracts/wms/shipbob/openapi-2026-01.json).

Account configuration: credential ``pat`` (Personal Access Token, sent as a bearer token),
setting ``channel_id`` (the ``shipbob_channel_id`` header create order requires), optional
``warehouse`` (the hub's code; default: the account name).

Idempotency: ShipBob has no idempotency header, but ``reference_id`` is "unique and immutable"
per order. The connector POSTs first and, only when ShipBob refuses, looks the key up by
``ReferenceIds``: an order already there is the earlier attempt (``created=False``), not a
second order. Orders are found by reference for cancel and status the same way.

Money: its billing transactions and invoices (:mod:`.finance`), for the ``pull_finance`` job.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from channelhub.connectors.errors import NotFoundError
from channelhub.connectors.finance import FinanceWindow, windowed_pages
from channelhub.connectors.http.auth import HeaderTokenAuth
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext, ConnectorPlugin, http_client_for
from channelhub.connectors.records import PageRecords
from channelhub.connectors.results import (
    CancelResult,
    OutboundReceipt,
    OutboundStatus,
    PageOf,
    RawRecord,
    StockLevel,
    WebhookEvent,
)
from channelhub.connectors.roles import Capability, Role
from channelhub.connectors.shipbob import webhooks
from channelhub.connectors.shipbob.check import SPEC, check
from channelhub.connectors.shipbob.finance import STREAMS as FINANCE_STREAMS
from channelhub.connectors.shipbob.finance import ShipBobFinance
from channelhub.connectors.stock_rows import stock_page
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder, OutboundState, Shipment
from channelhub.core.settlement import ProviderRecord
from channelhub.core.warehouse_reports import InterceptOutcome
from channelhub.mappings import shipbob

PLATFORM = "shipbob"
DEFAULT_BASE_URL = "https://api.shipbob.com"
PREFIX = "/2026-01"
CAPABILITIES = frozenset(
    {
        Capability.READ_MONEY,
        Capability.CREATE_OUTBOUND,
        Capability.CANCEL_OUTBOUND,
        Capability.OUTBOUND_STATUS,
        Capability.STOCK_LEVELS,
        Capability.VERIFY_WEBHOOK,  # its order webhooks (webhooks.py), on /webhooks/shipbob
    }
)
#: ShipBob documents a per-minute budget (not in the spec); 150 requests/min is kept here.
DEFAULT_LIMIT = RateLimit(rate=2.5, burst=10)


class ShipBobRejected(InvalidInput):
    """ShipBob refused the order; its own words are kept as the problems."""


class ShipBobWarehouse:
    """One ShipBob merchant account as a Warehouse."""

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(self, context: ConnectorContext) -> None:
        self.account = context.account
        self.warehouse = str(context.settings.get("warehouse", context.account))
        channel = context.settings.get("channel_id")
        if channel is None:
            raise InvalidInput.field(
                "settings.channel_id", None, f"is required for ShipBob account {context.account!r}"
            )
        self.channel_id = str(channel)
        self._now = context.now
        self._context = context
        auth = HeaderTokenAuth("Authorization", context.credential("pat"), prefix="Bearer ")
        self._http = http_client_for(
            context,
            default_base_url=DEFAULT_BASE_URL,
            limits={},
            default_limit=DEFAULT_LIMIT,
            auth=auth,
        )
        self.finance = ShipBobFinance(self._http, self._raw_money, self.account)
        self.finance_window = FinanceWindow.of(context.settings)

    def __repr__(self) -> str:
        return f"ShipBobWarehouse(account={self.account!r})"

    def _raw_money(self, kind: str, external_id: str | None, body: object) -> RawRecord:
        data = json.dumps(body, separators=(",", ":")).encode()
        return RawRecord(kind=kind, external_id=external_id, body=data, received_at=self._now())

    async def pull_money(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[ProviderRecord]]:
        """Billing transactions, then invoices with theirs (see :mod:`.finance`)."""
        async for page in windowed_pages(
            FINANCE_STREAMS,
            self.finance.page,
            cursor,
            since=since,
            now=self._now(),
            window=self.finance_window,
            account=self.account,
        ):
            yield page

    async def aclose(self) -> None:
        await self._http.aclose()

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """Check a webhook with the account's ``webhook_secret`` (:mod:`.webhooks`)."""
        secret = self._context.credential("webhook_secret")
        return webhooks.verify_webhook(secret, headers, body, now=now)

    async def _find(self, key: str) -> dict[str, Any] | None:
        response = await self._http.request(
            "get_orders", "GET", f"{PREFIX}/order", params={"ReferenceIds": key}
        )
        found = [
            o for o in response.json() or [] if isinstance(o, dict) and o.get("reference_id") == key
        ]
        return found[0] if found else None

    async def create_outbound(self, order: OutboundOrder) -> OutboundReceipt:
        body = shipbob.create_order_body(order)
        response = await self._http.request(
            "create_order",
            "POST",
            f"{PREFIX}/order",
            json=body,
            headers=shipbob.channel_headers(self.channel_id),
            expected={201, 422},
            idempotent=True,  # a repeat is refused as a duplicate reference_id, then found
        )
        if response.status == 201:
            created = response.json()
            return OutboundReceipt(
                order.idempotency_key, str(created["id"]), shipbob.order_state(created), True
            )
        existing = await self._find(order.idempotency_key)
        if existing is None:
            errors = response.json().get("errors") if isinstance(response.json(), dict) else None
            raise ShipBobRejected(
                [str(e) for e in errors] if errors else [response.excerpt(300)],
                source=f"ShipBob refused {order.idempotency_key}",
            )
        return OutboundReceipt(
            order.idempotency_key, str(existing["id"]), shipbob.order_state(existing), False
        )

    async def _order(self, key: str) -> dict[str, Any]:
        found = await self._find(key)
        if found is None:
            raise NotFoundError(f"no ShipBob order with reference_id {key!r}", platform=PLATFORM)
        return found

    async def cancel_outbound(self, idempotency_key: str, *, reason: str) -> CancelResult:
        """Cancel by reference: CANCELLED only when every shipment stopped (an order
        already cancelled, by an earlier attempt whose answer was lost, answers so again)."""
        order = await self._order(idempotency_key)
        if order.get("status") == "Cancelled":
            return CancelResult(idempotency_key, OutboundState.CANCELLED, "already cancelled")
        response = await self._http.request(
            "cancel_order", "POST", f"{PREFIX}/order/{order['id']}:cancel", idempotent=True
        )
        result = shipbob.cancel_result(
            response.json(),
            warehouse=self.warehouse,
            outbound_key=idempotency_key,
            decided_at=self._now(),
        )
        stopped = result.outcome is InterceptOutcome.SUCCEEDED
        return CancelResult(
            idempotency_key,
            OutboundState.CANCELLED if stopped else OutboundState.CANCEL_TOO_LATE,
            result.message,
        )

    async def get_outbound(self, idempotency_key: str) -> OutboundStatus:
        order = await self._order(idempotency_key)
        response = await self._http.request("get_order", "GET", f"{PREFIX}/order/{order['id']}")
        body = response.json()
        # Shipment by shipment: one the mapping cannot read is set aside with its body and
        # the error (``failures``) and the status read goes on (connectors/records.py).
        shipments: PageRecords[Shipment] = PageRecords()
        listed = body.get("shipments") if isinstance(body, dict) else None
        for shipment in listed if isinstance(listed, list) else []:
            shipment_id = shipment.get("id") if isinstance(shipment, dict) else None
            raw = RawRecord(
                "shipment",
                None if shipment_id is None else str(shipment_id),
                json.dumps(shipment, separators=(",", ":")).encode(),
                self._now(),
            )
            shipments.take(
                raw,
                shipbob.normalize_shipments,
                shipment,
                warehouse=self.warehouse,
                outbound_key=idempotency_key,
            )
        return OutboundStatus(
            idempotency_key=idempotency_key,
            warehouse_order_id=str(body.get("id")),
            state=shipbob.order_state(body),
            shipments=tuple(shipments.items),
            raw=RawRecord("outbound", idempotency_key, response.content, self._now()),
            failures=tuple(shipments.failures),
        )

    async def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        """Inventory levels page by page, following ShipBob's ``next`` link as given. Each
        row is read on its own (:func:`~channelhub.connectors.stock_rows.stock_page`): a row
        the mapping refuses is one of the page's ``failures``, with its body."""
        url: str | None = cursor or f"{PREFIX}/inventory-level?PageSize=250"
        wanted = set(skus) if skus is not None else None
        while url:
            response = await self._http.request("inventory_levels", "GET", url)
            body = response.json()
            rows = shipbob.stock_rows(body)
            url = body.get("next") if isinstance(body, dict) else None
            now = self._now()
            yield stock_page(
                shipbob.STOCK,
                rows,
                warehouse=self.warehouse,
                now=now,
                done=url is None,
                cursor=url,
                wanted=wanted,
            )


PLUGIN = ConnectorPlugin(
    platform=PLATFORM,
    roles=frozenset({Role.WAREHOUSE}),
    create=ShipBobWarehouse,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description="ShipBob 3PL (API 2026-01): orders, cancel, shipments with tracking, inventory",
    spec=SPEC,
    check=check,
)
