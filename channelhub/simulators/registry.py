"""Simulator factories by platform name, for ``channelhub simulate`` and the demo.

Each entry is a lazy ``module:function`` so one platform's simulator failing to import does
not take the others down. A factory is called as ``factory(seed=…, in_process=…)`` and
returns an ASGI app (normally a :class:`~channelhub.simulators.base.Simulator`).
The factory's module also exports ``SIMULATOR_INFO`` (a
:class:`~channelhub.simulators.info.SimulatorInfo`): the ``accounts add`` line that works
against it. Platform engineers append one line here.
"""

from __future__ import annotations

import importlib
from typing import Any

from channelhub.core.errors import InvalidInput, NotFound
from channelhub.simulators.info import SimulatorInfo

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
    "amazon_mcf": "channelhub.simulators.amazon_mcf:create_simulator",
    "goodcang": "channelhub.simulators.goodcang:create_simulator",
    "walmart": "channelhub.simulators.walmart:create_simulator",
    "wish": "channelhub.simulators.wish:create_simulator",
    "winit": "channelhub.simulators.winit:create_simulator",
    "fourpx": "channelhub.simulators.fourpx:create_simulator",
}


def simulator_names() -> list[str]:
    return sorted(SIMULATORS)


def _target(platform: str) -> tuple[Any, str]:
    target = SIMULATORS.get(platform)
    if target is None:
        known = ", ".join(simulator_names())
        raise NotFound(f"no simulator for platform {platform!r} (known: {known})")
    module_name, _, attribute = target.partition(":")
    return importlib.import_module(module_name), attribute


def create_simulator(
    platform: str, *, seed: int = 0, in_process: bool = True, **options: Any
) -> Any:
    """Build the simulator of ``platform``; NotFound lists the known ones. ``options`` go to
    the factory (e.g. the reference warehouse's ``hub_url`` and ``account``)."""
    module, attribute = _target(platform)
    return getattr(module, attribute)(seed=seed, in_process=in_process, **options)


def simulator_info(platform: str) -> SimulatorInfo | None:
    """The account facts of ``platform``'s simulator (None: not a hub platform, e.g. demo)."""
    module, _ = _target(platform)
    info = getattr(module, "SIMULATOR_INFO", None)
    return info if isinstance(info, SimulatorInfo) else None


def served_simulator(
    platform: str,
    *,
    seed: int = 0,
    account: str | None = None,
    hub_url: str | None = None,
    **extra: Any,
) -> Any:
    """The simulator as ``channelhub simulate`` serves it for a person: with its info's
    ``served`` options (the wall clock, …) and, for one that calls back, reporting for
    ``account`` to the hub at ``hub_url`` (the hub's base URL). ``extra`` factory options
    (e.g. a smaller ``order_count`` for a test) come last."""
    info = simulator_info(platform)
    options: dict[str, Any] = dict(info.served) if info else {}
    if hub_url is not None:
        if info is None:
            raise InvalidInput.field(
                "--hub-url", hub_url, f"is not used by the {platform} simulator"
            )
        options["hub_url"] = info.callback_url(hub_url, account)
    if info is not None and info.callback_path is not None:
        options["account"] = account or info.account
    return create_simulator(platform, seed=seed, in_process=False, **{**options, **extra})
