"""Simulators run on a loopback port and from the CLI; unknown platforms get one clear line."""

from __future__ import annotations

import sys

import httpx
import pytest

from channelhub.cli import main
from channelhub.core.errors import NotFound
from channelhub.simulators.registry import create_simulator, simulator_names
from channelhub.simulators.serve import serving


def test_a_simulator_serves_on_a_loopback_port() -> None:
    sim = create_simulator("demo", seed=4, in_process=False)
    with serving(sim) as port:
        answer = httpx.get(f"http://127.0.0.1:{port}/orders", timeout=5)
    assert answer.status_code == 200 and len(answer.json()["orders"]) == 5
    assert sim.journal.count("GET", "/orders") == 1


def test_unknown_simulator_lists_the_known_ones() -> None:
    assert "demo" in simulator_names()
    with pytest.raises(NotFound, match=r"no simulator for platform 'nope' \(known: .*demo"):
        create_simulator("nope")


def test_cli_simulate_unknown_platform_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["channelhub", "simulate", "nope", "--port", "1"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no simulator for platform 'nope' (known: ")
    assert "\n" not in err


def test_cli_simulate_serves_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    import channelhub.cli.simulate as simulate_module

    served: list[tuple[object, str, int]] = []
    monkeypatch.setattr(
        simulate_module, "serve", lambda app, host, port: served.append((app, host, port))
    )
    monkeypatch.setattr(
        sys, "argv", ["channelhub", "simulate", "demo", "--port", "8123", "--seed", "9"]
    )
    try:
        main()
    except SystemExit as exited:  # typer ends a successful command with exit code 0
        assert exited.code in (0, None)
    ((app, host, port),) = served
    assert (host, port) == ("127.0.0.1", 8123)
    assert app.seed == 9 and app.in_process is False  # type: ignore[attr-defined]
