"""``python -m tests.distributed.gated``: a fork server of channelhub CLI processes.

It imports every command once, then for each line ``go LOGFILE ARG…`` on stdin forks a child
that runs ``channelhub ARG…`` with its output in LOGFILE, and prints ``pid N``; when a child
ends it prints ``exit N CODE`` (CODE negative: killed by that signal). The test's worker
processes then start at once and cost no import each; each child is a real process the test
can SIGKILL by its pid.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from channelhub.cli import commands, main  # noqa: F401  (every command imported now)


def _reap(_signum: int, _frame: FrameType | None) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        print(f"exit {pid} {os.waitstatus_to_exitcode(status)}", flush=True)


def _child(log: str, args: list[str]) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.argv = ["channelhub", *args]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    signal.signal(signal.SIGCHLD, _reap)
    print("loaded", flush=True)
    for line in sys.stdin:
        word, log, *args = line.split()
        if word != "go":
            break
        pid = os.fork()
        if pid == 0:
            _child(log, args)
        print(f"pid {pid}", flush=True)
