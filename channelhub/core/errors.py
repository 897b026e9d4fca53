"""Errors a user, a seller or an operator can cause, worded as one sentence each.

Every error here names what is at fault (the field and the value) and why, so the CLI can
print it as a single line and an API can return it as is.
"""

from __future__ import annotations

from collections.abc import Sequence


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
        return cls([f"{field}: {value!r} {why}"], source=source)


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
