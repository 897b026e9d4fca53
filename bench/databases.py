"""A throwaway PostgreSQL database for a benchmark, dropped afterwards (even when it fails)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from channelhub.store.db import make_engine


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """The URL of a fresh database on ``server_url``'s server, dropped on exit."""
    name = f"chbench_{secrets.token_hex(6)}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def kept_postgres_database(server_url: str, name: str) -> str:
    """The URL of database ``name`` on ``server_url``'s server, created if missing, kept after."""
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not found:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)
