"""One record at a time: a record the mapping cannot read is set aside, never the page.

Every pull (orders, listings, a warehouse's shipments, a carrier's scans) maps what the
platform sent record by record through :class:`PageRecords`. A record whose mapping raises
anything at all — the hub's own :class:`~channelhub.core.errors.InvalidInput`, but also a
``ValueError`` from a year-1 date, a pydantic ``ValidationError``, ``decimal.InvalidOperation``
or an ``OverflowError`` the mapping did not foresee — becomes a
:class:`~channelhub.connectors.results.RecordFailure` holding its raw body and the error, and
the rest of the page goes on. The jobs archive each failure and file it as a dead letter
(:mod:`channelhub.jobs.engine.isolation`), so nothing is lost and a fixed mapping can replay it.

The broad ``except Exception`` lives here, at this one record boundary, and nowhere else:
errors of the conversation itself (HTTP, auth, a malformed page) are raised before or after
it and still stop the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from channelhub.connectors.errors import ContractViolation
from channelhub.connectors.results import PageOf, RawRecord, RecordFailure
from channelhub.core.errors import ChannelhubError
from channelhub.core.models import PackageLine

T = TypeVar("T")

#: How much of an error message a dead letter quotes: enough to name the field and value,
#: never a whole multi-megabyte value echoed back by a parser.
MAX_REASON = 400


def shorten(text: str, limit: int = MAX_REASON) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def describe_error(error: BaseException) -> str:
    """One bounded sentence for a record's error: the hub's own errors as they read, others
    prefixed with their type (``ValueError: year 0 is out of range``) so a person sees that
    the mapping met something it did not foresee."""
    text = " ".join(str(error).split())  # a pydantic error spans lines: keep them all
    if isinstance(error, ChannelhubError):
        return shorten(text or type(error).__name__)
    return shorten(f"{type(error).__name__}: {text}" if text else type(error).__name__)


def map_one(
    raw: RawRecord, mapping: Callable[..., Iterable[T]], *args: Any, **kwargs: Any
) -> list[T] | RecordFailure:
    """The records ``mapping(*args, **kwargs)`` makes of one raw body, or the failure that
    sets the body aside."""
    try:
        return list(mapping(*args, **kwargs))
    # The one record boundary: whatever this record raises must not stop its page (see the
    # module docstring); the failure keeps the body and the error, so nothing is swallowed.
    except Exception as error:  # noqa: BLE001 - the record boundary, see above
        return RecordFailure(raw=raw, reason=describe_error(error), context=replay_context(kwargs))


def replay_context(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The plain keyword arguments a mapping got besides the account: a replay passes them
    again to the platform's ``normalize_*`` (see :mod:`channelhub.mappings.catalog`)."""
    return {
        key: value
        for key, value in kwargs.items()
        if key not in ("account", "source") and isinstance(value, str | int | float | bool)
    }


class RecordRefused(ChannelhubError):
    """A record fetched by id (a backfill) that its mapping could not read: it carries the
    failure (raw body and error) so the job can archive it and file it as a dead letter."""

    def __init__(self, failure: RecordFailure) -> None:
        self.failure = failure
        super().__init__(failure.reason)


def map_fetched(
    raw: RawRecord, mapping: Callable[..., Iterable[T]], *args: Any, **kwargs: Any
) -> list[T]:
    """The records ``mapping`` makes of one body fetched by id, or :class:`RecordRefused`."""
    result = map_one(raw, mapping, *args, **kwargs)
    if isinstance(result, RecordFailure):
        raise RecordRefused(result)
    return result


def one_of(mapping: Callable[..., T]) -> Callable[..., list[T]]:
    """A mapping that makes one record, as one that makes a list of them."""
    return lambda *args, **kwargs: [mapping(*args, **kwargs)]


