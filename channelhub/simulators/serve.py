"""Serve a simulator on a loopback port with uvicorn (``channelhub simulate``, demos, benches).

``serve`` blocks until Ctrl-C. ``serving`` runs one in a background thread for a test or a
benchmark and yields the bound port once uvicorn has started (an event, not a sleep loop).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def serve(app: Any, host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "info") -> None:
    """Serve ``app`` until interrupted."""
    uvicorn.run(app, host=host, port=port, log_level=log_level)


class _SignalingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()

    def install_signal_handlers(self) -> None:  # a thread cannot take signals
        return None


@contextmanager
def serving(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, startup_timeout: float = 10.0
) -> Iterator[int]:
    """Run ``app`` in a thread while the block runs; yields the port (``port=0``: any free)."""
    server = _SignalingServer(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="simulator", daemon=True)
    thread.start()
    try:
        if not server.ready.wait(startup_timeout) or not server.servers:
            raise RuntimeError(f"simulator did not start on {host}:{port}")
        bound = server.servers[0].sockets[0].getsockname()[1]
        yield int(bound)
    finally:
        server.should_exit = True
        thread.join(startup_timeout)
