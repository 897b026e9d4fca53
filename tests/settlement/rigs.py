"""The provider rigs of the settlement tests (simulator + account + spec check)."""

from __future__ import annotations

from typing import Any

from channelhub.simulators.amazon import MARKETPLACES
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from tests.amazon.harness import make_rig
from tests.contracts import contract_file
from tests.settlement.harness import Rig
from tests.swagger2 import RecordedRequest, SpecSet

AMAZON_SPECS = ("finances_2024-06-19.json", "transfers_2024-06-01.json")


def amazon_rig(**options: Any) -> Rig:
    inner = make_rig(order_count=60, **options)

    def validate() -> int:
        specs = SpecSet.load(contract_file("finance", "amazon", name) for name in AMAZON_SPECS)
        requests = [
            RecordedRequest.from_parts(
                e.method,
                f"{e.path}?{e.query}" if e.query else e.path,
                headers=e.headers,
                content=e.body,
            )
            for e in inner.sim.journal.entries
            if e.path.startswith("/finances/")
        ]
        specs.assert_all_valid(requests)
        assert all(r.headers.get("x-amz-access-token") for r in requests)
        return len(requests)

    return Rig(
        account="acme-amazon",
        platform="amazon",
        plan=inner.sim.state.finance_plan,
        sim=inner.sim,
        factory_options={
            "transport": inner.transport,
            "now": inner.time.utc,
            "sleep": inner.time.sleep,
            "clock": inner.time.monotonic,
        },
        account_options={
            "credentials": DEFAULT_CREDENTIALS,
            "base_url": "http://sp.sim",
            "settings": {
                "seller_id": "A1SIMSELLER",
                "marketplace_ids": [m.marketplace_id for m in MARKETPLACES],
                "lwa_url": "http://sp.sim/auth/o2/token",
            },
        },
        validate=validate,
        now=inner.time.utc,
        extra={"time": inner.time, "transport": inner.transport},
    )


def add_bad_record(rig: Rig) -> str:
    """A transaction whose amount is not a number: the mapping must set it aside."""
    if rig.platform == "amazon":
        bad = {
            "transactionId": "AMZ-BAD-1",
            "transactionType": "Shipment",
            "postedDate": rig.plan.events[0].posted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "totalAmount": {"currencyCode": "USD", "currencyAmount": "twelve"},
        }
        rig.sim.state.finance_extra.append(bad)
        return "AMZ-BAD-1"
    raise NotImplementedError(rig.platform)


__all__ = ["add_bad_record", "amazon_rig"]
