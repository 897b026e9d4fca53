"""Running ``channelhub`` through main() against a home on SQLite or PostgreSQL, for CLI tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from channelhub.cli import main
from channelhub.settings import load_settings
from channelhub.store.db import make_engine, make_session_factory


class Hub:
    """``hub("orders", "list")`` runs ``channelhub --home HOME orders list`` as the script does."""

    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch):
        self.home, self.capsys, self.mp = home, capsys, mp

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        self.mp.setattr(sys, "argv", ["channelhub", "--home", str(self.home), *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the hub's database (for seeding and checking); the caller commits."""
        engine = make_engine(load_settings(self.home).resolved_database_url)
        try:
            with make_session_factory(engine)() as session:
                yield session
        finally:
            engine.dispose()


@pytest.fixture
def ready_hub(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Hub:
    """An initialised hub home on a fresh database (SQLite file or PostgreSQL schema)."""
    for var in ("CHANNELHUB_HOME", "CHANNELHUB_SECRET_KEY", "CHANNELHUB_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("CHANNELHUB_DATABASE_URL", db_url)
    h = Hub(tmp_path / "home", capsys, monkeypatch)
    code, _, err = h("init")
    assert code == 0, err
    return h
