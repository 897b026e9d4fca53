"""``channelhub finance pull`` against the ShipBob simulator in process: counts, a second pull
adds nothing, ``--since``, and a mistake is one line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from channelhub.cli import runtime
from channelhub.cli.home import vault_for
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.shipbob import create_app
from tests.cli.hub import Hub
from tests.cli.hub import ready_hub as ready_hub


@pytest.fixture
def hub(ready_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> Hub:
    app = create_app(clock=ManualClock(runtime.utc_now() - timedelta(days=3)))
    state, billing = app.state.shipbob, app.state.billing
    body = {
        "reference_id": "hub-1",
        "order_number": "ORD-1",
        "type": "DTC",
        "shipping_method": "Standard",
        "recipient": {"name": "Ana", "address": {"country": "US"}},
        "products": [{"reference_id": "MUG-RED", "name": "Mug", "quantity": 1}],
    }
    assert state.create(body)[0] == 201
    state.advance(timedelta(hours=3))
    billing.bill()
    transport = httpx.ASGITransport(app=app)

    def factory(settings: Any, buckets: Any = None) -> ConnectorFactory:
        return ConnectorFactory(vault_for(settings), transport=transport, buckets=buckets)

    monkeypatch.setattr(runtime, "connector_factory_for", factory)
    code, _, err = ready_hub(
        "accounts", "add", "shipbob", "my-shipbob", "-c", "pat=pat_sim", "-s", "channel_id=101"
    )
    assert code == 0, err
    return ready_hub


def _row(out: str) -> list[str]:
    line = next(line for line in out.splitlines() if "pull_finance" in line)
    return [cell for cell in line.split() if cell != "│"]


def test_finance_pull_imports_once_and_says_mistakes_in_one_line(hub: Hub) -> None:
    code, out, err = hub("finance", "pull")
    assert code == 0, err
    row = _row(out)
    assert row[:3] == ["my-shipbob", "pull_finance", "ok"]
    new = int(row[-4])
    assert new > 0  # label, pick fee and storage, each released into the invoice, and the invoice

    code, out, err = hub("finance", "pull", "my-shipbob", "--since", "2020-01-01")
    assert code == 0, err
    assert _row(out)[-4] == "0"  # the same period again: nothing new

    code, out, err = hub("finance", "pull", "nobody")
    assert code == 1 and "nobody" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
