"""Finished-operation wakes: an announcement from another thread ends a pause at once, one
made before the pause is not lost, and it is used up (the next pause is a full one)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from channelhub.api.app import create_app
from channelhub.connectors.wakes import OperationWakes
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_engine, make_session_factory

pytestmark = pytest.mark.anyio


async def _never(seconds: float) -> None:
    await asyncio.Event().wait()


async def test_an_announcement_from_another_thread_ends_the_pause() -> None:
    wakes = OperationWakes()
    pausing = asyncio.ensure_future(wakes.pause("shop", "op-1", 30.0, _never))
    await asyncio.sleep(0)  # the pause is registered
    other = threading.Thread(target=lambda: wakes.announce("shop", "op-2"))  # another operation
    other.start()
    other.join()
    await asyncio.sleep(0)
    assert not pausing.done()
    woke: list[int] = []
    thread = threading.Thread(target=lambda: woke.append(wakes.announce("shop", "op-1")))
    thread.start()
    thread.join()
    assert await asyncio.wait_for(pausing, timeout=5) is True
    assert woke == [1]


async def test_an_early_announcement_is_kept_once_and_a_plain_pause_sleeps_in_full() -> None:
    wakes = OperationWakes()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    assert wakes.announce("shop", "op-1") == 0  # nobody pausing yet: kept
    assert await wakes.pause("shop", "op-1", 4.0, sleep) is True and slept == []
    assert await wakes.pause("shop", "op-1", 4.0, sleep) is False and slept == [4.0]
    assert await wakes.pause("other-shop", "op-1", 2.0, sleep) is False  # per account


def test_each_factory_hands_its_own_wakes_to_its_connectors_and_its_app(tmp_path: Any) -> None:
    """No process-wide state: the app's intake announces on its connector factory's wakes, and
    an announcement on another hub's wakes reaches none of this one's reads."""
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    vault = Vault(generate_key())
    mine, theirs = ConnectorFactory(vault), ConnectorFactory(vault)
    assert mine.wakes is not theirs.wakes
    app = create_app(
        session_factory=make_session_factory(engine),
        connector_factory=mine,
        background_intake=False,
    )
    assert app.state.hub.intake._wakes is mine.wakes
    theirs.wakes.announce("shop", "op-1")
    held: list[float] = []

    async def sleep(seconds: float) -> None:
        held.append(seconds)

    assert not asyncio.run(mine.wakes.pause("shop", "op-1", 1.0, sleep)) and held == [1.0]
    engine.dispose()
