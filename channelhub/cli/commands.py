"""Imports every command module so that each registers itself on the app."""

from channelhub.cli import normalize  # noqa: F401
