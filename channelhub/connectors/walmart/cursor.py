"""Where a Walmart order import stands, as the opaque cursor a job commits with each page.

A run has two phases. ``released``: orders created in ``start``..``end`` still waiting for
the seller (getAllReleasedOrders), acknowledged as they are taken. ``updates``: every order
modified in ``modified``..``end`` (getAllOrders by ``lastModifiedStartDate``): a buyer's
cancellation, a refunded line, a shipment made elsewhere, none of which the released read
shows once the order is acknowledged. ``next`` is Walmart's ``nextCursor`` within the phase;
``ack`` the orders of the page taken, acknowledged again when a run resumes from it (a caller
may stop, or die, right after taking a page; acknowledging twice is harmless).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from channelhub.core.errors import InvalidInput

Phase = Literal["released", "updates"]


def _when(data: dict[str, object], key: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    found = datetime.fromisoformat(str(value))
    if found.tzinfo is None:
        raise InvalidInput.field(f"cursor.{key}", value, "has no timezone")
    return found


@dataclass(frozen=True)
class OrderCursor:
    """One position of a run (see the module docstring)."""

    start: datetime
    end: datetime | None = None
    next: str | None = None
    ack: tuple[str, ...] = ()
    phase: Phase = "released"
    #: start of the modified-orders window; None: the first run, which reads from ``start``
    modified: datetime | None = None

    def encode(self) -> str:
        return json.dumps(
            {
                "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None,
                "next": self.next,
                "ack": list(self.ack),
                "phase": self.phase,
                "modified": self.modified.isoformat() if self.modified else None,
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str) -> OrderCursor:
        try:
            data = json.loads(text)
            start = _when(data, "start")
            end = _when(data, "end")
            modified = _when(data, "modified")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput.field("cursor", text[:80], "is not a Walmart order cursor") from exc
        if start is None:
            raise InvalidInput.field("cursor.start", None, "is missing")
        following = data.get("next")
        ack = data.get("ack") if isinstance(data.get("ack"), list) else []
        phase: Phase = "updates" if data.get("phase") == "updates" else "released"
        return cls(
            start,
            end,
            following if isinstance(following, str) else None,
            tuple(map(str, ack)),
            phase,
            modified,
        )
