"""Persistence: SQLAlchemy 2 tables, repositories and Alembic migrations.

Entry points: :func:`make_engine`, :func:`make_session_factory`, :func:`upgrade`; the
repositories live in :mod:`channelhub.store.repos`, the tables in :mod:`channelhub.store.tables`.
"""

from channelhub.store.db import (
    current_revision,
    head_revision,
    make_engine,
    make_session_factory,
    upgrade,
)

__all__ = ["current_revision", "head_revision", "make_engine", "make_session_factory", "upgrade"]
