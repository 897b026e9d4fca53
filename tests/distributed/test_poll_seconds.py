"""``[engine] poll_seconds``: how often a procrastinate worker looks for due jobs (those
queued for later are found only this way). The setting, 5 s by default, reaches procrastinate's
``fetch_job_polling_interval`` from ``channelhub worker`` and from ``channelhub run``'s worker;
a stand-in app records the call, no database or real worker needed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import channelhub.cli.run as cli_run
import channelhub.cli.worker as cli_worker
from channelhub.core.errors import ConfigError
from channelhub.jobs.distributed.worker import run_worker
from channelhub.settings import Settings, load_settings

pytestmark = pytest.mark.anyio


class StandInApp:
    """Records the keyword arguments of each ``run_worker_async`` call; returns at once."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    @asynccontextmanager
    async def open_async(self) -> AsyncIterator[None]:
        yield

    async def run_worker_async(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def _settings(tmp_path: Path, engine: str = "") -> Settings:
    (tmp_path / "config.toml").write_text(f'[engine]\nkind = "procrastinate"\n{engine}')
    return load_settings(tmp_path, env={})


def _runtime(settings: Settings) -> Any:
    return SimpleNamespace(
        settings=settings,
        session_factory=None,
        options=SimpleNamespace(stock_timing=None),
    )


def test_the_setting_defaults_to_five_seconds_and_refuses_zero(tmp_path: Path) -> None:
    assert _settings(tmp_path).engine.poll_seconds == 5.0
    assert _settings(tmp_path, "poll_seconds = 1.5\n").engine.poll_seconds == 1.5
    with pytest.raises(ConfigError, match=r"engine\.poll_seconds"):
        _settings(tmp_path, "poll_seconds = 0\n")


async def test_run_worker_hands_it_to_procrastinate() -> None:
    app = StandInApp()
    runtime = SimpleNamespace(holder="w1", stop=SimpleNamespace(request=lambda: None))
    await run_worker(
        app,  # type: ignore[arg-type]
        runtime,  # type: ignore[arg-type]
        stop=asyncio.Event(),
        concurrency=1,
        poll_seconds=1.5,
    )
    [call] = app.calls
    assert call["fetch_job_polling_interval"] == 1.5


async def test_channelhub_worker_passes_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = StandInApp()
    monkeypatch.setattr(cli_worker, "build_app", lambda *args, **kwargs: app)
    monkeypatch.setattr(cli_worker, "install_event_defers", lambda *a, **k: lambda: None)
    hub = SimpleNamespace(holder="w1", stop=SimpleNamespace(request=lambda: None))
    settings = _settings(tmp_path, "poll_seconds = 1.5\n")
    await cli_worker._work(_runtime(settings), hub, 2, None)  # type: ignore[arg-type]
    [call] = app.calls
    assert call["fetch_job_polling_interval"] == 1.5 and call["concurrency"] == 2


async def test_channelhub_runs_worker_passes_the_setting_and_keeps_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = StandInApp()
    monkeypatch.setattr(cli_run, "build_app", lambda *args, **kwargs: app)
    hub = SimpleNamespace(holder="run", stop=SimpleNamespace(request=lambda: None))
    monkeypatch.setattr(cli_run, "distributed_runtime", lambda runtime: hub)
    for engine, expected in (("poll_seconds = 0.5\n", 0.5), ("", 5.0)):
        in_run = cli_run.in_run_worker(_runtime(_settings(tmp_path, engine)))
        assert in_run is not None and in_run.poll_seconds == expected
        await in_run.run()
        assert app.calls.pop()["fetch_job_polling_interval"] == expected
