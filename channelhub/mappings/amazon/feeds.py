"""JSON_LISTINGS_FEED documents for quantity pushes and their processing reports.

A feed holds at most 25,000 messages (listings-feed-schema-v2.json); more updates are split
into several documents. Each message is a PATCH of ``/attributes/fulfillment_availability``.
The processing report names problems by ``messageId`` (and SKU); every SKU we sent gets one
:class:`SkuResult`: accepted, or rejected with Amazon's messages. A report that does not
account for every message is refused, never read as "all accepted".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.mappings.amazon._wire import Wire
from channelhub.mappings.amazon.requests import quantity_patch

MAX_FEED_MESSAGES = 25_000


@dataclass(frozen=True)
class StockUpdate:
    """Set ``sku``'s seller-fulfilled quantity; ``product_type`` is Listing.inventory_ref."""

    sku: str
    quantity: int
    product_type: str


@dataclass(frozen=True)
class FeedDocument:
    """One feed document and which SKU each message id carries."""

    document: dict[str, Any]
    skus_by_message: Mapping[int, str]


@dataclass(frozen=True)
class SkuResult:
    """What Amazon did with one SKU's update."""

    sku: str
    accepted: bool
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def reason(self) -> str | None:
        """Amazon's message(s) for a rejection, joined."""
        return "; ".join(self.errors) or None


def listings_feed_documents(
    *, seller_id: str, updates: Sequence[StockUpdate], max_messages: int = MAX_FEED_MESSAGES
) -> list[FeedDocument]:
    """The feed documents for ``updates``: one per ``max_messages`` (≤ 25,000) updates."""
    if not 1 <= max_messages <= MAX_FEED_MESSAGES:
        raise InvalidInput.field("max_messages", max_messages, "must be between 1 and 25000")
    seen: set[str] = set()
    for index, update in enumerate(updates):
        if update.sku in seen:
            raise InvalidInput.field(f"updates[{index}].sku", update.sku, "appears twice")
        if not update.product_type:
            raise InvalidInput.field(
                f"updates[{index}].product_type", update.product_type, "is required by the feed"
            )
        seen.add(update.sku)
    documents = []
    for start in range(0, len(updates), max_messages):
        chunk = updates[start : start + max_messages]
        messages = [
            {
                "messageId": number,
                "sku": update.sku,
                "operationType": "PATCH",
                "productType": update.product_type,
                "patches": [quantity_patch(update.quantity)],
            }
            for number, update in enumerate(chunk, start=1)
        ]
        documents.append(
            FeedDocument(
                document={
                    "header": {"sellerId": seller_id, "version": "2.0", "issueLocale": "en_US"},
                    "messages": messages,
                },
                skus_by_message={n: u.sku for n, u in enumerate(chunk, start=1)},
            )
        )
    return documents


def parse_processing_report(
    report: object, *, skus_by_message: Mapping[int, str], source: str | None = None
) -> list[SkuResult]:
    """Per-SKU results (in message order) from a listings feed processing report (v2)."""
    root = Wire(report, "report", source)
    summary = root.req("summary")
    processed = summary.req("messagesProcessed").integer(minimum=0, maximum=strict.MAX_STOCK)
    by_sku = {sku: number for number, sku in skus_by_message.items()}
    errors: dict[int, list[str]] = {n: [] for n in skus_by_message}
    warnings: dict[int, list[str]] = {n: [] for n in skus_by_message}
    feed_errors: list[str] = []
    for issue in root.req("issues").items():
        number: int | None = None
        if issue.has("messageId"):
            number = issue.req("messageId").integer(minimum=1, maximum=strict.MAX_STOCK)
            if number not in errors:
                raise issue.req("messageId").fail("is not a message this feed sent")
        elif issue.has("sku"):
            sku = issue.req("sku").text(strict.SKU_CHARS)
            if sku not in by_sku:
                raise issue.req("sku").fail("is not a SKU this feed sent")
            number = by_sku[sku]
        message = strict.message(issue.req("message").text(strict.NOTE_CHARS))
        code = issue.opt_text("code")
        text = f"{code}: {message}" if code else message
        is_error = issue.req("severity").text() == "ERROR"
        if number is None:
            if is_error:
                feed_errors.append(text)  # the whole feed failed: every SKU is rejected
            continue
        (errors if is_error else warnings)[number].append(text)
    if not feed_errors and processed < len(skus_by_message):
        raise summary.req("messagesProcessed").fail(
            f"covers fewer messages than the {len(skus_by_message)} sent"
        )
    return [
        SkuResult(
            sku=sku,
            accepted=not (errors[number] or feed_errors),
            errors=tuple(errors[number] + feed_errors),
            warnings=tuple(warnings[number]),
        )
        for number, sku in sorted(skus_by_message.items())
    ]
