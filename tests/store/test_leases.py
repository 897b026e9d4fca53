"""Job leases: one holder at a time until expiry, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from channelhub.store.repos.leases import acquire_lease, release_lease, renew_lease

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)
KEY = ("shop-eu", "pull_orders")


def _acquire(engine: Engine, holder: str, now: datetime) -> bool:
    with Session(engine) as session, session.begin():
        return acquire_lease(session, *KEY, holder=holder, now=now, ttl=TTL)


def test_second_holder_waits_until_expiry(engine: Engine) -> None:
    assert _acquire(engine, "worker-a", T0)
    assert not _acquire(engine, "worker-b", T0 + timedelta(minutes=1))
    assert not _acquire(engine, "worker-b", T0 + TTL - timedelta(seconds=1))
    assert _acquire(engine, "worker-b", T0 + TTL)
    assert not _acquire(engine, "worker-a", T0 + TTL + timedelta(seconds=1))


def test_holder_reacquires_and_renews(engine: Engine) -> None:
    assert _acquire(engine, "worker-a", T0)
    assert _acquire(engine, "worker-a", T0 + timedelta(minutes=4))  # extends to T0+9m
    assert not _acquire(engine, "worker-b", T0 + timedelta(minutes=8))
    with Session(engine) as session, session.begin():
        assert renew_lease(session, *KEY, holder="worker-a", now=T0 + timedelta(minutes=8), ttl=TTL)
        assert not renew_lease(session, *KEY, holder="worker-b", now=T0, ttl=TTL)


def test_expired_lease_cannot_be_renewed(engine: Engine) -> None:
    assert _acquire(engine, "worker-a", T0)
    with Session(engine) as session, session.begin():
        assert not renew_lease(session, *KEY, holder="worker-a", now=T0 + TTL, ttl=TTL)


def test_release_lets_the_next_one_in(engine: Engine) -> None:
    assert _acquire(engine, "worker-a", T0)
    with Session(engine) as session, session.begin():
        assert not release_lease(session, *KEY, holder="worker-b")
        assert release_lease(session, *KEY, holder="worker-a")
    assert _acquire(engine, "worker-b", T0 + timedelta(seconds=1))


def test_leases_are_per_account_and_job(engine: Engine) -> None:
    assert _acquire(engine, "worker-a", T0)
    with Session(engine) as session, session.begin():
        assert acquire_lease(session, "shop-eu", "push_stock", holder="worker-b", now=T0, ttl=TTL)
        assert acquire_lease(session, "shop-us", "pull_orders", holder="worker-b", now=T0, ttl=TTL)
