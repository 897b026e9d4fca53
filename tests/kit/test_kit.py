"""The connector kit: the example plugin and a freshly generated one pass the conformance
suite, the example registers through the entry point, and the suite catches broken ones."""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from channelhub.cli import (
    app,
    kit,  # noqa: F401 - registers new-connector
)
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.kit import planned_files
from channelhub.testing import ConformanceSuite, checks_for
from channelhub.testing.checks import (
    fulfilment_once_with_read_back,
    mapping_round_trip_and_bad_input,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plugin-tinyshop"


def _installed() -> bool:
    try:
        importlib.metadata.distribution("channelhub-tinyshop")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


if not _installed():  # a dev checkout without the example installed: import it from the tree
    sys.path.insert(0, str(EXAMPLE))

from channelhub_tinyshop import TinyshopConnector  # noqa: E402
from channelhub_tinyshop.harness import TinyshopHarness  # noqa: E402


class TestExamplePluginConformance(ConformanceSuite):
    harness = TinyshopHarness()


@pytest.mark.skipif(not _installed(), reason="pip install ./examples/plugin-tinyshop (CI does)")
def test_the_installed_example_registers_through_the_entry_point() -> None:
    plugin = ConnectorRegistry().get("tinyshop")
    assert plugin.create is TinyshopConnector and "tinyshop" in ConnectorRegistry().names()


def test_the_example_is_the_template_rendered_for_its_name() -> None:
    for relative, content in planned_files("tinyshop").items():
        assert (EXAMPLE / relative).read_text(encoding="utf-8") == content, relative


def test_a_generated_connector_passes_the_suite_from_its_first_commit(tmp_path: Path) -> None:
    target = tmp_path / "plugin-shopette"
    result = CliRunner().invoke(app, ["new-connector", "shopette", "--dir", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "channelhub_shopette" / "connector.py").exists()
    assert 'shopette = "channelhub_shopette:PLUGIN"' in (target / "pyproject.toml").read_text()
    sys.path.insert(0, str(target))
    try:
        harness = importlib.import_module("channelhub_shopette.harness").ShopetteHarness()
        checks = checks_for(harness.capabilities)
        assert len(checks) == 8
        for check in checks:
            asyncio.run(check.run(harness))
    finally:
        sys.path.remove(str(target))
    again = CliRunner().invoke(app, ["new-connector", "shopette", "--dir", str(target)])
    assert again.exit_code != 0 and "not empty" in str(again.exception)
    bad = CliRunner().invoke(app, ["new-connector", "Bad-Name"])
    assert bad.exit_code != 0 and "NAME" in str(bad.exception)


class _PushesBlindly(TinyshopConnector):
    """Forgets to read shipments back before creating one."""

    async def get_fulfilments(self, order_external_id: str) -> list[Any]:
        return []


class _BlindHarness(TinyshopHarness):
    def rig(self, *, seed: int, orders: int) -> Any:
        rig = super().rig(seed=seed, orders=orders)
        made = rig.connect

        def connect() -> _PushesBlindly:
            good = made()
            broken = _PushesBlindly.__new__(_PushesBlindly)
            broken.__dict__.update(good.__dict__)
            return broken

        rig.connect = connect
        return rig


class _SloppyMapping(TinyshopHarness):
    def map_order(self, document: Any, *, account: str, context: Any) -> list[Any]:
        return [document["id"]]  # a KeyError / TypeError on bad input, wrong on good input


def test_the_suite_catches_a_double_push_and_a_sloppy_mapping() -> None:
    with pytest.raises(AssertionError, match=r"second fulfilment|already_present"):
        asyncio.run(fulfilment_once_with_read_back(_BlindHarness()))
    with pytest.raises(AssertionError, match="does not map back"):
        asyncio.run(mapping_round_trip_and_bad_input(_SloppyMapping()))
