"""Access tokens are refreshed once for concurrent callers, again after expiry, and on 401."""

from __future__ import annotations

import anyio
import httpx
import pytest
from pydantic import SecretStr

from channelhub.connectors.errors import ContractViolation, Unauthorized
from channelhub.connectors.http.auth import (
    HeaderTokenAuth,
    ProcessTokens,
    RefreshingToken,
    TokenGrant,
)
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.core.redaction import child_redactor
from tests.connectors.http.fakes import FakeClock


class TokenEndpoint:
    """Hands out token-1, token-2, …; waits on ``gate`` so callers overlap."""

    def __init__(self, expires_in: float = 3600, prefix: str = "token") -> None:
        self.prefix = prefix
        self.calls = 0
        self.expires_in = expires_in
        self.gate = anyio.Event()
        self.gate.set()

    async def __call__(self) -> TokenGrant:
        self.calls += 1
        await self.gate.wait()
        return TokenGrant(
            access_token=SecretStr(f"{self.prefix}-{self.calls}"), expires_in=self.expires_in
        )


@pytest.mark.anyio
async def test_concurrent_callers_share_one_refresh_and_expiry_triggers_another() -> None:
    clock = FakeClock()
    endpoint = TokenEndpoint(expires_in=3600)
    endpoint.gate = anyio.Event()
    token = RefreshingToken(endpoint, clock=clock, margin=60)
    seen: list[str] = []

    async def use() -> None:
        seen.append((await token.get()).get_secret_value())

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(use)
        await anyio.wait_all_tasks_blocked()
        endpoint.gate.set()
    assert endpoint.calls == 1 and seen == ["token-1"] * 10

    clock.now += 3600 - 60 - 1  # still inside the safety margin
    assert (await token.get()).get_secret_value() == "token-1"
    clock.now += 1  # margin reached: refresh before it really expires
    assert (await token.get()).get_secret_value() == "token-2"
    assert endpoint.calls == 2 and "token" not in repr(token).replace("RefreshingToken", "")


@pytest.mark.anyio
async def test_invalidate_with_the_rejected_token_drops_only_that_token() -> None:
    endpoint = TokenEndpoint()
    token = RefreshingToken(endpoint, clock=FakeClock())
    first = await token.get()
    token.invalidate(first)  # the platform refused token-1: refresh
    second = await token.get()
    assert second.get_secret_value() == "token-2"
    token.invalidate(first)  # a late caller refused with token-1: token-2 stays
    assert await token.get() == second and endpoint.calls == 2


@pytest.mark.anyio
async def test_the_process_keeps_a_token_for_the_accounts_next_connector() -> None:
    """A job run's connector is gone when the next run starts: the process keeps its token,
    and the next connector of the same account and credentials takes it (its redactor
    learning it) until the margin, where it fetches once and keeps the new one."""
    clock, endpoint, tokens = FakeClock(), TokenEndpoint(prefix="Atza|token"), ProcessTokens()
    secrets = (SecretStr("client-1"), SecretStr("refresh-1"))

    def run_token(*secret: SecretStr, account: str = "acme") -> RefreshingToken:
        redactor = child_redactor(account)
        slot = tokens.slot(("amazon", account, None, "lwa"), secret or secrets)
        return RefreshingToken(endpoint, clock=clock, margin=60, redactor=redactor, shared=slot)

    first = run_token()
    assert (await first.get()).get_secret_value() == "Atza|token-1"
    second = run_token()  # the next run
    assert (await second.get()).get_secret_value() == "Atza|token-1" and endpoint.calls == 1
    assert second.refreshes == 0 and second._redactor is not None
    assert second._redactor.redact("sent Atza|token-1") == "sent [REDACTED]"
    other = run_token(account="other")  # another account: its own token
    assert (await other.get()).get_secret_value() == "Atza|token-2"
    rotated = run_token(SecretStr("client-1"), SecretStr("refresh-2"))  # new credentials
    assert (await rotated.get()).get_secret_value() == "Atza|token-3" and endpoint.calls == 3
    clock.now += 3600 - 60  # the margin: the next run fetches, and keeps what it fetched
    assert (await run_token().get()).get_secret_value() == "Atza|token-4"
    assert (await run_token().get()).get_secret_value() == "Atza|token-4" and endpoint.calls == 4
    assert "refresh-1" not in repr(tokens) + repr(tokens.slot(("amazon",), secrets))


