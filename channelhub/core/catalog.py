"""The product library as a read-only view: SKUs by code, bundle expansion, units of measure.

An order line sells a listing; pairing binds that listing to a local SKU with a multiplier.
Warehouses and the ledger only know *stock units*: singles and kits. This module turns
"3 x listing bound to (COMBO-A, 2)" into the stock-unit lines that are reserved and picked:

- a single expands to itself;
- a kit expands to itself: it is physical, pre-packed stock and is never replaced by its
  loose components (that would send the buyer a strange parcel);
- a combo is virtual and expands to its components x qty, recursively through nested combos.

The catalog is validated once when built (unknown components, cycles), so expansion cannot
loop or fail half-way later.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Annotated

from pydantic import BaseModel, Field

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.memo import MEMO_LIMIT, remember
from channelhub.core.products import Sku, SkuKind
from channelhub.core.sku_index import SkuIndex, SkuMarks
from channelhub.core.types import VALUE_CONFIG, AsTuple, PositiveQty, SkuCode


class ExpandedLine(BaseModel):
    """Base units of one stock SKU (single or kit) needed for one order line.

    ``bound_sku`` is what the listing was paired to; ``via`` the combos walked through to
    reach ``sku`` (empty for a single or kit sold as itself). Both stay so every reservation
    can be traced back to the order line that caused it. ``ordered_quantity`` is the channel
    units (the order line's own unit) this expansion was made for, so shipped base units can
    be turned back into channel units later without re-reading a pairing that may have been
    re-bound since (see :mod:`channelhub.core.units`).
    """

    model_config = VALUE_CONFIG

    order_line_id: str
    sku: SkuCode
    quantity: PositiveQty
    bound_sku: SkuCode
    via: Annotated[tuple[str, ...], AsTuple] = ()
    ordered_quantity: PositiveQty | None = None


class CatalogIssue(BaseModel):
    """One problem found while checking a product library."""

    model_config = VALUE_CONFIG

    sku: str
    problem: str = Field(min_length=1)


#: Expansions a :class:`Catalog` remembers before it forgets them all.
EXPANDED_LIMIT = MEMO_LIMIT


class Catalog:
    """Every local SKU by code, checked for unknown components and cycles when built."""

    def __init__(self, skus: Iterable[Sku]) -> None:
        by_code: dict[str, Sku] = {}
        problems: list[str] = []
        for sku in skus:
            if sku.code in by_code:
                problems.append(f"sku {sku.code!r} is defined twice")
            by_code[sku.code] = sku
        self._skus: Mapping[str, Sku] = by_code
        problems.extend(f"sku {i.sku!r}: {i.problem}" for i in self.issues())
        if problems:
            raise InvalidInput(problems, source="product library")
        self._marks: SkuIndex | None = None  # built on first use
        # expansions already made (the library never changes): orders sell the same SKUs in
        # the same quantities over and over, and the lines are frozen values to share
        self._expanded: dict[tuple[str, int, int, str], tuple[ExpandedLine, ...]] = {}
        self._recipes: dict[str, tuple[tuple[str, int, tuple[str, ...]], ...]] = {}

    # -- lookup -----------------------------------------------------------------------------
    def __contains__(self, code: object) -> bool:
        return code in self._skus

    def __iter__(self) -> Iterator[Sku]:
        return iter(self._skus.values())

    def __len__(self) -> int:
        return len(self._skus)

    def get(self, code: str) -> Sku:
        """The SKU with ``code``; NotFound names it when the library has no such SKU."""
        try:
            return self._skus[code]
        except KeyError:
            raise NotFound(f"sku {code!r} is not in the product library") from None

    def codes(self) -> frozenset[str]:
        """Every SKU code in the library."""
        return frozenset(self._skus)

    def by_written_code(self, *, case_sensitive: bool) -> Mapping[str, str]:
        """Codes by their written form (stripped; case-folded unless ``case_sensitive``),
        built once per catalog: pairing looks up every unbound listing in it, and a library
        of 10,000 SKUs would otherwise be folded again for each."""
        return self.marks().by_written_code(case_sensitive=case_sensitive)

    def by_barcode(self, barcode: str) -> tuple[str, int] | None:
        """(sku, base units) for a barcode of a SKU or of one of its units of measure.

        A case barcode returns the single with the case size, so a listing that sells a case
        pairs to the single with a multiplier.
        """
        return self.marks().by_barcode(barcode)

    def by_attribute(self, key: str, value: str) -> Sequence[str]:
        """The codes of the SKUs recording ``value`` under an attribute named ``key``."""
        return self.marks().by_attribute(key, value)

    def marks(self) -> SkuIndex:
        """What pairing matches listings against (built once per catalog)."""
        if self._marks is None:
            self._marks = SkuIndex(
                SkuMarks(
                    code=sku.code,
                    barcode=sku.barcode,
                    units=tuple((unit.barcode, unit.base_units) for unit in sku.units),
                    attributes=sku.attributes,
                )
                for sku in self._skus.values()
            )
        return self._marks

    # -- validation -------------------------------------------------------------------------
    def issues(self) -> tuple[CatalogIssue, ...]:
        """Unknown components and component cycles, one issue each (empty when sound)."""
        found: list[CatalogIssue] = []
        for sku in self._skus.values():
            for component in sku.components:
                if component.sku not in self._skus:
                    found.append(
                        CatalogIssue(
                            sku=sku.code, problem=f"component {component.sku!r} is not defined"
                        )
                    )
        cycle = self.find_cycle()
        if cycle:
            found.append(
                CatalogIssue(sku=cycle[0], problem="components form a cycle: " + " -> ".join(cycle))
            )
        return tuple(found)

    def find_cycle(self) -> tuple[str, ...]:
        """A component cycle as the codes walked (first == last), or () when there is none."""
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
        for start in sorted(self._skus):
            if state.get(start):
                continue
            path: list[str] = [start]
            stack: list[Iterator[str]] = [self._children(start)]
            state[start] = 1
            while stack:
                child = next(stack[-1], None)
                if child is None:
                    stack.pop()
                    state[path.pop()] = 2
                    continue
                if state.get(child) == 1:
                    return (*path[path.index(child) :], child)
                if not state.get(child) and child in self._skus:
                    state[child] = 1
                    path.append(child)
                    stack.append(self._children(child))
        return ()

    def _children(self, code: str) -> Iterator[str]:
        return iter([c.sku for c in self._skus[code].components])

    # -- expansion --------------------------------------------------------------------------
    def stock_units(self, code: str) -> dict[str, int]:
        """Base units of each stock SKU (single or kit) that one unit of ``code`` consumes."""
        sku = self.get(code)
        if sku.kind is not SkuKind.COMBO:
            return {sku.code: 1}
        needs: dict[str, int] = {}
        for component in sku.components:
            for stock_sku, qty in self.stock_units(component.sku).items():
                needs[stock_sku] = needs.get(stock_sku, 0) + qty * component.qty
        return needs

    def expand(
        self, code: str, quantity: int, *, multiplier: int = 1, order_line_id: str = ""
    ) -> tuple[ExpandedLine, ...]:
        """The stock-unit lines for ``quantity`` listings bound to ``multiplier`` x ``code``.

        Lines come out sorted by SKU, one per stock SKU (a SKU reached through two nested
        combos is summed), so the result is stable for reservation and comparison.
        """
        if type(quantity) is not int or type(multiplier) is not int:  # True == 1, 2.0 == 2
            return self._expand(code, quantity, multiplier, order_line_id)
        key = (code, quantity, multiplier, order_line_id)
        found = self._expanded.get(key)
        if found is None:
            found = remember(
                self._expanded, key, self._expand(code, quantity, multiplier, order_line_id)
            )
        return found

    def _expand(
        self, code: str, quantity: int, multiplier: int, order_line_id: str
    ) -> tuple[ExpandedLine, ...]:
        if quantity < 1:
            raise InvalidInput.field("quantity", quantity, "must be at least 1")
        if multiplier < 1:
            raise InvalidInput.field("multiplier", multiplier, "must be at least 1")
        sku = self.get(code)
        units = quantity * multiplier
        if sku.kind is not SkuKind.COMBO:
            return (
                ExpandedLine(
                    order_line_id=order_line_id,
                    sku=sku.code,
                    quantity=units,
                    bound_sku=code,
                    ordered_quantity=quantity,
                ),
            )
        return tuple(
            ExpandedLine(
                order_line_id=order_line_id,
                sku=stock_sku,
                quantity=units * per_unit,
                bound_sku=code,
                via=via,
                ordered_quantity=quantity,
            )
            for stock_sku, per_unit, via in self._recipe(code)
        )

    def _recipe(self, code: str) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
        """(stock SKU, base units per unit, combos walked) under combo ``code``, by SKU:
        worked out once per combo (order lines' ids differ, so their expansions seldom
        repeat, but their combos do)."""
        found = self._recipes.get(code)
        if found is None:
            paths = self._combo_paths(code)
            found = tuple(
                (stock_sku, per_unit, paths[stock_sku])
                for stock_sku, per_unit in sorted(self.stock_units(code).items())
            )
            self._recipes[code] = found
        return found

    def _combo_paths(self, code: str) -> dict[str, tuple[str, ...]]:
        """For each stock SKU under combo ``code``: the combos walked to reach it (first path)."""
        paths: dict[str, tuple[str, ...]] = {}

        def walk(current: str, trail: tuple[str, ...]) -> None:
            sku = self._skus[current]
            if sku.kind is not SkuKind.COMBO:
                paths.setdefault(current, trail)
                return
            for component in sku.components:
                walk(component.sku, (*trail, current))

        walk(code, ())
        return paths

    # -- units of measure -------------------------------------------------------------------
    def to_base_units(self, code: str, quantity: int, unit: str | None = None) -> int:
        """``quantity`` of ``unit`` of ``code`` in base units (None: already base units)."""
        sku = self.get(code)
        try:
            return sku.to_base_units(quantity, unit)
        except ValueError as exc:
            raise InvalidInput.field("unit", unit, f"is not a unit of sku {code!r}") from exc

    def from_base_units(self, code: str, base_units: int, unit: str) -> tuple[int, int]:
        """(whole ``unit``s, base units left over) in ``base_units`` of ``code``."""
        size = self.to_base_units(code, 1, unit)
        return divmod(base_units, size)
