"""``python -m tests.distributed.gated ARGS``: the channelhub CLI, its imports done up front,
run with ARGS once ``go`` arrives on stdin (a test starts its workers' processes early, in
parallel, and lets each one work when its turn comes; the pid is the worker's)."""

from __future__ import annotations

import sys

from channelhub.cli import commands, main  # noqa: F401  (every command imported now)

if __name__ == "__main__":
    print("loaded", flush=True)
    if sys.stdin.readline().strip() == "go":
        sys.argv = ["channelhub", *sys.argv[1:]]
        main()
