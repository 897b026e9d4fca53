"""The eBay order-import cursor: a lastmodifieddate window and where paging stopped in it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from channelhub.core.errors import InvalidInput


@dataclass(frozen=True)
class OrderCursor:
    """``start``..``end`` (inclusive) being imported; ``next_path`` is eBay's ``next`` link."""

    start: datetime
    end: datetime | None = None
    next_path: str | None = None

    def encode(self) -> str:
        return json.dumps(
            {
                "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None,
                "next": self.next_path,
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str) -> OrderCursor:
        try:
            data = json.loads(text)
            start = datetime.fromisoformat(data["start"])
            end = datetime.fromisoformat(data["end"]) if data.get("end") else None
            following = data.get("next")
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput.field("cursor", text[:80], "is not an eBay order cursor") from exc
        if start.tzinfo is None:
            raise InvalidInput.field("cursor.start", data["start"], "has no timezone")
        return cls(
            start=start, end=end, next_path=following if isinstance(following, str) else None
        )
