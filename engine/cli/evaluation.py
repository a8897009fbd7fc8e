"""``promo eval``: a dry run of a ruleset against a cart snapshot."""

from __future__ import annotations

from pathlib import Path

import click

from . import common
from .common import handles_errors, parse_moment


@click.command(name="eval")
@click.argument("ruleset", type=common.Path(dir_okay=False))
@click.argument("cart", type=common.Path(dir_okay=False))
@click.option("--at", "at", metavar="ISO-8601", help="Evaluate at this time instead of the "
              "cart's `at` (e.g. 2026-07-01T12:00:00+02:00).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--db", "db", type=common.Path(dir_okay=False), metavar="PATH_OR_URL",
              help="A usage store to read, a SQLite file or a postgresql:// URL (it must "
              "exist; opened read-only, never written): promotions whose limits are used up "
              "are rejected.")
@handles_errors
def eval_(ruleset: str, cart: str, at: str | None, fmt: str, db: str | None) -> None:
    """Dry-run a ruleset against a cart snapshot: priced lines and why."""
    from dsl import load_ruleset

    from ..cart import load_cart
    from ..program import evaluate
    from .render import render_text

    moment = parse_moment(at) if at else None
    rules, snapshot = load_ruleset(Path(ruleset)), load_cart(Path(cart))
    if db is None:
        result = evaluate(rules, snapshot, at=moment)
    else:
        from ..usage import StoreView, open_store  # (only here: the store's import costs)

        with open_store(db, readonly=True) as store:
            result = evaluate(rules, snapshot, at=moment, usage=StoreView(store, rules))
    click.echo(result.to_json() if fmt == "json" else render_text(result), nl=False)
