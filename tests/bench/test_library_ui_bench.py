"""The library_ui benchmark runs on a small hub and measures every page and command it
names (figures are printed, not asserted: each one only has to have run and answered)."""

from __future__ import annotations

import argparse

import pytest

from bench.bench_library_ui import run


def test_benchmark_renders_every_page_and_runs_every_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("CHANNELHUB_HOME", "CHANNELHUB_SECRET_KEY", "CHANNELHUB_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("bench.bench_library_ui.REPEAT", 1)
    figures = {f.name: f.value for f in run(argparse.Namespace(scale=0.004))}
    assert figures["library [40 SKUs x 3 accounts, 40 unpaired]"] == 120
    assert "console: GET /pairing (unpaired queue, page 1)" in figures
    assert "cli: pairing bind LISTING SKU (re-bind)" in figures
    assert all(value > 0 for value in figures.values())
