"""Every order-flow rule set in one validated model, as read from one TOML document.

The caller reads the file (``tomllib``) and hands the dict to :func:`load_rulebook`; faults
come back as one InvalidInput naming each field and value (``review.rules[2].limits: ...``).
Sections: ``[pairing]``, ``[[review.rules]]``, ``[allocation]``, ``[merge]``, ``[stock]``,
``[replenishment]``; each is optional and defaults to the permissive setting.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.merge import MergeConfig
from channelhub.core.pairing import PairingConfig
from channelhub.core.replenishment import ReplenishmentConfig
from channelhub.core.review import ReviewRules
from channelhub.core.sellable import StockRules
from channelhub.core.validation import parse


class Rulebook(BaseModel):
    """The order-flow configuration: pairing, review, allocation, merge and stock rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pairing: PairingConfig = Field(default_factory=PairingConfig)
    review: ReviewRules = Field(default_factory=ReviewRules)
    allocation: AllocationConfig = Field(default_factory=AllocationConfig)
    merge: MergeConfig = Field(default_factory=MergeConfig)
    stock: StockRules = Field(default_factory=StockRules)
    replenishment: ReplenishmentConfig = Field(default_factory=ReplenishmentConfig)


def load_rulebook(data: Mapping[str, object], *, source: str = "rules") -> Rulebook:
    """Validate a parsed TOML document; InvalidInput lists every fault with its field path."""
    return parse(Rulebook, dict(data), source=source)
