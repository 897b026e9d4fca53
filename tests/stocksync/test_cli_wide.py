"""Output that is not a terminal (a pipe, CI, a log file) keeps every table cell whole."""

from __future__ import annotations

import io
from typing import Any

import pytest
from typer.testing import CliRunner

from channelhub.cli import app
from channelhub.cli.output import PIPE_WIDTH, CliConsole, cli_console
from tests.stocksync.seed import FakeChannel, add_listing
from tests.stocksync.test_cli import hub  # noqa: F401  (the fixture)
from tests.stocksync.test_cli_safety import channel  # noqa: F401  (the fixture)

LONG_ID = "AMZN-LISTING-" + "0123456789" * 8  # far wider than an 80-column table cell


def test_a_piped_preview_shows_a_long_listing_id_whole(
    hub: Any,  # noqa: F811
    channel: FakeChannel,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # what CI or a script's environment says
    _, factory = hub
    with factory.begin() as session:
        add_listing(session, "amazon", "us1", LONG_ID, sku="MUG", channel_sku="MUG-" + LONG_ID)
    result = CliRunner().invoke(
        app, ["--home", str(hub[0].home), "stock", "push", "us1", "--preview"]
    )
    assert result.exit_code == 0, result.output
    assert f"amazon:us1:{LONG_ID}" in result.output
    assert f"MUG-{LONG_ID}" in result.output
    assert "…" not in result.output


def test_a_terminal_keeps_its_width_and_anything_else_is_wide(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "90")
    assert CliConsole(file=io.StringIO(), force_terminal=True).width == 90
    assert CliConsole(file=io.StringIO(), force_terminal=True, terminal_width=120).width == 120
    assert cli_console(terminal_width=120).width == PIPE_WIDTH  # pytest's stdout is no tty
    out = io.StringIO()
    CliConsole(file=out).print("x" * 300)
    assert out.getvalue() == "x" * 300 + "\n"  # one line, not wrapped at 90
