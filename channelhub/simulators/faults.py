"""Switchable faults: errors, latency, timeouts and duplicate webhooks, decided by seed.

Faults are flipped at runtime (Python API or ``PUT /_sim/faults``) so one simulator serves a
clean run and a hostile one. Every decision comes from the simulator's own seeded stream and
draws the same amount of randomness per request whatever is switched on, so a given seed and
request sequence always fails the same requests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class FaultConfig(BaseModel):
    """What to break. All off by default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    error_rate: float = Field(default=0.0, ge=0, le=1, description="share of requests failed")
    error_statuses: tuple[int, ...] = Field(default=(500, 503), min_length=1)
    fail_next: int = Field(default=0, ge=0, description="fail exactly the next N requests")
    latency_seconds: float = Field(default=0.0, ge=0, description="added to every request")
    timeout_rate: float = Field(default=0.0, ge=0, le=1, description="share that never answer")
    duplicate_webhooks: int = Field(default=0, ge=0, description="extra deliveries per webhook")
    paths: tuple[str, ...] = Field(default=(), description="path prefixes faulted; () = all")


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one request."""

    latency: float = 0.0
    timeout: bool = False
    error_status: int | None = None

    @property
    def label(self) -> str | None:
        if self.timeout:
            return "timeout"
        if self.error_status is not None:
            return f"error:{self.error_status}"
        return "latency" if self.latency else None


class FaultInjector:
    """Holds the current :class:`FaultConfig` and decides per request from a seeded stream."""

    def __init__(self, seed: int, config: FaultConfig | None = None) -> None:
        self._rng = random.Random(f"{seed}:faults")
        self.config = config or FaultConfig()
        self._fail_next = self.config.fail_next

    def set(self, config: FaultConfig) -> None:
        """Replace the faults (``fail_next`` restarts its count)."""
        self.config = config
        self._fail_next = config.fail_next

    def update(self, **changes: object) -> None:
        """Change some fields, e.g. ``sim.faults.update(error_rate=0.2)``."""
        self.set(self.config.model_copy(update=changes))

    def clear(self) -> None:
        self.set(FaultConfig())

    def decide(self, path: str) -> FaultDecision:
        """The fate of one request to ``path``."""
        u_timeout, u_error, u_status = self._rng.random(), self._rng.random(), self._rng.random()
        config = self.config
        if config.paths and not any(path.startswith(p) for p in config.paths):
            return FaultDecision()
        statuses = config.error_statuses
        status = statuses[int(u_status * len(statuses)) % len(statuses)]
        if self._fail_next > 0:
            self._fail_next -= 1
            return FaultDecision(latency=config.latency_seconds, error_status=status)
        if u_timeout < config.timeout_rate:
            return FaultDecision(latency=config.latency_seconds, timeout=True)
        if u_error < config.error_rate:
            return FaultDecision(latency=config.latency_seconds, error_status=status)
        return FaultDecision(latency=config.latency_seconds)

    def deliveries(self) -> int:
        """How many times to send the next webhook (1 + duplicates)."""
        return 1 + self.config.duplicate_webhooks
