"""Fixtures of the CLI tests."""

from tests.cli.hub import ready_hub as ready_hub
