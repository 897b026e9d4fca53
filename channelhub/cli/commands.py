"""Imports every command module so that each registers itself on the app."""

from channelhub.cli import (
    accounts,  # noqa: F401
    home,  # noqa: F401
    normalize,  # noqa: F401
    reconcile,  # noqa: F401
    simulate,  # noqa: F401
)
