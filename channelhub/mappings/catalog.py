"""Which mapping turns which platform's payload into which canonical records.

Each platform's mapping module exposes ``normalize_orders(payload, *, account)`` and
``normalize_listings(payload, *, account)``; this table finds them by name so the CLI and
the jobs need no per-platform branches. Modules are imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from pydantic import BaseModel

from channelhub.core.errors import InvalidInput

PLATFORMS: tuple[str, ...] = ("amazon", "shopify", "ebay", "temu", "walmart", "wish")
KINDS: dict[str, str] = {"order": "normalize_orders", "listing": "normalize_listings"}

Normalizer = Callable[..., list[BaseModel]]


def normalizer(platform: str, kind: str) -> Normalizer:
    """The function that normalises ``kind`` payloads of ``platform``."""
    if platform not in PLATFORMS:
        raise InvalidInput.field("platform", platform, f"is not one of {', '.join(PLATFORMS)}")
    if kind not in KINDS:
        raise InvalidInput.field("kind", kind, f"is not one of {', '.join(KINDS)}")
    try:
        module = importlib.import_module(f"channelhub.mappings.{platform}")
    except ModuleNotFoundError as exc:
        if exc.name != f"channelhub.mappings.{platform}":
            raise
        raise InvalidInput.field("platform", platform, "has no mapping installed yet") from exc
    function = getattr(module, KINDS[kind], None)
    if function is None:
        raise InvalidInput.field("kind", kind, f"is not supported for {platform} yet")
    return cast(Normalizer, function)
