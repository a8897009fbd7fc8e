"""``promo bound``: the most one cart can be discounted, proven and witnessed."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import click

from . import common
from .common import EXIT_FINDINGS, EXIT_OK, handles_errors


@click.command()
@click.argument("ruleset", type=common.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--fail-above", "fail_above", type=click.FloatRange(min=0), metavar="PERCENT",
              help="Exit 1 when the proven bound on the discount, as a percent of the "
              "subtotal (where nothing is proven: the best witness's), is above PERCENT.")
@click.option("--tries", "tries", type=click.IntRange(min=1, max=1_000_000), default=2000,
              show_default=True, help="Carts the witness search prices.")
@click.option("--seed", "seed", type=int, default=0, show_default=True,
              help="Seed of the witness search (the same seed finds the same witness).")
@handles_errors
def bound(ruleset: str, fmt: str, fail_above: float | None, tries: int, seed: int) -> None:
    """The largest discount one cart can get, per promotion and for the whole ruleset:
    a proven upper bound and the best witness a search found (as a rule test)."""
    from dsl import load_ruleset

    from ..analysis.bound import bound_ruleset, format_json, format_text, percent

    report = bound_ruleset(load_ruleset(Path(ruleset)), ruleset, tries=tries, seed=seed)
    click.echo(format_json(report) if fmt == "json" else format_text(report), nl=False)
    if fail_above is None:
        sys.exit(EXIT_OK)
    limit = Fraction(str(fail_above)) / 100
    if report.exceeds(limit):
        value, which = report.checked_share()
        click.echo(f"bound: the {which} ({percent(value, up=which == 'proven bound')} of the "
                   f"subtotal) is above --fail-above {fail_above:g}%", err=True)
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_OK)
