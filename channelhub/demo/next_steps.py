"""What a seller can try after the demo: commands on the demo home, ``demo --keep``, and the
real-setup guide. Lines of (command, what it shows), printed by ``channelhub demo``."""

from __future__ import annotations

import shlex
from pathlib import Path

from channelhub.demo.keep import ROLES, Kept
from channelhub.demo.scenario import AMAZON_ACCOUNT, MULTIPACK_LISTING
from channelhub.demo.summary import DemoSummary

SETUP_GUIDE = "docs/setup-guide.md"
Step = tuple[str, str]


def home_arg(home: Path | str) -> str:
    """The demo home as a shell word."""
    return shlex.quote(str(home))


def what_next(summary: DemoSummary, home: Path | str) -> list[Step]:
    """The closing block: explore the demo home, keep it running, set up a real hub."""
    hub = f"channelhub --home {home_arg(home)}"
    steps: list[Step] = [
        (f"{hub} orders list", "every order: the hub's status and the channel's"),
    ]
    if summary.split_order:
        steps.append(
            (
                f"{hub} orders show {summary.split_order}",
                "one order split across two warehouses: every decision, its warehouse "
                "orders and tracking",
            )
        )
    steps += [
        (
            f"{hub} stock explain {MULTIPACK_LISTING} --account {AMAZON_ACCOUNT}",
            "why the 2-pack listing shows the quantity it shows",
        ),
        (f"{hub} jobs log", "every job run the demo made"),
        (f"{hub} pairing list", "the bindings, and the listings still unpaired"),
        (
            "channelhub demo --keep",
            "the same demo, then the hub and the simulators stay up: "
            f"`{hub} reconcile`, `jobs run`, webhooks and /metrics work against them",
        ),
        (SETUP_GUIDE, "set up your own hub: real accounts, warehouses, stock, `channelhub run`"),
    ]
    return steps


def what_to_try(kept: Kept, summary: DemoSummary) -> list[Step]:
    """What to type in another terminal while ``demo --keep`` runs."""
    hub = f"channelhub --home {home_arg(kept.home)}"
    steps: list[Step] = [
        (f"curl {kept.hub_url}/health", "the hub is up; its jobs and runs in flight"),
        (f"curl {kept.hub_url}/metrics", "what the hub counted (Prometheus text)"),
        (f"{hub} accounts list", "the demo's accounts, pointing at the simulators"),
        (
            f"{hub} jobs run pull_orders {AMAZON_ACCOUNT}",
            "import from the Amazon simulator now (the scheduler also runs it every 5 minutes)",
        ),
        (f"{hub} reconcile", "compare the hub with every channel and warehouse"),
    ]
    cod = [key for key, why in sorted(summary.held.items()) if "cash on delivery" in why]
    if cod:
        steps.append(
            (
                f"{hub} orders approve {cod[0]}",
                "approve the cash-on-delivery order held for review: the scheduler dispatches "
                "it and the warehouse ships it within minutes",
            )
        )
    amazon = kept.simulators.get("amazon")
    if amazon:
        steps.append((f"curl {amazon}/_sim/journal", "every request the hub made to Amazon"))
    steps.append((f"{hub} jobs log", "what the scheduler ran while you watched"))
    return steps


def urls(kept: Kept) -> list[Step]:
    """What is up and where: the hub, then each simulator."""
    lines: list[Step] = [
        (kept.hub_url, "the hub: webhooks, warehouse callbacks, /health, /metrics")
    ]
    if kept.login is not None:
        user, password = kept.login
        lines.append(
            (f"{kept.hub_url}/", f"the console: log in as {user} / {password} (shown once)")
        )
    for name, url in sorted(kept.simulators.items()):
        lines.append((url, f"{name}: {ROLES.get(name, 'simulator')}"))
    return lines
