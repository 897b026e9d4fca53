"""Where the platforms' published contracts live for tests: ``contracts/`` in this repository.

Only the files the tests read are vendored there, each platform folder with its SOURCE.txt and
LICENSE-NOTE.txt (see contracts/README.md). The Shopify Admin schema is package data instead
(the simulator needs it at run time): ``channelhub.simulators.shopify.schema``.
"""

from __future__ import annotations

from pathlib import Path

CONTRACTS_DIR = Path(__file__).resolve().parents[1] / "contracts"


def contract_file(*parts: str) -> Path:
    """One vendored contract file, e.g. ``contract_file("amazon", "ordersV0.json")``.

    A name that is not vendored fails loudly here rather than as a confusing read error.
    """
    path = CONTRACTS_DIR.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is not vendored: copy it with its SOURCE note (see contracts/README.md)"
        )
    return path
