"""Analytics pages (Trends, Stock health, Replenishment) on the seeded known pattern
(tests/reports/seed.py): the page shows the stock-out and the suggested quantity, every
chart is well-formed SVG, and every download equals what ``channelhub report … --csv``
prints for the same options, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from channelhub.api.app import create_app
from channelhub.api.console import ConsoleConfig
from channelhub.core.rulebook import load_rulebook
from tests.cli.hub import Hub as CliHub
from tests.console.conftest import Hub
from tests.reports.seed import AS_OF, FIRST, day, seed
from tests.reports.test_report_cli import RULES

SINCE, UNTIL = f"{FIRST:%Y-%m-%d}", f"{AS_OF:%Y-%m-%d}"
WINDOW = f"since={SINCE}&until={UNTIL}"
SVG = re.compile(r"<svg .*?</svg>", re.S)


@pytest.fixture
def seeded(hub: Hub) -> Hub:
    """The console hub with the known pattern and the CLI test's ``[replenishment]`` rules."""
    with hub.session_factory() as session:
        seed(session)
    hub.app = create_app(
        session_factory=hub.session_factory,
        connector_factory=lambda row: hub.channel,
        now=lambda: AS_OF,
        console=ConsoleConfig(rulebook=load_rulebook(tomllib.loads(RULES))),
    )
    return hub


@pytest.fixture
def cli(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch
) -> CliHub:
    """``channelhub`` on the console's own database, with the same rules.toml."""
    mp.setenv("CHANNELHUB_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    mp.delenv("CHANNELHUB_HOME", raising=False)
    runner = CliHub(tmp_path / "home", capsys, mp)
    code, _, err = runner("init")
    assert code == 0, err
    (runner.home / "rules.toml").write_text(RULES, encoding="utf-8")
    return runner


@pytest.fixture
def mp(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    return monkeypatch


def _svg(text: str) -> ElementTree.Element:
    """The page's one inline chart, parsed as XML (fails if missing or malformed)."""
    (found,) = SVG.findall(text)
    return ElementTree.fromstring(found)


def test_logged_out_is_sent_to_login(seeded: Hub) -> None:
    client = TestClient(seeded.app, follow_redirects=False)
    for path in ("/analytics/trends", "/analytics/stock.csv", "/analytics/replenish"):
        assert client.get(path).status_code in (303, 401), path


def test_viewer_reads_the_three_pages(
    seeded: Hub, login: Callable[[str], TestClient], cli: CliHub
) -> None:
    viewer = login("viewer")

    page = viewer.get(f"/analytics/trends?by=sku&bucket=day&{WINDOW}")
    assert page.status_code == 200, page.text
    chart = _svg(page.text)
    names = {t.text for t in chart.iter("{http://www.w3.org/2000/svg}title")}
    assert {"this period", "previous period", "last year"} <= names
    assert 'href="/analytics/trends"' in page.text and "Download CSV" in page.text
    # day 4's MUG row in the table: 3 orders
    assert f"<td>{day(4).date().isoformat()}</td>" in page.text

    stock = viewer.get(f"/analytics/stock?{WINDOW}")
    assert stock.status_code == 200, stock.text
    rows = re.findall(r"<tr>(.*?)</tr>", stock.text, re.S)
    us = next(r for r in rows if "<td>MUG</td>" in r and "<td>US-EAST</td>" in r)
    assert '<td class="num">5</td>' in us  # five days at zero: the stock-out
    old = next(r for r in rows if "<td>OLD</td>" in r)
    assert 'class="badge badge-dead"' in old
    bars = _svg(stock.text)
    assert any("MUG @ US-EAST" in (t.text or "") for t in bars.iter())

    plan = viewer.get(f"/analytics/replenish?sku=MUG&{WINDOW}")
    assert plan.status_code == 200, plan.text
    assert "suggested = max(0, 141.99 - 114) = 28 -&gt; 3 carton(s) of 12 = 36" in plan.text
    suggestions = plan.text[plan.text.index('id="suggestions"') :]
    us_row = next(r for r in re.findall(r"<tr>(.*?)</tr>", suggestions, re.S) if "US-EAST" in r)
    assert '<td class="num">36</td>' in us_row
    assert "<details>" in us_row


@pytest.mark.parametrize(
    ("download", "command"),
    [
        (
            f"/analytics/trends.csv?by=sku&bucket=day&{WINDOW}",
            ["trends", "--by", "sku", "--bucket", "day", "--csv"],
        ),
        (
            f"/analytics/trends.csv?by=channel&bucket=week&summary=true&{WINDOW}",
            ["trends", "--by", "channel", "--bucket", "week", "--csv", "--summary"],
        ),
        (f"/analytics/stock.csv?by=warehouse&{WINDOW}", ["stock", "--by", "warehouse", "--csv"]),
        (f"/analytics/replenish.csv?{WINDOW}", ["replenish", "--csv"]),
        (
            f"/analytics/replenish.csv?transfers=true&{WINDOW}",
            ["replenish", "--csv", "--transfers"],
        ),
    ],
)
def test_download_is_the_cli_csv(
    seeded: Hub,
    login: Callable[[str], TestClient],
    cli: CliHub,
    download: str,
    command: list[str],
) -> None:
    response = login("viewer").get(download)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    code, out, err = cli("report", *command, "--since", SINCE, "--until", UNTIL)
    assert code == 0, err
    assert len(list(csv.reader(io.StringIO(out)))) > 1  # a header and rows, not just a header
    assert response.text == out


def test_a_mistake_is_one_line_not_a_500(seeded: Hub, login: Callable[[str], TestClient]) -> None:
    viewer = login("viewer")
    page = viewer.get("/analytics/trends?by=colour")
    assert page.status_code == 400 and "by: " in page.text and "is not one of" in page.text
    page = viewer.get("/analytics/stock?since=yesterday")
    assert page.status_code == 400 and "ISO date" in page.text
    download = viewer.get(f"/analytics/replenish.csv?since={UNTIL}&until={SINCE}")
    assert download.status_code == 400 and download.text.count("\n") == 1
