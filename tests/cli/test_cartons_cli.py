"""``channelhub warehouses carton|cartons`` and ``stock explain`` with a carton rule, both
databases: set, list, import (all or none), remove, one-line mistakes (one hub: they are slow
to set up)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.hub import Hub
from tests.stocksync.seed import add_listing, move

MISTAKES = [
    (["NOPE", "MUG", "--units", "6"], "NOPE"),
    (["GC-DE", "CAP", "--units", "6"], "is not in the product library"),
    (["GC-DE", "MUG", "--units", "0"], "must be a whole number of 1 or more"),
    (["GC-DE", "MUG", "--units", "6", "--ships", "boxes"], "must be 'cartons' or 'units'"),
    (["GC-DE", "TEE", "--remove"], "does not exist"),
]


@pytest.fixture
def hub(ready_hub: Hub, tmp_path: Path) -> Hub:
    products = tmp_path / "products.csv"
    products.write_text("code,title\nMUG,Mug\nTEE,Tee\n")
    assert ready_hub("products", "import", str(products))[0] == 0
    for code, country in (("GC-DE", "DE"), ("FR-3PL", "FR")):
        assert ready_hub("warehouses", "add", code, "--country", country)[0] == 0
    return ready_hub


def test_set_list_explain_import_and_remove(hub: Hub, tmp_path: Path) -> None:
    code, out, err = hub(
        "warehouses", "carton", "GC-DE", "MUG", "--units", "12", "--ships", "cartons"
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert out == "GC-DE ships MUG only in whole cartons of 12\n"
    code, out, _ = hub("warehouses", "cartons")
    row = next(line for line in out.splitlines() if "GC-DE" in line)
    assert "MUG" in row and "12" in row and "cartons" in row

    with hub.session() as session:
        add_listing(session, "shopify", "shop1", "P1", sku="MUG")
        add_listing(session, "shopify", "shop1", "P12", sku="MUG", multiplier=12)
        move(session, "MUG", 30, warehouse="GC-DE")
        move(session, "MUG", 5, warehouse="FR-3PL")
        session.commit()
    code, out, err = hub("stock", "explain", "shopify:shop1:P1")
    assert (code, err) == (0, ""), err
    assert "GC-DE MUG: on hand 30 - reserved 0 = 30  (ships whole cartons of 12 only" in out
    assert "0 counted" in out
    code, out, _ = hub("stock", "explain", "shopify:shop1:P12")
    assert "24 counted" in out

    csv = tmp_path / "cartons.csv"
    csv.write_text("warehouse,sku,units_per_carton,ships\nFR-3PL,MUG,6,units\nFR-3PL,TEE,10,\n")
    code, out, err = hub("warehouses", "cartons", "--import", str(csv))
    assert (code, out, err) == (0, "imported 2 carton rule(s) from cartons.csv\n", "")
    code, out, _ = hub("warehouses", "carton", "GC-DE", "MUG", "--remove")
    assert (code, out) == (0, "GC-DE MUG: carton rule removed (ships units)\n")
    code, out, _ = hub("warehouses", "cartons")
    assert "GC-DE" not in out and out.count("FR-3PL") == 2

    for args, message in MISTAKES:  # each one clear line, nothing changed
        code, _, err = hub("warehouses", "carton", *args)
        assert code != 0 and message in err and "Traceback" not in err, (args, err)
        assert len(err.strip().splitlines()) == 1, err
    bad = tmp_path / "bad.csv"
    bad.write_text("warehouse,sku,units_per_carton\nGC-DE,MUG,12\nGC-DE,CAP,x\n")
    code, _, err = hub("warehouses", "cartons", "--import", str(bad))
    assert code != 0 and "row 3" in err and "nothing imported" in err
    assert "GC-DE" not in hub("warehouses", "cartons")[1]
