"""The analytics pages in a real browser (Debian's Chromium through Playwright), on SQLite and
PostgreSQL: a viewer opens Trends, Stock health and Replenishment from the menu, sees each
chart drawn, opens a row's explanation and downloads a CSV. Screenshots for the docs on demand
(``CHANNELHUB_SCREENSHOTS=1``)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import Hub, log_in, screenshot
from tests.console.test_analytics import SINCE, UNTIL, WINDOW
from tests.console.test_analytics import seeded as seeded


@pytest.fixture
def url(seeded: Hub, request: pytest.FixtureRequest) -> str:
    """The live app, started after ``seeded`` swapped in the app with the rules."""
    live: str = request.getfixturevalue("live_url")
    return live


def test_viewer_opens_the_three_pages_and_downloads_a_csv(page: Any, url: str) -> None:
    log_in(page, url, "viewer")
    page.click("nav >> text=Analytics")
    assert page.locator("h1").inner_text() == "Analytics: trends"
    page.goto(f"{url}/analytics/trends?by=sku&bucket=day&{WINDOW}")
    assert page.locator("#chart svg polyline").count() == 3  # this period, previous, last year
    assert page.locator("#series tbody tr").count() > 28

    page.click(".subnav >> text=Stock health")
    page.fill("input[name=since]", SINCE)
    page.fill("input[name=until]", UNTIL)
    page.click("button:has-text('Show')")
    assert page.locator("#chart svg rect").count() >= 1
    us = page.locator("#stock tbody tr", has_text="US-EAST").first
    assert us.locator(".badge").count() == 1
    why = us.locator("xpath=following-sibling::tr[1]")
    assert not why.is_visible()
    us.locator("summary").click()
    assert why.is_visible()
    assert "lost sales = 5 days at zero" in why.inner_text()

    page.click(".subnav >> text=Replenishment")
    page.fill("input[name=since]", SINCE)
    page.fill("input[name=until]", UNTIL)
    page.click("button:has-text('Show')")
    row = page.locator("#suggestions tbody tr", has_text="US-EAST").first
    row.locator("summary").click()
    assert "3 carton(s) of 12 = 36" in row.locator("xpath=following-sibling::tr[1]").inner_text()
    assert page.locator("#transfers tbody tr:not(.why)").count() == 1
    with page.expect_download() as download:
        page.locator("a:has-text('Download CSV')").first.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    us_row = next(r for r in rows if r["sku"] == "MUG" and r["warehouse"] == "US-EAST")
    assert us_row["suggested"] == "36" and us_row["cartons"] == "3"


@pytest.mark.skipif(
    not os.environ.get("CHANNELHUB_SCREENSHOTS"), reason="set CHANNELHUB_SCREENSHOTS=1"
)
def test_screenshots_of_the_analytics_pages(page: Any, url: str, engine: Any) -> None:
    """Refresh docs/screenshots/ (run on demand, on SQLite only)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("one set of screenshots is enough")
    log_in(page, url, "viewer")
    for path, name in (
        (f"/analytics/trends?by=sku&bucket=day&{WINDOW}", "console-analytics-trends"),
        (f"/analytics/stock?{WINDOW}", "console-analytics-stock"),
        (f"/analytics/replenish?{WINDOW}", "console-analytics-replenish"),
    ):
        page.goto(f"{url}{path}")
        if "replenish" in path:  # one explanation open, as a reader would see it
            row = page.locator("#suggestions tbody tr", has_text="US-EAST").first
            row.locator("details").evaluate("d => d.open = true")
        assert screenshot(page, name).stat().st_size > 0
