"""Alembic environment: runs on the engine handed over by :func:`channelhub.store.db.upgrade`.

Outside the app (plain ``alembic`` command) the URL comes from ``-x url=...`` or
``CHANNELHUB_DATABASE_URL``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Engine

from channelhub.store.db import hub_owned, make_engine
from channelhub.store.tables import hub_metadata

config = context.config
target_metadata = hub_metadata()


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "CHANNELHUB_DATABASE_URL"
    )
    if not url:
        raise SystemExit("pass -x url=... or set CHANNELHUB_DATABASE_URL")
    return make_engine(url)


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            include_name=hub_owned,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
run_migrations_online()
