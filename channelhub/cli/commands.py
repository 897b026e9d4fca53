"""Imports every command module so that each registers itself on the app."""

from channelhub.cli import (
    normalize,  # noqa: F401
    simulate,  # noqa: F401
)
