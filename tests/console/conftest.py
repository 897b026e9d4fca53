"""Console fixtures: the hub app with seeded users and a dead letter (``hub``), a logged-in
TestClient per role (``login``), and for browser tests the app served by uvicorn on a free
loopback port (``live_url``) driven by Debian's Chromium through Playwright's sync API
(``page``). Every fixture runs on SQLite and PostgreSQL (the ``engine`` fixture's params).

A new screen's tests reuse these: seed its rows through the store in the test (or add a seeding
fixture here), then ``login("operator")`` for TestClient tests or ``page`` + ``log_in(page,
live_url, "operator")`` for a browser journey.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from channelhub.api.app import create_app
from channelhub.api.console import ConsoleConfig
from channelhub.connectors.errors import Unauthorized
from channelhub.core.roles import Role
from channelhub.jobs import JobKind
from channelhub.jobs.engine.runner import run_job
from channelhub.store.crypto import Vault
from channelhub.store.repos.console_users import add_user
from channelhub.store.repos.jobs import list_dead_letters
from tests.jobs.conftest import Clock, clock, session_factory, vault  # noqa: F401
from tests.jobs.fakes import ACCOUNT, FakeChannel, Rec

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"
DOCS = Path(__file__).resolve().parents[2] / "docs"


@dataclass
class Hub:
    """The app and what the tests poke at: the fake channel, the clock, the database."""

    app: FastAPI
    channel: FakeChannel
    clock: Clock
    session_factory: sessionmaker[Session]
    dead_letter_id: int


@pytest.fixture
def hub(session_factory: sessionmaker[Session], clock: Clock, vault: Vault) -> Hub:  # noqa: F811
    """One user per role (name = role, password PASSWORD) and one open dead letter: a
    pull_orders run the channel refused; the channel is healthy again, so a replay succeeds."""
    channel = FakeChannel(pages=[[Rec("A", 1)]], fail_with=Unauthorized("revoked", status=401))
    with session_factory.begin() as session:
        for role in Role:
            add_user(session, role.value, role, PASSWORD, now=clock())
    failing = run_job(
        session_factory,
        ACCOUNT,
        JobKind.PULL_ORDERS,
        connector_factory=lambda row: channel,
        now=clock,
    )
    # in a thread of its own: Playwright's sync API keeps an event loop on this one
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, failing).result()
    with session_factory() as session:
        (letter,) = list_dead_letters(session)
    channel.fail_with = None
    app = create_app(
        session_factory=session_factory,
        connector_factory=lambda row: channel,
        now=clock,
        console=ConsoleConfig(job_every={"pull_orders": 300}, vault=vault),
    )
    return Hub(app, channel, clock, session_factory, letter.id)


@pytest.fixture
def login(hub: Hub) -> Callable[[str], TestClient]:
    """``login("viewer")``: a TestClient holding that user's session cookie."""

    def log_in(name: str) -> TestClient:
        client = TestClient(hub.app, base_url="http://testserver", follow_redirects=False)
        response = post_login(client, name)
        assert response.status_code == 303, response.text
        return client

    return log_in


def post_login(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    """GET the login form (its CSRF cookie and field), then POST it, as a browser does."""
    form = client.get("/login").text
    marker = 'name="csrf_token" value="'
    start = form.index(marker) + len(marker)
    token = form[start : form.index('"', start)]
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token})


def csrf_of(client: TestClient) -> str:
    """The CSRF token a page hands out (from its meta tag)."""
    text = client.get("/").text
    marker = '<meta name="csrf-token" content="'
    start = text.index(marker) + len(marker)
    return text[start : text.index('"', start)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_url(hub: Hub) -> Iterator[str]:
    """The hub app served by uvicorn on a free loopback port, in a thread."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(hub.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    ready = threading.Event()
    for _ in range(500):  # uvicorn sets `started` once it listens
        if server.started:
            ready.set()
            break
        ready.wait(0.01)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module: Playwright's sync API holds an event loop on the main
    thread while it runs, which would break later tests that call ``asyncio.run``."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def log_in(page: Any, live_url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def screenshot(page: Any, name: str) -> Path:
    """Save the page to docs/screenshots/NAME.png (for the README and the guide)."""
    path = DOCS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
