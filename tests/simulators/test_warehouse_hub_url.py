"""``channelhub simulate outbound_protocol --hub-url URL --account NAME``: the reference
warehouse signs its callbacks with the secret its printed account line gives the hub, and
POSTs them to that hub's ``/callbacks/warehouse/NAME`` route, where they verify."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from channelhub.api.app import create_app
from channelhub.cli import main
from channelhub.core.models import Warehouse
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.simulators.clock import SERVED_STAGE_AFTER
from channelhub.simulators.registry import simulator_info
from channelhub.simulators.serve import serving
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.stock import stock_balances, upsert_warehouse
from tests.jobs.conftest import Clock
from tests.jobs.conftest import clock as clock  # the fixtures
from tests.jobs.conftest import session_factory as session_factory
from tests.jobs.conftest import vault as vault

pytestmark = pytest.mark.anyio
ACCOUNT = "wh-sim"


def _simulate_with_hub(mp: pytest.MonkeyPatch, hub_url: str) -> Any:
    """Run the CLI as a newcomer would; returns the simulator it would have served."""
    import channelhub.cli.simulate as simulate_module

    served: list[Any] = []
    mp.setattr(simulate_module, "serve", lambda app, host, port: served.append(app))
    argv = ["channelhub", "simulate", "outbound_protocol", "--port", "9100"]
    mp.setattr(sys, "argv", [*argv, "--account", ACCOUNT, "--hub-url", hub_url])
    try:
        main()
    except SystemExit as exited:
        assert exited.code in (0, None)
    (sim,) = served
    return sim


async def test_the_warehouse_calls_a_loopback_hub_back_and_the_hub_verifies_it(
    session_factory: sessionmaker[Session],
    vault: Vault,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    info = simulator_info("outbound_protocol")
    assert info is not None
    with session_factory.begin() as session:
        code = Warehouse(code=ACCOUNT, country="US", account=ACCOUNT)
        upsert_warehouse(session, code, now=clock())
        add_account(
            session, vault, platform=info.platform, name=ACCOUNT, now=clock(),
            credentials={k: SecretStr(v) for k, v in info.credentials.items()},
            base_url="http://127.0.0.1:9100",
        )  # fmt: skip
    hub = create_app(
        session_factory=session_factory, connector_factory=ConnectorFactory(vault), now=clock
    )
    with serving(hub) as port:
        hub_url = f"http://127.0.0.1:{port}"
        sim = _simulate_with_hub(monkeypatch, hub_url)
        out, err = capsys.readouterr()
        assert out.split()[4] == ACCOUNT and "-c secret=" in out
        assert f"callbacks go to {hub_url}/callbacks/warehouse/{ACCOUNT}" in err
        warehouse = sim.app.state.warehouse
        assert warehouse.hub_url == f"{hub_url}/callbacks/warehouse/{ACCOUNT}"
        assert warehouse.warehouse == ACCOUNT  # the code it reports stock for
        assert warehouse.stage_after == SERVED_STAGE_AFTER  # served: a stage a minute
        warehouse.clock = clock  # the hub's injected clock: its signature is fresh there
        warehouse.emit_stock_snapshot()
        await warehouse.advance()
        assert [(kind, status) for _, kind, status in warehouse.sent] == [("stock.snapshot", 200)]
        with session_factory() as session:
            balances = stock_balances(session, warehouse=ACCOUNT)
        assert balances[(ACCOUNT, "MUG-RED")].on_hand == 100  # applied by the hub

        warehouse.secret = SecretStr("not-the-printed-secret")
        warehouse.emit_stock_snapshot()
        await warehouse.advance()
        assert warehouse.sent[-1][1:] == ("stock.snapshot", 401)  # refused: not verified
