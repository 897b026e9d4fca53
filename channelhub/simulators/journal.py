"""The request journal: every request a simulator received, for tests and benchmarks.

Tests assert "the connector made exactly 3 calls to getOrders"; benchmarks count calls per
synced order. Entries keep what was sent (method, path, query, headers, body) and the status
answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class JournalEntry:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    fault: str | None = None  # which fault the simulator injected, if any

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body.decode("utf-8", errors="replace"),
            "status": self.status,
            "fault": self.fault,
        }


@dataclass
class RequestJournal:
    entries: list[JournalEntry] = field(default_factory=list)

    def record(self, entry: JournalEntry) -> None:
        self.entries.append(entry)

    def clear(self) -> None:
        self.entries.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests matching ``method`` and a ``path`` prefix (both optional)."""
        return len(list(self.matching(method, path)))

    def matching(
        self, method: str | None = None, path: str | None = None
    ) -> Iterator[JournalEntry]:
        for entry in self.entries:
            if method is not None and entry.method != method.upper():
                continue
            if path is not None and not entry.path.startswith(path):
                continue
            yield entry

    def __len__(self) -> int:
        return len(self.entries)