@dataclass
class PageRecords(Generic[T]):
    """Collects one page: every raw body, the records mapped, the records set aside."""

    items: list[T] = field(default_factory=list)
    raws: list[RawRecord] = field(default_factory=list)
    failures: list[RecordFailure] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)
    contexts: list[dict[str, Any]] = field(default_factory=list)

    def take(
        self, raw: RawRecord, mapping: Callable[..., Iterable[T]], *args: Any, **kwargs: Any
    ) -> None:
        """Keep ``raw`` and the records ``mapping(*args, **kwargs)`` makes of it, or set it
        aside with its error."""
        self.raws.append(raw)
        self.contexts.append(replay_context(kwargs))
        result = map_one(raw, mapping, *args, **kwargs)
        if isinstance(result, RecordFailure):
            self.failures.append(result)
        else:
            self.items.extend(result)
            self.origins.extend([len(self.raws) - 1] * len(result))

    def take_one(
        self, raw: RawRecord, mapping: Callable[..., T], *args: Any, **kwargs: Any
    ) -> None:
        """:meth:`take` for a mapping that makes exactly one record."""
        self.take(raw, one_of(mapping), *args, **kwargs)

    def refuse(self, raw: RawRecord, reason: str) -> None:
        """Keep ``raw`` as set aside for a reason found before mapping it."""
        self.raws.append(raw)
        self.contexts.append({})
        self.failures.append(RecordFailure(raw=raw, reason=shorten(reason)))

    def page(self, cursor: str | None, done: bool) -> PageOf[T]:
        return PageOf(
            tuple(self.items),
            tuple(self.raws),
            cursor,
            done,
            tuple(self.failures),
            tuple(self.origins),
            tuple(self.contexts),
        )


class NextTokens:
    """The page tokens one pull has followed, so a token handed out twice stops the pull.

    A platform that repeats a next token (a bug, or a page that changed under it) would
    otherwise be followed forever. The page read with it is kept (the caller yields it
    first); :meth:`follow` then raises a :class:`ContractViolation` naming the operation,
    which the runner records as the run's error.
    """

    def __init__(self, operation: str, account: str, first: str | None = None) -> None:
        self.operation = operation
        self.account = account
        self.seen: set[str] = {first} if first else set()

    def follow(self, token: str) -> None:
        """Note ``token`` as the next one to follow; raise when it was followed before."""
        if token in self.seen:
            raise ContractViolation(
                f"{self.operation} of {self.account!r} answered a next token it had already "
                f"given ({shorten(token, 60)!r}) after {len(self.seen)} page(s); stopped "
                "instead of reading the same pages forever. What was read is kept; the next "
                "run starts again from the last saved page."
            )
        self.seen.add(token)


@dataclass
class ChannelLines:
    """The lines of a fulfilment a channel reports, read line by line.

    The specs type a package line's quantity as a bare integer, so 0 or less (or no number
    at all) is a valid answer; a seller expects such a line to mean "nothing of it in this
    package", not the whole fulfilment (and every push that reads it first) to fail. It is
    left out with its reason in ``skipped``; the fulfilment and its other lines stand.
    """

    lines: list[PackageLine] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, sku: str, quantity: object, order_line_id: str | None) -> None:
        whole = quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else None
        text = quantity.strip() if isinstance(quantity, str) else ""
        if text.isascii() and text.isdigit() and len(text) <= 12:  # no giant ints parsed
            whole = int(text)
        if whole is None or whole <= 0:
            self.skipped.append(
                f"line {shorten(str(order_line_id or sku), 80)}: quantity "
                f"{shorten(repr(quantity), 40)} is not a positive whole number; left out"
            )
            return
        try:
            self.lines.append(PackageLine(sku=sku, quantity=whole, order_line_id=order_line_id))
        # one reported line the model refuses (an SKU out of bounds, a quantity beyond its
        # limit) is this line's problem: it is left out with why, never the fulfilment's
        except ValueError as error:
            self.skipped.append(
                f"line {shorten(str(order_line_id or sku), 80)}: left out: {describe_error(error)}"
            )