@pytest.mark.anyio
async def test_the_jobs_an_account_starts_at_once_share_one_token_call() -> None:
    """``channelhub run`` starts an account's jobs together: five connectors, none holding a
    token yet, wait on one fetch for their slot instead of calling the endpoint five times."""
    clock, endpoint, tokens = FakeClock(), TokenEndpoint(), ProcessTokens()
    endpoint.gate = anyio.Event()
    slot = tokens.slot(("amazon", "acme", None, "lwa"), (SecretStr("s"),))
    other = tokens.slot(("amazon", "other", None, "lwa"), (SecretStr("s"),))
    connectors = [RefreshingToken(endpoint, clock=clock, shared=slot) for _ in range(5)]
    seen: list[str] = []

    async def use(token: RefreshingToken) -> None:
        seen.append((await token.get()).get_secret_value())

    async with anyio.create_task_group() as group:
        for token in connectors:
            group.start_soon(use, token)
        group.start_soon(use, RefreshingToken(endpoint, clock=clock, shared=other))
        await anyio.wait_all_tasks_blocked()
        endpoint.gate.set()
    assert endpoint.calls == 2  # one for the five, one for the other account
    assert sum(c.refreshes for c in connectors) == 1  # one fetched, four took its token
    assert (
        len(seen) == 6 and len({c._token.get_secret_value() for c in connectors if c._token}) == 1
    )


@pytest.mark.anyio
async def test_a_token_the_platform_refused_is_dropped_for_every_run() -> None:
    clock, endpoint, tokens = FakeClock(), TokenEndpoint(), ProcessTokens()
    slot = tokens.slot(("ebay", "acme", None, "oauth"), (SecretStr("s"),))
    first = RefreshingToken(endpoint, clock=clock, shared=slot)
    refused = await first.get()
    first.invalidate(refused)  # the platform said 401 to token-1
    later = RefreshingToken(endpoint, clock=clock, shared=slot)
    assert (await later.get()).get_secret_value() == "token-2"  # not the refused one
    first.invalidate(refused)  # a late 401 with token-1 leaves token-2 kept
    assert slot.fresh(clock()) is not None and endpoint.calls == 2


def test_token_grant_parsing() -> None:
    grant = TokenGrant.from_oauth_response({"access_token": "Atza|abc", "expires_in": "3600"})
    assert grant.expires_in == 3600 and "Atza" not in repr(grant)
    with pytest.raises(ContractViolation, match="expires_in"):
        TokenGrant.from_oauth_response({"access_token": "x", "expires_in": None})
    with pytest.raises(ContractViolation, match="access_token"):
        TokenGrant.from_oauth_response({"expires_in": 10})


def make_client(handler: httpx.MockTransport, token: RefreshingToken) -> ConnectorHttpClient:
    clock = FakeClock()
    return ConnectorHttpClient(
        platform="demo",
        account="acct-1",
        base_url="https://api.example.test",
        limits={},
        default_limit=RateLimit(rate=10, burst=10),
        auth=HeaderTokenAuth("Authorization", token, prefix="Bearer "),
        transport=handler,
        clock=clock,
        sleep=clock.sleep,
    )


@pytest.mark.anyio
async def test_a_401_refreshes_the_token_and_retries_once() -> None:
    endpoint = TokenEndpoint()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(401 if len(seen) == 1 else 200, json={})

    async with make_client(httpx.MockTransport(handler), RefreshingToken(endpoint)) as client:
        await client.request("op", "GET", "/x")
    assert seen == ["Bearer token-1", "Bearer token-2"]


@pytest.mark.anyio
async def test_a_401_after_refresh_is_fatal() -> None:
    endpoint = TokenEndpoint()
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(401, json={"error": "invalid_token"})

    async with make_client(httpx.MockTransport(handler), RefreshingToken(endpoint)) as client:
        with pytest.raises(Unauthorized, match="even after a refresh"):
            await client.request("op", "GET", "/x")
    assert len(calls) == 2 and endpoint.calls == 2
