"""Hostile files and ids on the command line: each is one clear line, never a traceback, and
no message quotes more than about 200 characters of what was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.hub import Hub

ZERO = "/dev/zero"


def _one_line(code: int, err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1, err[-2000:]
    assert len(lines) == 1, err[-2000:]
    assert "Traceback" not in err
    assert len(lines[0]) < 400
    return lines[0]


@pytest.mark.skipif(not Path(ZERO).exists(), reason="needs /dev/zero")
@pytest.mark.parametrize(
    "command",
    [("products", "import", ZERO), ("stock", "import", ZERO), ("rules", "test", "--rules", ZERO)],
)
def test_an_endless_file_is_refused_after_a_bounded_read(
    ready_hub: Hub, command: tuple[str, ...]
) -> None:
    code, _, err = ready_hub(*command)
    assert "larger than" in _one_line(code, err)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"orders": [\xff\xfe]}', "is not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nests arrays or objects too deeply"),
        (b'{"orders": [{"orderId": ' + b"9" * 4_400 + b"}]}", "holds a number of 4,400 digits"),
        (b'{"orders": [{"orderId": "' + b"x" * 2_000_000 + b'"}]}', "longer than 128"),
        (b'{"orders": [{"orderId": "\xc2\xb2\xc2\xb3"}]}', "is not an Amazon order id"),
        (b"\x00" * 64, "holds NUL bytes"),
    ],
)
def test_normalize_refuses_hostile_payloads_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    says: str,
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_bytes(content)
    hub = Hub(tmp_path / "home", capsys, monkeypatch)  # normalize needs no database
    code, _, err = hub("normalize", "amazon", "order", str(payload))
    assert says in _one_line(code, err)


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("9" * 30, "too large"),
        ("9" * 5_000, "longer than 40 characters"),
        ("abc", "is not a whole number"),
        ("²", "is not a whole number"),
        ("0", "must be at least 1"),
    ],
)
def test_jobs_replay_refuses_an_id_that_cannot_be_one(
    ready_hub: Hub, given: str, says: str
) -> None:
    code, _, err = ready_hub("jobs", "replay", given)
    assert says in _one_line(code, err)
