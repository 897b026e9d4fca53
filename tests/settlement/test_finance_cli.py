"""``channelhub fx import`` and ``finance profit|orders|payouts`` end to end on a hub home."""

from __future__ import annotations

import csv
import io

from tests.cli.hub import Hub
from tests.cli.hub import ready_hub as ready_hub
from tests.settlement.seed import seed_catalog_and_orders, seed_ledger

RATES = "date,currency,rate\n2026-02-20,CNY,0.14\n2026-03-10,EUR,1.08\n"
FEES = "\n[finance.fees.shopify]\npercent = 10\n"  # below [finance] of the default file


def test_finance_commands_print_tables_csv_and_one_line_mistakes(ready_hub: Hub) -> None:
    hub = ready_hub
    with (hub.home / "config.toml").open("a", encoding="utf-8") as config:
        config.write(FEES)
    (hub.home / "rates.csv").write_text(RATES, encoding="utf-8")
    code, out, err = hub("fx", "import", str(hub.home / "rates.csv"))
    assert code == 0, err
    assert "imported 2 rate(s) to USD" in out
    with hub.session() as session:
        seed_catalog_and_orders(session)
        seed_ledger(session)
        session.commit()

    code, out, err = hub("finance", "profit", "--by", "sku", "--csv")
    assert code == 0, err
    rows = {r["sku"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["SET"]["product_cost"] == "-6.80" and rows["BOX"]["profit"] == "6.35"
    code, out, err = hub("finance", "profit")
    assert code == 0, err
    assert "S-1" in out and "23.95" in out and "allocated" in out

    code, out, err = hub("finance", "orders")  # 10 % of shopify's revenue: every fee is above
    assert code == 0, err
    assert out.count("fee_above_schedule") == 3 and "run " in out

    code, out, err = hub("finance", "payouts", "--csv")
    assert code == 0, err
    (payout,) = list(csv.DictReader(io.StringIO(out)))
    assert (payout["payout"], payout["paid"], payout["status"]) == ("P-1", "57.80", "ok")

    # mistakes are one line
    (hub.home / "bad.csv").write_text("date,currency,rate\n2026-13-01,EUR,x\n")
    code, out, err = hub("fx", "import", str(hub.home / "bad.csv"))
    assert code != 0 and "row 1, column date" in err and "Traceback" not in err + out
    code, out, err = hub("finance", "profit", "--by", "colour")
    assert code != 0 and "--by" in err and "Traceback" not in err + out
    code, out, err = hub("finance", "payouts", "--account", "nobody")
    assert code != 0 and "'nobody' does not exist" in err and "Traceback" not in err + out


def test_a_payout_discrepancy_cell_counts_its_lines_and_shows_a_few() -> None:
    from channelhub.core.discrepancy import Discrepancy, DiscrepancyClass, Repair, RepairKind
    from channelhub.jobs.settlement.views import discrepancy_report

    lines = tuple(f"T-{n}/amount@P principal 1.00 USD" for n in range(40))
    found = Discrepancy(
        DiscrepancyClass.PAYOUT_MISMATCH, {"account": "a", "payout": "P"}, "40.00 USD", lines,
        "payout P differs", Repair(RepairKind.REVIEW, safe=False),
    )  # fmt: skip
    (row,) = discrepancy_report([found], title="t").rows
    assert row[3] == (
        "40 line(s): T-0/amount@P principal 1.00 USD; T-1/amount@P principal 1.00 USD; "
        "T-2/amount@P principal 1.00 USD; ... 37 more"
    )
