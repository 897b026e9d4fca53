"""Quantity pushes: ``patchListingsItem`` for a few SKUs, one JSON_LISTINGS_FEED for many.

Amazon meters ``createFeed`` at one call per two minutes, so above ``patch_threshold`` SKUs
the whole batch goes as one feed (split only past 25,000 messages): createFeedDocument ->
PUT the document to the pre-signed URL (no SP-API token goes there) -> createFeed -> poll
getFeed with the injected sleep -> getFeedDocument -> download the processing report ->
one result per SKU, accepted or rejected with Amazon's words.

Each update needs Amazon's ``productType``: ``QuantityUpdate.inventory_ref`` carries it (the
listing mapping puts it in ``Listing.inventory_ref``); when absent it is read once with
getListingsItem and remembered by this connector instance.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from channelhub.connectors.errors import ConnectorError, ContractViolation
from channelhub.connectors.http.client import ConnectorHttpClient, ConnectorResponse
from channelhub.connectors.results import QuantityPushResult, QuantityUpdate
from channelhub.core.errors import InvalidInput
from channelhub.mappings.amazon import StockUpdate, listings_feed_documents, parse_processing_report
from channelhub.mappings.amazon import requests as build

FEED_CONTENT_TYPE = build.create_feed_document_body()["contentType"]
FINISHED = frozenset({"DONE", "FATAL", "CANCELLED"})


class Call(Protocol):
    def __call__(
        self, operation: str, method: str, path: str, **options: Any
    ) -> Awaitable[ConnectorResponse]: ...


class StockPusher:
    """Pushes quantities for one seller account (owned by its AmazonConnector)."""

    def __init__(
        self,
        *,
        call: Call,
        plain: ConnectorHttpClient,
        seller_id: str,
        marketplace_id: str,
        patch_threshold: int,
        poll_seconds: float,
        max_polls: int,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._call = call
        self._plain = plain
        self.seller_id = seller_id
        self.marketplace_id = marketplace_id
        self.patch_threshold = patch_threshold
        self.poll_seconds = poll_seconds
        self.max_polls = max_polls
        self._sleep = sleep
        self._product_types: dict[str, str] = {}

    @staticmethod
    def sku_of(update: QuantityUpdate) -> str:
        return update.channel_sku or update.listing.listing_id

    async def push(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        skus = [self.sku_of(u) for u in updates]
        if len(set(skus)) != len(skus):
            duplicate = next(s for s in skus if skus.count(s) > 1)
            raise InvalidInput.field("updates.sku", duplicate, "appears twice in one push")
        if not updates:
            return []
        if len(updates) <= self.patch_threshold:
            return [await self._patch(update) for update in updates]
        return await self._feed(updates)

    async def _product_type(self, update: QuantityUpdate) -> str:
        sku = self.sku_of(update)
        if update.inventory_ref:
            return update.inventory_ref
        if sku not in self._product_types:
            path = build.listings_item_path(self.seller_id, sku)
            query = {"marketplaceIds": self.marketplace_id, "includedData": "summaries"}
            body = (await self._call("getListingsItem", "GET", path, params=query)).json()
            summaries = body.get("summaries") if isinstance(body, dict) else None
            kind = summaries[0].get("productType") if summaries else None
            if not isinstance(kind, str):
                raise ContractViolation(f"getListingsItem for {sku} has no productType")
            self._product_types[sku] = kind
        return self._product_types[sku]

    async def _patch(self, update: QuantityUpdate) -> QuantityPushResult:
        sku = self.sku_of(update)
        try:
            body = build.patch_quantity_body(
                product_type=await self._product_type(update), quantity=update.quantity
            )
            path = build.listings_item_path(self.seller_id, sku)
            query = {"marketplaceIds": update.location or self.marketplace_id}
            answer = (
                await self._call(
                    "patchListingsItem", "PATCH", path, params=query, json=body, idempotent=True
                )
            ).json()
        except ConnectorError as error:
            return QuantityPushResult(
                update.listing, update.quantity, False, str(error), error.retryable
            )
        issues = [i for i in answer.get("issues") or [] if i.get("severity") == "ERROR"]
        accepted = answer.get("status") == "ACCEPTED" and not issues
        reason = "; ".join(f"{i.get('code')}: {i.get('message')}" for i in issues) or (
            None if accepted else f"Amazon answered status {answer.get('status')!r}"
        )
        return QuantityPushResult(
            update.listing,
            update.quantity,
            accepted,
            reason,
            submission_id=answer.get("submissionId"),
        )

    async def _feed(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        stock = [
            StockUpdate(
                sku=self.sku_of(u), quantity=u.quantity, product_type=await self._product_type(u)
            )
            for u in updates
        ]
        by_sku = {self.sku_of(u): u for u in updates}
        results: dict[str, QuantityPushResult] = {}
        for document in listings_feed_documents(seller_id=self.seller_id, updates=stock):
            try:
                feed_id, report = await self._submit(document.document)
            except ConnectorError as error:  # the whole document failed: say so for each SKU
                for sku in document.skus_by_message.values():
                    update = by_sku[sku]
                    results[sku] = QuantityPushResult(
                        update.listing, update.quantity, False, str(error), error.retryable
                    )
                continue
            for result in parse_processing_report(report, skus_by_message=document.skus_by_message):
                update = by_sku[result.sku]
                results[result.sku] = QuantityPushResult(
                    update.listing,
                    update.quantity,
                    result.accepted,
                    result.reason,
                    submission_id=feed_id,
                )
        return [results[self.sku_of(u)] for u in updates]

    async def _submit(self, document: dict[str, Any]) -> tuple[str, Any]:
        """Upload one feed document, create the feed, wait for it, return (feedId, report)."""
        created = (
            await self._call(
                "createFeedDocument", "POST", build.FEED_DOCUMENTS_PATH,
                json=build.create_feed_document_body(), expected={201}, idempotent=True,
            )
        ).json()  # fmt: skip
        await self._plain.request(
            "uploadFeedDocument", "PUT", created["url"],
            content=json.dumps(document).encode(), headers={"content-type": FEED_CONTENT_TYPE},
        )  # fmt: skip
        feed_body = build.create_feed_body(
            document_id=created["feedDocumentId"], marketplace_ids=[self.marketplace_id]
        )
        feed_id = (
            await self._call("createFeed", "POST", build.FEEDS_PATH, json=feed_body, expected={202})
        ).json()["feedId"]
        feed: dict[str, Any] = {}
        for _ in range(self.max_polls):
            feed = (await self._call("getFeed", "GET", f"{build.FEEDS_PATH}/{feed_id}")).json()
            if feed.get("processingStatus") in FINISHED:
                break
            await self._sleep(self.poll_seconds)
        else:
            raise ContractViolation(f"feed {feed_id} did not finish after {self.max_polls} polls")
        report_id = feed.get("resultFeedDocumentId")
        if not report_id:
            raise ContractViolation(
                f"feed {feed_id} ended {feed.get('processingStatus')} without a report"
            )
        located = (
            await self._call("getFeedDocument", "GET", f"{build.FEED_DOCUMENTS_PATH}/{report_id}")
        ).json()
        content = (await self._plain.request("downloadReport", "GET", located["url"])).content
        if located.get("compressionAlgorithm") == "GZIP":
            content = gzip.decompress(content)
        return feed_id, json.loads(content)
