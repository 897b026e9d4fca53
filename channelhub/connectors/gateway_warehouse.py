"""What the signed-gateway overseas warehouses (WINIT 万邑通, 4PX 递四方) do alike.

Both map the hub's warehouses and shipping services to their own codes (account settings
``warehouse_codes``, ``shipping_methods``, ``default_shipping_method``), talk through one
:class:`~channelhub.connectors.http.gateway.SignedGateway` with one bucket per app key, are not
idempotent on create (a refused create is read back by the seller reference: an order already
there is the earlier attempt), and report stock as full pages per mapped warehouse, read row by
row (a row the mapping cannot read is set aside with its body as one of the page's
``failures``; the other rows go through, :mod:`channelhub.connectors.stock_rows`). A subclass
states only its platform's words: the scheme, the create data, where the order number sits,
how one inventory page is asked for, and where its rows sit and how one is read
(:class:`~channelhub.mappings.warehouse_stock.StockRows`). Cancel, status, fees and tracking
differ in shape and stay in each connector.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

from channelhub.connectors.errors import NotFoundError
from channelhub.connectors.http.gateway import (
    Envelope,
    GatewayError,
    GatewayScheme,
    SignedGateway,
    compact_json,
)
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import OutboundReceipt, PageOf, RawRecord, StockLevel
from channelhub.connectors.stock_rows import stock_page
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder, OutboundState
from channelhub.mappings.warehouse_refs import mapped_code
from channelhub.mappings.warehouse_stock import StockRows


class GatewayWarehouse:
    """One seller account at a signed-gateway overseas warehouse, as a Warehouse."""

    platform: ClassVar[str]
    #: the provider's name in messages ("WINIT")
    label: ClassVar[str]
    #: what one ``warehouse_codes`` value is called, for the missing-setting message
    code_name: ClassVar[str]
    #: the error a refused create raises (its problems are the provider's own words)
    rejected: ClassVar[type[InvalidInput]]
    default_base_url: ClassVar[str]
    #: one shared bucket per app key over every method
    bucket: ClassVar[str]
    limits: ClassVar[Mapping[str, RateLimit]]
    #: where an inventory page's rows sit and how one row is read
    stock_rows: ClassVar[StockRows]

    def __init__(self, context: ConnectorContext) -> None:
        settings = context.settings
        self.account = context.account
        self.warehouse_codes: dict[str, str] = dict(settings.get("warehouse_codes") or {})
        if not self.warehouse_codes:
            raise InvalidInput.field(
                "warehouse_codes", None, f"is required (HUB-WAREHOUSE:{self.code_name},...)"
            )
        self.shipping_methods: dict[str, str] = dict(settings.get("shipping_methods") or {})
        self.default_method = str(settings.get("default_shipping_method") or "") or None
        self._now = context.now
        bucket = self.bucket
        self.gateway = SignedGateway(
            context,
            self.make_scheme(context),
            default_base_url=self.default_base_url,
            limits=self.limits,
            bucket_of=lambda method: bucket,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account={self.account!r})"

    async def aclose(self) -> None:
        await self.gateway.aclose()

    # --- what a provider states --------------------------------------------------------

    def make_scheme(self, context: ConnectorContext) -> GatewayScheme:
        raise NotImplementedError

    def create_data(self, order: OutboundOrder, *, warehouse: str, method: str) -> Any:
        """The create call's data for ``order`` with the provider's warehouse and method."""
        raise NotImplementedError

    create_method: ClassVar[str]

    def created_number(self, data: object) -> object:
        """The provider's order number in a successful create's data."""
        raise NotImplementedError

    def listed_number(self, listed: Mapping[str, Any]) -> object:
        """The provider's order number in an order read back by the seller reference."""
        raise NotImplementedError

    def listed_state(self, listed: Mapping[str, Any]) -> OutboundState:
        raise NotImplementedError

    async def find_listed(self, key: str) -> Mapping[str, Any]:
        """The order held under the key's seller reference; NotFoundError when none."""
        raise NotImplementedError

    async def inventory_page(
        self, code: str, page: int, skus: Sequence[str] | None
    ) -> tuple[Sequence[Any], bool, Envelope]:
        """One page of a warehouse's stock: its rows as sent, whether more follow, the
        answer (a page whose own shape is wrong raises)."""
        raise NotImplementedError

    # --- shared --------------------------------------------------------------------------

    def _raw(self, kind: str, key: str | None, data: Any) -> RawRecord:
        return RawRecord(kind, key, compact_json(data), self._now())

    def _hub_warehouse(self, provider_code: object) -> str:
        """The hub warehouse mapped to the provider's code (the first one when unknown)."""
        wanted = str(provider_code or "")
        for hub, code in self.warehouse_codes.items():
            if code == wanted:
                return hub
        return next(iter(self.warehouse_codes))

    async def create_outbound(self, order: OutboundOrder) -> OutboundReceipt:
        key = order.idempotency_key
        data = self.create_data(
            order,
            warehouse=mapped_code(self.warehouse_codes, order.warehouse, what="warehouse"),
            method=mapped_code(
                self.shipping_methods,
                order.shipping_service,
                what="shipping_service",
                default=self.default_method,
            ),
        )
        try:
            answer = await self.gateway.call(self.create_method, data)
        except GatewayError as refused:
            try:
                existing = await self.find_listed(key)
            except NotFoundError:
                raise self.rejected(
                    [refused.envelope.message], source=f"{self.label} refused {key}"
                ) from None
            return OutboundReceipt(
                key, str(self.listed_number(existing)), self.listed_state(existing), False
            )
        return OutboundReceipt(
            key, str(self.created_number(answer.data)), OutboundState.ACCEPTED, True
        )

    async def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        """Every mapped warehouse's stock, page by page (a full read: no changed-since).

        Each row is read on its own (:func:`~channelhub.connectors.stock_rows.stock_page`): a
        row the mapping refuses is one of the page's ``failures`` with its body and the hub
        warehouse it belongs to (its context), and the page's other rows go through."""
        wanted = set(skus) if skus is not None else None
        codes = list(self.warehouse_codes.items())
        for position, (hub, code) in enumerate(codes):
            page = 1
            while True:
                rows, more, _ = await self.inventory_page(code, page, skus)
                last = not more and position == len(codes) - 1
                now = self._now()
                yield stock_page(
                    self.stock_rows, rows, warehouse=hub, now=now, done=last, wanted=wanted
                )
                if not more:
                    break
                page += 1
