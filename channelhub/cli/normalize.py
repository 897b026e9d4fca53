"""``channelhub normalize PLATFORM KIND FILE``: a raw payload in, canonical JSON lines out.

Useful to check what the hub makes of a platform's payload before any account is set up.
Numbers are read as Decimal so money never passes through a float.
"""

from __future__ import annotations

from pathlib import Path

import typer

from channelhub.cli import app
from channelhub.cli.files import load_json_file
from channelhub.core.errors import InvalidInput, NotFound
from channelhub.mappings.catalog import normalizer


def load_payload(path: Path) -> object:
    """Read a JSON file without losing precision; one clear error when it is not JSON, not
    UTF-8, too large, too deep or holds a number too long to be one."""
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    return load_json_file(path)


@app.command()
def normalize(
    platform: str = typer.Argument(..., help="amazon, shopify, ebay or temu"),
    kind: str = typer.Argument(..., help="order or listing"),
    file: Path = typer.Argument(..., help="a raw API response or a single object, as JSON"),
    account: str = typer.Option("default", help="the account name to stamp on each record"),
) -> None:
    """Print one canonical JSON object per record found in FILE, one per line."""
    convert = normalizer(platform, kind)
    payload = load_payload(file)
    try:
        records = convert(payload, account=account)
    except InvalidInput as exc:
        raise InvalidInput(exc.problems, source=str(file)) from exc
    for record in records:
        typer.echo(record.model_dump_json())
