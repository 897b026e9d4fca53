"""Each sink redacts by value on its own: the database hook, the HTTP client's errors and log
lines, tokens learned at refresh, the job runner's run log and dead letters, the terminal."""

from __future__ import annotations

import base64
import logging
import sys
from datetime import UTC, datetime
from urllib.parse import quote_plus

import httpx
import pytest
import typer
from pydantic import SecretStr
from sqlalchemy import Engine, select

from channelhub.cli.output import cli_console
from channelhub.cli.redaction import terminal_redaction
from channelhub.connectors.errors import BadRequest, ServerError
from channelhub.connectors.http.auth import RefreshingToken, TokenGrant
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.http.retry import RetryPolicy
from channelhub.connectors.plugin import ConnectorContext
from channelhub.core.errors import InvalidInput
from channelhub.core.redaction import REDACTED, SecretRedactor, child_redactor, redacting
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import JobContext, run_job
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.cursors import get_cursor, set_cursor
from channelhub.store.repos.jobs import list_dead_letters, record_dead_letter
from channelhub.store.repos.payloads import get_raw_payload, store_raw_payload
from channelhub.store.tables.jobs import JobRun

SECRET = "Qz8/+w=Secret-Value_0123"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _redactor() -> SecretRedactor:
    redactor = SecretRedactor("acct")
    redactor.add(SECRET)
    return redactor


# --- the database ----------------------------------------------------------------------------


def test_every_parameter_the_database_gets_is_redacted_in_scope(engine: Engine) -> None:
    factory = make_session_factory(engine)
    leaky = f"echo {SECRET} and {quote_plus(SECRET)}"
    with redacting(_redactor()), factory.begin() as session:
        stored = store_raw_payload(
            session, platform="shopify", account="acct", kind="order",
            body=leaky.encode(), received_at=NOW,
        )  # fmt: skip
        set_cursor(session, "acct", "pull_orders", {"next": SECRET, SECRET: [leaky]}, now=NOW)
        record_dead_letter(
            session, account="acct", platform="shopify", job_kind="pull_orders",
            subject="order", reason=leaky, now=NOW, payload={"body": leaky, "n": 3},
        )  # fmt: skip
    with factory() as session:
        body = get_raw_payload(session, stored.id).body  # type: ignore[union-attr]
        cursor = get_cursor(session, "acct", "pull_orders")
        letter = list_dead_letters(session)[0]
    assert body == f"echo {REDACTED} and {REDACTED}".encode()
    assert cursor == {"next": REDACTED, REDACTED: [f"echo {REDACTED} and {REDACTED}"]}
    assert letter.reason == f"echo {REDACTED} and {REDACTED}"
    assert letter.payload == {"body": f"echo {REDACTED} and {REDACTED}", "n": 3}


