"""Listings items and JSON_LISTINGS_FEED processing for the Amazon simulator.

A quantity patch or feed message sets ``fulfillment_availability`` of channel ``DEFAULT``.
Refusals follow the API: an unknown SKU or a productType that is not the listing's answers
``INVALID`` with an ERROR issue (patch) or an ERROR line in the processing report (feed).
The feed moves IN_QUEUE -> IN_PROGRESS -> DONE one step per ``getFeed`` poll (deterministic),
and is applied when it reaches DONE.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from channelhub.simulators.amazon.catalog import iso
from channelhub.simulators.amazon.state import LISTING_DATA, AmazonState, SimError, _decode, _encode

FEED_STEPS = ("IN_QUEUE", "IN_PROGRESS", "DONE")


def _check_seller(state: AmazonState, seller_id: str) -> None:
    if seller_id != state.seller_id:
        raise SimError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            f"sellerId {seller_id} is not the authorised selling partner",
        )


def _public_item(item: Mapping[str, Any], market: str, included: list[str]) -> dict[str, Any]:
    wanted = set(included or ["summaries"])
    body: dict[str, Any] = {"sku": item["sku"]}
    if "summaries" in wanted:
        body["summaries"] = [
            copy.deepcopy(s) for s in item["summaries"] if s["marketplaceId"] == market
        ]
    if "offers" in wanted:
        body["offers"] = [copy.deepcopy(o) for o in item["offers"] if o["marketplaceId"] == market]
    if "fulfillmentAvailability" in wanted:
        body["fulfillmentAvailability"] = copy.deepcopy(item["fulfillmentAvailability"])
    if "issues" in wanted:
        body["issues"] = []
    return body


def _included(raw: str | None) -> list[str]:
    included = [d for d in (raw or "").split(",") if d]
    bad = [d for d in included if d not in LISTING_DATA]
    if bad:
        raise SimError(400, "InvalidInput", f"includedData {bad[0]} is not supported")
    return included


def _one_market(state: AmazonState, raw: str | None) -> str:
    ids = state._market_ids(raw, required=True)
    if len(ids) != 1:
        raise SimError(400, "InvalidInput", "exactly one marketplaceId is supported")
    return ids[0]


def search_listings(state: AmazonState, seller_id: str, query: Mapping[str, str]) -> dict[str, Any]:
    _check_seller(state, seller_id)
    market = _one_market(state, query.get("marketplaceIds"))
    size_raw = query.get("pageSize", "10")
    if not size_raw.isdigit() or not 1 <= int(size_raw) <= 20:
        raise SimError(400, "InvalidInput", "pageSize must be between 1 and 20")
    offset = int(_decode(query["pageToken"]).get("offset", 0)) if "pageToken" in query else 0
    skus = sorted(state.listings)
    size = int(size_raw)
    page = skus[offset : offset + size]
    included = _included(query.get("includedData"))
    body: dict[str, Any] = {
        "numberOfResults": len(skus),
        "items": [_public_item(state.listings[s], market, included) for s in page],
    }
    if offset + size < len(skus):
        body["pagination"] = {"nextToken": _encode({"offset": offset + size})}
    return body


def get_listing(
    state: AmazonState, seller_id: str, sku: str, query: Mapping[str, str]
) -> dict[str, Any]:
    _check_seller(state, seller_id)
    market = _one_market(state, query.get("marketplaceIds"))
    item = state.listings.get(sku)
    if item is None:
        raise SimError(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace {market}")
    return _public_item(item, market, _included(query.get("includedData")))


def _issue(code: str, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "severity": "ERROR",
        "categories": ["INVALID_ATTRIBUTE"],
    }


def apply_quantity(
    state: AmazonState, sku: str, product_type: Any, patches: Any
) -> list[dict[str, Any]]:
    """Apply fulfillment_availability patches to ``sku``; the ERROR issues when refused."""
    item = state.listings.get(sku)
    if item is None:
        return [_issue("SIM_SKU_NOT_FOUND", f"The SKU '{sku}' does not exist for this seller.")]
    actual = item["summaries"][0]["productType"]
    if product_type != actual:
        return [
            _issue(
                "SIM_PRODUCT_TYPE",
                f"productType '{product_type}' does not match the listing's '{actual}'.",
            )
        ]
    if not isinstance(patches, list) or not patches:
        return [_issue("SIM_NO_PATCHES", "patches must hold at least one operation.")]
    updates: list[int] = []
    for patch in patches:
        if (
            not isinstance(patch, dict)
            or patch.get("path") != "/attributes/fulfillment_availability"
        ):
            return [
                _issue(
                    "SIM_UNSUPPORTED",
                    "the simulator patches only /attributes/fulfillment_availability.",
                )
            ]
        if patch.get("op") not in ("replace", "merge", "add"):
            return [_issue("SIM_UNSUPPORTED", f"op {patch.get('op')!r} is not supported here.")]
        for value in patch.get("value") or []:
            quantity = value.get("quantity") if isinstance(value, dict) else None
            if value.get("fulfillment_channel_code") != "DEFAULT":
                return [
                    _issue(
                        "SIM_CHANNEL", "only fulfillment_channel_code DEFAULT is seller-managed."
                    )
                ]
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                return [
                    _issue("90000", f"quantity {quantity!r} must be a whole number of at least 0.")
                ]
            updates.append(quantity)
    for quantity in updates:
        for entry in item["fulfillmentAvailability"]:
            if entry["fulfillmentChannelCode"] == "DEFAULT":
                entry["quantity"] = quantity
        for summary in item["summaries"]:
            summary["status"] = ["BUYABLE", "DISCOVERABLE"] if quantity else ["DISCOVERABLE"]
            summary["lastUpdatedDate"] = iso(state.now())
    return []


def patch_listing(
    state: AmazonState, seller_id: str, sku: str, query: Mapping[str, str], body: Any
) -> dict[str, Any]:
    _check_seller(state, seller_id)
    state._market_ids(query.get("marketplaceIds"), required=True)
    if not isinstance(body, dict) or "productType" not in body or "patches" not in body:
        raise SimError(400, "InvalidInput", "the body needs productType and patches")
    issues = apply_quantity(state, sku, body["productType"], body["patches"])
    return {
        "sku": sku,
        "status": "INVALID" if issues else "ACCEPTED",
        "submissionId": state._next("sim-submission-"),
        "issues": issues,
    }


# --- feeds -------------------------------------------------------------------------------


def create_feed_document(state: AmazonState, body: Any, base_url: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("contentType"), str):
        raise SimError(400, "InvalidInput", "contentType is required")
    document_id = state._next("amzn1.tortuga.sim.")
    state.documents[document_id] = None
    return {"feedDocumentId": document_id, "url": f"{base_url}/_upload/{document_id}"}


def upload(
    state: AmazonState, document_id: str, content: bytes, headers: Mapping[str, str]
) -> None:
    if document_id not in state.documents:
        raise SimError(404, "NoSuchKey", "The specified upload URL does not exist.")
    if "x-amz-access-token" in headers:
        raise SimError(
            400, "InvalidRequest", "a pre-signed URL must not receive x-amz-access-token"
        )
    state.documents[document_id] = content


def create_feed(state: AmazonState, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SimError(400, "InvalidInput", "the body is not a CreateFeedSpecification")
    if body.get("feedType") != "JSON_LISTINGS_FEED":
        raise SimError(400, "InvalidInput", f"feedType {body.get('feedType')!r} is not simulated")
    markets = body.get("marketplaceIds")
    if not isinstance(markets, list) or not markets:
        raise SimError(400, "InvalidInput", "marketplaceIds is required")
    state._market_ids(",".join(map(str, markets)), required=True)
    document_id = body.get("inputFeedDocumentId")
    if document_id not in state.documents or state.documents[document_id] is None:
        raise SimError(
            400, "InvalidInput", f"inputFeedDocumentId {document_id!r} has no uploaded content"
        )
    feed_id = state._next("5000")
    state.feeds[feed_id] = {
        "feedId": feed_id,
        "feedType": "JSON_LISTINGS_FEED",
        "marketplaceIds": markets,
        "createdTime": iso(state.now()),
        "processingStatus": "IN_QUEUE",
    }
    state.feed_inputs[feed_id] = document_id
    state.feed_polls[feed_id] = 0
    return {"feedId": feed_id}


def get_feed(state: AmazonState, feed_id: str) -> dict[str, Any]:
    feed = state.feeds.get(feed_id)
    if feed is None:
        raise SimError(404, "NotFound", f"feed {feed_id} was not found")
    if feed["processingStatus"] in ("DONE", "FATAL"):
        return dict(feed)
    state.feed_polls[feed_id] += 1
    polls = state.feed_polls[feed_id]
    if polls >= state.feed_polls_to_done:
        _process(state, feed)
    elif polls >= 1:
        feed["processingStatus"] = "IN_PROGRESS"
        feed.setdefault("processingStartTime", iso(state.now()))
    return dict(feed)


def _process(state: AmazonState, feed: dict[str, Any]) -> None:
    content = state.documents[state.feed_inputs[feed["feedId"]]] or b""
    issues: list[dict[str, Any]] = []
    accepted = invalid = 0
    try:
        document = json.loads(content)
        messages = document["messages"]
        if document["header"]["sellerId"] != state.seller_id or not isinstance(messages, list):
            raise ValueError("header.sellerId is not this seller")
    except (ValueError, KeyError, TypeError) as exc:
        issues.append(
            {"code": "SIM_FATAL", "severity": "ERROR", "message": f"The feed cannot be read: {exc}"}
        )
        messages = []
    for message in messages:
        number, sku = message.get("messageId"), message.get("sku")
        if message.get("operationType") != "PATCH":
            found = [_issue("SIM_UNSUPPORTED", "the simulator processes PATCH messages only.")]
        else:
            found = apply_quantity(
                state, str(sku), message.get("productType"), message.get("patches")
            )
        for issue in found:
            issues.append(
                {
                    "messageId": number,
                    "sku": sku,
                    "code": issue["code"],
                    "severity": "ERROR",
                    "message": issue["message"],
                }
            )
        invalid += bool(found)
        accepted += not found
    report = {
        "header": {"sellerId": state.seller_id, "version": "2.0", "feedId": feed["feedId"]},
        "issues": issues,
        "summary": {
            "errors": len(issues),
            "warnings": 0,
            "messagesProcessed": len(messages),
            "messagesAccepted": accepted,
            "messagesInvalid": invalid,
        },
    }
    report_id = state._next("amzn1.tortuga.sim.report.")
    state.documents[report_id] = json.dumps(report).encode()
    fatal = not messages and issues
    feed.update(
        processingStatus="FATAL" if fatal else "DONE",
        processingStartTime=feed.get("processingStartTime", iso(state.now())),
        processingEndTime=iso(state.now()),
        resultFeedDocumentId=report_id,
    )


def get_feed_document(state: AmazonState, document_id: str, base_url: str) -> dict[str, Any]:
    if document_id not in state.documents:
        raise SimError(404, "NotFound", f"feed document {document_id} was not found")
    return {"feedDocumentId": document_id, "url": f"{base_url}/_download/{document_id}"}


def download(state: AmazonState, document_id: str) -> bytes:
    content = state.documents.get(document_id)
    if content is None:
        raise SimError(404, "NoSuchKey", "The specified key does not exist.")
    return content
