"""Build one account's connector from its stored row: platform, base URL, decrypted
credentials (still ``SecretStr``) and settings, through the connector registry.

An optional ``transport`` points the connector at an in-process simulator
(``httpx.ASGITransport``); it may be one transport for every account or a function choosing
one per account (the demo runs several simulators at once). ``timeout`` and ``retry`` are every
connector's HTTP defaults (``[http]`` in config.toml; None: the client's own). ``buckets``
shares the rate-limit budgets with the other processes of the hub (procrastinate workers).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from channelhub.connectors.http.auth import ProcessTokens
from channelhub.connectors.http.ratelimit import BucketBackend
from channelhub.connectors.http.retry import RetryPolicy
from channelhub.connectors.observe import observer_for
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.connectors.wakes import OperationWakes
from channelhub.core.redaction import child_redactor
from channelhub.store.crypto import Vault
from channelhub.store.tables.accounts import Account

TransportChoice = (
    httpx.AsyncBaseTransport | Callable[[Account], httpx.AsyncBaseTransport | None] | None
)

#: What the jobs and the API call to get an account's connector.
ConnectorFactoryFn = Callable[[Account], Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ConnectorFactory:
    """Callable ``factory(account_row) -> connector``; one new connector (and HTTP client) per
    call, closed by the caller with ``aclose()``: no client outlives its job. Access tokens do,
    for the process (:attr:`tokens`): the same account's next run takes them while fresh."""

    def __init__(
        self,
        vault: Vault,
        *,
        registry: ConnectorRegistry | None = None,
        transport: TransportChoice = None,
        now: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        buckets: BucketBackend | None = None,
        wakes: OperationWakes | None = None,
    ) -> None:
        self._vault = vault
        #: the rate-limit buckets every process of the hub shares (procrastinate on
        #: PostgreSQL, :mod:`channelhub.store.shared_buckets`); None: each connector's own
        self.buckets = buckets
        #: this process's finished-operation wakes (one per factory, and a process has one factory);
        #: the app's webhook intake announces on the same one
        self.wakes = wakes if wakes is not None else OperationWakes()
        #: the tokens this process's connectors obtained, for the same account's later job
        #: runs while fresh (:class:`~channelhub.connectors.http.auth.ProcessTokens`)
        self.tokens = ProcessTokens()
        self.registry = registry or ConnectorRegistry()
        self._transport = transport
        self._now = now
        self._sleep = sleep
        self._clock = clock
        self._timeout = timeout
        self._retry = retry

    def __repr__(self) -> str:
        return f"ConnectorFactory(platforms={self.registry.names()!r})"

    def context_for(self, account: Account) -> ConnectorContext:
        """The :class:`ConnectorContext` of ``account`` (credentials decrypted as SecretStr)."""
        transport = self._transport(account) if callable(self._transport) else self._transport
        credentials = self._vault.decrypt(account.credentials)
        return ConnectorContext(
            platform=account.platform,
            account=account.name,
            base_url=account.base_url,
            credentials=credentials,
            # under the active redactor (the job run's): the run's logs and stored errors
            # learn this account's secrets and the tokens its connector obtains
            redactor=child_redactor(account.name, credentials.values()),
            settings=dict(account.settings or {}),
            transport=transport,
            clock=self._clock,
            sleep=self._sleep,
            now=self._now,
            timeout=self._timeout,
            retry=self._retry,
            # the run's (or check's) usage recorder, when one is installed
            observer=observer_for(account.name),
            buckets=self.buckets,
            wakes=self.wakes,
            tokens=self.tokens,
        )

    def __call__(self, account: Account) -> Any:
        return self.registry.create(self.context_for(account))
