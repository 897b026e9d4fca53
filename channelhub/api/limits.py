"""Inbound limits: body size per route enforced while reading, and a per-source budget of
refused requests.

The app also sets FastAPI's own ``max_body_size`` (Starlette's ``RequestBodyLimitMiddleware``)
to the largest route limit, as a backstop for every route. The routes read their bodies with
:func:`read_body` all the same, because a refusal must be counted against its source and kept
as evidence (the middleware answers 413 before the route knows of it).

The body is read from the ASGI stream chunk by chunk and refused (413) as soon as the declared
``Content-Length`` or the bytes counted so far pass the route's limit: a 50 MB forgery costs
one chunk of memory, never 50 MB. Starlette's ``Request.body()`` has no limit, and no
maintained ASGI middleware checks the size per route *and* lets the route record the refusal,
hence these few lines.

Refusals (401, 404, 413) spend a token of the source's bucket (``refusals_per_minute``,
``refusal_burst``); an empty bucket answers 429 with ``Retry-After`` before anything is read
or looked up. Sources are kept in a bounded LRU, so spoofed addresses cannot grow memory.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import HTTPException, Request


@dataclass(frozen=True)
class InboundLimits:
    """``[inbound]`` of config.toml (see ``channelhub.settings.InboundSettings``)."""

    webhook_max_bytes: int = 1_048_576
    callback_max_bytes: int = 262_144
    evidence_head_bytes: int = 4_096
    evidence_days: int = 14
    evidence_per_account: int = 1_000
    refusals_per_minute: float = 30.0
    refusal_burst: int = 20
    trusted_proxies: tuple[str, ...] = ()
    #: at most this many sources are tracked (least recently refused dropped first)
    tracked_sources: int = 10_000
    #: seconds an account row read by the gate is reused (an edit is seen after this)
    account_cache_seconds: float = 2.0

    @property
    def evidence_retention(self) -> timedelta:
        return timedelta(days=self.evidence_days)


class TooLarge(Exception):
    """The body passed the route's limit; ``seen`` bytes were read (``head`` kept)."""

    def __init__(self, limit: int, declared: int | None, seen: int, head: bytes) -> None:
        super().__init__(f"the body is over the {limit}-byte limit")
        self.limit = limit
        self.declared = declared
        self.seen = seen
        self.head = head


async def read_body(request: Request, limit: int, *, keep_head: int = 4_096) -> bytes:
    """The request body, or :class:`TooLarge` as soon as it is known to pass ``limit``
    (``Content-Length`` first, then the bytes as they arrive); nothing past the limit is read."""
    declared_text = request.headers.get("content-length")
    declared: int | None = None
    if declared_text is not None:
        if not (declared_text.isascii() and declared_text.isdigit()) or len(declared_text) > 18:
            raise HTTPException(status_code=400, detail="bad Content-Length")
        declared = int(declared_text)
        if declared > limit:
            raise TooLarge(limit, declared, 0, b"")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            head = (b"".join(chunks) + chunk)[:keep_head]
            raise TooLarge(limit, declared, size, head)
        chunks.append(chunk)
    return b"".join(chunks)


def source_of(request: Request, trusted_proxies: tuple[str, ...] = ()) -> str:
    """The peer address, or the last X-Forwarded-For hop when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if peer in trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1][:64]
    return peer[:64]


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RefusalLimiter:
    """A token bucket per source, on an injected clock (the app's ``now``)."""

    per_minute: float
    burst: int
    now: Callable[[], datetime]
    max_sources: int = 10_000
    _buckets: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)

    def _bucket(self, source: str) -> _Bucket:
        at = self.now().timestamp()
        bucket = self._buckets.get(source)
        if bucket is None:
            return _Bucket(float(self.burst), at)
        elapsed = max(0.0, at - bucket.at)
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.per_minute / 60)
        bucket.at = at
        return bucket

    def retry_after(self, source: str) -> int | None:
        """Seconds ``source`` must wait (None: it may be heard now)."""
        bucket = self._bucket(source)
        if bucket.tokens >= 1:
            return None
        return max(1, math.ceil((1 - bucket.tokens) * 60 / self.per_minute))

    def refused(self, source: str) -> None:
        """Spend one token of ``source`` for a refusal."""
        bucket = self._bucket(source)
        bucket.tokens = max(0.0, bucket.tokens - 1)
        self._buckets[source] = bucket
        self._buckets.move_to_end(source)
        while len(self._buckets) > self.max_sources:
            self._buckets.popitem(last=False)

    @property
    def sources(self) -> int:
        return len(self._buckets)
