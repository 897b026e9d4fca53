"""The one way the CLI builds a rich console, so no output is cut when it is not a terminal.

A terminal gets rich's usual width (its own, or a fixed ``terminal_width``). Anything else (a
pipe, a file, CI, a script) gets :data:`PIPE_WIDTH`: rich would otherwise assume 80 columns
and cut table cells to ``channe…``, and a preview or job log saved to a file must keep every
listing id and error whole. Tables are sized to their content, so the wide limit does not pad.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleDimensions

#: The width of output that is not a terminal: wide enough that no line is ever cut.
PIPE_WIDTH = 10_000


class CliConsole(Console):
    """A :class:`~rich.console.Console` that is :data:`PIPE_WIDTH` wide off a terminal.

    Whether the output is a terminal is asked at each print, so a console made at import
    time follows whatever stdout is when it prints (a test runner swaps it).
    """

    def __init__(self, *, terminal_width: int | None = None, **kwargs: Any) -> None:
        super().__init__(highlight=False, **kwargs)
        self._terminal_width = terminal_width

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if not self.is_terminal:
            return ConsoleDimensions(PIPE_WIDTH, size.height)
        if self._terminal_width is not None:
            return ConsoleDimensions(self._terminal_width, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        width, height = new_size
        self._width = width
        self._height = height


def cli_console(
    *, stderr: bool = False, soft_wrap: bool = False, terminal_width: int | None = None
) -> CliConsole:
    """A console for a command's output (or ``stderr=True`` for its errors)."""
    return CliConsole(stderr=stderr, soft_wrap=soft_wrap, terminal_width=terminal_width)


#: The console of error lines (one error, one line), shared by the commands.
err_console = cli_console(stderr=True, soft_wrap=True)
