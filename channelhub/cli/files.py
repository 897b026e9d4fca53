"""Reading a file a seller names on the command line (a CSV to import, a payload, rules).

Every read is bounded: at most ``limit`` bytes are read (``/dev/zero`` or a mistaken 20 GB file
is refused after the limit, never loaded), lines are bounded, and the text must be UTF-8 without
NUL bytes. Each refusal is one clear line naming the file.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from channelhub.core.errors import InvalidInput

#: The largest file a command reads (a CSV of a large catalogue is a few MB).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: The longest line a CSV or TOML file may hold.
MAX_LINE_CHARS = 100_000
#: The most digits a JSON number may have (Python refuses int() past 4,300; no amount needs 40).
MAX_JSON_DIGITS = 40


def read_text_file(
    path: Path, *, limit: int = MAX_FILE_BYTES, max_line: int | None = MAX_LINE_CHARS
) -> str:
    """The file's UTF-8 text, read with a size bound; a missing, unreadable, too large,
    binary or non-UTF-8 file is one clear line."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InvalidInput.field("FILE", str(path), f"cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise InvalidInput.field(
            "FILE", str(path), f"is larger than {limit // (1024 * 1024)} MB: not read"
        )
    if b"\x00" in data:
        raise InvalidInput.field("FILE", str(path), "holds NUL bytes: it is not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput.field("FILE", str(path), "is not UTF-8 text") from None
    if max_line is not None:
        for number, line in enumerate(text.splitlines(), start=1):
            if len(line) > max_line:
                raise InvalidInput.field(
                    "FILE", str(path), f"line {number} is longer than {max_line:,} characters"
                )
    return text


class _TooManyDigits(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_DIGITS:
        raise _TooManyDigits(len(text.lstrip("-")))
    return int(text)


def _bounded_decimal(text: str) -> Decimal:
    if len(text) > MAX_JSON_DIGITS * 2:
        raise _TooManyDigits(len(text))
    return Decimal(text)


def load_json_file(path: Path, *, limit: int = MAX_FILE_BYTES) -> object:
    """A JSON file read without losing precision (numbers as int or Decimal, never float),
    bounded in size, number length and nesting; each refusal is one clear line."""
    text = read_text_file(path, limit=limit, max_line=None)
    try:
        return json.loads(text, parse_float=_bounded_decimal, parse_int=_bounded_int)
    except _TooManyDigits as exc:
        raise InvalidInput(
            [f"holds a number of {exc.digits:,} digits (at most {MAX_JSON_DIGITS} are read)"],
            source=str(path),
        ) from None
    except RecursionError:
        raise InvalidInput(
            ["nests arrays or objects too deeply to be a platform's payload"], source=str(path)
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"],
            source=str(path),
        ) from None
