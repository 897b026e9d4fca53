"""What each package of a shipment tells its channel, in the channel's own units.

Warehouses report stock units; channels count order-line units (a 2-pack sold once ships
TEE-M x 2; a combo ships its components). :func:`package_pushes` turns every package of a
shipment into the order lines and channel quantities it completes, using the expansion the
pipeline recorded with the outbound's ``dispatch`` decision (never today's pairing) and
what earlier shipments of the same outbound already carried, so a bundle whose parts travel
in two parcels is reported once, with the parcel that makes it whole.

Outbounds queued before the expansion was recorded (or written by hand) fall back to the
outbound's own lines and the stored order line: channel units = ordered less cancelled when
that divides the line's stock units evenly, else one stock unit per channel unit (the old
behaviour). Allocation never splits an order line across outbounds, so one outbound's
expansion and shipments are enough to count whole units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.catalog import ExpandedLine
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder, Package, PackageLine, Shipment
from channelhub.core.units import channel_lines, newly_shipped
from channelhub.jobs.fulfilment.outbound import order_row
from channelhub.jobs.orders.pipeline import EXPANSION
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import to_order
from channelhub.store.tables.fulfilment import PackageRow, ShipmentRow


@dataclass(frozen=True)
class PackagePush:
    """One package as its channel must hear it: ``channel`` holds channel-unit lines.

    ``deferred`` when the package completes no channel unit (it holds part of a bundle whose
    rest is still to ship): there is nothing the channel can be told yet. A package the
    warehouse listed no lines for (beside others that have some) keeps no lines: the channel
    connector decides what that means (Shopify ships what is still open).
    """

    package: Package
    stock_lines: tuple[PackageLine, ...]
    channel: Package
    deferred: bool


def recorded_expansion(session: Session, outbound: OutboundOrder) -> tuple[ExpandedLine, ...]:
    """The expansion ``outbound`` was made from, as the pipeline recorded it at planning."""
    row = order_row(session, outbound.order_key)
    if row is not None:
        for decision in reversed(order_decisions(session, row.id)):
            detail = decision.detail
            if (
                decision.kind == "dispatch"
                and detail.get("idempotency_key") == outbound.idempotency_key
                and EXPANSION in detail
            ):
                try:
                    return tuple(
                        ExpandedLine.model_validate(x, strict=False) for x in detail[EXPANSION]
                    )
                except ValidationError as error:
                    raise InvalidInput(
                        [f"the expansion recorded for {outbound.idempotency_key} is unreadable"],
                        source=str(error),
                    ) from None
    return _expansion_from_outbound(session, outbound)


def _expansion_from_outbound(session: Session, outbound: OutboundOrder) -> tuple[ExpandedLine, ...]:
    row = order_row(session, outbound.order_key)
    ordered: dict[str, int] = {}
    if row is not None:
        ordered = {
            line.line_id: line.quantity - line.cancelled_quantity for line in to_order(row).lines
        }
    stock: dict[str, dict[str, int]] = {}
    for line in outbound.lines:
        if line.order_line_id is None:
            continue  # no channel line to report it against
        by_sku = stock.setdefault(line.order_line_id, {})
        by_sku[line.sku] = by_sku.get(line.sku, 0) + line.quantity
    expansion: list[ExpandedLine] = []
    for line_id, by_sku in stock.items():
        units = ordered.get(line_id, 0)
        if not (units > 0 and all(q % units == 0 for q in by_sku.values())):
            if len(by_sku) > 1:  # a bundle whose unit size cannot be told
                raise InvalidInput(
                    [
                        f"outbound {outbound.idempotency_key} has no recorded expansion and "
                        f"order line {line_id} ({', '.join(sorted(by_sku))}) does not divide "
                        "into channel units"
                    ],
                    source=f"order {outbound.order_key}",
                )
            units = next(iter(by_sku.values()))
        expansion.extend(
            ExpandedLine(
                order_line_id=line_id,
                sku=sku,
                quantity=quantity,
                bound_sku=sku,
                ordered_quantity=units,
            )
            for sku, quantity in by_sku.items()
        )
    return tuple(expansion)


def _earlier_lines(session: Session, shipment: Shipment) -> list[PackageLine]:
    """Package lines of the outbound's shipments recorded before this one."""
    rows = session.scalars(
        select(PackageRow.lines)
        .join(ShipmentRow, PackageRow.shipment_id == ShipmentRow.id)
        .where(
            ShipmentRow.outbound_key == shipment.outbound_key,
            ~(
                (ShipmentRow.warehouse == shipment.warehouse)
                & (ShipmentRow.shipment_id == shipment.shipment_id)
            ),
        )
        .order_by(ShipmentRow.id, PackageRow.id)
    )
    return [PackageLine.model_validate(line, strict=False) for lines in rows for line in lines]


def package_pushes(
    session: Session,
    shipment: Shipment,
    outbound: OutboundOrder,
    shipped: Mapping[str, int],
) -> list[PackagePush]:
    """Each package of ``shipment`` with the channel-unit lines it completes.

    ``shipped`` is stock units per SKU the shipment holds (what was consumed): a shipment
    whose packages name no lines ships the rest of its reservation, counted with its first
    package; its other packages go as they came.
    """
    expansion = recorded_expansion(session, outbound)
    before = _earlier_lines(session, shipment)
    lineless = all(not package.lines for package in shipment.packages)
    pushes = []
    for index, package in enumerate(shipment.packages):
        stock = package.lines
        if lineless and index == 0:
            stock = tuple(PackageLine(sku=sku, quantity=q) for sku, q in shipped.items() if q)
        if not stock:  # the warehouse did not say what it holds: pushed as it came
            pushes.append(PackagePush(package, (), package, deferred=False))
            continue
        completed = newly_shipped(expansion, before, stock)
        before.extend(stock)
        lines = channel_lines(expansion, completed)
        channel = package.model_copy(update={"lines": lines})
        pushes.append(PackagePush(package, stock, channel, deferred=not lines))
    return pushes
