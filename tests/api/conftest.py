"""The job tests' fixtures (a migrated database with the fake-shop account, a clock)."""

from tests.jobs.conftest import clock, session_factory, vault  # noqa: F401
