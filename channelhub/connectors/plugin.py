"""What a connector package exports: a :class:`ConnectorPlugin` that builds one account's
connector from a :class:`ConnectorContext`.

The context carries everything account-specific (base URL, decrypted credentials as
``SecretStr``, settings, rate limits) plus the injectables tests and the demo need (an HTTP
transport to reach a simulator in process, clock, sleep). A connector reads nothing global:
the same code runs against production, a sandbox or a simulator by changing the context.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.http.auth import ProcessTokens, TokenSlot
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import BucketBackend, RateLimit
from channelhub.connectors.http.retry import RetryPolicy
from channelhub.connectors.observe import ConnectorObserver
from channelhub.connectors.roles import Capability, Role
from channelhub.connectors.spec import PlatformSpec
from channelhub.connectors.wakes import OperationWakes
from channelhub.core.errors import ConfigError
from channelhub.core.redaction import SecretRedactor, child_redactor


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ConnectorContext:
    """One account's configuration, as a connector factory receives it."""

    platform: str
    account: str
    base_url: str | None = None  # None: the platform's production URL
    credentials: Mapping[str, SecretStr] = field(default_factory=dict, repr=False)
    settings: Mapping[str, Any] = field(default_factory=dict)
    rate_limits: Mapping[str, RateLimit] = field(default_factory=dict)  # overrides per operation
    transport: httpx.AsyncBaseTransport | None = None  # e.g. httpx.ASGITransport(app=sim)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    now: Callable[[], datetime] = _utc_now
    rng: random.Random | None = None
    timeout: httpx.Timeout | None = None  # None: the client's default (a check sets a short one)
    retry: RetryPolicy | None = None  # None: the client's default (a check tries once)
    #: the account's secret values (its credentials, then every token obtained at run time);
    #: by default a new one under the active redactor (a job run's, a CLI command's), which
    #: then learns every value this one learns
    redactor: SecretRedactor = field(default_factory=lambda: child_redactor(None), repr=False)
    #: told of every HTTP attempt and every token obtained (:mod:`channelhub.connectors.observe`)
    observer: ConnectorObserver | None = field(default=None, repr=False)
    #: where the rate-limit buckets keep their state: None for the client's own (one
    #: process); a shared backend when several processes spend one account's budget
    buckets: BucketBackend | None = field(default=None, repr=False)
    #: the process's finished-operation wakes (:mod:`channelhub.connectors.wakes`): a
    #: verified webhook ends a poll pause early; None: pauses run in full
    wakes: OperationWakes | None = field(default=None, repr=False)
    #: the process's tokens (:class:`~channelhub.connectors.http.auth.ProcessTokens`): a
    #: token one job run's connector obtained serves the account's later runs while it is
    #: fresh; None: each connector fetches its own
    tokens: ProcessTokens | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.redactor.account is None:
            self.redactor.account = self.account
        self.redactor.add(*self.credentials.values())

    def token_slot(self, purpose: str, *secrets: SecretStr) -> TokenSlot | None:
        """Where the process keeps this account's token for ``purpose`` obtained with
        ``secrets`` (hand it to :class:`~channelhub.connectors.http.auth.RefreshingToken`
        as ``shared``); None when the process keeps none."""
        if self.tokens is None:
            return None
        scope = (self.platform, self.account, self.base_url, purpose)
        return self.tokens.slot(scope, secrets)

    def credential(self, name: str) -> SecretStr:
        """A required credential; a clear error names the account and the missing key."""
        try:
            return self.credentials[name]
        except KeyError:
            raise ConfigError(
                f"{self.platform} account {self.account!r} has no credential {name!r}"
            ) from None


@dataclass(frozen=True)
class CheckLine:
    """One finding of a live account check: what was tried and whether it worked."""

    ok: bool
    text: str


@dataclass(frozen=True)
class ConnectorPlugin:
    """The entry-point object: ``[project.entry-points."channelhub.connectors"]
    amazon = "channelhub.connectors.amazon:PLUGIN"``."""

    platform: str
    roles: frozenset[Role]
    create: Callable[[ConnectorContext], Any]  # returns a SalesChannel / Warehouse / Carrier
    capabilities: frozenset[Capability] = frozenset()  # the most an account can have
    default_base_url: str | None = None
    description: str = ""
    spec: PlatformSpec = field(default_factory=PlatformSpec)  # what an account takes
    #: ``await check(connector, context)`` -> what a live, read-only call proved (see
    #: :mod:`channelhub.connectors.check`); None: the platform has no live check
    check: Callable[[Any, ConnectorContext], Awaitable[list[CheckLine]]] | None = None


def http_client_for(
    context: ConnectorContext,
    *,
    default_base_url: str,
    limits: Mapping[str, RateLimit],
    **options: Any,
) -> ConnectorHttpClient:
    """The account's :class:`ConnectorHttpClient`, wired from the context.

    ``limits`` are the platform's published usage plans; the account's configured
    ``rate_limits`` override them per operation. Base URL, transport, clock, sleep, ``now``
    and rng come from the context, so a test or the demo only changes the context. Other
    keyword options (``auth``, ``retry``, ``limit_feedback``, ``inspect_response``,
    ``default_limit``, ``timeout``, ``headers``) pass through; the context's ``timeout`` and
    ``retry``, when set, are the defaults of those two.
    """
    if context.timeout is not None:
        options.setdefault("timeout", context.timeout)
    if context.retry is not None:
        options.setdefault("retry", context.retry)
    return ConnectorHttpClient(
        platform=context.platform,
        account=context.account,
        base_url=context.base_url or default_base_url,
        limits={**limits, **context.rate_limits},
        transport=context.transport,
        clock=context.clock,
        sleep=context.sleep,
        now=context.now,
        rng=context.rng,
        redactor=context.redactor,
        observer=context.observer,
        buckets=context.buckets,
        **options,
    )
