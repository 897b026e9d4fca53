"""What ``accounts check`` learns reaches the hub's recorder: every attempt per operation,
and the token's expiry where the platform states one (LWA, eBay, UPS grants; Temu's
``expiredTime``). The recorder is installed as ``accounts check`` installs it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from channelhub.connectors.check import run_check
from channelhub.connectors.observe import observer_for, observing
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.jobs.accounts.usage import UsageRecorder
from tests.accounts.loopback import SETUPS, LoopbackOnly

REGISTRY = ConnectorRegistry()
#: platforms whose check obtains or reads an expiring access token
EXPIRING = {"amazon": True, "amazon_mcf": True, "ebay": True, "ups": True, "temu": False}  # renews
EXPIRING |= {"walmart": True, "wish": True}


@pytest.mark.parametrize("platform", sorted(SETUPS))
def test_a_check_reports_its_calls_and_token_expiry(platform: str) -> None:
    setup = SETUPS[platform]
    recorder = UsageRecorder(setup.now)
    with observing(recorder):
        context = setup.context(LoopbackOnly(setup.app()))
        context = replace(context, observer=observer_for(context.account))
    lines = asyncio.run(run_check(REGISTRY.get(platform), context))
    assert all(line.ok for line in lines), lines
    usage = recorder.accounts[context.account]
    assert sum(usage.calls.values()) > 0
    assert not usage.errors and not usage.throttled
    tokens = {kind: seen for kind, seen in usage.tokens.items() if kind.startswith("access")}
    if platform not in EXPIRING:
        assert tokens == {}
        return
    assert tokens, usage.tokens
    for seen in tokens.values():
        assert seen.expires_at is not None and seen.expires_at > setup.now()
        assert seen.renews is EXPIRING[platform]
