"""Fuzz: mutated published payloads per platform -> accepted, refused, crashes, wrong data.

Every platform's mappings (Amazon, eBay, Shopify, Temu, the outbound protocol, ShipBob, UPS,
EasyPost) are fed ``--examples`` payloads each (default 5,000): the repository's examples and
the simulators' fixtures mutated (type swaps, huge numbers, exotic digits, negative values, deep
nesting, missing and extra keys, mixed currencies, long strings), and documents generated from
the vendored response schemas. The suite in tests/fuzz runs the same on 200 per platform.
Crashes (anything but InvalidInput, or no answer within 5 s) and wrong-data acceptances (a
result breaking tests/fuzz/invariants.py) must both be 0; the first few of each are printed.
"""

from __future__ import annotations

import argparse

from bench.run import Figure
from tests.fuzz.runner import campaign
from tests.fuzz.targets import platforms

TRACE_MEMORY = False  # tracemalloc would slow the mappings several times over
DEFAULT_EXAMPLES = 5_000


def run(args: argparse.Namespace) -> list[Figure]:
    examples = getattr(args, "examples", None) or DEFAULT_EXAMPLES
    figures: list[Figure] = []
    bad = 0
    for name, targets in platforms().items():
        tally = campaign(targets, examples)
        counts = tally.counts
        crashes, wrong = counts["crash"], counts["wrong"]
        bad += crashes + wrong
        print(
            f"  {name:<18} payloads {examples:>6,}  accepted {counts['accepted']:>6,}  "
            f"refused {counts['refused']:>6,}  crashes {crashes}  wrong {wrong}  "
            f"{tally.seconds:6.1f} s"
        )
        for failure in tally.failures[:5]:
            print(f"      {failure}")
        figures += [
            Figure(f"{name}: crashes (must be 0)", crashes, "payloads"),
            Figure(f"{name}: wrong-data acceptances (must be 0)", wrong, "payloads"),
            Figure(f"{name}: payloads per second", examples / max(tally.seconds, 1e-9), "/s"),
        ]
    figures.append(Figure("crashes + wrong acceptances, all platforms", bad, "payloads"))
    return figures
