"""Pairings in the database: the book in force, binding (a new version), unbinding.

Binding never edits a row: it retires the active version of the subject and inserts version
+ 1. The unique (subject, version) makes two concurrent re-binds collide (one fails and is
retried by its caller) instead of both becoming active.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, ListingRef, PairingBook, Scope
from channelhub.core.errors import NotFound
from channelhub.store.listed import dialect_of, listed
from channelhub.store.one_of import one_of
from channelhub.store.plain import plain
from channelhub.store.tables.orderflow import PairingRow


def _subject(binding: Binding) -> dict[str, str]:
    kind = "sku" if binding.channel_sku is not None else "listing"
    return {
        "scope": binding.scope.value,
        "channel": binding.channel or "",
        "account": binding.account or "",
        "kind": kind,
        "value": binding.channel_sku or binding.listing_id or "",
        "variation_id": binding.variation_id or "",
    }


#: What a binding is made of (read as plain columns: no ORM objects for a whole book).
_BINDING_COLUMNS = (
    PairingRow.scope, PairingRow.channel, PairingRow.account, PairingRow.kind, PairingRow.value,
    PairingRow.variation_id, PairingRow.sku, PairingRow.multiplier, PairingRow.version,
    PairingRow.source,
)  # fmt: skip


def _to_binding(row: Any) -> Binding:
    """A binding of a stored row (an ORM row or the plain ``_BINDING_COLUMNS``)."""
    sku_level = row.kind == "sku"
    return Binding(
        scope=Scope(row.scope),
        channel=row.channel or None,
        account=row.account or None,
        channel_sku=row.value if sku_level else None,
        listing_id=None if sku_level else row.value,
        variation_id=row.variation_id or None,
        sku=row.sku,
        multiplier=row.multiplier,
        version=row.version,
        source=row.source,
    )


def _active_row(session: Session, binding: Binding) -> PairingRow | None:
    query = select(PairingRow).where(PairingRow.active.is_(True))
    for column, value in _subject(binding).items():
        query = query.where(getattr(PairingRow, column) == value)
    return session.scalars(query).one_or_none()


def list_bindings(
    session: Session, *, channel: str | None = None, account: str | None = None
) -> list[Binding]:
    """Every active binding (optionally of one channel / account), oldest first."""
    query = select(*_BINDING_COLUMNS).where(PairingRow.active.is_(True)).order_by(PairingRow.id)
    if channel is not None:
        query = query.where(PairingRow.channel.in_([channel, ""]))
    if account is not None:
        query = query.where(PairingRow.account.in_([account, ""]))
    return [_to_binding(row) for row in session.execute(query)]


def load_book(
    session: Session,
    listings: Iterable[ListingRef] | None = None,
    *,
    built: BuiltBindings | None = None,
) -> PairingBook:
    """The bindings in force as a :class:`PairingBook` (PairingConflict if they disagree).

    With ``listings``, only the bindings that could pair them (naming one's channel SKU or
    listing id, on ``ix_pairings_active``): the book resolves those listings exactly as the
    whole one does, and reading it costs the same for ten bindings or a hundred thousand.
    ``built``: the bindings already built from rows read before (:data:`BuiltBindings`),
    taken from and added to.
    """
    if listings is None:
        return PairingBook(list_bindings(session))
    refs = list(listings)
    skus = {ref.channel_sku for ref in refs if ref.channel_sku is not None}
    ids = {ref.listing_id for ref in refs if ref.listing_id is not None}
    values = {name: list(found) for name, found in (("skus", skus), ("ids", ids)) if found}
    if not values:
        return PairingBook()
    query = _book_query(dialect_of(session), "skus" in values, "ids" in values)
    rows = plain(session).execute(query, values)
    if built is None:
        return PairingBook(_to_binding(row) for row in rows)
    return PairingBook(_built(tuple(row), built) for row in rows)


#: Bindings by the values of the row each was built from (its ``_BINDING_COLUMNS``): an
#: import run's planner reads its pages' books anew, mostly the rows the pages before read,
#: and building each binding's model again was a fifth of a page's re-read of its book and
#: catalog (~0.08 ms of ~0.45 on SQLite). A binding is a frozen value of those values alone.
BuiltBindings = dict[tuple[Any, ...], Binding]


def _built(values: tuple[Any, ...], built: BuiltBindings) -> Binding:
    binding = built.get(values)
    if binding is None:
        binding = built[values] = _to_binding(_BindingRow(*values))
    return binding


class _BindingRow(NamedTuple):
    """A row of the ``_BINDING_COLUMNS`` by name, as :func:`_to_binding` reads one."""

    scope: str
    channel: str
    account: str
    kind: str
    value: str
    variation_id: str
    sku: str
    multiplier: int
    version: int
    source: str


@cache
def _book_query(dialect: str, by_sku: bool, by_listing: bool) -> Select[*tuple[Any, ...]]:
    """The bindings naming one of ``:skus`` (channel SKUs) or ``:ids`` (listing ids), built
    once per database and kind of listing (:mod:`channelhub.store.listed`)."""
    # each branch names ``active`` itself: SQLite then searches the index once per branch
    # (multi-index OR); with ``active`` outside the OR it read every active binding
    p = PairingRow
    subjects = [
        and_(p.active.is_(True), p.kind == kind, listed(p.value, name, dialect))
        for kind, name, wanted in (("sku", "skus", by_sku), ("listing", "ids", by_listing))
        if wanted
    ]
    return select(*_BINDING_COLUMNS).where(or_(*subjects)).order_by(PairingRow.id)


def bindings_shipping(session: Session, skus: Iterable[str]) -> list[Binding]:
    """The active bindings to one of ``skus``, oldest first: their subjects are the listings
    a stock change of those SKUs can reach (the stock push reads these instead of the
    book), found on ``ix_pairings_active_sku``."""
    wanted = sorted(set(skus))
    if not wanted:
        return []
    query = (
        select(*_BINDING_COLUMNS)
        .where(PairingRow.active.is_(True), one_of(session, PairingRow.sku, wanted))
        .order_by(PairingRow.id)
    )
    return [_to_binding(row) for row in session.execute(query)]


def save_binding(session: Session, binding: Binding, *, now: datetime, actor: str) -> Binding:
    """Make ``binding`` the active one for its subject; returns it with its new version.

    Binding the same target again changes nothing and returns the active version.
    """
    current = _active_row(session, binding)
    if current is not None and (current.sku, current.multiplier) == binding.target:
        return _to_binding(current)
    version = 1
    if current is not None:
        version = current.version + 1
        current.active = False
        current.retired_at = now
    else:
        latest = session.scalars(
            select(PairingRow.version)
            .where(*(getattr(PairingRow, c) == v for c, v in _subject(binding).items()))
            .order_by(PairingRow.version.desc())
            .limit(1)
        ).first()
        version = (latest or 0) + 1
    row = PairingRow(
        **_subject(binding),
        sku=binding.sku,
        multiplier=binding.multiplier,
        version=version,
        source=binding.source,
        active=True,
        actor=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _to_binding(row)


def retire_binding(session: Session, binding: Binding, *, now: datetime) -> Binding:
    """Unbind: the subject's active version is retired (kept for history)."""
    current = _active_row(session, binding)
    if current is None:
        raise NotFound(f"no active binding for {binding.describe().rsplit(' -> ', 1)[0]}")
    session.execute(
        update(PairingRow)
        .where(PairingRow.id == current.id)
        .values(active=False, retired_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return _to_binding(current)


def binding_history(session: Session, binding: Binding) -> Sequence[Binding]:
    """Every version of ``binding``'s subject, oldest first."""
    query = select(PairingRow).order_by(PairingRow.version)
    for column, value in _subject(binding).items():
        query = query.where(getattr(PairingRow, column) == value)
    return [_to_binding(row) for row in session.scalars(query)]


@dataclass(frozen=True)
class BindingVersion:
    """One version of a binding with who made it, when, and when it was retired."""

    binding: Binding
    active: bool
    actor: str
    created_at: datetime
    retired_at: datetime | None


def binding_versions(session: Session, binding: Binding) -> list[BindingVersion]:
    """Every version of ``binding``'s subject with its who and when, oldest first."""
    query = select(PairingRow).order_by(PairingRow.version)
    for column, value in _subject(binding).items():
        query = query.where(getattr(PairingRow, column) == value)
    return [
        BindingVersion(_to_binding(row), row.active, row.actor, row.created_at, row.retired_at)
        for row in session.scalars(query)
    ]
