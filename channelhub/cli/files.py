"""Reading a file a seller names on the command line (a CSV to import)."""

from __future__ import annotations

from pathlib import Path

from channelhub.core.errors import InvalidInput


def read_text_file(path: Path) -> str:
    """The file's UTF-8 text; a missing, unreadable or non-UTF-8 file is one clear line."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput.field("FILE", str(path), f"cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InvalidInput.field("FILE", str(path), "is not UTF-8 text") from None
