"""Login attempts per user name and per source address, in a sliding window.

Kept in the memory of the process serving the console (one ``channelhub run``). Written here
(a few lines) rather than adding a rate-limit library: those limit requests per route, not
failed logins per key.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta


class LoginLimiter:
    """At most ``attempts`` failed logins per key within ``window``; clock injected."""

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        attempts: int = 5,
        window: timedelta = timedelta(minutes=15),
    ) -> None:
        self._now = now
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[datetime]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[datetime]:
        seen = self._failures[key]
        cutoff = self._now() - self.window
        while seen and seen[0] <= cutoff:
            seen.popleft()
        return seen

    def blocked(self, *keys: str) -> bool:
        """True while any of ``keys`` (``user:NAME``, ``ip:ADDR``) has used up its attempts."""
        return any(len(self._recent(key)) >= self.attempts for key in keys)

    def failed(self, *keys: str) -> None:
        for key in keys:
            self._recent(key).append(self._now())

    def succeeded(self, user_key: str) -> None:
        """A good password clears the user's count (not the address's)."""
        self._failures.pop(user_key, None)
