"""Reads docs/setup-guide.md so that its commands are tested, not just printed.

Two kinds of fenced ``bash`` block:

- a block right after a ``<!-- guide-test: run -->`` line is a step of the simulator walkthrough;
  :func:`walkthrough_script` joins those steps into one bash script, in order;
- every ``channelhub …`` line of every ``bash`` block (real platforms included) names a command
  and options that must exist: :func:`channelhub_lines` lists them for the CLI check.

Ports: the guide uses the 81xx ports a reader can type; a test maps each to a free port
(:func:`remap_ports`) so parallel runs never meet. A command started in the background with
``--port N`` is followed by a bounded wait until the port answers (``wait_port``): a person
waits for the banner, a script must wait for the socket.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
GUIDE = REPO_ROOT / "docs" / "setup-guide.md"
RUN_MARKER = "<!-- guide-test: run -->"
GUIDE_PORT = re.compile(r"\b81\d\d\b")
_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Block:
    language: str
    body: str
    run: bool
    line: int  # where the block starts in the guide (1-based), for failure messages


def blocks(text: str) -> list[Block]:
    """Every fenced block of the guide, in order."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        previous = next((ln.strip() for ln in reversed(lines[:start]) if ln.strip()), "")
        found.append(Block(match.group(1), "\n".join(body), previous == RUN_MARKER, start + 1))
        index += 1
    return found


def commands(body: str) -> list[str]:
    """The shell commands of a block: comments dropped, ``\\`` continuations joined."""
    joined: list[str] = []
    pending = ""
    for raw in body.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append((pending + line).strip())
        pending = ""
    return joined


def channelhub_lines(text: str, *, walkthrough: bool = False) -> list[tuple[int, list[str]]]:
    """(guide line of its block, argv after ``channelhub``) of every channelhub command (of the
    walkthrough's blocks only, with ``walkthrough``)."""
    found = []
    for block in blocks(text):
        if block.language != "bash" or (walkthrough and not block.run):
            continue
        for command in commands(block.body):
            for words in _simple_commands(command):
                while words and "=" in words[0] and not words[0].startswith("-"):
                    words.pop(0)  # VAR=value before the command
                if words and words[0] == "channelhub":
                    found.append((block.line, words[1:]))
    return found


_OPERATORS = frozenset({"|", "||", "&&", ";", "&", ";;"})


def _simple_commands(command: str) -> list[list[str]]:
    """The words of each simple command in a shell line (quotes honoured, operators split)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    simple: list[list[str]] = [[]]
    for token in lexer:
        if token in _OPERATORS:
            simple.append([])
        else:
            simple[-1].append(token)
    return [words for words in simple if words]


def remap_ports(script: str, ports: Mapping[str, int]) -> str:
    """Replace each guide port (81xx) by the free port the test chose for it."""
    return GUIDE_PORT.sub(lambda m: str(ports.get(m.group(0), m.group(0))), script)


def guide_ports(text: str) -> set[str]:
    return set(GUIDE_PORT.findall("\n".join(b.body for b in blocks(text) if b.run)))


_PRELUDE = """\
set -euo pipefail
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
wait_port() {
  python3 - "$1" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
for _ in range(600):  # at most ~60 s, then fail loudly
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(f"nothing answers on port {port}")
PY
}
"""

_BACKGROUND_PORT = re.compile(r"--port\s+(\d+)")


def walkthrough_script(text: str, ports: Mapping[str, int], epilogue: Iterable[str] = ()) -> str:
    """The walkthrough's steps as one bash script (ports remapped, background ports awaited)."""
    out = [_PRELUDE]
    for block in blocks(text):
        if not block.run:
            continue
        out.append(f"# --- guide line {block.line}")
        for command in commands(remap_ports(block.body, ports)):
            out.append("echo " + shlex.quote(f"$ {command}"))
            out.append(command)
            port = _BACKGROUND_PORT.search(command)
            if command.endswith("&") and port:
                out.append(f"wait_port {port.group(1)}")
    out.extend(epilogue)
    return "\n".join(out) + "\n"
