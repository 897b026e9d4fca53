"""Run one mapping on one mutated payload and say what happened: accepted (and sound),
refused with the hub's own error, crashed (any other exception or a hang), or accepted wrong
data (an invariant broken). Shared by tests/fuzz and ``python -m bench.run fuzz``.
"""

from __future__ import annotations

import random
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from channelhub.core.errors import InvalidInput
from tests.fuzz.invariants import violations
from tests.fuzz.mutate import mutate
from tests.fuzz.schema_gen import generate
from tests.fuzz.targets import Target

#: A hang detector, not a speed assertion: no mapping should take anywhere near this.
ALARM_SECONDS = 5.0


class Hang(Exception):
    """A mapping ran past the alarm."""


@contextmanager
def alarm(seconds: float = ALARM_SECONDS) -> Iterator[None]:
    """Raise :class:`Hang` in this (main) thread after ``seconds``."""

    def _ring(signum: int, frame: object) -> None:
        raise Hang(f"no answer within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Outcome:
    """What one payload did."""

    kind: str  # accepted | refused | crash | wrong
    detail: str = ""
    message_chars: int = 0


def run_one(target: Target, payload: Any) -> Outcome:
    """Feed ``payload`` to ``target`` and classify what came back."""
    try:
        with alarm():
            result = target.call(payload)
    except InvalidInput as exc:
        message = str(exc)
        if len(message) > 2_000:  # an error quoting a megabyte value is a bug too
            return Outcome("wrong", f"error message of {len(message):,} chars: {message[:200]}")
        return Outcome("refused", message[:200], len(message))
    except Hang as exc:
        return Outcome("crash", f"Hang: {exc}")
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        where = traceback.extract_tb(exc.__traceback__)[-3:]
        trail = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in where[::-1])
        return Outcome("crash", f"{type(exc).__name__}: {str(exc)[:200]} at {trail}")
    try:
        problems = violations(result)
    except Exception as exc:  # noqa: BLE001 - a result the checker cannot even read is wrong
        problems = [f"the invariant checker failed on it: {type(exc).__name__}: {exc!s:.200}"]
    if problems:
        return Outcome("wrong", "; ".join(problems[:3])[:400])
    return Outcome("accepted")


@dataclass
class Tally:
    """Counts for one platform, with a few examples of each failure."""

    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, name: str, seed: int, outcome: Outcome) -> None:
        self.counts[outcome.kind] += 1
        if outcome.kind in {"crash", "wrong"} and len(self.failures) < 20:
            self.failures.append(f"{name} seed {seed}: {outcome.kind}: {outcome.detail}")


def payload_for(target: Target, seed: int) -> Any:
    """The mutated payload number ``seed`` for ``target`` (deterministic)."""
    rng = random.Random(f"{target.name}:{seed}")
    if target.schema is not None and rng.random() < 0.25:
        schema, root = target.schema
        generated = generate(schema, root, rng)
        return mutate(generated, rng) if rng.random() < 0.5 else generated
    return mutate(rng.choice(target.seeds), rng)


def campaign(targets: tuple[Target, ...], examples: int, start: int = 0) -> Tally:
    """``examples`` mutated payloads spread over ``targets`` (one platform)."""
    tally = Tally()
    started = time.perf_counter()
    old_limit = sys.getrecursionlimit()
    for number in range(start, start + examples):
        target = targets[number % len(targets)]
        payload = payload_for(target, number)
        tally.add(target.name, number, run_one(target, payload))
    sys.setrecursionlimit(old_limit)
    tally.seconds = time.perf_counter() - started
    return tally
