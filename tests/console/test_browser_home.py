"""Home in a real browser: a token that runs out within 7 days, as a job run recorded it,
is shown as a warning (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import respx

from tests.console.conftest import Hub, log_in
from tests.console.homefakes import BASE, ok, run_pull


def test_home_warns_of_a_token_expiring_within_7_days(page: Any, live_url: str, hub: Hub) -> None:
    with respx.mock:
        respx.post(f"{BASE}/token").mock(
            return_value=ok(
                {"access_token": "acc-1", "expires_in": 3600, "refresh_token_expires_in": 3 * 86400}
            )
        )
        respx.get(f"{BASE}/orders").mock(return_value=ok({}))
        run_pull(hub)
    log_in(page, live_url, "viewer")
    warning = page.locator('#accounts .token-line.warn[data-kind="refresh"]')
    assert warning.inner_text().startswith("refresh: expires in 3 days")
    assert warning.evaluate("e => getComputedStyle(e).fontWeight") == "600"
    assert page.locator('#accounts tr[data-operation="getOrders"] td').nth(1).inner_text() == "2"
