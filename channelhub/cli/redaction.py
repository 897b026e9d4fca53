"""The terminal's one choke point for secrets: everything a command writes to stdout/stderr.

A command binds a redactor for its whole run (:func:`terminal_redaction`); every connector
built during the command is created under it (:func:`~channelhub.core.redaction.child_redactor`)
and teaches it the account's credentials and the tokens obtained, so ``typer.echo``, rich
tables and the final ``error:`` line all pass the account's secret values before they reach
the terminal. The redactor lives as long as the command (one operator's own accounts, one
process) and is dropped with it: nothing outlives the command.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TextIO

from channelhub.core.redaction import SecretRedactor, active_redactor, redact_active, redacting


class RedactingStream:
    """A text stream that writes through the active redactor.

    It has no ``buffer`` on purpose: click then writes text to it instead of bytes around it.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact_active(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._stream, name)


@contextmanager
def terminal_redaction() -> Iterator[SecretRedactor]:
    """Bind a command-wide redactor (unless one is active) and route stdout/stderr through it."""
    redactor = active_redactor() or SecretRedactor("terminal")
    out, err = sys.stdout, sys.stderr
    with redacting(redactor):
        if not isinstance(out, RedactingStream):
            sys.stdout = RedactingStream(out)
        if not isinstance(err, RedactingStream):
            sys.stderr = RedactingStream(err)
        try:
            yield redactor
        finally:
            sys.stdout, sys.stderr = out, err


ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def redacting_excepthook(redactor: SecretRedactor) -> ExceptHook:
    """``sys.excepthook`` for a bug's traceback: printed whole (a bug report needs it), with
    the command's secret values removed."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(redactor.redact(text))

    return hook
