"""Parameter tables read from the Temu partner-docs transcript (the only contract there is).

Parsing the transcript itself, rather than copying its tables into tests, means a request
builder is checked against the document, and a change to the document shows up as a failure.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tests.contracts import contract_file

TYPES = {
    "INTEGER": int,
    "LONG": int,
    "STRING": str,
    "STRING[]": list,
    "LONG[]": list,
    "INTEGER[]": list,
    "OBJECT": dict,
}


@lru_cache(maxsize=1)
def _text() -> str:
    return contract_file("temu", "partner-documentation-transcript.md").read_text(encoding="utf-8")


def _table_after(marker: str, heading: str) -> dict[str, tuple[str, bool]]:
    text = _text()
    start = text.index(marker)
    table_start = text.index(heading, start)
    rows: dict[str, tuple[str, bool]] = {}
    for line in text[table_start:].splitlines()[1:]:
        if not line.strip():
            if rows:
                break
            continue
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = cells[0].strip("`")
        if name in ("参数名",) or set(name) <= {"-"}:
            continue
        rows[name] = (cells[1], cells[2] == "是")
    return rows


def request_params(api_type: str) -> dict[str, tuple[str, bool]]:
    """{name: (TYPE, required)} of an API's request table (its ``request`` wrapper dropped)."""
    rows = _table_after(f"##### {api_type} ", "**请求参数**")
    rows.pop("request", None)
    return rows


def common_params() -> dict[str, tuple[str, bool]]:
    """The common parameters table of the developer guide."""
    return _table_after("#### 通用参数", "| 参数名")


def signing_example_body() -> str:
    """The JSON body of the signing example's step 5 (shipment confirm)."""
    text = _text()
    start = text.index("**步骤 5**")
    match = re.search(r"```json\n(.*?)```", text[start:], re.S)
    assert match is not None
    return match.group(1)


def check_against_table(api_type: str, params: dict[str, object]) -> None:
    """Every parameter is in the table with the documented type; every required one is there."""
    table = request_params(api_type)
    for name, value in params.items():
        assert name in table, f"{api_type}: {name!r} is not a documented parameter"
        expected = TYPES[table[name][0]]
        assert isinstance(value, expected), f"{api_type}: {name}={value!r} is not {table[name][0]}"
    missing = [n for n, (_, required) in table.items() if required and n not in params]
    assert not missing, f"{api_type}: required parameters missing: {missing}"
