"""``accounts check``'s live half: build the account's connector and let its platform's check
make real, read-only, authenticated calls.

A check fails fast: a short connect timeout and a single attempt, so a dead URL is a problem
within seconds, not after the retry policy's patience. Every failure is a finding (the
account cannot work), never a traceback.
"""

from __future__ import annotations

import inspect
from dataclasses import replace

import httpx

from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.http.retry import RetryPolicy
from channelhub.connectors.plugin import CheckLine, ConnectorContext, ConnectorPlugin
from channelhub.core.errors import ChannelhubError

#: A live check waits this long to connect and this long for an answer.
CHECK_TIMEOUT = httpx.Timeout(connect=3.0, read=15.0, write=15.0, pool=3.0)
CHECK_RETRY = RetryPolicy.never()


def problem(error: BaseException) -> CheckLine:
    """A failed finding from an error, in the error's own words (never a secret: connector
    errors carry redacted URLs and bodies)."""
    text = str(error) or type(error).__name__
    return CheckLine(False, text)


async def run_check(plugin: ConnectorPlugin, context: ConnectorContext) -> list[CheckLine]:
    """What the platform's live check proves for the account (connector built from
    ``context`` with the check's short timeout and single attempt)."""
    if plugin.check is None:
        return [CheckLine(True, f"{plugin.platform} has no live check; the settings look complete")]
    context = replace(
        context,
        timeout=context.timeout or CHECK_TIMEOUT,
        retry=context.retry or CHECK_RETRY,
    )
    try:
        connector = plugin.create(context)
    except ChannelhubError as error:
        return [problem(error)]
    try:
        return await plugin.check(connector, context)
    except (ConnectorError, ChannelhubError) as error:
        return [problem(error)]
    finally:
        close = getattr(connector, "aclose", None)
        if close is not None:
            result = close()
            if inspect.isawaitable(result):
                await result
