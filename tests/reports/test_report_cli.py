"""``channelhub report trends|stock|replenish``: tables, CSV on stdout, one-line mistakes."""

from __future__ import annotations

import csv
import io

from sqlalchemy import text

from tests.cli.hub import Hub
from tests.cli.hub import ready_hub as ready_hub
from tests.reports.seed import AS_OF, FIRST, day, seed

SINCE, UNTIL = f"{FIRST:%Y-%m-%d}", f"{AS_OF:%Y-%m-%d}"
RULES = """
[replenishment]
review_days = 7
[replenishment.routes]
"CN->US" = {sea = 35, air = 8}
"""


def test_reports_print_tables_and_csv(ready_hub: Hub) -> None:
    with ready_hub.session() as session:
        seed(session)
    (ready_hub.home / "rules.toml").write_text(RULES, encoding="utf-8")
    code, out, err = ready_hub("report", "trends", "--by", "sku", "--bucket", "day",
                               "--since", SINCE, "--until", UNTIL, "--csv")  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    mug = [r for r in rows if r["sku"] == "MUG" and r["day"] == day(4).date().isoformat()]
    assert mug[0]["orders"] == "3"

    code, out, err = ready_hub("report", "trends", "--by", "channel", "--since", SINCE,
                               "--until", UNTIL)  # fmt: skip
    assert code == 0, err
    assert "against the previous one" in out and "shopify" in out

    code, out, err = ready_hub("report", "stock", "--since", SINCE, "--until", UNTIL, "--csv")
    assert code == 0, err
    stock = {(r["sku"], r["warehouse"]): r for r in csv.DictReader(io.StringIO(out))}
    assert stock[("MUG", "US-EAST")]["days at zero"] == "5"
    assert stock[("OLD", "DE-CENTRAL")]["status"] == "dead"

    code, out, err = ready_hub("report", "replenish", "--sku", "MUG", "--since", SINCE,
                               "--until", UNTIL)  # fmt: skip
    assert code == 0, err
    assert "suggested = max(0, 141.99 - 114) = 28 -> 3 carton(s) of 12 = 36" in out
    code, out, err = ready_hub("report", "replenish", "--csv", "--transfers", "--since", SINCE,
                               "--until", UNTIL)  # fmt: skip
    assert out.splitlines()[1:] == ["MUG,DE-CENTRAL,US-EAST,24"]


def test_mistakes_are_one_line(ready_hub: Hub) -> None:
    code, out, err = ready_hub("report", "trends", "--by", "colour")
    assert code != 0 and "--by" in err and "Traceback" not in err + out
    code, out, err = ready_hub("report", "stock", "--since", "yesterday")
    assert code != 0 and "ISO date" in err and "Traceback" not in err + out


def test_rebuild_recomputes_rollups_that_a_bulk_load_bypassed(ready_hub: Hub) -> None:
    with ready_hub.session() as session:
        seed(session)
        session.execute(text("DELETE FROM sales_daily"))  # as if loaded around the hub
        session.commit()
    args = ("report", "trends", "--by", "channel", "--since", SINCE, "--until", UNTIL, "--csv")
    code, out, err = ready_hub(*args)
    assert code == 0 and len(out.splitlines()) == 1, err  # the header only: nothing summed
    code, out, err = ready_hub("report", "rebuild")
    assert code == 0 and "sales_daily: " in out, err
    code, out, err = ready_hub(*args)
    assert len(out.splitlines()) == 1 + 4  # a row per week of the window
