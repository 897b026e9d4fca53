"""Token calls over a day of one Amazon account's job runs, against the contract's minimum.

``channelhub run`` builds a new connector for every job run, and an Amazon account's order
import runs every 5 minutes by default (288 runs a day; its stock and tracking pushes run as
often and more). Each run's import needs an LWA access token and, for buyer data, a
Restricted Data Token; both are valid for their ``expires_in`` (3600 s). This bench runs a
day of imports on the Amazon simulator on a fake clock (``--scale`` scales the day), each run
with a connector of its own built from one context, as the process's connector factory
builds them:

- **each run's own tokens** (``tokens=None``: as every run was before), and
- **the process's tokens** (:class:`~channelhub.connectors.http.auth.ProcessTokens`, which
  the factory now passes): a run takes the token an earlier run fetched while it is fresh.

Printed: LWA token calls and createRestrictedDataToken calls per day, beside the contract's
minimum: one of each per 3600 s lifetime (the connector renews 60 s before the end, so its
own best is one per 3540 s). Each run is checked: every order read with its buyer, and no
request refused (the simulator refuses an expired token with 403).
"""

from __future__ import annotations

import argparse
import asyncio
import math
from datetime import timedelta

from bench.channels import FakeTime
from bench.channels.amazon import amazon_context
from bench.run import Figure
from channelhub.connectors.amazon import AmazonConnector
from channelhub.connectors.http.auth import ProcessTokens
from channelhub.mappings.amazon.requests import RDT_PATH
from channelhub.simulators.amazon import create_app
from channelhub.simulators.amazon.state import TOKEN_LIFETIME

TRACE_MEMORY = False
EVERY = timedelta(minutes=5)  # [jobs.every] pull_orders = 300
DAY = timedelta(days=1)
ORDERS = 20
LWA_PATH = "/auth/o2/token"  # amazon_context's lwa_url


async def _day(runs: int, *, kept: bool) -> tuple[int, int]:
    """LWA and RDT calls of ``runs`` imports, 5 minutes apart, each with its own connector."""
    time = FakeTime()
    sim = create_app(seed=3, order_count=ORDERS, now=time.utc)
    context = amazon_context(time, sim, tokens=ProcessTokens() if kept else None)
    since = time.now - timedelta(days=30)
    for _ in range(runs):
        connector = AmazonConnector(context)
        try:
            read = 0
            async for page in connector.pull_orders(since=since):
                if page.failures or any(o.buyer is None for o in page.items):
                    raise RuntimeError("an order came without its buyer")
                read += len(page.items)
            if read != ORDERS:
                raise RuntimeError(f"a run read {read} of {ORDERS} orders")
        finally:
            await connector.aclose()
        time.now += EVERY
    if any(e.status == 403 for e in sim.journal.entries):
        raise RuntimeError("a token was refused: one was used past its lifetime")
    return sim.journal.count("POST", LWA_PATH), sim.journal.count("POST", RDT_PATH)


def run(args: argparse.Namespace) -> list[Figure]:
    scale = getattr(args, "scale", 1.0)
    runs = max(2, round(DAY / EVERY * scale))
    span = EVERY * runs
    minimum = math.ceil(span / TOKEN_LIFETIME)
    before = asyncio.run(_day(runs, kept=False))
    now = asyncio.run(_day(runs, kept=True))
    at = f"{runs} imports {int(EVERY.total_seconds() // 60)} min apart"
    return [
        Figure(f"{at}: LWA token calls, each run's own token", before[0], "calls"),
        Figure(f"{at}: LWA token calls, the process's tokens", now[0], "calls"),
        Figure(f"{at}: createRestrictedDataToken calls, each run's own", before[1], "calls"),
        Figure(f"{at}: createRestrictedDataToken calls, the process's", now[1], "calls"),
        Figure(f"{at}: contract minimum of each (expires_in 3600 s)", minimum, "calls"),
    ]
