"""``promo test``: run the rule tests beside the rulesets."""

from __future__ import annotations

import sys

import click

from . import common
from .common import handles_errors


@click.command(name="test")
@click.argument("paths", nargs=-1, type=common.Path())
@click.option("--examples", "examples", type=click.IntRange(min=1, max=100_000), metavar="N",
              help="Also check the invariants each ruleset declares on N generated carts "
              "(hypothesis; the analysis extra).")
@handles_errors
def test_(paths: tuple[str, ...], examples: int | None) -> None:
    """Run rule tests: carts with expected outcomes (files, or directories searched for
    tests/ folders; default: rulesets/)."""
    from ..ruletests.runner import format_report as format_tests
    from ..ruletests.runner import run_tests

    report = run_tests(paths or ("rulesets",))
    click.echo(format_tests(report), nl=False)
    if examples is not None:
        from ..analysis.examples import check_examples, format_examples

        checked = check_examples(paths or ("rulesets",), examples)
        click.echo(format_examples(checked), nl=False)
        sys.exit(max(report.exit_code, 1 if checked.failed else 0))
    sys.exit(report.exit_code)
