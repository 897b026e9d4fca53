"""Bindings (商品配对 results): which local SKU, times how many, a channel listing ships.

A binding is explicit and scoped: one for an account beats one for the whole channel, which
beats a global one. Within one scope a channel SKU (or a listing) resolves to exactly one local
SKU; two different answers are a :class:`PairingConflict` the seller settles, never a random
pick. Bindings are versioned: a re-bind gets version + 1 so waiting orders can be re-evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar, cast

from pydantic import BaseModel, Field, model_validator

from channelhub.core.errors import ChannelhubError
from channelhub.core.listing import Listing
from channelhub.core.memo import MEMO_LIMIT, remember
from channelhub.core.order import Order, OrderLine
from channelhub.core.types import VALUE_CONFIG, PositiveQty, SkuCode


class Scope(StrEnum):
    """How wide a binding applies. Narrower scopes win."""

    ACCOUNT = "account"
    CHANNEL = "channel"
    GLOBAL = "global"


SCOPE_ORDER: tuple[Scope, ...] = (Scope.ACCOUNT, Scope.CHANNEL, Scope.GLOBAL)

_T = TypeVar("_T")

#: Listings a :class:`PairingBook` remembers resolving before it forgets them all.
RESOLVED_LIMIT = MEMO_LIMIT

#: What resolving reads of a listing: (channel, account, listing id, variation id, channel SKU).
_Listed = tuple[str, str, str | None, str | None, str | None]


class ListingRef(BaseModel):
    """What pairing knows of a listing, from a Listing or from an order line."""

    model_config = VALUE_CONFIG

    channel: str
    account: str
    listing_id: str | None = None
    variation_id: str | None = None
    channel_sku: str | None = None
    identifiers: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of_listing(cls, listing: Listing) -> ListingRef:
        """The reference of a stored channel listing."""
        return cls(
            channel=listing.channel,
            account=listing.account,
            listing_id=listing.listing_id,
            variation_id=listing.variation_id,
            channel_sku=listing.channel_sku,
            identifiers=dict(listing.identifiers),
        )

    @staticmethod
    def of_line(order: Order, line: OrderLine) -> ListingRef:
        """The listing an order line sold (one shared instance per listing)."""
        return _line_ref(
            order.channel, order.account, line.listing_id, line.variation_id, line.channel_sku
        )

    def __str__(self) -> str:
        sku = f" sku {self.channel_sku}" if self.channel_sku else ""
        lid = f" listing {self.listing_id}" if self.listing_id else ""
        var = f"/{self.variation_id}" if self.variation_id else ""
        return f"{self.channel}:{self.account}{lid}{var}{sku}"


@lru_cache(maxsize=4096)
def _line_ref(
    channel: str,
    account: str,
    listing_id: str | None,
    variation_id: str | None,
    channel_sku: str | None,
) -> ListingRef:
    """The reference of what order lines sell, one frozen instance per listing: the same
    listings sell in order after order, and planning and loading the book each ask for it."""
    return ListingRef(
        channel=channel,
        account=account,
        listing_id=listing_id,
        variation_id=variation_id,
        channel_sku=channel_sku,
    )


class Binding(BaseModel):
    """One pairing: a channel SKU (or, with no SKU level, a listing) -> multiplier x local SKU.

    ``channel`` is required for the account and channel scopes, ``account`` for the account
    scope. ``version`` rises on each re-bind so open orders can be re-evaluated.
    """

    model_config = VALUE_CONFIG

    scope: Scope
    channel: str | None = None
    account: str | None = None
    channel_sku: str | None = None
    listing_id: str | None = None
    variation_id: str | None = None
    sku: SkuCode
    multiplier: PositiveQty = 1
    version: PositiveQty = 1
    source: str = "manual"  # manual | auto

    @model_validator(mode="after")
    def _subject_fits_scope(self) -> Binding:
        if (self.channel_sku is None) == (self.listing_id is None):
            raise ValueError("a binding names exactly one of channel_sku or listing_id")
        if self.variation_id is not None and self.listing_id is None:
            raise ValueError("variation_id belongs to a listing-level binding")
        if self.scope is not Scope.GLOBAL and not self.channel:
            raise ValueError(f"an {self.scope.value}-scope binding needs its channel")
        if self.scope is Scope.ACCOUNT and not self.account:
            raise ValueError("an account-scope binding needs its account")
        if self.scope is Scope.GLOBAL and (self.channel or self.account):
            raise ValueError("a global binding names no channel or account")
        if self.scope is Scope.CHANNEL and self.account:
            raise ValueError("a channel-scope binding names no account")
        if self.listing_id is not None and self.scope is Scope.GLOBAL:
            raise ValueError("listing ids belong to a channel: a listing binding cannot be global")
        return self

    @property
    def key(self) -> tuple[str, str | None, str | None, str, str | None, str | None]:
        """What the binding is for: (scope, channel, account, kind, value, variation)."""
        kind, value = (
            ("sku", self.channel_sku) if self.channel_sku else ("listing", self.listing_id)
        )
        return (self.scope.value, self.channel, self.account, kind, value, self.variation_id)

    @property
    def target(self) -> tuple[str, int]:
        """What it ships: (local sku, multiplier)."""
        return (self.sku, self.multiplier)

    def describe(self) -> str:
        """One line for the seller: ``account shopify:shop1 sku MUG-2PK -> 2 x MUG (v3)``."""
        where = ":".join(p for p in (self.channel, self.account) if p) or "every channel"
        what = f"sku {self.channel_sku}" if self.channel_sku else f"listing {self.listing_id}"
        if self.variation_id:
            what += f"/{self.variation_id}"
        return (
            f"{self.scope.value} {where} {what} -> {self.multiplier} x {self.sku} (v{self.version})"
        )


class PairingConflict(ChannelhubError):
    """One channel SKU or listing resolves to two different local SKUs in the same scope."""

    def __init__(self, subject: str, options: Iterable[str]) -> None:
        self.subject = subject
        self.options = tuple(options)
        super().__init__(
            f"{subject} pairs to more than one local SKU in the same scope: "
            + "; ".join(self.options)
            + " — bind it by hand to one of them"
        )


class PairingBook:
    """The bindings in force, checked for conflicts; resolves a listing by scope precedence."""

    def __init__(self, bindings: Iterable[Binding] = ()) -> None:
        current: dict[tuple[str, str | None, str | None, str, str | None, str | None], Binding] = {}
        for binding in bindings:
            seen = current.get(binding.key)
            if seen is None or binding.version > seen.version:
                current[binding.key] = binding
            elif binding.version == seen.version and binding.target != seen.target:
                raise PairingConflict(_subject(binding), [seen.describe(), binding.describe()])
        self._bindings = current
        # the bindings of each subject, in the book's order: a listing can only be bound by
        # those naming its listing id or its channel SKU, so resolving reads just those
        by_subject: dict[tuple[str, str], list[Binding]] = {}
        by_sku: dict[str, list[Binding]] = {}
        for binding in current.values():
            by_subject.setdefault(_subject_of(binding), []).append(binding)
            by_sku.setdefault(binding.sku, []).append(binding)
        self._by_subject = by_subject
        self._by_sku = by_sku
        self._rank = {key: n for n, key in enumerate(current)}
        # what resolve found for each listing (the book never changes): its binding or none,
        # or the (subject, options) of its conflict, raised anew for each caller
        self._resolved: dict[_Listed, Binding | tuple[str, tuple[str, ...]] | None] = {}
        # what pairing made of a bound listing instance (the instance kept in its entry, so
        # its id cannot be reused while it is there): see outcome_of
        self._outcomes: dict[tuple[int, bool], tuple[ListingRef, object]] = {}

    def __iter__(self) -> Iterator[Binding]:
        return iter(self._bindings.values())

    def __len__(self) -> int:
        return len(self._bindings)

    def bindings(self) -> tuple[Binding, ...]:
        """Every binding in force."""
        return tuple(self._bindings.values())

    def bind(self, binding: Binding) -> tuple[PairingBook, Binding]:
        """A book with ``binding`` in force; a re-bind of the same subject gets version + 1."""
        seen = self._bindings.get(binding.key)
        version = seen.version + 1 if seen else 1
        stored = binding.model_copy(update={"version": version})
        return PairingBook([*self._bindings.values(), stored]), stored

    def unbind(self, binding: Binding) -> PairingBook:
        """A book without the binding for ``binding``'s subject."""
        return PairingBook(b for k, b in self._bindings.items() if k != binding.key)

    def resolve(self, listing: ListingRef) -> Binding | None:
        """The binding that applies: account over channel over global; a listing-level
        binding over a SKU-level one in the same scope. PairingConflict when ambiguous.

        Remembered per listing (all of it resolving reads, identifiers aside): an order
        sells the same listings as many before it."""
        listed = (
            listing.channel,
            listing.account,
            listing.listing_id,
            listing.variation_id,
            listing.channel_sku,
        )
        try:
            found = self._resolved[listed]
        except KeyError:
            try:
                found = self._resolve(listing)
            except PairingConflict as conflict:
                found = (conflict.subject, conflict.options)
            remember(self._resolved, listed, found)
        if isinstance(found, tuple):
            raise PairingConflict(*found)
        return found

    def outcome_of(self, listing: ListingRef, in_catalog: bool, make: Callable[[], _T]) -> _T:
        """``make()``, what pairing says of ``listing`` bound in this book (its SKU in the
        catalog or not), made once per listing instance: order lines share one instance per
        listing (:meth:`ListingRef.of_line`), and the book never changes."""
        key = (id(listing), in_catalog)
        found = self._outcomes.get(key)
        if found is not None and found[0] is listing:
            return cast(_T, found[1])
        made = make()
        remember(self._outcomes, key, (listing, made))
        return made

    def _resolve(self, listing: ListingRef) -> Binding | None:
        mine = self._candidates(listing)
        for scope in SCOPE_ORDER:
            found = [b for b in mine if b.scope is scope and _applies(b, listing)]
            if not found:
                continue
            listing_level = [b for b in found if b.listing_id is not None]
            exact_variation = [b for b in listing_level if b.variation_id is not None]
            chosen = exact_variation or listing_level or found
            targets = {b.target for b in chosen}
            if len(targets) > 1:
                raise PairingConflict(str(listing), sorted(b.describe() for b in chosen))
            return chosen[0]
        return None

    def bound_to(self, sku: str) -> tuple[Binding, ...]:
        """Every binding that ships ``sku`` (for stock push and re-evaluation)."""
        return tuple(self._by_sku.get(sku, ()))

    def _candidates(self, listing: ListingRef) -> list[Binding]:
        """The bindings naming ``listing``'s listing id or channel SKU, in the book's order."""
        by_listing = self._by_subject.get(("listing", listing.listing_id or ""), [])
        by_sku = self._by_subject.get(("sku", listing.channel_sku or ""), [])
        if not by_listing or not by_sku:
            return by_listing or by_sku
        return sorted((*by_listing, *by_sku), key=lambda b: self._rank[b.key])


def _applies(binding: Binding, listing: ListingRef) -> bool:
    if binding.channel is not None and binding.channel != listing.channel:
        return False
    if binding.account is not None and binding.account != listing.account:
        return False
    if binding.listing_id is not None:
        if binding.listing_id != listing.listing_id:
            return False
        return binding.variation_id is None or binding.variation_id == listing.variation_id
    return binding.channel_sku is not None and binding.channel_sku == listing.channel_sku


def _subject_of(binding: Binding) -> tuple[str, str]:
    """What a binding is looked up by: its listing id, else its channel SKU."""
    if binding.listing_id is not None:
        return ("listing", binding.listing_id)
    return ("sku", binding.channel_sku or "")


def _subject(binding: Binding) -> str:
    return binding.describe().rsplit(" -> ", 1)[0]
