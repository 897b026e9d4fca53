"""Refresh docs/screenshots/console-*.png from a demo hub, so the pictures show real-looking
data: ``channelhub demo`` (it leaves ``.channelhub-demo``), then

    python -m tests.console.demo_screenshots .channelhub-demo

It adds a console user to that demo hub, serves the console on a free loopback port (nothing
else: no job runs, no connector is called) at the demo's last moment, and drives Debian's
Chromium through each main screen at 1280 px.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import func, select

from channelhub.api.app import create_app
from channelhub.cli.home import open_engine
from channelhub.cli.run import console_config
from channelhub.cli.runtime import connector_factory_for, job_options
from channelhub.core.roles import Role
from channelhub.settings import load_settings
from channelhub.store.db import make_session_factory
from channelhub.store.repos.console_users import add_user
from channelhub.store.tables.jobs import JobRun
from tests.console.conftest import CHROMIUM, PASSWORD, log_in, screenshot
from tests.console.loopback import serve_on_loopback

USER = "seller"
#: (path, file name): the screens, then one record of each
PAGES = [
    ("/", "console-home"),
    ("/orders", "console-orders"),
    ("/stock", "console-stock"),
    ("/stock/listing?key=amazon%3Aamazon-us%3AMUG-RED-2PK", "console-stock-explain"),
    ("/stock/sku/MUG-RED", "console-stock-sku"),
    ("/stock/push/shopify-eu", "console-stock-push"),
    ("/warehouses", "console-warehouses"),
    ("/warehouses/US-EAST", "console-warehouse"),
    ("/reconcile", "console-reconcile"),
    ("/reconcile/runs/1", "console-reconcile-run"),
    ("/accounts", "console-accounts"),
    ("/accounts/shopify-eu", "console-account"),
    ("/jobs", "console-jobs"),
]


def main(home: str) -> None:
    settings = load_settings(Path(home).resolve())
    with open_engine(settings) as engine:
        factory = make_session_factory(engine)
        with factory() as session:
            last = session.scalar(select(func.max(JobRun.started_at)))
        assert last is not None, f"{home} has no job runs: run `channelhub demo` first"
        moment = last + timedelta(minutes=5)
        with factory.begin() as session:
            add_user(session, USER, Role.OWNER, PASSWORD, now=moment)
        app = create_app(
            session_factory=factory,
            connector_factory=connector_factory_for(settings),
            now=lambda: moment,
            console=console_config(settings, job_options(settings)),
        )
        with serve_on_loopback(app) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            log_in(page, url, USER)
            for path, name in PAGES:
                response = page.goto(f"{url}{path}")
                if response is None or response.status == 404:
                    print(f"skipped {path}: not served here")
                    continue
                print(f"{path} -> {screenshot(page, name)}")
            browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".channelhub-demo")
