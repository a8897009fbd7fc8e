"""``promo test``: run the rule tests beside the rulesets."""

from __future__ import annotations

import sys

import click

from . import common
from .common import handles_errors


@click.command(name="test")
@click.argument("paths", nargs=-1, type=common.Path())
@handles_errors
def test_(paths: tuple[str, ...]) -> None:
    """Run rule tests: carts with expected outcomes (files, or directories searched for
    tests/ folders; default: rulesets/)."""
    from ..ruletests.runner import format_report as format_tests
    from ..ruletests.runner import run_tests

    report = run_tests(paths or ("rulesets",))
    click.echo(format_tests(report), nl=False)
    sys.exit(report.exit_code)
