"""The Amazon simulator's state and rules: tokens, orders, listings, shipments, feeds.

Routes (``app.py``) only parse HTTP and call these methods; a rule broken by the caller raises
:class:`SimError`, which becomes Amazon's error body ``{"errors": [{code, message, details}]}``.
Time comes from the injected ``now`` so token expiry, window checks and feed progress are
deterministic in tests.
"""

from __future__ import annotations

import base64
import copy
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from channelhub.simulators.amazon.catalog import (
    Marketplace,
    iso,
    make_listings,
    make_orders,
)
from channelhub.simulators.amazon.notifications import NOTIFICATIONS_SCOPE, Notifications

TOKEN_LIFETIME = timedelta(seconds=3600)
WINDOW_HOLDBACK = timedelta(minutes=2)
ORDER_DATA = frozenset(
    {
        "BUYER",
        "RECIPIENT",
        "PROCEEDS",
        "EXPENSE",
        "PROMOTION",
        "CANCELLATION",
        "FULFILLMENT",
        "PACKAGES",
        "TAX",
        "PAYMENT",
        "FULFILLMENT_ORDERS",
    }
)
LISTING_DATA = frozenset(
    {
        "summaries",
        "attributes",
        "issues",
        "offers",
        "fulfillmentAvailability",
        "procurement",
        "relationships",
        "productTypes",
    }
)
#: Grantless operations: called with a client-credentials token, never a seller's.
GRANTLESS_PATHS = ("/notifications/v1/destinations",)
_PUBLIC_ADDRESS = ("city", "stateOrRegion", "postalCode", "countryCode")


class SimError(Exception):
    """A request the real API would refuse, with Amazon's status, code and message."""

    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def parse_time(raw: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise SimError(400, "InvalidInput", f"{name} is not an ISO 8601 date-time: {raw}") from None
    if value.tzinfo is None:
        raise SimError(400, "InvalidInput", f"{name} has no timezone: {raw}")
    return value.astimezone(UTC)


def _encode(state: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, sort_keys=True).encode()).decode()


