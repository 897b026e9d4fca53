"""What pairing matches a listing against in the product library: each SKU's code,
barcodes and recorded attributes, indexed once.

:class:`~channelhub.core.catalog.Catalog` answers through one of these, and the pairing queue
builds one from four plain columns: scoring a page of unpaired listings then needs neither
the recipes nor a validated model of every SKU (a library of 10,000 SKUs read as a Catalog
takes a third of a second).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


def written_code(text: str, *, case_sensitive: bool) -> str:
    """How pairing compares a code with a channel SKU: stripped, and case-folded unless the
    rules are case-sensitive."""
    text = text.strip()
    return text if case_sensitive else text.casefold()


@dataclass(frozen=True)
class SkuMarks:
    """One SKU as pairing sees it: its code, its barcode, its units' (barcode, base units)
    and its attributes."""

    code: str
    barcode: str | None = None
    units: tuple[tuple[str | None, int], ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)


class SkuIndex:
    """Codes by written form, by barcode and by recorded attribute, in library order."""

    def __init__(self, skus: Iterable[SkuMarks]) -> None:
        self._skus = list(skus)
        self._folded: dict[bool, dict[str, str]] = {}  # built on first use, per case rule
        self._attributes: dict[tuple[str, str], list[str]] | None = None  # on first use
        barcodes: dict[str, tuple[str, int]] = {}
        for sku in self._skus:
            if sku.barcode:
                barcodes.setdefault(sku.barcode.strip(), (sku.code, 1))
            for barcode, base_units in sku.units:
                if barcode:
                    barcodes.setdefault(barcode.strip(), (sku.code, base_units))
        self._barcodes = barcodes

    def by_written_code(self, *, case_sensitive: bool) -> Mapping[str, str]:
        """Codes by their written form (stripped; case-folded unless ``case_sensitive``),
        built once: pairing looks up every unbound listing in it."""
        index = self._folded.get(case_sensitive)
        if index is None:
            index = {
                written_code(sku.code, case_sensitive=case_sensitive): sku.code
                for sku in self._skus
            }
            self._folded[case_sensitive] = index
        return index

    def by_barcode(self, barcode: str) -> tuple[str, int] | None:
        """(sku, base units) for a barcode of a SKU or of one of its units of measure (a
        case barcode gives the single with the case size)."""
        return self._barcodes.get(barcode.strip())

    def by_attribute(self, key: str, value: str) -> Sequence[str]:
        """The codes of the SKUs recording ``value`` (stripped) under an attribute named
        ``key`` (any case), in library order, once per such attribute."""
        if self._attributes is None:
            index: dict[tuple[str, str], list[str]] = {}
            for sku in self._skus:
                for attr, attr_value in sorted(sku.attributes.items()):
                    index.setdefault((attr.casefold(), attr_value.strip()), []).append(sku.code)
            self._attributes = index
        return self._attributes.get((key.casefold(), value.strip()), ())
