"""Orders as they happen: subscribe an account to its platform's order notifications.

What each platform allows (polling stays on as the safety net in every case):

- **Amazon**: ORDER_CHANGE to the SQS queue of the account's ``sqs_queue_url`` setting
  (Notifications API destination + subscription; read by :mod:`channelhub.jobs.orders.sqs_orders`);
- **Shopify**: ``orders/create`` and ``orders/updated`` webhooks to
  ``{hub_url}/webhooks/{account}`` (``webhookSubscriptionCreate``; verified with the account's
  ``api_secret``), and ``bulk_operations/finish`` there too, which wakes a bulk order read
  (first import, backfill, reconciliation) as soon as its query is done;
- others: nothing to register here (eBay's order notifications are configured in its developer
  portal; Temu's pushes are configured by the partner).

Every step is idempotent: what is already registered is kept, so the command can be run again
after any change (a new queue, a new hub address).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.errors import ConfigError, InvalidInput
from channelhub.store.repos.accounts import get_account


def webhook_address(hub_url: str, account: str) -> str:
    """Where the hub takes the account's webhooks (the route of ``channelhub.api.webhooks``)."""
    if not hub_url.startswith(("https://", "http://")):
        raise InvalidInput.field("--hub-url", hub_url, "is not an http(s) URL")
    return f"{hub_url.rstrip('/')}/webhooks/{account}"


async def subscribe_orders(
    session_factory: sessionmaker[Session],
    account: str,
    *,
    connector_factory: Any,
    hub_url: str | None = None,
) -> list[str]:
    """Register ``account``'s order notifications; one line per thing done or found."""
    with session_factory() as session:
        row = get_account(session, account)
        session.expunge(row)
    connector = connector_factory(row)
    try:
        if row.platform == "amazon":
            queue = getattr(connector, "notification_queue", None)
            if queue is None:
                raise ConfigError(
                    f"amazon account {account!r} has no 'sqs_queue_url' setting: create an SQS "
                    "queue, allow Amazon to send to it, then `channelhub accounts edit "
                    f"{account} --setting sqs_queue_url=URL`"
                )
            done = await connector.subscribe_order_changes(await queue.arn())
            return [done.summary]
        if row.platform == "shopify":
            if hub_url is None:
                raise ConfigError("shopify webhooks need the hub's public address: --hub-url URL")
            address = webhook_address(hub_url, account)
            made = await connector.subscribe_order_webhooks(address)
            if not made:
                return [
                    "orders/create, orders/updated and bulk_operations/finish already go to "
                    f"{address} (unchanged)"
                ]
            return [f"{', '.join(made)} now delivered to {address}"]
        return [f"{row.platform}: nothing to subscribe here; orders arrive by polling"]
    finally:
        await connector.aclose()
