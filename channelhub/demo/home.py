"""The demo's own hub home: created fresh (or wiped when it is a previous demo's), initialised
the way ``channelhub init`` does it, then filled through the real repositories: accounts
pointing at the simulators, the catalogue, warehouses and opening stock.

The demo never touches ``~/.channelhub``: it always works in the home it is given (default
``./.channelhub-demo``), and it only wipes a directory that carries its own marker file.
It ignores ``CHANNELHUB_DATABASE_URL`` on purpose: the demo runs on the embedded SQLite.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.errors import ConfigError
from channelhub.core.stock import MovementKind, StockMovement
from channelhub.demo.scenario import (
    BANNED_COUNTRY,
    OPENING_STOCK,
    SKUS,
    multipack_binding,
    warehouses,
)
from channelhub.settings import DEFAULT_CONFIG_TOML, Settings, load_settings
from channelhub.store.crypto import Vault, create_key_file, load_vault
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from channelhub.store.tables.stock import WarehouseRow

MARKER = ".channelhub-demo"
DEFAULT_HOME = Path(".channelhub-demo")


#: The demo seller's rulebook (``<home>/rules.toml``, read by every job run as in production):
#: hold cash-on-delivery orders and orders to the banned country for review.
DEMO_RULES_TOML = f"""\
# channelhub demo rules: the review rules the demo seller runs with.
[[review.rules]]
name = "cod-review"
kind = "cash_on_delivery"

[[review.rules]]
name = "shipping-ban-{BANNED_COUNTRY.lower()}"
kind = "shipping_ban"
country = "{BANNED_COUNTRY}"
"""


def prepare_home(home: Path) -> Settings:
    """A fresh demo home at ``home``: config, secret key, migrated SQLite database."""
    home = home.expanduser()
    if home.exists():
        if not (home / MARKER).exists() and any(home.iterdir()):
            raise ConfigError(
                f"{home} exists and is not a channelhub demo home (no {MARKER} file): "
                "choose another --home"
            )
        shutil.rmtree(home)
    home.mkdir(mode=0o700, parents=True)
    (home / MARKER).write_text("made by `channelhub demo`; wiped by the next run\n")
    (home / "config.toml").write_text(DEFAULT_CONFIG_TOML, encoding="utf-8")
    (home / "rules.toml").write_text(DEMO_RULES_TOML, encoding="utf-8")
    settings = load_settings(home, env={})
    create_key_file(settings.secret_key_path)
    upgrade(settings.resolved_database_url)
    return settings


def open_hub(settings: Settings) -> tuple[sessionmaker[Session], Vault]:
    """Session factory and vault of the demo hub."""
    engine = make_engine(settings.resolved_database_url)
    return make_session_factory(engine), load_vault(settings.secret_key, settings.secret_key_path)


def add_demo_account(
    session: Session,
    vault: Vault,
    *,
    platform: str,
    name: str,
    base_url: str,
    credentials: Mapping[str, str],
    settings: Mapping[str, object],
    now: datetime,
) -> None:
    """One account through the real repository (credentials encrypted by the vault)."""
    add_account(
        session,
        vault,
        platform=platform,
        name=name,
        base_url=base_url,
        credentials={key: SecretStr(value) for key, value in credentials.items()},
        settings=dict(settings),
        now=now,
    )


def seed_catalogue(session: Session, *, now: datetime) -> int:
    """SKUs (singles first, then the combo and the kit), the standing 2-pack binding,
    warehouses and opening stock as RECEIVE movements; returns the units received."""
    for product in sorted(SKUS, key=lambda s: bool(s.components)):
        upsert_sku(session, product, now=now)
    save_binding(session, multipack_binding(), now=now, actor="seller")
    for warehouse in warehouses():
        upsert_warehouse(session, warehouse, now=now)
    return receive_opening_stock(session, OPENING_STOCK, now=now)


def receive_opening_stock(
    session: Session, opening: Mapping[str, Mapping[str, int]], *, now: datetime
) -> int:
    """Opening stock (warehouse code -> SKU -> units) as RECEIVE movements, the warehouses'
    stock then known; returns the units received."""
    received = 0
    for code, levels in opening.items():
        for sku, quantity in levels.items():
            movement = StockMovement(
                warehouse=code,
                sku=sku,
                kind=MovementKind.RECEIVE,
                quantity=quantity,
                reason="opening stock",
                reference=f"opening:{code}",
                at=now,
            )
            record_movement(session, movement, now=now, dedupe_key=f"opening:{code}:{sku}")
            received += quantity
    for row in session.scalars(select(WarehouseRow).where(WarehouseRow.code.in_(opening))):
        row.stock_known_at = now  # the opening stock is the hub's known position
    return received
