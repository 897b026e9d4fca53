"""The fence a unit passes before each call that changes the world (create a warehouse
order, push a fulfilment, push quantities, cancel).

A job function takes ``fence: Fence`` and calls it right before such a call; the runner's
fence renews the unit's lease with its fencing token and raises :class:`LeaseLost` when
another runner took the lease over, so the call is never made by two holders. ``no_fence``
is for callers outside the runner (a person's ``stock push``, tests).

``LeaseLost`` deliberately is not a :class:`~channelhub.core.errors.ChannelhubError`: the
per-message handlers of the outbox senders catch those and dead-letter the message, while a
lost lease must stop the whole unit and leave the message to its new holder.
"""

from __future__ import annotations

from collections.abc import Callable

#: Raises LeaseLost when the unit no longer holds its lease.
Fence = Callable[[], None]


class LeaseLost(Exception):
    """Another runner took the lease over: this unit stops before its next external call."""


def no_fence() -> None:
    """The fence of a caller that holds no lease (nothing to check)."""
