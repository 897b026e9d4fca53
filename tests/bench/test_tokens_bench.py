"""The token bench runs a short day and finds the process's tokens at the contract minimum."""

from __future__ import annotations

import argparse

from bench import bench_tokens


def test_a_short_day_calls_each_token_endpoint_once_an_hour_with_the_process_tokens() -> None:
    figures = {
        f.name.split(": ", 1)[1]: f.value for f in bench_tokens.run(argparse.Namespace(scale=0.05))
    }
    # 14 imports 5 minutes apart (70 minutes): one call per run before, one per hour now
    assert figures["LWA token calls, each run's own token"] == 14
    assert figures["createRestrictedDataToken calls, each run's own"] == 14
    assert figures["LWA token calls, the process's tokens"] == 2
    assert figures["createRestrictedDataToken calls, the process's"] == 2
    assert figures["contract minimum of each (expires_in 3600 s)"] == 2
