"""``channelhub products import|export`` end to end, and the pure CSV parser's row errors."""

from __future__ import annotations

from pathlib import Path

from channelhub.core.models import Sku
from channelhub.mappings.csv_table import read_csv_table
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
    assert code == 0 and out.startswith(
        "code,kind,title,barcode,components,units,spu,attributes,cost,cost_currency,landed_cost\n"
    )
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


UNCLOSED = 'code,kind,title\nMUG,single,"Mug 12 oz\nCUP,single,Cup\n'


def test_an_unclosed_quote_is_a_row_error_not_a_sku() -> None:
    """Left to itself the csv module reads an unclosed quote to the end of the file: a SKU
    whose title holds the rest of the file. Here it is row 1's error and row 2 still reads."""
    parsed = parse_products_csv(UNCLOSED)
    assert [r.sku.code for r in parsed.rows] == ["CUP"]
    [error] = parsed.errors
    assert (error.row, error.column, error.value) == (1, "row", 'MUG,single,"Mug 12 oz')
    assert error.why.startswith("has a quote that is never closed (line 2)")
    whole_line = parse_products_csv('code,kind\n"MUG,single\n')
    assert whole_line.rows == [] and [e.row for e in whole_line.errors] == [1]
    # a closing quote further down does not glue rows together either
    glued = parse_products_csv('code,title\nA,"one\nB,"two"x\nC,three\n')
    assert [r.sku.code for r in glued.rows] == ["C"]
    assert [(e.row, e.value) for e in glued.errors] == [(1, 'A,"one'), (2, 'B,"two"x')]


def test_the_reader_keeps_quoted_text_and_numbers_rows_from_the_header() -> None:
    table = read_csv_table(
        '\ufeffCode,Title\n\nA,"a, ""quoted"" title"\nB\nC,"two\nlines"\n', ("code", "title")
    )
    assert table.header == ["code", "title"] and not table.errors
    assert [(r.row, r.line, r.cells) for r in table.records] == [
        (1, 3, {"code": "A", "title": 'a, "quoted" title'}),
        (2, 4, {"code": "B", "title": ""}),
        (3, 5, {"code": "C", "title": "two\nlines"}),
    ]
    assert [e.why for e in read_csv_table('"code\n', ("code",)).errors] == [
        "has a quote that is never closed"
    ]
    assert read_csv_table("", ("code",)).header_failed


def test_import_refuses_a_file_with_an_unclosed_quote(ready_hub: Hub, tmp_path: Path) -> None:
    hub = ready_hub
    bad = tmp_path / "quote.csv"
    bad.write_text(UNCLOSED)
    code, _, err = hub("products", "import", str(bad))
    assert code == 1
    assert err.splitlines()[0] == (
        f"{bad}: row 1, column row: 'MUG,single,\"Mug 12 oz' has a quote that is never closed "
        '(line 2); close it, or double a quote that is part of the text ("")'
    )
    with hub.session() as s:
        assert len(load_catalog(s)) == 0
