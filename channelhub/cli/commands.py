"""Imports every command module so that each registers itself on the app."""

from channelhub.cli import (
    accounts,  # noqa: F401
    demo,  # noqa: F401
    finance,  # noqa: F401
    home,  # noqa: F401
    jobs,  # noqa: F401
    normalize,  # noqa: F401
    orders,  # noqa: F401
    pairing,  # noqa: F401
    platforms,  # noqa: F401
    products,  # noqa: F401
    reconcile,  # noqa: F401
    reports,  # noqa: F401
    rules,  # noqa: F401
    run,  # noqa: F401
    simulate,  # noqa: F401
    stock,  # noqa: F401
    stock_levels,  # noqa: F401
    stock_transit,  # noqa: F401
    sync,  # noqa: F401
    users,  # noqa: F401
    warehouses,  # noqa: F401
)
