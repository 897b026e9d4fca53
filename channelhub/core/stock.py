"""Warehouses and the stock ledger's movements.

Stock is a ledger: balances are derived by summing movements, never stored as a number to
overwrite, so every quantity pushed to a channel can be explained. Each movement kind has a
fixed effect on the two balances, *on hand* and *reserved*, of one warehouse x SKU.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Generic, TypeVar, overload

from pydantic import BaseModel, Field, model_validator

from channelhub.core.codes import COUNTRIES
from channelhub.core.types import VALUE_CONFIG, SkuCode, UtcDatetime


class Warehouse(BaseModel):
    """A place that holds stock: own, third-party (3PL) or overseas."""

    model_config = VALUE_CONFIG

    code: str = Field(min_length=1, max_length=64)
    name: str | None = None
    country: str
    region: str | None = None
    account: str | None = None  # the WMS connector account that serves it
    external_id: str | None = None  # the WMS's own id for this warehouse / location

    @model_validator(mode="after")
    def _iso_country(self) -> Warehouse:
        if self.country not in COUNTRIES:
            raise ValueError(f"warehouse {self.code}: {self.country!r} is not an ISO country code")
        return self


class MovementKind(StrEnum):
    """What happened to stock. The effect of each kind is fixed in :func:`deltas`."""

    RECEIVE = "receive"  # goods in: +on hand
    RESERVE = "reserve"  # promised to an order: +reserved
    RELEASE = "release"  # promise withdrawn: -reserved
    CONSUME = "consume"  # shipped against a reservation: -on hand, -reserved
    ADJUST = "adjust"  # count corrected (signed): +/-on hand
    ASSEMBLE = "assemble"  # kits built (+kit) or their components used (-component): signed
    DISASSEMBLE = "disassemble"  # kits broken (-kit) or components returned (+component): signed


#: The kinds whose quantity is signed (the others take a positive one).
_SIGNED = frozenset({MovementKind.ADJUST, MovementKind.ASSEMBLE, MovementKind.DISASSEMBLE})


class StockMovement(BaseModel):
    """One entry of the ledger. ``quantity`` is positive except for the signed kinds."""

    model_config = VALUE_CONFIG

    warehouse: str
    sku: SkuCode
    kind: MovementKind
    quantity: int
    reason: str = Field(min_length=1)
    reference: str | None = None  # order / outbound / snapshot that caused it
    at: UtcDatetime

    @model_validator(mode="after")
    def _sign_fits_kind(self) -> StockMovement:
        # runs again wherever a movement is a field (a reservation plan's): kept cheap
        if self.quantity == 0:
            raise ValueError("a movement of 0 units records nothing")
        if self.quantity < 0 and self.kind not in _SIGNED:
            raise ValueError(f"a {self.kind.value} movement takes a positive quantity")
        return self

    def deltas(self) -> tuple[int, int]:
        """(on hand change, reserved change) this movement makes."""
        return movement_deltas(self.kind, self.quantity)


#: (on hand, reserved) change of one unit of each kind: a lookup, where a ``match`` on the
#: kinds compared ``kind`` with each member in turn (read for every movement a chunk reserves)
_PER_UNIT: dict[MovementKind, tuple[int, int]] = {
    MovementKind.RECEIVE: (1, 0),
    MovementKind.ADJUST: (1, 0),
    MovementKind.ASSEMBLE: (1, 0),
    MovementKind.DISASSEMBLE: (1, 0),
    MovementKind.RESERVE: (0, 1),
    MovementKind.RELEASE: (0, -1),
    MovementKind.CONSUME: (-1, -1),
}


def movement_deltas(kind: MovementKind, quantity: int) -> tuple[int, int]:
    """(on hand change, reserved change) of ``quantity`` units of a ``kind`` movement."""
    on_hand, reserved = _PER_UNIT[kind]
    return on_hand * quantity, reserved * quantity


class Balance(BaseModel):
    """On hand and reserved for one warehouse x SKU; available is what may still be promised."""

    model_config = VALUE_CONFIG

    warehouse: str
    sku: SkuCode
    on_hand: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        """On hand less reserved, never below zero."""
        left = self.on_hand - self.reserved  # read for every warehouse tried: no max() call
        return left if left > 0 else 0


_T = TypeVar("_T")
_B = TypeVar("_B")


class UnitsView(Mapping[tuple[str, str], int], Generic[_B]):
    """Units by (warehouse, sku) worked out from ``base`` when read, with ``base``'s keys: a
    view, where a dict of every entry would be copied for each order allocated. Subclasses
    say how a unit count is read (``__getitem__`` and ``get``)."""

    __slots__ = ("_base",)

    def __init__(self, base: Mapping[tuple[str, str], _B]) -> None:
        self._base = base

    def __contains__(self, key: object) -> bool:
        return key in self._base

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)


class Available(UnitsView[Balance]):
    """The units available (:attr:`Balance.available`) by (warehouse, sku) of ``balances``,
    read when asked: allocating one order reads a few of the hundreds of balances a chunk of
    orders locked, and working them all out for each order cost as much as the chunk has."""

    __slots__ = ()

    def __getitem__(self, key: tuple[str, str]) -> int:
        return self._base[key].available

    @overload
    def get(self, key: tuple[str, str], /) -> int | None: ...
    @overload
    def get(self, key: tuple[str, str], /, default: int | _T) -> int | _T: ...
    def get(self, key: tuple[str, str], /, default: object = None) -> object:
        balance = self._base.get(key)
        return default if balance is None else balance.available


def balances(movements: Iterable[StockMovement]) -> dict[tuple[str, str], Balance]:
    """Fold a ledger into balances keyed by (warehouse, sku)."""
    totals: dict[tuple[str, str], tuple[int, int]] = {}
    for move in movements:
        on_hand, reserved = totals.get((move.warehouse, move.sku), (0, 0))
        d_on_hand, d_reserved = move.deltas()
        totals[(move.warehouse, move.sku)] = (on_hand + d_on_hand, reserved + d_reserved)
    return {
        key: Balance(warehouse=key[0], sku=key[1], on_hand=oh, reserved=rs)
        for key, (oh, rs) in totals.items()
    }
