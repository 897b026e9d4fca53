"""The warehouse and carrier checks catch what they are for: a stub carrier with quotes and
labels passes them, and connectors that break the promise fail the check that names it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from channelhub.connectors.roles import Capability
from channelhub.connectors.shipbob import ShipBobWarehouse
from channelhub.testing import CHECKS, ConformanceSuite, Rig, checks_for
from tests.kit.stub_carrier import StubCarrierHarness
from tests.logistics.test_shipbob_conformance import ShipBobHarness


class TestStubCarrierConformance(ConformanceSuite):
    harness = StubCarrierHarness()


def _check(name: str) -> Any:
    return next(check for check in CHECKS if check.name == name)


def test_the_checks_follow_the_role_and_the_capabilities() -> None:
    names = {c.name for c in checks_for(StubCarrierHarness())}
    assert names == {"tracking_read_and_mapped", "quote_answers", "label_bought_once"}
    shipbob = {c.name for c in checks_for(ShipBobHarness())}
    assert "webhooks_refused_and_deduped" in shipbob and "stock_cursor_is_lag_safe" not in shipbob
    assert Capability.STOCK_CHANGES not in ShipBobHarness().capabilities


class _SecondLabelHarness(StubCarrierHarness):
    dedupe = False  # the carrier sells a new label for a repeated reference


def test_a_carrier_that_sells_a_second_label_fails_the_label_check() -> None:
    with pytest.raises(AssertionError, match="second label"):
        asyncio.run(_check("label_bought_once").run(_SecondLabelHarness()))


class _CreatesBlindly(ShipBobWarehouse):
    """Takes ShipBob's duplicate refusal for a refusal: never finds its first attempt."""

    async def _find(self, key: str) -> dict[str, Any] | None:
        return None


class _BlindShipBob(ShipBobHarness):
    def rig(self, *, seed: int) -> Rig:
        rig = super().rig(seed=seed)
        made = rig.connect
        rig.connect = lambda: _CreatesBlindly(made()._context)
        return rig


def test_a_warehouse_that_cannot_find_its_first_create_fails_the_create_check() -> None:
    with pytest.raises(AssertionError, match="the resend was refused"):
        asyncio.run(_check("outbound_created_once").run(_BlindShipBob()))
