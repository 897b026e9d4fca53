"""Shipped stock units back into channel units, through the order's recorded expansion.

Warehouses pick and report *stock* units (base units of singles and kits); a channel counts
its own order-line units. A 2-pack listing sold once ships TEE-M x 2, and a combo SET-MUGS
(MUG x 2 + COASTER x 1) ships two SKUs for one channel unit. Telling the channel "2" for an
order line with 1 unit open is refused, so every fulfilment pushed after a shipment is
converted here first.

The conversion uses the expansion the pipeline recorded when it planned the order (each
:class:`~channelhub.core.catalog.ExpandedLine` keeps the channel units it was made for), never
today's pairing: a listing re-bound since must not change what an old order means.

Per channel unit, component ``sku`` of a line needs ``quantity / ordered_quantity`` base
units. The channel quantity shipped for a line is the minimum over its components of
``floor(shipped / needed per unit)``: a bundle is reported only once *every* component of a
unit has shipped. A part-shipped bundle (the mugs left in one parcel, the coaster in the next)
is reported with the package that completes it, not before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from channelhub.core.catalog import ExpandedLine
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import PackageLine

#: (order line id, stock sku) -> base units
Attributed = dict[tuple[str, str], int]


def unit_needs(expansion: Sequence[ExpandedLine]) -> dict[str, dict[str, int]]:
    """Base units of each stock SKU one channel unit of each order line needs.

    Raises InvalidInput when an expansion line does not say how many channel units it was
    made for, or when its base units do not divide evenly by them (not a recipe).
    """
    needs: dict[str, dict[str, int]] = {}
    ordered: dict[str, int] = {}
    for index, line in enumerate(expansion):
        where = f"expansion[{index}]"
        if line.ordered_quantity is None:
            raise InvalidInput.field(
                f"{where}.ordered_quantity", None, f"is missing for order line {line.order_line_id}"
            )
        known = ordered.setdefault(line.order_line_id, line.ordered_quantity)
        if known != line.ordered_quantity:
            raise InvalidInput.field(
                f"{where}.ordered_quantity",
                line.ordered_quantity,
                f"differs from {known} recorded for order line {line.order_line_id}",
            )
        per_unit, left = divmod(line.quantity, line.ordered_quantity)
        if left:
            raise InvalidInput.field(
                f"{where}.quantity",
                line.quantity,
                f"of {line.sku} is not a whole multiple of {line.ordered_quantity} channel units",
            )
        line_needs = needs.setdefault(line.order_line_id, {})
        line_needs[line.sku] = line_needs.get(line.sku, 0) + per_unit
    return needs


def attribute(expansion: Sequence[ExpandedLine], shipped: Iterable[PackageLine]) -> Attributed:
    """Shipped base units by (order line, sku).

    A package line naming its order line counts there. One naming none (many warehouses
    report SKUs only) fills the order lines that need that SKU, in expansion order, up to
    what each was expanded to; units no line needs are left out (the reservation check
    refuses them before this runs).
    """
    capacity: dict[tuple[str, str], int] = {}
    for line in expansion:
        key = (line.order_line_id, line.sku)
        capacity[key] = capacity.get(key, 0) + line.quantity
    found: Attributed = {}
    loose: dict[str, int] = {}
    for item in shipped:
        if item.order_line_id is not None and (item.order_line_id, item.sku) in capacity:
            key = (item.order_line_id, item.sku)
            found[key] = found.get(key, 0) + item.quantity
        else:
            loose[item.sku] = loose.get(item.sku, 0) + item.quantity
    for (line_id, sku), room in capacity.items():
        spare = min(loose.get(sku, 0), max(room - found.get((line_id, sku), 0), 0))
        if spare:
            found[(line_id, sku)] = found.get((line_id, sku), 0) + spare
            loose[sku] -= spare
    return found


def channel_quantities(
    expansion: Sequence[ExpandedLine], shipped: Iterable[PackageLine]
) -> dict[str, int]:
    """Channel units shipped per order line of ``expansion`` (0 for a line with none whole).

    Never more than the channel units the expansion was made for.
    """
    needs = unit_needs(expansion)
    ordered = {line.order_line_id: line.ordered_quantity or 0 for line in expansion}
    got = attribute(expansion, shipped)
    return {
        line_id: min(
            [ordered[line_id]]
            + [got.get((line_id, sku), 0) // need for sku, need in components.items()]
        )
        for line_id, components in needs.items()
    }


def newly_shipped(
    expansion: Sequence[ExpandedLine],
    before: Iterable[PackageLine],
    package: Iterable[PackageLine],
) -> dict[str, int]:
    """Channel units a package completes, given what earlier packages already shipped.

    Only order lines with at least one unit made whole by ``package`` appear. This is what a
    fulfilment push for that package reports; a package holding only part of a bundle reports
    nothing (empty result) and its units count towards the package that completes it.
    """
    earlier = list(before)
    was = channel_quantities(expansion, earlier)
    now = channel_quantities(expansion, [*earlier, *package])
    return {line_id: now[line_id] - was[line_id] for line_id in now if now[line_id] > was[line_id]}


def channel_lines(
    expansion: Sequence[ExpandedLine], quantities: Mapping[str, int]
) -> tuple[PackageLine, ...]:
    """Package lines in channel units: one per order line, named by the SKU it is bound to."""
    bound = {line.order_line_id: line.bound_sku for line in expansion}
    return tuple(
        PackageLine(sku=bound[line_id], quantity=quantity, order_line_id=line_id)
        for line_id, quantity in quantities.items()
        if quantity > 0
    )