def test_outside_a_scope_the_database_stores_what_it_is_given(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        set_cursor(session, "acct", "pull_orders", {"next": SECRET}, now=NOW)
    with factory() as session:
        assert get_cursor(session, "acct", "pull_orders") == {"next": SECRET}


# --- the HTTP client -------------------------------------------------------------------------


def _echo(status: int) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        echoed = f"{request.url} {dict(request.headers)}"
        padding = "x" * 1960  # the secret straddles the 2,000-character cut of an error body
        return httpx.Response(status, text=f"{padding} {echoed}")

    return httpx.MockTransport(answer)


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.mark.anyio
@pytest.mark.parametrize(("status", "error"), [(400, BadRequest), (503, ServerError)])
async def test_client_errors_and_log_lines_hold_no_secret(
    status: int, error: type[Exception], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = ConnectorHttpClient(
        platform="shipbob", account="acct", base_url="https://api.example.test",
        limits={}, default_limit=RateLimit(rate=100, burst=100), transport=_echo(status),
        headers={"x-echo-me": SECRET}, redactor=_redactor(), sleep=_no_sleep,
        retry=RetryPolicy(max_attempts=2, initial_backoff=0, jitter=0),
    )  # fmt: skip
    async with client:
        with pytest.raises(error) as raised:  # type: ignore[call-overload]
            await client.request("op", "GET", "/x", params={"t": SECRET})
    text = f"{raised.value} {raised.value.request} {raised.value.body} {caplog.text}"
    for form in (SECRET, quote_plus(SECRET), SECRET[:12]):
        assert form not in text
    assert REDACTED in str(raised.value)


@pytest.mark.anyio
async def test_a_refreshed_token_is_known_before_anyone_uses_it() -> None:
    redactor = SecretRedactor("acct")

    async def fetch() -> TokenGrant:
        return TokenGrant(access_token=SecretStr("fresh-access-token-9876"), expires_in=3600)

    token = RefreshingToken(fetch, redactor=redactor)
    await token.get()
    assert redactor.redact("Bearer fresh-access-token-9876") == f"Bearer {REDACTED}"


# --- the job runner --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_run_that_fails_quoting_a_secret_stores_and_logs_it_redacted(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    factory = make_session_factory(engine)
    vault = Vault(generate_key())
    with factory.begin() as session:
        add_account(
            session, vault, platform="shopify", name="acct", now=NOW,
            credentials={"access_token": SecretStr(SECRET)},
        )  # fmt: skip

    class Connector:
        def __init__(self) -> None:
            # what a factory does: a context whose redactor sits under the run's
            self.context = ConnectorContext(
                platform="shopify", account="acct", credentials={"access_token": SecretStr(SECRET)}
            )

        async def aclose(self) -> None:
            return None

    def connectors(row: object) -> Connector:
        return Connector()

    async def handler(context: JobContext) -> bool:
        context.connector()
        raise InvalidInput([f"the platform sent {base64.b64encode(SECRET.encode()).decode()}"])

    result = await run_job(
        factory, "acct", JobKind.PULL_ORDERS, connector_factory=connectors,
        now=lambda: NOW, handlers={JobKind.PULL_ORDERS: handler},
    )  # fmt: skip
    with factory() as session:
        run = session.scalars(select(JobRun)).one()
        letter = list_dead_letters(session)[0]
    for text in (result.error or "", run.error or "", letter.reason, caplog.text):
        assert SECRET not in text and base64.b64encode(SECRET.encode()).decode() not in text
    assert REDACTED in (run.error or "")


# --- the terminal ----------------------------------------------------------------------------


def test_what_a_command_prints_passes_the_secrets_it_learned(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with terminal_redaction():
        child_redactor("acct", [SECRET])  # a connector built during the command
        typer.echo(f"echo {SECRET}")
        typer.echo(f"err {quote_plus(SECRET)}", err=True)
        cli_console().print(f"table {SECRET}", markup=False)
        print(f"print {SECRET}")
    out, err = capsys.readouterr()
    assert SECRET not in out + err and quote_plus(SECRET) not in err
    assert out.count(REDACTED) == 3 and err.count(REDACTED) == 1


def test_a_bug_s_traceback_reaches_the_terminal_redacted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from channelhub import cli

    def buggy() -> None:
        child_redactor("acct", [SECRET])
        raise KeyError(f"unexpected {SECRET}")

    monkeypatch.setattr(cli, "app", buggy)
    monkeypatch.setattr(cli, "_register", lambda: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    with pytest.raises(KeyError) as raised:
        cli.main()
    sys.excepthook(raised.type, raised.value, raised.tb)  # what Python does with it
    err = capsys.readouterr().err
    assert "KeyError" in err and "Traceback" in err
    assert SECRET not in err and REDACTED in err


@pytest.mark.anyio
async def test_a_run_keeps_its_secrets_to_itself_unless_a_bug_escapes(engine: Engine) -> None:
    """A long-running command's redactor must not gather every account's secrets; only an
    exception that leaves a run unredacted hands the run's values to the caller."""
    factory = make_session_factory(engine)
    vault = Vault(generate_key())
    with factory.begin() as session:
        add_account(
            session, vault, platform="shopify", name="acct", now=NOW,
            credentials={"access_token": SecretStr(SECRET)},
        )  # fmt: skip

    class Connector:
        def __init__(self) -> None:
            self.context = ConnectorContext(
                platform="shopify", account="acct", credentials={"access_token": SecretStr(SECRET)}
            )

        async def aclose(self) -> None:
            return None

    async def fine(context: JobContext) -> bool:
        context.connector()
        return False

    async def buggy(context: JobContext) -> bool:
        context.connector()
        raise KeyError(SECRET)

    command = SecretRedactor("terminal")
    with redacting(command):
        for handler in (fine, fine):
            await run_job(
                factory, "acct", JobKind.PULL_ORDERS, connector_factory=lambda _: Connector(),
                now=lambda: NOW, handlers={JobKind.PULL_ORDERS: handler},
            )  # fmt: skip
        assert len(command) == 0
        with pytest.raises(KeyError):
            await run_job(
                factory, "acct", JobKind.PULL_ORDERS, connector_factory=lambda _: Connector(),
                now=lambda: NOW, handlers={JobKind.PULL_ORDERS: buggy},
            )  # fmt: skip
    assert command.redact(SECRET) == REDACTED


def test_a_response_excerpt_is_redacted_before_it_is_cut() -> None:
    from channelhub.connectors.http.client import ConnectorResponse

    response = ConnectorResponse(
        operation="op", status=409, headers=httpx.Headers(), url="POST /x", attempts=1,
        content=("y" * 290 + SECRET).encode(), redactor=_redactor(),
    )  # fmt: skip
    excerpt = response.excerpt(300)
    assert SECRET[:10] not in excerpt and REDACTED in excerpt
