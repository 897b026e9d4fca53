"""How long a Temu access token has left, and when to warn the seller about it.

Temu tokens last about a year and cannot be refreshed by the app: the seller re-authorises in
Seller Center and shares a new token. A missed expiry stops every import silently, so the hub
warns 30 days ahead (``expiredTime`` comes from ``bg.open.accesstoken.info.get``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from channelhub.core.errors import InvalidInput

WARN_DAYS_BEFORE_EXPIRY = 30


@dataclass(frozen=True)
class TokenExpiry:
    """The token's expiry as seen at ``now``."""

    expires_at: datetime
    days_left: int
    warn: bool
    expired: bool

    @property
    def message(self) -> str:
        """One line for the console and the logs (never the token itself)."""
        when = self.expires_at.date().isoformat()
        if self.expired:
            return f"Temu access token expired on {when}: ask the seller to re-authorise the app"
        return f"Temu access token expires in {self.days_left} days ({when})" + (
            ": ask the seller to re-authorise the app" if self.warn else ""
        )


def token_expiry(
    expired_time: int | datetime, *, now: datetime, warn_days: int = WARN_DAYS_BEFORE_EXPIRY
) -> TokenExpiry:
    """Days left (whole days, rounded down) and whether to warn (``days_left <= warn_days``)."""
    if now.tzinfo is None:
        raise InvalidInput.field("now", now.isoformat(), "has no timezone")
    if isinstance(expired_time, datetime):
        if expired_time.tzinfo is None:
            raise InvalidInput.field("expiredTime", expired_time.isoformat(), "has no timezone")
        expires_at = expired_time.astimezone(UTC)
    else:
        if isinstance(expired_time, bool) or expired_time <= 0:
            raise InvalidInput.field("expiredTime", expired_time, "is not a UNIX time in seconds")
        expires_at = datetime.fromtimestamp(expired_time, tz=UTC)
    remaining = expires_at - now
    expired = remaining.total_seconds() <= 0
    days_left = max(remaining.days, 0)
    return TokenExpiry(
        expires_at=expires_at,
        days_left=days_left,
        warn=expired or days_left <= warn_days,
        expired=expired,
    )
