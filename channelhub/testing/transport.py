"""A transport that can lose the simulator's answer after the simulator acted.

The simulators' own faults refuse a request before any route sees it; what makes an outbound
order or a label dangerous is the opposite: the platform did the work and the answer never
arrived (a 5xx from a proxy, a timeout). :class:`LossyTransport` wraps the in-process
transport of a rig and, for the next requests it is told to lose, lets the simulator answer
and then hands the connector a 503 or a read timeout instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx


@dataclass
class _Loss:
    count: int
    methods: frozenset[str]
    path: str
    timeout: bool


@dataclass
class LossyTransport(httpx.AsyncBaseTransport):
    """``httpx.ASGITransport(app=sim)`` with answers that can be lost after the fact."""

    inner: httpx.AsyncBaseTransport
    lost: list[str] = field(default_factory=list)  # "POST /path" of every answer lost
    _loss: _Loss | None = None

    @classmethod
    def to(cls, app: object) -> LossyTransport:
        """In process to an ASGI app (a simulator)."""
        return cls(httpx.ASGITransport(app=app))  # type: ignore[arg-type]

    def lose_next(
        self,
        count: int = 1,
        *,
        path: str = "",
        methods: tuple[str, ...] = ("POST",),
        timeout: bool = False,
    ) -> None:
        """Lose the answers of the next ``count`` requests with one of ``methods`` to a path
        starting with ``path``: a 503 (or, with ``timeout``, an ``httpx.ReadTimeout``) after
        the platform acted."""
        self._loss = _Loss(count, frozenset(m.upper() for m in methods), path, timeout)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        loss = self._loss
        if (
            loss is None
            or loss.count <= 0
            or request.method.upper() not in loss.methods
            or not request.url.path.startswith(loss.path)
        ):
            return response
        await response.aread()
        loss.count -= 1
        self.lost.append(f"{request.method} {request.url.path}")
        if loss.timeout:
            raise httpx.ReadTimeout("the answer was lost after the platform acted", request=request)
        return httpx.Response(503, json={"errors": [{"message": "answer lost"}]}, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()
