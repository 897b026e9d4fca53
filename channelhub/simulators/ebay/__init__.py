"""eBay Sell API simulator: OAuth, Fulfillment, Inventory, Finances and the notification key.

Follows contracts/ebay/*_oas3.json: paths under ``/sell/fulfillment/v1``,
``/sell/inventory/v1`` and ``/commerce/notification/v1``; OAuth refresh-token and
client-credentials grants at ``/identity/v1/oauth2/token`` with Basic client auth and scopes
checked per API; getOrders with ``lastmodifieddate`` filter, ``limit <= 200``, offset and
absolute ``next`` links; bulkUpdatePriceQuantity (<= 25 items, 200 or 207 with per-item
status, 250 revisions per sku per day); createShippingFulfillment (201 + ``Location``, 409
when the lines are already fulfilled); Finances getTransactions / getPayouts seeded from the
orders (:mod:`.finance`); the SDK framework's faults, journal and rate limits.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from channelhub.simulators.base import Simulator
from channelhub.simulators.ebay.data import EbayShop, build_shop
from channelhub.simulators.ebay.routes import (
    ALL_SCOPES,
    LIMITS,
    ebay_error_response,
    ebay_throttled,
    install_routes,
)
from channelhub.simulators.info import SimulatorInfo

DEFAULT_CLIENT_ID = "sim-client-id"
DEFAULT_CLIENT_SECRET = "sim-client-secret"
DEFAULT_REFRESH_TOKEN = "v^1.1#sim-refresh"
SIMULATOR_INFO = SimulatorInfo(
    platform="ebay",
    account="my-ebay",
    credentials={
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "refresh_token": DEFAULT_REFRESH_TOKEN,
    },
)


def create_simulator(
    *,
    seed: int = 0,
    in_process: bool = True,
    order_count: int = 450,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    refresh_tokens: dict[str, tuple[str, ...]] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    **options: Any,
) -> Simulator:
    """An eBay account with ``order_count`` seeded orders created in the weeks before ``now()``
    at start; refresh tokens map to their scopes."""
    sim = Simulator(
        platform="ebay",
        seed=seed,
        limits=LIMITS,
        throttled=ebay_throttled,
        error_response=ebay_error_response,
        caller_key=lambda request: request.headers.get("authorization", "-"),
        in_process=in_process,
        **options,
    )
    shop = build_shop(seed, order_count=order_count, anchor=now())
    grants: dict[str, tuple[str, ...]] = (
        refresh_tokens if refresh_tokens is not None else {DEFAULT_REFRESH_TOKEN: ALL_SCOPES}
    )
    install_routes(
        sim, shop, client_id=client_id, client_secret=client_secret, refresh_tokens=grants, now=now
    )
    sim.shop = shop  # type: ignore[attr-defined]
    return sim


create_app = create_simulator


def sign_notification(shop: EbayShop, body: bytes) -> str:
    """The ``X-EBAY-SIGNATURE`` header eBay would send with ``body`` (for webhook tests)."""
    assert shop.signing_key is not None
    signature = shop.signing_key.sign(body, ec.ECDSA(hashes.SHA1()))
    header = {
        "alg": "ecdsa",
        "kid": shop.key_id,
        "signature": base64.b64encode(signature).decode(),
        "digest": "SHA1",
    }
    return base64.b64encode(json.dumps(header).encode()).decode()


__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_REFRESH_TOKEN",
    "SIMULATOR_INFO",
    "EbayShop",
    "create_app",
    "create_simulator",
    "sign_notification",
]
