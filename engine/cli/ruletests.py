"""``promo test``: run the rule tests beside the rulesets."""

from __future__ import annotations

import json
import sys

import click

from . import common
from .common import handles_errors


@click.command(name="test")
@click.argument("paths", nargs=-1, type=common.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text",
              show_default=True, help="Output format: text for people, json, junit (JUnit XML "
              "for CI test reports).")
@click.option("-k", "--keyword", "keyword", metavar="EXPR", default="",
              help="Run only the tests whose name or file contains these words, combined with "
              "and, or, not and parentheses (like pytest -k).")
@click.option("--update", is_flag=True, help="Rewrite each failing test's expectations from "
              "the actual outcome, keeping the file's comments and layout; prints the diff.")
@handles_errors
def test_(paths: tuple[str, ...], fmt: str, keyword: str, update: bool) -> None:
    """Run rule tests: carts with expected outcomes (files, or directories searched for
    tests/ folders; default: rulesets/)."""
    from ..ruletests.runner import run_tests
    from ..ruletests.select import parse_selection

    if update and fmt != "text":
        raise click.UsageError("--update prints a diff; it takes no --format")
    select = parse_selection(keyword) if keyword else None
    report = run_tests(paths or ("rulesets",), select=select)
    if update and report.failed:
        _update(report)
        report = run_tests(paths or ("rulesets",), select=select)
    click.echo(_render(report, fmt), nl=False)
    sys.exit(report.exit_code)


def _render(report: object, fmt: str) -> str:
    from ..ruletests import formats
    from ..ruletests.runner import TestReport, format_report

    assert isinstance(report, TestReport)
    if fmt == "json":
        return json.dumps(formats.report_dict(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "junit":
        return formats.junit_xml(report)
    return format_report(report)


def _update(report: object) -> None:
    """Rewrite the failing tests' expectations and print each file's diff."""
    import difflib

    from ..ruletests.runner import TestReport
    from ..ruletests.update import plan_updates

    assert isinstance(report, TestReport)
    updates = plan_updates(report.results)
    for update in updates:
        diff = difflib.unified_diff(update.before.splitlines(keepends=True),
                                    update.after.splitlines(keepends=True),
                                    f"{update.path}", f"{update.path} (updated)")
        click.echo("".join(diff), nl=False)
        update.path.write_text(update.after, encoding="utf-8", newline="")
        tests = len(update.tests)
        click.echo(f"updated {tests} test{'s' if tests != 1 else ''} in {update.path}")
