"""Errors a user, a seller or an operator can cause, worded as one sentence each.

Every error here names what is at fault (the field and the value) and why, so the CLI can
print it as a single line and an API can return it as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: The most characters of a value an error message quotes (a 2 MB title is not a message).
EXCERPT_CHARS = 200


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """``value`` as it is quoted in an error: its repr, cut to about ``limit`` characters.

    Containers are described, not printed (``dict of 3 keys``); a huge integer is described by
    its size, because its repr alone would cost quadratic time (and Python refuses past 4,300
    digits). Every error that quotes a value goes through here, so none can quote megabytes.
    """
    if isinstance(value, Mapping):
        return f"<object of {_count(len(value), 'key')}>" if value else "{}"
    if isinstance(value, list | tuple | set | frozenset):
        return f"<list of {_count(len(value), 'item')}>" if value else "[]"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"<whole number of about {int(value.bit_length() * 0.30103)} digits>"
    if isinstance(value, str | bytes) and len(value) > limit:
        cut = repr(value[:limit])
        return f"{cut}... ({len(value):,} {'characters' if isinstance(value, str) else 'bytes'})"
    try:
        shown = repr(value)
    except ValueError:  # a Decimal or int too large to print
        return f"<{type(value).__name__} too large to show>"
    return shown if len(shown) <= limit + 2 else f"{shown[:limit]}... ({len(shown):,} characters)"


class ChannelhubError(Exception):
    """Base of every error that is the user's to fix: printed as one line, never a traceback."""


class InvalidInput(ChannelhubError):
    """Input that cannot be accepted; ``problems`` holds one sentence per fault."""

    def __init__(self, problems: Sequence[str], *, source: str | None = None) -> None:
        self.problems: tuple[str, ...] = tuple(problems) or ("input is invalid",)
        self.source = source
        head = f"{source}: " if source else ""
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{head}{self.problems[0]}{more}")

    @classmethod
    def field(
        cls, field: str, value: object, why: str, *, source: str | None = None
    ) -> InvalidInput:
        """One problem with one field: ``field`` is a dotted path, ``value`` what was given."""
        return cls([f"{field}: {excerpt(value)} {why}"], source=source)


class IllegalTransition(ChannelhubError):
    """An order was asked to move between two statuses the lifecycle does not connect."""

    def __init__(self, current: str, target: str, *, subject: str | None = None) -> None:
        self.current = current
        self.target = target
        who = f"{subject}: " if subject else ""
        super().__init__(f"{who}an order cannot go from {current!r} to {target!r}")


class NotFound(ChannelhubError):
    """Something named by the user does not exist."""


class ConfigError(ChannelhubError):
    """The configuration file or environment holds a value that cannot be used."""