def _decode(token: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        raise SimError(400, "InvalidInput", "the pagination token is not valid") from None
    if not isinstance(value, dict):
        raise SimError(400, "InvalidInput", "the pagination token is not valid")
    return value


class AmazonState:
    """One selling account on Amazon, as the simulator serves it."""

    def __init__(
        self,
        *,
        seed: int,
        order_count: int,
        listing_count: int,
        seller_id: str,
        marketplaces: Sequence[Marketplace],
        now: Callable[[], datetime],
        start: datetime,
        end: datetime,
        credentials: Mapping[str, str],
        feed_polls_to_done: int,
    ) -> None:
        self.seller_id = seller_id
        self.markets = {m.marketplace_id: m for m in marketplaces}
        self.now = now
        self.credentials = dict(credentials)
        self.feed_polls_to_done = feed_polls_to_done
        rng = random.Random(f"{seed}:amazon")
        self.listings = make_listings(rng, listing_count, tuple(marketplaces))
        self.orders = make_orders(rng, order_count, self.listings, tuple(marketplaces), start, end)
        self.access_tokens: dict[str, datetime] = {}
        self.grantless_tokens: dict[str, datetime] = {}
        self.notifications = Notifications(now=now, rng=random.Random(f"{seed}:notify"))
        self._rng = rng
        self._marketplaces = tuple(marketplaces)
        self.rdts: dict[str, tuple[datetime, list[tuple[str, str]]]] = {}
        self.documents: dict[str, bytes | None] = {}
        self.feeds: dict[str, dict[str, Any]] = {}
        self.feed_inputs: dict[str, str] = {}
        self.feed_polls: dict[str, int] = {}
        self.packages: dict[str, dict[str, dict[str, Any]]] = {}
        self._counter = 0

    def _next(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    # --- auth ----------------------------------------------------------------------------

    def lwa_grant(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Login with Amazon refresh-token grant."""
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "client_credentials"):
            raise SimError(
                400,
                "unsupported_grant_type",
                "grant_type must be refresh_token or client_credentials",
            )
        fields = ["client_id", "client_secret"]
        if grant == "refresh_token":
            fields.append("refresh_token")
        elif form.get("scope") != NOTIFICATIONS_SCOPE:
            raise SimError(400, "invalid_scope", f"scope must be {NOTIFICATIONS_SCOPE}")
        for field in fields:
            if form.get(field) != self.credentials[field]:
                raise SimError(
                    400,
                    "invalid_grant" if field == "refresh_token" else "invalid_client",
                    f"the {field} is not valid",
                )
        token = self._next("Atza|sim-access-")
        if grant == "client_credentials":  # grantless: no refresh token, no seller
            self.grantless_tokens[token] = self.now() + TOKEN_LIFETIME
            return {"access_token": token, "token_type": "bearer", "expires_in": 3600}
        self.access_tokens[token] = self.now() + TOKEN_LIFETIME
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": 3600,
            "refresh_token": self.credentials["refresh_token"],
        }

    def expire_tokens(self) -> None:
        """Test hook: every token issued so far is now expired."""
        past = self.now() - timedelta(seconds=1)
        self.access_tokens = {t: past for t in self.access_tokens}
        self.rdts = {t: (past, r) for t, (_, r) in self.rdts.items()}
        self.grantless_tokens = dict.fromkeys(self.grantless_tokens, past)

    def authorize(self, token: str | None, method: str, path: str) -> bool:
        """Check ``x-amz-access-token``; True when it is a Restricted Data Token for the path."""
        denied = "Access to requested resource is denied."
        if not token:
            raise SimError(403, "Unauthorized", denied, "The request has no access token.")
        if token in self.rdts:
            expires, resources = self.rdts[token]
            if self.now() >= expires:
                raise SimError(
                    403, "Unauthorized", denied, "The access token you provided has expired."
                )
            if not any(m == method and _covers(p, path) for m, p in resources):
                raise SimError(
                    403,
                    "Unauthorized",
                    denied,
                    "The restricted data token does not cover this operation.",
                )
            return True
        grantless = path.startswith(GRANTLESS_PATHS)
        if grantless != (token in self.grantless_tokens):
            raise SimError(
                403,
                "Unauthorized",
                denied,
                "This operation needs a grantless token."
                if grantless
                else "A grantless token cannot call this operation.",
            )
        expires_at = (self.grantless_tokens if grantless else self.access_tokens).get(token)
        if expires_at is None:
            raise SimError(
                403,
                "Unauthorized",
                denied,
                "The access token you provided is revoked, malformed or invalid.",
            )
        if self.now() >= expires_at:
            raise SimError(
                403, "Unauthorized", denied, "The access token you provided has expired."
            )
        return False

    def create_rdt(self, body: Any) -> dict[str, Any]:
        resources = body.get("restrictedResources") if isinstance(body, dict) else None
        if not isinstance(resources, list) or not resources:
            raise SimError(400, "InvalidInput", "restrictedResources is required")
        allowed = []
        for resource in resources:
            if not isinstance(resource, dict) or resource.get("method") not in (
                "GET",
                "PUT",
                "POST",
                "DELETE",
            ):
                raise SimError(
                    400, "InvalidInput", "each restricted resource needs a method and a path"
                )
            path = resource.get("path")
            if not isinstance(path, str) or not path.startswith("/orders/"):
                raise SimError(400, "InvalidInput", f"{path!r} is not a restricted operation path")
            allowed.append((resource["method"], path))
        token = self._next("Atz.sprdt|sim-")
        self.rdts[token] = (self.now() + TOKEN_LIFETIME, allowed)
        return {"restrictedDataToken": token, "expiresIn": 3600}

    # --- orders --------------------------------------------------------------------------

    def _market_ids(self, raw: str | None, *, required: bool) -> list[str]:
        ids = [m for m in (raw or "").split(",") if m]
        if required and not ids:
            raise SimError(400, "InvalidInput", "marketplaceIds is required")
        unknown = [m for m in ids if m not in self.markets]
        if unknown:
            raise SimError(
                400, "InvalidInput", f"marketplace {unknown[0]} is not one of this seller's"
            )
        return ids

    def public_order(
        self, order: Mapping[str, Any], included: Iterable[str], restricted: bool
    ) -> dict[str, Any]:
        """The order as Amazon shows it for ``includedData`` and the token kind."""
        wanted = set(included)
        body = {k: copy.deepcopy(v) for k, v in order.items() if not k.startswith("_")}
        for key, data in (
            ("fulfillment", "FULFILLMENT"),
            ("proceeds", "PROCEEDS"),
            ("payment", "PAYMENT"),
        ):
            if data not in wanted:
                body.pop(key, None)
        for item in body["orderItems"]:
            for key, data in (
                ("fulfillment", "FULFILLMENT"),
                ("proceeds", "PROCEEDS"),
                ("cancellation", "CANCELLATION"),
            ):
                if data not in wanted:
                    item.pop(key, None)
        if "PACKAGES" in wanted and order["orderId"] in self.packages:
            body["packages"] = [
                {k: v for k, v in p.items() if not k.startswith("_")}
                for p in self.packages[order["orderId"]].values()
            ]
        pii = order["_pii"]
        if "BUYER" in wanted and restricted:
            body["buyer"] = copy.deepcopy(pii["buyer"])
        if "RECIPIENT" in wanted:
            address = pii["recipient"]["deliveryAddress"]
            shown = address if restricted else {k: address[k] for k in _PUBLIC_ADDRESS}
            body["recipient"] = {"deliveryAddress": dict(shown)}
        return body

    def search_orders(self, query: Mapping[str, str], restricted: bool) -> dict[str, Any]:
        token = query.get("paginationToken")
        if token is not None:
            others = sorted(k for k in query if k != "paginationToken")
            if others:
                raise SimError(
                    400,
                    "InvalidInput",
                    f"paginationToken must be sent alone; also got {', '.join(others)}",
                )
            state = _decode(token)
        else:
            state = self._first_page_state(query)
        matching = [o for o in self.orders.values() if self._in_window(o, state)]
        key = "lastUpdatedTime" if state["mode"] == "updated" else "createdTime"
        matching.sort(key=lambda o: (o[key], o["orderId"]))
        # The token is opaque to the caller (the contract: pass it back with nothing else);
        # here it is a keyset position, the sort key of the last order served, not an
        # offset: an order updated mid-walk leaves the window (past ``before``) without
        # shifting the ones after it into pages already read.
        last = state.get("last")
        if last is not None:
            matching = [o for o in matching if (o[key], o["orderId"]) > tuple(last)]
        size = int(state["size"])
        page = matching[:size]
        body: dict[str, Any] = {
            "orders": [self.public_order(o, state["included"], restricted) for o in page]
        }
        if len(matching) > size:
            position = [page[-1][key], page[-1]["orderId"]]
            body["pagination"] = {"nextToken": _encode({**state, "last": position})}
        body["lastUpdatedBefore" if state["mode"] == "updated" else "createdBefore"] = state[
            "before"
        ]
        return body

    def _first_page_state(self, query: Mapping[str, str]) -> dict[str, Any]:
        created, updated = query.get("createdAfter"), query.get("lastUpdatedAfter")
        if (created is None) == (updated is None):
            raise SimError(
                400, "InvalidInput", "exactly one of createdAfter and lastUpdatedAfter is required"
            )
        mode = "updated" if updated is not None else "created"
        if mode == "updated" and ("createdBefore" in query):
            raise SimError(
                400, "InvalidInput", "createdBefore cannot be used with lastUpdatedAfter"
            )
        if mode == "created" and ("lastUpdatedBefore" in query):
            raise SimError(
                400, "InvalidInput", "lastUpdatedBefore cannot be used with createdAfter"
            )
        after_name = "lastUpdatedAfter" if mode == "updated" else "createdAfter"
        before_name = "lastUpdatedBefore" if mode == "updated" else "createdBefore"
        after = parse_time(query[after_name], after_name)
        latest = self.now() - WINDOW_HOLDBACK
        before = parse_time(query[before_name], before_name) if before_name in query else latest
        if before > latest:
            raise SimError(
                400, "InvalidInput", f"{before_name} must be at least two minutes before now"
            )
        if before < after:
            raise SimError(400, "InvalidInput", f"{before_name} must not be before {after_name}")
        size_raw = query.get("maxResultsPerPage", "100")
        if not size_raw.isdigit() or not 1 <= int(size_raw) <= 100:
            raise SimError(400, "InvalidInput", "maxResultsPerPage must be between 1 and 100")
        included = [d for d in query.get("includedData", "").split(",") if d]
        bad = [d for d in included if d not in ORDER_DATA]
        if bad:
            raise SimError(400, "InvalidInput", f"includedData {bad[0]} is not supported")
        statuses = [s for s in query.get("fulfillmentStatuses", "").split(",") if s]
        return {
            "mode": mode,
            "after": iso(after),
            "before": iso(before),
            "markets": self._market_ids(query.get("marketplaceIds"), required=False),
            "statuses": statuses,
            "included": included,
            "last": None,
            "size": int(size_raw),
        }

    @staticmethod
    def _in_window(order: Mapping[str, Any], state: Mapping[str, Any]) -> bool:
        stamp = order["lastUpdatedTime" if state["mode"] == "updated" else "createdTime"]
        if not state["after"] <= stamp <= state["before"]:
            return False
        if state["markets"] and order["salesChannel"]["marketplaceId"] not in state["markets"]:
            return False
        return (
            not state["statuses"] or order["fulfillment"]["fulfillmentStatus"] in state["statuses"]
        )

    def get_order(self, order_id: str, included: str | None, restricted: bool) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise SimError(404, "NotFound", f"order {order_id} was not found")
        wanted = [d for d in (included or "").split(",") if d]
        return {"order": self.public_order(order, wanted, restricted)}

    def edit_order(self, order_id: str, *, status: str | None = None) -> None:
        """Test hook: change an order after creation, bumping its lastUpdatedTime to now
        (ORDER_CHANGE goes to the subscribed queue)."""
        order = self.orders[order_id]
        if status is not None:
            order["fulfillment"]["fulfillmentStatus"] = status
        order["lastUpdatedTime"] = iso(self.now())
        self.notifications.order_changed(
            order, seller_id=self.seller_id, change_type="OrderStatusChange"
        )

    def place_order(self) -> str:
        """A buyer places a new unshipped merchant-fulfilled order now (ORDER_CHANGE goes
        to the subscribed queue); returns its id."""
        now = self.now()
        while True:
            (order,) = make_orders(
                self._rng, 1, self.listings, self._marketplaces, now, now
            ).values()
            if order["orderId"] not in self.orders:
                break
        stamp = iso(now)
        order["createdTime"] = order["lastUpdatedTime"] = stamp
        order["fulfillment"]["fulfillmentStatus"] = "UNSHIPPED"
        order["fulfillment"]["fulfilledBy"] = "MERCHANT"
        for item in order["orderItems"]:
            item.pop("cancellation", None)
            item["fulfillment"]["quantityFulfilled"] = 0
            item["fulfillment"]["quantityUnfulfilled"] = item["quantityOrdered"]
        self.orders[order["orderId"]] = order
        self.notifications.order_changed(
            order, seller_id=self.seller_id, change_type="OrderStatusChange"
        )
        return str(order["orderId"])


def _covers(resource: str, path: str) -> bool:
    """An RDT path covers the same path, or a template with ``{…}`` segments."""
    want, have = resource.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(have) and all(
        w == h or w.startswith("{") for w, h in zip(want, have, strict=True)
    )
