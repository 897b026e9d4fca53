"""Simulator factories by platform name, for ``channelhub simulate`` and the demo.

Each entry is a lazy ``module:function`` so one platform's simulator failing to import does
not take the others down. A factory is called as ``factory(seed=…, in_process=…)`` and
returns an ASGI app (normally a :class:`~channelhub.simulators.base.Simulator`).
Platform engineers append one line here.
"""

from __future__ import annotations

import importlib
from typing import Any

from channelhub.core.errors import NotFound

SIMULATORS: dict[str, str] = {
    "demo": "channelhub.simulators.demo:create_simulator",
    "amazon": "channelhub.simulators.amazon:create_simulator",
    "ebay": "channelhub.simulators.ebay:create_simulator",
    "shopify": "channelhub.simulators.shopify:create_simulator",
    "shipbob": "channelhub.simulators.shipbob:create_simulator",
    "outbound_protocol": "channelhub.simulators.warehouse:create_simulator",
    "ups": "channelhub.simulators.ups:create_simulator",
    "easypost": "channelhub.simulators.easypost:create_simulator",
    "temu": "channelhub.simulators.temu:create_simulator",
}


def simulator_names() -> list[str]:
    return sorted(SIMULATORS)


def create_simulator(platform: str, *, seed: int = 0, in_process: bool = True) -> Any:
    """Build the simulator of ``platform``; NotFound lists the known ones."""
    target = SIMULATORS.get(platform)
    if target is None:
        known = ", ".join(simulator_names())
        raise NotFound(f"no simulator for platform {platform!r} (known: {known})")
    module_name, _, attribute = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    return factory(seed=seed, in_process=in_process)
