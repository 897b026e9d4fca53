"""Carrier reads scan by scan (issue 18): one scan the mapping cannot read is set aside with
its body, the number's other scans are stored, the poll files it as a dead letter that
``jobs replay`` stores once the cause is fixed; and UPS's ``transId`` is unique per request."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.easypost import scan_by_scan as easypost_scans
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.ups import PLUGIN as UPS
from channelhub.connectors.ups import scan_by_scan as ups_scans
from channelhub.jobs.engine.isolation import SetAside
from channelhub.jobs.engine.replay import replay_dead_letter
from channelhub.jobs.fulfilment.tracking import poll_shipments
from channelhub.mappings import ups as ups_mapping
from channelhub.simulators import ups as ups_sim
from channelhub.simulators.clock import ManualClock
from channelhub.store.db import make_session_factory
from channelhub.store.repos.jobs import list_dead_letters
from channelhub.store.tables.fulfilment import TrackingEventRow
from channelhub.store.tables.outbox import OutboxMessage
from channelhub.store.tables.sync import RawPayload
from tests.logistics.conformance import RecordingTransport
from tests.logistics.specs import example

pytestmark = pytest.mark.anyio
AT = datetime(2026, 3, 1, tzinfo=UTC)
NUMBER = "1Z999AA10123456784"


def test_ups_one_bad_activity_is_set_aside_from_the_spec_example() -> None:
    answer = copy.deepcopy(example("ups", "tracking.json"))
    activities = answer["trackResponse"]["shipment"][0]["package"][0]["activity"]
    activities[2]["gmtDate"] = activities[2]["date"] = "00000101"  # year 0: not a date
    scans = ups_scans(answer, received_at=AT)
    assert len(scans) == len(activities) - 1 and len(scans.failures) == 1
    (failure,) = scans.failures
    body = json.loads(failure.raw.body)
    assert body["activity"] == [activities[2]] and failure.raw.kind == "tracking"
    assert failure.raw.external_id == body["trackingNumber"]


def test_easypost_one_bad_detail_is_set_aside_from_the_example() -> None:
    tracker = copy.deepcopy(example("easypost", "tracker.json"))
    details = tracker["tracking_details"]
    details[0]["datetime"] = "not a time"
    scans = easypost_scans(tracker, received_at=AT)
    assert len(scans) == len(details) - 1 and len(scans.failures) == 1
    assert json.loads(scans.failures[0].raw.body)["tracking_details"] == [details[0]]


def _ups(clock: ManualClock, transport: httpx.AsyncBaseTransport) -> Any:
    return UPS.create(
        ConnectorContext(
            platform="ups",
            account="main",
            base_url="https://wwwcie.ups.com",
            credentials={
                "client_id": SecretStr("ups-client"),
                "client_secret": SecretStr("ups-secret"),
            },
            transport=transport,
            clock=lambda: clock().timestamp(),
            now=clock,
            sleep=_no_sleep,
        )
    )


async def _no_sleep(_: float) -> None:
    return None


async def test_ups_trans_id_is_unique_per_request_across_connectors() -> None:
    """Tracking.yaml: transId is "An identifier unique to the request"."""
    clock = ManualClock()
    app = ups_sim.create_app(clock=clock)
    app.state.ups.add_package("1Z999AA10123456784", clock() - timedelta(days=3))
    transport = RecordingTransport(httpx.ASGITransport(app=app))
    for _ in range(2):  # two connector instances, as two processes or two runs would make
        carrier = _ups(clock, transport)
        await carrier.track("1Z999AA10123456784")
        await carrier.track("1Z999AA10123456784")
        await carrier.aclose()
    ids = [
        e.request.headers["transId"]
        for e in transport.exchanges
        if e.request.url.path.startswith("/api/track")
    ]
    assert len(ids) == 4 and len(set(ids)) == 4


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


async def test_a_poll_sets_one_bad_scan_aside_and_replay_stores_it_once_fixed(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.jobs.test_shipments_tracking import T0, apply, dispatched, ship

    await dispatched(factory)
    apply(factory, ship("S-A", (NUMBER, (("MUG", 2),))))  # one UPS package, shipped
    with factory() as session, session.begin():
        session.execute(update(OutboxMessage).values(state="sent"))
    clock = ManualClock(T0 + timedelta(days=4))
    app = ups_sim.create_app(clock=clock)
    app.state.ups.add_package(NUMBER, T0)
    real = ups_mapping.package_events

    def buggy(package: Any, *args: Any, **kwargs: Any) -> Any:
        if any(a["status"]["type"] == "I" for a in package["activity"]):
            raise OverflowError("date value out of range")
        return real(package, *args, **kwargs)

    monkeypatch.setattr(ups_mapping, "package_events", buggy)
    carrier = _ups(clock, httpx.ASGITransport(app=app))
    scans = app.state.ups.activities(NUMBER)
    bad = sum(1 for a in scans if a["status"]["type"] == "I")
    assert 0 < bad < len(scans)
    aside = SetAside("ups", "ups-main", "poll_shipments", clock())
    summary = await poll_shipments(factory, carriers={"UPS": carrier}, now=clock(), aside=aside)

    assert summary.new_events == len(scans) - bad
    assert len(summary.failures) == bad and "OverflowError" in summary.failures[0][1]
    with factory() as session:
        letters = list_dead_letters(session, account="ups-main")
        assert len(letters) == bad and {d.subject for d in letters} == {"tracking"}
        body = session.get_one(RawPayload, letters[0].raw_payload_id).body
        assert json.loads(body)["trackingNumber"] == NUMBER

    await poll_shipments(factory, carriers={"UPS": carrier}, now=clock(), aside=aside)
    with factory() as session:  # polled again (delivered: not asked), nothing doubled
        again = list_dead_letters(session, account="ups-main")
        assert [(d.id, d.attempts) for d in again] == [(d.id, 1) for d in letters]

    monkeypatch.setattr(ups_mapping, "package_events", real)  # the fix
    for letter in letters:
        said = await replay_dead_letter(
            factory, letter.id, connector_factory=lambda row: carrier, now=clock
        )
        assert "1 new event" in said
    with factory() as session:
        stored = session.scalar(select(func.count()).select_from(TrackingEventRow))
        assert stored == len(scans)
        assert list_dead_letters(session, account="ups-main") == []
    await carrier.aclose()
