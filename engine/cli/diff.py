"""``promo diff``: which carts a ruleset change makes cheaper or dearer, and by how much."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation

import click

from dsl.codes import BAD_OPTION
from dsl.errors import InputError

from .common import EXIT_FINDINGS, handles_errors, parse_moment

FORMATS = ("text", "json", "markdown", "github")


@click.command(name="diff")
@click.argument("old")
@click.argument("new")
@click.option("--carts", "carts", multiple=True, required=True, metavar="PATH",
              help="Carts to price: a cart file (JSON or YAML), a directory of them, or a "
              "JSON lines file (.jsonl, one cart a line). Repeat for more.")
@click.option("--at", "at", metavar="ISO-8601",
              help="Price carts without an `at` at this time (default: now).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format: markdown for a pull-request comment, "
              "github for workflow annotations.")
@click.option("--fail-above", "fail_above", metavar="AMOUNT",
              help="Exit 1 when any cart's total changes by more than AMOUNT (either way).")
@handles_errors
def diff(old: str, new: str, carts: tuple[str, ...], at: str | None, fmt: str,
         fail_above: str | None) -> None:
    """Price carts with the OLD and NEW ruleset (files, or REV:path from git) and
    report the carts whose total or promotions change."""
    from ..analysis.diff import diff_rulesets
    from ..analysis.diffreport import render
    from ..analysis.sources import load_ruleset_spec, read_carts

    limit = _amount(fail_above) if fail_above is not None else None
    moment = parse_moment(at) if at else None
    before, after = load_ruleset_spec(old), load_ruleset_spec(new)
    found = diff_rulesets(before, after, read_carts(carts), old_name=old, new_name=new,
                          at=moment)
    click.echo(render(found, fmt, limit), nl=False)
    if limit is not None and found.above(limit):
        sys.exit(EXIT_FINDINGS)


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise InputError(f"--fail-above: '{text}' is not an amount (e.g. 5.00)",
                         code=BAD_OPTION)
    return amount
