"""``promo explain``: why each promotion applied to a cart or not, step by step."""

from __future__ import annotations

import json
from pathlib import Path

import click

from . import common
from .common import handles_errors, parse_moment


@click.command(name="explain")
@click.argument("ruleset", type=common.Path(dir_okay=False))
@click.argument("cart", type=common.Path(dir_okay=False))
@click.argument("promotions", nargs=-1, metavar="[PROMOTION]...")
@click.option("--at", "at", metavar="ISO-8601", help="Evaluate at this time instead of the "
              "cart's `at` (e.g. 2026-07-01T12:00:00+02:00).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format (json: schemas/explain.schema.json).")
@click.option("--db", "db", type=common.Path(dir_okay=False), metavar="PATH_OR_URL",
              help="A usage store to read, as for `promo eval --db` (opened read-only): the "
              "limits it is asked about are shown.")
@handles_errors
def explain(ruleset: str, cart: str, promotions: tuple[str, ...], at: str | None, fmt: str,
            db: str | None) -> None:
    """Explain the decision about each promotion (all, or those named) for a cart: the
    coupon, the window, every part of its conditions, the limits, the stacking and
    the effect's computation."""
    from dsl import load_ruleset

    from ..cart import load_cart
    from ..program import compile_ruleset
    from ..trace import explain_cart
    from .trace_text import render_trace

    moment = parse_moment(at) if at else None
    rules, snapshot = load_ruleset(Path(ruleset)), load_cart(Path(cart))
    program = compile_ruleset(rules)
    wanted = list(promotions) or None
    if db is None:
        trace, _ = explain_cart(program, snapshot, moment, None, wanted)
    else:
        from ..usage import StoreView, open_store

        with open_store(db, readonly=True) as store:
            trace, _ = explain_cart(program, snapshot, moment, StoreView(store, rules), wanted)
    if fmt == "json":
        click.echo(json.dumps(trace.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_trace(trace), nl=False)
