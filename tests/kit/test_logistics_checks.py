"""The warehouse and carrier checks catch what they are for: a stub carrier with quotes and
labels passes them, and connectors that break the promise fail the check that names it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

import pytest

from channelhub.connectors.results import PageOf, RawRecord, StockLevel
from channelhub.connectors.roles import Capability
from channelhub.connectors.shipbob import ShipBobWarehouse
from channelhub.core.errors import InvalidInput
from channelhub.testing import CHECKS, ConformanceSuite, Rig, checks_for
from channelhub.testing.base import START
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


class _WholePage(ShipBobWarehouse):
    """Reads a stock page whole, as it once did: one row it cannot read fails the read."""

    async def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        async for page in super().get_stock_levels(skus, cursor):
            if page.failures:
                raise InvalidInput([page.failures[0].reason], source="shipbob")
            yield page


class _PageAside(ShipBobWarehouse):
    """Keeps the whole page as the body of the row it could not read."""

    async def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        async for page in super().get_stock_levels(skus, cursor):
            if page.failures:
                body = b"[" + b",".join(raw.body for raw in page.raw) + b"]"
                whole = RawRecord("stock", page.failures[0].raw.external_id, body, START)
                failure = replace(page.failures[0], raw=whole)
                page = replace(page, failures=(failure,))
            yield page


def _shipbob_with(connector: type[ShipBobWarehouse]) -> ShipBobHarness:
    class _Harness(ShipBobHarness):
        def rig(self, *, seed: int) -> Rig:
            rig = super().rig(seed=seed)
            made = rig.connect
            rig.connect = lambda: connector(made()._context)
            return rig

    return _Harness()


@pytest.mark.parametrize(
    ("connector", "message"),
    [
        (_WholePage, "failed the whole read"),
        (_PageAside, "not the row as sent"),
    ],
)
def test_a_warehouse_that_fails_a_stock_page_for_one_bad_row_fails_the_stock_check(
    connector: type[ShipBobWarehouse], message: str
) -> None:
    harness = _shipbob_with(connector)
    with pytest.raises(AssertionError, match=message):
        asyncio.run(_check("stock_bad_row_set_aside").run(harness))
