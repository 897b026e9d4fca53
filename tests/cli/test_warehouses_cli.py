"""``channelhub warehouses add|list|remove`` and ``stock set|import`` end to end, both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from channelhub.core.stock import MovementKind
from channelhub.store.repos.stock import movements, stock_balances
from channelhub.store.tables.stock import WarehouseRow
from tests.cli.hub import Hub

PRODUCTS = "code,title\nMUG,Mug\nTEE,Tee\nCAP,Cap\n"


@pytest.fixture
def hub(ready_hub: Hub, tmp_path: Path) -> Hub:
    products = tmp_path / "products.csv"
    products.write_text(PRODUCTS)
    assert ready_hub("products", "import", str(products))[0] == 0
    code, _, err = ready_hub(
        "accounts", "add", "shipbob", "my-shipbob", "-c", "pat=x", "-s", "channel_id=1"
    )
    assert code == 0, err
    code, _, err = ready_hub(
        "accounts", "add", "shopify", "my-shop", "-c", "access_token=x", "-s", "shop=acme"
    )
    assert code == 0, err
    return ready_hub


def test_add_list_and_remove_a_warehouse(hub: Hub) -> None:
    code, out, err = hub(
        "warehouses", "add", "US-EAST", "--country", "us", "--region", "NJ",
        "--account", "my-shipbob", "--name", "Newark",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert "added warehouse US-EAST (US/NJ, served by my-shipbob)" in out
    assert "stock is unknown" in out
    assert hub("warehouses", "add", "DE-1", "--country", "DE")[0] == 0

    code, out, _ = hub("warehouses", "list")
    assert code == 0
    us = next(line for line in out.splitlines() if "US-EAST" in line)
    assert "Newark" in us and "NJ" in us and "my-shipbob" in us and "stock unknown" in us

    code, out, _ = hub("warehouses", "remove", "DE-1")
    assert (code, out) == (0, "removed warehouse DE-1\n")
    with hub.session() as s:
        assert list(s.scalars(select(WarehouseRow.code))) == ["US-EAST"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["X1", "--country", "ZZ"], "'ZZ' is not an ISO country code"),
        (["X1", "--country", "US", "--account", "nobody"], "account 'nobody' does not exist"),
        (["X1", "--country", "US", "--account", "my-shop"], "shopify account, not a warehouse"),
        (["US-EAST", "--country", "US"], "'US-EAST' is already registered"),
    ],
)
def test_add_refuses_with_one_line(hub: Hub, args: list[str], message: str) -> None:
    assert hub("warehouses", "add", "US-EAST", "--country", "US")[0] == 0
    code, out, err = hub("warehouses", "add", *args)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err


def test_set_records_the_difference_with_its_reason_and_marks_stock_known(hub: Hub) -> None:
    assert hub("warehouses", "add", "US-EAST", "--country", "US")[0] == 0
    code, out, err = hub("stock", "set", "US-EAST", "MUG", "12")
    assert (code, err) == (0, ""), err
    assert out == "US-EAST MUG: on hand 12 (adjusted +12)\n"
    code, out, _ = hub("stock", "set", "US-EAST", "MUG", "9", "--reason", "cycle count")
    assert out == "US-EAST MUG: on hand 9 (adjusted -3)\n"
    code, out, _ = hub("stock", "set", "US-EAST", "MUG", "9")
    assert "already so, nothing recorded" in out
    with hub.session() as s:
        ledger = movements(s, warehouse="US-EAST", sku="MUG")
        assert [(m.kind, m.quantity, m.reason) for m in ledger] == [
            (MovementKind.ADJUST, 12, "set by hand"),
            (MovementKind.ADJUST, -3, "cycle count"),
        ]
        row = s.scalars(select(WarehouseRow)).one()
        assert row.stock_known_at is not None
    code, out, _ = hub("warehouses", "list")
    line = next(line for line in out.splitlines() if "US-EAST" in line)
    assert " 9 " in line and "known since" in line

    code, _, err = hub("warehouses", "remove", "US-EAST")
    assert code == 1 and "cannot be removed: 2 stock movement(s) refer to it" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOWHERE", "MUG", "1"], "warehouse 'NOWHERE' is not registered"),
        (["US-EAST", "NOPE", "1"], "'NOPE' is not in the product library"),
    ],
)
def test_set_refuses_unknown_warehouse_or_sku(hub: Hub, args: list[str], message: str) -> None:
    assert hub("warehouses", "add", "US-EAST", "--country", "US")[0] == 0
    code, out, err = hub("stock", "set", *args)
    assert code == 1 and out == "" and err.count("\n") == 1 and message in err, err


def test_import_is_all_or_nothing_and_lists_every_bad_row(hub: Hub, tmp_path: Path) -> None:
    assert hub("warehouses", "add", "US-EAST", "--country", "US")[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "warehouse,sku,on_hand\n"
        "US-EAST,MUG,10\n"
        "US-EAST,TEE,-1\n"
        'US-EAST,"CAP,4\n'
        "MARS,MUG,3\n"
        "US-EAST,MUG,2\n"
        "US-EAST,GHOST,1\n"
    )
    code, out, err = hub("stock", "import", str(bad))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[:-1] == [
        f"{bad}: row 2, column on_hand: '-1' is not a whole number >= 0",
        f"{bad}: row 3, column row: 'US-EAST,\"CAP,4' has a quote that is never closed "
        '(line 4); close it, or double a quote that is part of the text ("")',
        f"{bad}: row 4, column warehouse: 'MARS' is not registered "
        "(see `channelhub warehouses add`)",
        f"{bad}: row 5, column sku: 'MUG' at US-EAST already appears on row 1",
        f"{bad}: row 6, column sku: 'GHOST' is not in the product library",
    ]
    assert lines[-1] == f"error: {bad}: 5 bad row(s), nothing imported"
    with hub.session() as s:
        assert stock_balances(s) == {}
        assert s.scalars(select(WarehouseRow.stock_known_at)).one() is None


def test_import_sets_counts_and_a_second_import_records_nothing(hub: Hub, tmp_path: Path) -> None:
    assert hub("warehouses", "add", "US-EAST", "--country", "US")[0] == 0
    assert hub("warehouses", "add", "DE-1", "--country", "DE")[0] == 0
    assert hub("stock", "set", "DE-1", "TEE", "5")[0] == 0
    good = tmp_path / "stock.csv"
    good.write_text("sku,warehouse,on_hand\nMUG,US-EAST,10\nTEE,DE-1,7\n\nCAP,US-EAST,0\n")
    code, out, err = hub("stock", "import", str(good))
    assert (code, err) == (0, ""), err
    assert out == (
        f"imported 3 count(s) from {good} into DE-1, US-EAST: 2 adjusted (+12 units), "
        "1 already right\n"
    )
    with hub.session() as s:
        on_hand = {k: b.on_hand for k, b in stock_balances(s).items()}
        assert on_hand == {("US-EAST", "MUG"): 10, ("DE-1", "TEE"): 7}
        reasons = [m.reason for m in movements(s, warehouse="DE-1", sku="TEE")]
        assert reasons == ["set by hand", "imported from stock.csv (row 2)"]
        assert all(s.scalars(select(WarehouseRow.stock_known_at)))
    code, out, _ = hub("stock", "import", str(good))
    assert code == 0 and "0 adjusted (+0 units), 3 already right" in out


def test_stock_csv_header_faults_and_extra_cells() -> None:
    from channelhub.mappings.stock_csv import parse_stock_csv

    assert [str(e) for e in parse_stock_csv("warehouse,sku\nE,MUG\n").errors] == [
        "row 0, column header: 'warehouse,sku' lacks the column(s) on_hand"
    ]
    assert "is not a known column" in str(parse_stock_csv("warehouse,sku,qty\n").errors[0])
    parsed = parse_stock_csv("\ufeffWarehouse, SKU ,on_hand\nE,MUG,3,9\nE,TEE, 4 \n,CAP,1\n")
    assert [str(e) for e in parsed.errors] == [
        "row 1, column row: '9' has more cells than columns",
        "row 3, column warehouse: '' is empty",
    ]
    assert [(r.row, r.warehouse, r.sku, r.on_hand) for r in parsed.rows] == [(2, "E", "TEE", 4)]


def test_stock_and_product_csv_read_alike() -> None:
    """One strict reader for both imports: the same fault reads the same, quoted cells work."""
    from channelhub.mappings.products_csv import parse_products_csv
    from channelhub.mappings.stock_csv import parse_stock_csv

    stock = parse_stock_csv('warehouse,sku,on_hand\n"US-EAST,MUG,1\n"US-EAST","CUP",2\n')
    products = parse_products_csv('code,title\n"US-EAST,MUG,1\nCUP,Cup\n')
    assert [str(e) for e in stock.errors] == [str(e) for e in products.errors]
    rows = [(r.row, r.warehouse, r.sku, r.on_hand) for r in stock.rows]
    assert rows == [(2, "US-EAST", "CUP", 2)]
    assert [str(e) for e in parse_stock_csv("").errors] == [
        "row 0, column header: '' is empty: a header is required"
    ]


@pytest.mark.parametrize("command", [("stock", "import"), ("products", "import")])
def test_a_file_that_is_not_utf8_is_one_line(
    hub: Hub, tmp_path: Path, command: tuple[str, str]
) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("warehouse,sku,on_hand\nUS-EAST,CAFÉ,1\n".encode("latin-1"))
    code, out, err = hub(*command, str(latin))
    assert (code, out) == (1, "")
    assert err == f"error: FILE: {str(latin)!r} is not UTF-8 text\n"
