"""``promo schema``: write (or check) the JSON Schemas of every contract."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import common
from .common import EXIT_FINDINGS, EXIT_OK, handles_errors


@click.command()
@click.option("--output-dir", "-o", type=common.Path(file_okay=False), default="schemas",
              show_default=True, help="Directory to write the JSON Schemas to.")
@click.option("--check", is_flag=True, help="Exit 1 if a schema file is missing or stale; "
              "write nothing.")
@handles_errors
def schema(output_dir: str, check: bool) -> None:
    """Write the JSON Schemas (ruleset, cart, result, events) and the service's OpenAPI
    contract (promotions.v1.yaml) into a directory."""
    from ..schemas import all_schemas, schema_text

    stale = []
    for relative, document in all_schemas().items():
        path = Path(output_dir) / relative
        text = schema_text(relative, document)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(str(path))
        if not check:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except OSError as err:
                raise common.cannot_write(err.filename or path, err) from None
    verb = "stale" if check else "written"
    for path_text in stale:
        click.echo(f"{verb}: {path_text}")
    if not stale:
        click.echo("schemas are up to date")
    sys.exit(EXIT_FINDINGS if check and stale else EXIT_OK)
