"""The whole product library as a core :class:`~channelhub.core.catalog.Catalog`, and the
stock row locks that make reservations safe under concurrency.

Locking: before reading the balances it will reserve against, a writer locks the SKU rows of
every stock SKU it needs, in code order (no deadlocks). PostgreSQL takes row locks with
``SELECT ... FOR UPDATE``; SQLite has no row locks, so a no-op UPDATE of the same rows takes
the database's single write lock at once, serialising reservation writers (the busy timeout
makes the next one wait). Either way the lock lasts until the transaction ends.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from channelhub.core.catalog import Catalog
from channelhub.core.products import Sku
from channelhub.store.one_of import one_of
from channelhub.store.repos.products import cost_fields
from channelhub.store.tables.products import SkuRow


def load_catalog(session: Session) -> Catalog:
    """Every SKU with its recipe, checked (unknown components, cycles) by Catalog."""
    rows = session.scalars(select(SkuRow).options(selectinload(SkuRow.components)))
    return Catalog(
        Sku.model_validate(
            {
                "code": row.code,
                "kind": row.kind,
                "title": row.title,
                "barcode": row.barcode,
                "spu": row.spu,
                "units": row.units,
                "attributes": dict(row.attributes or {}),
                "components": [{"sku": c.component_code, "qty": c.qty} for c in row.components],
                **cost_fields(row),
            },
            strict=False,
        )
        for row in rows
    )


def lock_skus(session: Session, codes: Iterable[str]) -> None:
    """Hold the stock lock of ``codes`` until the transaction ends (see module docstring)."""
    wanted = sorted(set(codes))
    if not wanted:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(SkuRow.id)
            .where(one_of(session, SkuRow.code, wanted))
            .order_by(SkuRow.code)
            .with_for_update()
        ).all()
        return
    session.execute(
        update(SkuRow)
        .where(SkuRow.code.in_(wanted))
        .values(code=SkuRow.code)
        .execution_options(synchronize_session=False)
    )
