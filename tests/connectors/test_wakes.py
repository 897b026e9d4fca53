"""Finished-operation wakes: an announcement from another thread ends a pause at once, one
made before the pause is not lost, and it is used up (the next pause is a full one)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from channelhub.connectors.wakes import OperationWakes

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
