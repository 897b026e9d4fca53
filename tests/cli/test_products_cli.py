"""``channelhub products import|export`` end to end, and the pure CSV parser's row errors."""

from __future__ import annotations

from pathlib import Path

from channelhub.core.models import Sku
from channelhub.mappings.products_csv import (
    check_references,
    format_products_csv,
    parse_products_csv,
)
from channelhub.store.repos.catalog import load_catalog
from channelhub.store.repos.products import get_sku
from tests.cli.hub import Hub

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "products.example.csv"

BAD = """code,kind,title,components,units
A,single,ok,,
B,gadget,bad kind,,
C,combo,needs parts,,
D,combo,bad qty,A*zero,
E,single,bad unit,,case=-3
A,single,twice,,
F,combo,unknown part,NOPE*1,
G,combo,fine,A*2,
"""


def test_parser_reports_every_bad_cell_with_row_column_value_and_why() -> None:
    parsed = parse_products_csv(BAD)
    assert [r.sku.code for r in parsed.rows] == ["A", "F", "G"]
    shown = [str(e) for e in parsed.errors]
    assert shown[0] == "row 2, column kind: 'gadget' is not one of single, combo, kit"
    assert shown[1].startswith("row 3, column components: ''") and "needs components" in shown[1]
    assert shown[2] == (
        "row 4, column components: 'A*zero' has quantity 'zero', which is not a whole number >= 1"
    )
    assert shown[3].startswith("row 5, column units: 'case=-3'")
    assert shown[4] == "row 6, column code: 'A' already appears on row 1"
    refs = check_references(parsed.rows, [])
    assert [str(e) for e in refs] == [
        "row 7, column components: 'NOPE' is not a SKU in this file or in the product library"
    ]


def test_parser_refuses_unknown_columns_and_finds_cycles() -> None:
    parsed = parse_products_csv("code,colour\nA,red\n")
    assert [(e.row, e.column) for e in parsed.errors] == [(0, "header")]
    cyclic = parse_products_csv("code,kind,components\nX,combo,Y*1\nY,combo,X*1\n")
    errors = check_references(cyclic.rows, [])
    assert len(errors) == 1 and "cycle" in str(errors[0]) and "X -> Y -> X" in str(errors[0])


def test_csv_round_trips_every_field() -> None:
    parsed = parse_products_csv(EXAMPLE.read_text())
    assert not parsed.errors and len(parsed.skus) == 6
    again = parse_products_csv(format_products_csv(parsed.skus))
    assert again.skus == parsed.skus
    white = parsed.skus[0]
    assert white.units[0].base_units == 24 and white.units[0].barcode == "10012345678902"
    assert white.attributes == {"colour": "white"} and white.spu == "MUG"


def test_import_then_export_round_trips(ready_hub: Hub, tmp_path: Path) -> None:
    hub = ready_hub
    code, out, err = hub("products", "import", str(EXAMPLE))
    assert (code, err) == (0, ""), err
    assert "imported 6 SKU(s)" in out
    with hub.session() as s:
        assert get_sku(s, "TEA-SET").components[1].qty == 2
        assert len(load_catalog(s)) == 6
    target = tmp_path / "out.csv"
    code, out, _ = hub("products", "export", str(target))
    assert code == 0 and "exported 6" in out
    assert (
        parse_products_csv(target.read_text()).skus == parse_products_csv(EXAMPLE.read_text()).skus
    )
    code, out, _ = hub("products", "export", "-")
    assert code == 0 and out.startswith("code,kind,title,barcode,components,units,spu,attributes\n")
    assert "TEA-SET,combo,Mug and two spoons,,MUG-WHITE*1;SPOON*2,,," in out
    code, out, _ = hub("products", "import", str(target))  # again: replaces, changes nothing
    assert code == 0 and "imported 6" in out


def test_a_file_with_errors_imports_nothing_unless_told(ready_hub: Hub, tmp_path: Path) -> None:
    hub = ready_hub
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD)
    code, out, err = hub("products", "import", str(bad))
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0] == f"{bad}: row 2, column kind: 'gadget' is not one of single, combo, kit"
    assert "nothing imported" in lines[-1] and len(lines) == 7
    with hub.session() as s:
        assert len(load_catalog(s)) == 0
    code, out, _ = hub("products", "import", str(bad), "--skip-bad-rows")
    assert code == 0 and "imported 2 SKU(s)" in out
    with hub.session() as s:
        assert sorted(load_catalog(s).codes()) == ["A", "G"]


def test_components_may_already_be_in_the_library(ready_hub: Hub, tmp_path: Path) -> None:
    hub = ready_hub
    first = tmp_path / "a.csv"
    first.write_text("code\nMUG\n")
    second = tmp_path / "b.csv"
    second.write_text("code,kind,components\nPAIR,combo,MUG*2\n")
    assert hub("products", "import", str(first))[0] == 0
    assert hub("products", "import", str(second))[0] == 0
    with hub.session() as s:
        assert get_sku(s, "PAIR") == Sku.model_validate(
            {"code": "PAIR", "kind": "combo", "components": [{"sku": "MUG", "qty": 2}]},
            strict=False,
        )
    code, _, err = hub("products", "import", str(tmp_path / "missing.csv"))
    assert code == 1 and "cannot be read" in err
