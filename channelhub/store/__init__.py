"""Persistence: SQLAlchemy 2 tables and repositories, Alembic migrations.

SQLite is the embedded default; PostgreSQL is production. Every import is an upsert on
its natural key; anything sent out goes through the transactional outbox.
"""
